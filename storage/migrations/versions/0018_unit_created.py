"""when a unit was added to a commune already reporting (unit.created_at)

A unit owes a period only if it existed when the period was due (``storage.units.existed_by``): an office
or a village team added in January does not turn a closed December into "missing". The column is nullable:
every existing unit, and every unit of a commune's tree set up before it reports, stays NULL, "always
existed".

Revision ID: 0018_unit_created
Revises: 0017_log_rollup
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018_unit_created'
down_revision: str | None = '0017_log_rollup'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Not a batch copy on SQLite: dropping and renaming the referenced unit table fails its foreign keys
    # (on while migrating); SQLite (3.35+) drops a plain column in place.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE unit DROP COLUMN created_at')
    else:
        op.drop_column('unit', 'created_at')
