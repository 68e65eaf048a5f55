"""Async engines and sessions (aiosqlite in WAL mode, or asyncpg), plus Alembic upgrades."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_inline import inline_creator

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Database", "alembic_config", "is_disconnect", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 10.0
# Inline connections are cheap to keep and costly to reopen (schema parse, pragmas); a closed
# AsyncConnection is released by a separate task, so with many chats more than a handful are out at once.
# No overflow: overflow connections were closed after every getUpdates batch and reopened at the next one
# (one writer at a time anyway: more connections would only wait for the write lock).
HOT_POOL = 20
POOL_SIZE = 20  # server database connections per process (none of our code holds two at once)
# A server connection is replaced after this many seconds (before a server or proxy idle timeout cuts it).
POOL_RECYCLE_S = 1800


def is_disconnect(exc: BaseException) -> bool:
    """True when ``exc`` is a lost database connection (server restarted, connection cut).

    Server databases run without the pool's pre-ping (three round trips on every checkout with asyncpg,
    two checkouts per chat update): a connection that died in the pool fails on its first statement instead, SQLAlchemy then
    invalidates it and every connection of the pool opened before, and the caller redoes its
    transaction once on a fresh connection. Nothing is lost: the failed transaction was rolled back."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


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
            # Connections are kept, not opened per burst: a getUpdates batch handles up to 100 chats at once,
            # and "overflow" connections were closed at the end of every batch and opened again at the next
            # one (connect, authentication and the driver's type set-up, then close: ~4 % of the bot's CPU
            # in the drain benchmark). Beyond POOL_SIZE the turns wait for a pooled connection (FIFO).
            engine_kwargs.setdefault("pool_size", POOL_SIZE)
            engine_kwargs.setdefault("max_overflow", 0)
            engine_kwargs.setdefault("pool_pre_ping", False)  # see is_disconnect: callers redo a transaction
            engine_kwargs.setdefault("pool_recycle", POOL_RECYCLE_S)
        self.engine: AsyncEngine = create_async_engine(url, **engine_kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.hot_engine: AsyncEngine = self.engine
        self._hot_sessions = self._sessions
        if self.is_sqlite and parsed.database and parsed.database != ":memory:" and not engine_kwargs:
            args, kwargs = self.engine.dialect.create_connect_args(parsed)
            self.hot_engine = create_async_engine(url, async_creator=inline_creator(
                str(args[0]), kwargs, BUSY_TIMEOUT_S), pool_size=HOT_POOL, max_overflow=0)
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
    async def hot_connection(self, single: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction on the hot-path engine, committed on success.

        ``single``: the caller runs one statement only; on a server database it runs in autocommit (one
        round trip instead of BEGIN, the statement and COMMIT; a single statement is atomic anyway)."""
        if self.hot_engine is self.engine:
            if single and not self.is_sqlite:
                async with self.engine.connect() as conn:
                    yield await conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            async with self.engine.begin() as conn:
                yield conn
            return
        conn = await self.hot_engine.connect()
        try:
            yield conn
            await conn.commit()
        finally:
            await conn.close()

    async def hot_write(self, write: Callable[[AsyncConnection], Awaitable[None]], single: bool = False) -> None:
        """Run ``write`` in ``hot_connection(single)``; redone once on a lost connection (``write`` must be
        idempotent: e.g. an UPDATE … WHERE status = 'pending')."""
        for attempt in (1, 2):
            try:
                async with self.hot_connection(single) as conn:
                    await write(conn)
                return
            except Exception as exc:
                if attempt == 2 or not is_disconnect(exc):
                    raise

    async def upgrade(self, revision: str = "head") -> None:
        """Alembic upgrade; when the database is already at the head, without importing Alembic (it costs
        ~0.2 s and ~15 MB at every start)."""
        if revision == "head" and await self._at_head():
            return
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_sync, revision)

    async def _at_head(self) -> bool:
        heads = script_heads()
        if not heads:
            return False
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
        except Exception:  # no version table yet (a new database): Alembic creates it
            return False
        return {r[0] for r in rows} == heads

    async def dispose(self) -> None:
        if self.hot_engine is not self.engine:
            await self.hot_engine.dispose()
        await self.engine.dispose()


_REV = re.compile(r"^(down_revision|revision)\s*(?::[^=]+)?=\s*(.+?)\s*$", re.MULTILINE)
_STR = re.compile(r"""^(?:'([^']*)'|"([^"]*)"|None)$""")


@functools.cache
def script_heads() -> frozenset[str]:
    """The migrations' head revisions, read from the files' ``revision`` / ``down_revision`` lines without
    Alembic; empty when a file does not have the plain form (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(m.groups() for m in _REV.finditer(path.read_text(encoding="utf-8")))
        values = {k: _STR.match(v) for k, v in found.items()}
        if set(found) != {"revision", "down_revision"} or not all(values.values()):
            return frozenset()
        rev, down = (values[k] for k in ("revision", "down_revision"))
        if rev is None or down is None or (rev.group(1) or rev.group(2)) is None:
            return frozenset()
        revisions.add(rev.group(1) or rev.group(2))
        if down.group(0) != "None":
            parents.add(down.group(1) if down.group(1) is not None else down.group(2))
    return frozenset(revisions - parents)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade_sync(conn: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    db = Database(url)
    try:
        await db.upgrade(revision)
    finally:
        await db.dispose()
