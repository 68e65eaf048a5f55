"""when a person took up their post and left it (person.joined_at, person.left_at, personpost)

Who was on a unit's staff when a period was due decides whether an office owed it (an office with an
officer), which offices a group item stands for (the lead's), who is reminded (``storage.people.staff``).
Dating it keeps a closed month's figures when people come, move or leave later. The columns are
nullable and no row is dated: everyone already there has "always" been there, and a person anonymised
before this revision (no ``left_at``) stays gone from every period, as before: no figure changes on
upgrade. ``personpost`` (empty at first) keeps the earlier posts of a person who moved.

Revision ID: 0020_person_joined
Revises: 0019_item_created
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020_person_joined'
down_revision: str | None = '0019_item_created'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        'personpost',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_personpost_person_id_person')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_personpost_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personpost')),
    )
    op.create_index(op.f('ix_personpost_person_id'), 'personpost', ['person_id'], unique=False)
    op.create_index(op.f('ix_personpost_unit_id'), 'personpost', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_personpost_unit_id'), table_name='personpost')
    op.drop_index(op.f('ix_personpost_person_id'), table_name='personpost')
    op.drop_table('personpost')
    # Not a batch copy on SQLite: the person table is referenced by a dozen others (as unit, 0018);
    # SQLite (3.35+) drops a plain column in place.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE person DROP COLUMN left_at')
        op.execute('ALTER TABLE person DROP COLUMN joined_at')
    else:
        op.drop_column('person', 'left_at')
        op.drop_column('person', 'joined_at')
