"""Telegram send pacing: 30 msg/s overall, bulk sends capped below it and spaced 1 s per chat.

Replies to incoming messages take the overall budget only, so a reminder fan-out (marked bulk through
``rate_limit_args={"bulk": True}``) can never starve them: bulk sends get at most ``bulk_rate`` of the
``overall_rate`` tokens, the rest is always left for replies. A bulk send to a chat waits until
``chat_interval`` seconds after the last message to that chat. A RetryAfter from Telegram pauses every
send for the time it asks; replies retry after the pause, bulk sends hand the error back to the outbox,
which reschedules the row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["BULK", "PacedRateLimiter", "Pacer", "TokenBucket"]

log = logging.getLogger(__name__)
BULK: dict[str, Any] = {"bulk": True}
_CHATS_REMEMBERED = 4096


class TokenBucket:
    """A token bucket (``rate`` per second, burst ``burst``) whose waiters are served in arrival order."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.rate, self.burst, self._clock, self._sleep = rate, burst, clock, sleep
        self._tokens, self._at = burst, clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: the first waiter gets the next token
            self._refill()
            while self._tokens < 1 - 1e-9:  # tolerance: float rounding must not spin forever
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens = max(self._tokens - 1, 0.0)


class Pacer:
    """Channel-neutral pacing: an overall budget, a smaller bulk budget, and per-chat spacing for bulk."""

    def __init__(self, overall_rate: float, bulk_rate: float, chat_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not 0 < bulk_rate <= overall_rate:
            raise ValueError("bulk_rate must be positive and at most overall_rate")
        self._clock, self._sleep = clock, sleep
        self.overall = TokenBucket(overall_rate, overall_rate, clock, sleep)
        self.bulk = TokenBucket(bulk_rate, 1, clock, sleep)  # no burst: bulk never grabs the reserve at once
        self.chat_interval = chat_interval
        self._last_sent: OrderedDict[int | str, float] = OrderedDict()
        self._paused_until = 0.0

    async def before_send(self, chat: int | str | None, *, bulk: bool) -> None:
        """Wait for a pause to end, then for the budgets this send needs."""
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)
        if bulk:
            await self.bulk.acquire()
            last = self._last_sent.get(chat) if chat is not None else None
            if last is not None and (left := last + self.chat_interval - self._clock()) > 0:
                await self._sleep(left)
        if chat is not None:
            await self.overall.acquire()

    def sent(self, chat: int | str | None) -> None:
        """Record a send (or an attempt) to ``chat`` for the per-chat spacing."""
        if chat is None:
            return
        self._last_sent[chat] = self._clock()
        self._last_sent.move_to_end(chat)
        while len(self._last_sent) > _CHATS_REMEMBERED:
            self._last_sent.popitem(last=False)

    def pause(self, seconds: float) -> None:
        """The platform asked us to wait: hold every send for ``seconds``."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class PacedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB rate limiter: a Pacer, Telegram's group limit, and retries after RetryAfter for replies."""

    def __init__(self, overall_rate: float = 30, bulk_rate: float = 25, chat_interval: float = 1.0,
                 group_per_minute: float = 20, max_retries: int = 3,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.pacer = Pacer(overall_rate, bulk_rate, chat_interval, clock, sleep)
        self._clock, self._sleep = clock, sleep
        self.group_per_minute, self.max_retries = group_per_minute, max_retries
        self._groups: OrderedDict[int | str, TokenBucket] = OrderedDict()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        chat = _chat_key(data.get("chat_id"))
        retries = 0 if bulk else self.max_retries
        for attempt in range(retries + 1):
            await self.pacer.before_send(chat, bulk=bulk)
            if chat is not None and _is_group(chat):
                await self._group(chat).acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                ra = exc.retry_after
                wait = float(ra.total_seconds() if hasattr(ra, "total_seconds") else ra)
                self.pacer.pause(wait + 0.1)
                log.info("Telegram asked to wait %.1fs (%s)", wait, endpoint)
                if attempt == retries:
                    raise
            finally:
                self.pacer.sent(chat)
        raise AssertionError("unreachable")  # pragma: no cover

    def _group(self, chat: int | str) -> TokenBucket:
        bucket = self._groups.get(chat)
        if bucket is None:
            bucket = self._groups[chat] = TokenBucket(self.group_per_minute / 60, self.group_per_minute,
                                                      self._clock, self._sleep)
            while len(self._groups) > 512:
                self._groups.popitem(last=False)
        return bucket


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)  # type: ignore[call-overload]
    return str(chat_id)


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0
