"""The fake Telegram Bot API driven by the real python-telegram-bot stack (no mocks)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import FakeTelegramApi, api_urls

TOKEN = "123:ABC"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours HTTP(S)_PROXY; loopback calls must bypass any proxy.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake() -> FakeTelegramApi:
    return FakeTelegramApi(token=TOKEN)


@pytest.fixture
async def urls(fake: FakeTelegramApi, aiohttp_server: Any) -> tuple[str, str]:
    server = await aiohttp_server(fake.app)
    return api_urls(str(server.make_url("")))


def build_app(urls: tuple[str, str], token: str = TOKEN) -> Application:
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(urls[0])
        .base_file_url(urls[1])
        .job_queue(None)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .build()
    )


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Báo cáo", callback_data="report")],
            [InlineKeyboardButton("Trợ giúp", callback_data="help")],
        ]
    )
    await update.effective_message.reply_text(
        f"Xin chào {update.effective_user.first_name}", reply_markup=keyboard
    )


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("ok")
    await query.edit_message_text(f"Bạn chọn: {query.data} (trước: {query.message.text})")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    contact = update.effective_message.contact
    await update.effective_message.reply_text(
        f"phone {contact.phone_number} of {contact.user_id}", reply_markup=ReplyKeyboardRemove()
    )


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    data = await (await message.photo[-1].get_file()).download_as_bytearray()
    await message.reply_document(
        bytes(data), filename="echo.bin", caption=f"{message.caption}: {len(data)} B"
    )


@pytest.fixture
async def bot_app(urls: tuple[str, str]) -> AsyncIterator[Application]:
    """Initialized application (getMe done), no polling."""
    app = build_app(urls)
    await app.initialize()
    yield app
    await app.shutdown()


@pytest.fixture
async def polling_app(bot_app: Application) -> AsyncIterator[Application]:
    app = bot_app
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_callback))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    yield app
    if app.updater.running:
        await app.updater.stop()
    await app.stop()


async def test_polling_round_trip(fake: FakeTelegramApi, polling_app: Application) -> None:
    # start_polling() returns before its first getUpdates reaches the server.
    assert [name for name, _ in fake.requests[:2]] == ["getMe", "deleteWebhook"]

    fake.queue(fake.message(7, "/start", first_name="An"))
    [hello] = await fake.wait_for_sent(1)
    assert (hello.method, hello.chat_id, hello.text) == ("sendMessage", 7, "Xin chào An")
    assert hello.buttons == [["Báo cáo"], ["Trợ giúp"]]
    assert hello.callback_data == ["report", "help"]

    fake.queue(fake.callback(7, "report", message_id=hello.message_id))
    fake.queue(fake.message(7, "xin chào bot"))
    fake.queue(fake.sticker(7))  # no handler: ignored
    fake.queue(fake.message(7, "/start@other_bot"))  # addressed to another bot: ignored
    fake.queue(fake.contact(7, "+84901234567"))
    fake.add_file("photo-1", b"\x89PNG fake image")
    fake.queue(fake.photo(7, "photo-1", caption="ảnh"))
    last = fake.queue(fake.group_message(8, "/start@cdsbot_test_bot", first_name="Bình", chat_id=-1005))

    sent = await fake.wait_for_sent(6)
    assert [(m.method, m.chat_id, m.text or m.caption) for m in sent[1:]] == [
        ("editMessageText", 7, "Bạn chọn: report (trước: Xin chào An)"),
        ("sendMessage", 7, "echo: xin chào bot"),
        ("sendMessage", 7, "phone +84901234567 of 7"),
        ("sendDocument", 7, "ảnh: 15 B"),
        ("sendMessage", -1005, "Xin chào Bình"),
    ]
    edit, _, contact_reply, document, group_hello = sent[1:]
    assert edit.message_id == hello.message_id and edit.reply_markup is None
    assert fake.callback_answers[0]["text"] == "ok"
    assert contact_reply.reply_markup == {"remove_keyboard": True}
    assert (document.document_name, document.document_bytes) == ("echo.bin", b"\x89PNG fake image")
    assert fake.calls("getFile") == [{"file_id": "photo-1"}]
    assert group_hello.buttons == [["Báo cáo"], ["Trợ giúp"]]

    await polling_app.updater.stop()  # last getUpdates acknowledges everything fetched
    assert fake.confirmed_update_id == last["update_id"] == 8
    assert fake.updates == []
    offsets = [int(p.get("offset", 0)) for p in fake.calls("getUpdates")]
    assert offsets == sorted(offsets) and offsets[-1] == 9
    assert fake.calls("getUpdates")[-1]["timeout"] == "0"
    assert len(fake.take_sent()) == 6 and fake.sent == []


async def test_commands_per_language(fake: FakeTelegramApi, bot_app: Application) -> None:
    bot = bot_app.bot
    assert await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("baocao", "Báo cáo")])
    assert await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    assert fake.commands[""] == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "baocao", "description": "Báo cáo"},
    ]
    assert fake.commands["en"] == [{"command": "start", "description": "Start"}]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]
    assert len(await bot.get_my_commands()) == 2


async def test_send_document_and_download(fake: FakeTelegramApi, bot_app: Application) -> None:
    payload = b"PK\x03\x04 docx bytes"
    message = await bot_app.bot.send_document(7, payload, filename="bao-cao.docx", caption="Báo cáo")
    [sent] = fake.sent
    assert (sent.method, sent.document_name, sent.document_bytes, sent.caption) == (
        "sendDocument",
        "bao-cao.docx",
        payload,
        "Báo cáo",
    )
    assert message.document.file_name == "bao-cao.docx" and message.document.file_size == len(payload)
    file = await bot_app.bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload


async def test_429_retried_once_by_rate_limiter(fake: FakeTelegramApi, bot_app: Application) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    message = await bot_app.bot.send_message(7, "sau khi chờ")
    assert time.monotonic() - started >= 1.0
    assert message.text == "sau khi chờ"
    assert len(fake.calls("sendMessage")) == 2 and len(fake.sent) == 1


async def test_429_beyond_max_retries_raises(fake: FakeTelegramApi, bot_app: Application) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=2)
    with pytest.raises(RetryAfter):
        await bot_app.bot.send_message(7, "x")
    assert len(fake.calls("sendMessage")) == 2 and fake.sent == []


async def test_error_statuses_map_to_ptb_exceptions(fake: FakeTelegramApi, bot_app: Application) -> None:
    bot = bot_app.bot
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(7, "x")
    with pytest.raises(BadRequest, match="^Message is too long$"):  # PTB strips "Bad Request: "
        await bot.send_message(7, "x" * 4097)
    bad = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="^Button_data_invalid$"):  # str.capitalize() lowercases the rest
        await bot.send_message(7, "x", reply_markup=bad)
    assert await bot.send_message(7, "ok")
    assert [m.text for m in fake.sent] == ["ok"]


async def test_wrong_token_and_unknown_method(
    fake: FakeTelegramApi, urls: tuple[str, str], aiohttp_client: Any
) -> None:
    app = build_app(urls, token="999:WRONG")
    with pytest.raises(InvalidToken):
        await app.initialize()
    await app.shutdown()
    client = await aiohttp_client(fake.app)
    resp = await client.post("/bot999:WRONG/getMe")
    assert resp.status == 401
    assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    resp = await client.post(f"/bot{TOKEN}/sendRocket")
    assert resp.status == 404 and "not found" in (await resp.json())["description"]
    resp = await client.post(
        f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "hi", "reply_markup": {"inline_keyboard": []}}
    )
    body = await resp.json()
    assert body["ok"] and body["result"]["chat"] == {"id": 5, "type": "private", "first_name": "Test"}
    assert fake.calls("sendMessage") == [
        {"chat_id": "5", "text": "hi", "reply_markup": {"inline_keyboard": []}}
    ]
    resp = await client.get(f"/bot{TOKEN}/getMe")
    assert (await resp.json())["result"]["username"] == "cdsbot_test_bot"


async def test_get_updates_long_poll_and_offsets(fake: FakeTelegramApi, aiohttp_client: Any) -> None:
    client = await aiohttp_client(fake.app)
    url = f"/bot{TOKEN}/getUpdates"
    started = time.monotonic()
    assert (await (await client.post(url, data={"timeout": "0.2"})).json())["result"] == []
    assert time.monotonic() - started >= 0.2

    poll = asyncio.create_task(client.post(url, data={"timeout": "5"}))
    await asyncio.sleep(0.05)
    first = fake.queue(fake.message(1, "a"))
    started = time.monotonic()
    result = (await (await poll).json())["result"]
    assert time.monotonic() - started < 1 and [u["update_id"] for u in result] == [first["update_id"]]

    fake.queue(fake.message(1, "b"))
    result = (await (await client.post(url, data={"offset": str(first["update_id"] + 1)})).json())["result"]
    assert [u["message"]["text"] for u in result] == ["b"]
    assert fake.confirmed_update_id == first["update_id"] and len(fake.updates) == 1


async def test_webhook_set_conflict_and_delay(fake: FakeTelegramApi, bot_app: Application) -> None:
    bot = bot_app.bot
    assert await bot.set_webhook("https://example.test/tg", secret_token="s3cret")
    assert (fake.webhook_url, fake.webhook_secret) == ("https://example.test/tg", "s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.test/tg"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()
    fake.delay("sendChatAction", 0.2)
    started = time.monotonic()
    assert await bot.send_chat_action(7, "typing")
    assert time.monotonic() - started >= 0.2


async def test_post_webhook_sends_secret_header(fake: FakeTelegramApi, aiohttp_server: Any) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/tg", hook)
    server = await aiohttp_server(app)
    url = str(server.make_url("/tg"))
    assert await fake.post_webhook(url, fake.message(7, "/start"), secret="s3cret") == 200
    assert await fake.post_webhook(url, fake.message(7, "hi"), secret="wrong") == 403
    assert await fake.post_webhook(url, fake.message(7, "hi")) == 403
    assert [s for s, _ in received] == ["s3cret", "wrong", None]
    update = Update.de_json(received[0][1], None)
    assert update.update_id == 1 and update.message.text == "/start"
    assert update.message.entities[0].type == "bot_command"


def test_factories_parse_with_ptb(fake: FakeTelegramApi) -> None:
    fake.add_file("doc-1", b"12345")
    cases = [
        fake.message(5, "/baocao@cdsbot_test_bot tháng 6", username="an", message_id=50, date=1_700_000_000),
        fake.edited_message(5, "sửa", message_id=50),
        fake.group_message(5, "chào nhóm", chat_id=-1001234567890, chat_type="supergroup", title="Xã A"),
        fake.document(5, "doc-1", "bao-cao.xlsx", caption="file"),
        fake.sticker(5),
        fake.photo(5, "photo-9"),
        fake.contact(5, "0901234567", contact_user_id=6),
        fake.callback(5, "pick:1", message_id=99, chat_id=-42, chat_type="group"),
    ]
    updates = [Update.de_json(fake.queue(case), None) for case in cases]
    assert [u.update_id for u in updates] == list(range(1, 9))
    command = updates[0].message
    assert command.entities[0].length == len("/baocao@cdsbot_test_bot") and command.from_user.username == "an"
    assert command.from_user.language_code == "vi" and command.message_id == 50
    assert updates[1].edited_message.edit_date is not None
    assert (updates[2].effective_chat.type, updates[2].effective_chat.title) == ("supergroup", "Xã A")
    assert (updates[3].message.document.file_size, updates[3].message.document.mime_type) == (
        5,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert updates[4].message.sticker is not None and updates[5].message.photo[-1].file_id == "photo-9"
    assert updates[6].message.contact.user_id == 6
    assert (updates[7].callback_query.data, updates[7].effective_chat.id) == ("pick:1", -42)
    assert "entities" not in fake.message(5, "no command")["message"]
    with pytest.raises(ValueError):
        fake.group_message(5, "x", chat_id=5)


async def test_standalone_start_stop(fake: FakeTelegramApi) -> None:
    base_url = await fake.start()
    try:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with Bot(TOKEN, base_url=base_url, base_file_url=fake.base_file_url) as bot:
            assert (await bot.get_me()).username == "cdsbot_test_bot"
            assert (await bot.send_message(-100123, "nhóm")).chat.type == "group"
    finally:
        await fake.stop()
    assert [m.chat_id for m in fake.sent] == [-100123]
