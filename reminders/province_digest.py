"""The province office's digest after its deadline: which communes' compiled reports have not arrived."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from reminders.planned import Planned, province_office
from storage.calendar.calendar import Stage, period_for, previous_period
from storage.models import Commune, Province
from storage.province_stream import compiled_report_states, province_stream

__all__ = ["PROVINCE_DIGEST", "plan_province_digests"]

PROVINCE_DIGEST = "province_digest"  # the stage of the province office's digest (claimed once per period)


async def plan_province_digests(session: AsyncSession, now: datetime, tz: tzinfo,
                                due_stage: Callable[[Any, datetime, bool], Any]) -> list[Planned]:
    """One digest per person of each province office, at the stage where a commune's lead would get its
    digest (the working morning after the province's deadline, never in quiet hours; caught up while
    useful), naming the communes whose compiled report has not reached the province (and the late ones).
    ``due_stage(period, now, working_days_only)`` is the sweep's stage function."""
    out: list[Planned] = []
    for province in (await session.exec(select(Province).order_by(Province.id))).all():
        current = period_for(province_stream(province.report_due_day), now, tz)
        for period in (previous_period(current), current):
            if now <= period.due or due_stage(period, now, True) != Stage.OVERDUE:
                continue
            office = await province_office(session, province.id)  # type: ignore[arg-type]
            if not office:
                continue
            states = await compiled_report_states(session, province, period.key, now, tz)
            names = dict((await session.exec(select(Commune.id, Commune.name).where(
                Commune.id.in_(list(states))))).all())  # type: ignore[union-attr]
            def named(state: str) -> tuple[str, ...]:
                return tuple(sorted((names[c] for c, st in states.items() if st.state == state),  # noqa: B023
                                    key=lambda n: (fold(n), n)))

            for person, ident in office:  # no_lead: nobody of the commune's lead office is on the bot
                out.append(Planned(person.id, person.name, None, ident.channel if ident else None,
                                   ident.chat_id if ident else None, person.locale, period.stream.name, period.key,
                                   PROVINCE_DIGEST, period.due_text_vi, named("missing"), named("late"),
                                   named("no_lead"), ref=period))
    return out
