"""Invites (join codes tied to a unit and role) and one-time channel link codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.errors import CdsbotError
from storage.models import Commune, Invite, LinkCode, Person, Province, Unit

__all__ = ["InviteProblem", "check_invite", "create_invite", "create_link_code", "create_province_invite", "new_code",
           "normalize_code"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def normalize_code(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


class InviteProblem(Exception):
    """Why an invite cannot be used: ``reason`` is "unknown", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_invite(session: AsyncSession, unit: Unit, role: str, uses: int = 1, days: int = 7,
                        created_by: int | None = None, now: datetime | None = None) -> Invite:
    now = now or datetime.now(UTC)
    invite = Invite(code=new_code(), commune_id=unit.commune_id, unit_id=unit.id, role=role,  # type: ignore[arg-type]
                    uses_left=uses, expires_at=now + timedelta(days=days), created_by=created_by,
                    created_at=now)
    session.add(invite)
    await session.flush()
    return invite


async def create_province_invite(session: AsyncSession, province: Province, uses: int = 1, days: int = 7,
                                 now: datetime | None = None) -> Invite:
    """A join code for the province office (role ``province``, no unit). The person's commune is a
    technical anchor (the first commune of the province); their scope is the province."""
    anchor = (await session.exec(select(Commune).where(Commune.province_id == province.id)
                                 .order_by(Commune.name))).first()
    if anchor is None:
        raise CdsbotError(f"province {province.name!r} has no commune yet (cdsbot province set)")
    now = now or datetime.now(UTC)
    invite = Invite(code=new_code(), commune_id=anchor.id, unit_id=None, role="province",  # type: ignore[arg-type]
                    province_id=province.id, uses_left=uses, expires_at=now + timedelta(days=days), created_at=now)
    session.add(invite)
    await session.flush()
    return invite


async def check_invite(session: AsyncSession, code: str, now: datetime) -> Invite:
    """Return a usable invite or raise InviteProblem."""
    invite = await session.get(Invite, normalize_code(code))
    if invite is None:
        raise InviteProblem("unknown")
    if invite.expires_at <= now:
        raise InviteProblem("expired")
    if invite.uses_left <= 0:
        raise InviteProblem("used")
    return invite


async def create_link_code(session: AsyncSession, person: Person, minutes: int = 15) -> LinkCode:
    code = LinkCode(code=new_code(6), person_id=person.id,  # type: ignore[arg-type]
                    expires_at=datetime.now(UTC) + timedelta(minutes=minutes))
    session.add(code)
    await session.flush()
    return code


async def find_unit(session: AsyncSession, commune_id: int, key: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.commune_id == commune_id, Unit.key == key))).first()
