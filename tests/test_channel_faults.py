"""Zalo polling faults and webhook bodies on both channels: never a 500, never deaf, nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import func, select

from bot.app import BotApp
from bot.config import load_settings
from bot.health import health_of
from handlers.services import Services
from storage.db import Database
from storage.models import InboxUpdate, ProcessedUpdate, QuarantinedUpdate
from tests.fakes.bad_updates import my_chat_member_jan_2025, zalo_update_without_ids
from tests.fakes.telegram_api import FakeTelegramApi, api_urls
from tests.fakes.zalo_api import HTML_502, FakeZaloApi, text_update
from tests.zalo_harness import WEBHOOK_SECRET, ZaloHarness

TG_TOKEN, TG_SECRET = "123456:TEST-token", "s3cret_Value-1"


async def _count(db: Database, model: Any) -> int:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


def _zalo_poll_errors() -> float:
    from bot.metrics import POLL_ERRORS

    return sum(  # all reasons of the zalo channel
        s.value for fam in POLL_ERRORS.collect() for s in fam.samples
        if s.name.endswith("_total") and s.labels["channel"] == "zalo")



async def test_zalo_unreadable_update_is_quarantined_and_the_next_ones_answered(
        zh: ZaloHarness, fake: FakeZaloApi, db: Database) -> None:
    fake.queue_update(text_update("u-1", "xin chào"))
    bad = fake.queue_update(zalo_update_without_ids("u-2"))
    fake.queue_update(text_update("u-3", "xin chào"))
    await zh.wait_processed(2)
    assert sorted(m["chat_id"] for m in zh.take_sent()) == ["u-1", "u-3"]
    async with db.session() as s:
        rows = (await s.exec(select(QuarantinedUpdate))).all()
    assert len(rows) == 1 and rows[0].channel == "zalo" and rows[0].payload == bad
    assert "missing message_id or chat.id" in rows[0].error and rows[0].update_key.startswith("sha256:")
    assert await _count(db, InboxUpdate) == 0 and await _count(db, ProcessedUpdate) == 2


@pytest.mark.parametrize("fault", ["500", "html502", "not_json", "slow", "dropped"])
async def test_zalo_poll_faults_are_retried_and_nothing_is_lost(zh: ZaloHarness, fake: FakeZaloApi,
                                                                fault: str) -> None:
    before = _zalo_poll_errors()
    kinds: dict[str, dict[str, Any]] = {
        "500": {"status": 500},
        "html502": {"status": 502, "body": HTML_502, "http_status": 502},
        "not_json": {"status": 200, "body": "<html>bảo trì</html>", "http_status": 200},
        "slow": {"status": None, "delay": 3.0},  # longer than the client's 1 s long poll + 1 s grace
        "dropped": {"status": None, "drop": True},
    }
    fake.fail_next("getUpdates", times=2, **kinds[fault])
    sent = await zh.say("u-9", "xin chào")
    assert [m["chat_id"] for m in sent] == ["u-9"]
    assert _zalo_poll_errors() > before
    health = health_of(zh.bot.services) if zh.bot else None
    assert health is not None and health.channels["zalo"].last_ok is not None


# -- webhooks -----------------------------------------------------------------------------------


@pytest.fixture
async def tg_hook(aiohttp_server, aiohttp_client, db_url: str) -> AsyncIterator[tuple]:  # noqa: ANN001
    fake = FakeTelegramApi(token=TG_TOKEN)
    server = await aiohttp_server(fake.app)
    base, _ = api_urls(str(server.make_url("")))
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": TG_TOKEN,
                              "TELEGRAM_API_BASE_URL": base, "TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/tg",
                              "TELEGRAM_WEBHOOK_SECRET": TG_SECRET}, env_file=None)
    db = Database(db_url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone))
    await bot.start(serve_http=False, background=False)
    client = await aiohttp_client(bot.web)
    try:
        yield fake, client, bot
    finally:
        await bot.stop()


async def test_telegram_webhook_bodies(tg_hook: tuple, db: Database) -> None:
    fake, client, bot = tg_hook
    good = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert fake.allowed_updates == ["message", "edited_message", "callback_query"]
    for body, status in ((b"", 200), (b"  \n", 200), (b"[]", 400), (b'[{"update_id": 5}]', 400), (b'"x"', 400),
                         (b"null", 400), (b"42", 400), (b'{"update_id": "7"}', 400), (b"\xff\xfe", 400)):
        resp = await client.post("/telegram/webhook", data=body, headers=good)
        assert resp.status == status, body
    assert (await client.post("/telegram/webhook", data=b"", headers={})).status == 403  # the secret first
    assert await _count(db, ProcessedUpdate) == 0 and await _count(db, InboxUpdate) == 0
    bad = {"update_id": 900, **my_chat_member_jan_2025(fake.bot_user())}
    for _ in range(2):  # Telegram's redelivery of the same update: kept once
        assert (await client.post("/telegram/webhook", json=bad, headers=good)).status == 200
    async with db.session() as s:
        rows = (await s.exec(select(QuarantinedUpdate))).all()
    assert [(r.channel, r.update_key) for r in rows] == [("telegram", "900")] and "can_edit_tag" in rows[0].error
    assert health_of(bot.services).channels["telegram"].mode == "webhook"
    resp = await client.get("/readyz")  # a quiet webhook channel is not judged by arrivals
    assert resp.status == 200 and (await resp.json())["quarantined"] == 1
    update = {"update_id": 901, **fake.message(42, "/trogiup")}
    assert (await client.post("/telegram/webhook", json=update, headers=good)).status == 200
    assert [m.chat_id for m in await fake.wait_for_sent(1)] == [42]


@pytest.fixture
async def zalo_hook(fake: FakeZaloApi, db_url: str, aiohttp_client: Any) -> AsyncIterator[tuple]:
    h = ZaloHarness(fake, db_url, webhook=True)
    await h.start()
    assert h.bot is not None
    client = await aiohttp_client(h.bot.web)
    try:
        yield h, client
    finally:
        await h.stop()


async def test_zalo_webhook_bodies(zalo_hook: tuple, fake: FakeZaloApi, db: Database) -> None:
    h, client = zalo_hook
    headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    for body, status in ((b"", 200), (b"\n", 200), (b"[]", 400), (b'"x"', 400), (b"null", 400),
                         (b'{"ok": true}', 400), (b'{"hello": 1}', 400)):
        async with client.post("/zalo/webhook", data=body, headers=headers) as resp:
            assert resp.status == status, body
    await h.zalo.drain()
    assert await _count(db, ProcessedUpdate) == 0 and await _count(db, QuarantinedUpdate) == 0
    bad = zalo_update_without_ids("u-5")
    for _ in range(2):
        async with client.post("/zalo/webhook", json={"ok": True, "result": bad}, headers=headers) as resp:
            assert resp.status == 200
    async with db.session() as s:
        rows = (await s.exec(select(QuarantinedUpdate))).all()
    assert len(rows) == 1 and rows[0].channel == "zalo"
    async with client.post("/zalo/webhook", json=text_update("u-6", "xin chào"), headers=headers) as resp:
        assert resp.status == 200
    await h.zalo.drain()
    assert [m["chat_id"] for m in fake.sent_messages] == ["u-6"]


@pytest.mark.parametrize("fault", ["down", "garbage"])
async def test_zalo_webhook_registered_later_is_supervised_and_shown_in_readyz(
        fake: FakeZaloApi, db_url: str, aiohttp_client: Any, fault: str) -> None:
    """Zalo down (or answering garbage) when the bot starts in webhook mode: the bot starts, /readyz says
    it is deaf until Zalo accepts the webhook, the retry is a supervised task, then it is ready."""
    import asyncio

    from tests.zalo_harness import WEBHOOK_URL

    if fault == "down":
        fake.fail_next("setWebhook", 500, times=2)  # the client's own retry fails too
    else:
        fake.fail_next("setWebhook", body=HTML_502, times=2)
    h = ZaloHarness(fake, db_url, webhook=True)
    await h.start()
    assert h.bot is not None
    try:
        client = await aiohttp_client(h.bot.web)
        resp = await client.get("/readyz")
        body = await resp.json()
        assert resp.status == 503 and "zalo: webhook not registered yet" in body["problems"], body
        assert body["channels"]["zalo"]["registered"] is False and "zalo-webhook" in body["tasks"]
        for _ in range(200):  # the supervisor tries again after 1 s
            if fake.webhook_url == WEBHOOK_URL:
                break
            await asyncio.sleep(0.05)
        assert (fake.webhook_url, fake.webhook_secret) == (WEBHOOK_URL, WEBHOOK_SECRET)
        resp = await client.get("/readyz")
        body = await resp.json()
        assert resp.status == 200 and body["channels"]["zalo"]["registered"] is True, body
    finally:
        await h.stop()
