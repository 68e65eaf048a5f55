"""SQLite on the event loop thread for the per-update hot path: aiosqlite's interface, no thread hop.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a worker thread and wakes the loop
for each result: ~30 thread hand-offs per chat update, which cost more CPU than the SQL itself and,
with many connections, GIL contention on top. A local WAL database answers the dispatcher's small
statements in microseconds, so this connection runs them inline instead.

The one call that could block the loop is taking the write lock, so it is never left to SQLite's busy
handler: before the first write of a transaction the connection takes a per-process asyncio lock (one
writer per database file at a time, first come first served, no polling), then ``BEGIN IMMEDIATE``
with SQLite's busy timeout at 0, retried with asyncio sleeps while another process (or a threaded
aiosqlite connection) writes. Both waits give up after ``busy_timeout`` seconds with SQLite's own
"database is locked". Reads never wait in WAL mode. The busy timeout is set to 0 once per connection
(not switched off and on around every ``BEGIN IMMEDIATE``): the write lock is the only lock this
connection can wait for, and it is taken only by ``BEGIN IMMEDIATE`` here (every statement of the
dispatcher's transactions runs after it). The lock is released as soon as the transaction
ends (commit, rollback, error or close)."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any

import aiosqlite

__all__ = ["STATS", "InlineConnection", "inline_creator"]

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|WITH)\b", re.IGNORECASE)
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
    weakref.WeakKeyDictionary()


STATS = {"busy_retries": 0, "lock_waits": 0}  # for benchmarks: how often a writer had to wait


def _writer_lock(key: str) -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    per_loop = _LOCKS.setdefault(loop, {})
    lock = per_loop.get(key)
    if lock is None:
        lock = per_loop[key] = asyncio.Lock()
    return lock


class InlineConnection(aiosqlite.Connection):
    """An ``aiosqlite.Connection`` whose calls run directly on the calling (event loop) thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], key: str, busy_timeout: float) -> None:
        super().__init__(connector, 64)
        self._key, self._busy_timeout = key, busy_timeout
        self._lock: asyncio.Lock | None = None
        self._busy_off = False  # PRAGMA busy_timeout=0 done (after the engine's connect pragmas)

    def __await__(self):  # noqa: ANN204 - no worker thread to start
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        conn = self._connection
        if not self._running or conn is None:
            raise ValueError("Connection closed")
        if (args and isinstance(args[0], str) and not conn.in_transaction
                and getattr(fn, "__name__", "") in ("execute", "executemany") and _WRITE.match(args[0])):
            await self._begin_write(conn)
        try:
            return fn(*args, **kwargs)
        finally:
            if self._lock is not None and (self._connection is None or not self._connection.in_transaction):
                self._release()

    async def _begin_write(self, conn: sqlite3.Connection) -> None:
        lock = _writer_lock(self._key)
        if not lock.locked():
            await lock.acquire()  # free: returns at once, no timer needed
        else:
            STATS["lock_waits"] += 1
            try:
                async with asyncio.timeout(self._busy_timeout):
                    await lock.acquire()
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
        self._lock = lock
        try:
            await self._begin_immediate(conn)
        except BaseException:
            self._release()
            raise

    async def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._busy_timeout
        delay = 0.001
        if not self._busy_off:
            conn.execute("PRAGMA busy_timeout=0")
            self._busy_off = True
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or loop.time() + delay > deadline:
                    raise
            STATS["busy_retries"] += 1
            await asyncio.sleep(delay)  # another process writes: wait without blocking the loop
            delay = min(delay * 2, 0.05)

    def _release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None and lock.locked():
            lock.release()

    def stop(self) -> None:  # type: ignore[override]
        self._running = False
        self._release()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def inline_creator(database: str, connect_kwargs: dict[str, Any], busy_timeout: float
                   ) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: inline connections to one database file."""
    kwargs = {**connect_kwargs, "check_same_thread": False}
    key = database if connect_kwargs.get("uri") else os.path.realpath(database)

    async def create() -> InlineConnection:
        return await InlineConnection(lambda: sqlite3.connect(database, **kwargs), key, busy_timeout)

    return create
