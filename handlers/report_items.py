"""What a unit reports on: the tasks and indicators it chairs, and its previous answers."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.activity.counts import read_amount
from handlers.textcheck import clean_text, has_words
from locales.i18n import N_, _, fmt_number
from locales.targets import short_target
from locales.textcut import shorten
from storage.errors import InputError
from storage.item_standing import owed_keys
from storage.models import Indicator, Report, ReportingPeriod, ReportItem, Task, Unit
from storage.models_plan import answer_kind_for

__all__ = ["RESULT_TEXT_MAX", "TASK_STATUSES", "answer_kind", "fits", "load_items", "parse_indicator_value",
           "parse_result_text", "previous_answers", "show_value"]

TASK_STATUSES = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "done": N_("Completed"),
    "blocked": N_("Delayed / blocked"),
}
MAX_VALUE = Decimal("1000000000000")  # a thousand billion: above any commune figure, within Numeric(18, 4)
RESULT_TEXT_MAX = 300
_PLACES = Decimal("0.0001")  # Numeric(18, 4)


async def load_items(session: AsyncSession, unit_id: int, only: set[tuple[str, int]] | None = None
                     ) -> list[dict[str, Any]]:
    """Tasks and indicators the unit owes, in plan order — its own and those of the groups it belongs to
    ("Các phòng, ban chuyên môn…": every office), by the one rule every count uses
    (``storage.item_standing.owed_of``), and any the unit chairs by name (a village's, which no group
    count asks of it). ``only``: just these (the items a re-import added after the unit reported:
    ``storage.item_standing.new_items``)."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    owed = await owed_keys(session, unit)
    if only is not None:
        owed &= only
    task_ids = [ref for kind, ref in owed if kind == "task"]
    ind_ids = [ref for kind, ref in owed if kind == "indicator"]
    tasks = (await session.exec(select(Task).where(col(Task.id).in_(task_ids))
                                .order_by(Task.plan_id, Task.position))).all() if task_ids else []
    inds = (await session.exec(select(Indicator).where(col(Indicator.id).in_(ind_ids))
                               .order_by(Indicator.plan_id, Indicator.position))).all() if ind_ids else []
    items: list[dict[str, Any]] = []
    for t in tasks:
        items.append({"kind": "task", "id": t.id, "code": t.code, "title": shorten(t.title, 300),
                      "due": t.due_text, "output": shorten(t.output, 200) if t.output else None})
    for i in inds:
        items.append({"kind": "indicator", "id": i.id, "code": i.code, "title": shorten(i.name, 300),
                      "unit": i.unit, "op": i.target_op, "target": i.target_text,
                      "target_short": short_target(i.target_text, i.target_op, i.target_value, i.unit,
                                                   i.target_bool),
                      "percent": (i.unit or "").strip() == "%", "answer": i.answer_kind})
    return items


def answer_kind(item: dict[str, Any], ans: dict[str, Any] | None = None) -> str:
    """"task" for a task; "number", "choice" or "status" for an indicator (storage.models_plan). An
    item known only by its kind is read by the answer stored for it."""
    if item["kind"] == "task":
        return "task"
    if item.get("answer"):
        return item["answer"]
    if "op" in item:
        return answer_kind_for(item["op"] or "text", item.get("unit"))
    ans = ans or {}
    return "status" if ans.get("status") else "choice" if ans.get("bool") is not None else "number"


def fits(item: dict[str, Any], ans: dict[str, Any] | None) -> bool:
    """True when a stored answer is of the item's kind (an old "1" for a qualitative result is not)."""
    if not ans:
        return False
    kind = answer_kind(item, ans)
    if kind in ("task", "status"):
        return ans.get("status") is not None
    if kind == "choice":
        return ans.get("bool") is not None
    return ans.get("value") is not None


async def previous_answers(session: AsyncSession, unit_id: int, stream: str, up_to: date) -> dict[str, Any]:
    """The unit's latest submitted answers for this stream for a period starting on or before ``up_to``
    (a late report of an older month is offered that month's or earlier answers, never a later month's),
    keyed "task:12" / "indicator:7"."""
    report = (await session.exec(select(Report).join(ReportingPeriod).where(
        Report.unit_id == unit_id, ReportingPeriod.stream == stream, ReportingPeriod.start <= up_to)
        .order_by(ReportingPeriod.start.desc(), Report.revision.desc()))).first()  # type: ignore[attr-defined]
    if report is None:
        return {}
    out: dict[str, Any] = {}
    for it in (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id))).all():
        out[f"{it.kind}:{it.ref_id}"] = {"status": it.status,
                                          "value": str(it.value_num) if it.value_num is not None else None,
                                          "bool": it.value_bool, "text": it.note}
    out["_difficulties"] = report.difficulties
    out["_proposals"] = report.proposals
    return out


def parse_indicator_value(item: dict[str, Any], text: str, choice: str | None) -> dict[str, Any]:
    """Read an indicator answer of the item's kind; raises InputError with a clear message."""
    kind = answer_kind(item)
    if kind == "choice":
        if choice in ("yes", "no"):
            return {"bool": choice == "yes", "value": None}
        raise InputError(_("Please answer Achieved or Not achieved."))
    if kind == "status":
        if choice in TASK_STATUSES:
            return {"status": choice}  # the short text comes next
        raise InputError(_("Please pick one of the statuses below (type its number)."))
    if not text:
        raise InputError(_("Please write a number."))
    unit = (item.get("unit") or "").strip()
    amount = read_amount(text, nouns=(unit,) if unit and unit != "%" else ())
    value = amount.value.quantize(_PLACES, rounding=ROUND_HALF_EVEN).normalize()
    if amount.percent and not item.get("percent") and unit:
        raise InputError(_("This indicator is counted in {unit}, not in percent; please write the number.",
                           unit=unit))
    if item.get("percent") and value > 100:
        raise InputError(_("A percentage must be between 0 and 100; you wrote {v}.", v=fmt_number(value)))
    if value > MAX_VALUE:
        raise InputError(_("{v} is too large; please check the number.", v=fmt_number(value)))
    return {"value": str(value if value != value.to_integral_value() else value.quantize(Decimal(1))),
            "bool": None}


def parse_result_text(text: str) -> str:
    """The short text of a qualitative result: a few words, at most RESULT_TEXT_MAX characters."""
    if not has_words(text, 3):
        raise InputError(_("Please write a few words about the result, or choose None."))
    if len(text.strip()) > RESULT_TEXT_MAX:
        raise InputError(_("Please keep it short: at most {max} characters (you wrote {n}).",
                           max=RESULT_TEXT_MAX, n=len(text.strip())))
    return clean_text(text)


def show_value(item: dict[str, Any], ans: dict[str, Any] | None, width: int = 60) -> str:
    """An answer as the officer sees it: "Completed", "85,5%", "Achieved", "In progress: <text>"."""
    if not fits(item, ans):
        return "—"
    assert ans is not None
    kind = answer_kind(item, ans)
    if kind in ("task", "status"):
        label = _(TASK_STATUSES.get(ans.get("status") or "", "—"))
        text = (ans.get("text") or "").strip()
        return f"{label}: {shorten(text, width)}" if kind == "status" and text else label
    if kind == "choice":
        return _("Achieved") if ans["bool"] else _("Not achieved")
    return fmt_number(Decimal(ans["value"]), decimals=4) + ("%" if item.get("percent") else
                                                            f" {item['unit']}" if item.get("unit") else "")
