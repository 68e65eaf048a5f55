"""What the traffic lights are computed from (``Facts``), gathered for many communes at once: a fixed
number of queries (``commune_id IN (…)``, grouped) whatever the number of communes, with the same
meaning as one commune's own queries in ``storage.status`` and ``storage.traffic``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, null, union, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import Period, previous_period
from storage.deadlines import SOON_DAYS  # a task due within it and not done: Vàng
from storage.models import (
    ActivityLog,
    Commune,
    IndicatorUnit,
    Person,
    Plan,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
    TaskUnit,
    Unit,
)
from storage.status import submission_state
from storage.unit_groups import pick_members

__all__ = ["SOON_DAYS", "Facts", "communes_facts"]



@dataclass
class Facts:
    """What one commune's traffic row is computed from, for a unit period and its village period.

    To add a figure: a field here, filled for one commune in ``storage.traffic._facts_of_commune``
    and for many in ``communes_facts`` below (one query, or one more column), read in
    ``storage.traffic.traffic_row``."""

    unit_states: list[str] = field(default_factory=list)  # offices owed a report (not_owed left out)
    village_states: list[str] = field(default_factory=list)  # village teams, likewise
    # (task id, last allowed day) of the commune's plan tasks; at least those that can count: due by the
    # period's end + SOON_DAYS (a task with no day, or due later, is neither overdue nor due soon)
    tasks: list[tuple[int, date | None]] = field(default_factory=list)
    done_tasks: set[int] = field(default_factory=set)  # tasks whose latest unit report answer is done
    activities: dict[str, int] = field(default_factory=dict)  # village activity totals, this period
    activities_previous: dict[str, int] = field(default_factory=dict)  # and the one before


Run = Callable[[Any], Awaitable[Any]]  # runs a select of plain columns on a Core connection: its result


async def _all_of(session: AsyncSession, steps: Sequence[Callable[[Run], Awaitable[Any]]]) -> list[Any]:
    """Each step's result. Core connections (thousands of rows without the ORM's per-row machinery,
    the same column types). On PostgreSQL each step runs on a pooled connection of its own, all at
    once: the server works on them in parallel (each statement reads its own snapshot either way, as
    in one session under READ COMMITTED); elsewhere one after the other on the session's connection."""
    bind = session.bind  # a turn's session is bound to its connection, others to the engine
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    if engine is None or engine.dialect.name != "postgresql":
        conn = await session.connection()
        return [await step(conn.execute) for step in steps]

    async def alone(step: Callable[[Run], Awaitable[Any]]) -> Any:
        async with engine.connect() as conn:  # type: ignore[union-attr]
            return await step(conn.execute)

    return list(await asyncio.gather(*(alone(step) for step in steps)))


async def _activity_totals(run: Run, ids: list[int], periods: Sequence[Period]
                           ) -> list[dict[int, dict[str, int]]]:
    """For each of ``periods``: commune id → activity → count (as ``storage.status.activity_totals``,
    which joins the unit for its name: every log has one, a foreign key), in one statement."""
    out: list[dict[int, dict[str, int]]] = [{} for _ in periods]
    for which, cid, activity, n in (await run(union_all(*(
            select(literal(i).label("which"), ActivityLog.commune_id, ActivityLog.activity,
                   func.sum(ActivityLog.count))
            .where(col(ActivityLog.commune_id).in_(ids), ActivityLog.on_date >= period.start,
                   ActivityLog.on_date <= period.end)
            .group_by(ActivityLog.commune_id, ActivityLog.activity) for i, period in enumerate(periods))))).all():
        out[which].setdefault(cid, {})[activity] = int(n)
    return out


Submission = tuple[datetime, str | None, str | None]  # moment, review status, review comment


class _Unit(NamedTuple):
    """A unit as the province view reads it, with whether it chairs a plan item and who of its commune
    belongs to it (plain tuples: thousands of them, read many times)."""

    id: int
    commune_id: int
    name: str
    kind: str
    members: str | None
    from_plan: bool
    chair: int | None  # its own id when it chairs a task or an indicator
    officer: int | None  # 1: an officer belongs to it
    lead: int | None  # 1: a lead
    lead_or_admin: int | None  # 1: a lead or an admin


async def _submissions(run: Run, ids: list[int], unit_period: Period, village_period: Period
                       ) -> dict[str, dict[tuple[int, int], Submission]]:
    """"office" / "village" → (commune id, unit id) → submission: unit reports of ``unit_period``, and
    each unit's first activity log of ``village_period`` (as ``storage.status._submissions``)."""
    reports = (select(literal("office").label("kind"), ReportingPeriod.commune_id, Report.unit_id,
                      Report.submitted_at, Report.status, Report.review_comment)
               .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
               .where(col(ReportingPeriod.commune_id).in_(ids), ReportingPeriod.stream == unit_period.stream.name,
                      ReportingPeriod.key == unit_period.key))
    firsts = (select(literal("village"), ActivityLog.commune_id, ActivityLog.unit_id,
                     func.min(ActivityLog.created_at), null(), null())
              .where(col(ActivityLog.commune_id).in_(ids), ActivityLog.on_date >= village_period.start,
                     ActivityLog.on_date <= village_period.end)
              .group_by(ActivityLog.commune_id, ActivityLog.unit_id))
    subs: dict[str, dict[tuple[int, int], Submission]] = {"office": {}, "village": {}}
    for kind, cid, uid, at, status, comment in (await run(union_all(reports, firsts))).all():
        subs[kind][(cid, uid)] = (at, status, comment)
    return subs


async def _expected(run: Run, ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """commune id → {"office": […], "village": […]}: the units expected to report, by the rule of
    ``storage.status.expected_units`` (chairs of plan items with groups expanded, else staffed offices);
    each unit read with whether it chairs a plan item and who of its commune belongs to it."""
    chairs = union(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"), select(IndicatorUnit.unit_id)).subquery()

    def having(*roles: str) -> Any:
        return func.max(case((col(Person.role).in_(roles), 1), else_=0))

    people = (select(Person.unit_id, Person.commune_id, having("officer").label("officer"), having("lead").label("lead"),
                     having("lead", "admin").label("leads"))
              .where(col(Person.commune_id).in_(ids), col(Person.role).in_(("officer", "lead", "admin")),
                     col(Person.anonymised_at).is_(None))
              .group_by(Person.unit_id, Person.commune_id).subquery())
    rows = (await run(select(
        Unit.id, Unit.commune_id, Unit.name, Unit.kind, Unit.members, Unit.from_plan, chairs.c.unit_id,
        people.c.officer, people.c.lead, people.c.leads)
        .outerjoin(chairs, chairs.c.unit_id == Unit.id)
        .outerjoin(people, and_(people.c.unit_id == Unit.id, people.c.commune_id == Unit.commune_id))
        .where(col(Unit.commune_id).in_(ids)))).all()
    by_commune: dict[int, list[_Unit]] = {}
    for u in map(_Unit._make, rows):
        by_commune.setdefault(u.commune_id, []).append(u)
    out: dict[int, dict[str, list[Any]]] = {}
    for cid in ids:
        mine = by_commune.get(cid, [])
        expanded: set[int] = set()
        chairing = [u for u in mine if u.chair]
        if any(u.kind == "group" and u.members is not None for u in chairing):  # as storage.unit_groups.expand_units
            real = [u for u in mine if u.kind != "group"]
            leads = {u.id for u in mine if u.lead_or_admin}
            for u in chairing:
                expanded |= ({m.id for m in pick_members(real, u.members, leads)}
                             if u.kind == "group" and u.members is not None else {u.id})
        else:
            expanded = {u.id for u in chairing}
        lead_too = not expanded  # before any plan item names a chair, the lead's office owes a report too
        out[cid] = {"office": [u for u in mine if u.kind == "office" and (
                        u.id in expanded or u.officer or (lead_too and u.lead))],
                    "village": [u for u in mine if u.kind == "village"]}
    return out


async def _tasks(run: Run, ids: list[int], unit_period: Period
                 ) -> tuple[dict[int, list[tuple[int, date | None]]], dict[int, set[int]]]:
    """commune id → its plan tasks that can count for ``unit_period`` (id, last allowed day), and → those
    whose latest answer in the unit stream up to the period is done (as ``storage.traffic.latest_items``)."""
    can_count = col(Task.due_date) <= unit_period.end + timedelta(days=SOON_DAYS)  # the rule's as-of ≤ end
    rank = func.row_number().over(
        partition_by=(ReportingPeriod.commune_id, ReportItem.ref_id),
        order_by=(col(ReportingPeriod.start).desc(), col(Report.submitted_at).desc(), col(ReportItem.id)))
    answers = (select(ReportingPeriod.commune_id, ReportItem.ref_id, ReportItem.status, rank.label("rank"))
               .join(Report, Report.id == ReportItem.report_id)
               .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
               .join(Task, Task.id == ReportItem.ref_id)
               .where(col(ReportingPeriod.commune_id).in_(ids), ReportingPeriod.stream == unit_period.stream.name,
                      ReportingPeriod.end <= unit_period.end, ReportItem.kind == "task", can_count).subquery())
    latest = select(answers.c.commune_id, answers.c.ref_id, answers.c.status).where(answers.c.rank == 1).subquery()
    tasks: dict[int, list[tuple[int, date | None]]] = {}
    done: dict[int, set[int]] = {}
    for tid, due, cid, status in (await run(select(Task.id, Task.due_date, Plan.commune_id, latest.c.status)
                                               .join(Plan, Plan.id == Task.plan_id)
                                               .outerjoin(latest, and_(latest.c.ref_id == Task.id,
                                                                       latest.c.commune_id == Plan.commune_id))
                                               .where(col(Plan.commune_id).in_(ids), can_count))).all():
        tasks.setdefault(cid, []).append((tid, due))
        if status == "done":
            done.setdefault(cid, set()).add(tid)
    return tasks, done


async def communes_facts(session: AsyncSession, communes: Sequence[Commune], unit_period: Period,
                         village_period: Period, now: datetime) -> dict[int, Facts]:
    """commune id → its ``Facts`` for the periods, for all ``communes`` in four statements (at once on PostgreSQL)."""
    ids = [c.id for c in communes if c.id is not None]
    if not ids:
        return {}
    expected, subs, (tasks, done), (activities, previous) = await _all_of(session, (
        lambda run: _expected(run, ids),
        lambda run: _submissions(run, ids, unit_period, village_period),
        lambda run: _tasks(run, ids, unit_period),
        lambda run: _activity_totals(run, ids, (village_period, previous_period(village_period)))))
    out: dict[int, Facts] = {}
    for c in communes:
        cid = c.id
        assert cid is not None

        def states(kind: str, period: Period, cid: int = cid, start: date | None = c.reporting_start) -> list[str]:
            units, sent = expected[cid][kind], subs[kind]
            if not units:
                return []
            unsent = submission_state(period, now, start, None)  # the same for every unit that sent nothing
            found = (submission_state(period, now, start, sub) if (sub := sent.get((cid, u.id))) else unsent
                     for u in units)
            return [s for s in found if s != "not_owed"]

        out[cid] = Facts(unit_states=states("office", unit_period), village_states=states("village", village_period),
                         tasks=tasks.get(cid, []), done_tasks=done.get(cid, set()),
                         activities=activities.get(cid, {}), activities_previous=previous.get(cid, {}))
    return out
