"""The supervisor restarts crashed tasks; `cdsbot health` and `cdsbot updates quarantined` on both databases."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest

from bot.cli import main
from bot.health import health_of
from bot.metrics import TASK_RESTARTS
from bot.quarantine import quarantine
from bot.supervisor import Supervisor
from storage.db import Database
from tests.fakes.bad_updates import my_chat_member_jan_2025
from tests.harness import TelegramHarness


async def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
              *args: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    return code, capsys.readouterr().out


async def test_supervisor_restarts_a_crashed_task_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    running = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) <= 2:
            raise ConnectionResetError("peer went away")
        running.set()
        await asyncio.Event().wait()  # then it runs for good

    before = TASK_RESTARTS.labels("flaky")._value.get()
    sup = Supervisor(base=0.01, cap=0.05)
    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        sup.spawn("flaky", flaky)
        await asyncio.wait_for(running.wait(), 5)
    assert len(runs) == 3 and sup.states["flaky"].restarts == 2
    assert sup.states["flaky"].last_error == "ConnectionResetError: peer went away"
    assert TASK_RESTARTS.labels("flaky")._value.get() - before == 2
    assert sum("task flaky crashed (ConnectionResetError: peer went away)" in r.getMessage()
               for r in caplog.records) == 2
    with pytest.raises(RuntimeError):
        sup.spawn("flaky", flaky)  # one task per name
    await sup.stop()
    assert not sup._tasks


async def test_updates_quarantined_lists_the_bad_updates(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], db_url: str,
                                                         db: Database) -> None:
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "quarantined")
    assert code == 0 and out.strip() == "no quarantined updates"
    bad = {"update_id": 777, **my_chat_member_jan_2025({"id": 1, "is_bot": True, "first_name": "Bot"})}
    assert await quarantine(db, "telegram", bad, TypeError("missing can_edit_tag"), key=777)
    assert not await quarantine(db, "telegram", bad, TypeError("missing can_edit_tag"), key=777)  # kept once
    await quarantine(db, "zalo", {"event_name": "message.text.received"}, "Zalo update: missing message object")
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "quarantined", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["channel"], r["update_key"][:7]) for r in rows] == [("zalo", "sha256:"),
                                                                                 ("telegram", "777")]
    assert rows[1]["payload"] == bad and rows[1]["error"] == "TypeError: missing can_edit_tag"
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "quarantined", "--channel", "telegram")
    assert code == 0 and "telegram update 777 [my_chat_member]: TypeError: missing can_edit_tag" in out
    assert "zalo" not in out


async def test_updates_purge_deletes_only_old_quarantined_updates(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str], db_url: str,
                                                                  db: Database) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from storage.models import QuarantinedUpdate

    for key in (1, 2):
        await quarantine(db, "telegram", {"update_id": key, "message": {"date": "x"}}, "TypeError", key=key)
    async with db.transaction() as s:  # update 1 arrived 40 days ago
        await s.exec(update(QuarantinedUpdate).where(QuarantinedUpdate.update_key == "1")  # type: ignore[call-overload]
                     .values(received_at=datetime.now(UTC) - timedelta(days=40)))
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "purge")
    assert code == 0 and out.strip() == "1 quarantined update(s) older than 30 day(s) deleted"
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "quarantined", "--json")
    assert [r["update_key"] for r in json.loads(out)] == ["2"]
    code, out = await cli(monkeypatch, capsys, db_url, "updates", "purge", "--older-than-days", "0")
    assert code == 0 and out.startswith("1 quarantined")


async def test_cdsbot_health_reads_readyz_and_exits_non_zero_when_not_ready(
        tg: TelegramHarness, aiohttp_server, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
        capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    assert tg.bot is not None
    server = await aiohttp_server(tg.bot.web)
    url = str(server.make_url("/"))
    health = health_of(tg.bot.services)
    while health.channels["telegram"].last_ok is None:
        await asyncio.sleep(0.01)
    code, out = await cli(monkeypatch, capsys, db_url, "health", "--url", url)
    assert code == 0 and out.startswith("ready\n") and "database: ok" in out
    assert "outbox: 0 pending" in out and "quarantined updates: 0" in out
    tg.fake.fail_next("getUpdates", 502, "Bad Gateway", times=1_000_000)
    while health.channels["telegram"].last_error is None:
        await asyncio.sleep(0.01)
    tg.now += timedelta(minutes=3)
    code, out = await cli(monkeypatch, capsys, db_url, "health", "--url", url, "--json")
    report = json.loads(out)
    assert code == 1 and report["ready"] is False and report["problems"] == ["telegram: no successful poll for 180 s"]
    tg.fake.clear_faults()
    while health.channels["telegram"].last_ok != tg.now:
        await asyncio.sleep(0.01)
    code, out = await cli(monkeypatch, capsys, db_url, "health", "--url", url)
    assert code == 0
    await server.close()  # nobody answers: the database part alone, and exit 2
    code, out = await cli(monkeypatch, capsys, db_url, "health", "--url", url, "--timeout", "2")
    assert code == 2 and out.startswith("NOT READY\n") and "does not answer" in out and "database: ok" in out


async def test_outbox_worker_and_scheduler_run_supervised(aiohttp_server, db_url: str) -> None:  # noqa: ANN001
    from bot.app import BotApp
    from bot.config import load_settings
    from handlers.services import Services
    from tests.fakes.telegram_api import FakeTelegramApi, api_urls

    fake = FakeTelegramApi(token="123456:TEST-token")
    server = await aiohttp_server(fake.app)
    base, _ = api_urls(str(server.make_url("")))
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
                              "TELEGRAM_API_BASE_URL": base}, env_file=None)
    db = Database(db_url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone), poll_timeout=1)
    bot.supervisor.base, bot.scheduler_check = 0.01, 0.02
    await bot.start(serve_http=False, background=True)
    try:
        # (the command menu is registered by a task of its own beside polling)
        assert set(bot.supervisor.states) == {"telegram-poll", "telegram-commands", "outbox", "scheduler"}
        while bot.scheduler is None:
            await asyncio.sleep(0.01)
        first = bot.scheduler
        assert first.running and first.times == ((8, 0), (16, 0))
        first.shutdown(wait=False)  # the scheduler dies on its own: a new one is started
        while bot.scheduler is None or bot.scheduler is first:
            await asyncio.sleep(0.01)
        assert bot.scheduler.running and bot.supervisor.states["scheduler"].restarts == 1
        assert bot.supervisor.states["scheduler"].last_error == "RuntimeError: the reminder scheduler stopped"
        assert bot.supervisor.states["outbox"].restarts == 0
    finally:
        await bot.stop()
    assert bot.scheduler is None


async def test_readyz_shows_the_last_sweep(tg: TelegramHarness, aiohttp_client) -> None:  # noqa: ANN001
    from reminders.jobs import _sweep

    assert tg.bot is not None
    client = await aiohttp_client(tg.bot.web)
    assert (await (await client.get("/readyz")).json())["last_sweep"] is None
    await _sweep(tg.bot, tg.bot.swept)  # what the scheduler runs at 08:00 and 16:00
    body = await (await client.get("/readyz")).json()
    assert body["last_sweep"] == tg.now.isoformat() and body["last_sweep_error"] is None


async def test_an_update_whose_handling_keeps_stopping_goes_to_quarantine(db: Database) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from bot.inbox import MAX_ATTEMPTS, Inbox
    from storage.models import InboxUpdate, QuarantinedUpdate

    handled: list[dict] = []

    async def handle(payload: dict) -> None:
        handled.append(payload)

    past = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as s:  # left by workers that died while handling it, MAX_ATTEMPTS - 1 times
        s.add(InboxUpdate(channel="zalo", update_key="m-1", payload={"event_name": "x"}, received_at=past,
                          claimed_until=past, attempts=MAX_ATTEMPTS - 1))
        s.add(InboxUpdate(channel="zalo", update_key="m-2", payload={"event_name": "y"}, received_at=past,
                          claimed_until=past, attempts=1))
    assert await Inbox(db, "zalo", handle).replay() == 2
    assert handled == [{"event_name": "y"}]
    async with db.session() as s:
        assert (await s.exec(select(InboxUpdate))).all() == []
        rows = (await s.exec(select(QuarantinedUpdate))).all()
    assert [(r.update_key, r.payload, r.error) for r in rows] == [
        ("m-1", {"event_name": "x"}, f"its handling stopped {MAX_ATTEMPTS} times")]


async def test_readyz_says_not_ready_when_the_database_does_not_answer() -> None:
    from datetime import UTC, datetime

    from bot.health import Health, readiness

    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    try:
        report = await readiness(db, Health(lambda: datetime.now(UTC)))
    finally:
        await db.dispose()
    assert report["ready"] is False and report["problems"] == ["database unreachable"]
    assert report["database"]["ok"] is False and report["outbox"] is None
