"""Reminders for returned reports: the unit owes a resubmission, so its officers hear daily until it is back."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import may_remind_at, period_by_key
from storage.calendar.streams import Stream
from storage.models import Commune

if TYPE_CHECKING:
    from reminders.planned import Planned
    from reminders.sweep_reads import SweepReads

__all__ = ["plan_returned"]


async def plan_returned(session: AsyncSession, commune: Commune, stream: Stream, now: datetime,
                        tz: tzinfo, reads: SweepReads | None = None) -> list[Planned]:
    """One reminder per officer of each unit whose report of ``stream`` is returned, once a day (the
    stage carries the local day), at the first sweep outside quiet hours on a day they may be reminded;
    before and after the deadline alike, until the report comes back. ``reads``: the sweep's rows of every
    commune (``reminders.sweep_reads``)."""
    from reminders.planned import Planned, reporter_roles
    from reminders.sweep_reads import SweepReads

    if stream.kind != "unit_report":  # only unit reports are reviewed (/duyet), so only they come back
        return []
    reads = reads or SweepReads(session, [commune.id])  # type: ignore[list-item]
    rows = await reads.returned(commune.id, stream)  # type: ignore[arg-type]
    out: list[Planned] = []
    day = now.astimezone(tz).date().isoformat()
    names = {u.id: u.name for u in await reads.every(commune.id)} if rows else {}  # type: ignore[arg-type]
    for unit_id, comment, key in rows:
        try:
            period = period_by_key(stream, key, tz)
        except ValueError:  # the stream's frequency changed since; the period no longer exists
            continue
        for person, ident in await reads.people(commune.id, [unit_id], reporter_roles(stream)):  # type: ignore[arg-type]
            weekend_ok = stream.weekend_reminders or person.weekend_reminders
            if not may_remind_at(now, tz, working_days_only=not weekend_ok):
                continue
            out.append(Planned(person.id, person.name, names.get(unit_id),
                               ident.channel if ident else None, ident.chat_id if ident else None, person.locale,
                               stream.name, period.key, f"returned-{day}", period.due_text_vi,
                               comment=comment or "", ref=period))
    return out
