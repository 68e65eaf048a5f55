"""Merge two records of one human (or two spellings of one unit) into one, in plain SQL, audited.

The functions take a synchronous SQLAlchemy ``Connection`` so the CLI (through
``AsyncSession.run_sync``) and tests run exactly these statements. Migration 0004 carries a frozen
copy: a migration must keep doing what it did when it was written, whatever this module becomes.
Foreign keys to ``person``, ``unit`` and ``report`` are also read from the live schema, so a table
added later is moved too; one with a unique key over such a column needs its own rule here."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, column, insert, inspect, table, text
from sqlalchemy.engine import Connection

from storage.log_rollup import bump_sync

__all__ = ["PERSON_REFS", "UNIT_REFS", "choose_keeper", "merge_people", "merge_units", "person_summary"]

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
                                          {"id": person_id}).scalar_one() for t, c in _refs(conn, "person", PERSON_REFS)}
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
    if "joined_at" in k:  # (migration 0020) there since the earlier of the two (None: always), until the later
        values["joined_at"] = None if None in (k["joined_at"], d["joined_at"]) else min(k["joined_at"], d["joined_at"])
        values["left_at"] = None if None in (k["left_at"], d["left_at"]) else max(k["left_at"], d["left_at"])
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
    tables = set(inspect(conn).get_table_names())
    for link, col in (("taskunit", "task_id"), ("indicatorunit", "indicator_id"),
                      ("indicatorpartner", "indicator_id")):
        if link not in tables:
            continue
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
    for tbl, col in _refs(conn, "unit", UNIT_REFS, skip=("report", "taskunit", "indicatorunit", "indicatorpartner")):
        n = conn.execute(text(f"UPDATE {tbl} SET {col} = :keep WHERE {col} = :drop"),  # noqa: S608
                         {"keep": keep, "drop": drop}).rowcount
        if n:
            moved[f"{tbl}.{col}"] = n
    conn.execute(text("UPDATE unit SET parent_id = NULL WHERE id = :keep AND parent_id = :keep"), {"keep": keep})
    columns = {c["name"] for c in inspect(conn).get_columns("unit")}  # (older schemas: the migrations merge too)
    if "from_plan" in columns:  # on the org list if either was
        conn.execute(text("UPDATE unit SET from_plan = :no WHERE id = :keep AND EXISTS "
                          "(SELECT 1 FROM unit d WHERE d.id = :drop AND d.from_plan = :no)"),
                     {"keep": keep, "drop": drop, "no": False})
    if "created_at" in columns:  # it existed since the earlier of the two (NULL: always)
        conn.execute(text("UPDATE unit SET created_at = (SELECT d.created_at FROM unit d WHERE d.id = :drop) "
                          "WHERE id = :keep AND created_at IS NOT NULL AND EXISTS (SELECT 1 FROM unit d "
                          "WHERE d.id = :drop AND (d.created_at IS NULL OR d.created_at < unit.created_at))"),
                     {"keep": keep, "drop": drop})
    bump_sync(conn, [c for (c,) in conn.execute(text(  # the logs moved: their communes' roll-ups are read again
        "SELECT commune_id FROM unit WHERE id IN (:keep, :drop)"), {"keep": keep, "drop": drop})])
    name = conn.execute(text("SELECT name FROM unit WHERE id = :drop"), {"drop": drop}).scalar_one_or_none()
    conn.execute(text("DELETE FROM unit WHERE id = :drop"), {"drop": drop})
    _audit(conn, "unit.merge", f"unit:{keep}", {"dropped": drop, "dropped_name": name, "moved": moved,
                                                "conflicting_reports": dropped_reports, "reason": reason}, actor)
    return moved
