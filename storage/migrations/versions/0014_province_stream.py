"""province stream: the deadline of the communes' compiled report to the province (province.report_due_day)

Revision ID: 0014_province_stream
Revises: 0013_province
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_province_stream'
down_revision: str | None = '0013_province'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch copy: commune and person refer to province).
    op.execute(sa.text("ALTER TABLE province ADD COLUMN report_due_day INTEGER"))


def downgrade() -> None:
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy of province would fail the foreign keys
    # of the communes and people that refer to it. The communes' sent marks (report rows of the stream
    # "province_monthly") stay: they are ordinary report rows, harmless without the stream.
    op.execute(sa.text("ALTER TABLE province DROP COLUMN report_due_day"))
