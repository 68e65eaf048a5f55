"""shared indicators: a province's indicator list and each commune indicator's confirmed or rejected match

Revision ID: 0015_shared_indicators
Revises: 0014_province_stream
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015_shared_indicators'
down_revision: str | None = '0014_province_stream'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'provinceindicator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('unit', sa.String(), nullable=True),
        sa.Column('target_text', sa.String(), nullable=False),
        sa.Column('target_op', sa.String(), nullable=False),
        sa.Column('target_value', sa.Numeric(18, 4), nullable=True),
        sa.Column('target_bool', sa.Boolean(), nullable=True),
        sa.Column('source_file', sa.String(), nullable=True),
        sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['province_id'], ['province.id'], ondelete='CASCADE',
                                name='fk_provinceindicator_province_id_province'),
        sa.PrimaryKeyConstraint('id', name='pk_provinceindicator'),
        sa.UniqueConstraint('province_id', 'code', name='uq_provinceindicator_province_id_code'),
    )
    op.create_index('ix_provinceindicator_province_id', 'provinceindicator', ['province_id'], unique=False)
    op.create_table(
        'indicatormatch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('province_indicator_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('name_then', sa.String(), nullable=False),
        sa.Column('decided_by', sa.String(), nullable=False),
        sa.Column('decided_by_person_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ondelete='CASCADE',
                                name='fk_indicatormatch_indicator_id_indicator'),
        sa.ForeignKeyConstraint(['province_indicator_id'], ['provinceindicator.id'], ondelete='CASCADE',
                                name='fk_indicatormatch_province_indicator_id_provinceindicator'),
        sa.ForeignKeyConstraint(['decided_by_person_id'], ['person.id'],
                                name='fk_indicatormatch_decided_by_person_id_person'),
        sa.PrimaryKeyConstraint('id', name='pk_indicatormatch'),
        sa.UniqueConstraint('indicator_id', 'province_indicator_id',
                            name='uq_indicatormatch_indicator_id_province_indicator_id'),
    )
    op.create_index('ix_indicatormatch_indicator_id', 'indicatormatch', ['indicator_id'], unique=False)
    op.create_index('ix_indicatormatch_province_indicator_id', 'indicatormatch', ['province_indicator_id'],
                    unique=False)
    op.create_index('ux_indicatormatch_confirmed', 'indicatormatch', ['indicator_id'], unique=True,
                    sqlite_where=sa.text("status = 'confirmed'"), postgresql_where=sa.text("status = 'confirmed'"))


def downgrade() -> None:
    op.drop_index('ux_indicatormatch_confirmed', table_name='indicatormatch')
    op.drop_index('ix_indicatormatch_province_indicator_id', table_name='indicatormatch')
    op.drop_index('ix_indicatormatch_indicator_id', table_name='indicatormatch')
    op.drop_table('indicatormatch')
    op.drop_index('ix_provinceindicator_province_id', table_name='provinceindicator')
    op.drop_table('provinceindicator')
