"""Telegram down (or answering garbage) when the bot starts: it starts anyway, /readyz says it is not
connected, a supervised task connects later, and nothing sent meanwhile is lost. A refused token stops it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import BotApp
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from storage.errors import ConfigError
from tests.fakes.telegram_api import FakeTelegramApi, api_urls

TOKEN, SECRET = "123456:TEST-token", "s3cret_Value-1"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


async def _bot(fake: FakeTelegramApi, aiohttp_server: Any, db_url: str, **env: str) -> BotApp:
    server = await aiohttp_server(fake.app)
    base, _ = api_urls(str(server.make_url("")))
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": TOKEN,
                              "TELEGRAM_API_BASE_URL": base, **env}, env_file=None)
    db = Database(db_url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone), poll_timeout=1)
    bot.supervisor.base, bot.supervisor.cap = 0.05, 0.2  # the real 1 s .. 60 s backoff would make this crawl
    channel = bot.channels[0]
    channel.retry_delay, channel.max_backoff, channel.poll_grace = 0.05, 0.2, 0.5
    return bot


async def _until(check: Any, what: str) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting until {what}")


@pytest.mark.parametrize("fault", ["down", "garbage", "timeout"])
async def test_polling_bot_starts_while_telegram_is_down_and_answers_once_it_is_back(
        aiohttp_server: Any, aiohttp_client: Any, db_url: str, fault: str) -> None:
    fake = FakeTelegramApi(token=TOKEN)
    if fault == "down":
        fake.fail_next("getMe", 502, "Bad Gateway", times=3)
    elif fault == "garbage":
        fake.fail_raw("getMe", 200, HTML_502, times=3)
    else:
        fake.fail_raw("getMe", 200, "{}", times=1, stall=6.0)  # longer than PTB's 5 s read timeout
    bot = await _bot(fake, aiohttp_server, db_url)
    await bot.start(serve_http=False, background=True)  # returns although getMe failed
    try:
        client = await aiohttp_client(bot.web)
        assert "telegram-connect" in bot.supervisor.states
        if fault != "timeout":  # (after a 5 s timeout the first retry may already have connected)
            resp = await client.get("/readyz")
            body = await resp.json()
            assert resp.status == 503 and "telegram: not connected yet" in body["problems"], body
            assert body["channels"]["telegram"]["registered"] is False and "telegram-connect" in body["tasks"]
            assert body["channels"]["telegram"]["last_error"].startswith("start: ")
        fake.queue(fake.message(501, "/start"))  # a member writes while the bot cannot reach Telegram
        await _until(lambda: fake.sent, "the member got an answer")
        assert fake.sent[0].chat_id == 501 and fake.sent[0].text
        assert fake.calls("deleteWebhook")
        await _until(lambda: set(fake.commands) == {"", "en"}, "the command menu was registered (vi, en)")
        resp = await client.get("/readyz")
        body = await resp.json()
        assert body["channels"]["telegram"]["registered"] is True, body
        assert not [p for p in body["problems"] if p.startswith("telegram")], body
        if fault != "timeout":
            assert body["tasks"]["telegram-connect"]["restarts"] >= 1, body["tasks"]
    finally:
        await bot.stop()


async def test_a_failing_command_menu_does_not_hold_up_the_answers(
        aiohttp_server: Any, aiohttp_client: Any, db_url: str) -> None:
    fake = FakeTelegramApi(token=TOKEN)
    fake.fail_next("setMyCommands", 500, "Internal Server Error", times=3)
    bot = await _bot(fake, aiohttp_server, db_url)
    await bot.start(serve_http=False, background=True)
    try:
        client = await aiohttp_client(bot.web)
        fake.queue(fake.message(503, "/start"))
        await _until(lambda: fake.sent, "the member got an answer")
        assert fake.sent[0].chat_id == 503 and fake.sent[0].text
        await _until(lambda: set(fake.commands) == {"", "en"}, "the command menu was registered (vi, en)")
        assert [c["command"] for c in fake.commands[""]][:2] == ["baocao", "ghinhan"]
        body = await (await client.get("/readyz")).json()
        assert body["channels"]["telegram"]["registered"] is True, body
        assert body["tasks"]["telegram-commands"]["restarts"] >= 1, body["tasks"]  # the failures are shown
    finally:
        await bot.stop()


async def test_webhook_bot_registers_later_and_keeps_what_telegram_delivered_meanwhile(
        aiohttp_server: Any, aiohttp_client: Any, db_url: str) -> None:
    fake = FakeTelegramApi(token=TOKEN)
    # Telegram refuses setWebhook until the test has seen the bot say so (the supervisor retries every
    # 0.1 s: two failures only could be over before /readyz is asked on a loaded machine)
    fake.fail_next("setWebhook", 500, "Internal Server Error", times=1_000_000)
    bot = await _bot(fake, aiohttp_server, db_url, TELEGRAM_WEBHOOK_URL="https://bot.example.vn/tg",
                     TELEGRAM_WEBHOOK_SECRET=SECRET)
    await bot.start(serve_http=False, background=True)
    try:
        client = await aiohttp_client(bot.web)
        await _until(lambda: len(fake.calls("setWebhook")) >= 2, "setWebhook was tried again")
        body = await (await client.get("/readyz")).json()
        assert "telegram: webhook not registered yet" in body["problems"], body
        # an update the old webhook still delivers: stored and answered, never lost
        resp = await client.post("/telegram/webhook", json={"update_id": 777, **fake.message(502, "/start")},
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert resp.status == 200
        fake.clear_faults()  # Telegram takes the webhook again
        await _until(lambda: fake.calls("setWebhook") and fake.webhook_url, "the webhook was registered")
        await _until(lambda: fake.sent, "the member got an answer")
        assert [m.chat_id for m in fake.sent] == [502]
        body = await (await client.get("/readyz")).json()
        assert body["channels"]["telegram"]["registered"] is True, body
    finally:
        await bot.stop()


async def test_a_refused_token_stops_the_start_without_logging_the_token(
        aiohttp_server: Any, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTelegramApi(token=TOKEN)
    fake.fail_next("getMe", 401, "Unauthorized")
    bot = await _bot(fake, aiohttp_server, db_url)
    try:
        with pytest.raises(ConfigError, match="refused the bot token") as raised:
            await bot.start(serve_http=False, background=False)
        assert "TEST-token" not in str(raised.value) and "TEST-token" not in caplog.text
        assert "telegram-connect" not in bot.supervisor.states
    finally:
        await bot.stop()
