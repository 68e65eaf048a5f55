"""Telegram adapter: python-telegram-bot updates in, Outgoing values out; polling or our own webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import warnings
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    Update,
)
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.channels.first_poll import first_poll_trace
from bot.channels.media import TooLarge, fetch_media
from bot.channels.ratelimit import BULK, PacedRateLimiter
from bot.channels.telegram.convert import CAPS, keyboard, to_incoming, translate, unreadable
from bot.channels.telegram.http import AiohttpRequest, last_status
from bot.health import health_of
from bot.inbox import Inbox
from bot.quarantine import quarantine
from bot.supervisor import Supervisor
from handlers.commands import COMMANDS
from handlers.dispatch import Dispatcher
from handlers.messages import MediaIn, Outgoing
from locales.i18n import _, use_locale
from storage.blobs import BlobStore
from storage.errors import ChannelError, ConfigError

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["TelegramChannel"]

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]  # only what to_incoming handles
# The poll loop asks for getUpdates through do_api_request to get the raw JSON and parse each update on
# its own (see _handle_batch); PTB's advice to call get_updates instead does not apply there.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)


class TelegramChannel:
    """One bot token; mounts its webhook on the shared aiohttp app when a webhook URL is set."""

    name = "telegram"
    caps = CAPS

    def __init__(self, token: str, dispatcher: Dispatcher, *, base_url: str, webhook_url: str | None = None,
                 webhook_secret: str | None = None, poll_timeout: float = 30, concurrent: bool = False,
                 blobs: BlobStore | None = None, supervisor: Supervisor | None = None, pacing: bool = True) -> None:
        self.dispatcher = dispatcher
        self.pacing = pacing  # False (CDSBOT_SEND_PACING=off, a local Bot API only): no rate limiter at all
        self.blobs = blobs  # received photos and documents are fetched here (getFile, then the file URL)
        self.supervisor = supervisor or Supervisor()
        self.health = health_of(dispatcher.services)
        self.retry_delay, self.max_backoff = 1.0, 60.0  # poll error backoff: first wait and cap (seconds)
        self.poll_grace = 5.0  # seconds beyond the long-poll timeout before getUpdates counts as timed out
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.poll_timeout = poll_timeout
        base = base_url.rstrip("/")
        file_base = base[:-len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file"
        builder: ApplicationBuilder = (ApplicationBuilder().token(token).base_url(base).base_file_url(file_base)
                                       .job_queue(None).concurrent_updates(concurrent))
        if pacing:
            builder = builder.rate_limiter(PacedRateLimiter())
        builder = builder.updater(None)  # we poll ourselves: acknowledge only what was processed
        # polling: set once the first getUpdates is on the wire (bot.app starts the web server after it)
        self.polled: asyncio.Event | None = None if webhook_url else asyncio.Event()
        traces = [first_poll_trace(self.polled)] if self.polled is not None else None
        # aiohttp instead of httpx under PTB: far less CPU per request with many chats at once
        self._requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1, trace_configs=traces))
        builder = builder.request(self._requests[0]).get_updates_request(self._requests[1])
        self.app: Application = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.username: str | None = None
        self.send_timeout: float | None = None  # seconds to wait for a send's answer (None: the transport's 5 s)
        self.processed = 0  # updates fully handled (replies sent and marked); tests wait on it
        self._poller: asyncio.Task[None] | None = None
        self._initialized = False  # getMe answered once (sends before that are retried by the outbox)
        self._connector: asyncio.Task[None] | None = None  # connecting later: Telegram was down at start
        self._commands: asyncio.Task[None] | None = None  # the command menu, registered beside polling
        self._offset = 0
        # Webhook updates are answered 200 before handling: they are stored first (polling needs
        # no inbox: the offset is only moved past what was handled).
        self.inbox = Inbox(dispatcher.services.db, "telegram", self._replay) if webhook_url else None

    def mount(self, web_app: web.Application, path: str = "/telegram/webhook") -> None:
        web_app.router.add_post(path, self._webhook)

    async def start(self) -> None:
        """Connect (getMe, commands, webhook or poller). Telegram unreachable or answering garbage: the bot
        starts anyway, /readyz says so, and a supervised task connects later. A refused token is fatal."""
        self.health.register(self.name, "webhook" if self.webhook_url else "polling")
        try:
            await self._connect()
        except InvalidToken:  # its message holds the token itself: never logged
            raise ConfigError("Telegram refused the bot token (401/404 on getMe); check the token setting") from None
        except Exception as exc:  # noqa: BLE001  down, 5xx, timeout, an unreadable answer: try again later
            log.warning("Telegram not reachable at start (%s: %s); connecting later", type(exc).__name__, exc)
            self.health.unregistered(self.name)  # /readyz: not connected until Telegram answers
            self.health.failed(self.name, f"start: {type(exc).__name__}")
            self._connector = self.supervisor.spawn_once("telegram-connect", self._connect, failed_once=True)

    async def _connect(self) -> None:
        """Every step may be repeated after a failure: initialize and start are skipped once done."""
        await self.app.initialize()
        self._initialized = True
        self.username = self.app.bot.username
        self.dispatcher.services.bot_usernames["telegram"] = self.username or ""
        if not self.app.running:
            await self.app.start()
        if self._commands is None:  # the menu is cosmetic: it never holds up receiving updates (nor a retry)
            self._commands = self.supervisor.spawn_once("telegram-commands", self._register_commands)
        if self.webhook_url:
            await self.app.bot.set_webhook(self.webhook_url, secret_token=self.webhook_secret,
                                           allowed_updates=ALLOWED_UPDATES)
            if self.inbox is not None:
                self.inbox.start(supervisor=self.supervisor)
        else:
            await self.app.bot.delete_webhook()
            self._poller = self.supervisor.spawn("telegram-poll", self._poll)
        self.health.registered(self.name)
        self.health.ok(self.name)

    async def _poll(self) -> None:
        """Long-poll getUpdates; a batch is acknowledged (next offset) only after it was processed,
        so a crash redelivers unprocessed updates instead of losing them. Chats run in parallel,
        each chat's updates in order. Any failure backs off (capped) and polls again: never deaf."""
        delay = self.retry_delay
        while True:
            try:
                raw = await self._fetch()
            except Exception as exc:  # every failure: log it plainly, back off, keep polling
                self._poll_failed(exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = self.retry_delay
            self.health.ok(self.name)
            if raw:
                await self._handle_batch(raw)

    async def _fetch(self) -> list[Any]:
        """One getUpdates call, answered as raw JSON: each update is parsed on its own (see _handle_batch)."""
        result = await self.app.bot.do_api_request(
            "getUpdates", api_kwargs={"offset": self._offset, "timeout": int(self.poll_timeout),
                                       "allowed_updates": ALLOWED_UPDATES},
            read_timeout=self.poll_timeout + self.poll_grace, write_timeout=self.poll_grace)
        if not isinstance(result, list):
            raise TelegramError(f"getUpdates answered a {type(result).__name__}, not a list of updates")
        return result

    def _poll_failed(self, exc: Exception, delay: float) -> None:
        if isinstance(exc, Conflict):
            reason = "conflict"
            log.error("Telegram getUpdates: 409 Conflict (%s). ANOTHER INSTANCE IS POLLING THE SAME BOT TOKEN "
                      "(or a webhook is set for it); only one process may poll a token. Retrying in %.0fs",
                      exc.message, delay)
        elif isinstance(exc, InvalidToken):
            reason = "unauthorized"
            log.error("Telegram getUpdates: the bot token was refused (%s); retrying in %.0fs", exc.message, delay)
        elif isinstance(exc, TimedOut):
            reason = "timeout"
            log.warning("Telegram getUpdates timed out; retrying in %.0fs", delay)
        elif isinstance(exc, RetryAfter | NetworkError):
            reason = "network"
            log.warning("Telegram getUpdates failed (%s: %s); retrying in %.0fs", type(exc).__name__, exc, delay)
        else:  # an unreadable answer (not JSON, no result) or anything unexpected
            reason = "bad_answer" if isinstance(exc, TelegramError | KeyError | ValueError) else "other"
            log.error("Telegram getUpdates failed (%s: %s); retrying in %.0fs", type(exc).__name__, exc, delay,
                      exc_info=reason == "other")
        metrics.POLL_ERRORS.labels(self.name, reason).inc()
        self.health.failed(self.name, f"{reason}: {type(exc).__name__}")

    async def _handle_batch(self, raw: list[Any]) -> None:
        """Parse each update on its own: one PTB cannot read is quarantined and skipped, the others run."""
        good: list[Update] = []
        top: int | None = None
        for item in raw:
            uid = item.get("update_id") if isinstance(item, dict) else None
            if isinstance(uid, int) and not isinstance(uid, bool):
                top = uid if top is None else max(top, uid)
            else:
                uid = None
            try:
                if uid is None:
                    raise ValueError("not an update object with an update_id")
                update = Update.de_json(item, self.app.bot)
            except Exception as exc:  # stored before the offset moves past it (raises if it cannot be)
                await quarantine(self.dispatcher.services.db, self.name, item, exc, key=uid)
                continue
            good.append(update)
        by_chat: dict[int, list[Update]] = {}
        for u in good:
            chat = u.effective_chat.id if u.effective_chat else 0
            by_chat.setdefault(chat, []).append(u)
        await asyncio.gather(*(self._process_in_order(batch) for batch in by_chat.values()))
        if top is not None:
            self._offset = max(self._offset, top + 1)

    async def _process_in_order(self, updates: list[Update]) -> None:
        for u in updates:
            await self.app.process_update(u)

    async def stop(self) -> None:
        if self._commands is not None:
            await self.supervisor.cancel("telegram-commands")
            self._commands = None
        if self._connector is not None:
            await self.supervisor.cancel("telegram-connect")
            self._connector = None
        if self.inbox is not None:
            await self.inbox.stop()
        if self._poller is not None:
            await self.supervisor.cancel("telegram-poll")
            self._poller = None
            if self._offset:  # acknowledge what was processed, as PTB's own updater does (raw: nothing parsed)
                with contextlib.suppress(Exception):
                    await self.app.bot.do_api_request(
                        "getUpdates", api_kwargs={"offset": self._offset, "timeout": 0, "limit": 1})
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()  # a no-op when it never initialized: close the HTTP sessions ourselves
        for request in self._requests:
            await request.shutdown()

    async def _register_commands(self) -> None:
        if self.polled is not None:  # the menu is cosmetic: after the first getUpdates, not competing with it
            await self.polled.wait()
        for lang in ("vi", "en"):
            with use_locale(lang):
                cmds = [BotCommand(c.name if lang == "vi" else c.english, _(c.help_vi)[:256])
                        for c in COMMANDS if c.menu]
            await self.app.bot.set_my_commands(cmds, language_code=None if lang == "vi" else "en")

    async def _webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web  # the web server's side of aiohttp: loaded with the web app, not to poll

        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self.webhook_secret or not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            return web.Response(status=403)
        if request.content_length and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            body = await request.read()  # the app's client_max_size caps the body (413 beyond it)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        if len(body) > MAX_BODY:
            return web.Response(status=413)
        if not body.strip():  # an empty probe: answered 200, nothing processed
            return web.Response(status=200)
        try:
            data = json.loads(body)
        except ValueError:  # includes bad UTF-8
            return web.Response(status=400)
        uid = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool):  # an array, a string, an object without update_id
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # a real update PTB cannot read: kept, skipped, never redelivered forever
            try:
                await quarantine(self.dispatcher.services.db, self.name, data, exc, key=uid)
            except Exception:
                log.exception("could not quarantine a Telegram update")
                return web.Response(status=503)
            self.health.ok(self.name)
            return web.Response(status=200)
        self.health.ok(self.name)
        if self.inbox is not None:
            try:
                if not await self.inbox.accept(str(update.update_id), data):
                    return web.Response(status=200)  # already stored: being handled or replayed
            except Exception:  # not stored: let Telegram deliver it again rather than lose it
                log.exception("could not store a Telegram update")
                return web.Response(status=503)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

    async def _replay(self, data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:
            await quarantine(self.dispatcher.services.db, self.name, data, exc, key=data.get("update_id"))
            return
        if update is not None:
            await self.app.process_update(update)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answering: asyncio.Task[None] | None = None
        outcome, started = "failed", metrics.started()
        try:
            incoming = to_incoming(update)
            if update.callback_query is not None:  # answered alongside the turn, awaited before we return
                answering = asyncio.ensure_future(self._answer(update.callback_query.id))
            if incoming is None:
                outcome = "ignored"
                return
            incoming = await fetch_media(incoming, self.blobs, self._download, self.dispatcher.has_joined)
            try:
                await self.dispatcher.respond(incoming, CAPS, self.send)
                outcome = "handled"
            finally:
                if answering is not None:
                    await answering
                    answering = None
                self.processed += 1
        finally:
            metrics.update_done(self.name, outcome, started)
            if answering is not None:
                await answering
            if self.inbox is not None:
                with contextlib.suppress(Exception):  # left in the inbox, it is replayed later
                    await self.inbox.done(str(update.update_id))

    async def _download(self, media: MediaIn) -> bytes:
        """getFile, then GET {base_file_url}/{token}/{file_path}; TooLarge above the store's limit."""
        limit = self.blobs.max_bytes if self.blobs else 0
        file = await self.app.bot.get_file(media.ref)
        if file.file_size is not None and file.file_size > limit:
            raise TooLarge()
        return bytes(await file.download_as_bytearray())

    async def _answer(self, query_id: str) -> None:
        """Stop the tapped button's spinner (answerCallbackQuery); a failure only costs the spinner."""
        try:
            await self.app.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("answerCallbackQuery failed: %s", exc.__class__.__name__)

    async def send(self, chat_id: str, out: Outgoing, *, bulk: bool = False) -> str:
        """Send one Outgoing; returns the platform message id. Raises ChannelError.

        ``bulk`` sends (the outbox worker's) are paced below replies; see bot/ratelimit.py."""
        bot = self.app.bot
        if not self._initialized:  # Telegram was down at start and is not connected yet: the outbox retries
            raise ChannelError("telegram: not connected to Telegram yet", retryable=True)
        try:
            markup = keyboard(out)
        except Exception as exc:  # nothing was sent: a message we cannot build is refused for good
            raise ChannelError(f"telegram: the message cannot be built ({exc.__class__.__name__}: {exc})"[:200],
                               retryable=False) from None
        kw: dict[str, Any] = {"reply_markup": markup}
        if self.pacing:
            kw["rate_limit_args"] = BULK if bulk else None
        if self.send_timeout is not None:
            kw |= {"read_timeout": self.send_timeout, "write_timeout": self.send_timeout}
        method = "sendDocument" if out.document is not None else "sendPhoto" if out.photo is not None else "sendMessage"
        last_status.set(None)
        kind = "document" if out.document is not None else "photo" if out.photo is not None else "text"
        try:
            if out.document is not None:
                msg = await bot.send_document(chat_id, document=out.document.data, filename=out.document.name,
                                              caption=out.text[:1024] or None, **kw)
            elif out.photo is not None:
                msg = await bot.send_photo(chat_id, photo=out.photo.data, caption=out.text[:1024] or None, **kw)
            else:
                msg = await bot.send_message(chat_id, out.text, **kw)
        except TelegramError as exc:
            error = translate(exc)
            metrics.send_result(self.name, kind, bulk, error)
            raise error from None
        except Exception as exc:  # noqa: BLE001  foreign errors never leave the adapter
            error = unreadable(method, exc)
            metrics.send_result(self.name, kind, bulk, error)
            raise error from None
        metrics.send_result(self.name, kind, bulk, None)
        return str(msg.message_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await self.app.bot.send_message(update.effective_chat.id, _(
                    "Sorry, something went wrong on my side. Please try again in a moment."))
