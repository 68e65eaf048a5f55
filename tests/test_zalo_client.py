"""Tests for the Zalo Bot API client against the fake Zalo server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.parse import parse_update, split_text
from storage.errors import ChannelError, ConfigError, RateLimited
from tests.fakes.zalo_api import (
    HTML_502,
    SECRET_HEADER,
    FakeZaloApi,
    image_update,
    post_webhook,
    sticker_update,
    text_update,
    unsupported_update,
)

TOKEN = "1234567890123:Sk-tOk3n_s3cret"
USER = "6ede9afa66b88fe6d6a9"


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeZaloApi:
    api = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await api.serve(aiohttp_server)
    return api


@pytest.fixture
async def client(fake: FakeZaloApi) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(TOKEN, fake.base_url, timeout=1.0, max_retries=2, backoff=0.01) as zc:
        yield zc


def _assert_no_token(*texts: str) -> None:
    secret = TOKEN.split(":", 1)[1]
    for text in texts:
        for form in (TOKEN, quote(TOKEN, safe=""), quote(TOKEN, safe="").lower(), secret):
            assert form not in text


# -- plain calls -----------------------------------------------------------------------------------


async def test_get_me(client: ZaloClient, fake: FakeZaloApi) -> None:
    me = await client.get_me()
    assert me["id"] == "1234567890123"
    assert me["account_type"] == "BASIC" and me["can_join_groups"] is False
    assert fake.calls == [("getMe", {})]


async def test_polling_returns_one_update_per_call_then_none(client: ZaloClient, fake: FakeZaloApi) -> None:
    first = fake.queue_update(text_update(USER, "Xin chào"))
    second = fake.push_photo(USER, "https://photo-stal-1.zdn.vn/p/x.jpg", caption="ảnh")
    assert await client.get_updates(timeout=1) == first
    assert await client.get_updates(timeout=1) == second
    started = time.monotonic()
    assert await client.get_updates(timeout=0.1) is None  # fake answers 408 "Request timeout"
    assert time.monotonic() - started < 0.5
    assert [p["timeout"] for p in fake.method_calls("getUpdates")] == [1, 1, 0.1]


async def test_update_arriving_during_long_poll(client: ZaloClient, fake: FakeZaloApi) -> None:
    poll = asyncio.create_task(client.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    update = fake.push_text(USER, "muộn")
    assert await poll == update


async def test_list_result_is_buffered_not_lost(client: ZaloClient, fake: FakeZaloApi) -> None:
    a, b = text_update(USER, "a"), text_update(USER, "b")
    fake.fail_next("getUpdates", body={"ok": True, "result": [a, b]})
    assert await client.get_updates(timeout=0.1) == a
    assert await client.get_updates(timeout=0.1) == b
    assert len(fake.method_calls("getUpdates")) == 1


async def test_polling_while_webhook_set_is_permanent_error(client: ZaloClient, fake: FakeZaloApi) -> None:
    await client.set_webhook("https://example.test/zalo", "s" * 16)
    with pytest.raises(ChannelError) as info:
        await client.get_updates(timeout=0.1)
    assert info.value.code == 400 and not info.value.retryable
    assert "webhook is set" in str(info.value)


async def test_webhook_methods(client: ZaloClient, fake: FakeZaloApi) -> None:
    assert await client.get_webhook_info() is None  # never set: 404 Not Found
    result = await client.set_webhook("https://example.test/zalo", "secret-123")
    assert result["url"] == "https://example.test/zalo" and isinstance(result["updated_at"], int)
    assert fake.webhook_secret == "secret-123"
    assert (await client.get_webhook_info() or {})["url"] == "https://example.test/zalo"
    assert (await client.delete_webhook())["url"] == ""
    with pytest.raises(ChannelError) as info:
        await client.set_webhook("https://example.test/zalo", "short")
    assert info.value.code == 400 and not info.value.retryable


async def test_send_photo_sticker_and_action(client: ZaloClient, fake: FakeZaloApi) -> None:
    sent = await client.send_photo(USER, "https://example.test/a.png", caption="Biểu đồ")
    assert len(sent["message_id"]) == 20
    assert fake.method_calls("sendPhoto") == [
        {"chat_id": USER, "photo": "https://example.test/a.png", "caption": "Biểu đồ"}
    ]
    await client.send_photo(USER, "https://example.test/b.png", caption="x" * 2500)
    assert len(fake.sent_photos[1]["caption"]) == 2000 and fake.sent_messages[0]["text"] == "x" * 500
    await client.send_sticker(USER, "abc")
    await client.send_chat_action(USER)
    assert fake.chat_actions == [{"chat_id": USER, "action": "typing"}]
    with pytest.raises(ChannelError, match="must start with http"):
        await client.send_photo(USER, "file:///tmp/a.png")


async def test_owns_session_only_when_none_given(fake: FakeZaloApi) -> None:
    zc = ZaloClient(TOKEN, fake.base_url)
    await zc.get_me()  # creates its session lazily inside the loop
    await zc.close()
    async with aiohttp.ClientSession() as session:
        async with ZaloClient(TOKEN, fake.base_url, session=session) as shared:
            await shared.get_me()
        assert not session.closed
    with pytest.raises(ConfigError):
        ZaloClient("")


# -- splitting -------------------------------------------------------------------------------------


async def test_send_message_splits_on_line_boundaries(client: ZaloClient, fake: FakeZaloApi) -> None:
    lines = [f"{i:03d} " + "x" * 95 for i in range(50)]  # 50 lines of 99 chars, 4,999 chars with \n
    results = await client.send_message(USER, "\n".join(lines))
    texts = [m["text"] for m in fake.sent_messages]
    # 20 lines + 19 newlines = 1,999 chars; a 21st line would make 2,099
    assert texts == ["\n".join(lines[0:20]), "\n".join(lines[20:40]), "\n".join(lines[40:50])]
    assert [len(t) for t in texts] == [1999, 1999, 999]
    assert [r["message_id"] for r in results] == [m["message_id"] for m in fake.sent_messages]
    assert {m["chat_id"] for m in fake.sent_messages} == {USER}


def test_split_text_rules() -> None:
    assert split_text("ngắn") == ["ngắn"]
    assert split_text("") == [] and split_text(" \n ") == []
    assert split_text("x" * 2000) == ["x" * 2000]
    assert split_text("aaaa\nbbbb\ncc", 9) == ["aaaa\nbbbb", "cc"]  # break right after the limit
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]  # word fallback
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]  # hard fallback
    assert split_text("one two\nthree four five", 12) == ["one two", "three four", "five"]
    # a paragraph break in the second half wins over a later line break
    assert split_text("aaaaaa\n\nbb\ncc", 12) == ["aaaaaa", "bb\ncc"]
    # emoji count as two UTF-16 units, as a JS/Java server would count them
    assert split_text("😀" * 3, 4) == ["😀😀", "😀"]
    text = "\n".join(f"Dòng số {i}: báo cáo chuyển đổi số" for i in range(300))
    parts = split_text(text)
    assert all(len(p) <= 2000 for p in parts) and "\n".join(parts) == text


# -- faults ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 401, 404])
@pytest.mark.parametrize("http_errors", [False, True])
async def test_permanent_errors_are_not_retried(
    client: ZaloClient, fake: FakeZaloApi, code: int, http_errors: bool
) -> None:
    fake.http_errors = http_errors
    fake.fail_next("sendMessage", code, times=5)
    with pytest.raises(ChannelError) as info:
        await client.send_message(USER, "chào")
    assert info.value.code == code and info.value.retryable is False
    assert len(fake.method_calls("sendMessage")) == 1


async def test_wrong_token_is_unauthorized(fake: FakeZaloApi) -> None:
    async with ZaloClient("999:wrong-token", fake.base_url, backoff=0.01) as zc:
        with pytest.raises(ChannelError) as info:
            await zc.get_me()
    assert info.value.code == 401 and not info.value.retryable and len(fake.calls) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429},
        {"status": 403},  # documented by Zalo as "Internal server error"
        {"status": 500},
        {"status": 503, "http_status": 503},
        {"status": 502, "body": HTML_502},
        {"status": None, "delay": 0.5},  # slower than the client's 0.2 s timeout
        {"status": None, "drop": True},  # connection closed without an answer
    ],
    ids=["429", "403", "500", "503-http", "html-502", "slow", "dropped"],
)
async def test_transient_errors_are_retried(fake: FakeZaloApi, fault: dict[str, Any]) -> None:
    fake.fail_next("sendMessage", **fault)
    async with ZaloClient(TOKEN, fake.base_url, timeout=0.2, backoff=0.01) as zc:
        result = await zc.send_message(USER, "chào")
    assert len(fake.method_calls("sendMessage")) == 2
    assert [m["text"] for m in fake.sent_messages] == ["chào"] and result[0]["message_id"]


async def test_persistent_5xx_gives_up_retryable(client: ZaloClient, fake: FakeZaloApi) -> None:
    fake.fail_next("sendMessage", 500, times=10)
    with pytest.raises(ChannelError) as info:
        await client.send_message(USER, "chào")
    assert info.value.retryable is True and info.value.code == 500
    assert len(fake.method_calls("sendMessage")) == 3  # first try + max_retries=2


async def test_429_honours_retry_after_hint(client: ZaloClient, fake: FakeZaloApi) -> None:
    body = {
        "ok": False,
        "error_code": 429,
        "description": "Quota exceeded",
        "parameters": {"retry_after": 0.2},
    }
    fake.fail_next("sendMessage", body=body)
    started = time.monotonic()
    await client.send_message(USER, "chào")
    assert time.monotonic() - started >= 0.2
    fake.fail_next("sendMessage", 429, http_status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as info:  # longer than max_wait: handed to the caller at once
        await client.send_message(USER, "chào")
    assert info.value.retry_after == 120 and info.value.retryable


async def test_persistent_429_raises_rate_limited(client: ZaloClient, fake: FakeZaloApi) -> None:
    fake.rate_limit(burst=1, per_second=0.001)
    await client.send_message(USER, "một")
    with pytest.raises(RateLimited) as info:
        await client.send_message(USER, "hai")
    assert info.value.retry_after > 0 and len(fake.method_calls("sendMessage")) == 4


# -- token hygiene ---------------------------------------------------------------------------------


async def test_token_never_leaks(fake: FakeZaloApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"bad token {TOKEN} in /bot{quote(TOKEN, safe='')}/sendMessage"
    fake.fail_next("sendMessage", 500, body={"ok": False, "error_code": 500, "description": echo}, times=9)
    fake.fail_next("getMe", None, delay=0.5, times=2)
    errors: list[ChannelError] = []
    targets = [(fake.base_url, "send"), (fake.base_url, "me"), (f"http://127.0.0.1:{_free_port()}/bot", "me")]
    for base_url, call in targets:  # echoed token, timeout, connection refused
        async with ZaloClient(TOKEN, base_url, timeout=0.2, max_retries=1, backoff=0.01) as zc:
            with pytest.raises(ChannelError) as info:
                await (zc.send_message(USER, "x") if call == "send" else zc.get_me())
            errors.append(info.value)
    assert all(e.retryable for e in errors) and "<token>" in str(errors[0])
    _assert_no_token(*(str(e) for e in errors), *(repr(e) for e in errors), caplog.text)
    _assert_no_token(*(r.getMessage() for r in caplog.records))
    assert sum("retry 1/1" in r.getMessage() for r in caplog.records) == 3


def _free_port() -> int:
    """A loopback port nothing listens on, so a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- parse_update ----------------------------------------------------------------------------------


def test_parse_text_update_bare_and_wrapped() -> None:
    raw = text_update(USER, "Xin chào", msg_id="2d758cb5e222177a4e35", display_name="Ted", date=1750316131602)
    for body in (raw, {"ok": True, "result": raw}):
        update = parse_update(body)
        assert update.event_name == "message.text.received" and update.text == "Xin chào"
        assert (update.message_id, update.chat_id, update.user_id) == ("2d758cb5e222177a4e35", USER, USER)
        assert update.chat_type == "PRIVATE" and update.display_name == "Ted" and not update.is_bot
        assert update.date == datetime(2025, 6, 19, 6, 55, 31, 602000, tzinfo=UTC)
        assert update.raw is raw


def test_parse_image_sticker_unsupported() -> None:
    image = parse_update(image_update(USER, "https://photo-stal-1.zdn.vn/p/1.jpg", caption="biên bản"))
    assert image.photo_url == "https://photo-stal-1.zdn.vn/p/1.jpg" and image.caption == "biên bản"
    docs_shape = image_update(USER, "https://a.zdn.vn/2.jpg")
    del docs_shape["message"]["photo_url"]
    assert parse_update(docs_shape).photo_url == "https://a.zdn.vn/2.jpg"
    sticker = parse_update(sticker_update(USER, "bfe458"))
    assert sticker.sticker == "bfe458" and sticker.text is None and sticker.photo_url is None
    other = parse_update(unsupported_update(USER))
    assert other.event_name == "message.unsupported.received" and other.display_name is None
    named = text_update(USER, "hi", display_name=None)
    named["message"]["from"]["name"] = "Lan"
    assert parse_update(named).display_name == "Lan"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        {"ok": False, "error_code": 400, "result": None},
        {"ok": True, "result": "x"},
        {"event_name": "message.text.received"},
        {"event_name": "", "message": {}},
        {"event_name": "message.text.received", "message": {"message_id": "m1", "text": "x"}},
        {"event_name": "message.text.received", "message": {"chat": {"id": USER}, "text": "x"}},
    ],
)
def test_parse_malformed_raises(body: Any) -> None:
    with pytest.raises(ChannelError) as info:
        parse_update(body)
    assert info.value.retryable is False


# -- webhook helper --------------------------------------------------------------------------------


async def test_post_webhook_helper(aiohttp_client: Any, fake: FakeZaloApi) -> None:
    received: list[tuple[str | None, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=200 if request.headers.get(SECRET_HEADER) == "secret-123" else 403)

    app = web.Application()
    app.router.add_post("/zalo", hook)
    hook_client = await aiohttp_client(app)
    update = text_update(USER, "chào")
    assert await post_webhook(hook_client, update, "secret-123", path="/zalo") == (200, "")
    assert (await post_webhook(hook_client, update, None, path="/zalo", wrapped=True))[0] == 403
    fake.require_https = False
    url = str(hook_client.make_url("/zalo"))
    async with ZaloClient(TOKEN, fake.base_url) as zc:
        await zc.set_webhook(url, "secret-123")
    assert (await fake.push_webhook(update, wrapped=True))[0] == 200
    assert received == [
        ("secret-123", update),
        (None, {"ok": True, "result": update}),
        ("secret-123", {"ok": True, "result": update}),
    ]
    assert parse_update(received[2][1]).text == "chào"
