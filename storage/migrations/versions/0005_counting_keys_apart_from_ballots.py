"""The people counted towards a poll's next breakdown are kept under keys of their own.

`poll_disclosure_voter` held the ballots' own keys, so a copy of the database files showed which
ballot rows (with their choices) were cast or changed since the last breakdown: with fewer than
the minimum of people since, an observer who knew who clicked last could read their ballot. The
table now holds a counting key (an HMAC of the person scoped to "counting:<poll>", not joinable
with the ballot's "poll:<poll>" key) in the column `counting_key`.

Existing rows: the table is emptied (the counting keys cannot be derived without the secret).
Open polls then count afresh: their cards move once the minimum of people voted after the
upgrade, never sooner than before. A reopened poll that may close again only once nobody or the
minimum voted since counts at least one person per ballot added since its last breakdown; a
vote changed there before the upgrade is no longer counted.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision: str | None = '0004'
branch_labels: str | None = None
depends_on: str | None = None


def _table(key: str) -> None:
    op.create_table(
        "poll_disclosure_voter",
        sa.Column("poll_id", sa.String(64), sa.ForeignKey("poll.id"), primary_key=True),
        sa.Column(key, sa.String(64), primary_key=True),
        sqlite_with_rowid=False)


def upgrade() -> None:
    op.drop_table("poll_disclosure_voter")
    _table("counting_key")


def downgrade() -> None:
    op.drop_table("poll_disclosure_voter")
    _table("voter_key")
