"""Status in chat: the lead office's /tinhtrang summary and everyone's own /hanbaocao due list."""

from __future__ import annotations

from sqlmodel import select

from handlers import engine
from handlers.activity.flow import label_of
from handlers.messages import Choice, Outgoing
from handlers.periods import lead_month, period_arg, period_label, stream_named, turn_stream
from handlers.report_period import candidate_periods
from handlers.report_words import REPORT_LABELS, report_label
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale, fmt_datetime, fmt_number, ngettext
from storage.calendar.calendar import (
    Period,
    classify,
    covering_stream,
    period_by_key,
    period_for,
    previous_period,
)
from storage.errors import InputError
from storage.models import Commune, Report, ReportingPeriod, Unit
from storage.status import UnitState, activity_totals, expected_units, status_data, stream_states

__all__ = ["FLOWS", "due_cmd", "no_unit_text", "status_cmd"]

_STREAMS = {"unit_monthly": N_("Unit reports"), "village_monthly": N_("Village teams")}


def no_unit_text(items: list[dict], limit: int = 10) -> str:
    """"N8.3 (Các đơn vị trường học), …": the items no unit can report (``storage.no_unit``) with whom the plan
    named, the first ``limit`` of them."""
    shown = [f"{i['code']} ({', '.join(i['chairs']) or '—'})" for i in items[:limit]]
    return ", ".join(shown) + (_(" and {n} more", n=len(items) - limit) if len(items) > limit else "")


async def status_cmd(turn: Turn, args: str) -> None:
    assert turn.person is not None
    if turn.person.role == "province":  # the province office: its communes in the three colours
        from handlers.province import province_status_cmd

        await province_status_cmd(turn, args)
        return
    up = period_arg(turn, await turn_stream(turn, "unit_monthly"), args, await lead_month(turn), relative=True)
    if up is None:
        return
    await engine.start(turn, "status", {"period": up.key})


async def _gather(turn: Turn) -> tuple[dict, dict[str, int], Period]:
    """The commune's figures: the person's own, or the one a province office drilled into."""
    assert turn.person is not None
    cid = turn.data.get("commune_id") or turn.person.commune_id
    commune = await turn.session.get(Commune, cid)
    if commune is None or (cid != turn.person.commune_id and (  # only the province office looks elsewhere
            turn.person.role != "province" or commune.province_id != turn.person.province_id)):
        cid = turn.person.commune_id
        commune = await turn.session.get(Commune, cid)
    assert commune is not None
    up = period_by_key(await stream_named(turn.session, turn.services, cid, "unit_monthly"), turn.data["period"],
                       turn.tz)
    vp = period_by_key(await stream_named(turn.session, turn.services, cid, "village_monthly"), up.key, turn.tz)
    data = await status_data(turn.session, commune, up, vp, turn.now)
    previous, _by_unit = await activity_totals(turn.session, commune.id, previous_period(vp))  # type: ignore[arg-type]
    return data, previous, up


async def _summary_prompt(turn: Turn) -> engine.Prompt:
    data, previous, up = await _gather(turn)
    loc = current_locale()
    lines = [_("Status for {period} (units due {due}):", period=period_label(up, loc),
               due=up.due_text_en if loc == "en" else up.due_text_vi)]
    if turn.data.get("commune_id"):  # a province office looking into one commune
        lines.insert(0, _("Commune {name}", name=data["commune"]))
    for st in data["streams"]:
        lines.append(_("{what}: {done}/{expected} reported — {on_time} on time, {late} late, {returned} returned, "
                       "{missing} not reported", what=_(_STREAMS.get(st["name"], st["name"])),
                       done=st["submitted"], expected=st["expected"], on_time=st["on_time"], late=st["late"],
                       returned=len(st["returned"]), missing=len(st["missing"])))
    for st in data["streams"]:  # counted as not reported, but there is nobody to remind
        if st["unlisted"]:
            lines.append(_("Nobody on the org list yet, so nobody to remind (please add a person): {names}",
                           names=", ".join(st["unlisted"])))
    if data["no_unit"]:  # owed by no unit: never asked, never "not reported"
        lines.append(ngettext("{n} task/indicator has no unit to report it: {items}",
                              "{n} tasks/indicators have no unit to report them: {items}", len(data["no_unit"]),
                              items=no_unit_text(data["no_unit"])))
    returned = [n for st in data["streams"] for n in st["returned"]]
    if returned:
        lines.append(_("Returned for correction: {names}", names=", ".join(returned)))
    totals = data["activities"]["total"]
    if totals or previous:
        lines.append(_("Village activities (previous period in brackets):"))
        for code in sorted(set(totals) | set(previous), key=lambda c: -totals.get(c, 0)):
            lines.append(f"  • {label_of(turn, code)}: {fmt_number(totals.get(code, 0))} "
                         f"({fmt_number(previous.get(code, 0))})")
    else:
        lines.append(_("No village activities logged yet this period."))
    choices = (Choice(_("Units not reported"), "units"), Choice(_("Villages not reported"), "villages"),
               Choice(_("Activities by village"), "by_village"), Choice(_("Close"), "close"))
    return engine.Prompt("\n".join(lines), choices)


def _parse_pick(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("units", "villages", "by_village", "close"):
        if turn.person is not None and turn.person.role == "province":  # a question instead: answered
            from handlers.province import typed_question

            question = typed_question(answer)
            if question:
                return question
        raise InputError(_("Please pick one of the options below (type its number)."))
    return answer.choice


async def _finish_status(turn: Turn) -> None:
    pick = turn.data.get("pick")
    if pick and pick.startswith("ask:"):
        from handlers.province import answer_typed

        await answer_typed(turn, pick)
        return
    if pick == "close":
        turn.reply(_("OK."))
        return
    data, _previous, _up = await _gather(turn)
    if pick in ("units", "villages"):
        name = "unit_monthly" if pick == "units" else "village_monthly"
        st = next(x for x in data["streams"] if x["name"] == name)
        text = _("Not reported yet ({n}):", n=len(st["missing"])) + "\n" + (
            "\n".join(f"• {m}" + (" — " + _("nobody on the org list") if m in st["unlisted"] else "")
                      for m in st["missing"][:60]) or _("nobody — everyone has reported."))
        back = [u for u in st["units"] if u["state"] == "returned"]
        if back:
            text += "\n" + _("Returned for correction, not back yet ({n}):", n=len(back)) + "\n" + "\n".join(
                f"• {u['name']}: {u['comment'] or ''}".rstrip(": ") for u in back[:60])
        turn.reply(text)
        return
    by_unit = data["activities"]["by_unit"]
    if not by_unit:
        turn.reply(_("No village activities logged yet this period."))
        return
    lines = []
    for village, counts in sorted(by_unit.items()):
        parts = ", ".join(f"{label_of(turn, c)} {fmt_number(n)}" for c, n in sorted(counts.items()))
        lines.append(f"• {village}: {parts}")
    turn.reply("\n".join(lines[:40]))


# Two names: a province office asking about another commune from one commune's view opens the view again
# under the other name, so the engine's end of the first does not close the second.
FLOWS = ("status", "status_again")
for _name in FLOWS:
    engine.register(engine.Flow(
        name=_name,
        steps={"pick": engine.Step("pick", _summary_prompt, _parse_pick, None, "pick")},
        finish=_finish_status,
        summary_of=lambda t: _("looking at the status"),
        meta={"read_only": True},  # a view: another command simply closes it
    ))




async def _states(turn: Turn, commune: Commune | None, unit: Unit | None, periods: list[Period]
                  ) -> list[UnitState]:
    """The unit's state for each period (``storage.status.stream_states``, as everywhere else)."""
    if unit is None or commune is None:
        start = commune.reporting_start if commune else None
        return [UnitState(0, "", classify(p, None, turn.now, start=start)) for p in periods]
    return [(await stream_states(turn.session, commune, p, turn.now, [unit]))[0] for p in periods]


async def _owes(turn: Turn, unit: Unit | None, period: Period) -> bool:
    """Whether ``unit`` is one of the offices expected to report for ``period`` (the tree at its deadline once due)."""
    if unit is None:
        return False
    due = period.due if period.due <= turn.now else None
    return unit.id in {u.id for u in await expected_units(turn.session, unit.commune_id, "office", due)}


async def _returned_keys(turn: Turn, unit: Unit | None, name: str) -> list[str]:
    """Keys of the unit's periods of ``name`` whose report was returned and has not come back."""
    if unit is None:
        return []
    return list((await turn.session.exec(select(ReportingPeriod.key).join(
        Report, Report.period_id == ReportingPeriod.id).where(
        Report.unit_id == unit.id, Report.status == "returned", ReportingPeriod.stream == name)
        .order_by(ReportingPeriod.start))).all())


async def due_cmd(turn: Turn, _args: str) -> None:
    """What this person still owes, per stream their role reports in (as their commune configured it)."""
    from storage.calendar.commune_streams import commune_streams

    person = turn.person
    assert person is not None
    unit = await turn.session.get(Unit, person.unit_id) if person.unit_id else None
    loc = current_locale()
    table = await commune_streams(turn.session, turn.services, person.commune_id)
    commune = await turn.session.get(Commune, person.commune_id)
    start = commune.reporting_start if commune else None
    lines: list[str] = []
    choices: list[Choice] = []
    for name in REPORT_LABELS:
        try:
            stream = table.named(name)
        except KeyError:
            continue
        if not table.is_enabled(name):
            continue
        if person.role not in stream.reporter_roles and person.role != "admin":
            continue
        if name == "village_monthly" and (unit is None or unit.kind != "village"):
            continue
        if name == "unit_monthly" and (unit is None or unit.kind != "office"):
            continue
        current = period_for(stream, turn.now, turn.tz)
        periods = candidate_periods(stream, turn.now, turn.tz, start, await _returned_keys(turn, unit, name))
        for period, st in zip(periods, await _states(turn, commune, unit, periods), strict=True):
            if covering_stream(period, table.enabled) is not None:
                continue  # the second half-year is reported by the year report
            state = st.state
            if name == "unit_monthly" and state in ("pending", "missing") and not await _owes(turn, unit, period):
                continue  # an office chairing no plan item owes no unit report (storage.status.expected_units)
            what = report_label(name, stream.recipient)
            label = period_label(period, loc)
            if state == "not_owed":  # due before the commune's reporting start
                continue
            if state == "returned":
                lines.append("↩️ " + _("{what} for {period}: returned by the lead office — {comment}; please "
                                       "correct it and send it again (/baocao)", what=what, period=label,
                                       comment=st.comment or ""))
            elif period != current:  # an earlier period matters only while it is still owed
                if state != "missing":
                    continue
                lines.append("⚠️ " + _("{what} for {period}: overdue since {at}; please send it as soon as "
                                      "you can", what=what, period=label, at=fmt_datetime(period.due, turn.tz)))
            elif state in ("on_time", "late"):
                lines.append("✅ " + _("{what} for {period}: received", what=what, period=label))
                continue
            else:
                due_text = period.due_text_en if loc == "en" else period.due_text_vi
                lines.append("⏳ " + _("{what} for {period}: due {due} (deadline {at})", what=what, period=label,
                                      due=due_text, at=fmt_datetime(period.due, turn.tz)))
            if name.startswith("steering_") and unit is not None:
                choices.append(Choice(_("Sent: {what} for {period}", what=what, period=label),
                                      f"steersent:{name}:{period.key}"))
            elif name == "province_monthly" and unit is not None:
                choices.append(Choice(_("Sent: {what} for {period}", what=what, period=label),
                                      f"provsent:{period.key}"))
    if not lines:
        turn.reply(_("You have no reports to make. Thank you!"))
        return
    turn.reply(Outgoing(text="\n".join(lines), choices=tuple(choices)))
