"""The commune → province stream: the lead office's compiled report to the province, due per province."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.among import Ids, among
from storage.built import ids_key, kept
from storage.calendar.calendar import Period, classify, period_by_key, period_for
from storage.calendar.data_end import fit_month
from storage.calendar.streams import Frequency, Stream
from storage.errors import InputError
from storage.models import AuditLog, Commune, Province, Report, ReportingPeriod
from storage.people import held_at, posts
from storage.province import province_communes

__all__ = ["DEFAULT_DUE_DAY", "MAX_DAY", "MIN_DAY", "PROVINCE_STREAM", "CompiledReport", "commune_province_stream",
           "compiled_report_states", "compiled_reports_of", "province_days", "province_month", "province_period", "province_stream", "set_report_due_day",
           "with_compiled_report"]

PROVINCE_STREAM = "province_monthly"
# The seed plans ask for the compiled report to the Department of Science and Technology monthly without
# a day (seeds 000, 002); it follows the lead office's report to the People's Committee (before the
# 22nd, seed 004), so the default leaves the People's Committee three days to sign: before the 25th.
DEFAULT_DUE_DAY = 25
MIN_DAY, MAX_DAY = 2, 31  # "before day 1" would fall in the previous month
RECIPIENT = "Sở Khoa học và Công nghệ tỉnh"


@lru_cache(maxsize=64)  # one frozen stream per day: read for every commune of a sweep
def province_stream(due_day: int | None = None) -> Stream:
    """The stream of a province whose compiled reports are due before ``due_day`` (None: the default): a day
    inside the data window (up to the 15th, as the window ends on the 14th) is that day of the following month,
    as /lich reads a commune's day (``storage.calendar.data_end.fit_month``)."""
    return fit_month(Stream(PROVINCE_STREAM, "lead_report", ("lead",), RECIPIENT, Frequency.MONTHLY,
                            due_day or DEFAULT_DUE_DAY, notify_missing_to="admin"))


def province_period(province: Province, key: str, tz: tzinfo) -> Period:
    """The province's period ``key`` ("2026-12") of the compiled report, with the province's deadline."""
    return period_by_key(province_stream(province.report_due_day), key, tz)


def province_month(due_day: int | None, unit_stream: Stream, village_stream: Stream, now: datetime,
                   tz: tzinfo) -> tuple[Period, Period]:
    """(unit period, village period) of the month the province view opens on at ``now`` (/tinhtrang, /xuat,
    /chitieu and the questions of the province office, `cdsbot status --province`): the earliest month still
    being collected, by the units and village teams (``period_for``, as a commune's own /tinhtrang: before the
    20th) or by the province from its communes (their compiled reports, before the province's day: the 25th by
    default). So from the 20th to the province's day the month just due stays on screen; then the next one."""
    key = min(period_for(s, now, tz).key for s in (unit_stream, village_stream, province_stream(due_day)))
    return period_by_key(unit_stream, key, tz), period_by_key(village_stream, key, tz)


async def province_days(session: AsyncSession) -> dict[int, int | None]:
    """province id → its due day (None: the default), for a sweep over every commune."""
    return dict((await session.exec(select(Province.id, Province.report_due_day))).all())  # type: ignore[arg-type]


async def commune_province_stream(session: AsyncSession, commune_id: int) -> Stream | None:
    """The province stream as the commune's province set it, or None when the commune is in no province."""
    row = (await session.exec(select(Commune.province_id, Province.report_due_day).join(
        Province, Province.id == Commune.province_id).where(Commune.id == commune_id))).first()  # type: ignore[arg-type]
    return None if row is None else province_stream(row[1])


async def set_report_due_day(session: AsyncSession, province: Province, day: int | None) -> None:
    """Move the province's deadline (before day ``day`` of the month; None: back to the default); audited."""
    if day is not None and not MIN_DAY <= day <= MAX_DAY:
        raise InputError(f"the day must be a whole number from {MIN_DAY} to {MAX_DAY}, got {day}")
    session.add(AuditLog(action="province.report_due_day", target=f"province:{province.id}",
                         detail={"before": province.report_due_day, "after": day}))
    province.report_due_day = day
    session.add(province)
    await session.flush()


@dataclass(frozen=True)
class CompiledReport:
    """Whether one commune's compiled report reached the province for a period.

    ``state``: on_time / late (sent, by the deadline or after it), pending (not sent, deadline ahead),
    missing (not sent, deadline passed), not_owed (due before the commune's reporting start), or
    no_lead (not sent and nobody of the commune's lead office is on the bot to send it: not counted)."""

    state: str
    sent_at: datetime | None
    due: datetime

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "due": self.due.isoformat()}


async def compiled_report_states(session: AsyncSession, province: Province, period_key: str, now: datetime,
                                 tz: tzinfo, communes: list[Commune] | None = None) -> dict[int, CompiledReport]:
    """commune id → its compiled report's state for ``period_key``, for every commune of the province (three
    queries). The state is ``storage.calendar.calendar.classify``'s, as for any report."""
    return (await compiled_reports_of(session, province, [period_key], now, tz, communes))[period_key]


async def compiled_reports_of(session: AsyncSession, province: Province, period_keys: list[str], now: datetime,
                              tz: tzinfo, communes: list[Commune] | None = None
                              ) -> dict[str, dict[int, CompiledReport]]:
    """``compiled_report_states`` for several periods in the same queries: period key → commune id → state."""
    periods = [province_period(province, key, tz) for key in dict.fromkeys(period_keys)]
    if communes is None:  # (the province view passes the communes it has read already)
        communes = await province_communes(session, province.id)  # type: ignore[arg-type]
    bind = session.bind  # (PostgreSQL: the ids as one array parameter, ``storage.among``)
    ids = Ids((c.id for c in communes), pg=bind is not None and bind.dialect.name == "postgresql")
    if not ids or not periods:
        return {p.key: {} for p in periods}
    keys = [p.key for p in periods]
    sent: dict[tuple[str, int], datetime] = {(key, cid): at for key, cid, at in (await session.exec(kept(
        ("compiled_sent", ids_key(ids), *keys), lambda: select(
            ReportingPeriod.key, ReportingPeriod.commune_id, func.min(Report.submitted_at)).join(
            Report, Report.period_id == ReportingPeriod.id).where(
            ReportingPeriod.stream == PROVINCE_STREAM, ReportingPeriod.key.in_(keys),  # type: ignore[attr-defined]
            among(ReportingPeriod.commune_id, ids)).group_by(
            ReportingPeriod.key, ReportingPeriod.commune_id)))).all()}
    leads = (await session.exec(kept(("compiled_leads", ids_key(ids)), lambda: _leads(ids)))).all()
    out: dict[str, dict[int, CompiledReport]] = {}
    for period in periods:  # a commune with no lead when the period was due (``storage.people.held_at``)
        with_lead = {cid for cid, since, until in leads if held_at(since, until, period.due)}
        mine = out[period.key] = {}
        for c in communes:
            at = sent.get((period.key, c.id))  # type: ignore[arg-type]
            state = classify(period, at, now, start=c.reporting_start)
            if at is None and c.id not in with_lead and state != "not_owed":
                state = "no_lead"
            mine[c.id] = CompiledReport(state, at, period.due)  # type: ignore[index]
    return out


def _leads(ids: Ids) -> Any:
    """The communes' leads' posts in a unit, with their dates: (commune id, since, until) (``storage.people.posts``)."""
    every = posts(ids, ("lead",))
    return select(every.c.commune_id, every.c.since, every.c.until).where(every.c.unit_id.is_not(None)).distinct()


def with_compiled_report(row: dict[str, Any], report: CompiledReport | None) -> None:
    """Add the compiled report to a ``storage.traffic`` row and apply it to the colour: Đỏ when it is
    missing after the deadline, Vàng (at least) while it is still owed before the deadline."""
    row["compiled_report"] = report.as_json() if report else None
    if report is None:
        return
    if report.state == "missing":
        row["colour"] = "red"
    elif report.state == "pending" and row["colour"] == "green":
        row["colour"] = "yellow"
