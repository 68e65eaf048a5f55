"""The one rule that a monthly report is due after the data it covers ends, and its operator message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC
from functools import lru_cache

from storage.calendar.calendar import Period, build_period
from storage.calendar.streams import Frequency, Stream

__all__ = ["due_before_data_ends", "due_before_data_error", "early_period", "fit_month"]

# Two years of months (2028 is a leap year): every month length a clamped due day can meet.
_MONTHS = range(2027 * 12, 2029 * 12)


@lru_cache(maxsize=256)  # streams are frozen; the province's stream is read on every sweep
def early_period(stream: Stream) -> Period | None:
    """The first period of a monthly ``stream`` whose last allowed day falls on or before the last day of the
    data it collects (``Period.end``), or None. Such a report would be due before its data ends — a unit report
    "before the 15th" of the calendar month it covers — so it is never accepted. Other frequencies may be due
    inside their period on purpose (seed 001: the quarter's report before the 6th of its last month)."""
    if stream.frequency is not Frequency.MONTHLY:
        return None
    for n in _MONTHS:
        period = build_period(stream, n, UTC)
        if period.last_day <= period.end:
            return period
    return None


def due_before_data_ends(stream: Stream) -> bool:
    """Whether a monthly ``stream`` is due on or before the end of the data it collects (see ``early_period``)."""
    return early_period(stream) is not None


def fit_month(stream: Stream) -> Stream:
    """``stream`` due after its data: a monthly stream's due day that falls inside the data month is that day of
    the following month (``due_month_offset`` 1: seed 001's "trước ngày 06 hàng tháng" is the month just ended),
    any other day is in the same month (0: the 20th for data from the 15th to the 14th). /lich and the
    province's deadline read a typed day this way. Other frequencies are returned as they are."""
    if stream.frequency is not Frequency.MONTHLY:
        return stream
    same = replace(stream, due_month_offset=0)
    return replace(stream, due_month_offset=1) if due_before_data_ends(same) else same


def due_before_data_error(streams: Iterable[Stream]) -> str | None:
    """The operator's message (`cdsbot streams set`, CDSBOT_STREAMS_FILE) for the first stream of ``streams``
    that is due before its data ends, None when there is none."""
    for stream in streams:
        period = early_period(stream)
        if period is None:
            continue
        return (f"stream {stream.name!r}: a monthly report is due after the data it covers, but its data for "
                f"{period.key} runs to {period.end:%d/%m/%Y} and its last allowed day would be "
                f"{period.last_day:%d/%m/%Y}; please choose a later due day, or set \"due_month_offset\": 1 to "
                f"make it due that day of the following month")
    return None
