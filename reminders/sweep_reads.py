"""What a sweep reads, once for all its communes: units, people and identities, submissions, returned reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reminders.planned import identities_by_person, with_identities
from storage.calendar.calendar import Period
from storage.calendar.streams import Stream
from storage.item_standing import items_added_by_commune, new_items_by_unit
from storage.models import Identity, Outbox, Person, PersonPost, Report, ReportingPeriod, Unit
from storage.no_unit import NoUnitItem, no_unit_items_by_commune
from storage.people import held_at, posts
from storage.status import expected_units_by_commune, listed_of, submissions_by_commune

__all__ = ["SweepReads"]

_PEOPLE = select(Person.id, Person.name, Person.unit_id, Person.locale, Person.weekend_reminders,
                 Person.preferred_channel, Person.last_channel, Person.commune_id, Person.role, Person.joined_at,
                 Person.left_at, Person.anonymised_at)


class SweepReads:
    """The rows ``reminders.sweep._plan_period`` reads, kept for one sweep (the same answer inside its one
    transaction): each kind is read for every commune of the sweep together on first use, so the number of
    statements does not grow with the communes. A commune outside ``commune_ids`` (a single-commune call,
    e.g. /nhacnho's "remind again") is read on its own."""

    def __init__(self, session: AsyncSession, commune_ids: Sequence[int] = ()) -> None:
        self.session = session
        self.commune_ids = list(commune_ids)
        self._kept: dict[tuple[Any, ...], Any] = {}

    def _ids(self, commune_id: int) -> list[int]:
        return self.commune_ids if commune_id in self.commune_ids else [commune_id]

    async def _by_commune(self, what: tuple[Any, ...], commune_id: int, read: Any, default: Any) -> Any:
        """``read(ids)`` (commune id → value) once for the communes, kept under ``what``."""
        if (*what, commune_id) not in self._kept:
            ids = self._ids(commune_id)
            found = await read(ids)
            for cid in ids:
                self._kept[(*what, cid)] = found.get(cid, default)
        return self._kept[(*what, commune_id)]

    async def expected(self, commune_id: int, kind: str, due: datetime | None) -> list[Unit]:
        """The units expected for a period due at ``due`` (the tree as it stood then; None: today's)."""
        return await self._by_commune(("expected", kind, due), commune_id,
                                      lambda ids: expected_units_by_commune(self.session, ids, kind, due), [])

    async def with_role(self, commune_id: int, roles: tuple[str, ...], due: datetime | None) -> list[Unit]:
        """The units with someone in ``roles`` when a period was due at ``due`` (``storage.people.held_at``;
        None: today's people), from one read of the communes' posts in these roles."""
        rows = await self._by_commune(("role", roles), commune_id, lambda ids: self._with_role(ids, roles), [])
        held = {u.id: u for u, since, until in rows if held_at(since, until, due)}
        return list(held.values())

    async def _with_role(self, ids: list[int], roles: tuple[str, ...]) -> dict[int, list[Any]]:
        every = posts(ids, roles)  # (unit, since, until) of every post in these roles, current and earlier
        out: dict[int, list[Any]] = {}
        for row in (await self.session.exec(select(Unit, every.c.since, every.c.until).join(  # type: ignore[call-overload]
                every, every.c.unit_id == Unit.id).order_by(Unit.name, Unit.id))).all():
            out.setdefault(row[0].commune_id, []).append(row)
        return out

    async def every(self, commune_id: int) -> list[Unit]:
        """Every unit of the commune."""
        async def read(ids: list[int]) -> dict[int, list[Unit]]:
            out: dict[int, list[Unit]] = {}
            for u in (await self.session.exec(select(Unit).where(col(Unit.commune_id).in_(ids)))).all():
                out.setdefault(u.commune_id, []).append(u)
            return out
        return await self._by_commune(("all",), commune_id, read, [])

    async def no_unit(self, commune_id: int, due: datetime) -> list[NoUnitItem]:
        """The plan items no unit can report as of ``due`` (``storage.no_unit``)."""
        return await self._by_commune(("no_unit", due), commune_id,
                                      lambda ids: no_unit_items_by_commune(self.session, ids, due), [])

    async def submissions(self, commune_id: int, period: Period) -> dict[int, Any]:
        """unit id → (submission moment, review, comment) for ``period`` (``storage.status.submissions_by_commune``)."""
        what = ("subs", period.start, period.end) if period.stream.kind == "village_activity" else \
            ("subs", period.stream.name, period.key)
        return await self._by_commune(what, commune_id,
                                      lambda ids: submissions_by_commune(self.session, ids, period), {})

    async def _people(self, commune_id: int) -> dict[int, list[Any]]:
        """unit id → every person of the commune's unit (anonymised too: the org list), by id."""
        async def read(ids: list[int]) -> dict[int, dict[int, list[Any]]]:
            out: dict[int, dict[int, list[Any]]] = {}
            for p in (await self.session.exec(_PEOPLE.where(col(Person.commune_id).in_(ids),
                                                            col(Person.unit_id).is_not(None))
                                              .order_by(Person.id))).all():
                out.setdefault(p.commune_id, {}).setdefault(p.unit_id, []).append(p)
            return out
        return await self._by_commune(("people",), commune_id, read, {})

    async def people(self, commune_id: int, unit_ids: list[int], roles: tuple[str, ...]) -> list[tuple[Any, Any]]:
        """``reminders.planned.people_with_roles``: the commune's people of ``unit_ids`` in ``roles``, not
        anonymised, by id, each with the identity a reminder reaches them on."""
        of_unit, wanted = await self._people(commune_id), set(roles)
        chosen = sorted((p for uid in set(unit_ids) for p in of_unit.get(uid, ())
                         if p.role in wanted and p.anonymised_at is None), key=lambda p: p.id)
        if not chosen:
            return []

        async def read(ids: list[int]) -> dict[int, dict[int, list[Any]]]:
            rows = (await self.session.exec(select(Person.commune_id, Identity.person_id, Identity.channel,
                                                   Identity.chat_id).join(Person, col(Person.id) == Identity.person_id)
                                            .where(col(Person.commune_id).in_(ids)).order_by(Identity.id))).all()
            of_commune: dict[int, list[Any]] = {}
            for r in rows:
                of_commune.setdefault(r.commune_id, []).append(r)
            return {cid: identities_by_person(of) for cid, of in of_commune.items()}
        return with_identities(chosen, await self._by_commune(("identities",), commune_id, read, {}))

    async def listed(self, commune_id: int, unit_ids: list[int], as_of: datetime | None) -> set[int]:
        """Which of the units had somebody on the org list at ``as_of`` (``storage.status.listed_of``)."""
        of_unit = await self._people(commune_id)
        people = [(p.unit_id, p.joined_at, p.left_at, p.anonymised_at) for uid in set(unit_ids)
                  for p in of_unit.get(uid, ())]
        found = listed_of(people, None, unit_ids, as_of)
        if as_of is None or len(found) == len(set(unit_ids)):
            return found

        async def read(ids: list[int]) -> dict[int, list[Any]]:
            out: dict[int, list[Any]] = {cid: [] for cid in ids}
            for cid, uid, since, until in (await self.session.exec(select(
                    Unit.commune_id, PersonPost.unit_id, PersonPost.since, PersonPost.until)
                    .join(Unit, col(Unit.id) == PersonPost.unit_id).where(col(Unit.commune_id).in_(ids)))).all():
                out[cid].append((uid, since, until))
            return out
        return found | listed_of((), await self._by_commune(("posts",), commune_id, read, []), unit_ids, as_of)

    async def items_added(self, commune_id: int, since: datetime, due: datetime) -> bool:
        """Whether a re-import added an item to the commune's plans after ``since`` and by ``due``."""
        latest = await self._by_commune(("added", due), commune_id,
                                        lambda ids: items_added_by_commune(self.session, ids, due), None)
        return latest is not None and latest > since

    async def new_items(self, commune_id: int, period: Period) -> dict[int, tuple[str, ...]]:
        """unit id → the codes of the items a re-import added after its report for ``period`` (units with some)."""
        return await self._by_commune(("new_items", period.stream.name, period.key, period.due), commune_id,
                                      lambda ids: new_items_by_unit(self.session, ids, period), {})

    async def returned(self, commune_id: int, stream: Stream) -> list[Any]:
        """(unit id, review comment, period key) of the commune's returned reports of ``stream``, oldest period first."""
        async def read(ids: list[int]) -> dict[int, list[Any]]:
            out: dict[int, list[Any]] = {}
            for cid, uid, comment, key in (await self.session.exec(
                    select(ReportingPeriod.commune_id, Report.unit_id, Report.review_comment, ReportingPeriod.key)
                    .join(ReportingPeriod, ReportingPeriod.id == Report.period_id).where(
                        col(ReportingPeriod.commune_id).in_(ids), ReportingPeriod.stream == stream.name,
                        Report.status == "returned").order_by(ReportingPeriod.start, Report.id))).all():
                out.setdefault(cid, []).append((uid, comment, key))
            return out
        return await self._by_commune(("returned", stream.name), commune_id, read, [])

    async def undelivered(self, commune_id: int, stream: Stream, period: Period) -> list[str]:
        """People of the commune whose reminders for this period failed on every channel tried (refused, or
        given up after the outbox's retries: its dead letters). Reminder keys do not name the commune."""
        return await self._by_commune(("undelivered", stream.name, period.key), commune_id,
                                      lambda ids: self._undelivered(ids, stream, period), [])

    async def _undelivered(self, ids: list[int], stream: Stream, period: Period) -> dict[int, list[str]]:
        prefix = f"reminder:{stream.name}:{period.key}:%"
        grouped = f"%|{stream.name}:{period.key}:%"  # one of several steering reminders sent as one message
        of_period = Outbox.key.like(prefix) | Outbox.key.like(grouped)  # type: ignore[union-attr]
        # The dead letters first, through ix_outbox_status_next: the LIKEs cannot use an index (a leading %,
        # and SQLite's LIKE ignores case), so without the status filter this would scan the whole outbox.
        failed = set((await self.session.exec(select(Outbox.person_id).where(
            Outbox.status == "failed", of_period))).all())  # type: ignore[arg-type]
        failed.discard(None)
        if failed:
            failed -= set((await self.session.exec(select(Outbox.person_id).where(
                Outbox.status == "sent", col(Outbox.person_id).in_(failed), of_period))).all())  # type: ignore[arg-type]
        out: dict[int, list[str]] = {cid: [] for cid in ids}
        if failed:
            for cid, name in (await self.session.exec(select(Person.commune_id, Person.name).where(
                    col(Person.id).in_(failed), col(Person.commune_id).in_(ids)))).all():
                out[cid].append(name)
        return out
