"""plan document number and issue date (a plan's identity is the document, not the file name);
unit groups (a generic phrase stands for all offices, schools, villages or the lead office); owners
assigned by hand survive re-import

Revision ID: 0011_plan_owners
Revises: 0009_update_quarantine
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_plan_owners'
down_revision: str | None = '0010_outbox_dead_letter'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch copy): SQLite would otherwise drop and rebuild tables
    # that other rows point at.
    op.add_column('plan', sa.Column('number', sa.String(), nullable=True))
    op.add_column('plan', sa.Column('issued_on', sa.Date(), nullable=True))
    op.add_column('unit', sa.Column('members', sa.String(), nullable=True))
    for table in ('task', 'indicator'):
        op.add_column(table, sa.Column('owners_assigned', sa.Boolean(), nullable=False, server_default=sa.false()))
    from storage.unit_groups import group_members_of

    conn = op.get_bind()
    for uid, name in conn.execute(sa.text("SELECT id, name FROM unit WHERE kind IN ('office', 'group')")).all():
        members = group_members_of(name)
        if members:
            conn.execute(sa.text("UPDATE unit SET kind = 'group', members = :m WHERE id = :id"),
                         {"m": members, "id": uid})


def downgrade() -> None:
    for table in ('task', 'indicator'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('owners_assigned')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('members')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('issued_on')
        batch_op.drop_column('number')
