"""Which period a /baocao opens, and opening that report: the one named ("tháng 11", "tháng trước", "11/2026"), or the one owed,
or a choice when several are owed (overdue since the commune's reporting start, returned, current)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, tzinfo

from sqlmodel import select

from handlers import engine
from handlers.messages import Choice
from handlers.periods import period_label, turn_stream
from handlers.report_items import load_items, previous_answers
from handlers.turn import Turn
from locales.i18n import _, current_locale, fmt_date
from storage.calendar.calendar import Period, owed_since, period_by_key, period_for, previous_period
from storage.calendar.period_ref import parse_period_ref
from storage.calendar.streams import Stream
from storage.errors import InputError
from storage.item_standing import new_items
from storage.models import Commune, Report, ReportingPeriod, Unit
from storage.status import UnitState, stream_states

__all__ = ["LOOKBACK", "STREAM", "candidate_periods", "choose_period", "open_report", "period_states"]

STREAM = "unit_monthly"  # the units' monthly report

LOOKBACK = 6  # earlier periods still offered (and listed by /hanbaocao) while owed


def candidate_periods(stream: Stream, now: datetime, tz: tzinfo, start: date | None,
                      returned_keys: list[str]) -> list[Period]:
    """Periods a unit may still owe, oldest first: returned ones however old; earlier periods back to
    the commune's reporting start (at most ``LOOKBACK``; without a start only the previous one); the
    current one."""
    current = period_for(stream, now, tz)
    back = LOOKBACK if start is not None else 1
    if start is not None:
        first = period_for(stream, datetime.combine(start, time.min, tzinfo=tz), tz)
        back = min(back, max(0, _distance(first, current)))
    periods = [current]
    for _n in range(back):
        periods.insert(0, previous_period(periods[0]))
    for key in returned_keys:
        with contextlib.suppress(ValueError):
            if (p := period_by_key(stream, key, tz)) not in periods:
                periods.append(p)
    return sorted(periods, key=lambda p: p.start)


def _distance(a: Period, b: Period) -> int:
    n, p = 0, b
    while p.start > a.start and n <= LOOKBACK:
        p, n = previous_period(p), n + 1
    return n


async def period_states(turn: Turn, stream: Stream, unit: Unit) -> list[tuple[Period, UnitState]]:
    """Each candidate period of ``stream`` with the unit's state (storage.status.stream_states)."""
    commune = await turn.session.get(Commune, unit.commune_id)
    assert commune is not None
    returned = list((await turn.session.exec(select(ReportingPeriod.key).join(
        Report, Report.period_id == ReportingPeriod.id).where(
        Report.unit_id == unit.id, Report.status == "returned", ReportingPeriod.stream == stream.name))).all())
    periods = candidate_periods(stream, turn.now, turn.tz, commune.reporting_start, returned)
    return [(p, (await stream_states(turn.session, commune, p, turn.now, [unit]))[0]) for p in periods]


def _label(turn: Turn, period: Period, state: str) -> str:
    loc = current_locale()
    label = period_label(period, loc)
    if state == "returned":
        return _("{period} — returned", period=label)
    if state == "missing":
        return _("{period} — overdue", period=label)
    return _("{period} — due {due}", period=label, due=period.due_text_en if loc == "en" else period.due_text_vi)


async def choose_period(turn: Turn, stream_name: str, unit: Unit, args: str) -> Period | None:
    """The period to open, or None when a reply (refusal) was given or a choice was started."""
    stream = await turn_stream(turn, stream_name)
    states = await period_states(turn, stream, unit)
    current = period_for(stream, turn.now, turn.tz)
    if args.strip():
        period = None
        with contextlib.suppress(ValueError):
            period = period_by_key(stream, args.strip(), turn.tz)
        period = period or parse_period_ref(args, stream, turn.today, turn.tz)
        if period is None:
            turn.reply(_("I could not read the period \"{text}\". Try e.g. \"tháng 11\", \"tháng trước\" or "
                         "\"11/2026\".", text=args[:40]))
            return None
        return await _check(turn, stream, unit, period, current)
    owed = [(p, st) for p, st in states if st.state in ("missing", "returned")
            or (p == current and st.state == "pending")
            or (p != current and st.state in ("on_time", "late") and await _added(turn, unit, p))]
    if len(owed) <= 1:
        return owed[0][0] if owed else current
    choices = [[_label(turn, p, st.state), p.key] for p, st in owed]
    await engine.start(turn, "report_period", {"unit_id": unit.id, "stream": stream_name, "choices": choices})
    return None


async def _check(turn: Turn, stream: Stream, unit: Unit, period: Period, current: Period) -> Period | None:
    label = period_label(period, current_locale())
    if period.start > current.start:
        turn.reply(_("Reporting for {period} is not open yet; the open period is {current}.", period=label,
                     current=period_label(current, current_locale())))
        return None
    commune = await turn.session.get(Commune, unit.commune_id)
    assert commune is not None
    st = (await stream_states(turn.session, commune, period, turn.now, [unit]))[0]
    if st.state == "not_owed" and owed_since(period, commune.reporting_start):  # the unit came later
        turn.reply(_("{period} was due before {unit} was added to the commune's list; nothing is owed for it.",
                     period=label, unit=unit.name))
        return None
    if st.state == "not_owed":
        start = commune.reporting_start
        turn.reply(_("{period} is before your commune's reporting started ({start}); nothing is owed for it.",
                     period=label, start=fmt_date(start) if start else ""))
        return None
    if st.state in ("on_time", "late") and period != current and not await _added(turn, unit, period):
        turn.reply(_("The report for {period} was already received. If it needs correcting, the lead office "
                     "can return it to you (/duyet).", period=label))
        return None
    return period


async def _added(turn: Turn, unit: Unit, period: Period) -> set[tuple[str, int]]:
    """Items a re-import added after the unit sent its report for ``period`` (``storage.item_standing.new_items``)."""
    report = (await turn.session.exec(select(Report).join(ReportingPeriod).where(
        Report.unit_id == unit.id, ReportingPeriod.stream == STREAM, ReportingPeriod.key == period.key))).first()
    return await new_items(turn.session, unit, period, report)


async def open_report(turn: Turn, unit: Unit, period: Period) -> None:
    """Start the report flow of ``unit`` for ``period`` (chosen by ``choose_period``)."""
    prow = (await turn.session.exec(select(Report).join(ReportingPeriod).where(
        Report.unit_id == unit.id, ReportingPeriod.stream == STREAM, ReportingPeriod.key == period.key))).first()
    if prow is not None and prow.status == "returned":  # a returned report reopens, even after its deadline
        turn.reply(_("The lead office returned your report for {period}: {comment}",
                     period=period_label(period, current_locale()), comment=prow.review_comment or ""))
    added = await new_items(turn.session, unit, period, prow) if prow is not None and prow.status != "returned" \
        else set()
    items = await load_items(turn.session, unit.id, added or None)  # type: ignore[arg-type]
    prev = await previous_answers(turn.session, unit.id, STREAM, period.start)  # type: ignore[arg-type]
    loc = current_locale()
    intro = _("Report of {unit} for {period} (due {due}). {n} item(s) to go through; "
              "type /huy at any time to stop.", unit=unit.name, period=period_label(period, loc),
              due=period.due_text_en if loc == "en" else period.due_text_vi, n=len(items))
    if added:  # reported already; the plan has grown since: only the new items, added to that report
        intro += "\n" + _("You have already sent this report; the plan has since added these items for your unit, "
                          "so only they are asked and they are added to the report you sent.")
    elif not items:
        intro += "\n" + _("Your unit chairs no task or indicator in the imported plans; "
                          "you can still report difficulties and proposals.")
    turn.reply(intro)
    await engine.start(turn, "report", {"unit_id": unit.id, "unit_name": unit.name, "period": period.key,
                                        "items": items, "idx": 0, "answers": {}, "prev": prev,
                                        "addendum": bool(added)})


def _pick_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Your unit owes several reports. Which one do you want to fill in now?"),
                         tuple(Choice(label, key) for label, key in turn.data["choices"]))


def _parse_pick(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in [key for _label, key in turn.data["choices"]]:
        raise InputError(_("Please pick one of the periods below (type its number)."))
    return answer.choice  # type: ignore[return-value]


async def _finish(turn: Turn) -> None:
    stream = await turn_stream(turn, turn.data["stream"])
    period = period_by_key(stream, turn.data["period"], turn.tz)
    unit = await turn.session.get(Unit, turn.data["unit_id"])
    assert unit is not None
    turn.end_flow()
    await open_report(turn, unit, period)


engine.register(engine.Flow(
    name="report_period",
    steps={"pick": engine.Step("pick", _pick_prompt, _parse_pick, None, "period")},
    finish=_finish,
    summary_of=lambda t: _("choosing which report to fill in"),
))
