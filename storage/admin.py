"""Operator actions on data: anonymise a person who leaves, back up and restore the database."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import CdsbotError
from storage.models import AuditLog, ConversationState, Identity, Person

__all__ = ["anonymise_person", "backup", "restore"]


async def anonymise_person(session: AsyncSession, person: Person, now: datetime, actor: int | None = None) -> None:
    """Remove what identifies a person; their logs and reports stay, attributed to no one by name."""
    idents = (await session.exec(Identity.__table__.select().where(  # type: ignore[attr-defined]
        Identity.person_id == person.id))).all()
    chats = [(i.channel, i.chat_id) for i in idents]
    await session.exec(delete(Identity).where(Identity.person_id == person.id))  # type: ignore[call-overload]
    for channel, chat_id in chats:
        await session.exec(delete(ConversationState).where(  # type: ignore[call-overload]
            ConversationState.channel == channel, ConversationState.chat_id == chat_id))
    person.name = f"(ẩn danh #{person.id})"
    person.phone = None
    person.anonymised_at = now
    person.preferred_channel = person.last_channel = None
    session.add(person)
    session.add(AuditLog(actor_person_id=actor, action="person.anonymise", target=f"person:{person.id}",
                         detail={"identities_removed": len(chats)}))


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


async def restore(url: str, source: Path) -> None:
    """Replace the database's content with a backup made by ``backup``."""
    if not source.is_file():
        raise CdsbotError(f"restore: {source} not found")
    if make_url(url).get_backend_name() == "sqlite":
        await asyncio.to_thread(_sqlite_copy, source, _sqlite_path(url))
    else:
        await _run_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                        f"--dbname={_pg_dsn(url)}", str(source))


async def _run_tool(tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise CdsbotError(f"{tool} is not installed (Debian package postgresql-client)")
    proc = await asyncio.create_subprocess_exec(tool, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env=dict(os.environ))
    _out, err = await proc.communicate()
    if proc.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        raise CdsbotError(f"{tool}: {last}")
