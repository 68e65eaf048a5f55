"""Durable, idempotent outbox: rows written in the caller's transaction, sent by one worker loop.

A row is claimed by moving its ``next_attempt_at`` forward before the send (so a second worker skips
it), marked ``sending_at`` just before the platform call, then marked sent, rescheduled with backoff
(retryable errors, honouring retry-after), or failed. A row still pending with ``sending_at`` set was in
flight when its worker died: the platform may or may not have delivered it. It is sent again (a lost
reminder is worse than a repeated one) and counted in ``resent_in_doubt``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import ChannelError, RateLimited
from handlers.messages import Outgoing
from handlers.offered import record_sent
from handlers.outbox_payload import from_payload, to_payload
from storage.db import Database
from storage.models import Identity, Outbox, Person
from storage.sqlutil import insert_ignore

__all__ = ["OutboxSender", "Sender", "enqueue", "enqueue_for_person", "from_payload", "to_payload"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
# A claimed row is hidden from other workers this long; a crashed worker's rows come back after it.
CLAIM_FOR = timedelta(seconds=float(os.environ.get("CDSBOT_OUTBOX_CLAIM_SECONDS", "30")))


class Sender(Protocol):
    name: str

    async def send(self, chat_id: str, out: Outgoing, *, bulk: bool = False) -> str: ...


async def enqueue(session: AsyncSession, *, channel: str, chat_id: str, out: Outgoing, key: str | None = None,
                  person_id: int | None = None, now: datetime | None = None) -> bool:
    """Add a message to send; with ``key``, a second enqueue of the same key does nothing (False)."""
    return await insert_ignore(session, Outbox, {
        "key": key, "person_id": person_id, "channel": channel, "chat_id": chat_id,
        "payload": to_payload(out), "status": "pending", "attempts": 0,
        "next_attempt_at": now or datetime.now(UTC), "created_at": now or datetime.now(UTC)})


async def enqueue_for_person(session: AsyncSession, person: Person, out: Outgoing, *, key: str | None,
                             now: datetime | None = None) -> str | None:
    """Queue for the person's preferred channel, else the one used last; None if not reachable."""
    identities = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    if not identities:
        return None
    order = [person.preferred_channel, person.last_channel]
    ident = next((i for ch in order for i in identities if ch and i.channel == ch), identities[0])
    await enqueue(session, channel=ident.channel, chat_id=ident.chat_id, out=out, key=key,
                  person_id=person.id, now=now)
    return ident.channel


class OutboxSender:
    """Sends due outbox rows through the registered channels."""

    def __init__(self, db: Database, senders: dict[str, Sender], clock: Callable[[], datetime] | None = None,
                 batch: int = 50, on_undeliverable: Callable[[Outbox, ChannelError], Any] | None = None) -> None:
        self.db, self.senders, self.batch = db, senders, batch
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_undeliverable = on_undeliverable
        self._wake = asyncio.Event()
        self.resent_in_doubt = 0  # rows found in flight from a stopped worker and sent again

    def wake(self) -> None:
        self._wake.set()

    async def _claim(self) -> list[Outbox]:
        now = self.clock()
        async with self.db.transaction() as s:
            rows = (await s.exec(select(Outbox).where(
                Outbox.status == "pending", Outbox.next_attempt_at <= now,
                Outbox.channel.in_(list(self.senders)))  # type: ignore[attr-defined]
                .order_by(Outbox.id).limit(self.batch))).all()
            claimed = []
            for row in rows:
                res = await s.exec(update(Outbox).where(  # type: ignore[call-overload]
                    Outbox.id == row.id, Outbox.next_attempt_at == row.next_attempt_at,
                    Outbox.status == "pending").values(next_attempt_at=now + CLAIM_FOR))
                if res.rowcount:
                    claimed.append(row)
            return claimed

    async def run_once(self) -> int:
        """Send what is due now; returns how many rows were handled."""
        rows = await self._claim()
        for row in rows:
            await self._send_one(row)
        return len(rows)

    async def _send_one(self, row: Outbox) -> None:
        sender = self.senders[row.channel]
        now = self.clock()
        if row.sending_at is not None:
            self.resent_in_doubt += 1
            log.warning("outbox %s was in flight when a worker stopped; sending it again "
                        "(the recipient may see it twice)", row.id)
        async with self.db.hot_connection() as conn:  # in flight from here: a crash leaves the row "in doubt"
            await conn.execute(update(Outbox).where(Outbox.id == row.id).values(sending_at=now))  # type: ignore[arg-type]
        values: dict[str, Any]
        out = from_payload(row.payload)
        try:
            await sender.send(row.chat_id, await self._rendered(sender, row, out), bulk=True)
            values = {"status": "sent", "sent_at": now, "attempts": row.attempts + 1, "error": None}
        except RateLimited as exc:  # refused: certainly not delivered
            values = {"attempts": row.attempts + 1, "error": "rate limited", "sending_at": None,
                      "next_attempt_at": now + timedelta(seconds=max(exc.retry_after, 1))}
        except ChannelError as exc:
            attempts = row.attempts + 1
            if exc.retryable and attempts < MAX_ATTEMPTS:  # a timeout may have been delivered: stays in doubt
                values = {"attempts": attempts, "error": str(exc)[:300],
                          "next_attempt_at": now + timedelta(seconds=min(2 ** attempts * 5, 3600))}
            else:
                values = {"status": "failed", "attempts": attempts, "error": str(exc)[:300]}
                log.warning("outbox %s to %s failed for good: %s", row.id, row.channel, exc)
                if self.on_undeliverable is not None:
                    await self.on_undeliverable(row, exc)
        # The short inline transaction keeps the gap between the platform's answer and this mark small:
        # a crash inside that gap is the only way a message goes out twice.
        async with self.db.hot_connection() as conn:
            await conn.execute(update(Outbox).where(Outbox.id == row.id).values(**values))  # type: ignore[arg-type]
            if values.get("status") == "sent" and out.choices and not (row.key or "").startswith("reply:"):
                # what a typed "1" means from now on: the choices the person has actually seen
                await record_sent(conn, row.channel, row.chat_id, out, now, f"outbox:{row.id}")

    async def _rendered(self, sender: Sender, row: Outbox, out: Outgoing) -> Outgoing:
        """Choices as a numbered list where the channel has no buttons, the hint in the person's language."""
        caps = getattr(sender, "caps", None)
        if not out.choices or caps is None or caps.buttons:
            return out
        from handlers.dispatch import render
        from locales.i18n import use_locale

        locale = None
        if row.person_id is not None:
            async with self.db.session() as s:
                locale = (await s.exec(select(Person.locale).where(Person.id == row.person_id))).first()
        with use_locale(locale):
            return render([out], dataclasses.replace(caps, max_text=1_000_000))[0]  # the adapter splits long text

    async def run_forever(self, idle: float = 1.0) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:  # keep the loop alive; the rows stay pending
                log.exception("outbox sweep failed")
                handled = 0
            if not handled:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)
