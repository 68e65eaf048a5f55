"""Unit groups: a plan's generic phrase ("Các phòng, ban chuyên môn…", "Các trường học trên địa bàn")
stands for real units of the org tree, expanded whenever reports are asked and counted."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import VILLAGE_KIND_RE, fold
from storage.models import Unit
from storage.people import staff
from storage.units import existing

__all__ = ["GROUP_MEMBERS", "LEAD_GROUP", "expand_units", "group_members_of", "members_of", "pick_members"]

# What a group stands for: all offices, all schools, all villages, or the lead office ("related
# units": the lead office follows up; also a result with no owner of its own, until assigned).
GROUP_MEMBERS = ("offices", "schools", "villages", "lead")
LEAD_GROUP = "Văn phòng theo dõi (chưa giao đơn vị)"  # owner of results nobody was named for

# A plan may name a person or a team instead of a unit: "Công chức phụ trách chuyển đổi số" is the officer of
# the lead office, "Tổ CDS cộng đồng" / "Các Tổ CNSCĐ" are the village teams (seed 003).
_TEAMS = re.compile(r"^(cac )?to (cong nghe so|chuyen doi so|cds|cns|cnscd|cnsd)( cong dong\b|$)|^(cac )?to cnscd\b")
_DIGITAL_OFFICER = re.compile(r"^(cong chuc|can bo)( chuyen trach| kiem nhiem)? phu trach "
                              r"(cong nghe thong tin|cntt|chuyen doi so|cds)\b")

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\blien quan\b"), "lead"),
    (re.compile(r"\btruong hoc\b|\bcac truong\b|\bco so giao duc\b"), "schools"),
    (re.compile(rf"^cac ({VILLAGE_KIND_RE})\b|^thon, to dan pho"), "villages"),
    (re.compile(r"\bphong,? ban\b|\bcbcc\b|\bcan bo,? cong chuc\b|^cac co quan,? don vi\b|"
                r"^cac don vi truc thuoc\b|^cac don vi su nghiep\b|\bchuyen mon\b"), "offices"),
)


def group_members_of(name: str) -> str | None:
    """Which units a generic phrase stands for; None for the name of one real unit."""
    key = " ".join(fold(name).replace(".", " ").split())
    if name == LEAD_GROUP or _DIGITAL_OFFICER.match(key):
        return "lead"
    if _TEAMS.match(key):
        return "villages"
    if not key.startswith(("cac ", "toan the ", "co quan", "don vi", "thon, ")):
        return None
    for pattern, members in _RULES:
        if pattern.search(key):
            return members
    return None


def _is_school(unit: Any) -> bool:
    return _school_name(unit.name)


@lru_cache(maxsize=8192)  # asked for every unit of every commune when the province view expands groups
def _school_name(name: str) -> bool:
    return fold(name).startswith("truong ")


def pick_members(units: Sequence[Any], members: str, leads: Collection[int | None] = ()) -> list[Any]:
    """Which of one commune's ``units`` (groups left out; rows with id, name, kind, from_plan) a group
    standing for ``members`` means; ``leads``: ids of the units a lead or admin belongs to."""
    if members == "villages":
        return [u for u in units if u.kind == "village"]
    if members == "schools":
        return [u for u in units if _is_school(u)]
    if members == "offices":  # the org list's offices, not names only a plan used
        return [u for u in units if u.kind == "office" and not u.from_plan and not _is_school(u)]
    if members == "lead":
        return [u for u in units if u.id in leads and u.kind == "office"]
    return []


async def members_of(session: AsyncSession, commune_id: int, members: str,
                     due: datetime | None = None) -> list[Unit]:
    """The real units a group stands for (the org tree can grow after the plan's import): today's, or those
    of a period due at ``due``, the units that existed and the lead's office as its people stood then
    (``storage.units.existing``, ``storage.people.staff``)."""
    units = [u for u in (await session.exec(select(Unit).where(
        Unit.commune_id == commune_id, Unit.kind != "group", existing(due)).order_by(Unit.name))).all()]
    leads: set[int | None] = set()
    if members == "lead":
        on = staff(due, [commune_id], ("lead", "admin"))
        leads = set((await session.exec(select(on.c.unit_id))).all())
    return pick_members(units, members, leads)


async def expand_units(session: AsyncSession, unit_ids: Iterable[int], due: datetime | None = None) -> set[int]:
    """The given units with every group among them replaced by its members (``members_of`` at ``due``)."""
    ids = set(unit_ids)
    if not ids:
        return ids
    groups = (await session.exec(select(Unit).where(col(Unit.id).in_(ids), Unit.kind == "group",
                                                    col(Unit.members).is_not(None)))).all()
    for g in groups:
        ids.discard(g.id)  # type: ignore[arg-type]
        ids |= {u.id for u in await members_of(session, g.commune_id, g.members or "", due)}  # type: ignore[misc]
    return ids
