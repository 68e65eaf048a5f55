"""What every province answer shares: the question and its province, the month or activity period asked,
the province's traffic for the month, drill-down buttons and "… and N more"."""

from __future__ import annotations

import dataclasses
from typing import Any

from handlers.ask.base import PeriodError, ref
from handlers.ask.intents import Understood
from handlers.ask.province_intents import CommuneName
from handlers.periods import period_label, province_calendar, relative_month, rollup_closed_before
from handlers.turn import Turn
from locales.i18n import _, current_locale
from storage.calendar.calendar import Frequency, Period, period_by_key
from storage.calendar.period_ref import parse_period_ref
from storage.models import Commune, Province
from storage.traffic import province_traffic

__all__ = ["Ctx", "activity_period", "drill", "monthly", "more", "period_text", "traffic"]


@dataclasses.dataclass
class Ctx:
    """A province office's question being answered."""

    province: Province
    communes: list[Commune]  # the asker's province's, alphabetical
    u: Understood
    named: list[CommuneName]


def period_text(p: Period) -> str:
    return period_label(p, current_locale())


async def monthly(turn: Turn, phrase: str | None, province: Province) -> tuple[Period, Period]:
    """(unit period, village period) of one month in the deployment's streams (the province view's calendar;
    by default the month its /tinhtrang opens on)."""
    unit_stream, village_stream, month = await province_calendar(turn, province.report_due_day)
    up = (relative_month(phrase, month) or parse_period_ref(phrase, unit_stream, turn.today, turn.tz)) if phrase else month
    if up is None:
        raise PeriodError(phrase)
    return up, period_by_key(village_stream, up.key, turn.tz)


async def activity_period(turn: Turn, phrase: str | None, province: Province) -> Period:
    """A month, quarter, half-year or year of village activity (default: the month of /tinhtrang)."""
    _unit, stream, month = await province_calendar(turn, province.report_due_day)
    up = relative_month(phrase, month) if phrase else month  # "tháng này", "tháng trước": from the view's month
    if up is not None:
        return period_by_key(stream, up.key, turn.tz)
    for freq in (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEAR, Frequency.YEAR):
        p = parse_period_ref(phrase, dataclasses.replace(stream, frequency=freq), turn.today, turn.tz)
        if p is not None:
            return p
    raise PeriodError(phrase)


async def traffic(turn: Turn, c: Ctx) -> tuple[dict[str, Any], Period]:
    up, vp = await monthly(turn, c.u.entities.period, c.province)
    return await province_traffic(turn.session, c.province, up, vp, turn.now, turn.today,
                                  rollup_closed_before(turn.services, turn.now), c.communes), up


def drill(name: str, up: Period) -> tuple[str, str]:
    return _("How is {commune} doing?", commune=name), f"xa {name} {ref(up)} the nao"


def more(lines: list[str], total: int, shown: int) -> list[str]:
    """``lines`` with "… and N more" when only ``shown`` of ``total`` communes are listed."""
    return lines + ([f"…{_(' and {n} more', n=total - shown)}"] if total > shown else [])
