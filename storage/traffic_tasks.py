"""The province view's plan tasks: which can count for each period and which are done (``storage.traffic_facts`` reads them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, literal, null, union_all
from sqlmodel import col, select

from storage.among import among
from storage.built import ids_key, kept, periods_key
from storage.calendar.calendar import Period
from storage.deadlines import SOON_DAYS
from storage.item_standing import Answer, ItemMeta, combine, owed_of
from storage.models import Plan, Report, ReportingPeriod, ReportItem, Task, TaskUnit
from storage.traffic_states import ViewUnit, as_of_due, dated_communes

__all__ = ["Found", "tasks_done", "tasks_of"]

_CHAIR = "(chair)"  # a row of the statement naming a unit that chairs the task, not an answer
Found = dict[tuple[int, int], tuple[date, list[tuple[str, date, int, str]]]]  # (commune, task) → due, answers
Run = Callable[[Any], Awaitable[Any]]


def _statement(ids: list[int], unit_periods: Sequence[Period]) -> Any:
    last = max(p.end for p in unit_periods)
    can_count = col(Task.due_date) <= last + timedelta(days=SOON_DAYS)  # the rule's as-of ≤ end; per period below
    answers = (select(ReportingPeriod.commune_id, ReportingPeriod.stream, ReportingPeriod.start, ReportingPeriod.end,
                      Report.submitted_at, Report.unit_id, ReportItem.id, ReportItem.ref_id, ReportItem.status)
               .join(Report, Report.id == ReportItem.report_id)
               .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
               .join(Task, Task.id == ReportItem.ref_id)
               .where(among(ReportingPeriod.commune_id, ids),
                      col(ReportingPeriod.stream).in_(sorted({p.stream.name for p in unit_periods})),
                      ReportingPeriod.end <= last, ReportItem.kind == "task", can_count).subquery())
    tasks = (select(Task.id.label("tid"), Task.due_date.label("due"), Plan.commune_id.label("cid"),  # type: ignore[union-attr]
                    answers.c.stream, answers.c.end, answers.c.unit_id, answers.c.status, answers.c.start,
                    answers.c.submitted_at, answers.c.id.label("item"))
             .join(Plan, Plan.id == Task.plan_id)
             .outerjoin(answers, and_(answers.c.ref_id == Task.id, answers.c.commune_id == Plan.commune_id))
             .where(among(Plan.commune_id, ids), can_count))
    chairing = (select(TaskUnit.task_id, null(), null(), null(), null(), TaskUnit.unit_id, literal(_CHAIR), null(),
                       null(), null())
                .join(Task, Task.id == TaskUnit.task_id).join(Plan, Plan.id == Task.plan_id)
                .where(among(Plan.commune_id, ids), TaskUnit.role == "lead", can_count))
    both = union_all(tasks, chairing).subquery()
    return (select(both.c.tid, both.c.due, both.c.cid, both.c.stream, both.c.end, both.c.unit_id, both.c.status)
            .order_by(both.c.cid, both.c.tid, both.c.start.desc(), both.c.submitted_at.desc(), both.c.item))


async def tasks_of(run: Run, ids: list[int], unit_periods: Sequence[Period]) -> tuple[Found, dict[int, list[int]]]:
    """In one statement: (commune id, task id) → the task's last allowed day and its answers in the unit
    stream, latest first (stream, period end, unit id, status), for the tasks that can count for one of
    ``unit_periods``; and task id → the units chairing it (``tasks_done`` applies the rule)."""
    stmt = kept(("tasks", ids_key(ids), periods_key(unit_periods)), lambda: _statement(ids, unit_periods))
    found: Found = {}
    chairs: dict[int, list[int]] = {}
    for tid, due, cid, stream, end, uid, status in (await run(stmt)).all():
        if status == _CHAIR and cid is None:
            chairs.setdefault(tid, []).append(uid)
            continue
        mine = found.setdefault((cid, tid), (due, []))[1]
        if end is not None:
            mine.append((stream, end, uid, status))
    return found, chairs


def tasks_done(found: Found, chairs: dict[int, list[int]], units: dict[int, list[ViewUnit]],
               unit_periods: Sequence[Period]) -> list[tuple[dict[int, list[tuple[int, date | None]]], dict[int, set[int]]]]:
    """For each of ``unit_periods``: commune id → its plan tasks that can count for the period (id, last
    allowed day), and → those done by the one rule (``storage.item_standing.combine``, as
    ``storage.traffic.latest_items``) on each unit's latest answer in its stream ending by the period's end.
    The rule is applied once per task and set of latest answers (periods with the same answers share it)."""
    dated = dated_communes(units)
    metas: dict[tuple[int, Any], ItemMeta] = {}  # (task, the period's due if the commune has dated units)
    judged: dict[tuple[int, Any, tuple[tuple[int, str], ...]], bool] = {}
    out: list[tuple[dict[int, list[tuple[int, date | None]]], dict[int, set[int]]]] = []
    for period in unit_periods:
        tasks: dict[int, list[tuple[int, date | None]]] = {}
        done: dict[int, set[int]] = {}
        up_to, name, end_by = period.end + timedelta(days=SOON_DAYS), period.stream.name, period.end
        for (cid, tid), (due, said) in found.items():
            if due > up_to:
                continue
            tasks.setdefault(cid, []).append((tid, due))
            if not said:  # no answer: no standing, not done
                continue
            latest: dict[int, str] = {}
            for stream, end, uid, status in said:
                if stream == name and end <= end_by and uid not in latest:
                    latest[uid] = status
            if not latest:
                continue
            as_of = period.due if cid in dated else None
            key = (tid, as_of, tuple(latest.items()))
            if (is_done := judged.get(key)) is None:
                if (meta := metas.get((tid, as_of))) is None:  # the units owing it as the tree stood at the due
                    mine = as_of_due(units.get(cid, []), as_of)
                    meta = metas[(tid, as_of)] = ItemMeta(owed_of(chairs.get(tid, []), mine,
                                                                  [u.id for u in mine if u.lead_or_admin]))
                hit = combine("task", meta, {uid: (Answer(status), "") for uid, status in latest.items()})
                is_done = judged[key] = hit is not None and hit.item.status == "done"
            if is_done:
                done.setdefault(cid, set()).add(tid)
        out.append((tasks, done))
    return out
