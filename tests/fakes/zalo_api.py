"""A fake Zalo Bot API (aiohttp app for 127.0.0.1) that queues updates, records sends and injects faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

__all__ = [
    "FakeZaloApi",
    "image_update",
    "post_webhook",
    "sticker_update",
    "text_update",
    "unsupported_update",
]

SECRET_HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_SET = "You cannot use this API while a webhook is set. Please remove the webhook first"
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Internal server error",  # sic: the docs' error table labels 403 this way
    404: "Not Found",
    408: "Request timeout",
    429: "Quota exceeded",
    500: "Internal server error",
}
PHOTO_URL = "https://photo-stal-1.zdn.vn/p/abc.jpg"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def _hex_id() -> str:
    return secrets.token_hex(10)  # 20 hex chars, like real message and user ids


def _now_ms() -> int:
    return int(time.time() * 1000)


def _message_update(event: str, user_id: str, content: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Build an update; ``kw``: msg_id, display_name (None leaves it out), chat_id, date (ms)."""
    sender: dict[str, Any] = {"id": user_id, "is_bot": False}
    if kw.get("display_name", "Người dùng") is not None:
        sender["display_name"] = kw.get("display_name", "Người dùng")
    message: dict[str, Any] = {
        "message_id": kw.get("msg_id") or _hex_id(),
        "date": kw.get("date") or _now_ms(),
        "from": sender,
        "chat": {"id": kw.get("chat_id") or user_id, "chat_type": "PRIVATE"},
    }
    message.update({k: v for k, v in content.items() if v is not None})
    return {"event_name": event, "message": message}


def text_update(user_id: str, text: str, msg_id: str | None = None, **kw: Any) -> dict[str, Any]:
    """A bare ``message.text.received`` update; ``kw``: display_name, chat_id, date (ms)."""
    return _message_update("message.text.received", user_id, {"text": text}, msg_id=msg_id, **kw)


def image_update(
    user_id: str, photo_url: str = PHOTO_URL, caption: str | None = None, msg_id: str | None = None, **kw: Any
) -> dict[str, Any]:
    """A ``message.image.received`` update carrying BOTH ``photo`` (docs) and ``photo_url`` (seen live)."""
    content = {"photo": photo_url, "photo_url": photo_url, "caption": caption, "message_type": "CHAT_PHOTO"}
    return _message_update("message.image.received", user_id, content, msg_id=msg_id, **kw)


def sticker_update(user_id: str, sticker: str = "bfe458bf64fa8da4d4eb", **kw: Any) -> dict[str, Any]:
    """A ``message.sticker.received`` update (sticker id plus its image ``url``)."""
    content = {"sticker": sticker, "url": f"https://zalo-api.zadn.vn/api/emoticon/sticker/{sticker}"}
    return _message_update("message.sticker.received", user_id, content, **kw)


def unsupported_update(user_id: str, **kw: Any) -> dict[str, Any]:
    """A ``message.unsupported.received`` update: no content at all."""
    return _message_update("message.unsupported.received", user_id, {}, display_name=None, **kw)


@dataclass
class _Fault:
    method: str | None
    status: int | None
    body: dict[str, Any] | str | None
    delay: float
    times: int
    http_status: int | None
    headers: dict[str, str] | None
    drop: bool
    deliver: bool = False
    chat_id: str | None = None


class FakeZaloApi:
    """In-memory Bot API. Errors come as HTTP 200 envelopes unless ``http_errors=True``."""

    def __init__(
        self,
        token: str = "123:abc",
        *,
        http_errors: bool = False,
        max_poll_wait: float = 1.0,
        require_https: bool = True,
    ) -> None:
        self.token = token
        self.http_errors = http_errors
        self.max_poll_wait = max_poll_wait  # cap on a getUpdates wait, so tests never hang 30 s
        self.require_https = require_https
        # getUpdates hands out the head of the queue this many extra times before removing it (a
        # platform redelivering an update); counted, so a test knows exactly how many deliveries come
        self.replay = 0
        self.base_url = ""  # set by serve(): the ZaloClient base_url, e.g. http://127.0.0.1:PORT/bot
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.app.router.add_get("/cdn/{name}", self._serve_photo)  # the photo CDN (photo-*.zdn.vn)
        self.photos: dict[str, bytes] = {}  # CDN file name → bytes, until expired
        self.app.on_shutdown.append(self._on_shutdown)
        self._closing = asyncio.Event()
        self._arrived = asyncio.Event()
        self.reset()

    def reset(self) -> None:
        """Forget updates, recorded calls, faults, webhook and quota."""
        self.updates: deque[dict[str, Any]] = deque()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent_messages: list[dict[str, Any]] = []
        self.sent_photos: list[dict[str, Any]] = []
        self.sent_stickers: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.webhook_url: str | None = None  # None: never set; "": deleted
        self.webhook_secret: str | None = None
        self.webhook_updated_at = 0
        self._faults: list[_Fault] = []
        self._quota: tuple[float, float] | None = None
        self._bucket = (0.0, 0.0)

    # -- test-side API -----------------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Make ``update`` the next thing getUpdates hands out (after earlier ones)."""
        self.updates.append(update)
        self._arrived.set()
        return update

    def push_text(self, user_id: str, text: str, **kw: Any) -> dict[str, Any]:
        return self.queue_update(text_update(user_id, text, **kw))

    def push_photo(self, user_id: str, photo_url: str, caption: str | None = None, **kw: Any) -> dict:
        return self.queue_update(image_update(user_id, photo_url, caption, **kw))

    def add_photo(self, data: bytes) -> str:
        """Serve ``data`` like Zalo's photo CDN and return its URL, for ``push_photo``."""
        name = f"{_hex_id()}.jpg"
        self.photos[name] = data
        return f"{self.base_url.removesuffix('/bot')}/cdn/{name}"

    def expire_photo(self, url: str) -> None:
        """The CDN link stops working (Zalo's photo links expire)."""
        self.photos.pop(url.rsplit("/", 1)[-1], None)

    async def _serve_photo(self, request: web.Request) -> web.Response:
        data = self.photos.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="image/jpeg")

    def fail_next(
        self,
        method: str | None = None,
        status: int | None = 500,
        *,
        body: dict[str, Any] | str | None = None,
        delay: float = 0.0,
        times: int = 1,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
        drop: bool = False,
        deliver: bool = False,
        chat_id: str | None = None,
    ) -> None:
        """Fault for the next ``times`` calls of ``method`` (any method if None).

        ``status`` is the envelope's error_code (None: answer normally after ``delay``); ``body`` a dict
        replaces the envelope, a str is sent as text/html (e.g. ``HTML_502``); ``drop`` closes the socket.
        ``deliver``: the call is carried out first (the send is recorded, as when Zalo delivered it and
        only the answer went wrong); ``chat_id``: only calls to that chat take the fault.
        """
        self._faults.append(_Fault(method, status, body, delay, times, http_status, headers, drop, deliver,
                                   chat_id))

    def rate_limit(self, burst: int, per_second: float) -> None:
        """Token bucket over send* methods: beyond it they answer 429 Quota exceeded."""
        self._quota = (float(burst), per_second)
        self._bucket = (float(burst), time.monotonic())

    async def serve(self, aiohttp_server: Any) -> Any:
        """Start on 127.0.0.1 with pytest-aiohttp's fixture and set ``base_url``; the access log is
        off because the token sits in the request path."""
        server = await aiohttp_server(self.app, access_log=None)
        self.base_url = str(server.make_url("/bot"))
        return server

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == method]

    async def push_webhook(
        self, update: dict[str, Any], *, secret: str | None = None, wrapped: bool = False
    ) -> tuple[int, str]:
        """Deliver ``update`` to the registered webhook the way Zalo does (secret defaults to the stored one)."""
        if not self.webhook_url:
            raise RuntimeError("no webhook registered on the fake")
        return await post_webhook(self.webhook_url, update, secret or self.webhook_secret, wrapped=wrapped)

    # -- HTTP --------------------------------------------------------------------------------

    async def _on_shutdown(self, app: web.Application) -> None:
        self._closing.set()

    async def _wait(self, seconds: float, event: asyncio.Event | None = None) -> None:
        """Sleep ``seconds`` or until shutdown (or ``event``), whichever comes first."""
        events = [self._closing] + ([event] if event else [])
        tasks = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(tasks, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.deliver and (handler := getattr(self, f"_m_{method}", None)) is not None:
                delivered = await handler(params)
                if fault.status is None and fault.body is None and not fault.drop:
                    if fault.delay:
                        await self._wait(fault.delay)
                    return delivered
            if fault.delay:
                await self._wait(fault.delay)
            if fault.drop:
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            if fault.body is not None or fault.status is not None:
                return self._fault_response(fault)
        if request.match_info["token"] != self.token:
            return self._error(401)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404)
        if method.startswith("send") and not str(params.get("chat_id") or ""):
            return self._error(400, "Bad request: The chat_id must not be empty")
        if method.startswith("send") and not self._take_quota():
            return self._error(429)
        return await handler(params)

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        for fault in self._faults:
            if fault.method in (None, method) and fault.chat_id in (None, str(params.get("chat_id"))):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _take_quota(self) -> bool:
        if self._quota is None:
            return True
        burst, rate = self._quota
        level, then = self._bucket
        now = time.monotonic()
        level = min(burst, level + (now - then) * rate)
        if level < 1:
            self._bucket = (level, now)
            return False
        self._bucket = (level - 1, now)
        return True

    def _fault_response(self, fault: _Fault) -> web.Response:
        if isinstance(fault.body, str):
            return web.Response(
                text=fault.body,
                status=fault.http_status or fault.status or 502,
                content_type="text/html",
                headers=fault.headers,
            )
        code = fault.status or 500
        body = fault.body or {
            "ok": False,
            "error_code": code,
            "description": _DESCRIPTIONS.get(code, "Error"),
        }
        status = fault.http_status or (code if self.http_errors else 200)
        return web.json_response(body, status=status, headers=fault.headers)

    def _error(self, code: int, description: str | None = None) -> web.Response:
        body = {"ok": False, "error_code": code, "description": description or _DESCRIPTIONS[code]}
        return web.json_response(body, status=code if self.http_errors else 200)

    @staticmethod
    def _ok(result: Any = None) -> web.Response:
        return web.json_response({"ok": True} if result is None else {"ok": True, "result": result})

    def _sent(self, log: list[dict[str, Any]], record: dict[str, Any]) -> web.Response:
        result = {"message_id": _hex_id(), "date": _now_ms()}
        log.append({**record, **result})
        return self._ok(result)

    # -- methods -----------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        bot_id = self.token.split(":", 1)[0]
        return self._ok(
            {
                "id": bot_id if bot_id.isdigit() else "7420517352185846210",
                "account_name": "bot.cdsbot",
                "account_type": "BASIC",
                "can_join_groups": False,
                "display_name": "Bot CĐS Xã",
            }
        )

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook_url:
            return self._error(400, WEBHOOK_SET)
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return self._error(400, "Bad request: The timeout is invalid")
        deadline = asyncio.get_running_loop().time() + min(timeout, self.max_poll_wait)
        while not self.updates and not self._closing.is_set():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._arrived.clear()
            await self._wait(remaining, self._arrived)
        if not self.updates:
            return self._error(408)
        if self.replay > 0:
            self.replay -= 1
            return self._ok(self.updates[0])
        return self._ok(self.updates.popleft())

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id, text = str(params.get("chat_id") or ""), params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return self._error(400, "Bad request: The text must be between 1 and 2000 characters")
        return self._sent(self.sent_messages, {"chat_id": chat_id, "text": text})

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        chat_id, photo, caption = str(params.get("chat_id") or ""), params.get("photo"), params.get("caption")
        if not photo:
            return self._error(400, "Bad request: The photo must not be empty")
        if not str(photo).startswith(("http://", "https://")):
            return self._error(400, "Bad request: The photo must start with http:// or https://")
        if caption is not None and not 1 <= len(str(caption)) <= 2000:
            return self._error(400, "Bad request: The caption must be between 1 and 2000 characters")
        return self._sent(self.sent_photos, {"chat_id": chat_id, "photo": photo, "caption": caption})

    async def _m_sendSticker(self, params: dict[str, Any]) -> web.Response:
        chat_id, sticker = str(params.get("chat_id") or ""), params.get("sticker")
        if not sticker:
            return self._error(400, "Bad request: The sticker must not be empty")
        return self._sent(self.sent_stickers, {"chat_id": chat_id, "sticker": sticker})

    async def _m_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        chat_id, action = str(params.get("chat_id") or ""), params.get("action")
        if action != "typing":
            return self._error(400, "Bad request: The action is not supported")
        self.chat_actions.append({"chat_id": chat_id, "action": action})
        return self._ok()

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        schemes = ("https://",) if self.require_https else ("https://", "http://")
        if not url.startswith(schemes):
            return self._error(400, "Bad request: The url must start with https://")
        if not 8 <= len(secret) <= 256:
            return self._error(400, "Bad request: The secret_token must be between 8 and 256 characters")
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = url, secret, _now_ms()
        return self._ok({"url": url, "updated_at": self.webhook_updated_at})

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = "", None, _now_ms()
        return self._ok({"url": "", "updated_at": self.webhook_updated_at})

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        if self.webhook_url is None:
            return self._error(404)
        return self._ok({"url": self.webhook_url, "updated_at": self.webhook_updated_at})


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string, then a JSON, form or multipart body (the docs allow all)."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            body = json.loads(await request.text() or "{}")
            if isinstance(body, dict):
                params.update(body)
    else:
        params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params


async def post_webhook(
    client_or_url: Any, update: dict[str, Any], secret: str | None, *, path: str = "/", wrapped: bool = False
) -> tuple[int, str]:
    """POST ``update`` as Zalo would, with X-Bot-Api-Secret-Token (omitted when ``secret`` is None).

    ``client_or_url`` is a full URL (str or yarl.URL) or a pytest-aiohttp TestClient plus ``path``.
    ``wrapped`` sends the docs' ``{"ok": true, "result": update}`` shape. Returns (status, body text).
    """
    body = {"ok": True, "result": update} if wrapped else update
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if hasattr(client_or_url, "post") and not isinstance(client_or_url, str):
        async with client_or_url.post(path, json=body, headers=headers) as resp:
            return resp.status, await resp.text()
    async with (
        aiohttp.ClientSession() as session,
        session.post(str(client_or_url), json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text()
