"""closed periods' activity-log facts rolled up per commune (logrollup) and the per-commune version (logrollupstamp)

The province dashboard's months and the province /tinhtrang read a closed period's village figures (each
village team's first log, the activity totals) from ``logrollup`` instead of scanning ~100,000 log rows
per month at the bench's 16× data (``storage.log_rollup``). Rows are filled on first read; every write
that can change a closed period's logs adds one to the commune's ``logrollupstamp.version`` in its own
transaction, and a row counts only while its version is the commune's current one. Both tables start
empty: the first reads fill them.

Revision ID: 0017_log_rollup
Revises: 0016_province_index
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017_log_rollup'
down_revision: str | None = '0016_province_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'logrollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('end', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('activity', sa.String(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('first_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['commune.id'], name=op.f('fk_logrollup_commune_id_commune')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_logrollup')),
        sa.UniqueConstraint('commune_id', 'start', 'end', 'activity', 'unit_id',  # each kind of row: one index range
                            name=op.f('uq_logrollup_commune_id_start_end_activity_unit_id')),
    )
    op.create_table(
        'logrollupstamp',
        sa.Column('commune_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['commune.id'], name=op.f('fk_logrollupstamp_commune_id_commune')),
        sa.PrimaryKeyConstraint('commune_id', name=op.f('pk_logrollupstamp')),
    )


def downgrade() -> None:
    op.drop_table('logrollupstamp')
    op.drop_table('logrollup')
