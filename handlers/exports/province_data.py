"""Everything a province export (XLSX workbook, DOCX draft report of the province office) needs for a period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.exports.data import INDICATOR_STATUS_VI, LIGHT_VI, task_status_vi
from handlers.shared_indicators import CommuneValue, SharedRow, shared_indicator_table
from storage.calendar.calendar import Period, previous_period
from storage.deadlines import is_overdue
from storage.models import Plan, Province, Task, TaskUnit, Unit
from storage.province_figures import latest_items_by_commune
from storage.traffic import province_traffic

__all__ = ["COLOUR_VI", "COMPILED_VI", "RULE_VI", "OverdueTask", "ProvinceExport", "SharedIndicatorRow", "compiled_vi",
           "gather_province_export", "overdue_tasks", "overdue_tasks_of", "shared_rows"]

COLOUR_VI = LIGHT_VI
RULE_VI = ("Đỏ: có nhiệm vụ quá hạn chưa hoàn thành, hoặc đơn vị, thôn chưa báo cáo khi đã quá hạn, hoặc xã "
           "chưa gửi báo cáo tổng hợp về tỉnh khi đã quá hạn. Vàng: có nhiệm vụ đến hạn trong 7 ngày tới chưa "
           "hoàn thành, hoặc còn đơn vị, thôn chưa báo cáo, hoặc báo cáo tổng hợp của xã chưa gửi về tỉnh khi "
           "chưa đến hạn. Xanh: các trường hợp còn lại.")
# the commune's compiled report to the province (storage.province_stream states)
COMPILED_VI = {"on_time": "Đã nhận", "late": "Đã nhận (muộn)", "pending": "Chưa nhận (chưa đến hạn)",
               "missing": "Chưa nhận (quá hạn)", "no_lead": "Chưa theo dõi được", "not_owed": "Không phải gửi"}


def compiled_vi(row: dict[str, Any]) -> str:
    """The commune's compiled report to the province in words, "" when none is tracked for the period."""
    report = row.get("compiled_report")
    return COMPILED_VI.get(report["state"], "") if report else ""


@dataclass
class OverdueTask:
    commune: str
    plan: str
    code: str
    title: str
    lead_units: list[str]
    due_text: str
    due_date: date | None
    status_vi: str  # the latest reported state ("Chưa có báo cáo" when none)


@dataclass
class SharedIndicatorRow:
    """One commune's figure for one shared (province) indicator: what the shared-indicator table feeds
    to the "Chỉ tiêu dùng chung" sheet (``ProvinceExport.shared``)."""

    indicator: str  # the province's wording of the shared target
    commune: str
    commune_wording: str  # the commune plan's own wording, matched to it
    unit: str | None
    target: str
    latest: float | str | None
    status_vi: str
    reported_in: str | None = None


@dataclass
class ProvinceExport:
    province: str
    period_key: str
    period_label: str  # "tháng 12/2026"
    previous_label: str
    window_start: date
    window_end: date
    due: datetime  # local time
    due_text: str
    generated_at: datetime  # local time
    communes: list[dict[str, Any]]  # storage.traffic rows, laggards first (the order of /tinhtrang)
    activities: dict[str, int]  # the province's village activities by kind, this period
    activities_previous: dict[str, int]
    labels: dict[str, str]  # activity code → Vietnamese label, in the catalogue's order
    overdue: list[OverdueTask]
    shared: list[SharedIndicatorRow] = field(default_factory=list)  # filled by the shared-indicator table

    def colour_counts(self) -> dict[str, int]:
        return {c: sum(r["colour"] == c for r in self.communes) for c in ("green", "yellow", "red")}

    def activity_codes(self) -> list[str]:
        """Every activity kind seen this period or the one before, in the catalogue's order."""
        order = {code: n for n, code in enumerate(self.labels)}
        seen = set(self.activities) | set(self.activities_previous)
        return sorted(seen, key=lambda c: (order.get(c, len(order)), c))

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


async def overdue_tasks(session: AsyncSession, commune_id: int, commune: str, period: Period, as_of: date
                        ) -> list[OverdueTask]:
    """The commune's plan tasks past their last allowed day and not reported done (the rule of
    storage.traffic and /quahan), with their lead units."""
    return await overdue_tasks_of(session, [(commune_id, commune)], period, as_of)


async def overdue_tasks_of(session: AsyncSession, communes: Sequence[tuple[int, str]], period: Period, as_of: date
                           ) -> list[OverdueTask]:
    """``overdue_tasks`` of each (commune id, name) in turn, in three statements whatever their number."""
    if not communes:
        return []
    ids = [cid for cid, _name in communes]
    latest = await latest_items_by_commune(session, ids, period)
    rows = (await (await session.connection()).execute(
        select(Task.id, Task.code, col(Task.title).label("task"), Task.due_text, Task.due_date,
               col(Plan.title).label("plan"), Plan.commune_id)
        .join(Plan, Plan.id == Task.plan_id).where(col(Plan.commune_id).in_(ids))
        .order_by(Plan.year, Plan.title, Task.position, Task.id))).all()
    late: dict[int, list[tuple[Any, str | None]]] = {}
    for row in rows:
        hit = latest.get(("task", row.id))
        status = hit.status if hit is not None else None
        if status != "done" and is_overdue(row.due_date, as_of):
            late.setdefault(row.commune_id, []).append((row, status))
    leads: dict[int, list[str]] = {}
    if late:
        for tid, name in (await session.exec(
                select(TaskUnit.task_id, Unit.name).join(Unit, Unit.id == TaskUnit.unit_id)
                .where(col(TaskUnit.task_id).in_([t.id for mine in late.values() for t, _s in mine]),
                       TaskUnit.role == "lead").order_by(TaskUnit.task_id, TaskUnit.position))).all():
            leads.setdefault(tid, []).append(name)
    return [OverdueTask(name, t.plan, t.code, t.task, leads.get(t.id, []), t.due_text, t.due_date, task_status_vi(status))
            for cid, name in communes for t, status in late.get(cid, [])]


async def gather_province_export(session: AsyncSession, province: Province, unit_period: Period,
                                 village_period: Period, now: datetime, tz: tzinfo,
                                 catalog: Iterable[Any] = ()) -> ProvinceExport:
    """The province's communes in the national colours (storage.traffic.province_traffic, as the
    province office's /tinhtrang), their activities and overdue tasks for one period. ``catalog``:
    the activity types (``code``, ``label_vi``) naming the activity kinds."""
    local_now = now.astimezone(tz)
    today = local_now.date()
    data = await province_traffic(session, province, unit_period, village_period, now, today)
    as_of = min(today, unit_period.end)
    overdue = await overdue_tasks_of(session, [(r["commune_id"], r["commune"]) for r in data["communes"]
                                               if r["overdue_tasks"]], unit_period, as_of)
    shared = shared_rows(await shared_indicator_table(session, province.id, unit_period, as_of))  # type: ignore[arg-type]
    return ProvinceExport(
        province=province.name, period_key=unit_period.key, period_label=unit_period.label_vi,
        previous_label=previous_period(village_period).label_vi, window_start=unit_period.start,
        window_end=unit_period.end, due=unit_period.due.astimezone(tz), due_text=unit_period.due_text_vi,
        generated_at=local_now, communes=data["communes"], activities=data["activities"],
        activities_previous=data["activities_previous"], labels={a.code: a.label_vi for a in catalog},
        overdue=overdue, shared=shared)


def _latest(cv: CommuneValue) -> float | str | None:
    if cv.value is not None:
        return cv.value
    if cv.achieved is not None:
        return "Đạt" if cv.achieved else "Chưa đạt"
    return task_status_vi(cv.status) if cv.status else cv.text


def shared_rows(table: list[SharedRow]) -> list[SharedIndicatorRow]:
    """The shared-indicator table (``handlers.shared_indicators``) as sheet rows: each matched commune's
    latest figure, assessed against the province's target (as the on-track counts), then the communes not
    matched to the target."""
    out: list[SharedIndicatorRow] = []
    for row in table:
        head = f"{row.code}. {row.name} ({row.target_short or row.target_text})"
        out += [SharedIndicatorRow(head, cv.commune, f"{cv.code}. {cv.name}", cv.unit or row.unit,
                                   cv.target_short or cv.target_text, _latest(cv),
                                   INDICATOR_STATUS_VI[cv.province_assessment], cv.reported_in)
                for cv in row.communes]
        out += [SharedIndicatorRow(head, name, "—", row.unit, "", None, "Chưa ghép chỉ tiêu của xã")
                for name in row.unmatched]
    return out
