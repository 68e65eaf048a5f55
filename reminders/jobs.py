"""The reminder scheduler: a sweep at each configured local time, in the commune's time zone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminders.sweep import SweepHost, run_sweep

__all__ = ["MISFIRE_GRACE", "SWEEP_TIMES", "SweepScheduler", "next_sweep_at", "start_scheduler"]

log = logging.getLogger(__name__)
SWEEP_TIMES = ((8, 0), (16, 0))
# A sweep found this late (the machine was suspended, the loop blocked) is skipped: the next one plans it all.
MISFIRE_GRACE = timedelta(hours=1)
TICK_S = 60.0  # the longest sleep before the wall clock is read again (clock changes, a suspended machine)
# Told after every scheduled sweep: None when it went well, else the error's one line (shown by /readyz).
Swept = Callable[[str | None], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def next_sweep_at(after: datetime, tz: ZoneInfo, times: tuple[tuple[int, int], ...] = SWEEP_TIMES) -> datetime:
    """The first sweep time strictly after ``after`` (aware), as an aware UTC time; local times in ``tz``."""
    local_day = after.astimezone(tz).date()
    for days in range(3):  # today, tomorrow, and one more day for a local time skipped by a DST change
        day = local_day + timedelta(days=days)
        found = sorted(_at(day, hour, minute, tz) for hour, minute in times)
        for when in found:
            if when > after:
                return when
    raise ValueError(f"no sweep time in {times!r}")


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz).astimezone(UTC)


class SweepScheduler:
    """One task that sleeps until the next sweep time and runs the sweep, one sweep at a time.

    Nothing is stored: the sweep times are recomputed at every start; exactly-once sending is guaranteed by
    the reminder log's unique key, not by the scheduler, so several processes may run it safely. A sweep
    that fails is reported through ``swept`` and the next one runs at its time."""

    def __init__(self, bot: SweepHost, swept: Swept, *, times: tuple[tuple[int, int], ...] = SWEEP_TIMES,
                 clock: Callable[[], datetime] = _utcnow, tick: float = TICK_S) -> None:
        self.bot, self.swept, self.times, self.clock, self.tick = bot, swept, times, clock, tick
        self.tz: ZoneInfo = bot.services.tz
        self.next_at: datetime | None = None  # the next sweep time (UTC), once the task has started
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="reminder-scheduler")

    def shutdown(self, wait: bool = False) -> None:  # noqa: ARG002  (the same call as APScheduler's)
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        """Cancel the task and wait for its end (a failure that had ended it is logged here)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the reminder scheduler had stopped")

    async def _run(self) -> None:
        due: datetime | None = None
        while True:  # never the same time twice, even when the wall clock was set back after a sweep
            now = self.clock()
            due = self.next_at = next_sweep_at(max(now, due) if due is not None else now, self.tz, self.times)
            while (left := (due - self.clock()).total_seconds()) > 0:
                await asyncio.sleep(min(left, self.tick))
            late = self.clock() - due
            if late > MISFIRE_GRACE:
                log.warning("reminder sweep of %s skipped: found %s late", due.isoformat(), late)
                continue
            await _sweep(self.bot, self.swept)


def start_scheduler(bot: SweepHost, swept: Swept) -> SweepScheduler:
    """Start the scheduler on the running loop with a sweep at each of SWEEP_TIMES (local time)."""
    scheduler = SweepScheduler(bot, swept)
    scheduler.start()
    return scheduler


async def _sweep(bot: SweepHost, swept: Swept) -> None:
    """One scheduled sweep; its time (or its failure) is reported through ``swept``."""
    try:
        await run_sweep(bot)
    except Exception as exc:
        swept(f"{type(exc).__name__}: {exc}"[:300])
        log.exception("reminder sweep failed")
        return
    swept(None)
