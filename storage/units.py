"""Find-or-create communes and units by normalised name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import match_unit_names, normalize_name, unit_key
from storage.models import Commune, Unit

__all__ = ["commune_key", "created_moment", "existed_by", "existing", "get_commune", "require_commune",
           "get_or_create_commune", "get_or_create_unit", "match_units", "unit_key_of"]


def commune_key(name: str) -> str:
    key = normalize_name(name)
    for prefix in ("ubnd ", "ủy ban nhân dân ", "xã ", "phường ", "đặc khu "):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


def unit_key_of(name: str, commune: Commune | None = None) -> str:
    """The unit-name key (``locales.textnorm.unit_key``, the only unit normaliser); with the commune,
    "Phòng Văn hóa - Xã hội xã Thiện Tân" is "Phòng Văn hóa - Xã hội" of Thiện Tân."""
    return unit_key(name, commune.key if commune is not None else None)


def created_moment(commune: Commune, at: datetime | None = None) -> datetime | None:
    """A new unit's ``created_at``: ``at`` (default now) once the commune reports (its reporting start is on or
    before that day); None while its tree is still being set up: it always existed, as units before 0018."""
    from storage.calendar.calendar import DEFAULT_TZ
    from storage.models import utcnow

    at = at or utcnow()
    start = commune.reporting_start
    return at if start is not None and start <= at.astimezone(DEFAULT_TZ).date() else None


def existed_by(unit: Any, due: datetime | None) -> bool:
    """Whether ``unit`` (a row with ``created_at``) existed at ``due``, a period's deadline: a unit owes a
    period only if so (None: today's tree, whatever was created)."""
    return due is None or unit.created_at is None or unit.created_at <= due


def existing(due: Any) -> Any:
    """``existed_by`` as a SQL condition on ``Unit``: ``due`` a moment or a column of moments (true when None)."""
    return true() if due is None else or_(col(Unit.created_at).is_(None), col(Unit.created_at) <= due)


async def get_commune(session: AsyncSession, name: str) -> Commune | None:
    return (await session.exec(select(Commune).where(Commune.key == commune_key(name)))).first()


async def require_commune(session: AsyncSession, name: str) -> Commune:
    """The commune named ``name``; CdsbotError (one line at the CLI) when there is none."""
    from storage.errors import CdsbotError

    found = await get_commune(session, name)
    if found is None:
        raise CdsbotError(f"no commune named {name!r}")
    return found


async def get_or_create_commune(session: AsyncSession, name: str) -> Commune:
    found = await get_commune(session, name)
    if found:
        return found
    commune = Commune(name=name.strip(), key=commune_key(name))
    session.add(commune)
    await session.flush()
    return commune


async def get_or_create_unit(
    session: AsyncSession, commune: Commune, name: str, kind: str | None = None,
    parent: Unit | None = None, cache: dict[str, Unit] | None = None, at: datetime | None = None,
) -> tuple[Unit, bool]:
    """Return (unit, created). ``kind`` and ``parent`` update an existing unit when given. A new unit is
    dated ``created_moment(commune, at)`` (the only place units are created: org import, plan import, demo)."""
    key = unit_key_of(name, commune)
    unit = cache.get(key) if cache is not None else None
    if unit is None:
        unit = (await session.exec(
            select(Unit).where(Unit.commune_id == commune.id, Unit.key == key)
        )).first()
    created = unit is None
    if unit is None:
        unit = Unit(commune_id=commune.id, name=" ".join(name.split()), key=key,
                    kind=kind or _guess_kind(key), created_at=created_moment(commune, at))
        session.add(unit)
    else:
        if kind:
            unit.kind = kind
    if kind and unit.from_plan:
        unit.from_plan = False  # given a kind by the org list (or the demo): a real unit, not only a plan's name
    if parent is not None and parent.id != unit.id:
        unit.parent_id = parent.id
    await session.flush()
    if cache is not None:
        cache[key] = unit
    return unit, created


async def match_units(session: AsyncSession, commune: Commune, typed: str, limit: int = 8) -> list[Unit]:
    """Units of the org list a typed name may mean, best first (``locales.textnorm.match_unit_names``,
    the one loose reading of typed unit names: "Phòng VH-XH", "na pai", a typo)."""
    units = [u for u in (await session.exec(select(Unit).where(Unit.commune_id == commune.id)
                                            .order_by(Unit.name))).all()
             if not u.from_plan and u.kind != "group"]
    by_name = {u.name: u for u in units}
    return [by_name[n] for n in match_unit_names(typed, list(by_name), commune.key)][:limit]


def _guess_kind(key: str) -> str:
    if key.startswith(("thôn", "bản", "xóm", "ấp", "khóm", "tổ dân phố", "tdp", "khu phố")):  # a ward's too
        return "village"
    if key.startswith(("các ", "cơ quan", "đơn vị")):
        return "group"
    if key.startswith(("đảng ủy", "chi bộ", "ban chỉ đạo", "bcđ", "văn phòng đảng ủy")):
        return "party"
    if key.startswith(("sở ", "bưu điện", "viettel", "vnpt", "ngân hàng", "công an tỉnh")):
        return "external"
    return "office"
