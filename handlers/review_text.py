"""A unit report as the lead office reads it in /duyet: every item named, values against targets, paged."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.report_items import TASK_STATUSES, show_value
from locales.i18n import _, fmt_datetime
from locales.targets import short_target
from locales.textcut import shorten
from storage.calendar.calendar import DEFAULT_TZ
from storage.evidence import evidence_counts
from storage.models import Indicator, Report, ReportItem, Task, Unit

__all__ = ["pages", "review_lines"]

ROOM = 400  # kept free on each page for the question and the numbered choices


def _cut(block: str, limit: int) -> str:
    """A block of several lines kept as it is, or cut with "…" when longer than ``limit``."""
    return block if len(block) <= limit else block[: max(0, limit - 1)].rstrip() + "…"


async def review_lines(session: AsyncSession, report: Report, period_label: str, tz=DEFAULT_TZ) -> list[str]:  # noqa: ANN001
    """The report's header, each task and indicator (code, title, status or value against target and
    unit, note), difficulties, proposals and the number of evidence files, one entry per block."""
    unit = await session.get(Unit, report.unit_id)
    items = (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id)
                                .order_by(ReportItem.kind.desc(), ReportItem.id))).all()  # type: ignore[attr-defined]
    tasks = {t.id: t for t in (await session.exec(select(Task).where(
        Task.id.in_([i.ref_id for i in items if i.kind == "task"])))).all()}  # type: ignore[union-attr]
    inds = {i.id: i for i in (await session.exec(select(Indicator).where(
        Indicator.id.in_([i.ref_id for i in items if i.kind != "task"])))).all()}  # type: ignore[union-attr]
    files = (await evidence_counts(session, [report.id]))[report.id]  # type: ignore[list-item,index]
    when = _("late") if report.late else _("on time")
    out = [_("Report of {unit} for {period}: revision {r}, sent {at} ({when}); {n} item(s).",
             unit=unit.name if unit else "?", period=period_label, r=report.revision,
             at=fmt_datetime(report.submitted_at, tz), when=when, n=len(items))]
    for it in items:
        if it.kind == "task":
            task = tasks.get(it.ref_id)
            head = _("Task {code}", code=task.code if task else "?") + f". {shorten(task.title if task else '', 200)}"
            body = _("Status: {s}", s=_(TASK_STATUSES.get(it.status or "", "—")))
        else:
            ind = inds.get(it.ref_id)
            head = _("Indicator {code}", code=ind.code if ind else "?") + f". {shorten(ind.name if ind else '', 200)}"
            shown = {"kind": "indicator", "unit": (ind.unit or "").strip() or None if ind else None,
                     "percent": bool(ind and (ind.unit or "").strip() == "%"),
                     "answer": ind.answer_kind if ind else None}
            value = show_value(shown, {"status": it.status, "bool": it.value_bool, "text": it.note,
                                       "value": str(it.value_num) if it.value_num is not None else None},
                               width=300)
            target = short_target(ind.target_text, ind.target_op, ind.target_value, ind.unit, ind.target_bool) \
                if ind and ind.target_text else _("none set")
            unit = (ind.unit or "").strip() if ind else ""
            # a short target ("≥ 5 sáng kiến") or one that says its unit ("≥80%") is never followed by it again
            unit_txt = f" ({unit})" if unit and ind and target == ind.target_text \
                and not target.rstrip().lower().endswith(unit.lower()) else ""
            body = _("Result: {value} — target {target}{unit}", value=value, target=target, unit=unit_txt)
        lines = [f"• {head}", f"   {body}"]
        if files.get((it.kind, it.ref_id)):
            lines.append("   " + _("Evidence: {n} file(s)", n=files[(it.kind, it.ref_id)]))
        if it.note and not (it.kind != "task" and it.status):  # a qualitative result shows its text above
            lines.append("   " + _("Note: {t}", t=shorten(it.note, 300)))
        out.append("\n".join(lines))
    out.append(_("Difficulties: {t}", t=report.difficulties or _("none")))
    out.append(_("Proposals: {t}", t=report.proposals or _("none")))
    out.append(_("Evidence: {n} file(s)", n=sum(files.values())))
    return out


def pages(blocks: list[str], max_text: int) -> list[str]:
    """Blocks joined into pages that fit ``max_text`` with ``ROOM`` left for the question; a block too
    long for a page is cut with an ellipsis. Never splits a block between pages."""
    size = max(200, max_text - ROOM)
    out: list[str] = []
    page = ""
    for block in blocks:
        block = _cut(block, size)
        if page and len(page) + 1 + len(block) > size:
            out.append(page)
            page = block
        else:
            page = f"{page}\n{block}" if page else block
    if page:
        out.append(page)
    return out

