"""Test data builders that go through the real import and storage code."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import Database
from storage.invites import create_invite
from storage.models import Identity, Person, Unit
from storage.units import get_or_create_commune, get_or_create_unit


async def make_org(db: Database, commune: str = "Thiện Tân") -> dict[str, int]:
    """A commune with a lead office, one office and two villages; returns ids by short name."""
    ids: dict[str, int] = {}
    async with db.transaction() as s:
        c = await get_or_create_commune(s, commune)
        ids["commune"] = c.id  # type: ignore[assignment]
        for short, name, kind in (("vhxh", "Phòng Văn hóa - Xã hội", "office"),
                                  ("hcc", "Trung tâm Phục vụ hành chính công", "office"),
                                  ("napai", "Thôn Nà Pài", "village"), ("khuoi", "Thôn Khuổi Luông", "village")):
            unit, _ = await get_or_create_unit(s, c, name, kind)
            ids[short] = unit.id  # type: ignore[assignment]
    return ids


async def add_person(db: Database, unit_id: int, name: str, role: str, *, telegram_id: int | None = None,
                     phone: str | None = None, locale: str = "vi") -> int:
    async with db.transaction() as s:
        unit = await s.get(Unit, unit_id)
        assert unit is not None
        p = Person(commune_id=unit.commune_id, unit_id=unit_id, name=name, role=role, phone=phone,
                   locale=locale, consent_at=datetime.now(UTC))
        s.add(p)
        await s.flush()
        if telegram_id is not None:
            s.add(Identity(person_id=p.id, channel="telegram", external_id=str(telegram_id),  # type: ignore[arg-type]
                           chat_id=str(telegram_id)))
        return p.id  # type: ignore[return-value]


HARNESS_NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


async def invite(db: Database, unit_id: int, role: str, uses: int = 1, days: int = 7,
                 now: datetime = HARNESS_NOW) -> str:
    async with db.transaction() as s:
        unit = await s.get(Unit, unit_id)
        assert unit is not None
        inv = await create_invite(s, unit, role, uses=uses, days=days, now=now)
        return inv.code
