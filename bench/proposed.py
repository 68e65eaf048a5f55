"""Prototypes of the changes bench/README.md proposes, so their effect can be measured before the app
code is changed: ``bench.status --proposed`` and ``bench.sweep --proposed`` patch them in for the run.

Each function keeps the signature and the output of the one it replaces (the status benchmark
checks the output is identical); only the query shapes change:

* ``expected_units``: the plan chairs of *this* commune only (was: every TaskUnit/IndicatorUnit
  row of the province, loaded on every call — O(province) per commune, O(province²) per sweep).
* ``status_data``: one GROUP BY for the first log of every village (was: one query per village).
* ``unit_reports``: items and their task/indicator titles in three queries (was: one query per
  report plus one ``session.get`` per item).
* ``_submitted_units``: ``min()`` per unit in SQL (was: every log row of the period to Python).
* ``_people``: plain column rows for people and identities (was: ORM entities, ~42,000 objects
  built per province sweep), and ``due_stage`` computed once per (period, moment, working-days
  flag) instead of once per person (it walks the holiday calendar each time).
* ``run_sweep``: claims in multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING key`` batches and
  the outbox rows in one executemany per batch, with each distinct reminder text rendered once
  (was: two single-row INSERT statements built and compiled per message).
* ``province_status``: a new function for the province view — the same per-commune counts as
  ``status_data``'s streams, for every commune, in eight queries."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from reminders.calendar import Period, classify
from storage.models import (
    ActivityLog,
    Commune,
    Identity,
    Indicator,
    IndicatorUnit,
    Outbox,
    Person,
    ReminderLog,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
    TaskUnit,
    Unit,
)

if TYPE_CHECKING:
    from bot.app import BotApp

__all__ = ["applied", "expected_units", "province_status", "run_sweep", "status_data", "unit_reports"]

log = logging.getLogger(__name__)
CLAIM_BATCH = 500


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
                       "achieved": it.value_bool} for it in items],
        })
    return out


async def status_data(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                      now: datetime) -> dict[str, Any]:
    from storage.status import activity_totals

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


async def _submitted_units(session: AsyncSession, commune_id: int, period: Period) -> dict[int, datetime]:
    """unit id → first submission moment for the period."""
    if period.stream.kind == "village_activity":
        return await village_firsts(session, commune_id, period)
    rows = (await session.exec(select(Report.unit_id, func.min(Report.submitted_at)).join(ReportingPeriod).where(
        ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
        ReportingPeriod.key == period.key).group_by(Report.unit_id))).all()
    return dict(rows)  # type: ignore[arg-type]


async def _people(session: AsyncSession, commune_id: int, unit_ids: list[int], roles: tuple[str, ...]
                  ) -> list[tuple[Any, Any]]:
    people = (await session.exec(select(
        Person.id, Person.name, Person.unit_id, Person.locale, Person.weekend_reminders, Person.preferred_channel,
        Person.last_channel).where(
        Person.commune_id == commune_id, Person.unit_id.in_(unit_ids),  # type: ignore[union-attr]
        Person.role.in_(roles), Person.anonymised_at.is_(None)).order_by(Person.id))).all()  # type: ignore[attr-defined,union-attr]
    ids = [p.id for p in people]
    idents = (await session.exec(select(Identity.person_id, Identity.channel, Identity.chat_id).where(
        Identity.person_id.in_(ids)).order_by(Identity.id))).all() if ids else []  # type: ignore[attr-defined]
    by_person: dict[int, list[Any]] = {}
    for i in idents:
        by_person.setdefault(i.person_id, []).append(i)
    out = []
    for p in people:
        mine = by_person.get(p.id, [])
        pick = next((i for ch in (p.preferred_channel, p.last_channel) for i in mine if ch and i.channel == ch),
                    mine[0] if mine else None)
        out.append((p, pick))
    return out


@functools.lru_cache(maxsize=256)
def _due_stage_cached(period: Period, now: datetime, working_days_only: bool | None) -> Any:
    from reminders.calendar import due_stage

    return due_stage(period, now, working_days_only=working_days_only)


def due_stage(period: Period, now: datetime, *, working_days_only: bool | None = None) -> Any:
    return _due_stage_cached(period, now, working_days_only)


async def run_sweep(bot: BotApp, now: datetime | None = None) -> int:
    """Plan, claim each (person, stream, period, stage) once, and queue the messages, in batches."""
    import reminders.sweep as sweep_mod
    from bot.outbox import to_payload
    from reminders.messages import reminder_outgoing

    now = now or bot.services.now()
    send_at = bot.services.now()
    queued = 0
    texts: dict[tuple[Any, ...], dict[str, Any]] = {}
    async with bot.db.transaction() as s:
        conn = await s.connection()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        planned = [p for p in await sweep_mod.plan_sweep(s, bot.services, now) if p.channel is not None]
        for start in range(0, len(planned), CLAIM_BATCH):
            chunk = planned[start:start + CLAIM_BATCH]
            table = ReminderLog.__table__  # type: ignore[attr-defined]
            claim = dialect.insert(table).values([
                {"key": p.key, "person_id": p.person_id, "stream": p.stream, "period": p.period, "stage": p.stage,
                 "created_at": now} for p in chunk]).on_conflict_do_nothing().returning(table.c.key)
            claimed = set((await conn.execute(claim)).scalars().all())
            rows = []
            for p in chunk:
                if p.key not in claimed:
                    continue
                k = (p.stream, p.period, p.stage, p.locale, p.due, p.missing, p.late, p.unreachable)
                payload = texts.get(k)
                if payload is None:
                    payload = texts[k] = to_payload(reminder_outgoing(p, bot.services))
                rows.append({"key": f"reminder:{p.key}", "person_id": p.person_id, "channel": p.channel,
                             "chat_id": p.chat_id, "payload": payload, "status": "pending", "attempts": 0,
                             "next_attempt_at": send_at, "created_at": send_at})
            if rows:
                otable = Outbox.__table__  # type: ignore[attr-defined]
                await conn.execute(dialect.insert(otable).on_conflict_do_nothing(), rows)
                queued += len(rows)
    if bot.outbox is not None:
        bot.outbox.wake()
    log.info("reminder sweep at %s queued %d message(s)", now.isoformat(), queued)
    return queued


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


@contextlib.contextmanager
def applied() -> Iterator[None]:
    """Patch the prototypes in where the app looks them up, for the duration of the block."""
    import reminders.sweep as sweep_mod
    import storage.status as status_mod

    patches = [(status_mod, "expected_units", expected_units), (status_mod, "unit_reports", unit_reports),
               (status_mod, "status_data", status_data), (sweep_mod, "expected_units", expected_units),
               (sweep_mod, "_submitted_units", _submitted_units), (sweep_mod, "run_sweep", run_sweep),
               (sweep_mod, "_people", _people), (sweep_mod, "due_stage", due_stage)]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _new in patches]
    for mod, name, new in patches:
        setattr(mod, name, new)
    try:
        yield
    finally:
        for mod, name, old in saved:
            setattr(mod, name, old)
