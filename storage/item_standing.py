"""Where a plan item stands across the units that owe it: each unit's latest answer, combined by one rule.

An item with one owner stands as its latest answer. An item owed by several units (a group such as "Các cơ
quan, đơn vị", expanded as the reports are asked, or several named units) is answered by each of them: a
task is done only when every unit owing it last said done, else it shows the least advanced answer (units
that never answered count as not done); an indicator stands as its worst-off unit's answer (assessed by
``storage.indicator_status``), with who that is and how many units answered. An item owed by several units
that none of them has answered stands nowhere yet but is still counted: 0 of them answered, all missing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Integer, String, case, cast, func, literal, null, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import Period
from storage.indicator_status import worst_first
from storage.models import (
    Indicator,
    IndicatorUnit,
    Plan,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
    TaskUnit,
    Unit,
)
from storage.people import staff
from storage.unit_groups import pick_members
from storage.units import existing

__all__ = ["TASK_ORDER", "Answer", "ItemMeta", "Standing", "answers_by_unit", "combine", "item_meta",
           "item_codes", "item_standings", "items_added_by_commune", "new_items", "new_items_by_unit", "owed_keys", "owed_of",
           "standings", "unanswered"]

TASK_ORDER = ("blocked", "not_started", "in_progress", "done")  # least advanced first
Run = Callable[[Any], Awaitable[Any]]  # runs a select on a Core connection: its result
Key = tuple[str, int]  # (kind, ref id)


class Answer(NamedTuple):
    """An answer standing for a group's item when no single unit's does (some done, not all)."""

    status: str | None
    note: str | None = None
    value_num: Any = None
    value_bool: bool | None = None


@dataclass(frozen=True)
class ItemMeta:
    """What the rule reads of a plan item: the units owing it (id, name) and, for an indicator, how its
    answers compare."""

    owed: tuple[tuple[int, str], ...]
    answer_kind: str | None = None
    target_op: str | None = None
    target_bool: bool | None = None


@dataclass
class Standing:
    """An item's standing: the answer it shows (a row with status, note, value_num, value_bool; None when
    no unit owing it has answered) and that answer's period key; for an item owed by several units, how
    many owe it, answered and (tasks) said done, whose answer it shows (indicators: the worst-off unit),
    who never answered, and each answering unit's own answer (name, row)."""

    item: Any
    key: str | None
    owed: int = 1
    answered: int = 1
    done: int = 0
    unit: str | None = None
    missing: tuple[str, ...] = ()
    said: tuple[tuple[str, Any], ...] = ()

    @property
    def shared(self) -> bool:
        """Owed by several units (the figures above are then worth showing)."""
        return self.owed > 1


def _task_rank(status: str | None) -> int:
    return TASK_ORDER.index(status) if status in TASK_ORDER else 0


def combine(kind: str, meta: ItemMeta | None, answers: dict[int, tuple[Any, str]]) -> Standing | None:
    """The one rule: ``answers`` is unit id → (its latest answer, period key), latest first. None when
    no unit owing the item has answered."""
    if not answers:
        return None
    owed = dict(meta.owed) if meta is not None else {}
    if len(owed) <= 1:  # one owner: its latest answer, whoever gave it (as before groups were counted)
        row, key = next(iter(answers.values()))
        return Standing(row, key, done=int(kind == "task" and row.status == "done"))
    mine = {uid: a for uid, a in answers.items() if uid in owed}
    if not mine:
        return None
    missing = tuple(name for uid, name in owed.items() if uid not in mine)
    said = tuple((name, mine[uid][0]) for uid, name in owed.items() if uid in mine)
    if kind == "task":
        done = sum(row.status == "done" for row, _key in mine.values())
        uid, (row, key) = min(mine.items(), key=lambda kv: _task_rank(kv[1][0].status))
        if done < len(owed) and row.status == "done":  # those who answered are done, others never answered
            row = Answer("in_progress")
        return Standing(row, key, len(owed), len(mine), done, owed[uid], missing, said)
    assert meta is not None
    uid, (row, key) = min(mine.items(), key=lambda kv: worst_first(meta.answer_kind, meta.target_op,
                                                                     meta.target_bool, kv[1][0]))
    return Standing(row, key, len(owed), len(mine), 0, owed[uid], missing, said)


def unanswered(meta: ItemMeta | None) -> Standing | None:
    """An item owed by several units that none of them has answered: no answer, 0 of them answered or done,
    all of them missing (shown "0/5 đơn vị hoàn thành" like the answered ones); None for one owner."""
    if meta is None or len(meta.owed) <= 1:
        return None
    return Standing(None, None, len(meta.owed), 0, 0, None, tuple(name for _uid, name in meta.owed))


def owed_of(owners: Iterable[int], units: Sequence[Any], leads: Iterable[int | None]) -> tuple[tuple[int, str], ...]:
    """The units owing an item chaired by ``owners`` (ids among one commune's ``units``, rows with id, name,
    kind, members, from_plan): groups expanded as the reports are asked (``storage.unit_groups``); village
    teams file no unit report, so they never owe one."""
    by_id = {u.id: u for u in units}
    real = [u for u in units if u.kind != "group"]
    out: dict[int, str] = {}
    for oid in owners:
        u = by_id.get(oid)
        if u is None:
            continue
        members = pick_members(real, u.members, set(leads)) if u.kind == "group" and u.members else [u]
        out |= {m.id: m.name for m in members if m.kind not in ("village", "group")}
    return tuple(sorted(out.items(), key=lambda x: x[1]))


class _UnitRow(NamedTuple):
    id: int
    name: str
    kind: str
    members: str | None
    from_plan: bool


async def item_meta(run: Run, commune_ids: Sequence[int], due: datetime | None = None) -> dict[Key, ItemMeta]:
    """(kind, ref id) → ``ItemMeta`` for every task and indicator of the communes, in one statement: the
    units chairing each item (``which`` 0) and the communes' units with whether a lead belongs to them (1).
    ``due``: the units owing it as the tree stood then, a period's deadline (``storage.units.existed_by``: an
    office added in January is not one of December's "Các cơ quan, đơn vị"), the lead's office as its people
    stood then (``storage.people.staff``); None: today's tree and people."""
    ids = list(commune_ids)
    on = staff(due, ids, ("lead", "admin"))  # the lead's office as it was then (``storage.people.staff``)
    leads = select(on.c.unit_id)
    rows = (await run(union_all(
        select(literal(0).label("which"), literal("task").label("kind"), TaskUnit.task_id.label("ref"),  # type: ignore[attr-defined]
               TaskUnit.unit_id, Plan.commune_id, cast(null(), String).label("text1"),
               cast(null(), String).label("text2"), cast(null(), Boolean).label("flag"), cast(null(), Integer).label("lead"))
        .join(Task, Task.id == TaskUnit.task_id).join(Plan, Plan.id == Task.plan_id)
        .where(col(Plan.commune_id).in_(ids), TaskUnit.role == "lead"),
        select(literal(0), literal("indicator"), IndicatorUnit.indicator_id, IndicatorUnit.unit_id, Plan.commune_id,
               Indicator.answer_kind, Indicator.target_op, Indicator.target_bool, cast(null(), Integer))
        .join(Indicator, Indicator.id == IndicatorUnit.indicator_id).join(Plan, Plan.id == Indicator.plan_id)
        .where(col(Plan.commune_id).in_(ids)),
        select(literal(1), Unit.kind, Unit.id, cast(null(), Integer), Unit.commune_id, Unit.name, Unit.members, Unit.from_plan,
               case((col(Unit.id).in_(leads), 1), else_=0))
        .where(col(Unit.commune_id).in_(ids), Unit.kind != "village", existing(due))))).all()
    of_commune: dict[int, list[_UnitRow]] = {}
    leads_of: dict[int, set[int | None]] = {}
    chairs: dict[Key, tuple[int, list[int], Any]] = {}
    for which, kind, ref, uid, cid, text1, text2, flag, lead in rows:
        if which == 1:
            of_commune.setdefault(cid, []).append(_UnitRow(ref, text1, kind, text2, bool(flag)))
            if lead:
                leads_of.setdefault(cid, set()).add(ref)
        else:
            chairs.setdefault((kind, ref), (cid, [], (text1, text2, flag)))[1].append(uid)
    return {key: ItemMeta(owed_of(oids, of_commune.get(cid, []), leads_of.get(cid, set())), *r)
            for key, (cid, oids, r) in chairs.items()}


async def answers_by_unit(run: Run, commune_ids: Sequence[int], period: Period
                          ) -> dict[Key, dict[int, tuple[Any, str]]]:
    """(kind, ref id) → unit id → its latest answer in the unit stream up to ``period`` (latest period,
    then latest submission, then the first item) with its period key, latest first: one statement,
    the choice made in SQL (plain rows: tens of thousands at province scale)."""
    rank = func.row_number().over(
        partition_by=(ReportItem.kind, ReportItem.ref_id, Report.unit_id),
        order_by=(col(ReportingPeriod.start).desc(), col(Report.submitted_at).desc(), col(ReportItem.id)))
    ranked = (select(ReportItem.kind, ReportItem.ref_id, Report.unit_id, ReportingPeriod.key, ReportingPeriod.start,
                     Report.submitted_at, ReportItem.id, ReportItem.status, ReportItem.note, ReportItem.value_num,
                     ReportItem.value_bool, rank.label("rank"))
              .join(Report, Report.id == ReportItem.report_id)
              .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
              .where(col(ReportingPeriod.commune_id).in_(list(commune_ids)),
                     ReportingPeriod.stream == period.stream.name, ReportingPeriod.end <= period.end).subquery())
    rows = (await run(select(ranked).where(ranked.c.rank == 1)
                      .order_by(ranked.c.start.desc(), ranked.c.submitted_at.desc(), ranked.c.id))).all()
    out: dict[Key, dict[int, tuple[Any, str]]] = {}
    for r in rows:
        out.setdefault((r.kind, r.ref_id), {})[r.unit_id] = (r, r.key)
    return out


async def standings(session: AsyncSession, commune_ids: Sequence[int], period: Period) -> dict[Key, Standing]:
    """(kind, ref id) → ``Standing`` of every answered task and indicator of the communes up to ``period``
    (the unit stream): the one source of every view's task progress and indicator figure. Two statements."""
    if not commune_ids:
        return {}
    conn = await session.connection()
    answers = await answers_by_unit(conn.execute, commune_ids, period)
    meta = await item_meta(conn.execute, commune_ids, period.due) if answers else {}
    return _combined(answers, meta)


async def item_standings(session: AsyncSession, commune_ids: Sequence[int], period: Period
                         ) -> tuple[dict[Key, Standing], dict[Key, ItemMeta]]:
    """``standings`` and every item's ``ItemMeta`` (who owes it): for a view that also shows the items nobody
    answered (``unanswered``) or lists one unit's items. Two statements."""
    if not commune_ids:
        return {}, {}
    conn = await session.connection()
    answers = await answers_by_unit(conn.execute, commune_ids, period)
    meta = await item_meta(conn.execute, commune_ids, period.due)
    return _combined(answers, meta), meta


def _combined(answers: dict[Key, dict[int, tuple[Any, str]]], meta: dict[Key, ItemMeta]) -> dict[Key, Standing]:
    out: dict[Key, Standing] = {}
    for key, said in answers.items():
        if (hit := combine(key[0], meta.get(key), said)) is not None:
            out[key] = hit
    return out


async def owed_keys(session: AsyncSession, unit: Unit) -> set[Key]:
    """(kind, id) of every task and indicator ``unit`` owes: its own and its groups' (``owed_of``, today's tree)
    and any it chairs by name (a village's, which no group count asks of it)."""
    conn = await session.connection()
    owed = {key for key, meta in (await item_meta(conn.execute, [unit.commune_id])).items()
            if any(uid == unit.id for uid, _name in meta.owed)}
    owed |= {("task", t) for t in (await session.exec(select(TaskUnit.task_id).where(
        TaskUnit.unit_id == unit.id, TaskUnit.role == "lead"))).all()}
    owed |= {("indicator", i) for i in (await session.exec(select(IndicatorUnit.indicator_id).where(
        IndicatorUnit.unit_id == unit.id))).all()}
    return owed


async def new_items(session: AsyncSession, unit: Unit, period: Period, report: Report | None) -> set[Key]:
    """The items ``unit`` owes that a re-import added after it sent ``report`` (its report for ``period``; None:
    none sent, nothing is "new") and by the period's deadline, that the report does not answer: the office is
    asked for these once more, for them alone (/baocao lists only them, reminders name them)."""
    if report is None:
        return set()
    owed = await owed_keys(session, unit)
    answered = set((await session.exec(select(ReportItem.kind, ReportItem.ref_id).where(
        ReportItem.report_id == report.id))).all())
    out: set[Key] = set()
    for kind, model in (("task", Task), ("indicator", Indicator)):
        ids = [ref for k, ref in owed if k == kind and (k, ref) not in answered]
        if ids:
            out |= {(kind, ref) for ref in (await session.exec(select(model.id).where(  # type: ignore[attr-defined]
                col(model.id).in_(ids), col(model.created_at).is_not(None),  # type: ignore[attr-defined]
                col(model.created_at) > report.submitted_at, col(model.created_at) <= period.due))).all()}  # type: ignore[attr-defined]
    return out


async def new_items_by_unit(session: AsyncSession, commune_ids: Sequence[int], period: Period
                            ) -> dict[int, dict[int, tuple[str, ...]]]:
    """``new_items`` of every unit of the communes that sent its report for ``period``, as the codes of those
    items (sorted; units with none left out): commune id → unit id → codes. Seven statements whatever the number
    of communes and units (a sweep, once a re-import added items: ``items_added_by_commune``)."""
    ids = sorted(set(commune_ids))
    out: dict[int, dict[int, tuple[str, ...]]] = {c: {} for c in ids}
    if not ids:
        return out
    reports = (await session.exec(select(ReportingPeriod.commune_id, Report.unit_id, Report.id, Report.submitted_at)
                                  .join(ReportingPeriod, ReportingPeriod.id == Report.period_id).where(
        col(ReportingPeriod.commune_id).in_(ids), ReportingPeriod.stream == period.stream.name,
        ReportingPeriod.key == period.key))).all()
    if not reports:
        return out
    conn = await session.connection()
    owes: dict[int, set[Key]] = {}  # unit id → what it owes (``owed_keys``: today's tree, and what it chairs by name)
    for key, meta in (await item_meta(conn.execute, ids)).items():
        for uid, _name in meta.owed:
            owes.setdefault(uid, set()).add(key)
    for uid, ref in (await session.exec(select(TaskUnit.unit_id, TaskUnit.task_id).join(Unit, Unit.id == TaskUnit.unit_id)
                                        .where(col(Unit.commune_id).in_(ids), TaskUnit.role == "lead"))).all():
        owes.setdefault(uid, set()).add(("task", ref))
    for uid, ref in (await session.exec(select(IndicatorUnit.unit_id, IndicatorUnit.indicator_id).join(
            Unit, Unit.id == IndicatorUnit.unit_id).where(col(Unit.commune_id).in_(ids)))).all():
        owes.setdefault(uid, set()).add(("indicator", ref))
    answered: dict[int, set[Key]] = {}
    for rid, kind, ref in (await session.exec(select(ReportItem.report_id, ReportItem.kind, ReportItem.ref_id).where(
            col(ReportItem.report_id).in_([r.id for r in reports])))).all():
        answered.setdefault(rid, set()).add((kind, ref))
    created: dict[Key, tuple[datetime, str]] = {}  # items added by the deadline: (when, code)
    for kind, model in (("task", Task), ("indicator", Indicator)):
        for ref, code, at in (await session.exec(select(model.id, model.code, model.created_at)  # type: ignore[attr-defined]
                                                 .join(Plan, Plan.id == model.plan_id).where(  # type: ignore[attr-defined]
                col(Plan.commune_id).in_(ids), col(model.created_at).is_not(None),  # type: ignore[attr-defined]
                col(model.created_at) <= period.due))).all():  # type: ignore[attr-defined]
            created[(kind, ref)] = (at, code)
    for cid, uid, rid, sent in reports:  # (``new_items``: owed, not answered, added after the report was sent)
        codes = [created[k][1] for k in owes.get(uid, set()) - answered.get(rid, set())
                 if k in created and created[k][0] > sent]
        if codes:
            out[cid][uid] = tuple(sorted(codes))
    return out


async def items_added_by_commune(session: AsyncSession, commune_ids: Sequence[int], due: datetime) -> dict[int, datetime]:
    """commune id → the latest moment by ``due`` a re-import added a task or indicator to its plans (a commune
    whose plans never grew is absent): the plans grew after ``since`` when that moment is later. The sweep's
    one cheap question before it asks ``new_items`` of each office that reported, for all communes at once."""
    ids = sorted(set(commune_ids))
    out: dict[int, datetime] = {}
    if not ids:
        return out
    for model in (Task, Indicator):
        for cid, latest in (await session.exec(select(Plan.commune_id, func.max(model.created_at))  # type: ignore[attr-defined]
                                               .join(Plan, Plan.id == model.plan_id).where(  # type: ignore[attr-defined]
                col(Plan.commune_id).in_(ids), col(model.created_at).is_not(None),  # type: ignore[attr-defined]
                col(model.created_at) <= due).group_by(Plan.commune_id))).all():  # type: ignore[attr-defined]
            if latest is not None and (cid not in out or latest > out[cid]):
                out[cid] = latest
    return out


async def item_codes(session: AsyncSession, keys: Iterable[Key]) -> list[str]:
    """The codes of the (kind, id) items, e.g. to name the new items in a reminder."""
    out: list[str] = []
    keys = list(keys)
    for kind, model in (("task", Task), ("indicator", Indicator)):
        ids = [ref for k, ref in keys if k == kind]
        if ids:
            out += list((await session.exec(select(model.code).where(col(model.id).in_(ids)))).all())  # type: ignore[attr-defined]
    return out
