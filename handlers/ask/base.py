"""What every answer to a question shares: the Answer shape, the commune and the periods asked about."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from handlers.periods import lead_month, lead_relative, period_label, turn_period, turn_stream
from handlers.turn import Turn
from locales.i18n import _, current_locale
from storage.calendar.calendar import Frequency, Period, period_by_key, previous_period
from storage.calendar.period_ref import parse_period_ref
from storage.models import Commune

__all__ = ["SCREEN", "Answer", "PeriodError", "commune_of", "label", "monthly", "name_list", "ref", "village_period", "year_before"]

SCREEN = 12  # names shown before "and N more"


@dataclass
class Answer:
    """The reply text, drill-down questions offered as choices (label, question), and key facts."""

    text: str
    follow: list[tuple[str, str]] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    payload_choices: list[tuple[str, str]] = field(default_factory=list)  # buttons handled elsewhere


class PeriodError(ValueError):
    """The question names a period this answer cannot use."""


async def commune_of(turn: Turn) -> Commune:
    assert turn.person is not None
    commune = await turn.session.get(Commune, turn.person.commune_id)
    assert commune is not None
    return commune


async def monthly(turn: Turn, phrase: str | None) -> tuple[Period, Period]:
    """(unit period, village period) of the same month, as /tinhtrang reads its argument (the lead office's
    "tháng này", "tháng trước": from the month it is compiling, ``handlers.periods.lead_relative``)."""
    unit_stream = await turn_stream(turn, "unit_monthly")
    if phrase:
        up = await lead_relative(turn, phrase) or parse_period_ref(phrase, unit_stream, turn.today, turn.tz)
        if up is None:
            raise PeriodError(phrase)
    else:
        up = await lead_month(turn)
    vp = period_by_key(await turn_stream(turn, "village_monthly"), up.key, turn.tz)
    return up, vp


async def village_period(turn: Turn, phrase: str | None) -> Period:
    """A period of village activity: a month, or a quarter, half-year or year of the same windows. The lead
    office's month without a phrase, "tháng này" and "tháng trước" count from the month it is compiling
    (``handlers.periods.lead_month``), as its /tinhtrang; anyone else's from the calendar's open period."""
    stream = await turn_stream(turn, "village_monthly")
    lead = turn.person is not None and turn.person.role in ("lead", "admin")
    month = await lead_month(turn) if lead and not phrase else await lead_relative(turn, phrase)
    if month is not None:
        return period_by_key(stream, month.key, turn.tz)
    if not phrase:
        return await turn_period(turn, "village_monthly")
    for freq in (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEAR, Frequency.YEAR):
        p = parse_period_ref(phrase, dataclasses.replace(stream, frequency=freq), turn.today, turn.tz)
        if p is not None:
            return p
    raise PeriodError(phrase)


def ref(p: Period) -> str:
    """The period as a question names it, for drill-down questions: "thang 11/2026", "quy 4 2026"."""
    year, _sep, part = p.key.partition("-")
    if not part:
        return f"nam {year}"
    if part.startswith("Q"):
        return f"quy {part[1:]} {year}"
    if part.startswith("H"):
        return f"6 thang {'dau' if part == 'H1' else 'cuoi'} nam {year}"
    return f"thang {int(part)}/{year}"


def label(p: Period) -> str:
    return period_label(p, current_locale())


def name_list(names: list[str]) -> str:
    shown = ", ".join(names[:SCREEN])
    return shown + (_(" and {n} more", n=len(names) - SCREEN) if len(names) > SCREEN else "")


def year_before(p: Period) -> Period:
    """The same period a year earlier ("cùng kỳ năm trước")."""
    q = p
    for _i in range({Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4, Frequency.HALF_YEAR: 2}.get(
            p.stream.frequency, 1)):
        q = previous_period(q)
    return q
