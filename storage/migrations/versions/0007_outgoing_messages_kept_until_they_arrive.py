"""Outgoing messages are kept in the database until they arrive.

The table `outgoing` holds each message the bot has promised to send (a poll card, an answer, a
summary, a private message) from before the request that caused it is answered until the
connector accepted it, so that a restart, a kill -9 or a connector outage loses none and posts
none twice (see bot/delivery/durable.py). New table only; the previous release ignores it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision: str | None = '0006'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('outgoing',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('service_url', sa.String(length=512), nullable=False),
    sa.Column('conversation_id', sa.String(length=512), nullable=False),
    sa.Column('bot_id', sa.String(length=256), nullable=False),
    sa.Column('tenant_id', sa.String(length=128), nullable=False),
    sa.Column('member_id', sa.String(length=256), nullable=True),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('binding_kind', sa.String(length=32), nullable=True),
    sa.Column('binding_ref', sa.String(length=64), nullable=True),
    sa.Column('notice_conversation', sa.String(length=512), nullable=True),
    sa.Column('notice_locale', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('activity_id', sa.String(length=256), nullable=True),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outgoing', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_claimed_until', ['claimed_until'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outgoing', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_claimed_until')

    op.drop_table('outgoing')
