"""evidence files: attachments point into the file store, know their kind and the report item

Revision ID: 0007_evidence_files
Revises: 0003_update_inbox
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007_evidence_files'
down_revision: str | None = '0006_answer_kinds'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('item_ref_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='photo'))
        batch_op.add_column(sa.Column('file_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachment_file_key'), ['file_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_report_id'), ['report_id'], unique=False)
    # Before this revision a Telegram voice note, video or location was kept as a "photo" with an empty
    # file reference: they were never photos and hold nothing to look at.
    op.execute("UPDATE attachment SET kind = 'other' WHERE file_ref = ''")


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_report_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_file_key'))
        batch_op.drop_column('file_name')
        batch_op.drop_column('mime')
        batch_op.drop_column('size')
        batch_op.drop_column('file_key')
        batch_op.drop_column('kind')
        batch_op.drop_column('item_ref_id')
        batch_op.drop_column('item_kind')
