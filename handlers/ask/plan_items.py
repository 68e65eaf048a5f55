"""Answers about the plan's own items: one task in detail ("nhiệm vụ N5.6 thế nào"), a section or group of the plan
("nhóm 4", "mục IV"), and the task lists by status ("nhiệm vụ nào chưa xong / đã hoàn thành / chưa có báo cáo").

Every figure is the export's (``handlers.exports.gather``: each task's standing by ``storage.item_standing``, its
overdue light by ``storage.deadlines``), counted as the docx counts them (``handlers.exports.data.task_counts``)."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.ask.base import SCREEN, Answer, commune_of
from handlers.ask.intents import Understood
from handlers.ask.views import export_data, indicator_line
from handlers.exports.data import ExportData, IndicatorRow, TaskRow, task_counts
from handlers.lead import _ORDER, units_done
from handlers.periods import period_label, turn_stream
from handlers.report_items import TASK_STATUSES
from handlers.turn import Turn
from locales.i18n import _, current_locale, fmt_date
from locales.textcut import shorten
from locales.textnorm import fold
from storage.calendar.calendar import period_by_key
from storage.item_standing import item_standings
from storage.models import Plan, Report, ReportItem, Task, Unit

__all__ = ["count_line", "plan_section", "status_label", "task_detail", "task_list"]


def status_label(status: str | None) -> str:
    """A task's standing as /baocao names it; "Not reported" when nobody owing it has answered."""
    return _(TASK_STATUSES[status]) if status in TASK_STATUSES else _("Not reported")


def _standing(t: TaskRow) -> str:
    """A task's standing, or that no unit can report it (storage.no_unit), as the exports say."""
    return _("no unit to report it") if t.no_unit else status_label(t.status)


def _mine(u: Understood, t: TaskRow) -> bool:
    return u.own is None or u.own in t.owed_by or u.own in t.lead_units


def _task_line(t: TaskRow) -> str:
    """"• N4.1. Title — Hoàn thành — 3/5 đơn vị hoàn thành — 🔴 quá hạn"."""
    late = " — " + _("🔴 overdue") if t.light == "red" else ""
    return f"• {t.code}. {shorten(t.title, 70)} — {_standing(t)}{units_done(t)}{late}"


def _more(n: int) -> list[str]:
    return [_("… and {n} more: type /xuat for the full list.", n=n)] if n > 0 else []


async def task_detail(turn: Turn, u: Understood) -> Answer:
    """One task: title, section, chair and partners, deadline, standing (a group's: n/m units done and who answered
    what), the latest answer's difficulties and proposals, the plan's output."""
    code = u.entities.task or ""
    data = await export_data(turn, u)
    rows = [t for t in data.tasks if fold(t.code) == fold(code)]
    if not rows:
        return Answer(_("I found no task {code} in the imported plans.", code=code), facts={"codes": []})
    shown = [t for t in rows if _mine(u, t)]
    if not shown:
        return Answer(_("Task {code} is not one of {unit}'s; you can ask about your unit's tasks.", code=code,
                        unit=u.own), [(_("My unit's tasks"), "don vi minh co nhiem vu gi")], {"refused": code})
    lines: list[str] = []
    for t in shown:
        lines += await _detail(turn, data, t)
    return Answer("\n".join(lines), facts={"codes": [t.code for t in shown], "status": [t.status for t in shown],
                                           "overdue": [t.overdue for t in shown]})


async def _detail(turn: Turn, data: ExportData, t: TaskRow) -> list[str]:
    lines = [_("Task {code}. {title}", code=t.code, title=shorten(t.title, 300))]
    if t.section:
        lines.append(_("Part of: {section}", section=t.section))
    chair = ", ".join(t.lead_units) or "—"
    lines.append(_("Chaired by: {units}", units=chair) + (
        " · " + _("with: {units}", units=", ".join(t.partner_units)) if t.partner_units else ""))
    due = t.due_text or (fmt_date(t.due_date) if t.due_date else _("no deadline"))
    if t.due_date and t.due_text:
        due += f" ({fmt_date(t.due_date)})"
    lines.append(_("Due: {due}", due=due) + (" — " + _("🔴 overdue") if t.light == "red" else
                                             " — " + _("🟡 due within 7 days") if t.light == "yellow" else ""))
    standing = _standing(t) + units_done(t)
    if t.reported_in:
        stream = await turn_stream(turn, "unit_monthly")
        standing += " " + _("(latest answer: {period})", period=period_label(
            period_by_key(stream, t.reported_in, turn.tz), current_locale()))
    lines.append(_("Status: {status}", status=standing))
    if t.units_owed > 1:  # who answered what, then who has not
        by: dict[str | None, list[str]] = {}
        for unit in t.owed_by:
            by.setdefault(t.said.get(unit) if unit in t.said else "-", []).append(unit)
        for status in ("done", "in_progress", "not_started", "blocked", None, "-"):
            if by.get(status):
                label = _("Not reported") if status == "-" else status_label(status)
                lines.append(f"   {label}: {', '.join(by[status])}")
    lines += await _notes(turn, data, t)
    if t.output:
        lines.append(_("Output: {text}", text=shorten(t.output, 200)))
    if t.detail:
        lines.append(_("Details: {t}", t=shorten(t.detail, 300)))
    return lines


async def _notes(turn: Turn, data: ExportData, t: TaskRow) -> list[str]:
    """The difficulties and proposals of the reports whose answers the task stands on (each owing unit's latest,
    ``storage.item_standing``), with the unit and the period."""
    commune = await commune_of(turn)
    stream = await turn_stream(turn, "unit_monthly")
    period = period_by_key(stream, data.period_key, turn.tz)
    tid = (await turn.session.exec(select(Task.id).join(Plan, Plan.id == Task.plan_id).where(
        Plan.commune_id == commune.id, Plan.title == t.plan, Task.code == t.code))).first()
    latest, _meta = await item_standings(turn.session, [commune.id], period)  # type: ignore[list-item]
    hit = latest.get(("task", tid)) if tid is not None else None
    if hit is None:
        return []
    answers = [row for _name, row in hit.said] if hit.said else [hit.item]
    ids = [row.id for row in answers if getattr(row, "id", None) is not None]
    if not ids:
        return []
    rows = (await turn.session.exec(
        select(Unit.name, Report.difficulties, Report.proposals, ReportItem.note, ReportItem.id)
        .join(Report, Report.id == ReportItem.report_id).join(Unit, Unit.id == Report.unit_id)
        .where(col(ReportItem.id).in_(ids)))).all()
    key = {row.id: row.key for row in answers if getattr(row, "id", None) is not None}
    said = sorted((r for r in rows if any((x or "").strip() for x in r[1:4])), key=lambda r: r[0])
    out: list[str] = []
    for unit, hard, asks, note, item in said[:3]:  # the first three units that wrote something
        when = period_label(period_by_key(stream, key[item], turn.tz), current_locale())
        for label, text in ((_("Note"), note), (_("Difficulties"), hard), (_("Proposals"), asks)):
            if text and text.strip():
                out.append(f"{label} ({unit}, {when}): {shorten(text.strip(), 200)}")
    return out


def _sections(data: ExportData, u: Understood) -> tuple[list[TaskRow], list[IndicatorRow]]:
    names = set(u.entities.sections)
    tasks = [t for t in data.tasks if t.section in names and _mine(u, t)]
    inds = [i for i in data.indicators if i.section in names and (u.own is None or u.own in i.owner_units)]
    return tasks, inds


def count_line(tasks: list[TaskRow]) -> str:
    """"4 nhiệm vụ: 1 hoàn thành, 3 đang thực hiện, …; 0 quá hạn" (``task_counts``, as the docx counts them)."""
    c = task_counts(tasks)
    alone = _(", {n} with no unit to report it", n=c["no_unit"]) if c["no_unit"] else ""
    return _("{n} task(s): {done} done, {progress} in progress, {blocked} delayed / blocked, {idle} not started, "
             "{none} not reported{alone}; {late} overdue.", n=len(tasks), done=c["done"], progress=c["in_progress"],
             blocked=c["blocked"], idle=c["not_started"], none=c["unreported"], alone=alone, late=c["overdue"])


async def plan_section(turn: Turn, u: Understood) -> Answer:
    """A section or group of the plan: its tasks with their standing and the counts, its indicators with theirs."""
    data = await export_data(turn, u)
    tasks, inds = _sections(data, u)
    names = ", ".join(u.entities.sections)
    if not tasks and not inds:
        whose = _(" of {unit}", unit=u.own) if u.own else ""
        return Answer(_("{section}: no task or indicator{whose} in it.", section=names, whose=whose),
                      facts={"tasks": [], "indicators": []})
    lines = [_("{section} — {period}:", section=names, period=data.period_label)]
    if u.own:
        lines.append(_("Only the items of {unit} are shown.", unit=u.own))
    if tasks:
        lines.append(count_line(tasks))
        lines += [_task_line(t) for t in tasks[:SCREEN]] + _more(len(tasks) - SCREEN)
    if inds:
        counts = {k: sum(1 for r in inds if r.status == k) for k in _ORDER}
        lines.append(_("{n} indicator(s): {ok} on track, {risk} at risk, {off} off track, {none} without data.",
                       n=len(inds), ok=counts["on_track"], risk=counts["at_risk"], off=counts["off_track"],
                       none=counts["no_data"]))
        worst = sorted(inds, key=lambda r: (_ORDER.get(r.status, 9), r.code))
        lines += [indicator_line(r) for r in worst[:SCREEN // 2]] + _more(len(inds) - SCREEN // 2)
    facts = {"tasks": [t.code for t in tasks], "task_counts": task_counts(tasks),
             "indicators": [r.code for r in inds], "indicator_counts": {k: sum(1 for r in inds if r.status == k)
                                                                       for k in _ORDER}}
    return Answer("\n".join(lines), facts=facts)


async def task_list(turn: Turn, u: Understood) -> Answer:
    """The tasks done, not done yet, or not reported by anyone owing them, by their standing."""
    data = await export_data(turn, u)
    kind = u.entities.task_filter or "open"
    mine = [t for t in data.tasks if _mine(u, t)]
    pick = {"done": lambda t: t.status == "done", "open": lambda t: t.status != "done",
            "unreported": lambda t: t.status is None}[kind]
    rows = [t for t in mine if pick(t)]
    said = {"period": data.period_label, "n": len(rows), "total": len(mine)}
    if kind == "done":
        lines = [_("Tasks done, {period} ({n}/{total}):", **said)]
    elif kind == "open":
        lines = [_("Tasks not done yet, {period} ({n}/{total}):", **said)]
    else:
        lines = [_("Tasks nobody has reported on yet, {period} ({n}/{total}):", **said)]
    if u.own:
        lines.append(_("Only the items of {unit} are shown.", unit=u.own))
    if not rows:
        lines.append(_("None."))
    lines += [_task_line(t) for t in rows[:SCREEN]] + _more(len(rows) - SCREEN)
    follow = [(_("Which tasks are behind?"), "nhiem vu nao cham")] if kind != "done" else []
    return Answer("\n".join(lines), follow, facts={"codes": [t.code for t in rows], "total": len(mine)})

