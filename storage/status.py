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

__all__ = ["activity_totals", "expected_units", "status_data", "unit_reports"]


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
    chairs = set((await session.exec(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"))).all())
    chairs |= set((await session.exec(select(IndicatorUnit.unit_id))).all())
    staffed = set((await session.exec(select(Person.unit_id).where(
        Person.commune_id == commune_id, Person.role.in_(("officer", "lead")),  # type: ignore[attr-defined]
        Person.anonymised_at.is_(None)))).all())  # type: ignore[union-attr]
    return [u for u in units if u.id in chairs or u.id in staffed]


async def unit_reports(session: AsyncSession, commune_id: int, period: Period) -> list[dict[str, Any]]:
    rows = (await session.exec(
        select(Report, Unit, Person).join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .join(Unit, Unit.id == Report.unit_id).join(Person, Person.id == Report.person_id, isouter=True)
        .where(ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
               ReportingPeriod.key == period.key).order_by(Unit.name))).all()
    out = []
    for report, unit, person in rows:
        items = (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id))).all()
        titles = {}
        for it in items:
            model = Task if it.kind == "task" else Indicator
            obj = await session.get(model, it.ref_id)
            titles[(it.kind, it.ref_id)] = (obj.code, getattr(obj, "title", None) or getattr(obj, "name", "")) \
                if obj else ("?", "")
        out.append({
            "unit": unit.name,
            "person": person.name if person and person.anonymised_at is None else None,
            "submitted_at": report.submitted_at.isoformat(),
            "late": report.late,
            "status": report.status,
            "revision": report.revision,
            "difficulties": report.difficulties,
            "proposals": report.proposals,
            "items": [{"kind": it.kind, "code": titles[(it.kind, it.ref_id)][0],
                       "title": titles[(it.kind, it.ref_id)][1], "status": it.status,
                       "value": float(it.value_num) if it.value_num is not None else None,
                       "achieved": it.value_bool} for it in items],
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
        on_time, late, missing = [], [], []
        for u in units:
            if kind == "office":
                rep = by_name.get(u.name)
                sub = datetime.fromisoformat(rep["submitted_at"]) if rep else None
            else:
                sub = (await session.exec(select(func.min(ActivityLog.created_at)).where(
                    ActivityLog.unit_id == u.id, ActivityLog.on_date >= period.start,
                    ActivityLog.on_date <= period.end))).one()
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
