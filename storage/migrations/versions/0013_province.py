"""provinces: communes belong to a province; the province office's people and invites

Revision ID: 0013_province
Revises: 0012_partner_units
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013_province'
down_revision: str | None = '0012_partner_units'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table(
        'province',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('key', sa.String(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index('ix_province_key', 'province', ['key'], unique=True)
    # Plain ALTER TABLE ADD COLUMN … REFERENCES (no batch copy: SQLite would rebuild the tables others
    # refer to, and cannot ALTER a named constraint in); SQLite and PostgreSQL both accept this form.
    for table in ('commune', 'person', 'invite'):
        op.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN province_id INTEGER REFERENCES province (id)"))
    op.create_index('ix_commune_province_id', 'commune', ['province_id'], unique=False)
    with op.batch_alter_table('invite', schema=None) as batch_op:  # a province invite names no unit
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM invite WHERE unit_id IS NULL"))
    with op.batch_alter_table('invite', schema=None) as batch_op:  # no table refers to invite: safe to copy
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('province_id')
    # A bot without the province view must not treat the province office as someone of its anchor commune.
    op.execute(sa.text("UPDATE person SET anonymised_at = CURRENT_TIMESTAMP WHERE role = 'province'"))
    op.drop_index('ix_commune_province_id', table_name='commune')
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy of commune or person, which many tables
    # refer to, would fail the foreign keys of their rows.
    for table in ('commune', 'person'):
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN province_id"))
    op.drop_index('ix_province_key', table_name='province')
    op.drop_table('province')
