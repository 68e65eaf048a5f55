"""activity log index covering the province view's grouped reads (replaces ix_activitylog_commune_date)

The province view (``storage.traffic_facts``) sums a month of every commune's activity logs by
commune and activity, and takes each unit's first log of the month. With the columns it reads in
the index, PostgreSQL and SQLite answer from the index alone; measured at the bench's 16× data
(100 communes, 1.24 M rows) on PostgreSQL, interleaved, warm cache: a month's totals 23 → 10 ms
(a complete month 48 → 34 ms), the first logs 20 → 11 ms (56 → 34 ms) (bench/README.md, "Province
view at scale"). The old index (commune_id, on_date) is a prefix of the new one, so it is dropped:
one index to maintain on insert, as before.

Revision ID: 0016_province_index
Revises: 0015_shared_indicators
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0016_province_index'
down_revision: str | None = '0015_shared_indicators'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = ['unit_id', 'activity', 'count', 'created_at']


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':  # key columns, then the rest carried in the leaves
        op.create_index('ix_activitylog_commune_date_cover', 'activitylog', ['commune_id', 'on_date'],
                        postgresql_include=COVERED)
    else:  # SQLite has no INCLUDE: the same columns as keys make it covering
        op.create_index('ix_activitylog_commune_date_cover', 'activitylog', ['commune_id', 'on_date', *COVERED])
    op.drop_index('ix_activitylog_commune_date', table_name='activitylog')


def downgrade() -> None:
    op.create_index('ix_activitylog_commune_date', 'activitylog', ['commune_id', 'on_date'])
    op.drop_index('ix_activitylog_commune_date_cover', table_name='activitylog')
