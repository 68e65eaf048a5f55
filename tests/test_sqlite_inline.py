"""The hot-path SQLite engine: writers queue without blocking the event loop, and locks are released."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import ProcessedUpdate

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):  # noqa: ANN201
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def _claim(db: Database, key: str, hold: asyncio.Event | None = None, entered: asyncio.Event | None = None
                 ) -> None:
    async with db.hot_transaction() as s:
        s.add(ProcessedUpdate(channel="t", update_key=key, processed_at=NOW))
        await s.flush()
        if entered:
            entered.set()
        if hold:
            await hold.wait()


async def _count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()


async def test_second_writer_waits_for_the_first_while_the_loop_runs(db: Database) -> None:
    hold, entered = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_claim(db, "1", hold, entered))
    await entered.wait()
    second = asyncio.create_task(_claim(db, "2"))
    for _ in range(20):  # the loop keeps turning while the second writer waits
        await asyncio.sleep(0)
    assert not second.done()
    hold.set()
    await asyncio.gather(first, second)
    assert await _count(db) == 2


async def test_another_process_holding_the_write_lock_is_waited_for_without_blocking(db: Database) -> None:
    path = db.url.split("///", 1)[1]
    locked, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(10)
        conn.execute("INSERT INTO processedupdate (channel, update_key, processed_at) VALUES ('t', 'x', '2026')")
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    await asyncio.to_thread(locked.wait, 10)
    claim = asyncio.create_task(_claim(db, "1"))
    ticks = 0
    while ticks < 30:
        await asyncio.sleep(0.001)
        ticks += 1
    assert not claim.done()  # still waiting, and the loop ran meanwhile
    release.set()
    await claim
    await asyncio.to_thread(thread.join, 10)
    assert await _count(db) == 2


async def test_lock_is_released_after_a_failed_transaction(db: Database) -> None:
    await _claim(db, "1")
    with pytest.raises(IntegrityError):
        await _claim(db, "1")
    await asyncio.wait_for(_claim(db, "2"), 5)
    async with db.hot_connection() as conn:
        assert (await conn.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one() == 2
