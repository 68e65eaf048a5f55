"""holiday overrides: the deployment's corrections to the public-holiday calendar

Revision ID: 0008_holidays
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008_holidays'
down_revision: str | None = '0007_evidence_files'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('holidayoverride',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidayoverride')),
    sa.UniqueConstraint('day', name=op.f('uq_holidayoverride_day'))
    )


def downgrade() -> None:
    op.drop_table('holidayoverride')
