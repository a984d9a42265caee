"""A breakout round's life cycle: draft, running with a timer, report-back, reconvene."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from facilitation.errors import DomainError
from facilitation.polls import normalise_text

REMINDER_BEFORE = timedelta(minutes=2)
MAX_DURATION_MINUTES = 8 * 60
EXTENSION_MINUTES = 5
MAX_POINTS = 3
MAX_POINT_CHARS = 200
MAX_NOTE_CHARS = 1000
MAX_TOPIC_CHARS = 120


class BreakoutProblem(DomainError):
    """The breakout cannot do this now."""

    code = "breakout.problem"


class RoundStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    RECONVENED = "reconvened"
    CANCELLED = "cancelled"


class Source(StrEnum):
    """Where the people of a round came from."""

    PRESENT = "present"  # Teams' meeting join and leave events
    ROSTER = "roster"  # the chat's member list
    OPT_IN = "opt_in"  # people who clicked "I'm in"


@dataclass(frozen=True)
class BreakoutRound:
    id: str
    status: RoundStatus
    source: Source
    groups: int
    created_at: datetime
    size: int | None = None
    duration_minutes: int | None = None
    topics: tuple[str, ...] = ()
    apart: tuple[frozenset[str], ...] = ()
    together: tuple[frozenset[str], ...] = ()
    started_at: datetime | None = None
    ends_at: datetime | None = None
    reminded: bool = False
    time_up_sent: bool = False

    @property
    def is_draft(self) -> bool:
        return self.status is RoundStatus.DRAFT

    @property
    def is_running(self) -> bool:
        return self.status is RoundStatus.RUNNING


def check_duration(minutes: int | None) -> int | None:
    if minutes is not None and not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise BreakoutProblem("breakout.duration_range", limit=MAX_DURATION_MINUTES)
    return minutes


def clean_topics(raw: str) -> tuple[str, ...]:
    """Topics, one per line; blank lines dropped."""
    topics = tuple(normalise_text(line) for line in raw.splitlines() if line.strip())
    for topic in topics:
        if len(topic) > MAX_TOPIC_CHARS:
            raise BreakoutProblem("breakout.topic_too_long", limit=MAX_TOPIC_CHARS)
    return topics


def _require(round_: BreakoutRound, status: RoundStatus, code: str) -> None:
    if round_.status is not status:
        raise BreakoutProblem(code)


def start(round_: BreakoutRound, *, now: datetime) -> BreakoutRound:
    """Publish: the round runs, and with a duration its timer starts."""
    _require(round_, RoundStatus.DRAFT, "breakout.not_draft")
    ends = now + timedelta(minutes=round_.duration_minutes) if round_.duration_minutes else None
    return replace(round_, status=RoundStatus.RUNNING, started_at=now, ends_at=ends)


def extend(round_: BreakoutRound, *, now: datetime,
           minutes: int = EXTENSION_MINUTES) -> BreakoutRound:
    """More time; a round without a timer (or whose time was up) gets one from now."""
    _require(round_, RoundStatus.RUNNING, "breakout.not_running")
    base = round_.ends_at if round_.ends_at and round_.ends_at > now else now
    return replace(round_, ends_at=base + timedelta(minutes=minutes), reminded=False,
                   time_up_sent=False)


def end_now(round_: BreakoutRound, *, now: datetime) -> BreakoutRound:
    """Time is up now (the groups are told; results can still be submitted)."""
    _require(round_, RoundStatus.RUNNING, "breakout.not_running")
    return replace(round_, ends_at=now, reminded=True)


def reconvene(round_: BreakoutRound) -> BreakoutRound:
    """Back to the plenary: the results wall is posted."""
    _require(round_, RoundStatus.RUNNING, "breakout.not_running")
    return replace(round_, status=RoundStatus.RECONVENED, reminded=True, time_up_sent=True)


def cancel(round_: BreakoutRound) -> BreakoutRound:
    _require(round_, RoundStatus.DRAFT, "breakout.not_draft")
    return replace(round_, status=RoundStatus.CANCELLED)


class TimerEvent(StrEnum):
    REMINDER = "reminder"
    TIME_UP = "time_up"


def timer_due(round_: BreakoutRound, now: datetime) -> TimerEvent | None:
    """What the groups should be told now, if anything (each only once)."""
    if not round_.is_running or round_.ends_at is None:
        return None
    if now >= round_.ends_at:
        return None if round_.time_up_sent else TimerEvent.TIME_UP
    long_enough = round_.started_at is None or round_.ends_at - round_.started_at > REMINDER_BEFORE
    if not round_.reminded and long_enough and now >= round_.ends_at - REMINDER_BEFORE:
        return TimerEvent.REMINDER
    return None


def mark_told(round_: BreakoutRound, event: TimerEvent) -> BreakoutRound:
    if event is TimerEvent.TIME_UP:
        return replace(round_, reminded=True, time_up_sent=True)
    return replace(round_, reminded=True)


# ---------------------------------------------------------------------------- report-back


@dataclass(frozen=True)
class Report:
    """What one group brings back to the plenary."""

    group: int
    points: tuple[str, ...]
    note: str = ""


def report(group: int, points: list[str | None], note: str | None) -> Report:
    """Validate a group's report: up to three key points and a note, not all empty."""
    cleaned = tuple(normalise_text(p) for p in points if p and p.strip())
    text = (note or "").strip()
    if len(cleaned) > MAX_POINTS:
        raise BreakoutProblem("breakout.too_many_points", limit=MAX_POINTS)
    if any(len(point) > MAX_POINT_CHARS for point in cleaned):
        raise BreakoutProblem("breakout.point_too_long", limit=MAX_POINT_CHARS)
    if len(text) > MAX_NOTE_CHARS:
        raise BreakoutProblem("breakout.note_too_long", limit=MAX_NOTE_CHARS)
    if not cleaned and not text:
        raise BreakoutProblem("breakout.report_empty")
    return Report(group=group, points=cleaned, note=text)
