"""The one reading of a deadline phrase's day: "trước ngày N" is due by the end of day N−1, local time."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["is_overdue", "last_allowed_day"]


def last_allowed_day(day: date, before: bool) -> date:
    """The last day something is still on time. "Trước ngày 20" / "before the 20th" (``before``) is
    read literally, as the reporting calendar always has: by the end of the 19th. "Chậm nhất ngày 20",
    "ngày 20/12", "Quý II" are due by the end of that day. Used by the reporting calendar (status,
    reminders), plan task deadlines (/quahan, exports, the dashboard) alike."""
    return day - timedelta(days=1) if before else day


def is_overdue(last_day: date | None, today: date) -> bool:
    """Past its last allowed day (a day with no deadline is never overdue)."""
    return last_day is not None and today > last_day
