"""Durable inbox for updates a platform will not send again: stored on receipt, deleted once handled,
replayed by any worker after the claim of a crashed one runs out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update
from sqlmodel import select

from storage.db import Database
from storage.models import InboxUpdate
from storage.sqlutil import insert_ignore

if TYPE_CHECKING:
    from bot.supervisor import Supervisor

__all__ = ["Inbox"]

log = logging.getLogger(__name__)
# A stored update is left to its worker this long; after that any worker may replay it.
CLAIM_FOR = timedelta(seconds=float(os.environ.get("CDSBOT_INBOX_CLAIM_SECONDS", "60")))
MAX_ATTEMPTS = 5  # an update whose handling stopped this often is moved to the quarantine


class Inbox:
    """One channel's stored updates. ``handle`` gets the stored payload and must not raise."""

    def __init__(self, db: Database, channel: str, handle: Callable[[dict[str, Any]], Awaitable[None]],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.db, self.channel, self.handle = db, channel, handle
        self.clock = clock or (lambda: datetime.now(UTC))
        self._task: asyncio.Task[None] | None = None
        self._supervisor: Supervisor | None = None

    async def accept(self, key: str, payload: dict[str, Any]) -> bool:
        """Store an update before acknowledging it; False when it is already stored (a redelivery)."""
        now = datetime.now(UTC)
        async with self.db.transaction() as s:
            return await insert_ignore(s, InboxUpdate, {
                "channel": self.channel, "update_key": key, "payload": payload, "received_at": now,
                "claimed_until": now + CLAIM_FOR, "attempts": 1})

    async def done(self, key: str) -> None:
        """Forget a handled update."""
        async with self.db.transaction() as s:
            await s.exec(delete(InboxUpdate).where(  # type: ignore[call-overload]
                InboxUpdate.channel == self.channel, InboxUpdate.update_key == key))

    async def replay(self) -> int:
        """Handle the updates whose worker died before finishing them, oldest first; returns how many."""
        now = datetime.now(UTC)
        async with self.db.transaction() as s:
            rows = (await s.exec(select(InboxUpdate).where(
                InboxUpdate.channel == self.channel, InboxUpdate.claimed_until <= now)
                .order_by(InboxUpdate.id).limit(200))).all()
            claimed = []
            for row in rows:
                res = await s.exec(update(InboxUpdate).where(  # type: ignore[call-overload]
                    InboxUpdate.id == row.id, InboxUpdate.claimed_until == row.claimed_until)
                    .values(claimed_until=now + CLAIM_FOR, attempts=row.attempts + 1))
                if res.rowcount:
                    claimed.append(row)
        for row in claimed:
            if row.attempts >= MAX_ATTEMPTS:  # kept for inspection instead of retried forever
                from bot.quarantine import quarantine

                await quarantine(self.db, self.channel, row.payload,
                                 f"its handling stopped {row.attempts} times", key=row.update_key)
            else:
                log.info("replaying %s update %s left by a stopped worker", self.channel, row.update_key)
                await self.handle(row.payload)
            await self.done(row.update_key)
        return len(claimed)

    def start(self, every: float | None = None, supervisor: Supervisor | None = None) -> None:
        """Replay now and then every ``every`` seconds (another worker may have died meanwhile); under
        ``supervisor`` the loop is restarted if it ever crashes."""
        every = every or min(30.0, max(CLAIM_FOR.total_seconds() / 2, 0.5))
        if self._task is not None and not self._task.done():
            return
        self._supervisor = supervisor
        if supervisor is not None:
            self._task = supervisor.spawn(f"{self.channel}-inbox", lambda: self._loop(every))
        else:
            self._task = asyncio.create_task(self._loop(every), name=f"{self.channel}-inbox")

    async def stop(self) -> None:
        if self._supervisor is not None:
            await self._supervisor.cancel(f"{self.channel}-inbox")
        elif self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _loop(self, every: float) -> None:
        while True:
            try:
                await self.replay()
            except Exception:  # the rows stay; the next round tries again
                log.exception("%s inbox replay failed", self.channel)
            await asyncio.sleep(every)
