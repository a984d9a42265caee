"""Presence belongs to its chat: keyed by conversation, meeting and person.

Join and leave events were kept under the Teams meeting id alone, so an event in one chat that
named another chat's meeting id changed that meeting's presence list (and its "of N present").
Presence is now kept per conversation (a foreign key to its chat) and meeting.

Existing rows: presence lives only while a meeting runs (it is deleted at the meeting's end),
but a meeting running during the upgrade would lose its list, and since Teams reports each join
once, the joins after the upgrade alone would then make up its "people present". So a row is
kept, under that chat, where exactly one stored chat has the row's meeting id (a meeting chat
has one meeting id, and Teams sends presence to that chat). Rows of a meeting id that several
chats claim are dropped: which of them the events came from is not known, and giving the list
to each would hand one meeting's names to the other chats. Rows of a meeting no chat has are
dropped too: no chat could use them.

The table is rebuilt (dropped and created with the new key) on both databases: every row is
rewritten anyway, and SQLite cannot change a primary key in place.

Rolling updates on PostgreSQL: instances of the previous release store join and leave events
without a conversation, which this table refuses; until they stop, the events they receive are
lost (and answered by them with an apology in the meeting chat). Stop them before starting this
release (docs/DEPLOY.md, "Schema changes and rolling updates").

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision: str | None = '0001'
branch_labels: str | None = None
depends_on: str | None = None

PERSON = ("member_id", "name", "aad_object_id", "present")


def _person_columns() -> list[sa.Column[Any]]:
    return [sa.Column("member_id", sa.String(256), primary_key=True),
            sa.Column("name", sa.String(256), nullable=False),
            sa.Column("aad_object_id", sa.String(64)),
            sa.Column("present", sa.Boolean, nullable=False)]


def _by_conversation() -> sa.Table:
    schema = sa.MetaData()
    sa.Table("chat", schema, sa.Column("conversation_id", sa.String(512), primary_key=True))
    return sa.Table(
        "presence", schema,
        sa.Column("conversation_id", sa.String(512), sa.ForeignKey("chat.conversation_id"),
                  primary_key=True),
        sa.Column("meeting_id", sa.String(512), primary_key=True),
        *_person_columns())


def _by_meeting() -> sa.Table:
    """The table as revision 0001 made it."""
    return sa.Table("presence", sa.MetaData(),
                    sa.Column("meeting_id", sa.String(512), primary_key=True),
                    *_person_columns())


def _rebuild(new: sa.Table, rows: list[dict[str, Any]]) -> None:
    op.drop_table("presence")
    new.create(op.get_bind())
    if rows:
        op.bulk_insert(new, rows)


def upgrade() -> None:
    old = _by_meeting()
    chat = sa.table("chat", sa.column("conversation_id"), sa.column("meeting_id"))
    claimed_once = (sa.select(chat.c.meeting_id).where(chat.c.meeting_id.is_not(None))
                    .group_by(chat.c.meeting_id).having(sa.func.count() == 1))
    kept = op.get_bind().execute(
        sa.select(chat.c.conversation_id, old.c.meeting_id, *(old.c[name] for name in PERSON))
        .join(chat, chat.c.meeting_id == old.c.meeting_id)
        .where(old.c.meeting_id.in_(claimed_once))).mappings().all()
    _rebuild(_by_conversation(), [dict(row) for row in kept])


def downgrade() -> None:
    """Back to one list per meeting id: of a person seen in several chats of one meeting id,
    the row of the first conversation (by id) stays."""
    new = _by_conversation()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in op.get_bind().execute(
            sa.select(new.c.meeting_id, *(new.c[name] for name in PERSON))
            .order_by(new.c.conversation_id)).mappings():
        rows.setdefault((row["meeting_id"], row["member_id"]), dict(row))
    _rebuild(_by_meeting(), list(rows.values()))
