"""The one reading of a deadline phrase's day: "trước ngày N" is due by the end of day N−1, local time."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["SOON_DAYS", "is_overdue", "last_allowed_day", "task_light"]

SOON_DAYS = 7  # "due within 7 days": Vàng (the national traffic lights)


def last_allowed_day(day: date, before: bool) -> date:
    """The last day something is still on time. "Trước ngày 20" / "before the 20th" (``before``) is
    read literally, as the reporting calendar always has: by the end of the 19th. "Chậm nhất ngày 20",
    "ngày 20/12", "Quý II" are due by the end of that day. Used by the reporting calendar (status,
    reminders), plan task deadlines (/quahan, exports, the dashboard) alike."""
    return day - timedelta(days=1) if before else day


def is_overdue(last_day: date | None, today: date) -> bool:
    """Past its last allowed day (a day with no deadline is never overdue)."""
    return last_day is not None and today > last_day


def task_light(last_day: date | None, done: bool, as_of: date) -> str:
    """A plan task in the national colours: "red" (Đỏ) past its last allowed day and not done, "yellow"
    (Vàng) not done and due within SOON_DAYS, "green" (Xanh) otherwise (done, later, or no deadline)."""
    if done or last_day is None:
        return "green"
    if is_overdue(last_day, as_of):
        return "red"
    return "yellow" if last_day <= as_of + timedelta(days=SOON_DAYS) else "green"
