"""indicator partner units ("Cơ quan thực hiện/phối hợp"); a prose target's due ("đến năm 2030");
units named only by a plan (never members of "all offices")

Revision ID: 0012_partner_units
Revises: 0011_plan_owners
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_partner_units'
down_revision: str | None = '0011_plan_owners'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'indicatorpartner',
        sa.Column('indicator_id', sa.Integer(), sa.ForeignKey('indicator.id'), primary_key=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('unit.id'), primary_key=True),
        sa.Column('position', sa.Integer(), nullable=False, server_default='0'),
    )
    op.create_index('ix_indicatorpartner_unit_id', 'indicatorpartner', ['unit_id'], unique=False)
    # Plain ALTER TABLE ADD COLUMN (no batch copy): SQLite would otherwise rebuild referenced tables.
    op.add_column('indicator', sa.Column('due_text', sa.String(), nullable=True))
    op.add_column('indicator', sa.Column('due_date', sa.Date(), nullable=True))
    op.add_column('unit', sa.Column('from_plan', sa.Boolean(), nullable=False, server_default=sa.false()))
    # A unit nobody belongs to, with no sub-unit, that a plan names: it came from a plan, not the org list.
    op.execute(sa.text(
        "UPDATE unit SET from_plan = :yes WHERE kind <> 'group'"
        " AND NOT EXISTS (SELECT 1 FROM person WHERE person.unit_id = unit.id)"
        " AND NOT EXISTS (SELECT 1 FROM unit AS child WHERE child.parent_id = unit.id)"
        " AND (EXISTS (SELECT 1 FROM taskunit WHERE taskunit.unit_id = unit.id)"
        "      OR EXISTS (SELECT 1 FROM indicatorunit WHERE indicatorunit.unit_id = unit.id))"
    ).bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('from_plan')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('due_date')
        batch_op.drop_column('due_text')
    op.drop_index('ix_indicatorpartner_unit_id', table_name='indicatorpartner')
    op.drop_table('indicatorpartner')
