"""SQLModel tables. Ballots carry a poll-scoped key, never a Teams id or an anonymous name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC timestamps on every database (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def _utc_column(nullable: bool = True) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class ChatRow(SQLModel, table=True):
    """Where the bot can post into a chat outside a turn (no user data)."""

    __tablename__ = "chat"

    conversation_id: str = Field(primary_key=True, max_length=512)
    service_url: str = Field(max_length=512)
    tenant_id: str = Field(default="", max_length=128)
    bot_id: str = Field(default="", max_length=256)
    meeting_id: str | None = Field(default=None, max_length=512)


class PollRow(SQLModel, table=True):
    """One poll. `creator_key` lets its creator moderate it outside meetings."""

    __tablename__ = "poll"

    id: str = Field(primary_key=True, max_length=64)
    conversation_id: str = Field(foreign_key="chat.conversation_id", index=True, max_length=512)
    meeting_id: str | None = Field(default=None, index=True, max_length=512)
    creator_key: str = Field(max_length=64)
    locale: str = Field(default="en", max_length=8)
    question: str
    options_json: str
    kind: str = Field(max_length=16)
    anonymous: bool = True
    results: str = Field(max_length=16)
    status: str = Field(max_length=16, index=True)
    revealed: bool = False
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    closes_at: datetime | None = Field(default=None, sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    card_activity_id: str | None = Field(default=None, max_length=256)


class BallotRow(SQLModel, table=True):
    """One ballot: which options (a bit each) or an open answer, under a poll-scoped voter key.

    No timestamp and no row number: the order in which ballots were cast must not be readable
    (SQLite keeps such a table in key order, so not even its hidden row ids exist).
    `voter_name` is filled only for polls that were created as not anonymous.
    """

    __tablename__ = "ballot"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: str = Field(foreign_key="poll.id", primary_key=True, max_length=64)
    voter_key: str = Field(primary_key=True, max_length=64)
    choices: int = 0
    answer: str | None = None
    voter_name: str | None = Field(default=None, max_length=256)


class PollDisclosureRow(SQLModel, table=True):
    """What an open anonymous poll's shared card last disclosed, shared by every bot process:
    the breakdown shown. Nothing time-like: when ballots came must not be readable here.
    Aggregates only; deleted with the meeting's raw texts."""

    __tablename__ = "poll_disclosure"

    poll_id: str = Field(foreign_key="poll.id", primary_key=True, max_length=64)
    shown_json: str | None = None


class PollDisclosureVoterRow(SQLModel, table=True):
    """Who cast or changed a ballot since the poll's shared card last showed a breakdown, under
    a poll-scoped counting key (so one person changing three times counts once) that is not the
    ballot's key: the rows cannot be joined with the ballots. Deleted each time a new breakdown
    is shown; like ballots, without a row number or time."""

    __tablename__ = "poll_disclosure_voter"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: str = Field(foreign_key="poll.id", primary_key=True, max_length=64)
    counting_key: str = Field(primary_key=True, max_length=64)


class BoardRow(SQLModel, table=True):
    """The Q&A board of one chat."""

    __tablename__ = "qna_board"

    id: str = Field(primary_key=True, max_length=64)
    conversation_id: str = Field(foreign_key="chat.conversation_id", unique=True, max_length=512)
    meeting_id: str | None = Field(default=None, index=True, max_length=512)
    creator_key: str = Field(max_length=64)
    locale: str = Field(default="en", max_length=8)
    mode: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    card_activity_id: str | None = Field(default=None, max_length=256)


class QuestionRow(SQLModel, table=True):
    """A question. `author_name` only for questions asked with a name; no key of the asker.
    `asked_at` is to the minute; `number` (its place on its board) orders one minute's
    questions."""

    __tablename__ = "question"
    __table_args__ = (Index("ix_question_board_number", "board_id", "number"),
                      Index("ix_question_board_status", "board_id", "status"))

    id: str = Field(primary_key=True, max_length=64)
    board_id: str = Field(foreign_key="qna_board.id", index=True, max_length=64)
    text: str
    author_name: str | None = Field(default=None, max_length=256)
    status: str = Field(max_length=16)
    merged_into: str | None = Field(default=None, max_length=64)
    asked_at: datetime = Field(sa_column=_utc_column(nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=_utc_column())
    number: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class UpvoteRow(SQLModel, table=True):
    """One upvote under a board-scoped voter key: one per question and key, and like ballots
    without a row number or time that would tell the order of upvotes."""

    __tablename__ = "upvote"
    __table_args__ = {"sqlite_with_rowid": False}

    question_id: str = Field(foreign_key="question.id", primary_key=True, max_length=64)
    voter_key: str = Field(primary_key=True, max_length=64)


class PresenceRow(SQLModel, table=True):
    """Who is in a chat's meeting right now, from Teams' join and leave events in that chat
    (an event elsewhere naming the same meeting id counts only there). Used only to know who
    takes part in breakouts and how many are present; deleted when the meeting ends."""

    __tablename__ = "presence"

    conversation_id: str = Field(foreign_key="chat.conversation_id", primary_key=True,
                                 max_length=512)
    meeting_id: str = Field(primary_key=True, max_length=512)
    member_id: str = Field(primary_key=True, max_length=256)
    name: str = Field(default="", max_length=256)
    aad_object_id: str | None = Field(default=None, max_length=64)
    present: bool = True


class BreakoutRow(SQLModel, table=True):
    """One breakout round of a chat, from draft to reconvened."""

    __tablename__ = "breakout"

    id: str = Field(primary_key=True, max_length=64)
    conversation_id: str = Field(foreign_key="chat.conversation_id", index=True, max_length=512)
    meeting_id: str | None = Field(default=None, index=True, max_length=512)
    creator_key: str = Field(max_length=64)
    locale: str = Field(default="en", max_length=8)
    status: str = Field(max_length=16, index=True)
    source: str = Field(max_length=16)
    groups: int = 0
    size: int | None = None
    duration_minutes: int | None = None
    topics_json: str = "[]"
    apart_json: str = "[]"
    together_json: str = "[]"
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=_utc_column())
    ends_at: datetime | None = Field(default=None, sa_column=_utc_column())
    reminded: bool = False
    time_up_sent: bool = False
    card_activity_id: str | None = Field(default=None, max_length=256)


class BreakoutMemberRow(SQLModel, table=True):
    """A person in a breakout round (breakouts are not anonymous: groups are named)."""

    __tablename__ = "breakout_member"

    breakout_id: str = Field(foreign_key="breakout.id", primary_key=True, max_length=64)
    member_id: str = Field(primary_key=True, max_length=256)
    name: str = Field(default="", max_length=256)
    aad_object_id: str | None = Field(default=None, max_length=64)
    excluded: bool = False
    group_number: int | None = None
    role: str | None = Field(default=None, max_length=16)


class BreakoutReportRow(SQLModel, table=True):
    """What a group brought back: up to three key points and a note."""

    __tablename__ = "breakout_report"

    breakout_id: str = Field(foreign_key="breakout.id", primary_key=True, max_length=64)
    group_number: int = Field(primary_key=True)
    points_json: str = "[]"
    note: str = ""
    submitted_at: datetime = Field(sa_column=_utc_column(nullable=False))


class MeetingRow(SQLModel, table=True):
    """One meeting of a chat (a recurring chat holds a series). `summary_json` keeps the
    aggregate summary, which outlives the raw texts it was made from."""

    __tablename__ = "meeting"

    id: str = Field(primary_key=True, max_length=64)
    conversation_id: str = Field(foreign_key="chat.conversation_id", index=True, max_length=512)
    teams_meeting_id: str | None = Field(default=None, index=True, max_length=512)
    title: str = Field(default="", max_length=512)
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column())
    attendees: int | None = None
    summary_json: str | None = None
    purged: bool = False


class ParticipationRow(SQLModel, table=True):
    """That someone took part in a meeting, under a key scoped to that meeting: counted for
    "people reached", kept apart from every choice, without time or row order."""

    __tablename__ = "participation"
    __table_args__ = {"sqlite_with_rowid": False}

    meeting_id: str = Field(foreign_key="meeting.id", primary_key=True, max_length=64)
    participant_key: str = Field(primary_key=True, max_length=64)


class ReportLinkRow(SQLModel, table=True):
    """An expiring link to a meeting's report page; only a hash of the token is stored."""

    __tablename__ = "report_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    meeting_id: str = Field(foreign_key="meeting.id", index=True, max_length=64)
    language: str = Field(default="en", max_length=8)
    expires_at: datetime = Field(sa_column=_utc_column(nullable=False))


# --------------------------------------------------------------------------- scale-out
# Coordination of several bot processes sharing one database (see docs/DEPLOY.md).


class CardLeaseRow(SQLModel, table=True):
    """Which bot process may edit a shared card right now, when the card was last edited, a
    digest of what it shows and when that edit was asked for. `card_key` is a hash of the chat
    and the card; no text, no people. Rows of cards idle for a day go with the daily purge."""

    __tablename__ = "card_lease"

    card_key: str = Field(primary_key=True, max_length=64)
    holder: str | None = Field(default=None, max_length=64)
    expires_at: datetime = Field(sa_column=_utc_column(nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=_utc_column())
    shown: str | None = Field(default=None, max_length=64)
    requested: float | None = None  # when the shown edit was asked for (seconds since 1970)


class AskingCountRow(SQLModel, table=True):
    """How many questions someone asked on a board within one minute (`bucket`, minutes since
    1970), under a tag derived from their board-scoped asking key and the minute, so rows of
    different minutes cannot be joined. No question, no time finer than the minute; rows go
    once they are older than the limit's window. Used on PostgreSQL only."""

    __tablename__ = "asking_count"
    __table_args__ = {"sqlite_with_rowid": False}

    tag: str = Field(primary_key=True, max_length=64)
    bucket: int = Field(index=True)
    count: int = 0


class TimerRunRow(SQLModel, table=True):
    """When a periodic job (the daily purge) last ran, so that only one process runs it."""

    __tablename__ = "timer_run"

    job: str = Field(primary_key=True, max_length=64)
    last_run_at: datetime = Field(sa_column=_utc_column(nullable=False))


class OutgoingRow(SQLModel, table=True):
    """A message the bot has promised to send and not yet seen arrive: written before the
    person's request is answered, deleted once the message arrived (and was bound to its item)
    or was given up and reported. `state`: "queued" (not on the wire, safe to send), "sending"
    (a POST may be under way: never posted again, reported instead), "sent" (arrived as
    `activity_id`, the binding still to be written). `owner` is the bot process that sends it
    while `claimed_until` lies ahead; another process takes rows whose claim ran out.
    Private messages carry `member_id` and `tenant_id` until their chat is opened; nothing
    else about people, and no row outlives its delivery."""

    __tablename__ = "outgoing"

    id: str = Field(primary_key=True, max_length=32)
    service_url: str = Field(max_length=512)
    conversation_id: str = Field(default="", max_length=512)
    bot_id: str = Field(default="", max_length=256)
    tenant_id: str = Field(default="", max_length=128)
    member_id: str | None = Field(default=None, max_length=256)
    activity: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    binding_kind: str | None = Field(default=None, max_length=32)
    binding_ref: str | None = Field(default=None, max_length=64)
    notice_conversation: str | None = Field(default=None, max_length=512)
    notice_locale: str | None = Field(default=None, max_length=16)
    state: str = Field(default="queued", max_length=16)
    activity_id: str | None = Field(default=None, max_length=256)
    owner: str = Field(max_length=32)
    claimed_until: datetime = Field(sa_column=_utc_column(nullable=False))
    queued_at: datetime = Field(sa_column=_utc_column(nullable=False))
    __table_args__ = (Index("ix_outgoing_claimed_until", "claimed_until"),)
