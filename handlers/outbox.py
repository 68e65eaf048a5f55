"""Outbox rows written in the caller's transaction, the retry policy, and replies sent inline with their rows.

Every message to a person is a row of the ``outbox`` table, written in the same transaction as the change
that caused it (``enqueue``, ``enqueue_for_person``); the worker in bot/outbox.py sends the rows. A turn's
replies are first tried inline here (``send_replies``) and then marked on their rows. ``outcome`` is the
one retry policy both use: every failure is an attempt, retries are bounded (``MAX_ATTEMPTS``), and after
that — or at once for a refusal that cannot change — the row is ``failed`` (the dead letter)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.messages import Outgoing
from handlers.outbox_payload import to_payload
from storage import hot
from storage.db import Database
from storage.errors import AnswerUnreadable, ChannelError, RateLimited
from storage.models import Identity, Outbox, Person
from storage.sqlutil import insert_ignore

__all__ = ["BACKOFF", "INLINE_TRIES", "MAX_ATTEMPTS", "describe", "enqueue", "enqueue_for_person", "mark_sent",
           "outcome", "send_replies"]

log = logging.getLogger(__name__)
# Seconds to wait after the n-th failed attempt. Replies wait out the first two inline (1 s, 3 s) before
# the worker takes over; after MAX_ATTEMPTS failures (about 39 minutes of trying) the row is failed.
BACKOFF = (1, 3, 10, 30, 60, 120, 300, 600, 1200)
MAX_ATTEMPTS = len(BACKOFF) + 1
_ERROR_LEN = 300


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


INLINE_TRIES = 3  # a reply is tried at once, after 1 s and after 3 s before the worker takes it over
_INLINE_WAIT = 3.0


async def send_replies(db: Database, outs: list[Outgoing], default_chat: str,
                       send: Callable[[str, Outgoing], Awaitable[str]], clock: Callable[[], datetime],
                       sleep: Callable[[float], Awaitable[None]], label: str = "reply") -> None:
    """Send replies in order, each retried briefly inline; record every attempt on its outbox row.

    A refused reply (blocked, bad request) is failed and the next one is sent; a reply still failing
    after the inline tries is left to the worker with the rest behind it, due at once (the worker keeps
    a chat's order). A reply without a row (a file the store could not keep) still failing is given up."""
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
                    log.warning("%s: %d reply(ies) without a durable copy not sent", label, len(lost) + (out.outbox_id is None))
                return
            if values["status"] == "failed":
                log.warning("%s failed for good: %s", label, values["error"])
    finally:
        if marks:  # a short write of its own: sent replies are marked even if this task is cancelled
            now = clock()

            async def write(conn: AsyncConnection) -> None:  # idempotent (pending rows only): may be redone
                if sent:
                    await hot.mark_sent(conn, sent, now)
                for row_id, row_values in marks:
                    await conn.execute(update(Outbox).where(  # type: ignore[call-overload]
                        Outbox.id == row_id, Outbox.status == "pending").values(**row_values))

            await db.hot_write(write)
        elif sent:  # only the sent mark (the usual case): written together with other chats' marks
            await mark_sent(db, sent, clock())


class _SentMarks:
    """Group commit of the delivered marks of one database: the marks asked for while one write is under
    way (or in the same turn of the event loop) go out together in the next one, one statement (in
    autocommit on a server database) for many replies instead of a transaction each. Every caller
    still waits until its rows are marked; a cancelled caller's rows are marked all the same (the write
    is a task of its own). The write is idempotent (pending rows only) and redone once on a lost
    connection (``Database.hot_write``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ids: list[int] = []
        self.now: datetime | None = None
        self.done: asyncio.Future[None] | None = None  # resolved when ``ids`` are written
        self.task: asyncio.Task[None] | None = None

    async def mark(self, ids: list[int], now: datetime) -> None:
        if self.done is None:
            self.done = asyncio.get_running_loop().create_future()
        self.ids += ids
        self.now = now if self.now is None else max(self.now, now)  # the batch's rows share one sent time
        done = self.done
        if self.task is None:
            self.task = asyncio.ensure_future(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        try:
            while self.ids:
                ids, now, done = self.ids, self.now, self.done
                self.ids, self.now, self.done = [], None, None
                assert now is not None and done is not None
                try:
                    await self.db.hot_write(lambda conn: hot.mark_sent(conn, ids, now), single=True)  # noqa: B023
                except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                    done.set_exception(exc)
                    done.exception()  # retrieved: callers cancelled meanwhile leave it unread
                else:
                    done.set_result(None)
        finally:
            self.task = None


_MARKS: weakref.WeakKeyDictionary[Database, dict[asyncio.AbstractEventLoop, _SentMarks]] = weakref.WeakKeyDictionary()


async def mark_sent(db: Database, ids: list[int], now: datetime) -> None:
    """Mark outbox rows sent, together with the marks other chats ask for at the same time (``_SentMarks``)."""
    per_loop = _MARKS.setdefault(db, {})
    loop = asyncio.get_running_loop()
    marks = per_loop.get(loop)
    if marks is None:
        per_loop.clear()  # a loop of an earlier run (tests): its batch is gone with it
        marks = per_loop[loop] = _SentMarks(db)
    await marks.mark(ids, now)


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
