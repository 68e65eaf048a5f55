"""/bieudo: charts of village activities per month and of indicator progress, sent as photos."""

from __future__ import annotations

from handlers.activity.flow import label_of
from handlers.exports.charts import activity_chart, indicator_bars, indicator_chart
from handlers.exports.gather import gather_export
from handlers.messages import FileOut, Outgoing
from handlers.periods import lead_month, turn_period
from handlers.turn import Turn
from locales.i18n import _
from storage.calendar.calendar import previous_period
from storage.calendar.commune_streams import commune_streams
from storage.models import Commune
from storage.status import activity_totals

__all__ = ["charts_cmd"]

MONTHS = 6


async def charts_cmd(turn: Turn, _args: str) -> None:
    assert turn.person is not None
    commune = await turn.session.get(Commune, turn.person.commune_id)
    assert commune is not None
    period = await turn_period(turn, "village_monthly")
    periods = [period]
    for _i in range(MONTHS - 1):
        periods.insert(0, previous_period(periods[0]))
    totals = [(await activity_totals(turn.session, commune.id, p))[0] for p in periods]  # type: ignore[arg-type]
    codes = sorted({c for t in totals for c in t}, key=lambda c: -sum(t.get(c, 0) for t in totals))
    series = {label_of(turn, c): [t.get(c, 0) for t in totals] for c in codes}
    png = activity_chart(_("Village activities per month — {commune}", commune=commune.name),
                         [p.key for p in periods], series)
    turn.reply(Outgoing(text=_("Village activities over the last {n} months.", n=MONTHS),
                        photo=FileOut("hoat-dong-thon.png", png, "image/png")))
    unit_period = await lead_month(turn)
    data = await gather_export(turn.session, commune, unit_period.key, turn.now, turn.tz,
                               (await commune_streams(turn.session, turn.services, commune.id)).streams)
    bars = indicator_bars(data.indicators)
    if bars:
        png = indicator_chart(_("Indicators against target"), bars, _("% of target"))
        turn.reply(Outgoing(text=_("Indicator progress (share of target)."),
                            photo=FileOut("chi-tieu.png", png, "image/png")))
