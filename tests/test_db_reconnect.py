"""PostgreSQL connections cut under the bot (server restart, idle cut): no pool pre-ping, nothing lost or doubled."""

from __future__ import annotations

import asyncpg
import pytest
from sqlmodel import select

from bot.health import Health, readiness
from storage.db import Database
from storage.models import ActivityLog, Outbox
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

MEMBER = 7101


async def _cut_connections(db_url: str) -> int:
    """Terminate every other session on the test database, as a server restart would; how many."""
    url = db_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return len(await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        await conn.close()


async def test_update_after_connections_were_cut_is_handled_once(tg: TelegramHarness, db: Database,
                                                                  db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a server database only: SQLite has no connections to lose")
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await db.dispose()
    sent = await tg.say(MEMBER, "Hôm nay hỗ trợ 12 người kích hoạt VNeID")
    assert "12" in sent[0].text
    assert await _cut_connections(db_url) >= 1  # the bot's pooled connections die while it waits

    sent = await tg.tap(MEMBER, "ok")  # its first statement meets a dead connection: the turn is redone once
    assert len(sent) == 1 and "Đã lưu" in sent[0].text
    assert tg.bot is not None
    bot_db = tg.bot.dispatcher.services.db
    await _cut_connections(db_url)
    report = await readiness(bot_db, Health(lambda: tg.now))  # a dead pooled connection is not "unreachable"
    assert report["database"] == {"ok": True}

    check = Database(db_url)
    try:
        async with check.session() as s:
            logs = (await s.exec(select(ActivityLog))).all()
            pending = (await s.exec(select(Outbox).where(Outbox.status == "pending"))).all()
    finally:
        await check.dispose()
    assert [(r.activity, r.count) for r in logs] == [("vneid", 12)]
    assert pending == []  # both replies were sent and marked (the second mark after the cut too)
