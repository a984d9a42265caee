"""A poll's disclosure state keeps no time, and counts people rather than ballot events.

`poll_disclosure.last_ballot_at` was written in every vote's transaction, so a copy of the
database files gave each ballot's moment (and, with the ballot written beside it, its choice).
The card no longer catches up after voting has been quiet, so nothing needs that time: the column
goes. `poll_disclosure.changes` counted ballot events since the breakdown shown, so one person
changing their vote three times counted as three; it is replaced by `poll_disclosure_voter`, the
poll-scoped keys of those who cast or changed a ballot since (the same keys the ballot rows hold),
emptied each time a breakdown is shown.

Existing rows: open polls start counting afresh; their card shows its current breakdown until
the minimum of people voted again (never sooner than before).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision: str | None = '0002'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "poll_disclosure_voter",
        sa.Column("poll_id", sa.String(64), sa.ForeignKey("poll.id"), primary_key=True),
        sa.Column("voter_key", sa.String(64), primary_key=True),
        sqlite_with_rowid=False)
    with op.batch_alter_table("poll_disclosure") as table:
        table.drop_column("last_ballot_at")
        table.drop_column("changes")


def downgrade() -> None:
    with op.batch_alter_table("poll_disclosure") as table:
        table.add_column(sa.Column("changes", sa.Integer, nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("last_ballot_at", sa.DateTime(timezone=True)))
    voters = sa.table("poll_disclosure_voter", sa.column("poll_id"))
    disclosure = sa.table("poll_disclosure", sa.column("poll_id"), sa.column("changes"))
    counted = (sa.select(sa.func.count()).select_from(voters)
               .where(voters.c.poll_id == disclosure.c.poll_id).scalar_subquery())
    op.get_bind().execute(sa.update(disclosure).values(changes=counted))
    with op.batch_alter_table("poll_disclosure") as table:
        table.alter_column("changes", server_default=None)
    op.drop_table("poll_disclosure_voter")
