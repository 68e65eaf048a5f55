"""Finding the one record of a human: listed people not yet joined, and twins by name or phone."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold, normalize_name
from storage.models import Identity, Person

__all__ = ["listed_candidates", "merge_twins", "name_key", "people_in_unit_by_name", "same_name", "twins_of"]

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
