"""Which stored plan a parsed file is (by document, not file name) and what importing it would change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import normalize_name
from storage.models import Commune, Indicator, IndicatorUnit, Plan, PlanSection, Task, TaskUnit, Unit
from storage.models_plan import IndicatorPartner
from storage.models_report import ReportItem
from storage.plan_import.model import ParsedIndicator, ParsedPlan, ParsedTask
from storage.unit_groups import LEAD_GROUP
from storage.units import unit_key_of

__all__ = ["PlanDiff", "diff_plan", "find_plan", "indicator_owners", "plan_key"]


def indicator_owners(ind: ParsedIndicator) -> list[str]:
    """Who reports an indicator: its owner units, or (a result with no owner of its own) the lead
    office until someone is assigned."""
    return ind.owner_units or [LEAD_GROUP]


def plan_key(parsed: ParsedPlan) -> str:
    """The document's identity inside (commune, year): its number when filled in, else its title;
    a file with neither is keyed by its file name, marked so it never matches a titled plan."""
    if parsed.number:
        return "số " + normalize_name(parsed.number)
    if parsed.title_source == "file":
        return "tệp " + normalize_name(parsed.title)
    return normalize_name(parsed.title)


async def find_plan(session: AsyncSession, commune: Commune, parsed: ParsedPlan) -> Plan | None:
    """The stored plan this file is: same number (or, for an unnumbered plan stored before, same
    title), same commune and year."""
    base = select(Plan).where(Plan.commune_id == commune.id, Plan.year == parsed.year)
    plan = (await session.exec(base.where(Plan.key == plan_key(parsed)))).first()
    if plan is None:  # stored before numbers were read, or as a draft before the number was filled in
        plan = (await session.exec(base.where(Plan.key == normalize_name(parsed.title),
                                              col(Plan.number).is_(None)))).first()
    return plan


@dataclass
class PlanDiff:
    """Rows an import adds, changes and removes, one "task 3: title" line each."""

    plan: Plan | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}


def _row(kind: str, code: str, text: str) -> str:
    text = " ".join(text.split())
    return f"{kind} {code}: {text[:90]}" + ("…" if len(text) > 90 else "")


async def _unit_keys(session: AsyncSession, link: type[TaskUnit] | type[IndicatorUnit],
                     plan: Plan) -> dict[tuple[int, str], list[str]]:
    """(task or indicator id, role) → unit keys, in plan order."""
    out: dict[tuple[int, str], list[str]] = {}
    if link is TaskUnit:
        rows = (await session.exec(select(TaskUnit.task_id, TaskUnit.role, Unit.key)
                                   .join(Unit).join(Task).where(Task.plan_id == plan.id)
                                   .order_by(TaskUnit.position))).all()
    else:
        rows = [(i, "owner", k) for i, k in (await session.exec(
            select(IndicatorUnit.indicator_id, Unit.key).join(Unit).join(Indicator)
            .where(Indicator.plan_id == plan.id).order_by(IndicatorUnit.position))).all()]
        rows += [(i, "partner", k) for i, k in (await session.exec(
            select(IndicatorPartner.indicator_id, Unit.key).join(Unit).join(Indicator)
            .where(Indicator.plan_id == plan.id).order_by(IndicatorPartner.position))).all()]
    for item_id, role, key in rows:
        out.setdefault((item_id, role), []).append(key)
    return out


def _keys(names: list[str], commune: Commune) -> list[str]:
    return list(dict.fromkeys(unit_key_of(n, commune) for n in names))


def _task_changes(old: Task, new: ParsedTask, sections: dict[int, str], units: dict[tuple[int, str], list[str]],
                  commune: Commune) -> list[str]:
    what = []
    if old.title != new.title:
        what.append("title")
    if (sections.get(old.section_id) if old.section_id else None) != new.section:  # type: ignore[arg-type]
        what.append("section")
    if old.due_text != new.due.text or old.due_date != new.due.date:
        what.append("deadline")
    if not old.owners_assigned and \
            sorted(units.get((old.id, "lead"), [])) != sorted(_keys(new.lead_units, commune)):  # type: ignore[arg-type]
        what.append("lead units")
    if sorted(units.get((old.id, "partner"), [])) != sorted(_keys(new.partner_units, commune)):  # type: ignore[arg-type]
        what.append("partner units")
    if (old.output or None) != (new.output or None):
        what.append("output")
    return what


def _indicator_changes(old: Indicator, new: ParsedIndicator, sections: dict[int, str],
                       units: dict[tuple[int, str], list[str]], commune: Commune) -> list[str]:
    what = []
    if old.name != new.name:
        what.append("name")
    if (sections.get(old.section_id) if old.section_id else None) != new.section:  # type: ignore[arg-type]
        what.append("section")
    if (old.unit or None) != (new.unit or None):
        what.append("unit")
    if old.target_text != new.target.text:
        what.append("target")
    if not old.owners_assigned and \
            sorted(units.get((old.id, "owner"), [])) != sorted(_keys(indicator_owners(new), commune)):  # type: ignore[arg-type]
        what.append("owner units")
    if sorted(units.get((old.id, "partner"), [])) != sorted(_keys(new.partner_units, commune)):  # type: ignore[arg-type]
        what.append("partner units")
    if (old.due_text, old.due_date) != ((new.due.text, new.due.date) if new.due else (None, None)):
        what.append("deadline")
    return what


async def _answers(session: AsyncSession, kind: str, ref_id: int | None) -> int:
    return (await session.exec(select(func.count()).select_from(ReportItem).where(
        ReportItem.kind == kind, ReportItem.ref_id == ref_id))).one()


async def diff_plan(session: AsyncSession, commune: Commune | None, parsed: ParsedPlan) -> PlanDiff:
    """What importing ``parsed`` would do to the stored plan it is (everything added when none; a
    commune not created yet has no plans)."""
    plan = await find_plan(session, commune, parsed) if commune is not None else None
    diff = PlanDiff(plan)
    if plan is None or commune is None:
        diff.added = [_row("task", t.code, t.title) for t in parsed.tasks]
        diff.added += [_row("indicator", i.code, i.name) for i in parsed.indicators]
        return diff
    sections = {s.id: s.name for s in (await session.exec(
        select(PlanSection).where(PlanSection.plan_id == plan.id))).all()}
    tasks = {t.code: t for t in (await session.exec(select(Task).where(Task.plan_id == plan.id)
                                                    .order_by(Task.position))).all()}
    task_units = await _unit_keys(session, TaskUnit, plan)
    new_tasks = {t.code: t for t in parsed.tasks}
    for code, pt in new_tasks.items():
        if code not in tasks:
            diff.added.append(_row("task", code, pt.title))
        elif what := _task_changes(tasks[code], pt, sections, task_units, commune):  # type: ignore[arg-type]
            diff.changed.append(_row("task", code, pt.title) + f" ({', '.join(what)})")
    for code, task in tasks.items():
        if code not in new_tasks:
            n = await _answers(session, "task", task.id)
            diff.removed.append(_row("task", code, task.title) + (f" [{n} report answer(s)]" if n else ""))
    inds = {i.code: i for i in (await session.exec(select(Indicator).where(Indicator.plan_id == plan.id)
                                                   .order_by(Indicator.position))).all()}
    ind_units = await _unit_keys(session, IndicatorUnit, plan)
    new_inds = {i.code: i for i in parsed.indicators}
    for code, pi in new_inds.items():
        if code not in inds:
            diff.added.append(_row("indicator", code, pi.name))
        elif what := _indicator_changes(inds[code], pi, sections, ind_units, commune):  # type: ignore[arg-type]
            diff.changed.append(_row("indicator", code, pi.name) + f" ({', '.join(what)})")
    for code, ind in inds.items():
        if code not in new_inds:
            n = await _answers(session, "indicator", ind.id)
            diff.removed.append(_row("indicator", code, ind.name) + (f" [{n} report answer(s)]" if n else ""))
    return diff
