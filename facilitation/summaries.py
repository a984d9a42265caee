"""Engagement summaries for managers: aggregates only, every figure the cards showed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from facilitation.disclosure import Withheld


@dataclass(frozen=True)
class Count:
    """A labelled figure. Summaries kept by earlier versions may hold an "other" bucket of small
    figures folded together (`folded`), whose `value` is None when it was too small itself."""

    label: str
    value: int | None
    folded: bool = False


@dataclass(frozen=True)
class PollSummary:
    question: str
    kind: str  # single, multiple, rating, text
    ballots: int
    results: tuple[Count, ...] = ()  # every option with its count, or the top answer groups
    average: float | None = None  # rating polls
    withheld: Withheld | None = None  # why only the turnout is shown (Policy.poll_result)
    more: int = 0  # open answers beyond the groups in `results`


@dataclass(frozen=True)
class QuestionSummary:
    text: str
    votes: int
    answered: bool


@dataclass(frozen=True)
class QnaSummary:
    asked: int = 0
    answered: int = 0
    open: int = 0
    dismissed: int = 0
    merged: int = 0
    top: tuple[QuestionSummary, ...] = ()  # most upvoted, answered or not
    open_items: tuple[QuestionSummary, ...] = ()  # most upvoted unanswered: follow up on these


@dataclass(frozen=True)
class Sentiment:
    """How many questions and open answers read positive, neutral or negative."""

    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


@dataclass(frozen=True)
class GroupResult:
    round: int
    group: int
    topic: str | None
    points: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class BreakoutSummary:
    rounds: int = 0
    groups: int = 0
    reported: int = 0
    results: tuple[GroupResult, ...] = ()


@dataclass(frozen=True)
class Reach:
    """Distinct people who took part in anything, against those present (when known)."""

    reached: int
    attendees: int | None = None

    @property
    def share(self) -> float | None:
        if not self.attendees:
            return None
        return min(1.0, self.reached / self.attendees)


@dataclass(frozen=True)
class TrendPoint:
    """One meeting of a series, for trends."""

    label: str  # the meeting's date
    reached: int
    questions: int
    positive_share: float | None  # share of positive texts, None without texts


@dataclass(frozen=True)
class EngagementSummary:
    title: str
    held_on: datetime
    reach: Reach
    polls: tuple[PollSummary, ...] = ()
    qna: QnaSummary = QnaSummary()
    themes: tuple[Count, ...] = ()
    sentiment: Sentiment = Sentiment()
    breakouts: BreakoutSummary = BreakoutSummary()
    trends: tuple[TrendPoint, ...] = ()
    # The minimum group size its figures were gathered with (Policy.min_group): a summary kept
    # for long is re-checked against a larger one (Policy.recheck).
    min_group: int | None = None
    # True once the retention period has passed and `aggregates_only` took the texts out.
    texts_removed: bool = False

    @property
    def is_empty(self) -> bool:
        return (self.reach.reached == 0 and not self.polls and not self.qna.asked
                and not self.breakouts.rounds)


def top_questions(questions: Sequence[QuestionSummary], *, limit: int = 5
                  ) -> tuple[QuestionSummary, ...]:
    """The most upvoted questions (ties: in the given order)."""
    ranked = sorted(enumerate(questions), key=lambda item: (-item[1].votes, item[0]))
    return tuple(question for _, question in ranked[:limit])


def aggregates_only(summary: EngagementSummary) -> EngagementSummary:
    """What a summary keeps once the retention period has passed: figures, not texts.

    - The meeting's title goes (organizers put people's names in titles).
    - Every poll keeps its kind, turnout, average and counts; its question goes, and its
      options' labels (typed by the poll's creator) become their places ("#1", "#2"), except a
      rating's scale and the "other" bucket (words of the bot, not of the meeting). Open
      answers go with their counts: a grouped answer is its text.
    - Q&A keeps its counts; the questions themselves (top and still open) go.
    - Themes and their counts stay (a theme is a term that recurred in several texts); so does
      the mood's positive / neutral / negative count.
    - Breakouts keep rounds, groups and how many reported; what the groups brought back (their
      topics, points and notes, which may name a colleague) goes.
    """
    polls = tuple(replace(poll, question="", results=_figures_of(poll))
                  for poll in summary.polls)
    qna = replace(summary.qna, top=(), open_items=())
    breakouts = replace(summary.breakouts, results=())
    return replace(summary, title="", polls=polls, qna=qna, breakouts=breakouts,
                   texts_removed=True)


def _figures_of(poll: PollSummary) -> tuple[Count, ...]:
    if poll.kind == "text":
        return ()
    if poll.kind == "rating":
        return poll.results
    # The options' places stay, so that "#2" still names the same option after folding.
    return tuple(c if c.folded else Count(f"#{place}", c.value)
                 for place, c in enumerate(poll.results, start=1))
