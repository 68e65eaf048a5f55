"""Reporting calendar: periods, data windows, due moments, working days and reminder stages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from storage.calendar import holiday_table
from storage.calendar.streams import (
    Frequency,
    Stream,
    default_streams,
    dump_streams,
    load_streams,
    window_start_day,
)
from storage.deadlines import last_allowed_day

__all__ = [
    "DEFAULT_QUIET", "DEFAULT_SWEEPS", "DEFAULT_TZ", "OWED", "SUBMITTED", "Frequency", "Period", "Stage",
    "ROMAN", "Status", "Stream", "after_quiet_hours", "build_period", "containing_ordinal", "classify", "covering_stream", "default_streams", "due_stage",
    "dump_streams", "is_working_day", "key_ordinal", "ordinal", "load_streams", "may_remind_at", "owed_since",
    "next_period", "next_working_day", "period_by_key", "period_for",
    "periods_between", "previous_period", "previous_working_day", "stage_moments",
]

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SWEEPS: tuple[tuple[int, int], ...] = ((8, 0), (16, 0))
DEFAULT_QUIET: tuple[time, time] = (time(21, 0), time(7, 0))
DEFAULT_CATCH_UP = timedelta(days=3)
# on_time / late: submitted (and not returned); returned: sent back by the lead office, owes a
# resubmission; pending: not sent, deadline ahead; missing: not sent, deadline passed; not_owed: not
# sent, but due before the commune's reporting start, so nobody owes it.
Status = Literal["on_time", "late", "returned", "pending", "missing", "not_owed"]
SUBMITTED: tuple[str, ...] = ("on_time", "late")
OWED: tuple[str, ...] = ("returned", "pending", "missing")

ROMAN = ("I", "II", "III", "IV")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_MONTHS_PER = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEAR: 6, Frequency.YEAR: 12}


@dataclass(frozen=True)
class Period:
    """One occurrence of a stream: data window ``start``–``end`` (inclusive dates) and ``due``, the
    last on-time instant (23:59:59.999999 local on the last allowed day)."""

    stream: Stream
    key: str
    label_vi: str
    label_en: str
    start: date
    end: date
    due: datetime
    due_text_vi: str
    due_text_en: str

    @property
    def last_day(self) -> date:
        """Last allowed local day (``due``'s date)."""
        return self.due.date()


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _month_date(month_ord: int, day: int) -> date:
    """Day ``day`` (clamped to the month's length) of month ordinal ``year*12 + month-1``."""
    y, m0 = divmod(month_ord, 12)
    ny, nm0 = divmod(month_ord + 1, 12)
    length = (date(ny, nm0 + 1, 1) - date(y, m0 + 1, 1)).days
    return date(y, m0 + 1, min(day, length))


def containing_ordinal(stream: Stream, d: date) -> int:
    """Ordinal of the calendar period (month, quarter, …, ISO week) that contains ``d``."""
    if stream.frequency is Frequency.WEEKLY:
        return (d.toordinal() - 1) // 7
    return (d.year * 12 + d.month - 1) // _MONTHS_PER[stream.frequency]


def _labels(freq: Frequency, n: int) -> tuple[str, str, str]:
    if freq is Frequency.MONTHLY:
        y, m0 = divmod(n, 12)
        return f"{y}-{m0 + 1:02d}", f"tháng {m0 + 1}/{y}", f"{_EN_MONTHS[m0]} {y}"
    if freq is Frequency.QUARTERLY:
        y, q0 = divmod(n, 4)
        return f"{y}-Q{q0 + 1}", f"quý {ROMAN[q0]}/{y}", f"Q{q0 + 1} {y}"
    if freq is Frequency.HALF_YEAR:
        y, h0 = divmod(n, 2)
        vi, en = ("đầu", "first") if h0 == 0 else ("cuối", "second")
        return f"{y}-H{h0 + 1}", f"6 tháng {vi} năm {y}", f"{en} half of {y}"
    if freq is Frequency.YEAR:
        return str(n), f"năm {n}", f"year {n}"
    iso = date.fromordinal(n * 7 + 1).isocalendar()
    return f"{iso.year}-W{iso.week:02d}", f"tuần {iso.week}/{iso.year}", f"week {iso.week} of {iso.year}"


def build_period(stream: Stream, n: int, tz: tzinfo) -> Period:
    if stream.frequency is Frequency.WEEKLY:
        start = date.fromordinal(n * 7 + 1)
        end = start + timedelta(days=6)
        due_date = start + timedelta(weeks=stream.due_month_offset, days=stream.due_day - 1)
    else:
        k = _MONTHS_PER[stream.frequency]
        first, last = n * k, n * k + k - 1
        s = window_start_day(stream.cutoff)
        if s == 1:
            start, end = _month_date(first, 1), _month_date(last, 31)
        else:
            start, end = _month_date(first - 1, s), _month_date(last, s - 1)
        due_date = _month_date(last + stream.due_month_offset, stream.due_day)
    last_day = last_allowed_day(due_date, before=not stream.inclusive)
    shown = f"{due_date:%d/%m/%Y}"
    if stream.inclusive:
        due_vi, due_en = f"chậm nhất ngày {shown}", f"by {shown}"
    else:
        due_vi, due_en = f"trước ngày {shown}", f"before {shown}"
    key, label_vi, label_en = _labels(stream.frequency, n)
    due = datetime.combine(last_day, time.max, tzinfo=tz)
    return Period(stream, key, label_vi, label_en, start, end, due, due_vi, due_en)


_KEY_RES = {
    Frequency.MONTHLY: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    Frequency.QUARTERLY: re.compile(r"^(\d{4})-Q([1-4])$"),
    Frequency.HALF_YEAR: re.compile(r"^(\d{4})-H([12])$"),
    Frequency.YEAR: re.compile(r"^(\d{4})()$"),
    Frequency.WEEKLY: re.compile(r"^(\d{4})-W(\d{2})$"),
}


def ordinal(freq: Frequency, year: int, num: int) -> int:
    """Period ordinal from (year, number-in-year); ValueError for an impossible week."""
    if freq is Frequency.WEEKLY:
        return (date.fromisocalendar(year, num, 1).toordinal() - 1) // 7
    if freq is Frequency.YEAR:
        return year
    return year * (12 // _MONTHS_PER[freq]) + num - 1


def key_ordinal(stream: Stream, key: str) -> int:
    m = _KEY_RES[stream.frequency].match(key)
    try:
        if m is None:
            raise ValueError
        return ordinal(stream.frequency, int(m.group(1)), int(m.group(2) or 0))
    except ValueError:
        raise ValueError(f"{key!r} is not a {stream.frequency.value} period key") from None


def period_for(stream: Stream, when: datetime, tz: tzinfo = DEFAULT_TZ) -> Period:
    """The period being reported at ``when``: the earliest period whose due moment has not passed
    (``due >= when``). On the last allowed day it is still that period; from 00:00 the next day
    the following period is current. For a stream due after its window closes (unit reports,
    before the 20th) this is the month whose window is closing or just closed."""
    _require_aware(when, "when")
    n = containing_ordinal(stream, when.astimezone(tz).date())
    while build_period(stream, n - 1, tz).due >= when:
        n -= 1
    while build_period(stream, n, tz).due < when:
        n += 1
    return build_period(stream, n, tz)


def period_by_key(stream: Stream, key: str, tz: tzinfo = DEFAULT_TZ) -> Period:
    """Period from its stable key ("2026-12", "2026-Q4", "2026-H2", "2026", "2026-W49")."""
    return build_period(stream, key_ordinal(stream, key), tz)


def previous_period(period: Period) -> Period:
    """The period just before ``period`` (same stream and time zone)."""
    return build_period(period.stream, key_ordinal(period.stream, period.key) - 1, period.due.tzinfo)


def next_period(period: Period) -> Period:
    """The period just after ``period`` (same stream and time zone)."""
    return build_period(period.stream, key_ordinal(period.stream, period.key) + 1, period.due.tzinfo)


def _local_date(d: date, tz: tzinfo) -> date:
    if isinstance(d, datetime):
        _require_aware(d, "start/end")
        return d.astimezone(tz).date()
    return d


def periods_between(stream: Stream, start: date, end: date, tz: tzinfo = DEFAULT_TZ) -> list[Period]:
    """Periods whose last allowed day falls within ``start``–``end`` (inclusive), oldest first."""
    start, end = _local_date(start, tz), _local_date(end, tz)
    out: list[Period] = []
    p = period_for(stream, datetime.combine(start, time.min, tzinfo=tz), tz)
    while p.last_day <= end:
        out.append(p)
        p = next_period(p)
    return out


def covering_stream(period: Period, streams: Iterable[Stream]) -> Stream | None:
    """The year stream that makes a half-year H2 period redundant, or None. Seed 001 asks for the
    half-year report "trước ngày 06/6" and the year report "trước ngày 06/12": the second half is
    reported by the year report, so an H2 due the same day as an enabled year stream of the same kind,
    reporters and recipient is not a period of its own (no reminder, nothing owed)."""
    s = period.stream
    if s.frequency is not Frequency.HALF_YEAR or not period.key.endswith("-H2"):
        return None
    for other in streams:
        if (other.frequency is Frequency.YEAR and other.kind == s.kind and other.recipient == s.recipient
                and set(other.reporter_roles) == set(s.reporter_roles)
                and period_by_key(other, period.key[:4], period.due.tzinfo).last_day == period.last_day):
            return other
    return None


# --- status ------------------------------------------------------------------------------------
def owed_since(period: Period, start: date | None) -> bool:
    """Whether ``period`` is owed by a commune whose reporting starts on ``start`` (local day): its
    last allowed day is on or after the start (None: no start set, every period is owed)."""
    return start is None or period.last_day >= start


def classify(period: Period, submitted_at: datetime | None, now: datetime, *, returned: bool = False,
             start: date | None = None) -> Status:
    """The one report state used everywhere (chat, status JSON, dashboard, exports, reminders, digests).

    ``returned`` (sent back by the lead office) → returned, whatever the time; otherwise on_time/late
    by ``submitted_at`` (the latest submission) vs ``period.due``; unsubmitted: not_owed when due
    before the commune's reporting ``start``, pending until due, then missing."""
    _require_aware(now, "now")
    if returned:
        return "returned"
    if submitted_at is not None:
        _require_aware(submitted_at, "submitted_at")
        return "on_time" if submitted_at <= period.due else "late"
    if not owed_since(period, start):
        return "not_owed"
    return "pending" if now <= period.due else "missing"


# --- working days ------------------------------------------------------------------------------
def is_working_day(d: date) -> bool:
    """Mon–Fri (or a weekend day made a working day), not a VN public holiday or official day off: the
    ``holidays`` package (Tết, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9…, its swapped Saturdays) corrected by the
    deployment's overrides (``CDSBOT_HOLIDAYS_FILE`` and ``cdsbot holidays``, see storage/calendar/holiday_table.py)."""
    if holiday_table.is_swapped_workday(d):
        return True
    return d.weekday() < 5 and not holiday_table.is_holiday(d)


def previous_working_day(d: date, *, include_self: bool = False) -> date:
    """Latest working day before ``d`` (or ``d`` itself when ``include_self`` and it is one)."""
    d = d if include_self else d - timedelta(days=1)
    while not is_working_day(d):
        d -= timedelta(days=1)
    return d


def next_working_day(d: date, *, include_self: bool = False) -> date:
    """Earliest working day after ``d`` (or ``d`` itself when ``include_self`` and it is one)."""
    d = d if include_self else d + timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


# --- reminder stages ---------------------------------------------------------------------------
class Stage(StrEnum):
    BEFORE_3D = "before_3d"
    BEFORE_1D = "before_1d"
    LAST_DAY = "last_day"
    OVERDUE = "overdue"


_PRE_DEADLINE = (Stage.BEFORE_3D, Stage.BEFORE_1D, Stage.LAST_DAY)


def stage_moments(
    period: Period,
    sweep_times: tuple[tuple[int, int], ...] = DEFAULT_SWEEPS,
    working_days_only: bool | None = None,
) -> dict[Stage, datetime]:
    """First sweep moment (earliest of ``sweep_times``, local) of each stage's day: last allowed
    day L − 3, L − 1, L, and L + 1 (overdue). With ``working_days_only`` (default: not
    ``stream.weekend_reminders``) a non-working day moves to the working day before — and each
    earlier stage stays strictly before the next one, so none is swallowed — while overdue moves
    to the next working day after L."""
    if working_days_only is None:
        working_days_only = not period.stream.weekend_reminders
    last = period.last_day
    one = timedelta(days=1)
    if working_days_only:
        d_last = previous_working_day(last, include_self=True)
        d_1 = previous_working_day(min(last - one, d_last - one), include_self=True)
        d_3 = previous_working_day(min(last - 3 * one, d_1 - one), include_self=True)
        d_over = next_working_day(last)
    else:
        d_3, d_1, d_last, d_over = last - 3 * one, last - one, last, last + one
    h, m = min(sweep_times)
    at = time(h, m)
    tz = period.due.tzinfo
    days = {Stage.BEFORE_3D: d_3, Stage.BEFORE_1D: d_1, Stage.LAST_DAY: d_last, Stage.OVERDUE: d_over}
    return {stage: datetime.combine(day, at, tzinfo=tz) for stage, day in days.items()}


def _quiet(t: time, quiet: tuple[time, time] | None) -> bool:
    if not quiet or quiet[0] == quiet[1]:
        return False
    begin, end = quiet
    return (begin <= t < end) if begin < end else (t >= begin or t < end)


def may_remind_at(now: datetime, tz: tzinfo, *, working_days_only: bool,
                  quiet: tuple[time, time] | None = DEFAULT_QUIET) -> bool:
    """Whether a reminder may go out at ``now``: outside quiet hours and, if asked, on a working day."""
    _require_aware(now, "now")
    local = now.astimezone(tz)
    return not _quiet(local.time(), quiet) and (not working_days_only or is_working_day(local.date()))


def after_quiet_hours(when: datetime, tz: tzinfo, quiet: tuple[time, time] = DEFAULT_QUIET) -> datetime:
    """``when`` itself, or the end of the quiet hours (local) it falls in — for reminders and announcements."""
    local = when.astimezone(tz)
    if not _quiet(local.time(), quiet):
        return when
    day = local.date() if local.time() < quiet[1] else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet[1], tzinfo=tz)


def due_stage(
    period: Period,
    now: datetime,
    *,
    working_days_only: bool | None = None,
    quiet: tuple[time, time] | None = DEFAULT_QUIET,
    catch_up_window: timedelta = DEFAULT_CATCH_UP,
    sweep_times: tuple[tuple[int, int], ...] = DEFAULT_SWEEPS,
) -> Stage | None:
    """The one stage to send at ``now`` (the caller dedupes per person/period/stage), or None.

    The latest stage whose moment has passed wins (a before_3d missed during downtime is dropped
    once before_1d is due), if it is at most ``catch_up_window`` old. Before-deadline stages are
    never sent after ``period.due``; overdue is sent from its moment for ``catch_up_window``.
    None in quiet hours (local, ``(start, end)``, may wrap midnight; None disables) and, with
    ``working_days_only``, on non-working days."""
    _require_aware(now, "now")
    local = now.astimezone(period.due.tzinfo)
    if _quiet(local.time(), quiet):
        return None
    if working_days_only is None:
        working_days_only = not period.stream.weekend_reminders
    if working_days_only and not is_working_day(local.date()):
        return None
    moments = stage_moments(period, sweep_times, working_days_only)
    if now > period.due:
        at = moments[Stage.OVERDUE]
        return Stage.OVERDUE if at <= now <= at + catch_up_window else None
    passed = [s for s in _PRE_DEADLINE if moments[s] <= now]
    if not passed or now > moments[passed[-1]] + catch_up_window:
        return None
    return passed[-1]
