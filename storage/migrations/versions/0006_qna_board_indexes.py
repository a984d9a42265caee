"""The Q&A board is read by state: an index on (board_id, status) for its counts and sections.

A board of 10,000 questions is no longer loaded whole per question asked (storage/qna_board.py):
its counts are a GROUP BY status and each section (being answered, open, answered, pending) a
query on one state; with this index they read the board's index entries, not its rows.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = '0006'
down_revision: str | None = '0005'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_board_status', ['board_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_board_status')
