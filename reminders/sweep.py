"""Reminder sweeps: who still owes which report, which stage applies now, and exactly-once sending."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.periods import streams as configured_streams
from handlers.services import Services
from reminders.calendar import Period, Stage, due_stage, period_for, previous_period
from reminders.streams import Stream
from storage.models import ActivityLog, Commune, Identity, Person, ReminderLog, Report, ReportingPeriod, Unit
from storage.status import expected_units

if TYPE_CHECKING:
    from bot.app import BotApp

__all__ = ["Planned", "SWEPT_STREAMS", "plan_sweep", "preview", "run_sweep"]

log = logging.getLogger(__name__)
# Streams whose submission the bot records today; the lead's compiled and steering reports are
# reminded once their submission is recorded by the bot (see the issue notes).
SWEPT_STREAMS = ("village_monthly", "unit_monthly")


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
    stage: str  # a Stage value, or "digest" for the lead office's summary
    due: str
    missing: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.stream}:{self.period}:{self.person_id}:{self.stage}"

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in ("person", "unit", "channel", "stream", "period", "stage", "due")} | (
            {"missing": list(self.missing), "late": list(self.late), "unreachable": list(self.unreachable)}
            if self.stage == "digest" else {})


async def _submitted_units(session: AsyncSession, commune_id: int, period: Period) -> dict[int, datetime]:
    """unit id → first submission moment for the period."""
    if period.stream.kind == "village_activity":
        rows = (await session.exec(select(ActivityLog.unit_id, ActivityLog.created_at).where(
            ActivityLog.commune_id == commune_id, ActivityLog.on_date >= period.start,
            ActivityLog.on_date <= period.end))).all()
    else:
        rows = (await session.exec(select(Report.unit_id, Report.submitted_at).join(ReportingPeriod).where(
            ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
            ReportingPeriod.key == period.key))).all()
    first: dict[int, datetime] = {}
    for unit_id, at in rows:
        if unit_id not in first or at < first[unit_id]:
            first[unit_id] = at
    return first


async def _people(session: AsyncSession, commune_id: int, unit_ids: list[int], roles: tuple[str, ...]
                  ) -> list[tuple[Person, Identity | None]]:
    people = (await session.exec(select(Person).where(
        Person.commune_id == commune_id, Person.unit_id.in_(unit_ids),  # type: ignore[union-attr]
        Person.role.in_(roles), Person.anonymised_at.is_(None)))).all()  # type: ignore[attr-defined,union-attr]
    ids = [p.id for p in people]
    idents = (await session.exec(select(Identity).where(Identity.person_id.in_(ids)))).all() if ids else []  # type: ignore[attr-defined]
    by_person: dict[int, list[Identity]] = {}
    for i in idents:
        by_person.setdefault(i.person_id, []).append(i)
    out = []
    for p in people:
        mine = by_person.get(p.id, [])  # type: ignore[arg-type]
        pick = next((i for ch in (p.preferred_channel, p.last_channel) for i in mine if ch and i.channel == ch),
                    mine[0] if mine else None)
        out.append((p, pick))
    return out


def _reporter_roles(stream: Stream) -> tuple[str, ...]:
    return stream.reporter_roles + (("lead",) if "officer" in stream.reporter_roles else ())


async def plan_sweep(session: AsyncSession, services: Services, now: datetime,
                     commune: Commune | None = None) -> list[Planned]:
    """Everything a sweep at ``now`` should send (before exactly-once filtering)."""
    communes = [commune] if commune else list((await session.exec(select(Commune))).all())
    planned: list[Planned] = []
    for c in communes:
        for stream in configured_streams(services):
            if stream.name not in SWEPT_STREAMS:
                continue
            current = period_for(stream, now, services.tz)
            for period in (previous_period(current), current):
                planned += await _plan_period(session, c, stream, period, now)
    return planned


async def _plan_period(session: AsyncSession, commune: Commune, stream: Stream, period: Period,
                       now: datetime, force_stage: str | None = None) -> list[Planned]:
    kind = "village" if stream.kind == "village_activity" else "office"
    units = await expected_units(session, commune.id, kind)  # type: ignore[arg-type]
    if not units:
        return []
    submitted = await _submitted_units(session, commune.id, period)  # type: ignore[arg-type]
    owing = [u for u in units if u.id not in submitted]
    names = {u.id: u.name for u in units}
    out: list[Planned] = []
    unreachable: list[str] = []
    for person, ident in await _people(session, commune.id, [u.id for u in owing],  # type: ignore[misc,arg-type]
                                       _reporter_roles(stream)):
        weekend_ok = stream.weekend_reminders and person.weekend_reminders
        stage = force_stage or due_stage(period, now, working_days_only=not weekend_ok)
        if stage is None:
            continue
        if ident is None:
            unreachable.append(person.name)
        out.append(Planned(person.id, person.name, names.get(person.unit_id), ident.channel if ident else None,  # type: ignore[arg-type]
                           ident.chat_id if ident else None, person.locale, stream.name, period.key, str(stage),
                           period.due_text_vi))
    if force_stage is None and now > period.due and due_stage(period, now, working_days_only=True) == Stage.OVERDUE:
        late = tuple(names[u] for u, at in submitted.items() if at > period.due and u in names)
        missing = tuple(u.name for u in owing)
        leads = await _people(session, commune.id, [u.id for u in await _all_units(session, commune.id)],
                              (stream.notify_missing_to or "lead",))
        for person, ident in leads:
            out.append(Planned(person.id, person.name, None, ident.channel if ident else None,  # type: ignore[arg-type]
                               ident.chat_id if ident else None, person.locale, stream.name, period.key,
                               "digest", period.due_text_vi, missing, late, tuple(sorted(set(unreachable)))))
    return out


async def _all_units(session: AsyncSession, commune_id: int) -> list[Unit]:
    return list((await session.exec(select(Unit).where(Unit.commune_id == commune_id))).all())


async def preview(session: AsyncSession, services: Services, now: datetime,
                  commune: Commune | None = None) -> list[Planned]:
    """What a sweep at ``now`` would send: planned messages not yet claimed in the reminder log."""
    planned = await plan_sweep(session, services, now, commune)
    keys = [p.key for p in planned]
    done = set((await session.exec(select(ReminderLog.key).where(ReminderLog.key.in_(keys)))).all()) \
        if keys else set()  # type: ignore[attr-defined]
    return [p for p in planned if p.key not in done]


async def run_sweep(bot: BotApp, now: datetime | None = None) -> int:
    """Plan, claim each (person, stream, period, stage) once, and queue the messages. Returns queued count."""
    from reminders.messages import reminder_outgoing
    from reminders.send import claim_and_queue

    now = now or bot.services.now()
    queued = 0
    async with bot.db.transaction() as s:
        for p in await plan_sweep(s, bot.services, now):
            if p.channel is None:
                continue
            if await claim_and_queue(s, p, reminder_outgoing(p, bot.services), now, send_at=bot.services.now()):
                queued += 1
    if bot.outbox is not None:
        bot.outbox.wake()
    log.info("reminder sweep at %s queued %d message(s)", now.isoformat(), queued)
    return queued


