"""The first schema: every table as Resonanz created them before it had migrations.

`tables()` is that schema written out here, not taken from storage.tables (which moves on with
later revisions), because it is also what a database made before migrations existed is checked
against before it is adopted (storage.migrations). Ballots, upvotes, participation keys and
asking counts are SQLite tables WITHOUT ROWID: no hidden row number tells in which order they
were written.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
)

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = DateTime(timezone=True)


def tables() -> MetaData:
    """The first revision's tables, columns, keys and indexes."""
    schema = MetaData()
    Table(
        "chat", schema,
        Column("conversation_id", String(512), primary_key=True),
        Column("service_url", String(512), nullable=False),
        Column("tenant_id", String(128), nullable=False),
        Column("bot_id", String(256), nullable=False),
        Column("meeting_id", String(512)),
    )
    Table(
        "poll", schema,
        Column("id", String(64), primary_key=True),
        Column("conversation_id", String(512), ForeignKey("chat.conversation_id"),
               nullable=False, index=True),
        Column("meeting_id", String(512), index=True),
        Column("creator_key", String(64), nullable=False),
        Column("locale", String(8), nullable=False),
        Column("question", String, nullable=False),
        Column("options_json", String, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("anonymous", Boolean, nullable=False),
        Column("results", String(16), nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("revealed", Boolean, nullable=False),
        Column("created_at", UTC_TIME, nullable=False),
        Column("closes_at", UTC_TIME),
        Column("closed_at", UTC_TIME),
        Column("card_activity_id", String(256)),
    )
    Table(
        "ballot", schema,
        Column("poll_id", String(64), ForeignKey("poll.id"), primary_key=True),
        Column("voter_key", String(64), primary_key=True),
        Column("choices", Integer, nullable=False),
        Column("answer", String),
        Column("voter_name", String(256)),
        sqlite_with_rowid=False,
    )
    Table(
        "poll_disclosure", schema,
        Column("poll_id", String(64), ForeignKey("poll.id"), primary_key=True),
        Column("shown_json", String),
        Column("changes", Integer, nullable=False),
        Column("last_ballot_at", UTC_TIME),
    )
    Table(
        "qna_board", schema,
        Column("id", String(64), primary_key=True),
        Column("conversation_id", String(512), ForeignKey("chat.conversation_id"),
               nullable=False, unique=True),
        Column("meeting_id", String(512), index=True),
        Column("creator_key", String(64), nullable=False),
        Column("locale", String(8), nullable=False),
        Column("mode", String(16), nullable=False),
        Column("created_at", UTC_TIME, nullable=False),
        Column("card_activity_id", String(256)),
    )
    Table(
        "question", schema,
        Column("id", String(64), primary_key=True),
        Column("board_id", String(64), ForeignKey("qna_board.id"), nullable=False, index=True),
        Column("text", String, nullable=False),
        Column("author_name", String(256)),
        Column("status", String(16), nullable=False),
        Column("merged_into", String(64)),
        Column("asked_at", UTC_TIME, nullable=False),
        Column("answered_at", UTC_TIME),
    )
    Table(
        "upvote", schema,
        Column("question_id", String(64), ForeignKey("question.id"), primary_key=True),
        Column("voter_key", String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    Table(
        "presence", schema,
        Column("meeting_id", String(512), primary_key=True),
        Column("member_id", String(256), primary_key=True),
        Column("name", String(256), nullable=False),
        Column("aad_object_id", String(64)),
        Column("present", Boolean, nullable=False),
    )
    Table(
        "breakout", schema,
        Column("id", String(64), primary_key=True),
        Column("conversation_id", String(512), ForeignKey("chat.conversation_id"),
               nullable=False, index=True),
        Column("meeting_id", String(512), index=True),
        Column("creator_key", String(64), nullable=False),
        Column("locale", String(8), nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("source", String(16), nullable=False),
        Column("groups", Integer, nullable=False),
        Column("size", Integer),
        Column("duration_minutes", Integer),
        Column("topics_json", String, nullable=False),
        Column("apart_json", String, nullable=False),
        Column("together_json", String, nullable=False),
        Column("created_at", UTC_TIME, nullable=False),
        Column("started_at", UTC_TIME),
        Column("ends_at", UTC_TIME),
        Column("reminded", Boolean, nullable=False),
        Column("time_up_sent", Boolean, nullable=False),
        Column("card_activity_id", String(256)),
    )
    Table(
        "breakout_member", schema,
        Column("breakout_id", String(64), ForeignKey("breakout.id"), primary_key=True),
        Column("member_id", String(256), primary_key=True),
        Column("name", String(256), nullable=False),
        Column("aad_object_id", String(64)),
        Column("excluded", Boolean, nullable=False),
        Column("group_number", Integer),
        Column("role", String(16)),
    )
    Table(
        "breakout_report", schema,
        Column("breakout_id", String(64), ForeignKey("breakout.id"), primary_key=True),
        Column("group_number", Integer, primary_key=True),
        Column("points_json", String, nullable=False),
        Column("note", String, nullable=False),
        Column("submitted_at", UTC_TIME, nullable=False),
    )
    Table(
        "meeting", schema,
        Column("id", String(64), primary_key=True),
        Column("conversation_id", String(512), ForeignKey("chat.conversation_id"),
               nullable=False, index=True),
        Column("teams_meeting_id", String(512), index=True),
        Column("title", String(512), nullable=False),
        Column("started_at", UTC_TIME, nullable=False),
        Column("ended_at", UTC_TIME),
        Column("attendees", Integer),
        Column("summary_json", String),
        Column("purged", Boolean, nullable=False),
    )
    Table(
        "participation", schema,
        Column("meeting_id", String(64), ForeignKey("meeting.id"), primary_key=True),
        Column("participant_key", String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    Table(
        "report_link", schema,
        Column("token_hash", String(64), primary_key=True),
        Column("meeting_id", String(64), ForeignKey("meeting.id"), nullable=False, index=True),
        Column("language", String(8), nullable=False),
        Column("expires_at", UTC_TIME, nullable=False),
    )
    Table(
        "card_lease", schema,
        Column("card_key", String(64), primary_key=True),
        Column("holder", String(64)),
        Column("expires_at", UTC_TIME, nullable=False),
        Column("edited_at", UTC_TIME),
        Column("shown", String(64)),
        Column("requested", Float),
    )
    Table(
        "asking_count", schema,
        Column("tag", String(64), primary_key=True),
        Column("bucket", Integer, nullable=False, index=True),
        Column("count", Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    Table(
        "timer_run", schema,
        Column("job", String(64), primary_key=True),
        Column("last_run_at", UTC_TIME, nullable=False),
    )
    return schema


def upgrade() -> None:
    tables().create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    tables().drop_all(op.get_bind(), checkfirst=False)
