"""Dialect-aware helpers: insert-or-ignore and compare-and-swap updates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["insert_ignore", "update_if_version"]


async def insert_ignore(session: AsyncSession, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted (claim first, act after)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    table = model.__table__  # type: ignore[attr-defined]
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two dialects are supported
        stmt = insert(table).values(**values)
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def update_if_version(session: AsyncSession, model: type[SQLModel], row_id: int, version: int,
                            values: dict[str, Any]) -> bool:
    """UPDATE … WHERE id = :id AND version = :version, bumping version; False if someone else won."""
    table = model.__table__  # type: ignore[attr-defined]
    stmt = (update(table).where(table.c.id == row_id, table.c.version == version)
            .values(version=version + 1, **values))
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return bool(result.rowcount)
