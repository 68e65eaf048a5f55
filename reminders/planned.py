"""One planned reminder (``Planned``) and who receives a stream's reminders, shared by sweeps and buttons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.calendar import Period
from storage.calendar.streams import Frequency, Stream
from storage.models import Identity, Person

__all__ = ["MONTHLY_ONLY", "SWEPT_STREAMS", "Planned", "identities_by_person", "people_with_roles", "province_office",
           "reporter_roles", "untracked", "untracked_error", "with_identities"]

# Streams whose submission the bot records: village logs, unit reports, the lead office's compiled
# report (marked sent after /xuat), its reports to the steering committee (marked sent from the
# reminder's button or /hanbaocao) and, in a commune of a province, its compiled report to the province.
SWEPT_STREAMS = ("village_monthly", "unit_monthly", "lead_monthly", "steering_monthly", "steering_quarterly",
                 "steering_half_year", "steering_year", "province_monthly")
# Of those, the ones collected month by month whatever the configuration says (their periods are months).
MONTHLY_ONLY = ("village_monthly", "unit_monthly", "lead_monthly", "province_monthly")


def untracked(names: Iterable[str]) -> list[str]:
    """The stream names of ``names`` that the bot does not collect (no reminder, no state): a setting for one
    would be saved and then do nothing, so configuring one is refused (e.g. a quarterly unit report)."""
    return sorted(set(names) - set(SWEPT_STREAMS))


def untracked_error(streams: Iterable[Stream]) -> str | None:
    """The operator's message for streams the bot cannot collect as configured, None when there are none: an
    ``untracked`` name, or a monthly report given another frequency — its reports, views and exports are kept by
    month ("2026-12"), so a half-year unit report (seed 002: "định kỳ 6 tháng, hằng năm") would load and then
    break every status, /xuat and export (a half-year unit stream is not supported yet)."""
    streams = list(streams)
    unknown = untracked(s.name for s in streams)
    if unknown:
        return (f"stream {', '.join(repr(n) for n in unknown)}: the bot does not collect such a report, so its "
                f"setting would do nothing (it collects: {', '.join(SWEPT_STREAMS)})")
    odd = [s for s in streams if s.name in MONTHLY_ONLY and s.frequency is not Frequency.MONTHLY]
    if odd:
        return (f"stream {', '.join(repr(s.name) for s in odd)}: the bot collects it by month only, not "
                f"{odd[0].frequency.value} (its periods, reports and exports are monthly)")
    return None


@dataclass(frozen=True)
class Planned:
    """One message a sweep would send."""

    person_id: int
    person: str
    unit: str | None
    channel: str | None
    chat_id: str | None
    locale: str
    stream: str
    period: str
    stage: str  # a Stage value, "digest" for the lead office's summary, "province_digest" for the province's
    due: str
    missing: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()  # digest: "unit: the lead office's comment"
    comment: str | None = None  # a returned report's comment
    undelivered: tuple[str, ...] = ()  # joined, but this period's reminders failed on every channel tried
    unlisted: tuple[str, ...] = ()  # digest: missing units with nobody on the org list (nobody to remind)
    no_unit: tuple[str, ...] = ()  # digest: "N8.3 (Các đơn vị trường học)", items no unit can report
    items: tuple[str, ...] = ()  # new_items: codes of the items a re-import added after the unit reported
    ref: Period | None = field(default=None, compare=False, repr=False)  # the commune's period itself

    @property
    def key(self) -> str:
        return f"{self.stream}:{self.period}:{self.person_id}:{self.stage}"

    def as_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("person", "unit", "channel", "stream", "period", "stage", "due")}
        extra: dict[str, Any] = {}
        if self.stage in ("digest", "province_digest"):
            extra = {"missing": list(self.missing), "late": list(self.late), "returned": list(self.returned),
                     "unreachable": list(self.unreachable),
                     "undelivered": list(self.undelivered), "unlisted": list(self.unlisted),
                     "no_unit": list(self.no_unit)}
        elif self.comment is not None:
            extra = {"comment": self.comment}
        elif self.items:
            extra = {"items": list(self.items)}
        return d | extra


async def people_with_roles(session: AsyncSession, commune_id: int, unit_ids: list[int], roles: tuple[str, ...]
                  ) -> list[tuple[Any, Any]]:
    return await _with_identities(session, (await session.exec(_PEOPLE.where(
        Person.commune_id == commune_id, Person.unit_id.in_(unit_ids),  # type: ignore[union-attr]
        Person.role.in_(roles), Person.anonymised_at.is_(None)).order_by(Person.id))).all())  # type: ignore[attr-defined,union-attr]


async def province_office(session: AsyncSession, province_id: int) -> list[tuple[Any, Any]]:
    """The province office's people (role "province") with the identity each is reached on."""
    return await _with_identities(session, (await session.exec(_PEOPLE.where(
        Person.province_id == province_id, Person.role == "province",
        Person.anonymised_at.is_(None)).order_by(Person.id))).all())  # type: ignore[union-attr]


_PEOPLE = select(Person.id, Person.name, Person.unit_id, Person.locale, Person.weekend_reminders,
                 Person.preferred_channel, Person.last_channel)


async def _with_identities(session: AsyncSession, people: Any) -> list[tuple[Any, Any]]:
    ids = [p.id for p in people]
    idents = (await session.exec(select(Identity.person_id, Identity.channel, Identity.chat_id).where(
        Identity.person_id.in_(ids)).order_by(Identity.id))).all() if ids else []  # type: ignore[attr-defined]
    return with_identities(people, identities_by_person(idents))


def identities_by_person(idents: Iterable[Any]) -> dict[int, list[Any]]:
    """person id → their identities (rows with person_id, channel, chat_id), in the order read (by id)."""
    by_person: dict[int, list[Any]] = {}
    for i in idents:
        by_person.setdefault(i.person_id, []).append(i)
    return by_person


def with_identities(people: Iterable[Any], by_person: dict[int, list[Any]]) -> list[tuple[Any, Any]]:
    """Each person with the identity a reminder reaches them on: the preferred channel's, else the last used
    one's, else the first (None: not joined)."""
    out = []
    for p in people:
        mine = by_person.get(p.id, [])
        pick = next((i for ch in (p.preferred_channel, p.last_channel) for i in mine if ch and i.channel == ch),
                    mine[0] if mine else None)
        out.append((p, pick))
    return out


def reporter_roles(stream: Stream) -> tuple[str, ...]:
    return stream.reporter_roles + (("lead",) if "officer" in stream.reporter_roles else ())
