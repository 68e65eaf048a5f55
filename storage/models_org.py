"""Tables for the organisation: communes, units, people, channel identities and invites."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

__all__ = ["ROLES", "UNIT_KINDS", "Commune", "Identity", "Invite", "LinkCode", "Person", "PersonPost", "Province",
           "Unit"]

ROLES = ("member", "officer", "lead", "admin")  # the province office (role "province") joins by invite only
UNIT_KINDS = ("office", "village", "party", "external", "group")


SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Province(SQLModel, table=True):
    """A province: the communes it follows (``Commune.province_id``) and its office (role ``province``)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    # the communes' compiled report to the province is due before this day of the month (None: the default,
    # storage.province_stream.DEFAULT_DUE_DAY)
    report_due_day: int | None = None


class Commune(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    # First local day the commune reports on: no period due before it is owed (default: plan import day).
    reporting_start: date | None = None
    province_id: int | None = Field(default=None, foreign_key="province.id", index=True)


class Unit(SQLModel, table=True):
    """An office (phòng/ban/trung tâm), a village (thôn) with its digital team, or a party body."""

    __table_args__ = (UniqueConstraint("commune_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    name: str
    key: str
    kind: str = "office"
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    # kind "group": the units a plan's generic phrase stands for (storage.unit_groups.GROUP_MEMBERS)
    members: str | None = None
    # named only by an imported plan, not (yet) by the org list: never a member of "all offices"
    from_plan: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # when it was added to a commune that already reports (``storage.units.created_moment``); None: part of
    # the commune's tree before it reported (and every unit older than migration 0018): it always existed.
    # A unit owes a period only if it existed when the period was due (``storage.units.existed_by``).
    created_at: datetime | None = None


class Person(SQLModel, table=True):
    # a commune's staff by role (the province view's officers, leads and admins among the village members)
    __table_args__ = (Index("ix_person_commune_id_role", "commune_id", "role"),)  # migration 0021
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    name: str
    phone: str | None = Field(default=None, index=True)
    role: str = "member"
    locale: str = "vi"
    preferred_channel: str | None = None
    last_channel: str | None = None
    weekend_reminders: bool = False
    consent_at: datetime | None = None
    consent_version: str | None = None
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # role "province": the province office, read-only over every commune of this province
    province_id: int | None = Field(default=None, foreign_key="province.id")
    # since when they hold their post (unit_id, role) in a commune that already reports
    # (``storage.people.joined_moment``); None: since before it reported (and everyone older than migration
    # 0020): always. Their earlier posts are ``PersonPost`` rows.
    joined_at: datetime | None = None
    # when they left (``cdsbot person anonymise``); None: still there. A person anonymised before migration
    # 0020 has no date: gone from every period, as before (``storage.people.staff``).
    left_at: datetime | None = None


class PersonPost(SQLModel, table=True):
    """A post a person held before their current one (another unit or role), from ``since`` (None: always)
    until ``until``: who was on a unit's staff when a period was due (``storage.people.staff``)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    role: str
    since: datetime | None = None
    until: datetime


class Identity(SQLModel, table=True):
    """A person's address on one channel; (channel, external_id) is unique."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str
    external_id: str
    chat_id: str
    display_name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    code: str = Field(primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")  # None: a province office invite
    role: str = "member"
    province_id: int | None = Field(default=None, foreign_key="province.id")
    uses_left: int = 1
    expires_at: datetime
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class LinkCode(SQLModel, table=True):
    """A one-time code that links a second channel to an existing person."""

    code: str = Field(primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    expires_at: datetime
    used_at: datetime | None = None
