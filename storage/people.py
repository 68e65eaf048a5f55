"""The one record of a human (listed people not yet joined, twins by name or phone) and who was on a unit's
staff as of a moment (``staff``, ``on_staff``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import and_, not_, or_, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold, normalize_name
from storage.among import among
from storage.models import Commune, Identity, Person, PersonPost
from storage.units import created_moment

__all__ = ["held_at", "listed_candidates", "merge_twins", "move_post", "name_key", "on_staff", "on_staff_by_unit",
           "people_in_unit_by_name", "posts", "same_name", "staff", "twins_of"]

_PUNCT = re.compile(r"[^\w\s]")
_CLOSE_ENOUGH = 0.8  # similarity of folded names that is worth asking about ("Lo Thi Bich" ~ "Lò Thị Bính")


def name_key(name: str) -> str:
    """A person's name for matching: no diacritics, case, punctuation or extra spaces."""
    return " ".join(_PUNCT.sub(" ", fold(name or "")).split())


def _spelled(name: str) -> str:
    return " ".join(_PUNCT.sub(" ", normalize_name(name or "")).split())


def same_name(a: str, b: str) -> bool:
    """The same name, ignoring case, spacing and tone-mark placement; and ignoring diacritics when
    one of the two is written without any ("Lo Thi Bich" = "Lò Thị Bích", but "Đinh Văn Hùng" is not
    "Đinh Văn Hưng")."""
    sa, sb = _spelled(a), _spelled(b)
    if sa == sb:
        return True
    ka, kb = name_key(a), name_key(b)
    return ka == kb and (sa == ka or sb == kb)


async def _joined_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set((await session.exec(select(Identity.person_id).where(Identity.person_id.in_(ids)))).all())  # type: ignore[attr-defined]


async def listed_candidates(session: AsyncSession, unit_id: int, name: str) -> list[tuple[Person, bool]]:
    """People on the unit's list who have not joined yet and whose name is this one (exact after
    folding: True) or close to it (a typo: False); best first."""
    people = list((await session.exec(select(Person).where(
        Person.unit_id == unit_id, Person.anonymised_at.is_(None)))).all())  # type: ignore[union-attr]
    joined = await _joined_ids(session, [p.id for p in people])  # type: ignore[misc]
    key = name_key(name)
    scored = []
    for p in people:
        if p.id in joined:
            continue
        score = 1.0 if same_name(p.name, name) else SequenceMatcher(None, key, name_key(p.name)).ratio()
        if score >= _CLOSE_ENOUGH:
            scored.append((score, p))
    scored.sort(key=lambda sp: (-sp[0], sp[1].id))
    return [(p, score == 1.0) for score, p in scored]


async def people_in_unit_by_name(session: AsyncSession, commune_id: int, unit_id: int | None,
                                 name: str) -> list[Person]:
    """Not anonymised people of a unit with the same name (``same_name``), oldest first."""
    rows = (await session.exec(select(Person).where(
        Person.commune_id == commune_id, Person.unit_id == unit_id,
        Person.anonymised_at.is_(None)).order_by(Person.id))).all()  # type: ignore[union-attr]
    return [p for p in rows if same_name(p.name, name)]


async def twins_of(session: AsyncSession, person: Person) -> list[Person]:
    """Other records of the same human: the same name (``same_name``) and either the same phone in
    the commune, or the same unit with at least one of the two never joined. A shared phone alone is
    not enough: in a village a family often shares one."""
    out: dict[int, Person] = {}
    if person.phone:
        for p in (await session.exec(select(Person).where(
                Person.commune_id == person.commune_id, Person.phone == person.phone,
                Person.id != person.id, Person.anonymised_at.is_(None)))).all():  # type: ignore[union-attr]
            if same_name(p.name, person.name):
                out[p.id] = p  # type: ignore[index]
    namesakes = [p for p in await people_in_unit_by_name(session, person.commune_id, person.unit_id, person.name)
                 if p.id != person.id]
    joined = await _joined_ids(session, [person.id, *[p.id for p in namesakes]])  # type: ignore[list-item]
    for p in namesakes:
        if person.id not in joined or p.id not in joined:
            out[p.id] = p  # type: ignore[index]
    return sorted(out.values(), key=lambda p: p.id)  # type: ignore[arg-type,return-value]


async def merge_twins(session: AsyncSession, person: Person, reason: str,
                      actor: int | None = None) -> tuple[Person, list[tuple[int, dict[str, int]]]]:
    """Merge every other record of this human into one (the listed one). Returns the kept Person and
    (merged id, rows moved) for each record merged in."""
    from storage.merge import choose_keeper, merge_people

    twins = await twins_of(session, person)
    if not twins:
        return person, []
    ids = [person.id, *[t.id for t in twins]]
    keep = await session.run_sync(lambda ss: choose_keeper(ss.connection(), ids))
    merged = []
    for pid in ids:
        if pid != keep:
            moved = await session.run_sync(
                lambda ss, pid=pid: merge_people(ss.connection(), keep, pid, actor=actor, reason=reason))
            merged.append((pid, moved))
    session.expunge_all()  # the rows changed under the ORM
    kept = await session.get(Person, keep)
    assert kept is not None
    return kept, merged


def held_at(since: datetime | None, until: datetime | None, as_of: datetime | None) -> bool:
    """Whether a post held from ``since`` (None: always) until ``until`` (None: still) was held at ``as_of`` (a
    period's deadline; None: today): the rule ``staff`` applies in SQL."""
    if as_of is None:
        return until is None
    return (since is None or since <= as_of) and (until is None or until > as_of)


def _dated_out() -> Any:
    """People anonymised before migration 0020, so without ``left_at``: gone from every period, as then."""
    return and_(col(Person.anonymised_at).is_not(None), col(Person.left_at).is_(None))


def _filtered(stmt: Any, commune_ids: Any, roles: Sequence[str] | None, role: Any) -> Any:
    if commune_ids is not None:
        stmt = stmt.where(among(Person.commune_id, commune_ids))
    return stmt.where(col(role).in_(roles)) if roles is not None else stmt


def posts(commune_ids: Any = None, roles: Sequence[str] | None = None) -> Any:
    """Every post of the communes' people, current and earlier, as a subquery (person_id, commune_id, unit_id,
    role, since, until): the dated staff a province view reads once for all its periods (``held_at``)."""
    current = select(col(Person.id).label("person_id"), Person.commune_id, Person.unit_id, Person.role,
                     col(Person.joined_at).label("since"), col(Person.left_at).label("until")).where(not_(_dated_out()))
    earlier = select(PersonPost.person_id, Person.commune_id, PersonPost.unit_id, PersonPost.role, PersonPost.since,
                     PersonPost.until).join(Person, col(Person.id) == PersonPost.person_id)
    return union_all(_filtered(current, commune_ids, roles, Person.role),
                     _filtered(earlier, commune_ids, roles, PersonPost.role)).subquery()


def staff(as_of: datetime | None, commune_ids: Any = None, roles: Sequence[str] | None = None) -> Any:
    """Who was on the staff of the communes' units at ``as_of`` (a period's deadline; None: today), as a
    subquery (person_id, commune_id, unit_id, role): the one answer every count, expectation and reminder
    reads, so that people who join, move or leave later leave a closed period as it was. ``commune_ids``: a
    list or ``storage.among.Ids`` (None: all); ``roles``: only these."""
    if as_of is None:  # today's people: the current posts of those who have not left
        return _filtered(select(col(Person.id).label("person_id"), Person.commune_id, Person.unit_id, Person.role)
                         .where(col(Person.left_at).is_(None), col(Person.anonymised_at).is_(None)),
                         commune_ids, roles, Person.role).subquery()
    every = posts(commune_ids, roles)
    return (select(every.c.person_id, every.c.commune_id, every.c.unit_id, every.c.role)
            .where(or_(every.c.since.is_(None), every.c.since <= as_of),
                   or_(every.c.until.is_(None), every.c.until > as_of))).subquery()


async def on_staff_by_unit(session: AsyncSession, commune_ids: Sequence[int], as_of: datetime | None,
                           roles: Sequence[str] | None = None) -> dict[int, list[tuple[int, str]]]:
    """unit id → [(person id, role)] of the communes' units at ``as_of`` (``staff``), in one statement."""
    on = staff(as_of, list(commune_ids), roles)
    out: dict[int, list[tuple[int, str]]] = {}
    for pid, uid, role in (await session.exec(select(on.c.person_id, on.c.unit_id, on.c.role)
                                              .order_by(on.c.unit_id, on.c.person_id))).all():
        if uid is not None:
            out.setdefault(uid, []).append((pid, role))
    return out


async def on_staff(session: AsyncSession, commune_id: int, unit_id: int, as_of: datetime | None,
                   roles: Sequence[str] | None = None) -> list[tuple[int, str]]:
    """[(person id, role)] on the staff of one unit at ``as_of`` (``staff``)."""
    return (await on_staff_by_unit(session, [commune_id], as_of, roles)).get(unit_id, [])


def move_post(session: AsyncSession, commune: Commune, person: Person, unit_id: int | None, role: str,
              at: datetime | None = None) -> bool:
    """Give ``person`` the post (``unit_id``, ``role``) from ``at`` (default now): in a commune that already
    reports (``storage.units.created_moment``) the post they held until then is kept as a ``PersonPost``, so
    the periods due before still count them there. Returns whether the post changed."""
    if (person.unit_id, person.role) == (unit_id, role):
        return False
    moment = created_moment(commune, at) if person.id is not None else None
    if moment is not None:
        session.add(PersonPost(person_id=person.id, unit_id=person.unit_id, role=person.role,  # type: ignore[arg-type]
                               since=person.joined_at, until=moment))
        person.joined_at = moment
    person.unit_id, person.role = unit_id, role
    session.add(person)
    return True
