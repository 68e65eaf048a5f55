"""The lead office's views: indicators against targets (/chitieu), overdue tasks (/quahan), and the
compiled report as files (/xuat)."""

from __future__ import annotations

from handlers.exports.data import LEAD_STREAM, ExportData, IndicatorRow, TaskRow
from handlers.exports.gather import compiled_stream, gather_export
from handlers.messages import Choice, FileOut, Outgoing
from handlers.periods import lead_relative, unreadable_period
from handlers.report_items import TASK_STATUSES
from handlers.report_words import steering_recipient
from handlers.turn import Turn
from locales.i18n import N_, _, fmt_date, fmt_number
from locales.textcut import shorten
from storage.calendar.commune_streams import commune_streams
from storage.models import Commune

__all__ = ["behind", "behind_lines", "export_cmd", "indicators_cmd", "missing_line", "overdue_cmd", "overdue_lines",
           "units_done"]

_STATUS = {"off_track": N_("off track"), "at_risk": N_("at risk"), "no_data": N_("no data"),
           "on_track": N_("on track")}
_ICON = {"off_track": "🔴", "at_risk": "🟠", "no_data": "⚪", "on_track": "🟢"}
_ORDER = {"off_track": 0, "at_risk": 1, "no_data": 2, "on_track": 3}
SCREEN = 10
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEERING_MONTHLY = "steering_monthly"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _data(turn: Turn, args: str) -> ExportData | None:
    """The commune's export data for the period typed, else the month the lead office is compiling (its
    report to the People's Committee's open period: ``handlers.periods.lead_month``), from which "tháng
    này" and "tháng trước" count too."""
    assert turn.person is not None
    commune = await turn.session.get(Commune, turn.person.commune_id)
    assert commune is not None
    found = await commune_streams(turn.session, turn.services, commune.id)
    shifted = await lead_relative(turn, args)
    try:
        return await gather_export(turn.session, commune, shifted.key if shifted else args.strip() or None, turn.now,
                                   turn.tz, found.streams, compiled_stream(found))
    except ValueError:
        turn.reply(unreadable_period(args))
        return None


def _value(r: IndicatorRow) -> str:
    """The latest answer as the lead reads it: "85,5%", "Achieved", "In progress: <text>" (no number
    for a qualitative result); for an indicator owed by several units, the worst-off unit's answer with
    who that is and how many units answered: "80% (lowest: Công an xã; 3/5 units)", "— (0/5 units)" while
    none of them has answered."""
    if r.units_owed <= 1:
        return _answer(r)
    if r.worst_unit is None:
        return _answer(r) + _(" ({n}/{m} units)", n=r.units_reported, m=r.units_owed)
    return _answer(r) + _(" ({worst}: {unit}; {n}/{m} units)", worst=_(r.worst_word), unit=r.worst_unit,
                          n=r.units_reported, m=r.units_owed)


def _answer(r: IndicatorRow) -> str:
    if r.latest_status is not None:
        label = _(TASK_STATUSES.get(r.latest_status, "—"))
        return f"{label}: {shorten(r.latest_text, 80)}" if r.latest_text else label
    if r.latest_value is None:
        return "—" if r.latest_achieved is None else (_("Achieved") if r.latest_achieved else _("Not achieved"))
    return fmt_number(r.latest_value) + ("%" if (r.unit or "").strip() == "%" else f" {r.unit}" if r.unit else "")


_WORST = (N_("lowest"), N_("highest"), N_("furthest behind"))  # IndicatorRow.worst_word, for the catalogue


def missing_line(r: IndicatorRow) -> str:
    """"Not reported yet: Trạm y tế xã" for an indicator owed by several units, "" otherwise."""
    return _("Not reported yet: {units}", units=", ".join(r.missing_units)) if r.missing_units else ""


def units_done(t: TaskRow) -> str:
    """" — 3/5 units done" for a task owed by several units (storage.item_standing), "" otherwise."""
    return " — " + _("{done}/{owed} units done", done=t.units_done, owed=t.units_owed) if t.units_owed > 1 else ""


def _units_line(r: IndicatorRow) -> str:
    """"Reports: Công an xã · with: Phòng Kinh tế, Trạm Y tế": who is asked, who works with them."""
    owners = shorten(", ".join(r.owner_units), 60) or "—"
    if not r.partner_units:
        return _("Reports: {owners}", owners=owners)
    return _("Reports: {owners} · with: {partners}", owners=owners,
             partners=shorten(", ".join(r.partner_units), 60))


async def indicators_cmd(turn: Turn, args: str) -> None:
    if turn.person is not None and turn.person.role == "province":  # each shared target across its communes
        from handlers.province_indicators import province_indicators_cmd

        await province_indicators_cmd(turn, args)
        return
    data = await _data(turn, args)
    if data is None:
        return
    if not data.indicators:
        turn.reply(_("No indicators in the imported plans yet."))
        return
    rows = sorted(data.indicators, key=lambda r: (_ORDER.get(r.status, 9), r.plan, r.code))
    counts = {k: sum(1 for r in rows if r.status == k) for k in _ORDER}
    lines = [_("Indicators at {period}: {off} off track, {risk} at risk, {none} without data, {ok} on track.",
               period=data.period_label, off=counts["off_track"], risk=counts["at_risk"],
               none=counts["no_data"], ok=counts["on_track"])]
    for r in rows[:SCREEN]:
        due = _(", due {date}", date=fmt_date(r.due_date)) if r.due_date else ""
        word = _("no unit to report it") if r.no_unit else _(_STATUS[r.status])  # storage.no_unit
        lines.append(f"{_ICON.get(r.status, '')} {r.code}. {shorten(r.name, 70)}: "
                     f"{_value(r)} / {r.target_short or '—'}{due} ({word})")
        if r.owner_units or r.partner_units:
            lines.append("   " + _units_line(r))
        if r.missing_units:
            lines.append("   " + missing_line(r))
    if len(rows) > SCREEN:
        lines.append(_("… and {n} more: type /xuat for the full list.", n=len(rows) - SCREEN))
    turn.reply("\n".join(lines))


async def overdue_cmd(turn: Turn, args: str) -> None:
    data = await _data(turn, args)
    if data is None:
        return
    turn.reply("\n".join(overdue_lines(data.tasks)))


def behind(tasks: list[TaskRow]) -> tuple[list[TaskRow], list[TaskRow]]:
    """The tasks behind: 🔴 past their last allowed day and not done (the national colours,
    storage.deadlines.task_light: /quahan's list), and those whose standing answer (storage.item_standing) is
    "Chậm, vướng mắc" but are not past it yet (no due date, or a later one)."""
    late = [t for t in tasks if t.light == "red"]
    return late, [t for t in tasks if t.status == "blocked" and t.light != "red"]


def _late_line(t: TaskRow) -> str:
    return (f"• {t.code}. {shorten(t.title, 80)} — {t.due_text or '—'} — {', '.join(t.lead_units) or '—'}"
            f"{units_done(t)}" + (" — " + _("no unit to report it") if t.no_unit else ""))


def _late_block(late: list[TaskRow]) -> list[str]:
    lines = [_("🔴 {n} task(s) past their due date and not done:", n=len(late))]
    lines += [_late_line(t) for t in late[:SCREEN]]
    if len(late) > SCREEN:
        lines.append(_("… and {n} more: type /xuat for the full list.", n=len(late) - SCREEN))
    return lines


def overdue_lines(tasks: list[TaskRow]) -> list[str]:
    """/quahan (and "nhiệm vụ nào quá hạn?"): the tasks in the national colours (storage.deadlines.task_light),
    🔴 past their last allowed day and not done, then 🟡 due within 7 days."""
    late = behind(tasks)[0]
    soon = [t for t in tasks if t.light == "yellow"]
    lines = _late_block(late) if late else [_("No task is past its due date. 👍")]
    if soon:
        lines.append(_("🟡 {n} task(s) due within 7 days:", n=len(soon)))
        lines += [f"• {t.code}. {shorten(t.title, 80)} — {fmt_date(t.due_date) if t.due_date else t.due_text} — "
                  f"{', '.join(t.lead_units) or '—'}" for t in soon[:SCREEN]]
    return lines


def behind_lines(tasks: list[TaskRow]) -> list[str]:
    """"Nhiệm vụ nào chậm?": /quahan's overdue tasks (``behind``), then those reported "Chậm, vướng mắc" that are not
    overdue yet, marked so."""
    late, blocked = behind(tasks)
    if not late and not blocked:
        return [_("No task is past its due date or reported delayed / blocked. 👍")]
    lines = _late_block(late) if late else [_("No task is past its due date. 👍")]
    if blocked:
        lines.append(_("⚠️ {n} task(s) reported delayed / blocked, not past their due date yet:", n=len(blocked)))
        lines += [_late_line(t) + " — " + _("delayed / blocked") for t in blocked[:SCREEN]]
        if len(blocked) > SCREEN:
            lines.append(_("… and {n} more: type /xuat for the full list.", n=len(blocked) - SCREEN))
    return lines


async def export_cmd(turn: Turn, args: str) -> None:
    from handlers.exports.docx import build_docx
    from handlers.exports.xlsx import build_xlsx

    assert turn.person is not None
    if turn.person.role == "province":  # the province office: the province workbook and report
        from handlers.province_export import province_export_cmd

        await province_export_cmd(turn, args)
        return
    # the compiled report of the month still due to the People's Committee: on 20–21/12 December's (due before
    # the 22nd), not January's, although the units' December deadline has passed
    data = await _data(turn, args)
    if data is None:
        return
    stem = f"bao-cao-cds-{data.period_key}"
    turn.reply(Outgoing(text=_("Compiled report for {period} (spreadsheet).", period=data.period_label),
                        document=FileOut(f"{stem}.xlsx", build_xlsx(data), XLSX_MIME)))
    turn.reply(Outgoing(text=_("Draft report for {period}, ready to edit and sign.", period=data.period_label),
                        document=FileOut(f"{stem}.docx", build_docx(data), DOCX_MIME)))
    assert turn.person is not None
    found = await commune_streams(turn.session, turn.services, turn.person.commune_id)
    if found.is_enabled(LEAD_STREAM):  # to whom the commune sends it: "UBND xã", a ward's "UBND phường", …
        to = found.named(LEAD_STREAM).recipient
        turn.reply(Outgoing(text=_("When the signed report has gone to {recipient}, tap below so the reminders "
                                   "stop.", recipient=to) if turn.caps.buttons else
                            _("When the signed report has gone to {recipient}, choose the option below so the "
                              "reminders stop.", recipient=to),
                            choices=(Choice(_("Mark as sent to {recipient}", recipient=to),
                                            f"leadsent:{data.period_key}"),)))
    elif found.is_enabled(STEERING_MONTHLY):  # seed 001: the month's report goes to the steering committee
        to = steering_recipient(found.named(STEERING_MONTHLY).recipient)
        turn.reply(Outgoing(text=_("When the signed report has gone to {recipient}, choose it below so the reminders "
                                   "stop.", recipient=to),
                            choices=(Choice(_("Sent — {period}", period=data.period_label),
                                            f"steersent:{STEERING_MONTHLY}:{data.period_key}"),)))
    commune = await turn.session.get(Commune, turn.person.commune_id)
    if commune is not None and commune.province_id is not None:  # the commune → province stream
        turn.reply(Outgoing(text=_("When the People's Committee has sent the compiled report on to the province, "
                                   "mark it here so the province sees it arrived and the reminders stop."),
                            choices=(Choice(_("Mark as sent to the province"), f"provsent:{data.period_key}"),)))
