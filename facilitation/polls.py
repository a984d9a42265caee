"""Polls: drafting and validating a poll, its life cycle, ballots and tallies."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from facilitation.answers import group_answers
from facilitation.errors import InvalidBallot, InvalidPoll, PollClosed

MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 200
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_ANSWER_CHARS = 500
MAX_AUTO_CLOSE_MINUTES = 24 * 60
RATING_SCALE = ("1", "2", "3", "4", "5")

_SPACES = re.compile(r"\s+")


class PollKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    TEXT = "text"


class ResultsMode(StrEnum):
    LIVE = "live"
    ON_CLOSE = "on_close"


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class PollDraft:
    """What a moderator asked for, before validation."""

    question: str
    options: tuple[str, ...] = ()
    kind: PollKind = PollKind.SINGLE
    anonymous: bool = True
    results: ResultsMode = ResultsMode.LIVE
    auto_close_minutes: int | None = None


@dataclass(frozen=True)
class Poll:
    """A poll as everyone sees it. Ballots live apart from it."""

    id: str
    question: str
    options: tuple[str, ...]
    kind: PollKind
    anonymous: bool
    results: ResultsMode
    status: PollStatus
    created_at: datetime
    revealed: bool = False
    closes_at: datetime | None = None
    closed_at: datetime | None = None  # when it last closed (kept when it is reopened)

    @property
    def is_open(self) -> bool:
        return self.status is PollStatus.OPEN

    @property
    def reopened(self) -> bool:
        """Open again after it had closed (and shown its exact result)."""
        return self.is_open and self.closed_at is not None

    @property
    def results_visible(self) -> bool:
        """Whether results may be shown at all: live polls, revealed ones, and closed ones."""
        return self.results is ResultsMode.LIVE or self.revealed or not self.is_open


SENTENCE_END = " .,;:!?…"  # dropped from the end of a shown answer: "Mehr Pausen!" as "Mehr Pausen"


def normalise_text(text: str) -> str:
    """Trim and collapse runs of white space to one space."""
    return _SPACES.sub(" ", text).strip()


def draft_from_command(arguments: str) -> PollDraft:
    """Read `question | option | option ...` as typed in chat into a single-choice draft."""
    parts = [normalise_text(part) for part in arguments.split("|")]
    question, options = parts[0], tuple(part for part in parts[1:] if part)
    return validate_draft(PollDraft(question=question, options=options))


def validate_draft(draft: PollDraft) -> PollDraft:
    """Check a draft and return it normalised. Raises InvalidPoll with the reason users see."""
    question = normalise_text(draft.question)
    if not question:
        raise InvalidPoll("poll.question_empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidPoll("poll.question_too_long", limit=MAX_QUESTION_CHARS, length=len(question))
    _check_auto_close(draft.auto_close_minutes)
    options = _valid_options(draft.kind, draft.options)
    return replace(draft, question=question, options=options)


def _check_auto_close(minutes: int | None) -> None:
    if minutes is not None and not 1 <= minutes <= MAX_AUTO_CLOSE_MINUTES:
        raise InvalidPoll("poll.auto_close_range", limit=MAX_AUTO_CLOSE_MINUTES)


def _valid_options(kind: PollKind, raw: Iterable[str]) -> tuple[str, ...]:
    if kind is PollKind.RATING:
        return RATING_SCALE
    if kind is PollKind.TEXT:
        return ()
    options = tuple(normalise_text(option) for option in raw)
    options = tuple(option for option in options if option)
    if len(options) < MIN_OPTIONS:
        raise InvalidPoll("poll.too_few_options", minimum=MIN_OPTIONS)
    if len(options) > MAX_OPTIONS:
        raise InvalidPoll("poll.too_many_options", maximum=MAX_OPTIONS, count=len(options))
    for option in options:
        if len(option) > MAX_OPTION_CHARS:
            raise InvalidPoll("poll.option_too_long", limit=MAX_OPTION_CHARS, option=option[:40])
    seen: set[str] = set()
    for option in options:
        if option.casefold() in seen:
            raise InvalidPoll("poll.duplicate_option", option=option)
        seen.add(option.casefold())
    return options


def open_poll(draft: PollDraft, *, poll_id: str, now: datetime) -> Poll:
    """Start a poll from a validated draft."""
    draft = validate_draft(draft)
    closes_at = None
    if draft.auto_close_minutes:
        closes_at = now + timedelta(minutes=draft.auto_close_minutes)
    return Poll(
        id=poll_id, question=draft.question, options=draft.options, kind=draft.kind,
        anonymous=draft.anonymous, results=draft.results, status=PollStatus.OPEN,
        created_at=now, closes_at=closes_at,
    )


def close_poll(poll: Poll, *, now: datetime) -> Poll:
    """Stop taking ballots. Closing a closed poll changes nothing."""
    if not poll.is_open:
        return poll
    return replace(poll, status=PollStatus.CLOSED, closed_at=now, closes_at=None)


def reopen_poll(poll: Poll) -> Poll:
    """Take ballots again; a reopened poll no longer closes by itself, and remembers when it
    closed (`Poll.reopened`)."""
    return replace(poll, status=PollStatus.OPEN, closes_at=None)


def reveal_results(poll: Poll) -> Poll:
    """Show results of an on-close poll while it is still open."""
    return replace(poll, revealed=True)


def is_due(poll: Poll, now: datetime) -> bool:
    """Whether an auto-closing poll has reached its time."""
    return poll.is_open and poll.closes_at is not None and poll.closes_at <= now


# ---------------------------------------------------------------------------- ballots


@dataclass(frozen=True)
class BallotChoice:
    """What one ballot says: a bit per chosen option, or an open-text answer."""

    mask: int = 0
    text: str | None = None

    @property
    def indexes(self) -> tuple[int, ...]:
        return chosen_indexes(self.mask)


def chosen_indexes(mask: int) -> tuple[int, ...]:
    """The option indexes set in a choice mask, lowest first."""
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


def ballot_from_input(poll: Poll, choice: str | None, text: str | None) -> BallotChoice:
    """Turn card input into a ballot for `poll`. Raises PollClosed or InvalidBallot."""
    if not poll.is_open:
        raise PollClosed()
    if poll.kind is PollKind.TEXT:
        return BallotChoice(text=_valid_answer(text))
    indexes = _parse_indexes(choice, len(poll.options))
    if poll.kind is not PollKind.MULTIPLE and len(indexes) != 1:
        raise InvalidBallot("ballot.pick_one")
    mask = 0
    for index in indexes:
        mask |= 1 << index
    return BallotChoice(mask=mask)


def _valid_answer(text: str | None) -> str:
    answer = normalise_text(text or "")
    if not answer:
        raise InvalidBallot("ballot.answer_empty")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidBallot("ballot.answer_too_long", limit=MAX_ANSWER_CHARS)
    return answer


def _parse_indexes(choice: str | None, option_count: int) -> set[int]:
    raw = [part.strip() for part in (choice or "").split(",") if part.strip()]
    if not raw:
        raise InvalidBallot("ballot.nothing_chosen")
    indexes: set[int] = set()
    for part in raw:
        # ASCII digits only, and short: "²" or a 5,000-digit number must not reach int().
        if not (part.isascii() and part.isdigit() and len(part) <= 3) or int(part) >= option_count:
            raise InvalidBallot("ballot.unknown_option")
        indexes.add(int(part))
    return indexes


# ---------------------------------------------------------------------------- tallies


@dataclass(frozen=True)
class AnswerGroup:
    """Open-text answers that say the same (facilitation/answers.py), under their usual spelling."""

    text: str
    count: int


@dataclass(frozen=True)
class Tally:
    """Aggregated ballots of one poll: the only form in which results leave storage."""

    ballots: int
    counts: tuple[int, ...] = ()
    answers: tuple[AnswerGroup, ...] = ()

    def share(self, index: int) -> float:
        """Share of ballots that chose option `index` (0.0 when there are none)."""
        return self.counts[index] / self.ballots if self.ballots else 0.0


def tally_choices(option_count: int, mask_counts: Mapping[int, int]) -> Tally:
    """Tally from the number of ballots per choice mask (what storage aggregates)."""
    counts = [0] * option_count
    for mask, ballots in mask_counts.items():
        for index in chosen_indexes(mask):
            if index < option_count:
                counts[index] += ballots
    return Tally(ballots=sum(mask_counts.values()), counts=tuple(counts))


def tally_answers(answers: Iterable[str], *, limit: int = 10) -> Tally:
    """Tally open-text answers: the most frequent first, answers that say the same grouped
    (case, punctuation, inflection and simple typos: facilitation/answers.py). The answers
    beyond `limit` groups are counted in `ballots` only."""
    texts = [normalise_text(answer) for answer in answers]
    ranked = sorted(
        (AnswerGroup(text=_usual_spelling(group.forms), count=group.count)
         for group in group_answers(texts)),
        key=lambda group: (-group.count, group.text.casefold(), group.text),
    )
    return Tally(ballots=len(texts), answers=tuple(ranked[:limit]))


def _usual_spelling(forms: Counter[str]) -> str:
    """How most people wrote it: the spelling (case and closing punctuation aside) given most
    often, then its most frequent form; on a tie one not in capitals ("Busy" over "BUSY"),
    without closing punctuation ("Mehr Pausen!" as "Mehr Pausen")."""
    spellings: Counter[str] = Counter()
    for form, count in forms.items():
        spellings[_bare(form).casefold()] += count
    usual = min(spellings.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))[0]
    candidates: Counter[str] = Counter()
    for form, count in forms.items():
        if _bare(form).casefold() == usual:
            candidates[_bare(form)] += count
    return min(candidates.items(), key=lambda item: (-item[1], item[0].isupper(), item[0]))[0]


def _bare(text: str) -> str:
    return text.rstrip(SENTENCE_END) or text


def rating_average(tally: Tally) -> float | None:
    """Mean rating (1-5) of a rating poll's tally, or None without ballots."""
    if not tally.ballots:
        return None
    points = sum((index + 1) * count for index, count in enumerate(tally.counts))
    return points / tally.ballots
