"""merge twin person records and duplicate units (one record per human, one unit per unit)

Revision ID: 0004_person_merge
Revises: 0003_update_inbox
Create Date: 2026-12-01

Data only. People who joined with an invite although they were already on the org list became a
second record; unit names spelled differently ("Phòng Văn hóa - Xã hội" / "Phòng Văn hoá – Xã hội")
became two units. This merges them, audited (auditlog rows "unit.merge" / "person.merge").

The name normalisers and the merge statements below are a frozen copy of ``locales.textnorm`` and
``storage.merge`` as of this revision: a migration must do tomorrow what it did when it was written,
so it imports no application code (which will change). ``cdsbot person merge`` uses storage.merge.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from alembic import op
from sqlalchemy import JSON, DateTime, Integer, String, column, insert, inspect, table, text
from sqlalchemy.engine import Connection

revision: str = '0004_person_merge'
down_revision: str | None = '0003_update_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# ---- frozen copy of locales.textnorm (2026-12-01) ------------------------------------------------
# Old-style tone placement ("hoá", "thuỷ") → new style ("hóa", "thủy"), applied after NFC.
_TONE_FIXES = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_TONE_RE = re.compile("|".join(_TONE_FIXES))
_DASHES = re.compile(r"\s*[-‐‑‒–—―−]\s*")
_SPACES = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _fix_tones(text: str) -> str:
    # Only fix when the vowel pair ends the syllable ("hoá" but not "hoán").
    def repl(m: re.Match[str]) -> str:
        end = m.end()
        nxt = m.string[end : end + 1]
        if nxt and nxt.isalpha():
            return m.group(0)
        return _TONE_FIXES[m.group(0)]

    return _TONE_RE.sub(repl, text)


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics (đ → d), keeping case."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def normalize_name(text: str) -> str:
    """Canonical key for a unit or person name: NFC, new tone placement, one dash, lower case,
    single spaces, no trailing dots or punctuation. Diacritics are kept."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text or ""))
    text = text.lower()
    text = _fix_tones(_SPACES.sub(" ", text))
    text = _DASHES.sub(" - ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.strip(" .;:,")


def fold(text: str) -> str:
    """Loose key for matching typed input: ``normalize_name`` then no diacritics."""
    return strip_diacritics(normalize_name(text))


# unit_key: abbreviations → full words, applied in order to normalize_name() output.
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"\bvpubnd\b", "văn phòng ubnd"),
        (r"^vp\b", "văn phòng"),
        (r"^tt\b", "trung tâm"),
        (r"\bkh\s*(?:&|và| - )\s*cn\b|\bkhcn\b", "khoa học và công nghệ"),
        (r"\bvh(?: - |\s*)xh\b", "văn hóa - xã hội"),
        (r"\bvăn hóa(?: và |, | / | )xã hội\b", "văn hóa - xã hội"),
        (r"\bpv\s*hcc\b|\bpvhcc\b", "phục vụ hành chính công"),
        (r"\bhcc\b", "hành chính công"),
        (r"\bubmttq(?:vn)?\b", "ủy ban mttq"),
        (r"\bmttq(?:vn)?\b", "mặt trận tổ quốc"),
        (r"\bmặt trận tổ quốc việt nam\b", "mặt trận tổ quốc"),
        (r"\bubnd\b", "ủy ban nhân dân"),
        (r"\bh[đd]nd\b", "hội đồng nhân dân"),
        (r"\blhpn\b", "liên hiệp phụ nữ"),
        (r"\bbc[đd]\b", "ban chỉ đạo"),
        (r"\bhtx\b", "hợp tác xã"),
        (r"\bc[đd]s\b", "chuyển đổi số"),
        (r"\s*&\s*", " và "),
        (r"\s*\((?:xã|phường)\)$", ""),
        (r"(?<!hợp tác)\s+(?:cấp\s+)?(?:xã|xa|phường|phuong)(?:\s*/\s*(?:xã|phường))?$", ""),
    )
)


def unit_key(name: str, commune: str | None = None) -> str:
    """The one matching key for a unit name (org import, plan import, invites, chat):
    ``normalize_name`` (case, spaces, dashes, old/new tone marks), abbreviations spelled out, no
    trailing "xã"/"phường" nor "xã <commune>" when the commune's key is given. Diacritics are kept:
    "Thôn Na Pai" and "Thôn Nà Pài" may be two villages."""
    key = normalize_name(_SPACES.sub(" ", name or ""))  # collapse first: keeps long input linear
    if commune:
        for suffix in (f" xã {commune}", f" phường {commune}"):
            if key.endswith(suffix):
                key = key[: -len(suffix)]
                break
    for pattern, repl in _ABBREVIATIONS:
        key = pattern.sub(repl, key)
    return _SPACES.sub(" ", key).strip(" .;:,")


def _commune_key(name: str) -> str:
    key = normalize_name(name)
    for prefix in ("ubnd ", "ủy ban nhân dân ", "xã ", "phường ", "đặc khu "):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


def _person_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", fold(name or "")).split())


# ---- frozen copy of storage.merge (2026-12-01) ---------------------------------------------------
# (table, column) pairs that point at person.id / unit.id.
PERSON_REFS: tuple[tuple[str, str], ...] = (
    ("identity", "person_id"), ("linkcode", "person_id"), ("activitylog", "person_id"),
    ("attachment", "person_id"), ("report", "person_id"), ("reportrevision", "person_id"),
    ("outbox", "person_id"), ("reminderlog", "person_id"), ("auditlog", "actor_person_id"),
    ("invite", "created_by"), ("streamsetting", "updated_by"),
)
UNIT_REFS: tuple[tuple[str, str], ...] = (
    ("person", "unit_id"), ("invite", "unit_id"), ("activitylog", "unit_id"), ("unit", "parent_id"),
)
_ROLE_RANK = {"member": 0, "officer": 1, "lead": 2, "admin": 3}
_CHAT_FIELDS = ("locale", "preferred_channel", "last_channel", "weekend_reminders", "consent_at",
                "consent_version")


def _refs(conn: Connection, target: str, known: tuple[tuple[str, str], ...],
          skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``known`` plus every other single-column foreign key to ``target`` in the live schema, so a
    table added later (by a later migration) is never left pointing at a deleted row."""
    insp = inspect(conn)
    found = [(t, fk["constrained_columns"][0]) for t in insp.get_table_names() if t not in skip
             for fk in insp.get_foreign_keys(t)
             if fk.get("referred_table") == target and len(fk.get("constrained_columns") or ()) == 1]
    return list(dict.fromkeys([*known, *found]))


def _row(conn: Connection, sql: str, **params: Any) -> dict[str, Any] | None:
    got = conn.execute(text(sql), params).mappings().first()
    return dict(got) if got else None


_AUDIT = table("auditlog", column("at", DateTime(timezone=True)), column("actor_person_id", Integer),
               column("action", String), column("target", String), column("detail", JSON))


def _audit(conn: Connection, action: str, target: str, detail: dict[str, Any], actor: int | None) -> None:
    conn.execute(insert(_AUDIT).values(at=datetime.now(UTC), actor_person_id=actor, action=action,
                                       target=target, detail=json.loads(json.dumps(detail, default=str))))


def person_summary(conn: Connection, person_id: int) -> dict[str, Any] | None:
    """What an operator needs to choose: the record, its chat accounts and how much hangs on it."""
    p = _row(conn, "SELECT id, commune_id, unit_id, name, phone, role, consent_at, anonymised_at "
                   "FROM person WHERE id = :id", id=person_id)
    if p is None:
        return None
    p["identities"] = [f"{r[0]}:{r[1]}" for r in conn.execute(text(
        "SELECT channel, external_id FROM identity WHERE person_id = :id ORDER BY id"), {"id": person_id})]
    p["rows"] = {f"{t}.{c}": conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE {c} = :id"),  # noqa: S608
                                          {"id": person_id}).scalar_one() for t, c in PERSON_REFS}
    return p


def choose_keeper(conn: Connection, ids: Iterable[int]) -> int:
    """The record to keep among twins: the listed one (has a phone, never joined), else the oldest."""
    def rank(pid: int) -> tuple[int, int, int]:
        p = _row(conn, "SELECT phone FROM person WHERE id = :id", id=pid) or {}
        joined = conn.execute(text("SELECT COUNT(*) FROM identity WHERE person_id = :id"), {"id": pid}).scalar_one()
        return (0 if p.get("phone") else 1, 1 if joined else 0, pid)

    return min(ids, key=rank)


def merge_people(conn: Connection, keep: int, drop: int, *, actor: int | None = None,
                 reason: str = "operator") -> dict[str, int]:
    """Move everything of person ``drop`` to ``keep`` and delete ``drop``. Returns rows moved per table."""
    if keep == drop:
        raise ValueError("cannot merge a person with itself")
    k = _row(conn, "SELECT * FROM person WHERE id = :id", id=keep)
    d = _row(conn, "SELECT * FROM person WHERE id = :id", id=drop)
    if k is None or d is None:
        raise ValueError(f"no person #{drop if k else keep}")
    if k["commune_id"] != d["commune_id"]:
        raise ValueError("the two people belong to different communes")
    moved: dict[str, int] = {}
    # Reminder stages already sent stay sent: their keys ("stream:period:person:stage") follow the person.
    new_key = "stream || ':' || period || ':' || CAST(:keep AS VARCHAR(20)) || ':' || stage"
    conn.execute(text(f"UPDATE reminderlog SET key = {new_key}, person_id = :keep WHERE person_id = :drop "  # noqa: S608
                      f"AND {new_key} NOT IN (SELECT key FROM reminderlog WHERE person_id = :keep)"),
                 {"keep": keep, "drop": drop})
    conn.execute(text("DELETE FROM reminderlog WHERE person_id = :drop"), {"drop": drop})
    for tbl, col in _refs(conn, "person", PERSON_REFS):
        n = conn.execute(text(f"UPDATE {tbl} SET {col} = :keep WHERE {col} = :drop"),  # noqa: S608
                         {"keep": keep, "drop": drop}).rowcount
        if n:
            moved[f"{tbl}.{col}"] = n
    # The record that joined carries the chat settings and the consent given by this human.
    take_chat = k["consent_at"] is None and d["consent_at"] is not None
    values = {f: (d[f] if take_chat else k[f]) for f in _CHAT_FIELDS}
    values["phone"] = k["phone"] or d["phone"]
    values["unit_id"] = k["unit_id"] or d["unit_id"]
    values["role"] = max((k["role"], d["role"]), key=lambda r: _ROLE_RANK.get(r, 0))
    conn.execute(text("UPDATE person SET phone = NULL WHERE id = :drop"), {"drop": drop})
    conn.execute(text("UPDATE person SET " + ", ".join(f"{f} = :{f}" for f in values) + " WHERE id = :id"),
                 {**values, "id": keep})
    conn.execute(text("DELETE FROM person WHERE id = :drop"), {"drop": drop})
    _audit(conn, "person.merge", f"person:{keep}", {"dropped": drop, "moved": moved, "reason": reason}, actor)
    return moved


def merge_units(conn: Connection, keep: int, drop: int, *, actor: int | None = None,
                reason: str = "operator") -> dict[str, int]:
    """Move people, invites, logs, plan links and reports of unit ``drop`` to ``keep``; delete ``drop``.

    Where both units reported the same period the later submission stays; the other one's answers
    are kept in the audit log (its evidence moves to the report that stays)."""
    if keep == drop:
        raise ValueError("cannot merge a unit with itself")
    moved: dict[str, int] = {}
    for link, col in (("taskunit", "task_id"), ("indicatorunit", "indicator_id")):
        conn.execute(text(f"DELETE FROM {link} WHERE unit_id = :drop AND {col} IN "  # noqa: S608
                          f"(SELECT {col} FROM {link} WHERE unit_id = :keep)"), {"keep": keep, "drop": drop})
        n = conn.execute(text(f"UPDATE {link} SET unit_id = :keep WHERE unit_id = :drop"),  # noqa: S608
                         {"keep": keep, "drop": drop}).rowcount
        if n:
            moved[link] = n
    dropped_reports = []
    for rep in conn.execute(text("SELECT d.id AS d_id, d.submitted_at AS d_at, k.id AS k_id, "
                                 "k.submitted_at AS k_at FROM report d JOIN report k ON k.period_id = d.period_id "
                                 "WHERE d.unit_id = :drop AND k.unit_id = :keep"),
                            {"keep": keep, "drop": drop}).mappings().all():
        winner, loser = (rep["d_id"], rep["k_id"]) if rep["d_at"] > rep["k_at"] else (rep["k_id"], rep["d_id"])
        items = [{k: v for k, v in r.items() if k not in ("id", "report_id")} for r in conn.execute(
            text("SELECT * FROM reportitem WHERE report_id = :id ORDER BY id"), {"id": loser}).mappings()]
        head = _row(conn, "SELECT * FROM report WHERE id = :id", id=loser)
        dropped_reports.append({**(head or {}), "report": loser, "kept": winner, "items": items})
        for tbl, col in _refs(conn, "report", (("attachment", "report_id"),), skip=("reportitem", "reportrevision")):
            conn.execute(text(f"UPDATE {tbl} SET {col} = :w WHERE {col} = :l"), {"w": winner, "l": loser})  # noqa: S608
        conn.execute(text("DELETE FROM reportitem WHERE report_id = :l"), {"l": loser})
        conn.execute(text("DELETE FROM reportrevision WHERE report_id = :l"), {"l": loser})
        conn.execute(text("DELETE FROM report WHERE id = :l"), {"l": loser})
        if winner == rep["d_id"]:  # the later report was the drop unit's: it now belongs to keep
            conn.execute(text("UPDATE report SET unit_id = :keep WHERE id = :w"), {"keep": keep, "w": winner})
    n = conn.execute(text("UPDATE report SET unit_id = :keep WHERE unit_id = :drop"),
                     {"keep": keep, "drop": drop}).rowcount
    if n:
        moved["report"] = n
    for tbl, col in _refs(conn, "unit", UNIT_REFS, skip=("report", "taskunit", "indicatorunit")):
        n = conn.execute(text(f"UPDATE {tbl} SET {col} = :keep WHERE {col} = :drop"),  # noqa: S608
                         {"keep": keep, "drop": drop}).rowcount
        if n:
            moved[f"{tbl}.{col}"] = n
    conn.execute(text("UPDATE unit SET parent_id = NULL WHERE id = :keep AND parent_id = :keep"), {"keep": keep})
    name = conn.execute(text("SELECT name FROM unit WHERE id = :drop"), {"drop": drop}).scalar_one_or_none()
    conn.execute(text("DELETE FROM unit WHERE id = :drop"), {"drop": drop})
    _audit(conn, "unit.merge", f"unit:{keep}", {"dropped": drop, "dropped_name": name, "moved": moved,
                                                "conflicting_reports": dropped_reports, "reason": reason}, actor)
    return moved


# ---- the migration -------------------------------------------------------------------------------
def _merge_units(conn: Connection) -> None:
    communes = {r.id: _commune_key(r.name) for r in conn.execute(text("SELECT id, name FROM commune"))}
    rows = conn.execute(text("SELECT id, commune_id, name, key FROM unit ORDER BY id")).all()
    groups: dict[tuple[int, str], list[Any]] = {}
    for r in rows:
        groups.setdefault((r.commune_id, unit_key(r.name, communes.get(r.commune_id))), []).append(r)
    rekey = []
    for (_commune, key), units in groups.items():
        keep = units[0]
        for drop in units[1:]:
            merge_units(conn, keep.id, drop.id, reason="migration 0004: same unit name")
        if keep.key != key:
            rekey.append((keep.id, key))
    for uid, _key in rekey:  # two passes: a new key may be another unit's old one
        conn.execute(text("UPDATE unit SET key = :key WHERE id = :id"), {"key": f"#{uid}", "id": uid})
    for uid, key in rekey:
        conn.execute(text("UPDATE unit SET key = :key WHERE id = :id"), {"key": key, "id": uid})


def _joined(conn: Connection) -> set[int]:
    return {r[0] for r in conn.execute(text("SELECT DISTINCT person_id FROM identity"))}


def _merge_group(conn: Connection, ids: list[int], why: str) -> None:
    keep = choose_keeper(conn, ids)
    for pid in ids:
        if pid != keep:
            merge_people(conn, keep, pid, reason=f"migration 0004: {why}")


def _merge_people(conn: Connection) -> None:
    live = "SELECT id, commune_id, unit_id, name, phone FROM person WHERE anonymised_at IS NULL ORDER BY id"
    by_phone: dict[tuple[int, str, str], list[Any]] = {}
    for r in conn.execute(text(live)).all():
        if r.phone:  # a family may share a phone: the name must be the same too
            by_phone.setdefault((r.commune_id, r.phone, _person_key(r.name)), []).append(r)
    for rows in by_phone.values():
        for ids in _same_spelling(rows):
            if len(ids) > 1:
                _merge_group(conn, ids, "same phone and name")
    joined = _joined(conn)
    by_name: dict[tuple[int, int | None, str], list[Any]] = {}
    for r in conn.execute(text(live)).all():
        by_name.setdefault((r.commune_id, r.unit_id, _person_key(r.name)), []).append(r)
    for rows in by_name.values():
        for ids in _same_spelling(rows):
            if len(ids) > 1 and sum(i in joined for i in ids) <= 1:  # two who both joined are two humans
                _merge_group(conn, ids, "same name in the same unit")


def _same_spelling(rows: list[Any]) -> list[list[int]]:
    """Split records whose names fold alike: "Lo Thi Bich" goes with the one "Lò Thị Bích", but
    "Đinh Văn Hùng" and "Đinh Văn Hưng" are two people (and a bare "Dinh Van Hung" is left alone)."""
    spelled = {r.id: " ".join(re.sub(r"[^\w\s]", " ", normalize_name(r.name)).split()) for r in rows}
    marked = {s for rid, s in spelled.items() if s != strip_diacritics(s)}
    if len(marked) <= 1:
        return [[r.id for r in rows]]
    return [[rid for rid, s in spelled.items() if s == m] for m in sorted(marked)]


def upgrade() -> None:
    conn = op.get_bind()
    _merge_units(conn)
    _merge_people(conn)


def downgrade() -> None:
    pass  # merges are not undone; the audit log keeps what each one moved
