"""Fake Telegram Bot API server (aiohttp) speaking the real HTTP protocol, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_methods import ApiError, BotApiMethods, SentMessage, UploadedFile
from tests.fakes.telegram_updates import JsonDict

__all__ = ["ApiError", "FakeTelegramApi", "SentMessage", "UploadedFile", "api_urls"]

# Form fields carrying JSON-encoded objects; they are decoded before being recorded.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "entities",
        "caption_entities",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
    }
)


def api_urls(root_url: str) -> tuple[str, str]:
    """``(base_url, base_file_url)`` for PTB from a server root such as ``http://127.0.0.1:PORT``."""
    root = str(root_url).rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _RawFault:
    status: int
    body: str
    content_type: str
    remaining: int
    stall: float


@dataclass
class _SendFault:
    """A fault on the answer to a call (see ``fault_next``)."""

    status: int
    body: JsonDict | str | None
    delay: float
    deliver: bool
    chat_id: str | None
    remaining: int


class FakeTelegramApi(BotApiMethods):
    """In-memory Bot API. Serve ``.app`` with aiohttp_server or call ``start()``; one instance per loop.

    Records ``.requests`` (method, params) and ``.sent`` (SentMessage); params are strings except
    uploads (UploadedFile) and JSON fields such as reply_markup/commands/entities (decoded).
    """

    def __init__(
        self, token: str = "123:ABC", bot_username: str = "cdsbot_test_bot", *, first_name: str = "CDS Bot"
    ) -> None:
        super().__init__(token, bot_username, first_name)
        self._methods = self.method_table()
        self._update_ids = itertools.count(1)
        self._failures: dict[str, list[_Failure]] = {}
        self._send_faults: dict[str, list[_SendFault]] = {}
        self._delays: dict[str, float] = {}
        self._raw_faults: dict[str, list[_RawFault]] = {}  # answers that are not the Bot API envelope
        self._runner: web.AppRunner | None = None
        self.base_url = self.base_file_url = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self.app.on_shutdown.append(self._on_shutdown)

    # -- serving -------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve standalone (benchmarks); returns the PTB base_url ``http://host:port/bot``."""
        self._runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url, self.base_file_url = api_urls(f"http://{host}:{self._runner.addresses[0][1]}")
        return self.base_url

    async def stop(self) -> None:
        """Release pending long polls and stop the standalone server."""
        self._wake_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- driving the bot -----------------------------------------------------------------------------
    def queue(self, update: JsonDict) -> JsonDict:
        """Queue an update for getUpdates; returns a copy carrying its new ``update_id``.

        Like Telegram, an update of a type the bot's last ``allowed_updates`` excludes is never created
        (updates queued before that getUpdates call are still delivered)."""
        queued = self._with_update_id(update)
        if self.update_allowed(queued):
            self.updates.append(queued)
            self._notify_updates()
        return queued

    async def post_webhook(self, url: str, update: JsonDict, secret: str | None = None) -> int:
        """POST an update as JSON to a webhook URL (with the secret header); returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=self._with_update_id(update), headers=headers) as resp,
        ):
            await resp.read()
            return resp.status

    def fail_next(
        self, method: str, status: int, description: str, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with the Bot API error envelope."""
        failure = _Failure(status, description, retry_after, times)
        self._failures.setdefault(method.lower(), []).append(failure)

    def fail_raw(self, method: str, status: int, body: str, *, content_type: str = "text/html",
                 times: int = 1, stall: float = 0.0) -> None:
        """Answer the next ``times`` calls of ``method`` with ``body`` as is (e.g. an nginx 502 page, or a
        200 that is not JSON) after sleeping ``stall`` seconds (a slow answer: the client may time out)."""
        self._raw_faults.setdefault(method.lower(), []).append(_RawFault(status, body, content_type, times, stall))

    def fault_next(self, method: str, *, status: int = 200, body: JsonDict | str | None = None,
                   delay: float = 0.0, deliver: bool = False, chat_id: int | str | None = None,
                   times: int = 1) -> None:
        """Spoil the answer to the next ``times`` calls of ``method`` (only those to ``chat_id`` if given).

        ``deliver``: the call is carried out first (the message is recorded in ``.sent``, as when the
        platform delivered it and only its answer went wrong). Then, after ``delay`` seconds (longer than
        the client's timeout: a timeout), the answer is HTTP ``status`` with ``body``: a dict as JSON, a
        str as text/html (garbage), None: the real answer when delivered, else an empty body."""
        fault = _SendFault(status, body, delay, deliver, None if chat_id is None else str(chat_id), times)
        self._send_faults.setdefault(method.lower(), []).append(fault)

    def clear_faults(self) -> None:
        """Forget every injected failure, spoiled answer and delay."""
        self._failures.clear()
        self._raw_faults.clear()
        self._send_faults.clear()
        self._delays.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Sleep ``seconds`` before answering every call of ``method`` (0 removes the delay)."""
        self._delays[method.lower()] = seconds

    # -- inspecting ----------------------------------------------------------------------------------
    def calls(self, method: str) -> list[JsonDict]:
        """Recorded parameters of every call of ``method``."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    async def wait_for_sent(self, n: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until ``.sent`` (emptied by take_sent) holds at least ``n`` messages; return a copy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.sent) < n:
            event = self._sent_changed
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                got = [(m.method, m.text or m.caption or m.document_name) for m in self.sent]
                raise AssertionError(f"expected {n} sent messages within {timeout}s, got {got}") from None
        return list(self.sent)

    def take_sent(self) -> list[SentMessage]:
        """Return the recorded sent messages and start a fresh list."""
        sent, self.sent = self.sent, []
        return sent

    # -- HTTP plumbing -------------------------------------------------------------------------------
    def _with_update_id(self, update: JsonDict) -> JsonDict:
        copy = dict(update)
        copy.setdefault("update_id", next(self._update_ids))
        return copy

    def _wake_all(self) -> None:
        self._closing = True
        self._notify_updates()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._wake_all()

    @staticmethod
    async def _read_params(request: web.Request) -> JsonDict:
        raw: JsonDict = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            raw.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = str(value)
        params: JsonDict = {}
        for key, value in raw.items():
            if isinstance(value, str) and value.startswith("attach://"):
                value = raw.get(value.removeprefix("attach://"), value)
            if key in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = value
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        params = await self._read_params(request)
        name, handler = self._methods.get(method.lower(), (method, None))
        self.requests.append((name, params))
        if handler is None:
            return ApiError(404, "Not Found: method not found").response()
        if seconds := self._delays.get(name.lower()):
            await asyncio.sleep(seconds)
        if raw_faults := self._raw_faults.get(name.lower()):
            raw = raw_faults[0]
            raw.remaining -= 1
            if raw.remaining <= 0:
                raw_faults.pop(0)
            if raw.stall:
                await asyncio.sleep(raw.stall)
            return web.Response(status=raw.status, text=raw.body, content_type=raw.content_type)
        if handler is not None and (fault := self._take_send_fault(name, params)) is not None:
            return await self._faulty_answer(fault, handler, params)
        if failures := self._failures.get(name.lower()):
            failure = failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                failures.pop(0)
            return ApiError(failure.status, failure.description, failure.retry_after).response()
        try:
            result = await handler(params)
        except ApiError as exc:
            return exc.response()
        return web.json_response({"ok": True, "result": result})

    def _take_send_fault(self, name: str, params: JsonDict) -> _SendFault | None:
        for fault in self._send_faults.get(name.lower(), []):
            if fault.chat_id is None or fault.chat_id == str(params.get("chat_id")):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._send_faults[name.lower()].remove(fault)
                return fault
        return None

    async def _faulty_answer(self, fault: _SendFault, handler: Any, params: JsonDict) -> web.Response:
        result: Any = None
        if fault.deliver:
            try:
                result = await handler(params)
            except ApiError as exc:
                return exc.response()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if isinstance(fault.body, str):
            return web.Response(text=fault.body, status=fault.status, content_type="text/html")
        if fault.body is not None:
            return web.json_response(fault.body, status=fault.status)
        if fault.deliver:
            return web.json_response({"ok": True, "result": result}, status=fault.status)
        return web.Response(status=fault.status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        file_id = self._file_paths.get(request.match_info["path"])
        if file_id is None:
            return ApiError(404, "Not Found").response()
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")
