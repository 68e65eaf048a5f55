"""plan document number and issue date (a plan's identity is the document, not the file name);
unit groups (a generic phrase stands for all offices, schools, villages or the lead office); owners
assigned by hand survive re-import

Revision ID: 0011_plan_owners
Revises: 0009_update_quarantine
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision: str = '0011_plan_owners'
down_revision: str | None = '0010_outbox_dead_letter'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy (2026-12-02) of storage.unit_groups.group_members_of and locales.textnorm.fold: a
# migration never imports application code, which changes after the migration is written.
_LEAD_GROUP = "Văn phòng theo dõi (chưa giao đơn vị)"
_RULES = (
    (re.compile(r"\blien quan\b"), "lead"),
    (re.compile(r"\btruong hoc\b|\bcac truong\b|\bco so giao duc\b"), "schools"),
    (re.compile(r"^cac (thon|ban|xom|to dan pho|ap)\b|^thon, to dan pho"), "villages"),
    (re.compile(r"\bphong,? ban\b|\bcbcc\b|\bcan bo,? cong chuc\b|^cac co quan,? don vi\b|"
                r"^cac don vi truc thuoc\b|^cac don vi su nghiep\b|\bchuyen mon\b"), "offices"),
)
_TONE_FIXES = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text or "")).lower()
    text = re.sub("|".join(_TONE_FIXES), lambda m: m.group(0) if m.string[m.end():m.end() + 1].isalpha()
                  else _TONE_FIXES[m.group(0)], re.sub(r"\s+", " ", text))
    text = re.sub(r"\s+", " ", re.sub(r"\s*[-‐‑‒–—―−]\s*", " - ", text)).strip().strip(" .;:,")
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                if unicodedata.category(c) != "Mn"))


def _group_members_of(name: str) -> str | None:
    key = " ".join(_fold(name).replace(".", " ").split())
    if name == _LEAD_GROUP:
        return "lead"
    if not key.startswith(("cac ", "toan the ", "co quan", "don vi", "thon, ")):
        return None
    for pattern, members in _RULES:
        if pattern.search(key):
            return members
    return None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch copy): SQLite would otherwise drop and rebuild tables
    # that other rows point at.
    op.add_column('plan', sa.Column('number', sa.String(), nullable=True))
    op.add_column('plan', sa.Column('issued_on', sa.Date(), nullable=True))
    op.add_column('unit', sa.Column('members', sa.String(), nullable=True))
    for table in ('task', 'indicator'):
        op.add_column(table, sa.Column('owners_assigned', sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    for uid, name in conn.execute(sa.text("SELECT id, name FROM unit WHERE kind IN ('office', 'group')")).all():
        members = _group_members_of(name)
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
