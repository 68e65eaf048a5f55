"""A brief cache of closed periods' activity-log facts for the dashboard's past months (rule in ``PastPeriods``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from storage.calendar.calendar import Period

__all__ = ["PAST_TTL_S", "PastPeriods"]

PAST_TTL_S = 300.0  # a closed month's activity figures on the dashboard: at most 5 minutes old
_MAX_ITEMS = 512  # 12 months × a few provinces × 2 kinds, with room; the oldest go first beyond it


class PastPeriods:
    """What a closed village period's activity logs give a set of communes (each village team's first log by
    or after the deadline, counted; the activity totals), kept ``ttl`` seconds.

    The rule: a village period is closed once its last day is before the local day of ``now``; its facts
    are read from the database at most once every ``ttl`` seconds per set of communes, so a log entered
    later with a date in a closed period shows on the dashboard within ``ttl`` seconds. The open period
    is always read, and so is everything else (reports, tasks, compiled reports, units and people)."""

    def __init__(self, ttl: float = PAST_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._items: dict[tuple[Any, ...], tuple[float, Any]] = {}

    @staticmethod
    def _key(kind: str, ids: Sequence[int], period: Period, now: datetime) -> tuple[Any, ...] | None:
        if period.end >= now.astimezone(period.due.tzinfo).date():
            return None  # still open (or ahead): never cached
        return kind, tuple(ids), period.stream.name, period.start, period.end, period.due

    def get(self, kind: str, ids: Sequence[int], period: Period, now: datetime) -> Any | None:
        """The facts kept for ``period`` if it is closed and they are fresh enough, else None."""
        key = self._key(kind, ids, period, now)
        found = self._items.get(key) if key else None
        if found is None or self.clock() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, kind: str, ids: Sequence[int], period: Period, now: datetime, value: Any) -> None:
        key = self._key(kind, ids, period, now)
        if key is None:
            return
        self._items.pop(key, None)
        self._items[key] = (self.clock(), value)
        while len(self._items) > _MAX_ITEMS:
            self._items.pop(next(iter(self._items)))
