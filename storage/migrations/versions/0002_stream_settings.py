"""per-commune reporting stream settings

Revision ID: 0002_stream_settings
Revises: 0001
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002_stream_settings'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('streamsetting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['commune.id'], name=op.f('fk_streamsetting_commune_id_commune')),
    sa.ForeignKeyConstraint(['updated_by'], ['person.id'], name=op.f('fk_streamsetting_updated_by_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streamsetting')),
    sa.UniqueConstraint('commune_id', 'name', name=op.f('uq_streamsetting_commune_id_name'))
    )
    with op.batch_alter_table('streamsetting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_streamsetting_commune_id'), ['commune_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('streamsetting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_streamsetting_commune_id'))

    op.drop_table('streamsetting')
