"""What a unit reports on: the tasks and indicators it chairs, and its previous answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InputError
from locales.i18n import N_, _, fmt_number, parse_number
from locales.textcut import shorten
from storage.models import Indicator, IndicatorUnit, Report, ReportingPeriod, ReportItem, Task, TaskUnit

__all__ = ["TASK_STATUSES", "load_items", "parse_indicator_value", "previous_answers", "show_value"]

TASK_STATUSES = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "done": N_("Completed"),
    "blocked": N_("Delayed / blocked"),
}
MAX_VALUE = Decimal("1000000000")


async def load_items(session: AsyncSession, unit_id: int) -> list[dict[str, Any]]:
    """Tasks the unit leads and indicators it owns, in plan order."""
    tasks = (await session.exec(select(Task).join(TaskUnit, TaskUnit.task_id == Task.id).where(
        TaskUnit.unit_id == unit_id, TaskUnit.role == "lead").order_by(Task.plan_id, Task.position))).all()
    inds = (await session.exec(select(Indicator).join(IndicatorUnit, IndicatorUnit.indicator_id == Indicator.id)
                               .where(IndicatorUnit.unit_id == unit_id)
                               .order_by(Indicator.plan_id, Indicator.position))).all()
    items: list[dict[str, Any]] = []
    for t in tasks:
        items.append({"kind": "task", "id": t.id, "code": t.code, "title": shorten(t.title, 300),
                      "due": t.due_text})
    for i in inds:
        items.append({"kind": "indicator", "id": i.id, "code": i.code, "title": shorten(i.name, 300),
                      "unit": i.unit, "op": i.target_op, "target": i.target_text,
                      "percent": (i.unit or "").strip() == "%"})
    return items


async def previous_answers(session: AsyncSession, unit_id: int, stream: str) -> dict[str, Any]:
    """The unit's latest submitted answers for this stream, keyed "task:12" / "indicator:7"."""
    report = (await session.exec(select(Report).join(ReportingPeriod).where(
        Report.unit_id == unit_id, ReportingPeriod.stream == stream)
        .order_by(ReportingPeriod.start.desc(), Report.revision.desc()))).first()  # type: ignore[attr-defined]
    if report is None:
        return {}
    out: dict[str, Any] = {}
    for it in (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id))).all():
        out[f"{it.kind}:{it.ref_id}"] = {"status": it.status,
                                          "value": str(it.value_num) if it.value_num is not None else None,
                                          "bool": it.value_bool}
    out["_difficulties"] = report.difficulties
    out["_proposals"] = report.proposals
    return out


def parse_indicator_value(item: dict[str, Any], text: str, choice: str | None) -> dict[str, Any]:
    """Read an indicator answer, checked against its unit; raises InputError with a clear message."""
    if item["op"] == "bool":
        if choice in ("yes", "no"):
            return {"bool": choice == "yes", "value": None}
        raise InputError(_("Please answer Achieved or Not achieved."))
    if not text:
        raise InputError(_("Please write a number."))
    try:
        value = parse_number(text)
    except ValueError:
        raise InputError(_("\"{text}\" is not a number. Please write a number such as 12 or 8,5.",
                           text=text[:40])) from None
    if value < 0:
        raise InputError(_("The value cannot be negative."))
    if item.get("percent") and value > 100:
        raise InputError(_("A percentage must be between 0 and 100; you wrote {v}.", v=fmt_number(value)))
    if value > MAX_VALUE:
        raise InputError(_("{v} is too large; please check the number.", v=fmt_number(value)))
    return {"value": str(value), "bool": None}


def show_value(item: dict[str, Any], ans: dict[str, Any] | None) -> str:
    if not ans:
        return "—"
    if item["kind"] == "task":
        return _(TASK_STATUSES.get(ans.get("status") or "", "—"))
    if ans.get("bool") is not None:
        return _("Achieved") if ans["bool"] else _("Not achieved")
    if ans.get("value") is None:
        return "—"
    return fmt_number(Decimal(ans["value"])) + ("%" if item.get("percent") else
                                                 f" {item['unit']}" if item.get("unit") else "")
