"""Save a ParsedPlan into the database (update in place on re-import) and read plans back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Commune, Indicator, IndicatorUnit, Plan, PlanSection, Task, TaskUnit, Unit
from storage.models_plan import IndicatorPartner, answer_kind_for
from storage.plan_diff import find_plan, indicator_owners, plan_key
from storage.plan_import.model import ParsedPlan
from storage.unit_groups import group_members_of
from storage.units import created_moment, get_or_create_unit

__all__ = ["PlanSaveResult", "plan_as_dict", "plans_as_dict", "save_plan"]


@dataclass
class PlanSaveResult:
    plan: Plan
    created: bool
    tasks: int
    indicators: int
    sections: int
    units_created: int
    removed: int


async def save_plan(session: AsyncSession, commune: Commune, parsed: ParsedPlan,
                    source_file: str | None = None, now: datetime | None = None,
                    tz: tzinfo | None = None) -> PlanSaveResult:
    """Save (or update in place) a plan; the commune's first plan sets its reporting start day."""
    from storage.calendar.calendar import DEFAULT_TZ
    from storage.models import utcnow

    now = now or utcnow()
    first = commune.reporting_start is None  # the units it names are then part of the tree the commune starts with
    if first:  # nothing due before the plan arrived is owed
        commune.reporting_start = now.astimezone(tz or DEFAULT_TZ).date()
        session.add(commune)
    key = plan_key(parsed)
    plan = await find_plan(session, commune, parsed)  # the same document, whatever the file is called
    created = plan is None
    if plan is None:
        plan = Plan(commune_id=commune.id, title=parsed.title, key=key, year=parsed.year, imported_at=now)
        session.add(plan)
    plan.key, plan.title = key, parsed.title
    plan.number, plan.issued_on = parsed.number, parsed.issued
    plan.source_file = source_file
    await session.flush()

    sections = {s.name: s for s in (await session.exec(
        select(PlanSection).where(PlanSection.plan_id == plan.id))).all()}
    names = list(dict.fromkeys([*parsed.sections,
                                *(t.section for t in parsed.tasks if t.section),
                                *(i.section for i in parsed.indicators if i.section)]))
    for pos, name in enumerate(names):
        sec = sections.get(name) or PlanSection(plan_id=plan.id, name=name)
        sec.position = pos
        session.add(sec)
        sections[name] = sec
    await session.flush()

    units_cache: dict[str, Unit] = {}
    units_created = 0
    # an item added to a commune already reporting is dated (the offices that reported before it are asked for
    # it once more); the first plan's items, as a tree set up before reporting, are there from the start
    added = None if first else created_moment(commune, now)

    async def unit_ids(names: list[str]) -> list[int]:
        nonlocal units_created
        ids: list[int] = []
        for n in names:
            unit, made = await get_or_create_unit(session, commune, n, cache=units_cache, at=now)
            units_created += made
            if made and first:
                unit.created_at = None  # (as ``storage.units.created_moment`` before a reporting start)
            if made and not unit.from_plan:
                unit.from_plan = True  # named by the plan only, until the org list names it too
                session.add(unit)
            members = group_members_of(n)
            if members and unit.members is None and unit.kind in ("office", "group"):
                unit.kind, unit.members = "group", members  # a phrase for many units, never one unit
                session.add(unit)
            if unit.id not in ids:
                ids.append(unit.id)  # type: ignore[arg-type]
        return ids

    old_tasks = {t.code: t for t in (await session.exec(select(Task).where(Task.plan_id == plan.id))).all()}
    keep: set[str] = set()
    for pos, pt in enumerate(parsed.tasks):
        task = old_tasks.get(pt.code) or Task(plan_id=plan.id, code=pt.code, title=pt.title, created_at=added)
        task.title, task.position = pt.title, pos
        task.section_id = sections[pt.section].id if pt.section else None
        task.due_text, task.due_date, task.due_start = pt.due.text, pt.due.date, pt.due.start
        task.due_recurring, task.due_kind = pt.due.recurring, pt.due.kind
        task.output, task.detail = pt.output, pt.detail
        session.add(task)
        await session.flush()
        keep.add(pt.code)
        gone = delete(TaskUnit).where(TaskUnit.task_id == task.id)  # type: ignore[arg-type]
        if task.owners_assigned:  # leads set by `plan assign` stay until assigned again
            gone = gone.where(TaskUnit.role == "partner")  # type: ignore[arg-type]
        await session.exec(gone)  # type: ignore[call-overload]
        seen: set[tuple[int, str]] = set()
        roles = (("lead", pt.lead_units), ("partner", pt.partner_units))
        for role, names_ in roles[1:] if task.owners_assigned else roles:
            for upos, uid in enumerate(await unit_ids(names_)):
                if (uid, role) not in seen:
                    seen.add((uid, role))
                    session.add(TaskUnit(task_id=task.id, unit_id=uid, role=role, position=upos))
    removed = 0
    for code, task in old_tasks.items():
        if code not in keep:
            await session.exec(delete(TaskUnit).where(TaskUnit.task_id == task.id))  # type: ignore[call-overload]
            await session.delete(task)
            removed += 1

    old_inds = {i.code: i for i in (await session.exec(
        select(Indicator).where(Indicator.plan_id == plan.id))).all()}
    keep = set()
    for pos, pi in enumerate(parsed.indicators):
        ind = old_inds.get(pi.code) or Indicator(plan_id=plan.id, code=pi.code, name=pi.name, created_at=added)
        ind.name, ind.position, ind.unit = pi.name, pos, pi.unit
        ind.section_id = sections[pi.section].id if pi.section else None
        ind.target_text, ind.target_op = pi.target.text, pi.target.op
        ind.target_value, ind.target_bool = pi.target.value, pi.target.boolean
        ind.answer_kind = answer_kind_for(pi.target.op, pi.unit)
        ind.due_text = pi.due.text if pi.due else None
        ind.due_date = pi.due.date if pi.due else None
        session.add(ind)
        await session.flush()
        keep.add(pi.code)
        await session.exec(delete(IndicatorPartner).where(IndicatorPartner.indicator_id == ind.id))  # type: ignore[call-overload]
        for upos, uid in enumerate(await unit_ids(pi.partner_units)):
            session.add(IndicatorPartner(indicator_id=ind.id, unit_id=uid, position=upos))  # type: ignore[arg-type]
        if ind.owners_assigned:  # owners set by `plan assign` stay until assigned again
            continue
        await session.exec(delete(IndicatorUnit).where(IndicatorUnit.indicator_id == ind.id))  # type: ignore[call-overload]
        for upos, uid in enumerate(await unit_ids(indicator_owners(pi))):
            session.add(IndicatorUnit(indicator_id=ind.id, unit_id=uid, position=upos))
    for code, ind in old_inds.items():
        if code not in keep:
            await session.exec(delete(IndicatorUnit).where(IndicatorUnit.indicator_id == ind.id))  # type: ignore[call-overload]
            await session.exec(delete(IndicatorPartner).where(IndicatorPartner.indicator_id == ind.id))  # type: ignore[call-overload]
            await session.delete(ind)
            removed += 1
    await session.flush()
    return PlanSaveResult(plan, created, len(parsed.tasks), len(parsed.indicators), len(names),
                          units_created, removed)


async def plan_as_dict(session: AsyncSession, plan: Plan, commune: Commune) -> dict[str, Any]:
    from storage.plan_owners import group_expansions

    sections = {s.id: s.name for s in (await session.exec(
        select(PlanSection).where(PlanSection.plan_id == plan.id))).all()}
    units = {u.id: u.name for u in (await session.exec(
        select(Unit).where(Unit.commune_id == commune.id))).all()}
    tasks = (await session.exec(select(Task).where(Task.plan_id == plan.id).order_by(Task.position))).all()
    links = (await session.exec(select(TaskUnit).join(Task).where(Task.plan_id == plan.id)
                                .order_by(TaskUnit.position))).all()
    inds = (await session.exec(select(Indicator).where(Indicator.plan_id == plan.id)
                               .order_by(Indicator.position))).all()
    ilinks = (await session.exec(select(IndicatorUnit).join(Indicator).where(Indicator.plan_id == plan.id)
                                 .order_by(IndicatorUnit.position))).all()
    by_task: dict[int, dict[str, list[str]]] = {}
    for link in links:
        by_task.setdefault(link.task_id, {"lead": [], "partner": []})[link.role].append(units[link.unit_id])
    by_ind: dict[int, list[str]] = {}
    for il in ilinks:
        by_ind.setdefault(il.indicator_id, []).append(units[il.unit_id])
    partners: dict[int, list[str]] = {}
    for ip in (await session.exec(select(IndicatorPartner).join(Indicator).where(Indicator.plan_id == plan.id)
                                  .order_by(IndicatorPartner.position))).all():
        partners.setdefault(ip.indicator_id, []).append(units[ip.unit_id])
    used = {units[link.unit_id] for link in links} | {units[il.unit_id] for il in ilinks}
    used |= {name for names in partners.values() for name in names}
    groups = {g: m for g, m in (await group_expansions(session, commune)).items() if g in used}
    return {
        "title": plan.title,
        "commune": commune.name,
        "year": plan.year,
        "number": plan.number,
        "issued": plan.issued_on.isoformat() if plan.issued_on else None,
        "source_file": plan.source_file,
        "tasks": [{
            "code": t.code,
            "section": sections.get(t.section_id) if t.section_id else None,
            "title": t.title,
            "lead_units": by_task.get(t.id, {}).get("lead", []),  # type: ignore[arg-type]
            "partner_units": by_task.get(t.id, {}).get("partner", []),  # type: ignore[arg-type]
            "due": {"text": t.due_text, "date": t.due_date.isoformat() if t.due_date else None,
                    "recurring": t.due_recurring},
            "output": t.output,
            "detail": t.detail,
        } for t in tasks],
        "indicators": [{
            "code": i.code,
            "section": sections.get(i.section_id) if i.section_id else None,
            "name": i.name,
            "unit": i.unit,
            "target": {"text": i.target_text, "op": i.target_op,
                       "value": _num(i.target_value), "boolean": i.target_bool},
            "answer": i.answer_kind,
            "owner_units": by_ind.get(i.id, []),  # type: ignore[arg-type]
            "partner_units": partners.get(i.id, []),  # type: ignore[arg-type]
            "due": {"text": i.due_text, "date": i.due_date.isoformat() if i.due_date else None},
        } for i in inds],
        "groups": groups,  # a plan's phrase → the units of the org tree it stands for today
    }


def _num(v: Any) -> float | int | None:
    if v is None:
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


async def plans_as_dict(session: AsyncSession, commune: Commune | None) -> dict[str, Any]:
    q = select(Plan, Commune).join(Commune)
    if commune is not None:
        q = q.where(Plan.commune_id == commune.id)
    rows = (await session.exec(q.order_by(Commune.name, Plan.year, Plan.title))).all()
    return {"plans": [await plan_as_dict(session, p, c) for p, c in rows]}
