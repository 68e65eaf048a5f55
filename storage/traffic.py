"""The national traffic lights (Xanh / Vàng / Đỏ) of a commune for a period, with the one stated rule.

Đỏ (red): a plan task past its last allowed day and not done, or a unit (office or village team)
that has not reported after the deadline (not sent, or returned and not back). Vàng (yellow): a task
due within 7 days and not done, or reports still missing (not sent, or returned and not back) before
the deadline. Xanh (green) otherwise. In a province, the commune's compiled report to the province
counts too (``storage.province_stream``): Đỏ when missing after its deadline, Vàng while still owed.
Report states come from ``storage.status`` (as /tinhtrang), task deadlines from ``storage.deadlines``
and task progress from the unit report answers (``storage.item_standing``, as /quahan).

One commune's row is computed by ``traffic_row`` from its ``Facts``; ``commune_traffic`` gathers them
for one commune with the /tinhtrang queries, ``communes_facts`` for many communes at once in a fixed
number of queries (``storage.traffic_facts``), which is what the province view uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from storage.calendar.calendar import SUBMITTED, Period, previous_period
from storage.deadlines import is_overdue
from storage.item_standing import Standing, standings
from storage.models import Commune, Plan, Province, Task
from storage.province import province_communes
from storage.province_stream import compiled_reports_of, with_compiled_report
from storage.status import activity_totals, status_data
from storage.traffic_facts import SOON_DAYS, Facts, communes_facts

__all__ = ["COLOURS", "SOON_DAYS", "Facts", "commune_traffic", "latest_items", "province_traffic",
           "province_traffic_periods", "rank_key",
           "traffic_row"]

COLOURS = ("red", "yellow", "green")  # Đỏ, Vàng, Xanh: worst first


async def latest_items(session: AsyncSession, commune_id: int, period: Period) -> dict[tuple[str, int], Standing]:
    """Where each answered task and indicator of the commune stands in the unit stream up to ``period``:
    each unit's latest answer combined by the one rule (``storage.item_standing``)."""
    return await standings(session, [commune_id], period)


def _task_counts(facts: Facts, as_of: date) -> tuple[int, int]:
    """(overdue, due within SOON_DAYS) among the commune's plan tasks not done."""
    overdue = soon = 0
    for tid, due in facts.tasks:
        if tid in facts.done_tasks:
            continue
        if is_overdue(due, as_of):
            overdue += 1
        elif due is not None and as_of <= due <= as_of + timedelta(days=SOON_DAYS):
            soon += 1
    return overdue, soon


def _report_counts(facts: Facts, unit_period: Period, village_period: Period, now: datetime) -> tuple[int, int]:
    """(units not reported after the deadline, units still to report before it), both streams."""
    late_missing = waiting = 0
    for period, states in ((unit_period, facts.unit_states), (village_period, facts.village_states)):
        for state in states:
            # returned and not back counts as missing once the deadline has passed
            if state == "missing" or (state == "returned" and now > period.due):
                late_missing += 1
            elif state in ("pending", "returned"):
                waiting += 1
    return late_missing, waiting


def _sent(states: list[str]) -> dict[str, int]:
    return {"submitted": sum(map(states.count, SUBMITTED)), "expected": len(states)}


def traffic_row(commune: Commune, facts: Facts, unit_period: Period, village_period: Period, now: datetime,
                today: date) -> dict[str, Any]:
    """One commune's colour and the figures behind it (``today``: the local day): the one place the
    rule is applied."""
    overdue, soon = _task_counts(facts, min(today, unit_period.end))
    late_missing, waiting = _report_counts(facts, unit_period, village_period, now)
    colour = "red" if overdue or late_missing else "yellow" if soon or waiting else "green"
    return {"commune": commune.name, "commune_id": commune.id, "colour": colour,
            "units": _sent(facts.unit_states), "villages": _sent(facts.village_states),
            "overdue_tasks": overdue, "due_soon_tasks": soon,
            "missing_after_deadline": late_missing, "missing_before_deadline": waiting,
            "activities": facts.activities, "activities_previous": facts.activities_previous}


async def _facts_of_commune(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                            now: datetime) -> Facts:
    """One commune's facts through the queries of its own /tinhtrang (``status_data``) and /quahan."""
    data = await status_data(session, commune, unit_period, village_period, now)
    streams = {st["name"]: st for st in data["streams"]}

    def states(period: Period) -> list[str]:
        return [u["state"] for u in (streams.get(period.stream.name) or {"units": []})["units"]]

    latest = await latest_items(session, commune.id, unit_period)  # type: ignore[arg-type]
    tasks = (await session.exec(select(Task.id, Task.due_date).join(Plan, Plan.id == Task.plan_id)
                                .where(Plan.commune_id == commune.id))).all()
    previous, _by_unit = await activity_totals(session, commune.id,  # type: ignore[arg-type]
                                               previous_period(village_period))
    return Facts(unit_states=states(unit_period), village_states=states(village_period),
                 tasks=[(tid, due) for tid, due in tasks],  # type: ignore[misc]
                 done_tasks={ref for (kind, ref), hit in latest.items()
                             if kind == "task" and hit.item.status == "done"},
                 activities=data["activities"]["total"], activities_previous=previous)


async def commune_traffic(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                          now: datetime, today: date) -> dict[str, Any]:
    """One commune's colour and the figures behind it (``today``: the local day), with its village
    activity totals for the period and the one before."""
    facts = await _facts_of_commune(session, commune, unit_period, village_period, now)
    return traffic_row(commune, facts, unit_period, village_period, now, today)


def rank_key(row: dict[str, Any]) -> tuple:
    """Laggards first: colour, then overdue tasks, reports missing, share reported, name."""
    done = row["units"]["submitted"] + row["villages"]["submitted"]
    owed = row["units"]["expected"] + row["villages"]["expected"]
    return (COLOURS.index(row["colour"]), -row["overdue_tasks"], -row["missing_after_deadline"],
            done / owed if owed else 1.0, fold(row["commune"]), row["commune"])


async def province_traffic(session: AsyncSession, province: Province, unit_period: Period, village_period: Period,
                           now: datetime, today: date, closed_before: date | None = None,
                           communes: Sequence[Commune] | None = None) -> dict[str, Any]:
    """Every commune of ``province`` with its colour and figures, laggards first: the one computation
    behind the province office's /tinhtrang and `cdsbot status --province`, in a fixed number of
    queries whatever the number of communes (``closed_before``: as ``province_traffic_periods``;
    ``communes``: the province's, when the caller has read them)."""
    return (await province_traffic_periods(session, province, [(unit_period, village_period)], now, today,
                                           closed_before, communes))[0]


async def province_traffic_periods(session: AsyncSession, province: Province, periods: Sequence[tuple[Period, Period]],
                                   now: datetime, today: date, closed_before: date | None = None,
                                   communes: Sequence[Commune] | None = None, commune_activities: bool = True
                                   ) -> list[dict[str, Any]]:
    """``province_traffic`` for each (unit period, village period) of ``periods`` (the dashboard's months),
    every period gathered in the same statements: as many as for one. ``closed_before``: village periods
    ending before it read their activity-log figures from the roll-up (``storage.log_rollup``, the same
    figures; None: every period from the logs). ``communes``: the province's, when the caller has read them.
    ``commune_activities`` False: only the province's activity totals (summed in SQL), the communes' rows
    have none (``activities``, ``activities_previous``: empty)."""
    if communes is None:
        communes = await province_communes(session, province.id)  # type: ignore[arg-type]
    sums: list[tuple[dict[str, int], dict[str, int]]] | None = None if commune_activities else []
    facts = await communes_facts(session, communes, periods, now, closed_before, sums)
    compiled = await compiled_reports_of(session, province, [up.key for up, _vp in periods], now,
                                         periods[0][0].due.tzinfo, communes) if periods else {}  # type: ignore[arg-type]
    out = []
    for i, ((unit_period, village_period), of_period) in enumerate(zip(periods, facts, strict=True)):
        rows = [traffic_row(c, of_period[c.id], unit_period, village_period, now, today)  # type: ignore[index]
                for c in communes]
        for r in rows:  # row["compiled_report"]: whether its compiled report reached the province (and the colour)
            with_compiled_report(r, compiled[unit_period.key].get(r["commune_id"]))
        totals: dict[str, dict[str, int]] = {"activities": {}, "activities_previous": {}}
        if sums is not None:
            totals = {"activities": sums[i][0], "activities_previous": sums[i][1]}
        for r in rows if sums is None else ():  # the province's village activities, this period and the one before
            for key, summed in totals.items():
                for code, n in r[key].items():
                    summed[code] = summed.get(code, 0) + n
        out.append({"province": province.name,
                    "period": {"key": unit_period.key, "start": unit_period.start.isoformat(),
                               "end": unit_period.end.isoformat(), "due": unit_period.due.isoformat()},
                    "communes": sorted(rows, key=rank_key)} | totals)
    return out
