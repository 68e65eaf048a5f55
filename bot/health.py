"""Health that tells the truth: per-channel poll/webhook times, outbox backlog, quarantine; /readyz and /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, text
from sqlmodel import select

from bot import metrics
from storage.db import is_disconnect
from storage.models import Outbox, QuarantinedUpdate

if TYPE_CHECKING:
    from aiohttp import web

    from bot.supervisor import Supervisor
    from handlers.services import Services
    from storage.db import Database

__all__ = ["POLL_STALE", "OUTBOX_STALE", "ChannelHealth", "Health", "health_of", "mount_health", "readiness"]

log = logging.getLogger(__name__)
POLL_STALE = timedelta(minutes=2)  # a polling channel without a successful poll this long: not ready
OUTBOX_STALE = timedelta(minutes=10)  # the oldest due outbox row waiting this long: not ready


@dataclass
class ChannelHealth:
    name: str
    mode: str  # "polling" or "webhook"
    started_at: datetime
    last_ok: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    registered: bool = True  # webhook mode: False until the platform accepted the webhook


class Health:
    """In-process facts the database does not hold; times come from the bot's (injectable) clock."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.channels: dict[str, ChannelHealth] = {}
        self.last_sweep: datetime | None = None
        self.last_sweep_error: str | None = None

    def register(self, channel: str, mode: str) -> None:
        self.channels[channel] = ChannelHealth(channel, mode, self.clock())

    def unregistered(self, channel: str) -> None:
        """A webhook channel whose webhook the platform has not accepted yet: deaf, so not ready."""
        self.channels[channel].registered = False

    def registered(self, channel: str) -> None:
        self.channels[channel].registered = True

    def ok(self, channel: str) -> None:
        """A poll (even an empty one) or a webhook delivery succeeded."""
        now = self.clock()
        state = self.channels.get(channel)
        if state is None:
            state = self.channels[channel] = ChannelHealth(channel, "polling", now)
        state.last_ok = now  # /metrics reads it at scrape time (cdsbot_channel_last_ok_timestamp_seconds)

    def failed(self, channel: str, reason: str) -> None:
        state = self.channels.get(channel)
        if state is not None:
            state.last_error, state.last_error_at = reason[:300], self.clock()

    def swept(self, error: str | None = None) -> None:
        """A sweep finished (``error``: it failed; ``last_sweep`` keeps the last one that worked)."""
        if error is None:
            self.last_sweep = self.clock()
        self.last_sweep_error = error


def health_of(services: Services) -> Health:
    """The process's Health, kept with the shared services (created on first use)."""
    health = services.extra.get("health")
    if health is None:
        health = services.extra["health"] = Health(services.now)
    return health


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _database_figures(db: Database, channels: list[str], now: datetime) -> dict[str, Any]:
    async with db.session() as s:
        await s.exec(text("SELECT 1"))  # type: ignore[call-overload]
        pending_q = select(func.count()).select_from(Outbox).where(Outbox.status == "pending")
        due_q = select(func.min(Outbox.next_attempt_at)).where(
            Outbox.status == "pending", Outbox.next_attempt_at <= now,
            Outbox.channel.in_(channels))  # type: ignore[attr-defined]
        failed_q = select(func.count()).select_from(Outbox).where(Outbox.status == "failed")
        pending = (await s.exec(pending_q)).one()
        oldest = (await s.exec(due_q)).one()
        failed = (await s.exec(failed_q)).one()
        quarantined = (await s.exec(select(func.count()).select_from(QuarantinedUpdate))).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return {"outbox": {"pending": int(pending), "failed": int(failed), "oldest_due_seconds": round(age, 1)},
            "quarantined": int(quarantined)}


async def readiness(db: Database, health: Health, supervisor: Supervisor | None = None,
                    served: list[str] | None = None) -> dict[str, Any]:
    """The /readyz answer: ``ready`` is False when the database does not answer, a polling channel has
    not polled successfully for POLL_STALE, a channel is not connected yet (a webhook channel: its webhook not registered), or the oldest due outbox row waits longer than OUTBOX_STALE."""
    now = health.clock()
    problems: list[str] = []
    report: dict[str, Any] = {"ready": True, "checked_at": now.isoformat(), "problems": problems}
    try:
        try:
            figures = await asyncio.wait_for(_database_figures(db, served or list(health.channels), now), 10)
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            # a pooled connection had died (no pre-ping): the pool is renewed, ask once more
            figures = await asyncio.wait_for(_database_figures(db, served or list(health.channels), now), 10)
        report["database"] = {"ok": True}
        report.update(figures)
    except Exception as exc:  # unreachable, timed out, or any driver error
        report["database"] = {"ok": False, "error": type(exc).__name__}
        report["outbox"], report["quarantined"] = None, None
        problems.append("database unreachable")
    channels: dict[str, Any] = {}
    for name, ch in health.channels.items():
        since = ch.last_ok or ch.started_at
        silent = (now - since).total_seconds()
        channels[name] = {"mode": ch.mode, "last_ok": _iso(ch.last_ok), "seconds_since_ok": round(silent, 1),
                          "last_error": ch.last_error, "last_error_at": _iso(ch.last_error_at)}
        channels[name]["registered"] = ch.registered
        if not ch.registered:
            problems.append(f"{name}: webhook not registered yet" if ch.mode == "webhook"
                            else f"{name}: not connected yet")
        if ch.mode == "polling" and now - since > POLL_STALE:
            problems.append(f"{name}: no successful poll for {int(silent)} s")
    report["channels"] = channels
    outbox = report.get("outbox")
    if outbox and outbox["oldest_due_seconds"] > OUTBOX_STALE.total_seconds():
        problems.append(f"outbox: oldest due message waiting {int(outbox['oldest_due_seconds'])} s")
    report["last_sweep"] = _iso(health.last_sweep)
    report["last_sweep_error"] = health.last_sweep_error
    if supervisor is not None:
        report["tasks"] = {name: st.as_json() for name, st in supervisor.states.items()}
    report["ready"] = not problems
    return report


def mount_health(app: web.Application, db: Database, health: Health, supervisor: Supervisor | None,
                 served: Callable[[], list[str]]) -> None:
    """Add ``/readyz`` (JSON, 200 or 503) and ``/metrics`` (Prometheus text) to the web app."""
    from aiohttp import web  # with the web app: after the first poll in polling mode (see bot.app)

    async def readyz(_request: web.Request) -> web.Response:
        report = await readiness(db, health, supervisor, served())
        return web.json_response(report, status=200 if report["ready"] else 503)

    async def scrape(_request: web.Request) -> web.Response:
        return metrics.metrics_response(await readiness(db, health, supervisor, served()))

    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
