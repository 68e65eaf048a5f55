"""Zalo adapter: Bot API updates in (long polling or our own webhook), Outgoing values out as plain text."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import weakref
from collections import OrderedDict
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar

from bot import metrics
from bot.channels.files import FileStore
from bot.channels.first_poll import first_poll_trace
from bot.channels.media import download, fetch_media
from bot.channels.ratelimit import Pacer
from bot.channels.zalo.client import DEFAULT_BASE_URL, ZaloClient
from bot.channels.zalo.parse import ZaloUpdate, message_id_of, parse_update, to_incoming
from bot.health import health_of
from bot.inbox import Inbox
from bot.quarantine import quarantine
from bot.supervisor import Supervisor
from handlers.dispatch import Dispatcher
from handlers.messages import Capabilities, FileOut, MediaIn, Outgoing
from locales.i18n import _
from storage.blobs import BlobStore
from storage.errors import ChannelError, ConfigError, RateLimited

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CAPS", "SECRET_HEADER", "ZaloChannel"]

log = logging.getLogger(__name__)
CAPS = Capabilities(buttons=False, max_text=2000, documents=False, photo_upload=False)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20
_SEEN_MAX = 2000  # message ids of content-less updates remembered, to answer each only once


class ZaloChannel:
    """One Zalo bot token: a single long-poller, or the ``/zalo/webhook`` route when a webhook URL is set."""

    name = "zalo"
    caps = CAPS
    _pollers: ClassVar[dict[str, ZaloChannel]] = {}  # token digest → the channel polling it

    def __init__(
        self,
        token: str,
        dispatcher: Dispatcher,
        *,
        base_url: str = DEFAULT_BASE_URL,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        public_url: str | None = None,
        poll_timeout: float = 30,
        bulk_rate: float = 5.0,
        blobs: BlobStore | None = None,
        supervisor: Supervisor | None = None,
        pacing: bool = True,
    ) -> None:
        if webhook_url and not webhook_secret:
            raise ConfigError("ZALO_WEBHOOK_SECRET: required when ZALO_WEBHOOK_URL is set")
        self.dispatcher = dispatcher
        self.blobs = blobs  # received photos are downloaded here at once (Zalo's links expire)
        self.supervisor = supervisor or Supervisor()
        self.health = health_of(dispatcher.services)
        # polling: set once the first getUpdates is on the wire (bot.app starts the web server after it)
        self.polled: asyncio.Event | None = None if webhook_url else asyncio.Event()
        self.client = ZaloClient(token, base_url, trace_configs=[first_poll_trace(self.polled)] if self.polled else None)
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.poll_timeout = poll_timeout
        self.poll_interval = 1.0  # minimum seconds between the starts of two polls (see zalo-api.md §1.3)
        self.retry_delay, self.max_backoff = 1.0, 60.0  # poll error backoff: first wait and cap (seconds)
        self.files = FileStore(
            public_url, secret=hmac.new(token.encode(), b"cdsbot-files", "sha256").digest()
        )
        # Zalo publishes no limits: proactive sends are spread at ``bulk_rate``/s, 1 s apart per chat.
        # ``pacing`` False (CDSBOT_SEND_PACING=off, a local API only): no pacer at all.
        self.pacer = Pacer(overall_rate=max(20.0, bulk_rate), bulk_rate=bulk_rate) if pacing else None
        self.username: str | None = None
        self.bot_id: str | None = None  # from getMe; Zalo may echo the bot's own sends back
        self.processed = 0  # updates fully handled (replies sent or given up); tests wait on it
        self._key = hashlib.sha256(token.encode()).hexdigest()
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._prepared = False
        # Zalo cannot redeliver (no offset; webhooks answered at once): updates are stored first.
        self.inbox = Inbox(dispatcher.services.db, "zalo", self._replay)

    # -- lifecycle ---------------------------------------------------------------------------

    def mount(self, web_app: web.Application, path: str = "/zalo/webhook") -> None:
        web_app.router.add_post(path, self._webhook)
        self.files.mount(web_app)

    async def start(self) -> None:
        """getMe, then setWebhook (webhook mode) or deleteWebhook plus the one background poller."""
        await self.client.start()
        self.inbox.start(supervisor=self.supervisor)
        self.health.register(self.name, "webhook" if self.webhook_url else "polling")
        if self.webhook_url:
            try:
                await self._register_webhook()
            except ChannelError as exc:
                if not exc.retryable:
                    raise ConfigError(f"Zalo webhook could not be registered: {exc}") from None
                log.warning("Zalo not reachable at start (%s); registering the webhook later", exc)
                self.health.unregistered(self.name)  # /readyz says so until Zalo accepts the webhook
                self._poller = self.supervisor.spawn_once("zalo-webhook", self._register_webhook,
                                                         failed_once=True)
            return
        if self._poller is not None and not self._poller.done():
            return
        other = self._pollers.get(self._key)
        if other is not None and other is not self:
            raise ConfigError("another Zalo poller for this bot token is already running in this process")
        self._pollers[self._key] = self
        try:
            await self._prepare()
        except ChannelError as exc:
            if not exc.retryable:
                self._pollers.pop(self._key, None)
                raise ConfigError(f"Zalo bot could not start: {exc}") from None
            log.warning("Zalo not reachable at start (%s); the poller keeps trying", exc)
        self._poller = self.supervisor.spawn("zalo-poll", self._poll_loop)

    async def stop(self) -> None:
        """Cancel the poller, let updates being handled finish, and close the HTTP session."""
        await self.inbox.stop()
        if self._poller is not None:
            if self._poller.get_name() in ("zalo-poll", "zalo-webhook"):
                await self.supervisor.cancel(self._poller.get_name())
            else:
                self._poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._poller
            self._poller = None
        if self._pollers.get(self._key) is self:
            del self._pollers[self._key]
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=10)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        await self.client.close()

    async def drain(self) -> None:
        """Wait until every update handed to a background task has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _hello(self) -> None:
        me = await self.client.get_me()
        self.bot_id = str(me.get("id") or "") or None
        self.username = str(me.get("account_name") or self.bot_id or "") or None
        self.dispatcher.services.bot_usernames["zalo"] = self.username or ""

    async def _register_webhook(self) -> None:
        await self._hello()
        assert self.webhook_url is not None and self.webhook_secret is not None
        await self.client.set_webhook(self.webhook_url, self.webhook_secret)
        self.health.registered(self.name)

    async def _prepare(self) -> None:
        if self.username is None:
            await self._hello()
        await self.client.delete_webhook()
        self._prepared = True

    # -- polling -----------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.retry_delay
        while True:
            started = loop.time()
            try:
                if not self._prepared:
                    await self._prepare()
                raw = await self.client.get_updates(timeout=self.poll_timeout)
            except ChannelError as exc:  # already scrubbed of the token
                if exc.code == 400:
                    self._prepared = False  # e.g. a webhook is set: remove it again before polling
                log.warning("Zalo polling failed (%s); retrying in %.1fs", exc, delay)
                self._poll_failed("timeout" if "no answer" in str(exc) else "bad_answer" if "non-JSON" in str(exc)
                                  else f"http_{exc.code}" if exc.code else "network", str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            except Exception as exc:  # never let the poller die; never print what might hold the token
                log.error("Zalo polling crashed (%s); retrying in %.1fs", type(exc).__name__, delay)
                self._poll_failed("other", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = self.retry_delay
            self.health.ok(self.name)
            if raw is not None:
                try:
                    update = parse_update(raw)
                except ChannelError as exc:  # kept for inspection, skipped: the next poll goes on
                    await quarantine(self.dispatcher.services.db, self.name, raw, str(exc), key=message_id_of(raw))
                else:
                    # stored before handling (a crash replays it); shielded: stop() cancels the
                    # poll, never an update being handled
                    if await self.inbox.accept(update.message_id, raw):
                        await asyncio.shield(self._spawn(self._process(update)))
            gap = self.poll_interval - (loop.time() - started)
            if gap > 0:
                await asyncio.sleep(gap)

    def _poll_failed(self, reason: str, detail: str) -> None:
        metrics.POLL_ERRORS.labels(self.name, reason).inc()
        self.health.failed(self.name, f"{reason}: {detail}")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- webhook -----------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web  # the web server's side of aiohttp: loaded with the web app, not to poll

        given = request.headers.get(SECRET_HEADER)
        if (
            not self.webhook_secret
            or given is None
            or not hmac.compare_digest(given.encode(), self.webhook_secret.encode())
        ):
            return web.Response(status=403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(1 << 16):  # read() alone may stop at a chunk
            size += len(chunk)
            if size > MAX_BODY:
                return web.Response(status=413)
            chunks.append(chunk)
        body = b"".join(chunks)
        if not body.strip():  # an empty probe: answered 200, nothing processed
            return web.Response(status=200)
        try:
            raw = json.loads(body)
        except ValueError:
            return web.Response(status=400)
        try:
            update = parse_update(raw)
        except ChannelError as exc:
            inner = raw.get("result") if isinstance(raw, dict) and "event_name" not in raw else raw
            if not isinstance(inner, dict) or not inner.get("event_name"):
                return web.Response(status=400)  # not an update at all (an array, a string, {"ok": true} ...)
            try:  # an update we cannot read: kept for inspection, answered 200 so it is not sent again
                await quarantine(self.dispatcher.services.db, self.name, raw, str(exc), key=message_id_of(inner))
            except Exception:
                log.exception("could not quarantine a Zalo update")
                return web.Response(status=503)
            self.health.ok(self.name)
            return web.Response(status=200)
        self.health.ok(self.name)
        try:
            fresh = await self.inbox.accept(update.message_id, raw)
        except Exception:  # not stored: let Zalo deliver it again rather than lose it
            log.exception("could not store a Zalo update")
            return web.Response(status=503)
        if fresh:
            self._spawn(self._process(update))
        return web.Response(status=200)

    # -- handling ----------------------------------------------------------------------------

    async def _process(self, update: ZaloUpdate) -> None:
        """Hand one update to the dispatcher and send its replies; errors are logged, never raised."""
        lock = self._locks.get(update.chat_id)
        if lock is None:
            lock = self._locks[update.chat_id] = asyncio.Lock()
        async with lock:  # one chat's updates are handled in arrival order
            outcome, started = "failed", metrics.started()
            try:
                outcome = await self._handle(update)
            except Exception:
                log.exception("error while handling Zalo update %s", update.message_id)
                with contextlib.suppress(ChannelError):
                    await self.client.send_message(
                        update.chat_id,
                        _("Sorry, something went wrong on my side. Please try again in a moment."),
                    )
            finally:
                metrics.update_done(self.name, outcome, started)
                with contextlib.suppress(Exception):  # left in the inbox, it is replayed later
                    await self.inbox.done(update.message_id)
                self.processed += 1

    async def _replay(self, raw: dict[str, Any]) -> None:
        try:
            update = parse_update(raw)
        except ChannelError as exc:
            await quarantine(self.dispatcher.services.db, self.name, raw, str(exc), key=message_id_of(raw))
            return
        await self._process(update)

    async def _handle(self, update: ZaloUpdate) -> str:
        """Handle one update; returns its outcome for the metrics (handled or ignored)."""
        incoming = None if update.user_id == self.bot_id else to_incoming(update)
        if incoming is None:
            if update.is_bot or update.user_id == self.bot_id or not self._first_time(update.message_id):
                return "ignored"
            await self.client.send_message(
                update.chat_id, _("Sorry, I cannot read this kind of message. Please send text or a photo.")
            )
            return "ignored"
        incoming = await fetch_media(incoming, self.blobs, self._download, self.dispatcher.has_joined)
        await self.dispatcher.respond(incoming, CAPS, self.send)
        return "handled"

    async def _download(self, media: MediaIn) -> bytes:
        return await download(media.ref, self.blobs.max_bytes if self.blobs else 0)

    def _first_time(self, message_id: str) -> bool:
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    # -- sending -----------------------------------------------------------------------------

    async def send(self, chat_id: str, out: Outgoing, *, bulk: bool = False) -> str:
        """Send one Outgoing as text (split at 2,000 chars); files go as a signed link. Raises ChannelError.

        ``bulk`` sends (reminders, announcements) are paced; replies only share the overall budget."""
        pacer = self.pacer
        if pacer is not None:
            await pacer.before_send(chat_id, bulk=bulk)
        kind = "document" if out.document is not None else "photo" if out.photo is not None else "text"
        try:
            result = await self._send(chat_id, out)
        except RateLimited as exc:
            if pacer is not None:
                pacer.pause(exc.retry_after)
            metrics.send_result(self.name, kind, bulk, exc)
            raise
        except ChannelError as exc:
            metrics.send_result(self.name, kind, bulk, exc)
            raise
        except Exception as exc:  # foreign errors never leave the adapter (nor the token inside them)
            reason = self.client.scrub(f"{type(exc).__name__}: {exc}")[:200]
            error = ChannelError(f"Zalo send failed unexpectedly ({reason})", retryable=True)
            metrics.send_result(self.name, kind, bulk, error)
            raise error from None
        else:
            metrics.send_result(self.name, kind, bulk, None)
            return result
        finally:
            if pacer is not None:
                pacer.sent(chat_id)

    async def _send(self, chat_id: str, out: Outgoing) -> str:
        text = out.text
        if out.photo is not None and out.document is None and self.files.enabled:
            # a picture: Zalo's sendPhoto fetches it from our signed link (it takes only a public URL)
            url = self.files.put(out.photo.name, out.photo.data, out.photo.mime)
            try:
                result = await self.client.send_photo(chat_id, url, caption=text.strip() or None)
                return str(result.get("message_id", ""))
            except ChannelError as exc:
                if exc.code != 400:  # Zalo refuses some hosts ("The photo URL is invalid"): send the link
                    raise
                log.warning("Zalo refused a picture by URL (%s); sending the link instead", exc)
        attached: FileOut | None = out.document or out.photo
        if attached is not None:
            text = "\n\n".join(t for t in (text.strip(), self._file_note(attached)) if t)
        # The first part is not retried inside the client: the caller (inline reply retries or the outbox
        # worker) retries it and counts every attempt.
        results = await self.client.send_message(chat_id, text, retry_first=False)
        return str(results[-1].get("message_id", "")) if results else ""

    def _file_note(self, attached: FileOut) -> str:
        if not self.files.enabled:
            return _(
                "The file {name} cannot be sent on Zalo. Please download it from Telegram or the "
                "commune's web page.",
                name=attached.name,
            )
        url = self.files.put(attached.name, attached.data, attached.mime)
        return _("Download {name} (the link works for 24 hours): {url}", name=attached.name, url=url)
