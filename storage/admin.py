"""Operator actions on data: anonymise a person who leaves, back up and restore the database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.engine import make_url
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.errors import CdsbotError
from storage.models import AuditLog, ConversationState, Identity, LinkCode, Outbox, Person, QuarantinedUpdate

__all__ = ["anonymise_person", "backup", "reapply_anonymisations", "recorded_anonymisations", "restore"]


async def anonymise_person(session: AsyncSession, person: Person, now: datetime, actor: int | None = None,
                           reapplied: bool = False) -> None:
    """Remove what identifies a person: every chat account, their conversations, link codes, pending
    messages and message texts, chat ids in the audit log, unreadable updates kept from their chats.
    Logs and reports stay, by no one's name."""
    idents = (await session.exec(Identity.__table__.select().where(  # type: ignore[attr-defined]
        Identity.person_id == person.id))).all()
    chats = [(i.channel, i.chat_id) for i in idents]
    accounts = [f"{i.channel}:{i.external_id}" for i in idents]
    await session.exec(delete(Identity).where(Identity.person_id == person.id))  # type: ignore[call-overload]
    await session.exec(delete(LinkCode).where(LinkCode.person_id == person.id))  # type: ignore[call-overload]
    for channel, chat_id in chats:
        await session.exec(delete(ConversationState).where(  # type: ignore[call-overload]
            ConversationState.channel == channel, ConversationState.chat_id == chat_id))
    to_them = or_(Outbox.person_id == person.id, *(  # type: ignore[arg-type]
        and_(Outbox.channel == c, Outbox.chat_id == chat) for c, chat in chats))
    await session.exec(delete(Outbox).where(to_them, Outbox.status == "pending"))  # type: ignore[call-overload]
    await session.exec(update(Outbox).where(to_them).values(payload={}, chat_id=""))  # type: ignore[call-overload]
    if accounts:  # "joined as telegram:123" names the account; keep the event, not the address
        await session.exec(update(AuditLog).where(AuditLog.target.in_(accounts))  # type: ignore[call-overload,union-attr]
                           .values(target=f"person:{person.id}"))
    await _forget_quarantined(session, [i.channel for i in idents],
                              [str(v) for i in idents for v in (i.external_id, i.chat_id) if v] + (
                                  [person.phone] if person.phone else []))
    person.name = f"(ẩn danh #{person.id})"
    person.phone = None
    person.anonymised_at = now
    person.left_at = person.left_at or now  # off the staff from now: the periods due before still count them
    person.preferred_channel = person.last_channel = None
    session.add(person)
    session.add(AuditLog(at=now, actor_person_id=actor, action="person.anonymise", target=f"person:{person.id}",
                         detail={"identities_removed": len(chats), "reapplied": reapplied,
                                 "created_at": _stamp(person.created_at), "left_at": _stamp(person.left_at or now)}))


async def _forget_quarantined(session: AsyncSession, channels: list[str], marks: list[str]) -> None:
    """Delete the quarantined raw updates (kept for inspection) that name one of the person's accounts,
    chats or phone: such an update is the person's own message, with their name and text."""
    if not channels or not marks:
        return
    found = re.compile("|".join(rf"(?<![\w]){re.escape(m)}(?![\w])" for m in sorted(set(marks))))
    rows = (await session.exec(select(QuarantinedUpdate.id, QuarantinedUpdate.payload).where(
        QuarantinedUpdate.channel.in_(set(channels))))).all()  # type: ignore[attr-defined]
    doomed = [rid for rid, payload in rows if found.search(json.dumps(payload, ensure_ascii=False, default=str))]
    if doomed:
        await session.exec(delete(QuarantinedUpdate).where(QuarantinedUpdate.id.in_(doomed)))  # type: ignore[call-overload,union-attr]


def _stamp(at: datetime) -> str:
    """A record's creation time as a fingerprint (to tell the same record in a restored backup); a moment
    kept in the audit log."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


async def recorded_anonymisations(url: str) -> list[tuple[int, str | None, str | None]]:
    """(person id, creation fingerprint, when they left) of every anonymisation in a database's audit log."""
    from storage.db import Database

    db = Database(url)
    try:
        async with db.session() as s:
            rows = (await s.exec(select(AuditLog).where(AuditLog.action == "person.anonymise")
                                 .order_by(AuditLog.id))).all()
    finally:
        await db.dispose()
    out: dict[int, tuple[str | None, str | None]] = {}
    for r in rows:
        if r.target and r.target.startswith("person:") and r.target[7:].isdigit():
            out[int(r.target[7:])] = ((r.detail or {}).get("created_at"), (r.detail or {}).get("left_at"))
    return [(pid, stamp, left) for pid, (stamp, left) in out.items()]


async def reapply_anonymisations(url: str, recorded: list[tuple[int, str | None, str | None]]) -> list[int]:
    """Anonymise again, in a restored database, the people the live one had anonymised (gone from the staff
    since they left, not since the restore); returns ids."""
    from storage.db import Database

    done: list[int] = []
    db = Database(url)
    try:
        async with db.transaction() as s:
            now = datetime.now(UTC)
            for pid, stamp, left in recorded:
                person = await s.get(Person, pid)
                if person is None or person.anonymised_at is not None:
                    continue
                if stamp is not None and _stamp(person.created_at) != stamp:
                    continue  # another record under the same id: not the person who left
                person.left_at = person.left_at or (datetime.fromisoformat(left) if left else None)
                await anonymise_person(s, person, now, reapplied=True)
                done.append(pid)
    finally:
        await db.dispose()
    return done


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise CdsbotError("backup: an in-memory database cannot be backed up")
    return Path(db)


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page with the online backup API (safe while it is in use)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


async def backup(url: str, target: Path) -> int:
    """SQLite: online backup API; PostgreSQL: pg_dump custom format. Returns bytes written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        await asyncio.to_thread(_sqlite_copy, _sqlite_path(url), target)
    else:
        await _run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={target}", _pg_dsn(url))
    return target.stat().st_size


async def restore(url: str, source: Path) -> tuple[list[int], str | None]:
    """Replace the database's content with a backup made by ``backup``, then anonymise again the
    people the replaced database had anonymised (Law 91/2025: a leaver must not come back with a
    restore). Returns (re-anonymised person ids, why the live audit log could not be read or None)."""
    if not source.is_file():
        raise CdsbotError(f"restore: {source} not found")
    try:
        recorded, problem = await recorded_anonymisations(url), None
    except Exception as exc:  # a lost or broken database: restore anyway, and say so
        recorded, problem = [], f"{exc.__class__.__name__}: {str(exc)[:120]}"
    if make_url(url).get_backend_name() == "sqlite":
        await asyncio.to_thread(_sqlite_copy, source, _sqlite_path(url))
    else:
        await _run_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                        f"--dbname={_pg_dsn(url)}", str(source))
    from storage.db import upgrade

    await upgrade(url)  # an older backup gets today's schema before anything is re-applied
    return await reapply_anonymisations(url, recorded), problem


async def _run_tool(tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise CdsbotError(f"{tool} is not installed (Debian package postgresql-client)")
    proc = await asyncio.create_subprocess_exec(tool, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env=dict(os.environ))
    _out, err = await proc.communicate()
    if proc.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        raise CdsbotError(f"{tool}: {last}")
