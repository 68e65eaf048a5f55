"""Async engines and sessions (aiosqlite in WAL mode, or asyncpg), plus Alembic upgrades."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_inline import inline_creator

__all__ = ["Database", "alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 10.0
# Inline connections are cheap to keep and costly to reopen (schema parse, pragmas); a closed
# AsyncConnection is released by a separate task, so with many chats more than a handful are out at once.
HOT_POOL = 20


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Database:
    """Owns the engines; hands out sessions that do not expire objects on commit.

    On a SQLite file there are two engines on the same database: ``engine`` (aiosqlite, a worker
    thread per connection: long queries do not stall the event loop) for everything, and ``hot_engine``
    (storage.sqlite_inline: statements run on the loop thread, writers queued by an asyncio lock) for
    ``hot_transaction``, the dispatcher's short per-update transactions. Elsewhere both are one engine."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if not self.is_sqlite:
            engine_kwargs.setdefault("pool_size", 10)
            engine_kwargs.setdefault("max_overflow", 10)
            engine_kwargs.setdefault("pool_pre_ping", True)
        self.engine: AsyncEngine = create_async_engine(url, **engine_kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.hot_engine: AsyncEngine = self.engine
        self._hot_sessions = self._sessions
        if self.is_sqlite and parsed.database and parsed.database != ":memory:" and not engine_kwargs:
            args, kwargs = self.engine.dialect.create_connect_args(parsed)
            self.hot_engine = create_async_engine(url, async_creator=inline_creator(
                str(args[0]), kwargs, BUSY_TIMEOUT_S), pool_size=HOT_POOL, max_overflow=HOT_POOL)
            event.listen(self.hot_engine.sync_engine, "connect", _sqlite_pragmas)
            self._hot_sessions = async_sessionmaker(self.hot_engine, class_=AsyncSession, expire_on_commit=False)

    def session(self) -> AsyncSession:
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self._sessions() as s, s.begin():
            yield s

    @asynccontextmanager
    async def hot_transaction(self) -> AsyncIterator[AsyncSession]:
        """Like ``transaction``, on the hot-path engine (see the class docstring).

        On the inline engine the session is committed and closed in the calling task: SQLAlchemy's
        context managers close in a task of their own (safe against cancellation half-way through an
        await), which here costs a task and a loop turn per update, and nothing here can be cut short."""
        if self.hot_engine is self.engine:
            async with self.transaction() as s:
                yield s
            return
        s = self._hot_sessions()
        try:
            yield s
            await s.commit()
        finally:
            await s.close()  # rolls back what was not committed

    @asynccontextmanager
    async def hot_connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction on the hot-path engine, committed on success."""
        if self.hot_engine is self.engine:
            async with self.engine.begin() as conn:
                yield conn
            return
        conn = await self.hot_engine.connect()
        try:
            yield conn
            await conn.commit()
        finally:
            await conn.close()

    async def upgrade(self, revision: str = "head") -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_sync, revision)

    async def dispose(self) -> None:
        if self.hot_engine is not self.engine:
            await self.hot_engine.dispose()
        await self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade_sync(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    db = Database(url)
    try:
        await db.upgrade(revision)
    finally:
        await db.dispose()
