"""The national traffic lights (Xanh / Vàng / Đỏ) of a commune for a period, with the one stated rule.

Đỏ (red): a plan task past its last allowed day and not done, or a unit (office or village team)
that has not reported after the deadline (not sent, or returned and not back). Vàng (yellow): a task
due within 7 days and not done, or reports still missing (not sent, or returned and not back) before
the deadline. Xanh (green) otherwise. In a province, the commune's compiled report to the province
counts too (``storage.province_stream``): Đỏ when missing after its deadline, Vàng while still owed.
Report states come from ``storage.status`` (as /tinhtrang), task deadlines from ``storage.deadlines``
and task progress from the latest unit report answer (as /quahan)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from storage.calendar.calendar import Period, previous_period
from storage.deadlines import is_overdue
from storage.models import Commune, Plan, Province, Report, ReportingPeriod, ReportItem, Task
from storage.province import province_communes
from storage.province_stream import compiled_report_states, with_compiled_report
from storage.status import activity_totals, status_data

__all__ = ["COLOURS", "SOON_DAYS", "commune_traffic", "latest_items", "province_traffic", "rank_key"]

COLOURS = ("red", "yellow", "green")  # Đỏ, Vàng, Xanh: worst first
SOON_DAYS = 7


async def latest_items(session: AsyncSession, commune_id: int, period: Period
                       ) -> dict[tuple[str, int], tuple[ReportItem, str]]:
    """Latest reported item per (kind, ref_id) in the unit stream up to ``period``, with its period key."""
    rows = (await session.exec(
        select(ReportItem, ReportingPeriod.key).join(Report, Report.id == ReportItem.report_id)
        .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .where(ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
               ReportingPeriod.end <= period.end)
        .order_by(ReportingPeriod.start.desc(), Report.submitted_at.desc(),  # type: ignore[attr-defined]
                  ReportItem.id))).all()
    out: dict[tuple[str, int], tuple[ReportItem, str]] = {}
    for item, key in rows:
        out.setdefault((item.kind, item.ref_id), (item, key))
    return out


async def _task_counts(session: AsyncSession, commune_id: int, period: Period, as_of: date) -> tuple[int, int]:
    """(overdue, due within SOON_DAYS) among the commune's plan tasks not done."""
    latest = await latest_items(session, commune_id, period)
    tasks = (await session.exec(select(Task.id, Task.due_date).join(Plan, Plan.id == Task.plan_id)
                                .where(Plan.commune_id == commune_id))).all()
    overdue = soon = 0
    for tid, due in tasks:
        hit = latest.get(("task", tid))  # type: ignore[arg-type]
        if hit is not None and hit[0].status == "done":
            continue
        if is_overdue(due, as_of):
            overdue += 1
        elif due is not None and as_of <= due <= as_of + timedelta(days=SOON_DAYS):
            soon += 1
    return overdue, soon


async def commune_traffic(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                          now: datetime, today: date) -> dict[str, Any]:
    """One commune's colour and the figures behind it (``today``: the local day), with its village
    activity totals for the period and the one before."""
    data = await status_data(session, commune, unit_period, village_period, now)
    as_of = min(today, unit_period.end)
    overdue, soon = await _task_counts(session, commune.id, unit_period, as_of)  # type: ignore[arg-type]
    streams = {st["name"]: st for st in data["streams"]}
    late_missing = waiting = 0
    for period in (unit_period, village_period):
        for u in (streams.get(period.stream.name) or {"units": []})["units"]:
            # returned and not back counts as missing once the deadline has passed
            if u["state"] == "missing" or (u["state"] == "returned" and now > period.due):
                late_missing += 1
            elif u["state"] in ("pending", "returned"):
                waiting += 1
    colour = "red" if overdue or late_missing else "yellow" if soon or waiting else "green"

    def counts(name: str) -> dict[str, int]:
        st = streams.get(name) or {"submitted": 0, "expected": 0}
        return {"submitted": st["submitted"], "expected": st["expected"]}

    previous, _by_unit = await activity_totals(session, commune.id,  # type: ignore[arg-type]
                                               previous_period(village_period))
    return {"commune": commune.name, "commune_id": commune.id, "colour": colour,
            "units": counts(unit_period.stream.name), "villages": counts(village_period.stream.name),
            "overdue_tasks": overdue, "due_soon_tasks": soon,
            "missing_after_deadline": late_missing, "missing_before_deadline": waiting,
            "activities": data["activities"]["total"], "activities_previous": previous}


def rank_key(row: dict[str, Any]) -> tuple:
    """Laggards first: colour, then overdue tasks, reports missing, share reported, name."""
    done = row["units"]["submitted"] + row["villages"]["submitted"]
    owed = row["units"]["expected"] + row["villages"]["expected"]
    return (COLOURS.index(row["colour"]), -row["overdue_tasks"], -row["missing_after_deadline"],
            done / owed if owed else 1.0, fold(row["commune"]), row["commune"])


async def province_traffic(session: AsyncSession, province: Province, unit_period: Period, village_period: Period,
                           now: datetime, today: date) -> dict[str, Any]:
    """Every commune of ``province`` with its colour and figures, laggards first: the one computation
    behind the province office's /tinhtrang and `cdsbot status --province`."""
    communes = await province_communes(session, province.id)  # type: ignore[arg-type]
    rows = [await commune_traffic(session, c, unit_period, village_period, now, today) for c in communes]
    compiled = await compiled_report_states(session, province, unit_period.key, now, unit_period.due.tzinfo)  # type: ignore[arg-type]
    for r in rows:  # row["compiled_report"]: whether its compiled report reached the province (and the colour)
        with_compiled_report(r, compiled.get(r["commune_id"]))
    totals: dict[str, dict[str, int]] = {"activities": {}, "activities_previous": {}}
    for r in rows:  # the province's village activities, this period and the one before
        for key, sums in totals.items():
            for code, n in r[key].items():
                sums[code] = sums.get(code, 0) + n
    return {"province": province.name, "period": {"key": unit_period.key, "start": unit_period.start.isoformat(),
                                                  "end": unit_period.end.isoformat(),
                                                  "due": unit_period.due.isoformat()},
            "communes": sorted(rows, key=rank_key)} | totals
