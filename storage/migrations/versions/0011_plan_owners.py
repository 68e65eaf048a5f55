"""plan document number and issue date (a plan's identity is the document, not the file name)

Revision ID: 0011_plan_owners
Revises: 0009_update_quarantine
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_plan_owners'
down_revision: str | None = '0009_update_quarantine'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('issued_on')
        batch_op.drop_column('number')
