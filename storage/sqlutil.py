"""Dialect-aware helpers: insert-or-ignore and compare-and-swap updates."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from sqlalchemy import Integer, insert, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["dialect_insert", "insert_ignore", "pg_int_array", "update_if_version"]


@functools.cache
def dialect_insert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_…``), "postgresql" or "sqlite". The dialect module is
    imported on first use: loading the PostgreSQL dialect cost ~40 ms of every start-up on SQLite."""
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - only the two dialects are supported
        raise ValueError(f"unsupported dialect {dialect!r}")
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert


@functools.cache
def pg_int_array() -> Any:
    """PostgreSQL's ``integer[]`` type (its dialect imported on first use, as ``dialect_insert``)."""
    from sqlalchemy.dialects.postgresql import ARRAY

    return ARRAY(Integer)


async def insert_ignore(session: AsyncSession, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted (claim first, act after)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    table = model.__table__  # type: ignore[attr-defined]
    stmt: Any
    if dialect in ("postgresql", "sqlite"):
        stmt = dialect_insert(dialect)(table).values(**values).on_conflict_do_nothing()
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
