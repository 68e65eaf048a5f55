"""Async client for the Zalo Bot Platform "Bot API" (bot-api.zaloplatforms.com), with retries."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels.zalo.parse import MAX_TEXT, split_text
from storage.errors import AnswerUnreadable, ChannelError, ConfigError, RateLimited

__all__ = ["DEFAULT_BASE_URL", "ZaloClient"]

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
_EMPTY_POLL = 408  # getUpdates: nothing arrived within the long-poll timeout
_PERMANENT = frozenset({400, 401, 404})  # fix the request or the token; never retried
# Zalo documents 403 as "Internal server error" (zalo-api.md §1.8): retried with backoff like a 5xx.
_RETRY_4XX = frozenset({403, 408})

logger = logging.getLogger(__name__)


class ZaloClient:
    """Talks to one bot's Bot API; create it inside a running loop or use ``async with``."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> None:
        if not token or "/" in token:
            raise ConfigError("Zalo bot token is empty or malformed")
        self._token = token
        self._base = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._traces = trace_configs  # for the owned session (e.g. bot.channels.first_poll)
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_wait = max_wait  # backoff cap; a longer retry-after hint is raised as RateLimited at once
        self._pending: deque[dict[str, Any]] = deque()
        self._secrets = _token_forms(token)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the owned HTTP session (no-op if one was given or already exists)."""
        if self._session is None or (self._own_session and self._session.closed):
            self._session = aiohttp.ClientSession(trace_configs=self._traces)
            self._own_session = True

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def __aenter__(self) -> ZaloClient:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- Bot API methods ---------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        """Return the bot's profile: ``{id, account_name, account_type, can_join_groups, ...}``."""
        return _as_dict(await self._call("getMe"))

    async def get_updates(self, timeout: float = 30) -> dict[str, Any] | None:
        """Long-poll for ONE update; ``None`` when the poll ended empty (error_code 408)."""
        if self._pending:
            return self._pending.popleft()
        result = await self._call(
            "getUpdates", {"timeout": timeout}, read_timeout=timeout + self.timeout, empty_poll_ok=True
        )
        if isinstance(result, list):  # not documented; some clients accept it defensively
            self._pending.extend(u for u in result if isinstance(u, dict))
            return self._pending.popleft() if self._pending else None
        return result if isinstance(result, dict) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Register an HTTPS webhook; Zalo sends ``secret_token`` back in X-Bot-Api-Secret-Token."""
        return _as_dict(await self._call("setWebhook", {"url": url, "secret_token": secret_token}))

    async def delete_webhook(self) -> dict[str, Any]:
        """Remove the webhook (needed before polling); works when none is set."""
        return _as_dict(await self._call("deleteWebhook"))

    async def get_webhook_info(self) -> dict[str, Any] | None:
        """Return ``{url, updated_at}``, or ``None`` when the bot never had a webhook (404)."""
        try:
            return _as_dict(await self._call("getWebhookInfo"))
        except ChannelError as exc:
            if exc.code == 404:
                return None
            raise

    async def send_message(self, chat_id: str, text: str, *, retry_first: bool = True) -> list[dict[str, Any]]:
        """Send ``text``, split into parts of at most 2,000 characters; return each part's result.

        ``retry_first=False``: a failure of the first part is raised at once (the caller's outbox owns
        the retries and counts them); later parts are always retried here, so that the parts already
        delivered are not sent again."""
        parts = split_text(str(text), MAX_TEXT)
        if not parts:
            raise ChannelError("Zalo sendMessage: text must not be empty", code=400)
        results = []
        for n, part in enumerate(parts):
            retries = None if retry_first or n else 0
            result = await self._call("sendMessage", {"chat_id": str(chat_id), "text": part}, retries=retries)
            results.append(_as_dict(result))
        return results

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        """Send a photo by public http(s) URL; caption overflow beyond 2,000 chars follows as text."""
        payload: dict[str, Any] = {"chat_id": str(chat_id), "photo": str(photo_url)}
        rest: list[str] = []
        if caption is not None and str(caption).strip():
            payload["caption"], *rest = split_text(str(caption), MAX_TEXT)
        result = _as_dict(await self._call("sendPhoto", payload))
        for part in rest:
            await self._call("sendMessage", {"chat_id": str(chat_id), "text": part})
        return result

    async def send_sticker(self, chat_id: str, sticker: str) -> dict[str, Any]:
        """Send a sticker by its id (from stickers.zaloapp.com)."""
        return _as_dict(await self._call("sendSticker", {"chat_id": str(chat_id), "sticker": str(sticker)}))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show an indicator (only ``typing`` works today); it fades after a few seconds."""
        await self._call("sendChatAction", {"chat_id": str(chat_id), "action": action})

    # -- transport ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        read_timeout: float | None = None,
        empty_poll_ok: bool = False,
        retries: int | None = None,
    ) -> Any:
        """POST ``payload`` to ``method`` and return ``result``, retrying transient failures
        (``retries`` times; ``max_retries`` when None)."""
        await self.start()
        attempt = 0
        max_retries = self.max_retries if retries is None else max(0, retries)
        while True:
            try:
                return await self._once(method, payload or {}, read_timeout or self.timeout, empty_poll_ok)
            except ChannelError as exc:
                delay = min(self.backoff * (2**attempt), self.max_wait)
                if isinstance(exc, RateLimited) and exc.retry_after > 0:
                    delay = exc.retry_after
                if not exc.retryable or attempt >= max_retries or delay > self.max_wait:
                    if isinstance(exc, RateLimited) and exc.retry_after <= 0:
                        raise RateLimited(str(exc), retry_after=delay, code=exc.code) from None
                    raise
                attempt += 1
                logger.warning(
                    "Zalo %s failed (%s); retry %d/%d in %.2fs", method, exc, attempt, max_retries, delay
                )
                await asyncio.sleep(delay)

    async def _once(self, method: str, payload: dict[str, Any], timeout: float, empty_poll_ok: bool) -> Any:
        """One HTTP round trip; every failure leaves as a scrubbed ChannelError."""
        assert self._session is not None
        url = f"{self._base}{self._token}/{method}"
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            async with self._session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                status = resp.status
                retry_header = resp.headers.get("Retry-After")
                raw = await resp.read()
        except TimeoutError:
            raise self._error(f"Zalo {method}: no answer within {timeout:g}s", retryable=True) from None
        except aiohttp.ClientError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise self._error(f"Zalo {method}: connection failed ({reason})", retryable=True) from None
        try:
            envelope = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            envelope = None
        if not isinstance(envelope, dict) or "ok" not in envelope:
            if 200 <= status < 300:  # may have been delivered: retried, so it may arrive twice (at-least-once)
                raise AnswerUnreadable(self._scrub(f"Zalo {method}: HTTP {status} with an answer that cannot be "
                                                   "read (may have been delivered)"), accepted=False, code=status)
            retryable = status not in _PERMANENT
            raise self._error(f"Zalo {method}: HTTP {status} with a non-JSON answer", retryable, status)
        if envelope.get("ok") is True:
            return envelope.get("result")
        code = _int_or_none(envelope.get("error_code")) or (status if status >= 400 else None)
        desc = str(envelope.get("description") or "no description")
        if code == _EMPTY_POLL and empty_poll_ok:
            return None
        message = f"Zalo {method}: error {code}: {desc}"
        if code == 429:
            hint = _retry_after(envelope, retry_header)
            raise RateLimited(self._scrub(message), retry_after=hint or 0.0)
        retryable = code is None or not (400 <= code < 500) or code in _RETRY_4XX
        raise self._error(message, retryable, code)

    def _error(self, message: str, retryable: bool, code: int | None = None) -> ChannelError:
        return ChannelError(self._scrub(message), retryable=retryable, code=code)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<token>")
        return text

    def scrub(self, text: str) -> str:
        """``text`` with every form of the token replaced by ``<token>``."""
        return self._scrub(text)


def _token_forms(token: str) -> list[str]:
    """The token as it may appear in text: plain, URL-encoded (either case), and its secret half."""
    forms = {token, quote(token, safe=""), quote(token, safe="/:")}
    forms |= {f.replace("%3A", "%3a") for f in forms}
    _, _, secret = token.partition(":")
    if len(secret) >= 6:
        forms |= {secret, quote(secret, safe="")}
    return sorted(forms, key=len, reverse=True)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _retry_after(envelope: dict[str, Any], header: str | None) -> float | None:
    """Seconds to wait, from ``parameters.retry_after``, ``retry_after`` or the Retry-After header."""
    params = envelope.get("parameters")
    candidates = [params.get("retry_after") if isinstance(params, dict) else None]
    candidates += [envelope.get("retry_after"), header]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return seconds
    return None


def _as_dict(result: Any) -> dict[str, Any]:
    return result if isinstance(result, dict) else {}
