"""Per-commune figures of a province in a fixed number of queries: village activities by commune and
kind, overdue tasks and indicators by standing (the rules of /quahan and /chitieu, never re-stated)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import Period
from storage.deadlines import is_overdue
from storage.indicator_status import ASSESSMENTS, answer_of, assess, year_share
from storage.item_standing import standings
from storage.models import ActivityLog, Indicator, Plan, Task

__all__ = ["activities_by_commune", "latest_items_by_commune", "plan_figures", "province_figures"]


async def activities_by_commune(session: AsyncSession, commune_ids: Sequence[int], period: Period
                                ) -> dict[int, dict[str, int]]:
    """commune id → activity code → the count logged in ``period`` (one query for every commune)."""
    if not commune_ids:
        return {}
    rows = (await session.exec(
        select(ActivityLog.commune_id, ActivityLog.activity, func.sum(ActivityLog.count))
        .where(ActivityLog.commune_id.in_(list(commune_ids)),  # type: ignore[attr-defined]
               ActivityLog.on_date >= period.start, ActivityLog.on_date <= period.end)
        .group_by(ActivityLog.commune_id, ActivityLog.activity))).all()
    out: dict[int, dict[str, int]] = {}
    for cid, activity, n in rows:
        out.setdefault(cid, {})[activity] = int(n)
    return out


async def latest_items_by_commune(session: AsyncSession, commune_ids: Sequence[int], period: Period
                                  ) -> dict[tuple[str, int], Any]:
    """The answer each task and indicator stands at in the unit stream up to ``period``, for every commune
    at once: ``storage.item_standing.standings`` (each unit's latest answer, chosen in SQL, combined by
    the one rule), as ``storage.traffic.latest_items``. Rows with ``status``, ``note``, ``value_num`` and
    ``value_bool``: tens of thousands of items at province scale, not ORM objects."""
    return {key: hit.item for key, hit in (await standings(session, commune_ids, period)).items()}


def _empty() -> dict[str, Any]:
    return {"overdue_tasks": 0, "overdue": [], "tasks": 0, "indicators": dict.fromkeys(ASSESSMENTS, 0),
            "off_track": [], "at_risk": []}


async def plan_figures(session: AsyncSession, commune_ids: Sequence[int], unit_period: Period, as_of: date
                       ) -> dict[int, dict[str, Any]]:
    """commune id → overdue tasks (count and (code, title, due) list, as /quahan: past the last allowed
    day and not reported done) and indicators counted by standing (as /chitieu and the exports, with
    ``storage.indicator_status``), off-track and at-risk ones listed as (code, name). Three queries."""
    out = {cid: _empty() for cid in commune_ids}
    if not commune_ids:
        return out
    ids = list(commune_ids)
    latest = await latest_items_by_commune(session, ids, unit_period)
    tasks = (await session.exec(
        select(Task.id, Task.code, Task.title, Task.due_date, Plan.commune_id).join(Plan, Plan.id == Task.plan_id)
        .where(Plan.commune_id.in_(ids)).order_by(Plan.year, Plan.title, Task.position, Task.id))).all()  # type: ignore[attr-defined]
    for tid, code, title, due, cid in tasks:
        row = out[cid]
        row["tasks"] += 1
        hit = latest.get(("task", tid))
        if (hit is None or hit.status != "done") and is_overdue(due, as_of):
            row["overdue_tasks"] += 1
            row["overdue"].append((code, title, due))
    indicators = (await session.exec(
        select(Indicator, Plan.year, Plan.commune_id).join(Plan, Plan.id == Indicator.plan_id)
        .where(Plan.commune_id.in_(ids)).order_by(Plan.year, Plan.title, Indicator.position, Indicator.id))).all()  # type: ignore[attr-defined]
    for ind, year, cid in indicators:
        value, achieved, status, _text = answer_of(ind.answer_kind, latest.get(("indicator", ind.id)))  # type: ignore[arg-type]
        verdict = assess(ind.target_op, ind.target_value, ind.target_bool, value, achieved,
                         year_share(year, as_of, ind.due_date), status)
        row = out[cid]
        row["indicators"][verdict] += 1
        if verdict in ("off_track", "at_risk"):
            row[verdict].append((ind.code, ind.name))
    return out


async def province_figures(session: AsyncSession, commune_ids: Sequence[int], unit_period: Period,
                           village_period: Period, previous: Period, as_of: date) -> dict[int, dict[str, Any]]:
    """commune id → activities this period and ``previous`` by kind, overdue tasks and indicator standing:
    five queries for the whole province, however many communes it has."""
    now = await activities_by_commune(session, commune_ids, village_period)
    before = await activities_by_commune(session, commune_ids, previous)
    plans = await plan_figures(session, commune_ids, unit_period, as_of)
    return {cid: {"activities": now.get(cid, {}), "activities_previous": before.get(cid, {})} | plans[cid]
            for cid in commune_ids}
