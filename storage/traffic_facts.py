"""What the traffic lights are computed from (``Facts``), gathered for many communes at once: a fixed
number of queries (``commune_id IN (…)``, grouped) whatever the number of communes, with the same
meaning as one commune's own queries in ``storage.status`` and ``storage.traffic``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, case, func, literal, null, or_, text, union, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import log_rollup
from storage.among import Ids, among
from storage.built import ids_key, kept, periods_key
from storage.calendar.calendar import Period, previous_period
from storage.deadlines import SOON_DAYS  # a task due within it and not done: Vàng
from storage.models import (
    ActivityLog,
    Commune,
    IndicatorUnit,
    Report,
    ReportingPeriod,
    TaskUnit,
    Unit,
)
from storage.people import posts
from storage.status import submission_state
from storage.traffic_states import (
    Submission,
    ViewUnit,
    as_of_due,
    dated_communes,
    expected_offices,
    office_states,
    sent_state,
    units_by_commune,
)
from storage.traffic_tasks import tasks_done, tasks_of
from storage.units import existing

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
    done_tasks: set[int] = field(default_factory=set)  # tasks done by the rule of storage.item_standing
    activities: dict[str, int] = field(default_factory=dict)  # village activity totals, this period
    activities_previous: dict[str, int] = field(default_factory=dict)  # and the one before


Run = Callable[[Any], Awaitable[Any]]  # runs a select of plain columns on a Core connection: its result


# The village teams' statement is prepared once and run again and again (the driver's statement cache): after
# five runs PostgreSQL planned it once for any parameters, and that plan of the roll-up's join with the village
# teams took 3-4× as long (measured at 16×). It is planned for its values each time (in its transaction only).
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def _all_of(session: AsyncSession, steps: Sequence[Callable[[Run], Awaitable[Any]]],
                  custom: frozenset[int] = frozenset()) -> list[Any]:
    """Each step's result. Core connections (thousands of rows without the ORM's per-row machinery,
    the same column types). On PostgreSQL each step runs on a pooled connection of its own, all at
    once: the server works on them in parallel (each statement reads its own snapshot either way, as
    in one session under READ COMMITTED); elsewhere one after the other on the session's connection."""
    bind = session.bind  # a turn's session is bound to its connection, others to the engine
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    if engine is None or engine.dialect.name != "postgresql":
        conn = await session.connection()
        return [await step(conn.execute) for step in steps]

    async def alone(i: int, step: Callable[[Run], Awaitable[Any]]) -> Any:
        async with engine.connect() as conn:  # type: ignore[union-attr]
            if i in custom:  # (``custom``: the steps planned for their values each time)
                await conn.execute(_CUSTOM_PLANS)
            return await step(conn.execute)

    return list(await asyncio.gather(*(alone(i, step) for i, step in enumerate(steps))))


_STAMPS, _MARK = -2, -1000  # which: the communes' roll-up versions; a range rolled up (_MARK - i)
_NO_LOG, _BY_DUE, _AFTER = log_rollup.NO_LOG, log_rollup.BY_DUE, log_rollup.AFTER
_ALL = -1  # a rolled period's row of village teams: how many existed at its due, a first log or not


class _Rolled(NamedTuple):
    """What a statement said of the roll-up (``storage.log_rollup``): for each rolled period index, the
    communes whose range it holds at their current version; and the communes' versions, read with it."""

    valid: dict[int, set[int]]
    versions: dict[int, int]


def _roll_parts(ids: list[int], periods: Sequence[Period], rolled: set[int], shape: Callable[[int], Callable[[Any, Any], list[Any]]]
                ) -> list[Any]:
    """The union's branches telling which rolled ranges hold which communes, and the versions."""
    parts = [log_rollup.markers(ids, periods[i].start, periods[i].end, shape(_MARK - i)) for i in sorted(rolled)]
    return [*parts, log_rollup.stamps(ids, shape(_STAMPS))] if rolled else parts


def _note(rolled: _Rolled, which: int, cid: int, version: Any) -> None:
    if which == _STAMPS:
        rolled.versions[cid] = int(version)
    else:
        rolled.valid.setdefault(_MARK - which, set()).add(cid)


async def _activity_totals(run: Run, ids: list[int], periods: Sequence[Period], rolled: set[int] = frozenset(),  # type: ignore[assignment]
                           summed: bool = False) -> tuple[list[dict[int, dict[str, int]]], _Rolled]:
    """For each of ``periods``: commune id → activity → count (as ``storage.status.activity_totals``,
    which joins the unit for its name: every log has one, a foreign key), in one statement; the periods
    of ``rolled`` from the roll-up, for the communes it holds them for (``_Rolled``). ``summed``: only the
    communes' sums, summed in SQL (under commune id 0; the roll-up's communes only, for its periods)."""
    def build() -> Any:
        each = [log_rollup.totals(i, ids, period.start, period.end) if i in rolled else
                select(literal(i).label("which"), ActivityLog.commune_id, ActivityLog.activity,
                       func.sum(ActivityLog.count).label("total"))
                .where(among(ActivityLog.commune_id, ids), ActivityLog.on_date >= period.start,
                       ActivityLog.on_date <= period.end)
                .group_by(ActivityLog.commune_id, ActivityLog.activity) for i, period in enumerate(periods)]
        if summed:  # one row per period and activity instead of one per commune too
            every = union_all(*each).subquery() if len(each) > 1 else each[0].subquery()
            each = [select(every.c.which, literal(0), every.c.activity, func.sum(every.c.total))
                    .group_by(every.c.which, every.c.activity)]
        each += _roll_parts(ids, periods, rolled, lambda w: lambda cid, v: [literal(w), cid, null(), v])
        return union_all(*each) if len(each) > 1 else each[0]

    out: list[dict[int, dict[str, int]]] = [{} for _ in periods]
    seen = _Rolled({}, {})
    stmt = kept(("totals", ids_key(ids), periods_key(periods), tuple(sorted(rolled)), summed), build)
    for which, cid, activity, n in (await run(stmt)).all():
        if which < 0:
            _note(seen, which, cid, n)
        else:
            out[which].setdefault(cid, {})[activity] = int(n)
    return out, seen


def _rolled_villages(ids: list[int], village_periods: Sequence[Period], rolled: set[int]) -> list[Any]:
    """The village teams of the ``rolled`` periods, counted as ``_submissions`` reads them: how many existed at
    each period's due (``_ALL``, from the teams grouped by when they were added), and those with a first log in
    the period by bucket: each team joined to its first logs from the roll-up (at most one a period), not paired
    with every period. A team with no first log in any of them gives a row with no period (skipped)."""
    at = ActivityLog.created_at.type  # type: ignore[attr-defined]
    ranges = union_all(*(select(literal(i).label("which"), literal(village_periods[i].due, at).label("due"))
                         for i in sorted(rolled))).cte("ranges")
    teams = (select(Unit.commune_id, Unit.created_at, func.count().cast(Integer).label("n"))
             .where(among(Unit.commune_id, ids), Unit.kind == "village")
             .group_by(Unit.commune_id, Unit.created_at).subquery())
    every = (select(ranges.c.which, null(), null(), teams.c.commune_id, null(), func.sum(teams.c.n), literal(_ALL), null())
             .select_from(teams).join(ranges, or_(teams.c.created_at.is_(None), teams.c.created_at <= ranges.c.due))
             .group_by(ranges.c.which, teams.c.commune_id))
    firsts = log_rollup.firsts_of(ids, [(village_periods[i].start, village_periods[i].end) for i in sorted(rolled)])
    which = case(*((firsts.c.start == village_periods[i].start, i) for i in sorted(rolled)))  # (no join: a few values)
    due = case(*((firsts.c.start == village_periods[i].start, literal(village_periods[i].due, at)) for i in sorted(rolled)))
    bucket = case((firsts.c.first.is_(None), _NO_LOG), (firsts.c.first <= due, _BY_DUE), else_=_AFTER)
    logged = (select(which, null(), null(), Unit.commune_id, null(), func.count(), bucket, null())
              .select_from(Unit)  # (an outer join: the roll-up, estimated at a row unanalysed, cannot drive a loop)
              .outerjoin(firsts, and_(firsts.c.unit_id == Unit.id, firsts.c.commune_id == Unit.commune_id))
              .where(among(Unit.commune_id, ids), Unit.kind == "village", existing(due))
              .group_by(which, Unit.commune_id, bucket))
    return [every, logged]


def _submissions_statement(ids: list[int], unit_periods: Sequence[Period], village_periods: Sequence[Period],
                           rolled: set[int]) -> Any:
    """Rows (which, stream, key, commune id, unit id, how many, on time / bucket / ``_ALL``, review status)."""
    keys = {(up.stream.name, up.key): up for up in unit_periods}.values()
    on_time = case(*((and_(ReportingPeriod.stream == up.stream.name, ReportingPeriod.key == up.key,
                           Report.submitted_at <= up.due), 1) for up in keys), else_=0)  # a number, not a moment
    reports = (select(literal(-1).label("which"), ReportingPeriod.stream, ReportingPeriod.key, ReportingPeriod.commune_id,
                      Report.unit_id, literal(1).label("n"), on_time.label("flag"), Report.status)
               .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
               .where(among(ReportingPeriod.commune_id, ids), or_(*(
                   and_(ReportingPeriod.stream == up.stream.name, ReportingPeriod.key == up.key) for up in keys))))
    villages = _rolled_villages(ids, village_periods, rolled) if rolled else []
    for i, vp in enumerate(village_periods):
        if i in rolled:
            continue
        firsts = (select(ActivityLog.commune_id, ActivityLog.unit_id, func.min(ActivityLog.created_at).label("first"))
                  .where(among(ActivityLog.commune_id, ids), ActivityLog.on_date >= vp.start,
                         ActivityLog.on_date <= vp.end)
                  .group_by(ActivityLog.commune_id, ActivityLog.unit_id).subquery())
        bucket = case((firsts.c.first.is_(None), _NO_LOG), (firsts.c.first <= vp.due, _BY_DUE), else_=_AFTER)
        villages.append(select(literal(i), null(), null(), Unit.commune_id, null(), func.count(), bucket, null())
                        .outerjoin(firsts, and_(firsts.c.unit_id == Unit.id, firsts.c.commune_id == Unit.commune_id))
                        .where(among(Unit.commune_id, ids), Unit.kind == "village", existing(vp.due))
                        .group_by(Unit.commune_id, bucket))
    villages += _roll_parts(ids, village_periods, rolled,
                            lambda w: lambda cid, v: [literal(w), null(), null(), cid, v, *[null()] * 3])
    return union_all(reports, *villages) if villages else reports


async def _submissions(run: Run, ids: list[int], unit_periods: Sequence[Period], village_periods: Sequence[Period],
                       rolled: set[int] = frozenset()  # type: ignore[assignment]
                       ) -> tuple[list[dict[tuple[int, int], Submission]], list[dict[int, list[tuple[int, int]]]], _Rolled]:
    """In one statement: for each of ``unit_periods``, (commune id, unit id) → its unit report (as
    ``storage.status._submissions``: whether it was sent by the deadline, compared in SQL, and its review
    status); for each of ``village_periods``, commune id → its village teams counted in SQL (thousands of
    them) as [(how many, bucket)]: those with no log in the period (``_NO_LOG``), those whose first log was
    at or before the deadline (``_BY_DUE``) and those after it (``_AFTER``), which ``sent_state``
    classifies as it would each of them. The village periods of ``rolled`` take their first logs from the
    roll-up, for the communes it holds them for (``_Rolled``)."""
    stmt = kept(("submissions", ids_key(ids), periods_key(unit_periods), periods_key(village_periods),
                 tuple(sorted(rolled))), lambda: _submissions_statement(ids, unit_periods, village_periods, rolled))
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, up in enumerate(unit_periods):
        by_key.setdefault((up.stream.name, up.key), []).append(i)
    subs: list[dict[tuple[int, int], Submission]] = [{} for _ in unit_periods]
    counted: list[dict[int, list[tuple[int, int]]]] = [{} for _ in village_periods]
    seen = _Rolled({}, {})
    every: dict[int, dict[int, int]] = {i: {} for i in rolled}  # the rolled periods' teams that existed at the due
    for which, stream, key, cid, uid, n, flag, status in (await run(stmt)).all():
        if which is None or (flag == _NO_LOG and which in every):  # (a rolled period's: from ``every``, below)
            continue
        if which <= _STAMPS:
            _note(seen, which, cid, uid)
        elif which < 0:
            for i in by_key[(stream, key)]:
                subs[i][(cid, uid)] = (bool(flag), status)
        elif flag == _ALL:
            every[which][cid] = int(n)
        else:
            counted[which].setdefault(cid, []).append((int(n), int(flag)))
    for i, teams in every.items():  # the teams with no first log in the period: the others
        for cid, n in teams.items():
            if none := n - sum(k for k, _bucket in counted[i].get(cid, ())):
                counted[i].setdefault(cid, []).append((none, _NO_LOG))
    return subs, counted, seen


def _units_statement(ids: list[int]) -> Any:
    chairs = union(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"), select(IndicatorUnit.unit_id)).subquery()

    every = posts(ids, ("officer", "lead", "admin"))  # with their dates: the periods' due decide (``as_of_due``)

    def having(*roles: str) -> Any:
        return func.max(case((every.c.role.in_(roles), 1), else_=0))

    people = (select(every.c.unit_id, every.c.commune_id, having("officer").label("officer"),
                     having("lead").label("lead"), having("lead", "admin").label("leads"), every.c.since, every.c.until)
              .group_by(every.c.unit_id, every.c.commune_id, every.c.since, every.c.until).subquery())
    return (select(Unit.id, Unit.commune_id, Unit.name, Unit.kind, Unit.members, Unit.from_plan, chairs.c.unit_id,
                   people.c.officer, people.c.lead, people.c.leads, Unit.created_at, people.c.since, people.c.until)
            .outerjoin(chairs, chairs.c.unit_id == Unit.id)
            .outerjoin(people, and_(people.c.unit_id == Unit.id, people.c.commune_id == Unit.commune_id))
            .where(among(Unit.commune_id, ids), or_(Unit.kind != "village", chairs.c.unit_id.is_not(None))))


async def _units(run: Run, ids: list[int]) -> dict[int, list[ViewUnit]]:
    """commune id → its units but the village teams (thousands: ``_submissions`` counts them), each with
    whether it chairs a plan item and who of its commune belongs to it; a village that chairs is read too."""
    rows = (await run(kept(("units", ids_key(ids)), lambda: _units_statement(ids)))).all()
    return units_by_commune(rows)


async def communes_facts(session: AsyncSession, communes: Sequence[Commune],
                         periods: Sequence[tuple[Period, Period]], now: datetime,
                         closed_before: date | None = None,
                         sums: list[tuple[dict[str, int], dict[str, int]]] | None = None) -> list[dict[int, Facts]]:
    """For each (unit period, village period) of ``periods``: commune id → its ``Facts``, for all
    ``communes`` and all periods in five statements (at once on PostgreSQL). ``closed_before``
    (``storage.log_rollup.closed_before``): village periods ending before it take their activity-log
    figures from the roll-up, filled first (one statement more) for the communes it does not hold yet.
    ``sums`` (a list): the communes' activity totals are summed in SQL and appended to it for each period
    (this period's, the period before's); the ``Facts`` then have none."""
    bind = session.bind  # on PostgreSQL the ids go into each statement as one array parameter (``storage.among``)
    ids = Ids((c.id for c in communes if c.id is not None), pg=bind is not None and bind.dialect.name == "postgresql")
    if not ids or not periods:
        return [{} for _ in periods]
    spans = {(vp.start, vp.end): vp for _up, vp in periods}
    for p in list(spans.values()):  # and each one's previous period, for the activities of the period before
        spans.setdefault(((before := previous_period(p)).start, before.end), before)
    village_periods, totals_of = [vp for _up, vp in periods], list(spans.values())
    edge = closed_before or date.min
    rolled_v = {i for i, vp in enumerate(village_periods) if vp.end < edge}
    rolled_t = {i for i, p in enumerate(totals_of) if p.end < edge}
    steps = [lambda run: _units(run, ids),
             lambda run: _submissions(run, ids, [up for up, _vp in periods], village_periods, rolled_v),
             lambda run: tasks_of(run, ids, [up for up, _vp in periods]),
             lambda run: _activity_totals(run, ids, totals_of, rolled_t, sums is not None)]
    units, (subs, villages, seen_v), (found, chairs), (totals, seen_t) = await _all_of(session, steps, frozenset({1}))
    tasks = tasks_done(found, chairs, units, [up for up, _vp in periods])
    missing: dict[tuple[date, date], set[int]] = {}
    for rolled, seen, of in ((rolled_v, seen_v, village_periods), (rolled_t, seen_t, totals_of)):
        for i in rolled:
            if lacking := set(ids) - seen.valid.get(i, set()):
                missing.setdefault((of[i].start, of[i].end), set()).update(lacking)
    if missing:  # read from the logs and kept, tagged with the versions read before
        versions = {c: max(seen_v.versions.get(c, 0), seen_t.versions.get(c, 0)) for c in ids}
        filled = await log_rollup.fill(session, missing, versions)
        for i in rolled_v:
            vp = village_periods[i]
            for cid in missing.get((vp.start, vp.end), ()):
                villages[i][cid] = log_rollup.group_villages(filled.villages[cid], filled.firsts[(vp.start, vp.end)][cid],
                                                             vp.due, filled.created)
        for i in rolled_t:
            p = totals_of[i]
            for cid in missing.get((p.start, p.end), ()):
                if sums is None:
                    totals[i][cid] = filled.totals[(p.start, p.end)][cid]
                    continue
                mine = totals[i].setdefault(0, {})  # (summed: only the communes the roll-up held are in it)
                for code, n in filled.totals[(p.start, p.end)][cid].items():
                    mine[code] = mine.get(code, 0) + n
    spans_at = {span: i for i, span in enumerate(spans)}
    offices_of: dict[tuple[int, bool, Any], list[ViewUnit]] = {}  # the same in every period but for dated units
    dated = dated_communes(units)
    now = now.astimezone(UTC)  # the same instant, cheaper to compare thousands of times than a zone's
    out: list[dict[int, Facts]] = []
    for i, (unit_period, village_period) in enumerate(periods):
        activities = totals[spans_at[(village_period.start, village_period.end)]]
        before = previous_period(village_period)
        previous = totals[spans_at[(before.start, before.end)]]
        if sums is not None:
            sums.append((dict(activities.get(0, {})), dict(previous.get(0, {}))))
            activities = previous = {}
        facts: dict[int, Facts] = {}
        kinds: dict[Any, str] = {}
        village_kinds: dict[tuple[int, Any], str] = {}
        for c in communes:
            cid = c.id
            assert cid is not None
            teams = villages[i].get(cid, [])
            key = (cid, bool(teams), unit_period.due if cid in dated else None)
            if key not in offices_of:
                offices_of[key] = expected_offices(as_of_due(units.get(cid, []), key[2]), bool(teams))
            unit_states = office_states(offices_of[key], subs[i], cid, unit_period, now, c.reporting_start, kinds)
            village_states = []
            for n, bucket in teams:  # villages with no log, and with a first log by / after the deadline
                key = (bucket, c.reporting_start) if bucket == log_rollup.NO_LOG else (bucket, None)  # all it depends on
                if (state := village_kinds.get(key)) is None:
                    state = village_kinds[key] = (
                        submission_state(village_period, now, c.reporting_start, None) if bucket == log_rollup.NO_LOG
                        else sent_state(village_period, now, c.reporting_start, bucket == log_rollup.BY_DUE))
                if state != "not_owed":
                    village_states += [state] * n
            period_tasks, done = tasks[i]
            facts[cid] = Facts(unit_states=unit_states, village_states=village_states, tasks=period_tasks.get(cid, []),
                               done_tasks=done.get(cid, set()), activities=dict(activities.get(cid, {})),
                               activities_previous=dict(previous.get(cid, {})))
        out.append(facts)
    return out
