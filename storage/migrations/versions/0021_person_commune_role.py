"""person index on (commune_id, role): the province view reads a commune's officers, leads and admins

The province view (``storage.traffic_facts._units_statement``, ``storage.people.posts``) and each commune's
/tinhtrang read the staff of the communes by role: at the bench's 16× data 1,501 officers, leads and admins
among 21,501 people (the rest village team members). By ``commune_id`` alone PostgreSQL fetched all 21,501
rows and dropped 20,000 (523 buffers, ~3.6 ms of the units statement); with the role in the key it reads the
1,501 (EXPLAIN ANALYZE in bench/README.md, "Province dashboard, session 10"). ``ix_person_commune_id`` stays
(the model declares it).

Revision ID: 0021_person_commune_role
Revises: 0020_person_joined
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0021_person_commune_role'
down_revision: str | None = '0020_person_joined'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_person_commune_id_role', 'person', ['commune_id', 'role'])


def downgrade() -> None:
    op.drop_index('ix_person_commune_id_role', table_name='person')
