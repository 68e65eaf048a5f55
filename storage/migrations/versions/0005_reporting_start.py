"""commune reporting start date, filled from the first plan's import day

Revision ID: 0005_reporting_start
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '0005_reporting_start'
down_revision: str | None = '0004_person_merge'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _local_day(value: datetime | str) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_TZ).date()


def upgrade() -> None:
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporting_start', sa.Date(), nullable=True))
    conn = op.get_bind()
    firsts = conn.execute(sa.text(
        "SELECT commune_id, MIN(imported_at) FROM plan GROUP BY commune_id")).all()
    for commune_id, first in firsts:
        if first is not None:
            conn.execute(sa.text("UPDATE commune SET reporting_start = :d WHERE id = :id"),
                         {"d": _local_day(first), "id": commune_id})


def downgrade() -> None:
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.drop_column('reporting_start')
