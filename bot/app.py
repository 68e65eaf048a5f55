"""Wires storage, the dispatcher, channel adapters and the web server into one running process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.config import Settings
from bot.health import health_of
from bot.supervisor import Supervisor
from handlers.dispatch import ButtonAction, Dispatcher
from handlers.services import Services
from storage.blobs import BlobStore
from storage.db import Database

if TYPE_CHECKING:
    from aiohttp import web

    from bot.outbox import OutboxSender

__all__ = ["FIRST_POLL_WAIT", "BotApp", "run_app", "setup_logging"]

log = logging.getLogger(__name__)
# Polling mode: how long start() waits for the channels' first poll before starting the web server anyway
# (a channel that cannot poll still gets its /readyz up to say so).
FIRST_POLL_WAIT = 2.0


@dataclass
class BotApp:
    """Everything one process runs; ``start``/``stop`` are used by `cdsbot run` and by tests."""

    settings: Settings
    db: Database
    services: Services
    dispatcher: Dispatcher
    channels: list[Any] = field(default_factory=list)
    runner: web.AppRunner | None = None
    outbox: OutboxSender | None = None
    scheduler: Any = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    supervisor: Supervisor = field(default_factory=Supervisor)
    scheduler_check: float = 30.0  # seconds between checks that the reminder scheduler still runs
    first_poll_wait: float = FIRST_POLL_WAIT
    routes: list[Callable[[web.Application], None]] = field(default_factory=list)  # the channels' web routes
    _web: web.Application | None = None

    @classmethod
    def build(cls, settings: Settings, *, db: Database | None = None, services: Services | None = None,
              poll_timeout: float = 30) -> BotApp:
        db = db or Database(settings.database_url)
        services = services or Services(db=db, tz=settings.timezone, default_locale=settings.locale)
        if settings.streams_file:
            services.extra["streams"] = load_streams_file(settings.streams_file)
        load_holidays_file(settings.holidays_file)
        blobs = services.extra.setdefault("blobs", BlobStore(settings.files_dir, settings.max_file_bytes))
        dispatcher = Dispatcher(services, actions=_button_actions, lazy=True)  # prepared in start()
        bot = cls(settings, db, services, dispatcher)
        if settings.telegram_token:
            from bot.channels.telegram.channel import TelegramChannel

            tg = TelegramChannel(settings.telegram_token, dispatcher, base_url=settings.telegram_api_base_url,
                                 webhook_url=settings.telegram_webhook_url,
                                 webhook_secret=settings.telegram_webhook_secret, poll_timeout=poll_timeout,
                                 blobs=blobs, supervisor=bot.supervisor, pacing=settings.send_pacing)
            bot.routes.append(tg.mount)
            bot.channels.append(tg)
        if settings.zalo_token:
            from bot.channels.zalo.channel import ZaloChannel

            zalo = ZaloChannel(settings.zalo_token, dispatcher, base_url=settings.zalo_api_base_url,
                               webhook_url=settings.zalo_webhook_url, webhook_secret=settings.zalo_webhook_secret,
                               public_url=settings.public_url, poll_timeout=poll_timeout,
                               bulk_rate=settings.zalo_bulk_rate, blobs=blobs, supervisor=bot.supervisor,
                               pacing=settings.send_pacing)
            bot.routes.append(zalo.mount)
            bot.channels.append(zalo)
        return bot

    @property
    def web(self) -> web.Application:
        """The web app (health, dashboard, the channels' webhooks), built on first use (see start())."""
        if self._web is None:
            self._web = self._build_web()
        return self._web

    def _build_web(self) -> web.Application:
        from aiohttp import web

        from bot.health import mount_health
        from bot.web.dashboard import Dashboard  # read-only lead-office dashboard: /dashboard?t=<signed link>
        from bot.web.province_page import ProvincePage  # its province page: /dashboard/province?t=<link>
        from reminders import sweep  # noqa: F401  (cdsbot_reminders_total on /metrics, even with no scheduler)

        app = web.Application(client_max_size=1 << 20)
        app.router.add_get("/healthz", _health)
        dashboard = Dashboard(self.services, public_url=self.settings.public_url)
        dashboard.mount(app)
        ProvincePage(dashboard).mount(app)
        mount_health(app, self.db, health_of(self.services), self.supervisor, lambda: [ch.name for ch in self.channels])
        for mount in self.routes:
            mount(app)
        return app

    def build_outbox(self) -> OutboxSender:
        from bot.channels.fallback import reroute_undeliverable
        from bot.outbox import OutboxSender

        senders = {ch.name: ch for ch in self.channels}
        self.outbox = OutboxSender(self.db, senders, clock=self.services.now,
                                   on_undeliverable=lambda row, exc: reroute_undeliverable(self, row, exc),
                                   files=self.services.extra.get("blobs"))
        self.services.extra["outbox"] = self.outbox
        return self.outbox

    @property
    def polling(self) -> bool:
        """Every channel polls (none takes webhooks, no web chat): the web server only watches and serves pages."""
        return bool(self.channels) and all(getattr(ch, "polled", None) is not None for ch in self.channels)

    async def start(self, *, serve_http: bool = True, background: bool = True) -> None:
        """Upgrade the schema, start channels, and (``background``) the outbox worker and scheduler.

        Polling mode, users first: the web server (``serve_http``), the outbox worker, the scheduler, the
        flows, the reminder buttons and the metrics are started or loaded once every channel's first poll is on the wire
        (or after ``first_poll_wait``); an update handled before that prepares the dispatcher itself.
        Webhook mode (or the demo's web chat): the web app is built first, since updates arrive through it."""
        await self.db.upgrade()
        web_first = serve_http and not self.polling
        if web_first:
            self.web  # noqa: B018  (built now: the channels' webhook routes are on it)
        for ch in self.channels:
            await ch.start()
        if serve_http and not web_first:
            await self._first_poll()
        self.dispatcher.prepare()
        metrics.load()
        self.build_outbox()
        if background:
            assert self.outbox is not None
            self.tasks.append(self.supervisor.spawn("outbox", self.outbox.run_forever))
            self.tasks.append(self.supervisor.spawn("scheduler", self._run_scheduler))
        if serve_http:
            from aiohttp import web

            self.runner = web.AppRunner(self.web, access_log=None)
            await self.runner.setup()
            await web.TCPSite(self.runner, self.settings.http_host, self.settings.http_port).start()

    async def _first_poll(self) -> None:
        """Wait until every polling channel's first poll went out, at most ``first_poll_wait`` seconds."""
        waits = [asyncio.ensure_future(ch.polled.wait()) for ch in self.channels if not ch.polled.is_set()]
        if not waits:
            return
        _done, pending = await asyncio.wait(waits, timeout=self.first_poll_wait)
        for w in pending:
            w.cancel()
        if pending:
            log.warning("a channel has not polled after %.0f s; starting the web server anyway", self.first_poll_wait)

    async def _run_scheduler(self) -> None:
        """Run the reminder scheduler; if it ever stops by itself, raise so the supervisor starts a new one."""
        from reminders.jobs import start_scheduler

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


def _button_actions() -> Sequence[ButtonAction]:
    """The reminders' buttons, for the dispatcher: loaded with the flows, once the first poll is out."""
    from reminders.actions import BUTTON_ACTIONS

    return BUTTON_ACTIONS


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
    from aiohttp import web

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
