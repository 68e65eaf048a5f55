"""Exactly-once claim of a reminder and its outbox row, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.messages import Outgoing
from handlers.outbox import enqueue
from storage.models import ReminderLog
from storage.sqlutil import insert_ignore

if TYPE_CHECKING:
    from reminders.planned import Planned

__all__ = ["claim_and_queue"]


async def claim_and_queue(session: AsyncSession, p: Planned, out: Outgoing, now: datetime,
                          send_at: datetime | None = None) -> bool:
    """Record (person, stream, period, stage) under its unique key; queue the message only if new."""
    claimed = await insert_ignore(session, ReminderLog, {
        "key": p.key, "person_id": p.person_id, "stream": p.stream, "period": p.period, "stage": p.stage,
        "created_at": now})
    if not claimed:
        return False
    assert p.channel is not None and p.chat_id is not None
    await enqueue(session, channel=p.channel, chat_id=p.chat_id, out=out, key=f"reminder:{p.key}",
                  person_id=p.person_id, now=send_at or now)
    return True
