"""Closed periods' activity-log facts rolled up per commune and date range (rule in the module's ``RULE``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, literal, null, or_, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.among import among
from storage.calendar.calendar import period_for
from storage.calendar.streams import Stream
from storage.models import ActivityLog, LogRollup, LogRollupStamp, Unit
from storage.sqlutil import dialect_insert

__all__ = ["AFTER", "BY_DUE", "GRACE", "NO_LOG", "RULE", "VILLAGE_STREAM", "Filled", "bump", "bump_sync", "closed_before",
           "fill", "firsts_of", "group_villages", "markers", "note_logs", "open_from", "stamps", "totals"]

RULE = """A commune's activity-log facts for a date range (each unit's first log, the totals by activity) are
kept in ``logrollup`` once the range is closed: it ends before ``closed_before`` (the first day of the
village period being reported an hour ago, by the deployment's village stream). They are filled on first
read and tagged with the commune's ``logrollupstamp.version`` read before the logs were; a row counts only
while its tag is the commune's current version. Every write that can change the logs of a closed range
(a log dated before ``open_from``, the first day of the village period being reported now; an edit or
deletion of such a log; a merge of units) adds one to the version in its own transaction: its commune's
rows stop counting at its commit and are filled again on the next read. Logs dated in the period being
reported never touch the roll-up (no statement on the per-update path), and such a period is never rolled
up: by the time a range ends before ``closed_before``, every writer that saw it open has committed (an
hour is far more than a turn's transaction lasts)."""

VILLAGE_STREAM = "village_monthly"  # the deployment's village stream: its periods are the province view's
GRACE = timedelta(hours=1)
NO_LOG, BY_DUE, AFTER = 0, 1, 2  # a village team's first log in a range: none, by the deadline, after it
_ROLL = LogRollup.__table__  # type: ignore[attr-defined]
_STAMP = LogRollupStamp.__table__  # type: ignore[attr-defined]
_log = logging.getLogger(__name__)


def _village(streams: Iterable[Stream]) -> Stream | None:
    return next((s for s in streams if s.name == VILLAGE_STREAM), None)


def open_from(streams: Iterable[Stream], now: datetime, tz: tzinfo) -> date:
    """A log dated on or after this day is never in a rolled-up range (no version to bump): the first day
    of the village period being reported at ``now``. Without a village stream: every date bumps."""
    stream = _village(streams)
    return period_for(stream, now, tz).start if stream else date.max


def closed_before(streams: Iterable[Stream], now: datetime, tz: tzinfo) -> date:
    """A range ending before this day may be read from (and kept in) the roll-up: ``open_from`` at
    ``now - GRACE``. Without a village stream: none."""
    stream = _village(streams)
    return period_for(stream, now - GRACE, tz).start if stream else date.min


# ---- writers: the commune's version, one more ------------------------------------------------


def _bump_statement(dialect: str) -> Any:
    ins = dialect_insert(dialect)(_STAMP).values(
        commune_id=bindparam("c"), version=1)
    return ins.on_conflict_do_update(index_elements=[_STAMP.c.commune_id], set_={"version": _STAMP.c.version + 1})


_BUMPS: dict[str, Any] = {}  # dialect -> statement (built on first use: see storage.sqlutil.dialect_insert)


def _bump_for(dialect: str) -> Any:
    if dialect not in _BUMPS:
        _BUMPS[dialect] = _bump_statement(dialect)
    return _BUMPS[dialect]


async def bump(conn: AsyncConnection | AsyncSession, commune_ids: Iterable[int]) -> None:
    """One more version for each commune (in the caller's transaction): its rolled-up rows stop counting."""
    ids = sorted(set(commune_ids))  # (a fixed order: two writers never wait on each other's rows crosswise)
    if not ids:
        return
    c = await conn.connection() if isinstance(conn, AsyncSession) else conn
    await c.execute(_bump_for(c.dialect.name), [{"c": i} for i in ids])


def bump_sync(conn: Connection, commune_ids: Iterable[int]) -> None:
    """``bump`` on a synchronous connection (storage.merge, run by the CLI through ``run_sync``)."""
    ids = sorted(set(commune_ids))
    if ids:
        conn.execute(_bump_for(conn.dialect.name), [{"c": i} for i in ids])


async def note_logs(conn: AsyncConnection | AsyncSession, commune_id: int, dates: Iterable[date],
                    horizon: date) -> bool:
    """After writing logs of ``commune_id`` on ``dates``: bump its version if one of them is before
    ``horizon`` (``open_from``); nothing, not even a statement, otherwise. True when bumped."""
    if any(d < horizon for d in dates):
        await bump(conn, [commune_id])
        return True
    return False


# ---- readers: pieces of the province view's statements ---------------------------------------


def _current() -> Any:
    """The commune's current version (0 before any write bumped it)."""
    return func.coalesce(_STAMP.c.version, 0)


def _valid(ids: Sequence[int], start: date, end: date) -> Any:
    """The range's rows tagged with their commune's current version (an outer join to the stamp)."""
    return (_ROLL.outerjoin(_STAMP, _STAMP.c.commune_id == _ROLL.c.commune_id),
            and_(among(_ROLL.c.commune_id, ids), _ROLL.c.start == start, _ROLL.c.end == end,
                 _ROLL.c.version == _current()))


def firsts_of(ids: Sequence[int], ranges: Sequence[tuple[date, date]]) -> Any:
    """Subquery (commune_id, unit_id, start, first): each unit's first log in each of the ranges, from the roll-up
    (the rows of communes whose range is marked valid, ``markers``)."""
    joined, _where = _valid(ids, ranges[0][0], ranges[0][1])
    where = and_(among(_ROLL.c.commune_id, ids), or_(*(and_(_ROLL.c.start == s, _ROLL.c.end == e) for s, e in ranges)),
                 _ROLL.c.version == _current())
    return (select(_ROLL.c.commune_id, _ROLL.c.unit_id, _ROLL.c.start, _ROLL.c.first_at.label("first"))
            .select_from(joined).where(where, _ROLL.c.activity == "", _ROLL.c.unit_id > 0).subquery())


def totals(which: int, ids: Sequence[int], start: date, end: date) -> Any:
    """Select (which, commune_id, activity, total) from the roll-up."""
    joined, where = _valid(ids, start, end)
    return (select(literal(which).label("which"), _ROLL.c.commune_id, _ROLL.c.activity, _ROLL.c.total)
            .select_from(joined).where(where, _ROLL.c.activity > ""))


def markers(ids: Sequence[int], start: date, end: date, shape: Callable[[Any, Any], list[Any]]) -> Any:
    """Select ``shape(commune_id, version)``: the communes whose range is rolled up at their current version."""
    joined, where = _valid(ids, start, end)
    return (select(*shape(_ROLL.c.commune_id, _ROLL.c.version)).select_from(joined)
            .where(where, _ROLL.c.unit_id == 0, _ROLL.c.activity == ""))


def stamps(ids: Sequence[int], shape: Callable[[Any, Any], list[Any]]) -> Any:
    """Select ``shape(commune_id, version)``: the communes' current versions (no row: 0)."""
    return select(*shape(_STAMP.c.commune_id, _STAMP.c.version)).where(among(_STAMP.c.commune_id, ids))


# ---- filling -----------------------------------------------------------------------------------


class Filled:
    """What ``fill`` read from the logs for each range: (commune, unit) → first log, commune → activity →
    total, and commune → its village teams (to group them as the province view's statement would)."""

    def __init__(self) -> None:
        self.firsts: dict[tuple[date, date], dict[int, dict[int, datetime]]] = {}
        self.totals: dict[tuple[date, date], dict[int, dict[str, int]]] = {}
        self.villages: dict[int, list[int]] = {}
        self.created: dict[int, datetime] = {}  # village team → when it was added, if dated (Unit.created_at)


def group_villages(villages: Sequence[int], first: dict[int, datetime], due: datetime,
                   created: dict[int, datetime] | None = None) -> list[tuple[int, int]]:
    """A commune's village teams as [(how many, bucket)]: no log in the range (``NO_LOG``), first log at or
    before ``due`` (``BY_DUE``), after it (``AFTER``) (the grouping of ``storage.traffic_facts._submissions``,
    done here); a team added after ``due`` (``created``) is left out (``storage.units.existed_by``)."""
    groups: dict[int, int] = {}
    for uid in villages:
        if created and uid in created and created[uid] > due:
            continue
        at = first.get(uid)
        bucket = NO_LOG if at is None else BY_DUE if at <= due else AFTER
        groups[bucket] = groups.get(bucket, 0) + 1
    return [(n, bucket) for bucket, n in groups.items()]


async def fill(session: AsyncSession, ranges: dict[tuple[date, date], set[int]], versions: dict[int, int]) -> Filled:
    """Read each range's facts for its communes from the logs, in one statement, and keep them in the roll-up
    tagged ``versions`` (each commune's version, read before this). Keeping them is best effort: the
    figures returned are right either way (a failed write is logged and filled again next time)."""
    out = Filled()
    parts = []
    for j, ((start, end), cids) in enumerate(ranges.items()):
        span = (col(ActivityLog.commune_id).in_(sorted(cids)), ActivityLog.on_date >= start, ActivityLog.on_date <= end)
        parts.append(select(literal(j).label("which"), ActivityLog.commune_id, ActivityLog.unit_id, literal(""),
                            func.min(ActivityLog.created_at), literal(0))
                     .where(*span).group_by(ActivityLog.commune_id, ActivityLog.unit_id))
        parts.append(select(literal(j), ActivityLog.commune_id, literal(0), ActivityLog.activity, null(),
                            func.sum(ActivityLog.count))
                     .where(*span).group_by(ActivityLog.commune_id, ActivityLog.activity))
    every = sorted(set().union(*ranges.values()))
    parts.append(select(literal(-1), Unit.commune_id, Unit.id, literal(""), Unit.created_at, literal(0))
                 .where(col(Unit.commune_id).in_(every), Unit.kind == "village"))
    keys = list(ranges)
    for key, cids in ranges.items():
        out.firsts[key] = {c: {} for c in cids}
        out.totals[key] = {c: {} for c in cids}
    out.villages = {c: [] for c in every}
    conn = await session.connection()
    for which, cid, uid, activity, first, total in (await conn.execute(union_all(*parts))).all():
        if which < 0:
            out.villages[cid].append(uid)
            if first is not None:  # (the team's created_at)
                out.created[uid] = first
        elif activity:
            out.totals[keys[which]][cid][activity] = int(total)
        else:
            out.firsts[keys[which]][cid][uid] = first
    rows = [{"commune_id": c, "start": s, "end": e, "unit_id": uid, "activity": act, "version": versions.get(c, 0),
             "first_at": at, "total": n}
            for (s, e), by_commune in out.firsts.items() for c, mine in by_commune.items()
            for uid, act, at, n in [(0, "", None, 0), *((u, "", at, 0) for u, at in mine.items()),
                                    *((0, a, None, n) for a, n in out.totals[(s, e)][c].items())]]
    try:
        await _keep(session, ranges, rows)
    except Exception:  # the answer stands without it; the next read tries again
        _log.warning("could not keep the activity-log roll-up", exc_info=True)
    return out


async def _keep(session: AsyncSession, ranges: dict[tuple[date, date], set[int]], rows: list[dict[str, Any]]) -> None:
    """Replace the ranges' rows of these communes, in a transaction of its own (a turn's on SQLite: one writer)."""
    bind = session.bind
    if isinstance(bind, AsyncConnection) and bind.dialect.name == "sqlite":
        await _write(bind, ranges, rows)
        return
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    if engine is None:
        await _write(await session.connection(), ranges, rows)
        return
    async with engine.begin() as conn:  # type: ignore[union-attr]
        await _write(conn, ranges, rows)


async def _write(conn: AsyncConnection, ranges: dict[tuple[date, date], set[int]], rows: list[dict[str, Any]]) -> None:
    for (start, end), cids in ranges.items():
        await conn.execute(delete(_ROLL).where(_ROLL.c.commune_id.in_(sorted(cids)), _ROLL.c.start == start,
                                               _ROLL.c.end == end))
    ins = dialect_insert(conn.dialect.name)(_ROLL)
    upsert = ins.on_conflict_do_update(
        index_elements=[_ROLL.c.commune_id, _ROLL.c.start, _ROLL.c.end, _ROLL.c.activity, _ROLL.c.unit_id],
        set_={"version": ins.excluded.version, "first_at": ins.excluded.first_at, "total": ins.excluded.total})
    if rows:
        await conn.execute(upsert, rows)
