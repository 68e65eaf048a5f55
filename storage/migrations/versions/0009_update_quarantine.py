"""quarantine of updates the bot could not read

Revision ID: 0009_update_quarantine
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009_update_quarantine'
down_revision: str | None = '0008_holidays'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quarantinedupdate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('update_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantinedupdate')),
    sa.UniqueConstraint('channel', 'update_key', name=op.f('uq_quarantinedupdate_channel_update_key'))
    )
    with op.batch_alter_table('quarantinedupdate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantinedupdate_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarantinedupdate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantinedupdate_received_at'))
    op.drop_table('quarantinedupdate')
