"""Who reports each plan item: assign owners by hand (`plan assign`) and list what nobody can report
(`plan check`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.errors import CdsbotError
from storage.models import Commune, Indicator, IndicatorUnit, Person, Plan, Task, TaskUnit, Unit
from storage.models_runtime import AuditLog
from storage.unit_groups import members_of
from storage.units import unit_key_of

__all__ = ["assign_owners", "check_plans", "find_items", "group_expansions", "set_owners"]


async def find_items(session: AsyncSession, commune_id: int, code: str,
                     kind: str | None = None) -> list[tuple[str, Task | Indicator, Plan]]:
    """Every task or indicator of the commune's plans with this code (codes repeat across plans)."""
    found: list[tuple[str, Task | Indicator, Plan]] = []
    for k, model in (("task", Task), ("indicator", Indicator)):
        if kind and kind != k:
            continue
        rows = (await session.exec(select(model, Plan).join(Plan).where(
            Plan.commune_id == commune_id, func.upper(model.code) == code.strip().upper())  # type: ignore[attr-defined]
            .order_by(Plan.year, Plan.title))).all()
        found += [(k, item, plan) for item, plan in rows]
    return found


async def _find_item(session: AsyncSession, commune: Commune, code: str, kind: str | None,
                     plan_name: str | None) -> tuple[str, Task | Indicator]:
    found = await find_items(session, commune.id, code, kind)  # type: ignore[arg-type]
    if plan_name:
        want = plan_name.strip().casefold()
        found = [f for f in found if want in (f[2].title.casefold(), (f[2].number or "").casefold())
                 or want == str(f[2].id)]
    if not found:
        raise CdsbotError(f"no task or indicator {code!r} in the plans of {commune.name}")
    if len(found) > 1:
        where = "; ".join(f"{k} in '{p.title}' ({p.year})" for k, _, p in found)
        raise CdsbotError(f"{code!r} is more than one item ({where}): add --task or --indicator, or --plan TITLE")
    return found[0][0], found[0][1]


async def assign_owners(session: AsyncSession, commune: Commune, code: str, unit_names: list[str],
                        kind: str | None = None, plan_name: str | None = None) -> dict[str, Any]:
    """Make ``unit_names`` (units of the org tree, or groups) the lead units of a task or the owners
    of an indicator; a later re-import of the plan keeps them."""
    units: list[Unit] = []
    for name in unit_names:
        unit = (await session.exec(select(Unit).where(Unit.commune_id == commune.id,
                                                      Unit.key == unit_key_of(name, commune)))).first()
        if unit is None:
            raise CdsbotError(f"no unit named {name!r} in {commune.name}: add it with `cdsbot org import` first")
        if unit not in units:
            units.append(unit)
    item_kind, item = await _find_item(session, commune, code, kind, plan_name)
    return await set_owners(session, item_kind, item, units, source="cli")


async def set_owners(session: AsyncSession, item_kind: str, item: Task | Indicator, units: list[Unit],
                     source: str, actor_person_id: int | None = None) -> dict[str, Any]:
    """Make ``units`` the lead units of a task or the owners of an indicator (kept on re-import);
    the one function behind `cdsbot plan assign` and the lead office's /giao."""
    if isinstance(item, Task):
        await session.exec(delete(TaskUnit).where(  # type: ignore[call-overload]
            TaskUnit.task_id == item.id, TaskUnit.role == "lead"))  # type: ignore[arg-type]
        await session.exec(delete(TaskUnit).where(  # type: ignore[call-overload]
            TaskUnit.task_id == item.id, col(TaskUnit.unit_id).in_([u.id for u in units])))
        for pos, unit in enumerate(units):
            session.add(TaskUnit(task_id=item.id, unit_id=unit.id, role="lead", position=pos))  # type: ignore[arg-type]
    else:
        await session.exec(delete(IndicatorUnit).where(IndicatorUnit.indicator_id == item.id))  # type: ignore[call-overload, arg-type]
        for pos, unit in enumerate(units):
            session.add(IndicatorUnit(indicator_id=item.id, unit_id=unit.id, position=pos))  # type: ignore[arg-type]
    item.owners_assigned = True
    session.add(item)
    session.add(AuditLog(actor_person_id=actor_person_id, action="plan.assign", target=f"{item_kind}:{item.id}",
                         detail={"source": source, "code": item.code, "units": [u.name for u in units]}))
    await session.flush()
    return {"kind": item_kind, "code": item.code, "units": [u.name for u in units]}


async def group_expansions(session: AsyncSession, commune: Commune) -> dict[str, list[str]]:
    """Each group unit of the commune (a plan's phrase) → the real units it stands for today."""
    groups = (await session.exec(select(Unit).where(Unit.commune_id == commune.id, Unit.kind == "group",
                                                    col(Unit.members).is_not(None)).order_by(Unit.name))).all()
    return {g.name: [u.name for u in await members_of(session, commune.id, g.members or "")]  # type: ignore[arg-type]
            for g in groups}


async def check_plans(session: AsyncSession, commune: Commune) -> dict[str, Any]:
    """Items nobody can report (no owner, or owners with nobody on the org list), units the plans
    name that have nobody on the org list, and tasks with no due date."""
    units = {u.id: u for u in (await session.exec(select(Unit).where(Unit.commune_id == commune.id))).all()}
    staffed = set((await session.exec(select(Person.unit_id).where(
        Person.commune_id == commune.id, col(Person.anonymised_at).is_(None)))).all())
    expansion: dict[int, set[int]] = {}
    for uid, unit in units.items():
        if unit.kind == "group" and unit.members:
            expansion[uid] = {u.id for u in await members_of(session, commune.id, unit.members)}  # type: ignore[misc]
    named: dict[int, int] = {}
    out: dict[str, Any] = {"commune": commune.name, "unreportable": [], "missing_units": [], "no_due_date": [],
                           "groups": await group_expansions(session, commune)}
    plans = (await session.exec(select(Plan).where(Plan.commune_id == commune.id).order_by(Plan.year, Plan.title))).all()
    for plan in plans:
        tasks = (await session.exec(select(Task).where(Task.plan_id == plan.id).order_by(Task.position))).all()
        inds = (await session.exec(select(Indicator).where(Indicator.plan_id == plan.id)
                                   .order_by(Indicator.position))).all()
        leads: dict[int, list[int]] = {}
        for link in (await session.exec(select(TaskUnit).join(Task).where(
                Task.plan_id == plan.id, TaskUnit.role == "lead"))).all():
            leads.setdefault(link.task_id, []).append(link.unit_id)
        owners: dict[int, list[int]] = {}
        for il in (await session.exec(select(IndicatorUnit).join(Indicator).where(Indicator.plan_id == plan.id))).all():
            owners.setdefault(il.indicator_id, []).append(il.unit_id)
        items = [("task", t, leads.get(t.id, [])) for t in tasks]  # type: ignore[arg-type]
        items += [("indicator", i, owners.get(i.id, [])) for i in inds]  # type: ignore[arg-type]
        for kind, item, uids in items:
            label = f"{plan.title[:40]} · {kind} {item.code}"
            for uid in uids:
                named[uid] = named.get(uid, 0) + 1
            real = set().union(*(expansion.get(u, {u}) for u in uids)) if uids else set()
            if not uids:
                out["unreportable"].append(f"{label}: no owner")
            elif not real & staffed:
                names = ", ".join(units[u].name for u in uids)
                out["unreportable"].append(f"{label}: nobody on the org list in {names}")
        for t in tasks:
            if t.due_date is None and not t.due_recurring and t.due_kind != "done":
                out["no_due_date"].append(f"{plan.title[:40]} · task {t.code}: {t.due_text or '(none)'}")
    for uid, n in sorted(named.items(), key=lambda kv: units[kv[0]].name):
        unit = units[uid]
        if unit.kind != "group" and uid not in staffed:
            out["missing_units"].append(f"{unit.name} ({n} item(s))")
    return out
