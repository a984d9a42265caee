"""The Q&A queue: asking, moderation states, merging, ordering, and the asking rate limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from facilitation.anonymity import to_the_minute
from facilitation.errors import DomainError
from facilitation.polls import normalise_text

MAX_QUESTION_CHARS = 500
QUESTIONS_PER_WINDOW = 5
RATE_WINDOW = timedelta(minutes=5)


class InvalidQuestion(DomainError):
    """The question cannot be asked as it is (empty, too long)."""

    code = "qna.invalid"


class QuestionUnavailable(DomainError):
    """The question is unknown, or in a state that does not allow this."""

    code = "qna.unknown"


class BoardMode(StrEnum):
    OPEN = "open"  # questions appear at once
    REVIEWED = "reviewed"  # moderators approve questions first


class QuestionStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    ANSWERING = "answering"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    MERGED = "merged"


LIVE = frozenset({QuestionStatus.PENDING, QuestionStatus.OPEN, QuestionStatus.ANSWERING})
VISIBLE = frozenset({QuestionStatus.OPEN, QuestionStatus.ANSWERING})


@dataclass(frozen=True)
class Board:
    """The Q&A board of one chat."""

    id: str
    mode: BoardMode
    created_at: datetime


@dataclass(frozen=True)
class Question:
    """A question. `author` is set only when it was asked with a name. `asked_at` is to the
    minute; `number`, its place on its board (from 1, given when it is stored), orders the
    questions of one minute."""

    id: str
    board_id: str
    text: str
    asked_at: datetime
    status: QuestionStatus
    author: str | None = None
    merged_into: str | None = None
    answered_at: datetime | None = None
    number: int = 0

    @property
    def age(self) -> tuple[datetime, int, str]:
        """Oldest first when sorted: the minute asked, then the place on the board."""
        return (self.asked_at, self.number, self.id)


def question_text(raw: str | None) -> str:
    """A question's text, normalised. Raises InvalidQuestion when empty or too long."""
    text = normalise_text(raw or "")
    if not text:
        raise InvalidQuestion("qna.empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion("qna.too_long", limit=MAX_QUESTION_CHARS, length=len(text))
    return text


def ask(board: Board, raw_text: str | None, *, question_id: str, now: datetime,
        author: str | None = None, not_before: datetime | None = None) -> Question:
    """A new question: visible at once on an open board, pending review on a reviewed one.
    Its time is kept to the minute only, but never before `not_before` (the start of the
    meeting it is asked in), so that it falls within that meeting as exactly as it happened."""
    status = QuestionStatus.PENDING if board.mode is BoardMode.REVIEWED else QuestionStatus.OPEN
    asked_at = to_the_minute(now)
    if not_before is not None and asked_at < not_before <= now:
        asked_at = not_before
    return Question(id=question_id, board_id=board.id, text=question_text(raw_text),
                    asked_at=asked_at, status=status, author=author)


def _require(question: Question, allowed: Iterable[QuestionStatus]) -> None:
    if question.status not in set(allowed):
        raise QuestionUnavailable(f"qna.is_{question.status.value}")


def approve(question: Question) -> Question:
    """A moderator lets a pending question onto the board."""
    _require(question, {QuestionStatus.PENDING})
    return replace(question, status=QuestionStatus.OPEN)


def start_answering(question: Question) -> Question:
    """Highlight the question as the one being answered now."""
    _require(question, LIVE)
    return replace(question, status=QuestionStatus.ANSWERING)


def stop_answering(question: Question) -> Question:
    """Another question is answered now: this one goes back to the queue."""
    _require(question, {QuestionStatus.ANSWERING})
    return replace(question, status=QuestionStatus.OPEN)


def mark_answered(question: Question, *, now: datetime) -> Question:
    _require(question, LIVE)
    return replace(question, status=QuestionStatus.ANSWERED, answered_at=now)


def dismiss(question: Question) -> Question:
    """Off-topic or unwanted: off the board (it still counts as asked)."""
    _require(question, LIVE)
    return replace(question, status=QuestionStatus.DISMISSED)


def merge(source: Question, target: Question) -> Question:
    """Fold `source` into `target` (its upvotes join the target's; see storage)."""
    if source.id == target.id:
        raise QuestionUnavailable("qna.merge_self")
    if source.board_id != target.board_id:
        raise QuestionUnavailable("qna.unknown")
    _require(source, LIVE)
    _require(target, LIVE)
    return replace(source, status=QuestionStatus.MERGED, merged_into=target.id)


def question_on_board(question: Question | None, board_id: str) -> Question:
    """The question, when it exists and is one of the board's (else QuestionUnavailable)."""
    if question is None or question.board_id != board_id:
        raise QuestionUnavailable("qna.unknown")
    return question


def check_upvotable(question: Question) -> None:
    """Only questions on the board can be upvoted."""
    _require(question, VISIBLE)


# ---------------------------------------------------------------------------- the board's order


@dataclass(frozen=True)
class RankedQuestion:
    question: Question
    votes: int


@dataclass(frozen=True)
class BoardCounts:
    """What everyone may know about moderation: aggregate counts only."""

    asked: int = 0
    answered: int = 0
    merged: int = 0
    dismissed: int = 0
    pending: int = 0
    open: int = 0


@dataclass(frozen=True)
class BoardView:
    """The board in display order."""

    board: Board
    answering: tuple[RankedQuestion, ...]
    open: tuple[RankedQuestion, ...]
    answered: tuple[RankedQuestion, ...]
    pending: tuple[RankedQuestion, ...]
    counts: BoardCounts


def rank_board(board: Board, questions: Sequence[Question], votes: Mapping[str, int]
               ) -> BoardView:
    """Order the board: the question being answered, then open questions by votes and age,
    answered ones newest first, pending ones oldest first."""
    ranked = [RankedQuestion(q, votes.get(q.id, 0)) for q in questions]

    def having(status: QuestionStatus) -> list[RankedQuestion]:
        return [r for r in ranked if r.question.status is status]

    by_votes = sorted(having(QuestionStatus.OPEN),
                      key=lambda r: (-r.votes, r.question.age))
    answered = sorted(having(QuestionStatus.ANSWERED),
                      key=lambda r: (r.question.answered_at or r.question.asked_at,
                                     r.question.age), reverse=True)
    pending = sorted(having(QuestionStatus.PENDING), key=lambda r: r.question.age)
    answering = sorted(having(QuestionStatus.ANSWERING), key=lambda r: r.question.age)
    counts = BoardCounts(
        asked=len(ranked), answered=len(answered), merged=len(having(QuestionStatus.MERGED)),
        dismissed=len(having(QuestionStatus.DISMISSED)), pending=len(pending),
        open=len(by_votes) + len(answering))
    return BoardView(board, tuple(answering), tuple(by_votes), tuple(answered), tuple(pending),
                     counts)


# ---------------------------------------------------------------------------- rate limit


def within_rate_limit(recent: Iterable[datetime], now: datetime, *,
                      limit: int = QUESTIONS_PER_WINDOW, window: timedelta = RATE_WINDOW) -> bool:
    """Whether one more question fits: at most `limit` questions per person in `window`."""
    return sum(1 for moment in recent if now - moment < window) < limit
