"""inbox of received updates; outbox sending marker

Revision ID: 0003_update_inbox
Revises: 0002_stream_settings
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003_update_inbox'
down_revision: str | None = '0002_stream_settings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inboxupdate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('update_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inboxupdate')),
    sa.UniqueConstraint('channel', 'update_key', name=op.f('uq_inboxupdate_channel_update_key'))
    )
    with op.batch_alter_table('inboxupdate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inboxupdate_claimed_until'), ['claimed_until'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sending_at')
    with op.batch_alter_table('inboxupdate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inboxupdate_claimed_until'))
    op.drop_table('inboxupdate')
