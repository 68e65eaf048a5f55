"""APScheduler wiring: reminder sweeps at the configured local times, in the commune's time zone."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:
    from bot.app import BotApp

__all__ = ["SWEEP_TIMES", "start_scheduler"]

log = logging.getLogger(__name__)
SWEEP_TIMES = ((8, 0), (16, 0))


def start_scheduler(bot: BotApp) -> AsyncIOScheduler:
    """Start one AsyncIOScheduler on the running loop with a sweep job per configured time.

    Jobs live in memory and are recreated at every start; exactly-once sending is guaranteed by the
    reminder log's unique key, not by the scheduler, so several processes may run it safely."""
    scheduler = AsyncIOScheduler(timezone=bot.services.tz)
    for hour, minute in SWEEP_TIMES:
        scheduler.add_job(_sweep, CronTrigger(hour=hour, minute=minute, timezone=bot.services.tz),
                          args=[bot], id=f"sweep-{hour:02d}{minute:02d}", replace_existing=True,
                          misfire_grace_time=3600, coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler


async def _sweep(bot: BotApp) -> None:
    """One scheduled sweep; its time (or its failure) is shown by /readyz."""
    from bot.health import health_of
    from reminders.sweep import run_sweep

    try:
        await run_sweep(bot)
    except Exception as exc:
        health_of(bot.services).swept(error=f"{type(exc).__name__}: {exc}"[:300])
        log.exception("reminder sweep failed")
        return
    health_of(bot.services).swept()
