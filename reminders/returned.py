"""Reminders for returned reports: the unit owes a resubmission, so its officers hear daily until it is back."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import may_remind_at, period_by_key
from storage.calendar.streams import Stream
from storage.models import Commune, Report, ReportingPeriod, Unit

if TYPE_CHECKING:
    from reminders.planned import Planned

__all__ = ["plan_returned"]


async def plan_returned(session: AsyncSession, commune: Commune, stream: Stream, now: datetime,
                        tz: tzinfo) -> list[Planned]:
    """One reminder per officer of each unit whose report of ``stream`` is returned, once a day (the
    stage carries the local day), at the first sweep outside quiet hours on a day they may be reminded;
    before and after the deadline alike, until the report comes back."""
    from reminders.planned import Planned, people_with_roles, reporter_roles

    if stream.kind != "unit_report":  # only unit reports are reviewed (/duyet), so only they come back
        return []
    rows = (await session.exec(select(Report.unit_id, Report.review_comment, ReportingPeriod.key)
                               .join(ReportingPeriod, ReportingPeriod.id == Report.period_id).where(
        ReportingPeriod.commune_id == commune.id, ReportingPeriod.stream == stream.name,
        Report.status == "returned").order_by(ReportingPeriod.start))).all()
    out: list[Planned] = []
    day = now.astimezone(tz).date().isoformat()
    for unit_id, comment, key in rows:
        try:
            period = period_by_key(stream, key, tz)
        except ValueError:  # the stream's frequency changed since; the period no longer exists
            continue
        for person, ident in await people_with_roles(session, commune.id, [unit_id], reporter_roles(stream)):  # type: ignore[arg-type]
            weekend_ok = stream.weekend_reminders or person.weekend_reminders
            if not may_remind_at(now, tz, working_days_only=not weekend_ok):
                continue
            unit = await session.get(Unit, unit_id)
            out.append(Planned(person.id, person.name, unit.name if unit else None,
                               ident.channel if ident else None, ident.chat_id if ident else None, person.locale,
                               stream.name, period.key, f"returned-{day}", period.due_text_vi,
                               comment=comment or "", ref=period))
    return out
