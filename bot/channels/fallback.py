"""When a proactive message cannot reach a person on one channel, try their other channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import select

from handlers.outbox import enqueue
from handlers.outbox_payload import from_payload
from storage.errors import ChannelError
from storage.models import AuditLog, Identity, Outbox

if TYPE_CHECKING:
    from handlers.services import Services
    from storage.db import Database


class _Waker(Protocol):
    def wake(self) -> None: ...


class Running(Protocol):
    """What rerouting needs from the running bot (bot.app.BotApp is one)."""

    db: Database
    services: Services
    channels: list[Any]
    outbox: _Waker | None

__all__ = ["reroute_undeliverable"]

log = logging.getLogger(__name__)


async def reroute_undeliverable(bot: Running, row: Outbox, exc: ChannelError) -> None:
    """Queue the same message on another of the person's channels; record who could not be reached."""
    if row.person_id is None:
        return
    async with bot.db.transaction() as s:
        others = (await s.exec(select(Identity).where(Identity.person_id == row.person_id,
                                                      Identity.channel != row.channel))).all()
        for ident in others:
            if ident.channel in {ch.name for ch in bot.channels}:
                key = f"{row.key}:via:{ident.channel}" if row.key else None
                await enqueue(s, channel=ident.channel, chat_id=ident.chat_id, out=from_payload(row.payload),
                              key=key, person_id=row.person_id, now=bot.services.now())
                break
        else:
            s.add(AuditLog(action="delivery.unreachable", target=f"person:{row.person_id}",
                           detail={"channel": row.channel, "error": str(exc)[:200], "outbox": row.id}))
    if bot.outbox is not None:
        bot.outbox.wake()
