"""Reminder sweeps: who still owes which report, which stage applies now, and exactly-once sending."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import Counter
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outbox_payload import to_payload
from handlers.services import Services
from reminders.messages import reminder_outgoing, reminders_outgoing
from reminders.planned import SWEPT_STREAMS, Planned, reporter_roles
from reminders.province_digest import plan_province_digests
from reminders.returned import plan_returned
from reminders.sweep_reads import SweepReads
from storage.calendar import holiday_table
from storage.calendar.calendar import (
    Period,
    Stage,
    covering_stream,
    owed_since,
    period_for,
    previous_period,
)
from storage.calendar.calendar import due_stage as calendar_due_stage
from storage.calendar.commune_streams import (
    CommuneStreams,
    base_streams,
    load_settings_rows,
    merge,
    with_province,
)
from storage.calendar.streams import Stream
from storage.db import Database
from storage.models import Commune, Outbox, ReminderLog, Unit
from storage.province_stream import province_days, province_stream
from storage.sqlutil import dialect_insert
from storage.status import stream_states
from storage.units import existed_by

__all__ = ["REMINDERS", "SweepHost", "plan_sweep", "preview", "run_sweep"]

log = logging.getLogger(__name__)
# Served by bot.metrics with everything else in prometheus' default registry.
REMINDERS = Counter("cdsbot_reminders", "Reminders queued by the sweeps, by stage", ["stage"])
CLAIM_BATCH = 500  # reminder claims per multi-row INSERT … ON CONFLICT DO NOTHING RETURNING
class _Waker(Protocol):
    def wake(self) -> None: ...


class SweepHost(Protocol):
    """What a sweep needs from the running bot (bot.app.BotApp is one): services, database, outbox worker."""

    services: Services
    db: Database
    outbox: _Waker | None


_calendar_generation = [-1]  # holiday_table.generation() the cache below was computed with


@functools.lru_cache(maxsize=256)
def _due_stage_cached(period: Period, now: datetime, working_days_only: bool | None) -> Any:
    return calendar_due_stage(period, now, working_days_only=working_days_only)


async def plan_sweep(session: AsyncSession, services: Services, now: datetime,
                     commune: Commune | None = None) -> list[Planned]:
    """Everything a sweep at ``now`` should send (before exactly-once filtering)."""
    communes = [commune] if commune else list((await session.exec(select(Commune))).all())
    base = base_streams(services)
    shared = CommuneStreams(tuple(base))
    # Every commune's settings in one query, read afresh (never from a worker's cache).
    settings = await load_settings_rows(session, [commune.id] if commune else None)  # type: ignore[list-item]
    await holiday_table.refresh(session, force=True)  # holiday corrections, read afresh like the settings
    if _calendar_generation[0] != holiday_table.generation():
        _due_stage_cached.cache_clear()
        _calendar_generation[0] = holiday_table.generation()
    days = await province_days(session)  # each province's deadline for its communes' compiled report
    planned: list[Planned] = []
    lists = SweepReads(session, [c.id for c in communes])  # type: ignore[misc]  # read once for all communes
    for c in communes:
        rows = settings.get(c.id)  # type: ignore[arg-type]
        enabled = with_province(merge(base, rows) if rows else shared,
                                province_stream(days.get(c.province_id)) if c.province_id else None).enabled
        for stream in enabled:
            if stream.name not in SWEPT_STREAMS:
                continue
            current = period_for(stream, now, services.tz)
            for period in (previous_period(current), current):
                if covering_stream(period, enabled) is None:  # an H2 is reported by the year report
                    planned += await _plan_period(session, c, stream, period, now, lists=lists)
            planned += await plan_returned(session, c, stream, now, services.tz, lists)
    if commune is None:  # the province offices' digests: which communes' compiled reports have not arrived
        planned += await plan_province_digests(session, now, services.tz, _due_stage_cached)
    return planned


async def _plan_period(session: AsyncSession, commune: Commune, stream: Stream, period: Period,
                       now: datetime, force_stage: str | None = None, lists: SweepReads | None = None) -> list[Planned]:
    if force_stage is None and _due_stage_cached(period, now, True) is None \
            and _due_stage_cached(period, now, False) is None:
        return []  # no stage applies to this period at this moment: nothing to look up
    if not owed_since(period, commune.reporting_start):
        return []  # due before the commune's reporting start: nobody owes it, no reminder, no digest
    lists = lists or SweepReads(session, [commune.id])  # type: ignore[list-item]
    if stream.kind in ("lead_report", "steering_report"):  # the lead office's own reports
        as_of = period.due if period.due <= now else None  # (a period not yet due: today's people)
        units = [u for u in await lists.with_role(commune.id, stream.reporter_roles, as_of)  # type: ignore[arg-type]
                 if existed_by(u, period.due)]
    else:
        kind = "village" if stream.kind == "village_activity" else "office"
        # (a period not yet due: today's tree, one read for all of them)
        units = await lists.expected(commune.id, kind, period.due if period.due <= now else None)  # type: ignore[arg-type]
    if not units:
        return []
    states = await stream_states(session, commune, period, now, units,
                                 await lists.submissions(commune.id, period),  # type: ignore[arg-type]
                                 functools.partial(lists.listed, commune.id))
    # Returned reports have their own daily reminder (reminders/returned.py); not owed: before the start.
    owing_ids = {st.unit_id for st in states if st.state in ("pending", "missing")}
    owing = [u for u in units if u.id in owing_ids]
    names = {u.id: u.name for u in units}
    out: list[Planned] = []
    unreachable: list[str] = []
    for person, ident in await lists.people(commune.id, [u.id for u in owing],  # type: ignore[misc,arg-type]
                                            reporter_roles(stream)):
        weekend_ok = stream.weekend_reminders or person.weekend_reminders
        stage = force_stage or _due_stage_cached(period, now, not weekend_ok)
        if stage is None:
            continue
        if ident is None:
            unreachable.append(person.name)
        out.append(Planned(person.id, person.name, names.get(person.unit_id), ident.channel if ident else None,  # type: ignore[arg-type]
                           ident.chat_id if ident else None, person.locale, stream.name, period.key, str(stage),
                           period.due_text_vi, ref=period))
    if stream.kind == "unit_report" and force_stage is None:  # reported before the plan grew: the new items
        out += await _new_items(session, commune, stream, period, now, states, units, lists)
    if force_stage is None and now > period.due and _due_stage_cached(period, now, True) == Stage.OVERDUE:
        late = tuple(st.name for st in states if st.state == "late")
        returned = tuple(f"{st.name}: {st.comment}" if st.comment else st.name
                         for st in states if st.state == "returned")
        undelivered = tuple(sorted(set(await lists.undelivered(commune.id, stream, period))  # type: ignore[arg-type]
                                   - set(unreachable)))
        missing = tuple(u.name for u in owing)
        unlisted = tuple(st.name for st in states if st.unlisted and st.unit_id in owing_ids)
        nobody = tuple(f"{i.code} ({i.chair_text})" for i in await lists.no_unit(commune.id, period.due)) \
            if stream.kind == "unit_report" else ()
        leads = await lists.people(commune.id, [u.id for u in await lists.every(commune.id)],  # type: ignore[arg-type]
                                   (stream.notify_missing_to or "lead",))
        for person, ident in leads:
            out.append(Planned(person.id, person.name, None, ident.channel if ident else None,  # type: ignore[arg-type]
                               ident.chat_id if ident else None, person.locale, stream.name, period.key,
                               "digest", period.due_text_vi, missing, late, tuple(sorted(set(unreachable))),
                               returned=returned, undelivered=undelivered, unlisted=unlisted, no_unit=nobody,
                               ref=period))
    return out


async def _new_items(session: AsyncSession, commune: Commune, stream: Stream, period: Period, now: datetime,
                     states: list[Any], units: list[Unit], lists: SweepReads) -> list[Planned]:
    """One reminder ("new_items", once per period) to the officers of each office that sent its report before a
    re-import added items it owes for the period (``storage.item_standing.new_items``), naming those items."""
    sent = {st.unit_id: st.submitted_at for st in states if st.state in ("on_time", "late") and st.submitted_at}
    if not sent or not await lists.items_added(commune.id, min(sent.values()), period.due):  # type: ignore[arg-type]
        return []
    added = await lists.new_items(commune.id, period)  # type: ignore[arg-type]
    out: list[Planned] = []
    for unit in units:
        codes = added.get(unit.id)  # type: ignore[arg-type]
        if unit.id not in sent or not codes:
            continue
        for person, ident in await lists.people(commune.id, [unit.id], reporter_roles(stream)):  # type: ignore[arg-type,list-item]
            weekend_ok = stream.weekend_reminders or person.weekend_reminders
            if _due_stage_cached(period, now, not weekend_ok) is None:
                continue
            out.append(Planned(person.id, person.name, unit.name, ident.channel if ident else None,
                               ident.chat_id if ident else None, person.locale, stream.name, period.key, "new_items",
                               period.due_text_vi, items=codes, ref=period))
    return out


async def preview(session: AsyncSession, services: Services, now: datetime,
                  commune: Commune | None = None) -> list[Planned]:
    """What a sweep at ``now`` would send: planned messages not yet claimed in the reminder log."""
    planned = await plan_sweep(session, services, now, commune)
    keys = [p.key for p in planned]
    done = set((await session.exec(select(ReminderLog.key).where(ReminderLog.key.in_(keys)))).all()) \
        if keys else set()  # type: ignore[attr-defined]
    return [p for p in planned if p.key not in done]


def _grouped(claimed: list[Planned]) -> list[list[Planned]]:
    """One message per planned reminder, except that a person's steering-committee reminders of one sweep
    (e.g. month, quarter and year all due on the 6th) travel together as one message."""
    out: list[list[Planned]] = []
    steering: dict[tuple[int, str | None, str | None], list[Planned]] = {}
    for p in claimed:
        if p.stream.startswith("steering_") and p.stage != "digest":
            group = steering.get((p.person_id, p.channel, p.chat_id))
            if group is not None:
                group.append(p)
                continue
            steering[(p.person_id, p.channel, p.chat_id)] = group = [p]
            out.append(group)
        else:
            out.append([p])
    return out


async def run_sweep(bot: SweepHost, now: datetime | None = None) -> int:
    """Plan, claim each (person, stream, period, stage) once, and queue the messages, in batches."""
    now = now or bot.services.now()
    send_at = bot.services.now()
    queued = 0
    texts: dict[tuple[Any, ...], dict[str, Any]] = {}
    async with bot.db.transaction() as s:
        conn = await s.connection()
        planned = [p for p in await plan_sweep(s, bot.services, now) if p.channel is not None]
        claimed: set[str] = set()
        table = ReminderLog.__table__  # type: ignore[attr-defined]
        # One statement executed with a list of rows: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues")
        # compiled once, instead of compiling a statement with CLAIM_BATCH x 6 literal parameters per batch.
        claim = dialect_insert(conn.dialect.name)(table).on_conflict_do_nothing().returning(table.c.key)
        for start in range(0, len(planned), CLAIM_BATCH):
            claimed |= set((await conn.execute(claim, [
                {"key": p.key, "person_id": p.person_id, "stream": p.stream, "period": p.period, "stage": p.stage,
                 "created_at": now} for p in planned[start:start + CLAIM_BATCH]])).scalars().all())
        rows = []
        for group in _grouped([p for p in planned if p.key in claimed]):
            p = group[0]
            if len(group) > 1:
                payload = to_payload(reminders_outgoing(group, bot.services, now))
            else:
                k = (p.stream, p.period, p.stage, p.locale, p.due, p.missing, p.late, p.unreachable,
                     p.returned, p.comment, p.undelivered, p.unlisted, p.no_unit, p.items)
                payload = texts.get(k)
                if payload is None:
                    payload = texts[k] = to_payload(reminder_outgoing(p, bot.services, now))
            for g in group:
                REMINDERS.labels(g.stage).inc()
            rows.append({"key": "reminder:" + "|".join(g.key for g in group), "person_id": p.person_id,
                         "channel": p.channel, "chat_id": p.chat_id, "payload": payload, "status": "pending",
                         "attempts": 0, "next_attempt_at": send_at, "created_at": send_at})
        otable = Outbox.__table__  # type: ignore[attr-defined]
        for start in range(0, len(rows), CLAIM_BATCH):
            await conn.execute(dialect_insert(conn.dialect.name)(otable).on_conflict_do_nothing(), rows[start:start + CLAIM_BATCH])
        queued = len(rows)
    if bot.outbox is not None:
        bot.outbox.wake()
    log.info("reminder sweep at %s queued %d message(s)", now.isoformat(), queued)
    return queued
