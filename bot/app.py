"""Wires storage, the dispatcher, channel adapters and the web server into one running process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.health import health_of, mount_health
from bot.outbox import OutboxSender
from bot.supervisor import Supervisor
from handlers.dispatch import Dispatcher
from handlers.services import Services
from reminders.actions import BUTTON_ACTIONS
from reminders.jobs import start_scheduler
from storage.blobs import BlobStore
from storage.db import Database

__all__ = ["BotApp", "run_app", "setup_logging"]

log = logging.getLogger(__name__)


@dataclass
class BotApp:
    """Everything one process runs; ``start``/``stop`` are used by `cdsbot run` and by tests."""

    settings: Settings
    db: Database
    services: Services
    dispatcher: Dispatcher
    web: web.Application
    channels: list[Any] = field(default_factory=list)
    runner: web.AppRunner | None = None
    outbox: OutboxSender | None = None
    scheduler: Any = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    supervisor: Supervisor = field(default_factory=Supervisor)
    scheduler_check: float = 30.0  # seconds between checks that the reminder scheduler still runs

    @classmethod
    def build(cls, settings: Settings, *, db: Database | None = None, services: Services | None = None,
              poll_timeout: float = 30) -> BotApp:
        db = db or Database(settings.database_url)
        services = services or Services(db=db, tz=settings.timezone, default_locale=settings.locale)
        if settings.streams_file:
            services.extra["streams"] = load_streams_file(settings.streams_file)
        load_holidays_file(settings.holidays_file)
        blobs = services.extra.setdefault("blobs", BlobStore(settings.files_dir, settings.max_file_bytes))
        dispatcher = Dispatcher(services, actions=BUTTON_ACTIONS)
        app = web.Application(client_max_size=1 << 20)
        app.router.add_get("/healthz", _health)
        from bot.web.dashboard import Dashboard  # read-only lead-office dashboard: /dashboard?t=<signed link>
        from bot.web.province_page import ProvincePage  # its province page: /dashboard/province?t=<link>
        dashboard = Dashboard(services, public_url=settings.public_url)
        dashboard.mount(app)
        ProvincePage(dashboard).mount(app)
        bot = cls(settings, db, services, dispatcher, app)
        mount_health(app, db, health_of(services), bot.supervisor, lambda: [ch.name for ch in bot.channels])
        if settings.telegram_token:
            from bot.channels.telegram.channel import TelegramChannel

            tg = TelegramChannel(settings.telegram_token, dispatcher, base_url=settings.telegram_api_base_url,
                                 webhook_url=settings.telegram_webhook_url,
                                 webhook_secret=settings.telegram_webhook_secret, poll_timeout=poll_timeout,
                                 blobs=blobs, supervisor=bot.supervisor, pacing=settings.send_pacing)
            tg.mount(app)
            bot.channels.append(tg)
        if settings.zalo_token:
            from bot.channels.zalo.channel import ZaloChannel

            zalo = ZaloChannel(settings.zalo_token, dispatcher, base_url=settings.zalo_api_base_url,
                               webhook_url=settings.zalo_webhook_url, webhook_secret=settings.zalo_webhook_secret,
                               public_url=settings.public_url, poll_timeout=poll_timeout,
                               bulk_rate=settings.zalo_bulk_rate, blobs=blobs, supervisor=bot.supervisor,
                               pacing=settings.send_pacing)
            zalo.mount(app)
            bot.channels.append(zalo)
        return bot

    def build_outbox(self) -> OutboxSender:
        from bot.channels.fallback import reroute_undeliverable

        senders = {ch.name: ch for ch in self.channels}
        self.outbox = OutboxSender(self.db, senders, clock=self.services.now,
                                   on_undeliverable=lambda row, exc: reroute_undeliverable(self, row, exc),
                                   files=self.services.extra.get("blobs"))
        self.services.extra["outbox"] = self.outbox
        return self.outbox

    async def start(self, *, serve_http: bool = True, background: bool = True) -> None:
        """Upgrade the schema, start channels, and (``background``) the outbox worker and scheduler."""
        await self.db.upgrade()
        for ch in self.channels:
            await ch.start()
        self.build_outbox()
        if background:
            assert self.outbox is not None
            self.tasks.append(self.supervisor.spawn("outbox", self.outbox.run_forever))
            self.tasks.append(self.supervisor.spawn("scheduler", self._run_scheduler))
        if serve_http:
            self.runner = web.AppRunner(self.web, access_log=None)
            await self.runner.setup()
            await web.TCPSite(self.runner, self.settings.http_host, self.settings.http_port).start()

    async def _run_scheduler(self) -> None:
        """Run the reminder scheduler; if it ever stops by itself, raise so the supervisor starts a new one."""
        self.scheduler = start_scheduler(self, self.swept)
        try:
            while True:
                await asyncio.sleep(self.scheduler_check)
                if not self.scheduler.running:
                    raise RuntimeError("the reminder scheduler stopped")
        finally:
            if self.scheduler is not None:
                await self.scheduler.stop()
            self.scheduler = None

    def swept(self, error: str | None) -> None:
        """A scheduled sweep ended (``error``: its one line, None when it went well); /readyz shows it."""
        health_of(self.services).swept(error=error)

    async def stop(self) -> None:
        for name in ("scheduler", "outbox"):
            await self.supervisor.cancel(name)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        for ch in reversed(self.channels):
            try:
                await ch.stop()
            except Exception:  # keep stopping the others
                log.exception("error while stopping %s", getattr(ch, "name", ch))
        await self.supervisor.stop()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.db.dispose()


def load_holidays_file(path: str | None) -> None:
    """Install the deployment's holiday corrections from ``CDSBOT_HOLIDAYS_FILE`` (none: clear them)."""
    from storage.calendar import holiday_table
    from storage.errors import ConfigError

    try:
        holiday_table.set_file_overrides(holiday_table.load_file(path) if path else {})
    except (OSError, ValueError) as exc:
        raise ConfigError(f"CDSBOT_HOLIDAYS_FILE: {exc}") from exc


def load_streams_file(path: str) -> list[Any]:
    """Reporting streams from a JSON file (a list of stream objects, see storage/calendar/streams.py)."""
    import json

    from reminders.planned import untracked_error
    from storage.calendar.data_end import due_before_data_error
    from storage.calendar.streams import load_streams
    from storage.errors import ConfigError

    try:
        with open(path, encoding="utf-8") as f:
            streams = load_streams(json.loads(f.read()))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"CDSBOT_STREAMS_FILE: {exc}") from exc
    if (problem := untracked_error(streams)) is not None:
        raise ConfigError(f"CDSBOT_STREAMS_FILE: {problem}")
    if (problem := due_before_data_error(streams)) is not None:
        raise ConfigError(f"CDSBOT_STREAMS_FILE: {problem}")
    return streams


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def run_app(settings: Settings) -> int:
    """Run the bot with its channels until SIGINT/SIGTERM (`cdsbot run` starts the demo when there are none)."""
    setup_logging()
    bot = BotApp.build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await bot.start()
    log.info("cdsbot running: %s; http on %s:%s", ", ".join(c.name for c in bot.channels),
             settings.http_host, settings.http_port)
    try:
        await stop.wait()
    finally:
        await bot.stop()
    return 0
