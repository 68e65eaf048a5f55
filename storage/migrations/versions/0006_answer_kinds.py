"""indicator.answer_kind: number, choice (Đạt/Chưa đạt) or status (qualitative result)

Revision ID: 0006_answer_kinds
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006_answer_kinds'
down_revision: str | None = '0005_reporting_start'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='number'))
    # The same rule as storage.models_plan.answer_kind_for, for plans imported before this revision.
    op.execute("UPDATE indicator SET answer_kind = 'choice' WHERE target_op = 'bool'")
    op.execute("UPDATE indicator SET answer_kind = 'status' WHERE target_op = 'text' "
               "AND (unit IS NULL OR TRIM(unit) = '')")


def downgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('answer_kind')
