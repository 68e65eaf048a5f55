"""when a re-import added a task or indicator to a commune already reporting (task/indicator.created_at)

An office that sent its report for a period before a re-import added an item it owes is asked for that item
once more, for it alone (``storage.item_standing.new_items``). Nullable: every existing item, and every item of
a commune's first plan, stays NULL, "in the plan from the start".

Revision ID: 0019_item_created
Revises: 0018_unit_created
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0019_item_created'
down_revision: str | None = '0018_unit_created'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('task', 'indicator')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Not a batch copy on SQLite: task and indicator are referenced (taskunit, indicatorunit, …), and a copy
    # fails their foreign keys; SQLite (3.35+) drops a plain column in place.
    for table in TABLES:
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN created_at')
        else:
            op.drop_column(table, 'created_at')
