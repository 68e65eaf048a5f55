"""Provinces in the org tree: which communes a province follows (``Commune.province_id``)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from storage.errors import CdsbotError
from storage.models import AuditLog, Commune, Province
from storage.units import commune_key

__all__ = ["get_or_create_province", "get_province", "province_communes", "provinces_with_communes",
           "require_province", "set_commune_province"]


def province_key(name: str) -> str:
    key = commune_key(name)
    for prefix in ("tỉnh ", "thành phố ", "tp "):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


async def get_province(session: AsyncSession, name: str) -> Province | None:
    return (await session.exec(select(Province).where(Province.key == province_key(name)))).first()


async def require_province(session: AsyncSession, name: str) -> Province:
    found = await get_province(session, name)
    if found is None:
        raise CdsbotError(f"no province named {name!r} (set one with `cdsbot province set`)")
    return found


async def get_or_create_province(session: AsyncSession, name: str) -> Province:
    found = await get_province(session, name)
    if found is not None:
        return found
    if not name.strip():
        raise CdsbotError("a province needs a name")
    province = Province(name=" ".join(name.split()), key=province_key(name))
    session.add(province)
    await session.flush()
    return province


async def set_commune_province(session: AsyncSession, commune: Commune, name: str) -> Province:
    """Put ``commune`` in the province named ``name`` (created on first use); audited."""
    province = await get_or_create_province(session, name)
    before = commune.province_id
    commune.province_id = province.id
    session.add(commune)
    session.add(AuditLog(action="commune.province", target=f"commune:{commune.id}",
                         detail={"before": before, "after": province.id, "province": province.name}))
    await session.flush()
    return province


async def province_communes(session: AsyncSession, province_id: int) -> list[Commune]:
    """The province's communes in alphabetical order (diacritics ignored, the same on every database)."""
    rows = (await session.exec(select(Commune).where(Commune.province_id == province_id))).all()
    return sorted(rows, key=lambda c: (fold(c.name), c.name))


async def provinces_with_communes(session: AsyncSession) -> list[tuple[Province, list[Commune]]]:
    provinces = sorted((await session.exec(select(Province))).all(), key=lambda p: (fold(p.name), p.name))
    return [(p, await province_communes(session, p.id)) for p in provinces]  # type: ignore[arg-type]
