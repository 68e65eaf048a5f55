"""One supervisor for the long-running tasks: restarts a task after any exception, with capped backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import metrics

__all__ = ["Supervisor", "TaskState"]

log = logging.getLogger(__name__)


@dataclass
class TaskState:
    """What /readyz shows about one supervised task."""

    name: str
    restarts: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"restarts": self.restarts, "last_error": self.last_error,
                "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None}


class Supervisor:
    """``spawn(name, factory)`` runs ``await factory()`` until cancelled; a crash (or a return, which a
    long-running task never does) is logged as an error with the reason, counted, and the task started
    again after ``base`` seconds, doubling up to ``cap``. A task that ran ``cap`` seconds without crashing
    starts again from ``base``."""

    def __init__(self, *, base: float = 1.0, cap: float = 60.0) -> None:
        self.base, self.cap = base, cap
        self.states: dict[str, TaskState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, factory: Callable[[], Awaitable[Any]]) -> asyncio.Task[None]:
        old = self._tasks.get(name)
        if old is not None and not old.done():
            raise RuntimeError(f"task {name} is already running")
        self.states.setdefault(name, TaskState(name))
        task = asyncio.create_task(self._guard(name, factory), name=name)
        self._tasks[name] = task
        return task

    async def _guard(self, name: str, factory: Callable[[], Awaitable[Any]]) -> None:
        loop = asyncio.get_running_loop()
        delay = self.base
        state = self.states[name]
        while True:
            started = loop.time()
            try:
                await factory()
                reason = "it returned (a long-running task never should)"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: log it, count it, start again
                reason = f"{type(exc).__name__}: {_scrub(str(exc))}"
                log.error("task %s crashed (%s); restarting in %.1fs", name, reason, delay, exc_info=exc)
            else:
                log.error("task %s stopped: %s; restarting in %.1fs", name, reason, delay)
            state.restarts += 1
            state.last_error, state.last_error_at = reason[:300], datetime.now(UTC)
            metrics.TASK_RESTARTS.labels(name).inc()
            if loop.time() - started >= self.cap:
                delay = self.base
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.cap)

    def spawn_once(self, name: str, step: Callable[[], Awaitable[Any]], *, failed_once: bool = False
                   ) -> asyncio.Task[None]:
        """Run ``await step()`` until it succeeds once (e.g. registering a webhook while the platform is
        down): every failure is logged, counted and shown like a crash, then tried again with backoff.
        ``failed_once``: the caller's own first try failed, so wait before the first try here."""
        old = self._tasks.get(name)
        if old is not None and not old.done():
            raise RuntimeError(f"task {name} is already running")
        self.states.setdefault(name, TaskState(name))
        task = asyncio.create_task(self._until_done(name, step, failed_once), name=name)
        self._tasks[name] = task
        return task

    async def _until_done(self, name: str, step: Callable[[], Awaitable[Any]], failed_once: bool) -> None:
        delay, state = self.base, self.states[name]
        if failed_once:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.cap)
        while True:
            try:
                await step()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: log it, count it, try again later
                reason = f"{type(exc).__name__}: {_scrub(str(exc))}"
                log.error("task %s failed (%s); trying again in %.1fs", name, reason, delay)
            state.restarts += 1
            state.last_error, state.last_error_at = reason[:300], datetime.now(UTC)
            metrics.TASK_RESTARTS.labels(name).inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.cap)

    async def cancel(self, name: str) -> None:
        """Stop one task (and wait for it)."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        """Stop every task this supervisor runs."""
        for name in list(self._tasks):
            await self.cancel(name)


def _scrub(text: str) -> str:
    """Error texts may quote a URL; never log what looks like a bot token path."""
    import re

    return re.sub(r"/bot[^/\s]+", "/bot<token>", text)[:300]
