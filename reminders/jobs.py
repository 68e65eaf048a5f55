"""APScheduler wiring: reminder sweeps at the configured local times, in the commune's time zone."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from reminders.sweep import SweepHost, run_sweep

__all__ = ["SWEEP_TIMES", "start_scheduler"]

log = logging.getLogger(__name__)
SWEEP_TIMES = ((8, 0), (16, 0))
# Told after every scheduled sweep: None when it went well, else the error's one line (shown by /readyz).
Swept = Callable[[str | None], None]


def start_scheduler(bot: SweepHost, swept: Swept) -> AsyncIOScheduler:
    """Start one AsyncIOScheduler on the running loop with a sweep job per configured time.

    Jobs live in memory and are recreated at every start; exactly-once sending is guaranteed by the
    reminder log's unique key, not by the scheduler, so several processes may run it safely."""
    scheduler = AsyncIOScheduler(timezone=bot.services.tz)
    for hour, minute in SWEEP_TIMES:
        scheduler.add_job(_sweep, CronTrigger(hour=hour, minute=minute, timezone=bot.services.tz),
                          args=[bot, swept], id=f"sweep-{hour:02d}{minute:02d}", replace_existing=True,
                          misfire_grace_time=3600, coalesce=True, max_instances=1)
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
