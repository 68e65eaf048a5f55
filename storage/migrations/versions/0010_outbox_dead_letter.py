"""outbox: index for sending each chat's messages in order (dead letters use the existing columns)

Revision ID: 0010_outbox_dead_letter
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0010_outbox_dead_letter'
down_revision: str | None = '0009_update_quarantine'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat_status', ['channel', 'chat_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_status')
