"""A question's time is kept to the minute; its place on the board orders one minute's questions.

`question.asked_at` was stored to the microsecond, so a copy of the database files told when each
anonymous question was asked to a fraction of a second, enough to match it with the moment a
colleague was seen typing. It is now stored without seconds, and the new column
`question.number` (its place on its board, from 1) keeps the board's order among the questions of
one minute. The order itself is no secret: the board shows it.

A question asked in a meeting's first minute is kept at the meeting's start rather than before
it (the shell passes the start when it asks), so it stays within its meeting.

Existing rows: numbered per board in their current order (time, then id), then cut to the
minute, no earlier than the start of the meeting of their chat that they were asked in.

Rolling updates on PostgreSQL: instances of the previous release still store questions to the
microsecond and with `number` 0 (first within their minute) until they stop; stop them before
starting this release (docs/DEPLOY.md, "Schema changes and rolling updates").

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision: str | None = '0003'
branch_labels: str | None = None
depends_on: str | None = None

_QUESTION = sa.table("question", sa.column("id", sa.String), sa.column("board_id", sa.String),
                     sa.column("asked_at", sa.DateTime(timezone=True)),
                     sa.column("number", sa.Integer))


_BOARD = sa.table("qna_board", sa.column("id", sa.String),
                  sa.column("conversation_id", sa.String))
_MEETING = sa.table("meeting", sa.column("conversation_id", sa.String),
                    sa.column("started_at", sa.DateTime(timezone=True)),
                    sa.column("ended_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table("question") as table:
        table.add_column(sa.Column("number", sa.Integer, nullable=False, server_default="0"))
        table.create_index("ix_question_board_number", ["board_id", "number"])
    bind = op.get_bind()
    chat_of = dict(bind.execute(sa.select(_BOARD.c.id, _BOARD.c.conversation_id)).all())
    meetings: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for chat, started, ended in bind.execute(sa.select(
            _MEETING.c.conversation_id, _MEETING.c.started_at, _MEETING.c.ended_at)).all():
        meetings.setdefault(chat, []).append((started, ended))
    places: dict[str, int] = {}
    rows = bind.execute(sa.select(_QUESTION.c.id, _QUESTION.c.board_id, _QUESTION.c.asked_at)
                        .order_by(_QUESTION.c.board_id, _QUESTION.c.asked_at, _QUESTION.c.id))
    for question_id, board_id, asked_at in rows.all():
        places[board_id] = places.get(board_id, 0) + 1
        kept = asked_at.replace(second=0, microsecond=0)
        starts = [started for started, ended in meetings.get(chat_of.get(board_id, ""), ())
                  if started <= asked_at and (ended is None or asked_at <= ended)]
        if starts:
            kept = max(kept, max(starts))
        bind.execute(sa.update(_QUESTION).where(_QUESTION.c.id == question_id).values(
            number=places[board_id], asked_at=kept))


def downgrade() -> None:
    with op.batch_alter_table("question") as table:
        table.drop_index("ix_question_board_number")
        table.drop_column("number")
