"""Bridges the reporting calendar and the database: current periods and their stored rows."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.services import Services
from reminders.calendar import Period, period_for
from reminders.streams import Stream, default_streams
from storage.models import ReportingPeriod
from storage.sqlutil import insert_ignore

__all__ = ["current_period", "period_label", "period_row", "stream_named"]


def streams(services: Services) -> list[Stream]:
    found = services.extra.get("streams")
    if found is None:
        found = services.extra["streams"] = default_streams()
    return found


def stream_named(services: Services, name: str) -> Stream:
    for s in streams(services):
        if s.name == name:
            return s
    raise KeyError(name)


def current_period(services: Services, stream_name: str, now: datetime) -> Period:
    return period_for(stream_named(services, stream_name), now, services.tz)


def period_label(period: Period, locale: str) -> str:
    return period.label_en if locale == "en" else period.label_vi


async def period_row(session: AsyncSession, commune_id: int, period: Period) -> ReportingPeriod:
    """The stored row for a period, created on first use (safe under concurrent workers)."""
    await insert_ignore(session, ReportingPeriod, {
        "commune_id": commune_id, "stream": period.stream.name, "key": period.key,
        "start": period.start, "end": period.end, "due": period.due})
    row = (await session.exec(select(ReportingPeriod).where(
        ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
        ReportingPeriod.key == period.key))).one()
    return row
