"""Plan items no unit can report: the one rule behind "Chưa có đơn vị thực hiện" in every view.

An item is reported by the units owing it (``storage.item_standing.owed_of``: its chairs, groups expanded as the
reports are asked, as the org tree stood at a period's deadline). When none of them is an office — the kind of
unit that files a unit report (``storage.status.expected_units``) — nobody is ever asked for it: no chair at all,
a group standing for nothing on the org list ("Các đơn vị trường học" with no school), or a plan name of a
non-office ("BCĐ"). Such an item is not "not reported": it has no unit to report it until the operator adds one
(``cdsbot org import``) or names one (``cdsbot plan assign``, /giao)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.item_standing import ItemMeta, item_meta
from storage.models import Indicator, IndicatorUnit, Plan, Task, TaskUnit, Unit

__all__ = ["NoUnitItem", "no_unit_items", "no_unit_items_by_commune", "nobody_reports"]

Key = tuple[str, int]


@dataclass(frozen=True)
class NoUnitItem:
    """A task or indicator no unit can report: its code and title, and whom the plan named (``chairs``:
    unit or group names as stored; empty when it named nobody)."""

    kind: str  # task | indicator
    id: int
    code: str
    title: str
    chairs: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.kind, self.id)

    @property
    def chair_text(self) -> str:
        """"Các đơn vị trường học", or "—" when the plan named no chair."""
        return ", ".join(self.chairs) or "—"

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id, "code": self.code, "title": self.title, "chairs": list(self.chairs)}


def nobody_reports(meta: ItemMeta | None, offices: set[int]) -> bool:
    """Whether an item with ``meta`` (None: no chair row) has no office among the units owing it."""
    return meta is None or not any(uid in offices for uid, _name in meta.owed)


async def no_unit_items(session: AsyncSession, commune_ids: Sequence[int], due: datetime | None = None
                        ) -> list[NoUnitItem]:
    """The communes' tasks and indicators no existing unit can report, in plan order (plans by year and title,
    tasks then indicators by position). ``due``: as the org tree stood at a period's deadline (None: today's)."""
    return [item for _cid, item in await _no_unit_rows(session, list(commune_ids), due)]


async def no_unit_items_by_commune(session: AsyncSession, commune_ids: Sequence[int], due: datetime | None = None
                                   ) -> dict[int, list[NoUnitItem]]:
    """``no_unit_items`` of each commune, read together (a sweep's digests: the same statements for all)."""
    out: dict[int, list[NoUnitItem]] = {cid: [] for cid in commune_ids}
    for cid, item in await _no_unit_rows(session, list(commune_ids), due):
        out[cid].append(item)
    return out


async def _no_unit_rows(session: AsyncSession, ids: list[int], due: datetime | None
                        ) -> list[tuple[int, NoUnitItem]]:
    if not ids:
        return []
    conn = await session.connection()
    meta = await item_meta(conn.execute, ids, due)
    offices = set((await session.exec(select(Unit.id).where(col(Unit.commune_id).in_(ids),
                                                             Unit.kind == "office"))).all())
    found: list[tuple[tuple[int, str, int, int], str, int, str, str, int]] = []
    for kind, model, name in (("task", Task, Task.title), ("indicator", Indicator, Indicator.name)):
        rows = (await session.exec(select(model.id, model.code, name, Plan.year, Plan.title, model.position,  # type: ignore[attr-defined]
                                          Plan.commune_id)
                                   .join(Plan, Plan.id == model.plan_id)  # type: ignore[attr-defined]
                                   .where(col(Plan.commune_id).in_(ids)))).all()
        order = 0 if kind == "task" else 1
        found += [((year, title, order, pos), kind, iid, code, text, cid)
                  for iid, code, text, year, title, pos, cid in rows if nobody_reports(meta.get((kind, iid)), offices)]
    if not found:
        return []
    found.sort(key=lambda f: f[0])
    chairs: dict[Key, list[str]] = {}
    task_ids = [f[2] for f in found if f[1] == "task"]
    ind_ids = [f[2] for f in found if f[1] == "indicator"]
    if task_ids:
        for tid, uname in (await session.exec(select(TaskUnit.task_id, Unit.name).join(Unit, Unit.id == TaskUnit.unit_id)
                                              .where(col(TaskUnit.task_id).in_(task_ids), TaskUnit.role == "lead")
                                              .order_by(TaskUnit.position, Unit.name))).all():
            chairs.setdefault(("task", tid), []).append(uname)
    if ind_ids:
        for iid, uname in (await session.exec(select(IndicatorUnit.indicator_id, Unit.name)
                                              .join(Unit, Unit.id == IndicatorUnit.unit_id)
                                              .where(col(IndicatorUnit.indicator_id).in_(ind_ids))
                                              .order_by(IndicatorUnit.position, Unit.name))).all():
            chairs.setdefault(("indicator", iid), []).append(uname)
    return [(cid, NoUnitItem(kind, iid, code, text, tuple(chairs.get((kind, iid), ()))))
            for _order, kind, iid, code, text, cid in found]
