"""Telegram webhook mode on our own aiohttp app: secret check, bad bodies, processing; command menus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from storage.models import ActivityLog, InboxUpdate, ProcessedUpdate
from tests.fakes.telegram_api import FakeTelegramApi, api_urls
from tests.seed import add_person, make_org

TOKEN = "123456:TEST-token"
SECRET = "s3cret_Value-1"


@pytest.fixture
async def hooked(aiohttp_server, aiohttp_client, db_url: str) -> AsyncIterator[tuple]:  # noqa: ANN001
    fake = FakeTelegramApi(token=TOKEN)
    server = await aiohttp_server(fake.app)
    base, _ = api_urls(str(server.make_url("")))
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": TOKEN,
                              "TELEGRAM_API_BASE_URL": base, "TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/tg",
                              "TELEGRAM_WEBHOOK_SECRET": SECRET}, env_file=None)
    db = Database(db_url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone))
    await bot.start(serve_http=False, background=False)
    client = await aiohttp_client(bot.web)
    try:
        yield fake, client, bot
    finally:
        await bot.stop()


async def test_webhook_secret_and_bodies(hooked: tuple, db: Database) -> None:
    fake, client, _bot = hooked
    assert fake.webhook_url == "https://bot.example.vn/tg" and fake.webhook_secret == SECRET
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=42)
    update = {"update_id": 77, **fake.message(42, "hỗ trợ 3 người cài VNeID")}
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}):
        resp = await client.post("/telegram/webhook", json=update, headers=headers)
        assert resp.status == 403
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    resp = await client.post("/telegram/webhook", data=b"{not json", headers=good)
    assert resp.status == 400
    resp = await client.post("/telegram/webhook", json={"hello": 1}, headers=good)
    assert resp.status == 400
    resp = await client.post("/telegram/webhook", data=b"x" * (2 << 20), headers=good)
    assert resp.status == 413
    async with db.session() as s:
        assert (await s.exec(select(ProcessedUpdate))).all() == []
    resp = await client.post("/telegram/webhook", json=update, headers=good)
    assert resp.status == 200
    sent = await fake.wait_for_sent(1)
    assert sent[0].chat_id == 42 and "3" in sent[0].text
    resp = await client.post("/telegram/webhook", json=update, headers=good)  # redelivery
    assert resp.status == 200
    async with db.session() as s:
        assert len((await s.exec(select(ProcessedUpdate))).all()) == 1
        assert (await s.exec(select(ActivityLog))).all() == []  # not confirmed yet


async def test_a_stored_update_left_by_a_dead_worker_is_replayed(hooked: tuple, db: Database) -> None:
    fake, client, bot = hooked
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=42)
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    resp = await client.post("/telegram/webhook", json={"update_id": 80, **fake.message(42, "/trogiup")},
                             headers=good)
    assert resp.status == 200
    await fake.wait_for_sent(1)
    fake.take_sent()
    assert await _inbox_empties(db)  # handled: nothing left in the inbox
    # A worker stored this update, answered 200 and died before handling it; its claim has run out.
    update = {"update_id": 81, **fake.message(42, "hỗ trợ 4 người cài VNeID")}
    async with db.transaction() as s:
        s.add(InboxUpdate(channel="telegram", update_key="81", payload=update,
                          claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
    resp = await client.post("/telegram/webhook", json=update, headers=good)  # Telegram retries meanwhile
    assert resp.status == 200
    assert fake.sent == []  # stored already: left to its owner or to the replay
    channel = bot.channels[0]
    assert await channel.inbox.replay() == 1
    sent = await fake.wait_for_sent(1)
    assert sent[0].chat_id == 42 and "4" in sent[0].text
    assert await _inbox_empties(db)
    async with db.session() as s:
        assert len((await s.exec(select(ProcessedUpdate))).all()) == 2
    assert await channel.inbox.replay() == 0


async def _inbox_empties(db: Database, timeout: float = 5.0) -> bool:
    """The row is deleted right after the replies went out: wait for it."""
    for _ in range(int(timeout / 0.02)):
        async with db.session() as s:
            if not (await s.exec(select(InboxUpdate))).all():
                return True
        await asyncio.sleep(0.02)
    return False


async def test_command_menus_in_both_languages(hooked: tuple) -> None:
    fake, _client, _bot = hooked
    for _ in range(400):  # registered by a supervised task beside the webhook (never holding up updates)
        if set(fake.commands) == {"", "en"}:
            break
        await asyncio.sleep(0.025)
    vi = [c["command"] for c in fake.commands[""]]
    en = [c["command"] for c in fake.commands["en"]]
    assert vi[:3] == ["baocao", "ghinhan", "nhatky"] and "huy" in vi and "trogiup" in vi
    assert en[:3] == ["report", "log", "mylogs"] and "cancel" in en and "help" in en
    descriptions = {c["command"]: c["description"] for c in fake.commands[""]}
    assert descriptions["huy"] != {c["command"]: c["description"] for c in fake.commands["en"]}["cancel"]


async def test_handler_error_gets_an_apology_and_the_bot_keeps_running(aiohttp_server, db_url: str,  # noqa: ANN001
                                                                       db: Database) -> None:
    from sqlalchemy import text

    from locales.i18n import _, use_locale
    from tests.harness import TelegramHarness

    fake = FakeTelegramApi(token=TOKEN)
    server = await aiohttp_server(fake.app)
    base, _x = api_urls(str(server.make_url("")))
    tg = TelegramHarness(fake, base, db_url)
    await tg.start()
    try:
        org = await make_org(db)
        await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=42)
        async with db.engine.begin() as conn:  # a broken database: every turn fails inside the handler
            await conn.execute(text("ALTER TABLE conversationstate RENAME TO conversationstate_gone"))
        sent = await tg.say(42, "hỗ trợ 3 người cài VNeID")
        with use_locale("vi"):
            assert sent[0].text == _("Sorry, something went wrong on my side. Please try again in a moment.")
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE conversationstate_gone RENAME TO conversationstate"))
        sent = await tg.say(42, "hỗ trợ 3 người cài VNeID")  # same bot process, working again
        assert "3" in sent[0].text and sent[0].callback_data == ["ok", "fix", "cancel"]
    finally:
        await tg.stop()
