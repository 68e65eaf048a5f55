"""When a snoozed reminder comes back, and the next moment outside quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from storage.calendar.calendar import DEFAULT_QUIET, after_quiet_hours

__all__ = ["outside_quiet_hours", "snooze_until"]

QUIET_START, QUIET_END = DEFAULT_QUIET  # the one definition of quiet hours (storage/calendar/calendar.py)


def snooze_until(now: datetime, tz, how: str) -> datetime:  # noqa: ANN001
    """When a snoozed reminder comes back: N hours later (outside quiet hours) or tomorrow 08:00."""
    local = now.astimezone(tz)
    if how == "tomorrow":
        return datetime.combine(local.date() + timedelta(days=1), time(8, 0), tzinfo=tz)
    hours = int(how.rstrip("h"))
    at = local + timedelta(hours=hours)
    if at.time() >= QUIET_START or at.time() < QUIET_END:
        day = at.date() if at.time() < QUIET_END else at.date() + timedelta(days=1)
        at = datetime.combine(day, time(7, 30), tzinfo=tz)
    return at


def outside_quiet_hours(now: datetime, tz) -> datetime:  # noqa: ANN001
    """``now``, or 07:00 local when ``now`` falls in quiet hours (21:00-07:00)."""
    return after_quiet_hours(now, tz)
