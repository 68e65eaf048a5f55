"""Who has reported for a period, village activity totals, and unit reports: one query module for
the CLI (`cdsbot status`) and the lead office's chat commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from reminders.calendar import Period, classify
from storage.models import (
    ActivityLog,
    Commune,
    Indicator,
    IndicatorUnit,
    Person,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
    TaskUnit,
    Unit,
)

__all__ = ["activity_totals", "expected_units", "province_status", "status_data", "unit_reports",
           "village_firsts"]


async def activity_totals(session: AsyncSession, commune_id: int, period: Period
                          ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    rows = (await session.exec(
        select(Unit.name, ActivityLog.activity, func.sum(ActivityLog.count))
        .join(Unit, Unit.id == ActivityLog.unit_id)
        .where(ActivityLog.commune_id == commune_id, ActivityLog.on_date >= period.start,
               ActivityLog.on_date <= period.end)
        .group_by(Unit.name, ActivityLog.activity))).all()
    total: dict[str, int] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for unit, activity, n in rows:
        total[activity] = total.get(activity, 0) + int(n)
        by_unit.setdefault(unit, {})[activity] = int(n)
    return total, by_unit


async def expected_units(session: AsyncSession, commune_id: int, kind: str) -> list[Unit]:
    """Units expected to report: offices that chair a plan item or have officers; all villages."""
    units = (await session.exec(select(Unit).where(Unit.commune_id == commune_id, Unit.kind == kind)
                                .order_by(Unit.name))).all()
    if kind == "village":
        return list(units)
    chairs = set((await session.exec(select(TaskUnit.unit_id).join(Unit, Unit.id == TaskUnit.unit_id).where(
        Unit.commune_id == commune_id, TaskUnit.role == "lead"))).all())
    chairs |= set((await session.exec(select(IndicatorUnit.unit_id).join(Unit, Unit.id == IndicatorUnit.unit_id)
                                      .where(Unit.commune_id == commune_id))).all())
    staffed = set((await session.exec(select(Person.unit_id).where(
        Person.commune_id == commune_id, Person.role.in_(("officer", "lead")),  # type: ignore[attr-defined]
        Person.anonymised_at.is_(None)))).all())  # type: ignore[union-attr]
    return [u for u in units if u.id in chairs or u.id in staffed]


async def village_firsts(session: AsyncSession, commune_id: int, period: Period) -> dict[int, datetime]:
    """unit id → first activity log moment in the period, for every village that logged."""
    rows = (await session.exec(
        select(ActivityLog.unit_id, func.min(ActivityLog.created_at))
        .where(ActivityLog.commune_id == commune_id, ActivityLog.on_date >= period.start,
               ActivityLog.on_date <= period.end)
        .group_by(ActivityLog.unit_id))).all()
    return dict(rows)  # type: ignore[arg-type]


async def unit_reports(session: AsyncSession, commune_id: int, period: Period) -> list[dict[str, Any]]:
    rows = (await session.exec(
        select(Report, Unit, Person).join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .join(Unit, Unit.id == Report.unit_id).join(Person, Person.id == Report.person_id, isouter=True)
        .where(ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
               ReportingPeriod.key == period.key).order_by(Unit.name))).all()
    ids = [r.id for r, _u, _p in rows]
    by_report: dict[int, list[ReportItem]] = {}
    if ids:
        for it in (await session.exec(select(ReportItem).where(ReportItem.report_id.in_(ids))  # type: ignore[union-attr]
                                      .order_by(ReportItem.id))).all():
            by_report.setdefault(it.report_id, []).append(it)
    task_ids = {it.ref_id for its in by_report.values() for it in its if it.kind == "task"}
    ind_ids = {it.ref_id for its in by_report.values() for it in its if it.kind != "task"}
    titles: dict[tuple[str, int], tuple[str, str]] = {}
    if task_ids:
        for tid, code, title in (await session.exec(select(Task.id, Task.code, Task.title).where(
                Task.id.in_(task_ids)))).all():  # type: ignore[union-attr]
            titles[("task", tid)] = (code, title or "")
    if ind_ids:
        for iid, code, name in (await session.exec(select(Indicator.id, Indicator.code, Indicator.name).where(
                Indicator.id.in_(ind_ids)))).all():  # type: ignore[union-attr]
            titles[("indicator", iid)] = (code, name or "")
    out = []
    for report, unit, person in rows:
        items = by_report.get(report.id, [])  # type: ignore[arg-type]
        out.append({
            "unit": unit.name,
            "person": person.name if person and person.anonymised_at is None else None,
            "submitted_at": report.submitted_at.isoformat(),
            "late": report.late,
            "status": report.status,
            "revision": report.revision,
            "difficulties": report.difficulties,
            "proposals": report.proposals,
            "items": [{"kind": it.kind, "code": titles.get((it.kind, it.ref_id), ("?", ""))[0],
                       "title": titles.get((it.kind, it.ref_id), ("?", ""))[1], "status": it.status,
                       "value": float(it.value_num) if it.value_num is not None else None,
                       "achieved": it.value_bool, "note": it.note} for it in items],
        })
    return out


async def status_data(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                      now: datetime) -> dict[str, Any]:
    total, by_unit = await activity_totals(session, commune.id, village_period)  # type: ignore[arg-type]
    reports = await unit_reports(session, commune.id, unit_period)  # type: ignore[arg-type]
    streams = []
    by_name = {r["unit"]: r for r in reports}
    for period, kind in ((unit_period, "office"), (village_period, "village")):
        units = await expected_units(session, commune.id, kind)  # type: ignore[arg-type]
        firsts = await village_firsts(session, commune.id, period) if kind == "village" else {}  # type: ignore[arg-type]
        on_time, late, missing = [], [], []
        for u in units:
            if kind == "office":
                rep = by_name.get(u.name)
                sub = datetime.fromisoformat(rep["submitted_at"]) if rep else None
            else:
                sub = firsts.get(u.id)  # type: ignore[arg-type]
            state = classify(period, sub, now)
            {"on_time": on_time, "late": late}.get(state, missing).append(u.name)
        streams.append({"name": period.stream.name, "period": period.key, "label": period.label_vi,
                        "due": period.due.isoformat(), "expected": len(units),
                        "submitted": len(on_time) + len(late), "on_time": len(on_time), "late": len(late),
                        "missing": missing})
    return {
        "commune": commune.name,
        "period": {"key": unit_period.key, "start": unit_period.start.isoformat(),
                   "end": unit_period.end.isoformat(), "due": unit_period.due.isoformat()},
        "activities": {"total": total, "by_unit": by_unit},
        "reports": reports,
        "streams": streams,
    }


async def province_status(session: AsyncSession, unit_period: Period, village_period: Period,
                          now: datetime) -> list[dict[str, Any]]:
    """Per commune: the two streams' expected/submitted/on-time/late/missing and the activity totals,
    for the whole province in eight queries."""
    communes = (await session.exec(select(Commune.id, Commune.name).order_by(Commune.name))).all()
    units = (await session.exec(select(Unit.id, Unit.commune_id, Unit.name, Unit.kind).where(
        Unit.kind.in_(("office", "village"))).order_by(Unit.name))).all()  # type: ignore[attr-defined]
    chairs = set((await session.exec(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"))).all())
    chairs |= set((await session.exec(select(IndicatorUnit.unit_id))).all())
    staffed = set((await session.exec(select(Person.unit_id).where(
        Person.role.in_(("officer", "lead")), Person.anonymised_at.is_(None)).distinct())).all())  # type: ignore[attr-defined,union-attr]
    reports = dict((await session.exec(
        select(Report.unit_id, func.min(Report.submitted_at)).join(ReportingPeriod).where(
            ReportingPeriod.stream == unit_period.stream.name, ReportingPeriod.key == unit_period.key)
        .group_by(Report.unit_id))).all())
    firsts = dict((await session.exec(
        select(ActivityLog.unit_id, func.min(ActivityLog.created_at)).where(
            ActivityLog.on_date >= village_period.start, ActivityLog.on_date <= village_period.end)
        .group_by(ActivityLog.unit_id))).all())
    totals: dict[int, dict[str, int]] = {}
    for cid, activity, n in (await session.exec(
            select(ActivityLog.commune_id, ActivityLog.activity, func.sum(ActivityLog.count)).where(
                ActivityLog.on_date >= village_period.start, ActivityLog.on_date <= village_period.end)
            .group_by(ActivityLog.commune_id, ActivityLog.activity))).all():
        totals.setdefault(cid, {})[activity] = int(n)
    by_commune: dict[int, list[Any]] = {}
    for u in units:
        by_commune.setdefault(u.commune_id, []).append(u)
    out = []
    for cid, name in communes:
        streams = []
        for period, kind, subs in ((unit_period, "office", reports), (village_period, "village", firsts)):
            expected = [u for u in by_commune.get(cid, []) if u.kind == kind and (
                kind == "village" or u.id in chairs or u.id in staffed)]
            on_time, late, missing = [], [], []
            for u in expected:
                state = classify(period, subs.get(u.id), now)
                {"on_time": on_time, "late": late}.get(state, missing).append(u.name)
            streams.append({"name": period.stream.name, "period": period.key, "expected": len(expected),
                            "submitted": len(on_time) + len(late), "on_time": len(on_time), "late": len(late),
                            "missing": missing})
        out.append({"commune": name, "streams": streams, "activities": totals.get(cid, {})})
    return out
