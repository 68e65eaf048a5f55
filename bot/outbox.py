"""Durable, idempotent outbox: rows written in the caller's transaction, sent by one worker loop.

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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics
from bot.errors import AnswerUnreadable, ChannelError, RateLimited
from handlers.messages import Outgoing
from handlers.offered import record_sent
from handlers.outbox_payload import from_payload, to_payload
from storage import hot
from storage.db import Database
from storage.models import Identity, Outbox, Person
from storage.sqlutil import insert_ignore

__all__ = ["BACKOFF", "MAX_ATTEMPTS", "OutboxSender", "Sender", "enqueue", "enqueue_for_person", "from_payload",
           "outcome", "send_replies", "to_payload"]

log = logging.getLogger(__name__)
# Seconds to wait after the n-th failed attempt. Replies wait out the first two inline (1 s, 3 s) before
# the worker takes over; after MAX_ATTEMPTS failures (about 39 minutes of trying) the row is failed.
BACKOFF = (1, 3, 10, 30, 60, 120, 300, 600, 1200)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed row is hidden from other workers this long; a crashed worker's rows come back after it.
CLAIM_FOR = timedelta(seconds=float(os.environ.get("CDSBOT_OUTBOX_CLAIM_SECONDS", "30")))
_ERROR_LEN = 300


class Sender(Protocol):
    name: str

    async def send(self, chat_id: str, out: Outgoing, *, bulk: bool = False) -> str: ...


def describe(exc: BaseException) -> str:
    """The error text stored on the row: our own errors as they are, anything else with its type."""
    text = str(exc) if isinstance(exc, ChannelError) else f"unexpected {type(exc).__name__}: {exc}"
    return text[:_ERROR_LEN]


def outcome(attempts: int, exc: BaseException | None, now: datetime) -> dict[str, Any]:
    """The row's new values after attempt number ``attempts`` ended with ``exc`` (None: delivered).

    ``status`` is "sent", "failed" (the dead letter) or "pending" with the next attempt's time."""
    done = {"attempts": attempts, "sending_at": None}
    if exc is None:
        return done | {"status": "sent", "sent_at": now, "error": None}
    if isinstance(exc, AnswerUnreadable) and exc.accepted:  # the platform said ok: never sent twice
        return done | {"status": "sent", "sent_at": now, "error": f"delivered; {describe(exc)}"[:_ERROR_LEN]}
    done["error"] = describe(exc)
    retryable = not isinstance(exc, ChannelError) or exc.retryable  # unknown errors: try again, bounded
    if not retryable or attempts >= MAX_ATTEMPTS:
        return done | {"status": "failed"}
    wait = float(BACKOFF[min(attempts, len(BACKOFF)) - 1])
    if isinstance(exc, RateLimited):
        wait = max(exc.retry_after, 1.0)
    return done | {"status": "pending", "next_attempt_at": now + timedelta(seconds=wait)}


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


_EARLIER = aliased(Outbox)
# An earlier reply to the same chat still waiting: later messages to that chat wait behind it.
_BLOCKED = exists().where(_EARLIER.channel == Outbox.channel, _EARLIER.chat_id == Outbox.chat_id,
                          _EARLIER.status == "pending", _EARLIER.id < Outbox.id,
                          _EARLIER.key.like("reply:%"))  # type: ignore[union-attr]


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
            out = from_payload(row.payload)
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


INLINE_TRIES = 3  # a reply is tried at once, after 1 s and after 3 s before the worker takes it over
_INLINE_WAIT = 3.0


async def send_replies(db: Database, outs: list[Outgoing], default_chat: str,
                       send: Callable[[str, Outgoing], Awaitable[str]], clock: Callable[[], datetime],
                       sleep: Callable[[float], Awaitable[None]], label: str = "reply") -> None:
    """Send replies in order, each retried briefly inline; record every attempt on its outbox row.

    A refused reply (blocked, bad request) is failed and the next one is sent; a reply still failing
    after the inline tries is left to the worker with the rest behind it, due at once (the worker keeps
    a chat's order). Files have no row: one still failing is given up (the person can ask again)."""
    sent: list[int] = []
    marks: list[tuple[int, dict[str, Any]]] = []
    try:
        for i, out in enumerate(outs):
            values = await _try_inline(out, default_chat, send, clock, sleep, label)
            if out.outbox_id is not None:
                plain = values["status"] == "sent" and values["attempts"] == 1 and not values["error"]
                if plain:
                    sent.append(out.outbox_id)
                else:
                    marks.append((out.outbox_id, values))
            if values["status"] == "pending":
                log.warning("%s deferred to the outbox after %d attempts: %s", label, values["attempts"],
                            values["error"])
                now = clock()
                marks += [(o.outbox_id, {"next_attempt_at": now}) for o in outs[i + 1:] if o.outbox_id is not None]
                lost = [o for o in outs[i + 1:] if o.outbox_id is None]
                if lost or out.outbox_id is None:
                    log.warning("%s: %d file(s) not sent", label, len(lost) + (out.outbox_id is None))
                return
            if values["status"] == "failed":
                log.warning("%s failed for good: %s", label, values["error"])
    finally:
        if marks or sent:  # a short write of its own: sent replies are marked even if this task is cancelled
            async with db.hot_connection() as conn:
                if sent:
                    await hot.mark_sent(conn, sent, clock())
                for row_id, row_values in marks:
                    await conn.execute(update(Outbox).where(  # type: ignore[call-overload]
                        Outbox.id == row_id, Outbox.status == "pending").values(**row_values))


async def _try_inline(out: Outgoing, default_chat: str, send: Callable[[str, Outgoing], Awaitable[str]],
                      clock: Callable[[], datetime], sleep: Callable[[float], Awaitable[None]],
                      label: str) -> dict[str, Any]:
    attempts = 0
    while True:
        attempts += 1
        error: Exception | None = None
        try:
            await send(out.chat_id or default_chat, out)
        except Exception as exc:  # noqa: BLE001  every failure is an attempt, whatever raised it
            error = exc
            if not isinstance(exc, ChannelError):
                log.error("%s: unexpected error from the adapter", label, exc_info=exc)
        now = clock()
        values = outcome(attempts, error, now)
        if values["status"] != "pending" or attempts >= INLINE_TRIES:
            return values
        wait = (values["next_attempt_at"] - now).total_seconds()
        if wait > _INLINE_WAIT:
            return values
        log.info("%s: attempt %d failed (%s); trying again in %.0f s", label, attempts, values["error"], wait)
        await sleep(wait)
