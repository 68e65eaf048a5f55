"""Bridges the reporting calendar and the database: current periods and their stored rows."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.services import Services
from locales.i18n import _
from locales.textnorm import fold
from storage.calendar.calendar import Period, next_period, period_for, previous_period
from storage.calendar.commune_streams import base_streams, commune_streams
from storage.calendar.period_ref import parse_period_ref
from storage.calendar.streams import Stream
from storage.log_rollup import closed_before, open_from
from storage.models import ReportingPeriod
from storage.province_stream import province_month
from storage.sqlutil import insert_ignore

if TYPE_CHECKING:
    from handlers.turn import Turn

__all__ = ["current_period", "lead_month", "lead_relative", "period_arg", "period_label", "period_row", "province_calendar", "relative_month",
           "rollup_closed_before", "rollup_open_from", "stream_named", "streams", "turn_period", "turn_stream", "unreadable_period"]


_RELATIVE = re.compile(r"^(?:thang|ky) (nay|truoc|ngoai|sau|toi)$")
_STEPS = {"nay": 0, "truoc": -1, "ngoai": -1, "sau": 1, "toi": 1}


def unreadable_period(text: str) -> str:
    """The reply to a typed period that cannot be read: one wording for every command and question."""
    return _("I could not read the period \"{text}\". Try e.g. \"tháng 10\" or \"tháng 10/2026\".", text=text[:40])


def relative_month(text: str, month: Period) -> Period | None:
    """"tháng này", "tháng trước", "kỳ sau" read against ``month`` (the province view's month, which from the
    20th is not the calendar's own "this month"), or None for any other phrase."""
    m = _RELATIVE.match(" ".join(fold(text).split()))
    if m is None:
        return None
    step = _STEPS[m.group(1)]
    return month if step == 0 else previous_period(month) if step < 0 else next_period(month)


def period_arg(turn: Turn, stream: Stream, args: str, default: Period, relative: bool = False) -> Period | None:
    """The period typed after a command ("/tinhtrang tháng 10"), ``default`` when nothing was typed
    (``relative``: "tháng này/trước" counted from ``default``); None, after telling the person politely,
    when it cannot be read."""
    if not args.strip():
        return default
    if relative and (shifted := relative_month(args, default)) is not None:
        return shifted
    period = parse_period_ref(args, stream, turn.today, turn.tz)
    if period is None:
        turn.reply(unreadable_period(args))
    return period


def streams(services: Services) -> list[Stream]:
    """The deployment's default streams (before any commune's settings)."""
    return base_streams(services)


def rollup_open_from(services: Services, now: datetime) -> date:
    """Logs dated before this day can be in a rolled-up range: writing one bumps its commune's roll-up
    version (``storage.log_rollup``, by the deployment's village stream)."""
    return open_from(base_streams(services), now, services.tz)


def rollup_closed_before(services: Services, now: datetime) -> date:
    """Village periods ending before this day are read from the roll-up (``storage.log_rollup``)."""
    return closed_before(base_streams(services), now, services.tz)


async def stream_named(session: AsyncSession, services: Services, commune_id: int | None, name: str) -> Stream:
    """The commune's version of stream ``name`` (KeyError when it has none)."""
    return (await commune_streams(session, services, commune_id)).named(name)


async def current_period(session: AsyncSession, services: Services, commune_id: int | None, stream_name: str,
                         now: datetime) -> Period:
    """The period of the commune's stream being reported at ``now``."""
    return period_for(await stream_named(session, services, commune_id, stream_name), now, services.tz)


async def turn_stream(turn: Turn, name: str) -> Stream:
    """Stream ``name`` as configured for the commune of the person in this turn."""
    return await stream_named(turn.session, turn.services, turn.person.commune_id if turn.person else None, name)


async def turn_period(turn: Turn, name: str) -> Period:
    """The open period of the turn's commune's stream ``name`` at the turn's time."""
    return period_for(await turn_stream(turn, name), turn.now, turn.tz)


async def lead_month(turn: Turn) -> Period:
    """The unit period of the month the commune's lead office is compiling at the turn's time: its report to
    the People's Committee's open period (on 20–21/12 December's, due before the 22nd, while the units' is
    already January's), as a bare /xuat, /tinhtrang, a question without a month and the dashboard open on."""
    from handlers.exports.gather import compiled_stream, resolve_periods  # loaded on first use, not at start

    commune_id = turn.person.commune_id if turn.person else None
    found = await commune_streams(turn.session, turn.services, commune_id)
    return resolve_periods(None, turn.now, turn.tz, found.streams, compiled_stream(found))[0]


async def lead_relative(turn: Turn, text: str | None) -> Period | None:
    """For the lead office (roles lead and admin): "tháng này", "tháng trước", "kỳ sau" counted from
    ``lead_month``, as its bare commands open (on 20–21/12 "tháng này" is December, "tháng trước" November);
    None for any other phrase or role (an officer's or member's "tháng này" stays the calendar's)."""
    role = turn.person.role if turn.person else None
    if not text or role not in ("lead", "admin") or _RELATIVE.match(" ".join(fold(text).split())) is None:
        return None
    return relative_month(text, await lead_month(turn))


async def province_calendar(turn: Turn, due_day: int | None) -> tuple[Stream, Stream, Period]:
    """The province view's one calendar: the deployment's unit and village streams, and the unit period it
    opens on (``storage.province_stream.province_month``; ``due_day``: the province's day for its compiled
    reports, None for the default)."""
    unit = await stream_named(turn.session, turn.services, None, "unit_monthly")
    village = await stream_named(turn.session, turn.services, None, "village_monthly")
    return unit, village, province_month(due_day, unit, village, turn.now, turn.tz)[0]


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
