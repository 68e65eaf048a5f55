"""The outbox worker: sends due rows (written by handlers/outbox.py) in order, with bounded retries.

A row is claimed by moving its ``next_attempt_at`` forward before the send (so a second worker skips
it), marked ``sending_at`` just before the platform call, then marked sent, rescheduled with backoff
(``BACKOFF``, honouring retry-after), or — after ``MAX_ATTEMPTS`` failures or at once for a refusal that
cannot change — ``failed`` (the dead letter: `cdsbot outbox failed`, the lead office's digest). Every
failure of any kind counts as an attempt and stores its error; one row never stops its batch. Messages
to one chat leave in order: a row is not claimed while an earlier reply to the same chat is pending.
A row still pending with ``sending_at`` set was in flight when its worker died: the platform may or
may not have delivered it. It is sent again (a lost reminder is worse than a repeated one) and counted
in ``resent_in_doubt``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import select

from bot import metrics
from handlers.messages import Outgoing
from handlers.offered import record_sent
from handlers.outbox import describe, outcome
from handlers.outbox_payload import from_payload
from storage.blobs import BlobStore
from storage.db import Database
from storage.errors import ChannelError
from storage.models import Outbox, Person

__all__ = ["CLAIM_FOR", "OutboxSender", "Sender"]

log = logging.getLogger(__name__)
# A claimed row is hidden from other workers this long; a crashed worker's rows come back after it.
CLAIM_FOR = timedelta(seconds=float(os.environ.get("CDSBOT_OUTBOX_CLAIM_SECONDS", "30")))


class Sender(Protocol):
    name: str

    async def send(self, chat_id: str, out: Outgoing, *, bulk: bool = False) -> str: ...


_EARLIER = aliased(Outbox)
# An earlier reply to the same chat still waiting: later messages to that chat wait behind it.
_BLOCKED = exists().where(_EARLIER.channel == Outbox.channel, _EARLIER.chat_id == Outbox.chat_id,
                          _EARLIER.status == "pending", _EARLIER.id < Outbox.id,
                          _EARLIER.key.like("reply:%"))  # type: ignore[union-attr]


class OutboxSender:
    """Sends due outbox rows through the registered channels."""

    def __init__(self, db: Database, senders: dict[str, Sender], clock: Callable[[], datetime] | None = None,
                 batch: int = 50, on_undeliverable: Callable[[Outbox, ChannelError], Any] | None = None,
                 files: BlobStore | None = None) -> None:
        self.db, self.senders, self.batch = db, senders, batch
        self.files = files  # where a file reply's bytes are kept (handlers/outbox_payload.py)
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
                Outbox.channel.in_(list(self.senders)), ~_BLOCKED)  # type: ignore[attr-defined]
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
        """Send what is due now; returns how many rows were handled. A row never stops the batch."""
        rows = await self._claim()
        for row in rows:
            try:
                await self._send_one(row)
            except Exception:  # e.g. the database went away: the row comes back when its claim runs out
                log.exception("outbox %s could not be handled; it is tried again after its claim", row.id)
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
        error: Exception | None = None
        out: Outgoing | None = None
        try:  # a payload that cannot be read back is an attempt like any other failure
            out = from_payload(row.payload, self.files)
            await sender.send(row.chat_id, await self._rendered(sender, row, out), bulk=True)
        except Exception as exc:  # noqa: BLE001  every failure is an attempt, whatever raised it
            error = exc
            if not isinstance(exc, ChannelError):
                log.error("outbox %s: unexpected error from the %s adapter", row.id, row.channel, exc_info=exc)
        values = outcome(row.attempts + 1, error, now)
        # The short inline transaction keeps the gap between the platform's answer and this mark small:
        # a crash inside that gap is the only way a message goes out twice.
        async with self.db.hot_connection() as conn:
            await conn.execute(update(Outbox).where(Outbox.id == row.id).values(**values))  # type: ignore[arg-type]
            if values["status"] == "sent" and out is not None and out.choices and not (row.key or "").startswith("reply:"):
                # what a typed "1" means from now on: the choices the person has actually seen
                await record_sent(conn, row.channel, row.chat_id, out, now, f"outbox:{row.id}")
        if values["status"] == "pending":
            log.info("outbox %s to %s: attempt %d failed (%s); next at %s", row.id, row.channel,
                     values["attempts"], values["error"], values["next_attempt_at"].isoformat())
        elif values["status"] == "failed":
            log.warning("outbox %s to %s failed for good after %d attempt(s): %s", row.id, row.channel,
                        values["attempts"], values["error"])
            metrics.DEAD_LETTERS.labels(row.channel).inc()
            if self.on_undeliverable is not None:
                assert error is not None
                exc = error if isinstance(error, ChannelError) else ChannelError(describe(error))
                try:
                    await self.on_undeliverable(row, exc)
                except Exception:
                    log.exception("outbox %s: rerouting after the failure did not work", row.id)

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
