"""Who has reported for a period, village activity totals, and unit reports: one query module for
the CLI (`cdsbot status`) and the lead office's chat commands."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import SUBMITTED, Period, Status, classify
from storage.models import (
    ActivityLog,
    Commune,
    Indicator,
    IndicatorUnit,
    Person,
    PersonPost,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
    TaskUnit,
    Unit,
)
from storage.no_unit import no_unit_items
from storage.people import held_at, staff
from storage.unit_groups import expand_units, pick_members
from storage.units import existed_by, existing

__all__ = ["Listed", "UnitState", "activity_totals", "expected_units", "expected_units_by_commune", "listed_of", "province_status",
           "status_data", "stream_states", "submission_state", "submissions_by_commune", "tally", "unit_reports",
           "village_firsts"]


async def activity_totals(session: AsyncSession, commune_id: int, period: Period
                          ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    rows = (await session.exec(
        select(Unit.name, ActivityLog.activity, func.sum(ActivityLog.count))
        .join(Unit, Unit.id == ActivityLog.unit_id)
        .where(ActivityLog.commune_id == commune_id, ActivityLog.on_date >= period.start,
               ActivityLog.on_date <= period.end)
        .group_by(Unit.name, ActivityLog.activity)
        .order_by(ActivityLog.activity, Unit.name))).all()  # the same order on every backend
    total: dict[str, int] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for unit, activity, n in rows:
        total[activity] = total.get(activity, 0) + int(n)
        by_unit.setdefault(unit, {})[activity] = int(n)
    return total, by_unit


async def expected_units(session: AsyncSession, commune_id: int, kind: str, due: datetime | None) -> list[Unit]:
    """Units expected to report for a period due at ``due``: offices owing a plan item (chairing it, or one
    of a group chairing it: ``storage.unit_groups``) or, before any plan names chairs, that had officers then
    (``storage.people.staff``: an office whose first officer came in January owes nothing of December); all
    villages; of the units that existed then (``storage.units.existed_by``: one added in January owes nothing
    of a December already due; None, or a period not yet due: today's tree and people).

    A unit report answers the plan's items, so once a plan names who chairs what an office chairing none
    owes none: neither the lead office (it reports through its own streams) nor a partner only ("Cơ quan
    thực hiện/phối hợp": seed 001's Phòng Kinh tế and Công an xã, whose plan has the Party committees, UBND
    xã and UBMTTQ xã report, §7); it may still send one. Before any plan item exists every staffed office is
    asked, the lead's included."""
    return (await expected_units_by_commune(session, [commune_id], kind, due))[commune_id]


async def expected_units_by_commune(session: AsyncSession, commune_ids: Sequence[int], kind: str,
                                    due: datetime | None) -> dict[int, list[Unit]]:
    """``expected_units`` of several communes in five statements, whatever their number (a sweep)."""
    ids = sorted(set(commune_ids))
    out: dict[int, list[Unit]] = {c: [] for c in ids}
    if not ids:
        return out
    every = (await session.exec(select(Unit).where(col(Unit.commune_id).in_(ids), existing(due))
                                .order_by(Unit.name))).all()
    if kind == "village":
        for u in every:
            if u.kind == "village":
                out[u.commune_id].append(u)
        return out
    chairs: dict[int, set[int]] = {c: set() for c in ids}
    for cid, uid in (await session.exec(select(Unit.commune_id, TaskUnit.unit_id).join(
            Unit, Unit.id == TaskUnit.unit_id).where(col(Unit.commune_id).in_(ids), TaskUnit.role == "lead",
                                                     existing(due)))).all():
        chairs[cid].add(uid)
    for cid, uid in (await session.exec(select(Unit.commune_id, IndicatorUnit.unit_id).join(
            Unit, Unit.id == IndicatorUnit.unit_id).where(col(Unit.commune_id).in_(ids), existing(due)))).all():
        chairs[cid].add(uid)
    on = staff(due, ids, ("officer", "lead", "admin"))  # who was there when it was due
    people = (await session.exec(select(on.c.commune_id, on.c.unit_id, on.c.role))).all()
    by_commune: dict[int, list[Unit]] = {c: [] for c in ids}
    for u in every:
        if u.kind != "group":
            by_commune[u.commune_id].append(u)
    groups = {u.id: u for u in every if u.kind == "group" and u.members is not None}
    planned = {cid for cid in ids if chairs[cid]}  # communes whose plans name who chairs what
    leads: dict[int, set[int]] = {c: set() for c in ids}  # (by commune first: a scan of all per commune grew as n²)
    staffed: dict[int, set[int]] = {c: set() for c in ids}
    for cid, uid, role in people:
        if role in ("lead", "admin"):
            leads[cid].add(uid)
        if role in ("officer", "lead") and cid not in planned:
            staffed[cid].add(uid)
    for cid in ids:  # "Các phòng, ban chuyên môn…" = every office (storage.unit_groups.expand_units)
        for gid in chairs[cid] & groups.keys():
            chairs[cid].discard(gid)
            chairs[cid] |= {m.id for m in pick_members(by_commune[cid], groups[gid].members or "", leads[cid])}
    for cid in ids:  # once the plans name chairs, only the offices owing an item owe one (``expected_units``)
        out[cid] = [u for u in by_commune[cid] if u.kind == kind and (u.id in chairs[cid] or u.id in staffed[cid])]
    return out


async def village_firsts(session: AsyncSession, commune_id: int, period: Period) -> dict[int, datetime]:
    """unit id → first activity log moment in the period, for every village that logged."""
    rows = (await session.exec(
        select(ActivityLog.unit_id, func.min(ActivityLog.created_at))
        .where(ActivityLog.commune_id == commune_id, ActivityLog.on_date >= period.start,
               ActivityLog.on_date <= period.end)
        .group_by(ActivityLog.unit_id))).all()
    return dict(rows)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnitState:
    """Where one unit stands for one period (``state`` from ``storage.calendar.calendar.classify``)."""

    unit_id: int
    name: str
    state: Status
    submitted_at: datetime | None = None
    review: str | None = None  # submitted | accepted | returned (unit reports only)
    comment: str | None = None  # the lead office's comment when returned
    unlisted: bool = False  # nobody of the unit is on the org list (a name only the plan used): nobody to remind


async def _submissions(session: AsyncSession, commune_id: int, period: Period
                       ) -> dict[int, tuple[datetime, str | None, str | None]]:
    """unit id → (submission moment, review status, review comment) for the period."""
    return (await submissions_by_commune(session, [commune_id], period))[commune_id]


async def submissions_by_commune(session: AsyncSession, commune_ids: Sequence[int], period: Period
                                 ) -> dict[int, dict[int, tuple[datetime, str | None, str | None]]]:
    """``_submissions`` of several communes for the same period (stream name and key; a village period's dates),
    in one statement whatever their number (a sweep)."""
    ids = sorted(set(commune_ids))
    out: dict[int, dict[int, tuple[datetime, str | None, str | None]]] = {c: {} for c in ids}
    if not ids:
        return out
    if period.stream.kind == "village_activity":
        for cid, uid, at in (await session.exec(
                select(ActivityLog.commune_id, ActivityLog.unit_id, func.min(ActivityLog.created_at))
                .where(col(ActivityLog.commune_id).in_(ids), ActivityLog.on_date >= period.start,
                       ActivityLog.on_date <= period.end)
                .group_by(ActivityLog.commune_id, ActivityLog.unit_id))).all():
            out[cid][uid] = (at, None, None)  # type: ignore[assignment]
        return out
    for cid, uid, at, status, comment in (await session.exec(
            select(ReportingPeriod.commune_id, Report.unit_id, Report.submitted_at, Report.status,
                   Report.review_comment).join(ReportingPeriod).where(
                col(ReportingPeriod.commune_id).in_(ids), ReportingPeriod.stream == period.stream.name,
                ReportingPeriod.key == period.key))).all():
        out[cid][uid] = (at, status, comment)
    return out


def submission_state(period: Period, now: datetime, start: Any,
                     sub: tuple[datetime, str | None, str | None] | None) -> Status:
    """A unit's state from its submission row, or None (the only place a state is derived from data)."""
    at, review, _comment = sub if sub else (None, None, None)
    return classify(period, at, now, returned=review == "returned", start=start)


def unit_state(unit_id: int, name: str, period: Period, now: datetime, start: Any,
               sub: tuple[datetime, str | None, str | None] | None) -> UnitState:
    """One unit's state with its submission (``submission_state``)."""
    at, review, comment = sub if sub else (None, None, None)
    return UnitState(unit_id, name, submission_state(period, now, start, sub), at, review,
                     comment if review == "returned" else None)


# Streams whose report is the commune's own (the lead office's compiled and steering reports): sent once,
# by any unit whose people hold the lead role, it is sent for all of them.
COMMUNE_REPORTS = ("lead_report", "steering_report")


async def stream_states(session: AsyncSession, commune: Commune, period: Period, now: datetime,
                        units: list[Unit], subs: dict[int, tuple[datetime, str | None, str | None]] | None = None,
                        listed: Listed | None = None) -> list[UnitState]:
    """The state of each of ``units`` for ``period``: the one computation behind /tinhtrang,
    /hanbaocao, `cdsbot status`, the dashboard, the exports, reminder sweeps and digests. A unit added after
    the period was due owes nothing of it (not_owed, unless it sent one: ``storage.units.existed_by``).
    A sweep passes the commune's submissions (``subs``) and who was listed (``listed``) read for all communes."""
    if subs is None:
        subs = await _submissions(session, commune.id, period)  # type: ignore[arg-type]
    if period.stream.kind in COMMUNE_REPORTS and subs:  # the commune's one report, whichever lead unit sent it
        first = min(subs.values(), key=lambda sub: sub[0])
        subs = {u.id: subs.get(u.id, first) for u in units}  # type: ignore[misc]
    states = [unit_state(u.id, u.name, period, now, commune.reporting_start, subs.get(u.id))  # type: ignore[arg-type]
              if u.id in subs or existed_by(u, period.due) else UnitState(u.id, u.name, "not_owed")  # type: ignore[arg-type]
              for u in units]
    owing = [st.unit_id for st in states if st.state in ("pending", "missing")]  # only they can be "unlisted"
    as_of = period.due if period.due <= now else None
    found = (await listed(owing, as_of) if listed else await _listed(session, commune.id, owing, as_of)) \
        if owing else set()  # type: ignore[arg-type]
    return [dataclasses.replace(st, unlisted=True) if st.unit_id in owing and st.unit_id not in found else st
            for st in states]


Listed = Callable[[list[int], datetime | None], Awaitable[set[int]]]  # (owing unit ids, as of) -> those listed


def listed_of(people: Iterable[Any], posts: Iterable[Any] | None, unit_ids: Iterable[int],
              as_of: datetime | None) -> set[int]:
    """The one rule of ``_listed`` on rows already read: ``people`` (unit_id, joined_at, left_at, anonymised_at:
    current posts, joined or not) and ``posts`` (unit_id, since, until: posts held earlier by people who moved
    since; read only for a closed period, None otherwise). Which of ``unit_ids`` had somebody then."""
    wanted = set(unit_ids)
    listed = {uid for uid, since, until, gone in people
              if uid in wanted and held_at(since, until, as_of) and not (gone is not None and (until is None or as_of is None))}
    if as_of is not None and posts is not None:
        listed |= {uid for uid, since, until in posts if uid in wanted and held_at(since, until, as_of)}
    return listed


async def _listed(session: AsyncSession, commune_id: int, unit_ids: list[int], as_of: datetime | None) -> set[int]:
    """Which of the units had somebody on the org list (a person, joined or not) when the period was due
    (``storage.people.staff``; None: today): who joins later leaves a closed period's "nobody listed" as it was."""
    if not unit_ids:
        return set()
    people = (await session.exec(select(  # current posts (two plain statements: this runs per period)
        Person.unit_id, Person.joined_at, Person.left_at, Person.anonymised_at).where(
        Person.commune_id == commune_id, col(Person.unit_id).in_(unit_ids)))).all()
    listed = listed_of(people, None, unit_ids, as_of)
    rest = [uid for uid in unit_ids if uid not in listed]
    if rest and as_of is not None:  # posts held then by people who moved since
        listed |= listed_of((), (await session.exec(select(PersonPost.unit_id, PersonPost.since, PersonPost.until)
                                                    .where(col(PersonPost.unit_id).in_(rest)))).all(), rest, as_of)
    return listed


def tally(states: list[UnitState]) -> dict[str, Any]:
    """Counts for a stream: expected (owed or sent), submitted (= on time + late), returned, missing
    (not sent yet: pending or overdue), accepted (among the submitted); ``unlisted``: the missing units with
    nobody on the org list (still counted as not reported — the unit owes the report — but nobody can be
    reminded: the lead office should add a person)."""
    counted = [s for s in states if s.state != "not_owed"]
    by = {k: [s.name for s in counted if s.state == k] for k in ("on_time", "late", "returned")}
    missing = [s for s in counted if s.state in ("pending", "missing")]
    return {"expected": len(counted), "submitted": len(by["on_time"]) + len(by["late"]),
            "on_time": len(by["on_time"]), "late": len(by["late"]), "returned": by["returned"],
            "accepted": sum(s.state in SUBMITTED and s.review == "accepted" for s in counted),
            "missing": [s.name for s in missing], "unlisted": [s.name for s in missing if s.unlisted],
            "units": [{"name": s.name, "state": s.state, "review": s.review, "comment": s.comment}
                      for s in counted]}


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
    units: dict[int, str | None] = {}  # an indicator's unit of measure ("%"), shown with its value
    if task_ids:
        for tid, code, title in (await session.exec(select(Task.id, Task.code, Task.title).where(
                Task.id.in_(task_ids)))).all():  # type: ignore[union-attr]
            titles[("task", tid)] = (code, title or "")
    if ind_ids:
        for iid, code, name, unit in (await session.exec(select(
                Indicator.id, Indicator.code, Indicator.name, Indicator.unit).where(
                Indicator.id.in_(ind_ids)))).all():  # type: ignore[union-attr]
            titles[("indicator", iid)] = (code, name or "")
            units[iid] = unit
    out = []
    for report, unit, person in rows:
        items = by_report.get(report.id, [])  # type: ignore[arg-type]
        out.append({
            "unit": unit.name,
            "person": person.name if person and person.anonymised_at is None else None,
            "submitted_at": report.submitted_at.isoformat(),
            "late": report.late,
            "status": report.status,
            "review_comment": report.review_comment,
            "revision": report.revision,
            "difficulties": report.difficulties,
            "proposals": report.proposals,
            "items": [{"kind": it.kind, "code": titles.get((it.kind, it.ref_id), ("?", ""))[0],
                       "title": titles.get((it.kind, it.ref_id), ("?", ""))[1], "status": it.status,
                       "value": float(it.value_num) if it.value_num is not None else None,
                       "achieved": it.value_bool, "note": it.note,
                       "unit": units.get(it.ref_id) if it.kind != "task" else None} for it in items],
        })
    return out


async def status_data(session: AsyncSession, commune: Commune, unit_period: Period, village_period: Period,
                      now: datetime) -> dict[str, Any]:
    total, by_unit = await activity_totals(session, commune.id, village_period)  # type: ignore[arg-type]
    reports = await unit_reports(session, commune.id, unit_period)  # type: ignore[arg-type]
    streams = []
    for period, kind in ((unit_period, "office"), (village_period, "village")):
        units = await expected_units(session, commune.id, kind, period.due)  # type: ignore[arg-type]
        states = await stream_states(session, commune, period, now, units)
        if kind == "office":
            by_name = {st.name: st.state for st in states}
            for r in reports:  # a report from a unit no longer expected keeps its own verdict
                r["state"] = by_name.get(r["unit"]) or classify(
                    period, datetime.fromisoformat(r["submitted_at"]), now, returned=r["status"] == "returned")
                r["late"] = r["state"] == "late"
        counts = tally(states)
        streams.append({"name": period.stream.name, "period": period.key, "label": period.label_vi,
                        "due": period.due.isoformat()} | counts)
    return {
        "commune": commune.name,
        "reporting_start": commune.reporting_start.isoformat() if commune.reporting_start else None,
        "period": {"key": unit_period.key, "start": unit_period.start.isoformat(),
                   "end": unit_period.end.isoformat(), "due": unit_period.due.isoformat()},
        "activities": {"total": total, "by_unit": by_unit},
        "reports": reports,
        "streams": streams,
        # plan items no unit can report (as the tree stood at the units' deadline): not owed by anyone
        "no_unit": [i.as_dict() for i in await no_unit_items(session, [commune.id], unit_period.due)],  # type: ignore[list-item]
    }


async def province_status(session: AsyncSession, unit_period: Period, village_period: Period,
                          now: datetime) -> list[dict[str, Any]]:
    """Per commune: the two streams' expected/submitted/on-time/late/missing and the activity totals,
    for the whole province in eight queries."""
    communes = (await session.exec(select(Commune.id, Commune.name, Commune.reporting_start)
                                   .order_by(Commune.name))).all()
    units = (await session.exec(select(Unit.id, Unit.commune_id, Unit.name, Unit.kind, Unit.created_at).where(
        Unit.kind.in_(("office", "village"))).order_by(Unit.name))).all()  # type: ignore[attr-defined]
    chairs = set((await session.exec(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"))).all())
    chairs |= set((await session.exec(select(IndicatorUnit.unit_id))).all())
    planned = set((await session.exec(select(Unit.commune_id).where(  # communes whose plans name chairs
        col(Unit.id).in_(select(TaskUnit.unit_id).where(TaskUnit.role == "lead"))
        | col(Unit.id).in_(select(IndicatorUnit.unit_id))).distinct())).all())
    chairs = await expand_units(session, chairs, unit_period.due)  # (the groups' members as they stood then)
    on = staff(unit_period.due, roles=("officer", "lead"))  # who was there when it was due
    staffed = set((await session.exec(select(on.c.unit_id).distinct())).all())
    reports = {u: (at, status, None) for u, at, status in (await session.exec(
        select(Report.unit_id, Report.submitted_at, Report.status).join(ReportingPeriod).where(
            ReportingPeriod.stream == unit_period.stream.name, ReportingPeriod.key == unit_period.key))).all()}
    firsts = {u: (at, None, None) for u, at in (await session.exec(
        select(ActivityLog.unit_id, func.min(ActivityLog.created_at)).where(
            ActivityLog.on_date >= village_period.start, ActivityLog.on_date <= village_period.end)
        .group_by(ActivityLog.unit_id))).all()}
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
    for cid, name, start in communes:
        streams = []
        for period, kind, subs in ((unit_period, "office", reports), (village_period, "village", firsts)):
            expected = [u for u in by_commune.get(cid, []) if u.kind == kind and existed_by(u, period.due) and (
                kind == "village" or u.id in chairs or (cid not in planned and u.id in staffed))]  # (as expected_units)
            counts = tally([unit_state(u.id, u.name, period, now, start, subs.get(u.id))  # type: ignore[arg-type]
                            for u in expected])
            counts.pop("units")
            counts.pop("unlisted")
            streams.append({"name": period.stream.name, "period": period.key} | counts)
        out.append({"commune": name, "streams": streams, "activities": totals.get(cid, {})})
    return out
