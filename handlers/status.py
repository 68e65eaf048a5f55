"""Status in chat: the lead office's /tinhtrang summary and everyone's own /hanbaocao due list."""

from __future__ import annotations

from sqlmodel import select

from handlers.activity import label_of
from handlers.periods import current_period, period_label, stream_named
from handlers.turn import Turn
from locales.i18n import _, current_locale, fmt_datetime, fmt_number
from reminders.calendar import classify, parse_period_ref, period_by_key
from storage.models import ActivityLog, Commune, Report, ReportingPeriod, Unit
from storage.status import status_data

__all__ = ["due_cmd", "status_cmd"]


async def status_cmd(turn: Turn, args: str) -> None:
    assert turn.person is not None
    unit_stream = stream_named(turn.services, "unit_monthly")
    if args.strip():
        up = parse_period_ref(args, unit_stream, turn.today, turn.tz)
        if up is None:
            turn.reply(_("I could not read the period \"{text}\". Try e.g. \"tháng 10\" or \"tháng 10/2026\".",
                         text=args[:40]))
            return
    else:
        up = current_period(turn.services, "unit_monthly", turn.now)
    vp = period_by_key(stream_named(turn.services, "village_monthly"), up.key, turn.tz)
    commune = await turn.session.get(Commune, turn.person.commune_id)
    assert commune is not None
    data = await status_data(turn.session, commune, up, vp, turn.now)
    loc = current_locale()
    lines = [_("Status for {period} (units due {due}):", period=period_label(up, loc),
               due=up.due_text_en if loc == "en" else up.due_text_vi)]
    names = {"unit_monthly": _("Unit reports"), "village_monthly": _("Village teams")}
    for st in data["streams"]:
        lines.append(_("{what}: {done}/{expected} reported — {on_time} on time, {late} late, {missing} missing",
                       what=names.get(st["name"], st["name"]), done=st["submitted"], expected=st["expected"],
                       on_time=st["on_time"], late=st["late"], missing=len(st["missing"])))
        if st["missing"]:
            shown = ", ".join(st["missing"][:8])
            more = len(st["missing"]) - 8
            lines.append("  " + _("Missing: {names}", names=shown) + (f" (+{more})" if more > 0 else ""))
    totals = data["activities"]["total"]
    if totals:
        lines.append(_("Village activities this period:"))
        for code, n in sorted(totals.items(), key=lambda kv: -kv[1]):
            lines.append(f"  • {label_of(turn, code)}: {fmt_number(n)}")
    else:
        lines.append(_("No village activities logged yet this period."))
    turn.reply("\n".join(lines))


async def due_cmd(turn: Turn, _args: str) -> None:
    """What this person still owes, per stream their role reports in."""
    person = turn.person
    assert person is not None
    unit = await turn.session.get(Unit, person.unit_id) if person.unit_id else None
    loc = current_locale()
    lines = []
    for name in ("village_monthly", "unit_monthly", "lead_monthly"):
        stream = stream_named(turn.services, name)
        if person.role not in stream.reporter_roles and person.role != "admin":
            continue
        if name == "village_monthly" and (unit is None or unit.kind != "village"):
            continue
        if name == "unit_monthly" and (unit is None or unit.kind != "office"):
            continue
        period = current_period(turn.services, name, turn.now)
        submitted = None
        if unit is not None and name == "village_monthly":
            submitted = (await turn.session.exec(select(ActivityLog.created_at).where(
                ActivityLog.unit_id == unit.id, ActivityLog.on_date >= period.start,
                ActivityLog.on_date <= period.end))).first()
        elif unit is not None:
            submitted = (await turn.session.exec(select(Report.submitted_at).join(ReportingPeriod).where(
                Report.unit_id == unit.id, ReportingPeriod.stream == name,
                ReportingPeriod.key == period.key))).first()
        state = classify(period, submitted, turn.now)
        due_text = period.due_text_en if loc == "en" else period.due_text_vi
        what = {"village_monthly": _("village activity log"), "unit_monthly": _("unit report (/baocao)"),
                "lead_monthly": _("compiled report to the People's Committee")}[name]
        if state in ("on_time", "late"):
            lines.append("✅ " + _("{what} for {period}: received", what=what, period=period_label(period, loc)))
        else:
            lines.append("⏳ " + _("{what} for {period}: due {due} (deadline {at})", what=what,
                                  period=period_label(period, loc), due=due_text,
                                  at=fmt_datetime(period.due, turn.tz)))
    turn.reply("\n".join(lines) if lines else _("You have no reports to make. Thank you!"))
