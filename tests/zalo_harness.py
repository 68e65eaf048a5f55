"""Drives the real bot through the fake Zalo Bot API (polling or webhook), optionally with fake Telegram too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.app import BotApp
from bot.channels.zalo.channel import ZaloChannel
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from tests.fakes.telegram_api import FakeTelegramApi, SentMessage
from tests.fakes.zalo_api import FakeZaloApi
from tests.harness import files_dir

__all__ = [
    "TG_TOKEN",
    "TOKEN",
    "WEBHOOK_SECRET",
    "WEBHOOK_URL",
    "ZaloHarness",
    "add_zalo_identity",
    "texts",
    "vi",
]

TOKEN = "7420517352185846210:zalo-TEST_s3cret"
TG_TOKEN = "123456:TEST-token"
WEBHOOK_URL = "https://cdsbot.example.org/zalo/webhook"
WEBHOOK_SECRET = "webhook-Secret_0123456789"


class ZaloHarness:
    """``say`` pushes a text update and returns the ``expect`` messages the bot sent back."""

    def __init__(
        self,
        fake: FakeZaloApi,
        db_url: str,
        *,
        webhook: bool = False,
        public_url: str | None = None,
        telegram: tuple[FakeTelegramApi, str] | None = None,
    ) -> None:
        self.fake, self.db_url, self.webhook, self.public_url = fake, db_url, webhook, public_url
        self.tg_fake, self.tg_base = telegram if telegram else (None, None)
        self.now = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
        self.bot: BotApp | None = None
        self.waited = 0.0  # seconds replies waited before an inline retry (virtual: only self.now moves)
        self._seen = 0
        self.files_dir = files_dir()  # the evidence file store (created on the first file)
        self.env: dict[str, str] = {}  # more settings, e.g. CDSBOT_MAX_FILE_MB

    @property
    def zalo(self) -> ZaloChannel:
        assert self.bot is not None
        return next(ch for ch in self.bot.channels if ch.name == "zalo")

    async def start(self) -> BotApp:
        env = {
            "DATABASE_URL": "sqlite:///unused.db",
            "ZALO_BOT_TOKEN": TOKEN,
            "ZALO_API_BASE_URL": self.fake.base_url,
            "CDSBOT_FILES_DIR": self.files_dir,
            **self.env,
        }
        if self.webhook:
            env |= {"ZALO_WEBHOOK_URL": WEBHOOK_URL, "ZALO_WEBHOOK_SECRET": WEBHOOK_SECRET}
        if self.public_url:
            env["CDSBOT_PUBLIC_URL"] = self.public_url
        if self.tg_base:
            env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": self.tg_base}
        settings = load_settings(env, env_file=None)
        db = Database(self.db_url)
        services = Services(db=db, tz=settings.timezone, clock=lambda: self.now)
        self.bot = BotApp.build(settings, db=db, services=services, poll_timeout=1)
        self.bot.dispatcher.sleep = self.virtual_sleep  # inline reply retries wait on the test clock
        zalo = self.zalo
        zalo.poll_interval, zalo.retry_delay = 0.02, 0.05  # the real 1 s gaps would make every test crawl
        zalo.client.timeout, zalo.client.backoff, zalo.client.max_retries = 1.0, 0.01, 1
        await self.bot.start(serve_http=False, background=False)
        self._seen = len(self.fake.sent_messages)
        return self.bot

    async def virtual_sleep(self, seconds: float) -> None:
        """The dispatcher's sleep in tests: moves the test clock instead of waiting."""
        import asyncio
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)
        self.waited += seconds
        await asyncio.sleep(0)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def wait_processed(self, count: int, timeout: float = 10.0) -> None:
        """Wait until the channel has fully handled ``count`` updates since it started."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.zalo.processed < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"only {self.zalo.processed} of {count} Zalo updates were handled")
            await asyncio.sleep(0.01)

    def take_sent(self) -> list[dict[str, Any]]:
        """Messages the bot sent on Zalo since the last call."""
        new = self.fake.sent_messages[self._seen :]
        self._seen = len(self.fake.sent_messages)
        return list(new)

    async def push(self, update: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """Queue ``update`` for getUpdates, wait until it is handled, and return exactly ``expect`` replies."""
        target = self.zalo.processed + 1
        self.fake.queue_update(update)
        await self.wait_processed(target)
        sent = self.take_sent()
        assert len(sent) == expect, f"expected {expect} Zalo messages, got {texts(sent)!r}"
        return sent

    async def say(self, user: str, text: str, expect: int = 1, **kw: Any) -> list[dict[str, Any]]:
        from tests.fakes.zalo_api import text_update

        return await self.push(text_update(user, text, **kw), expect)

    async def tg_say(self, user: int, text: str, expect: int = 1, **kw: Any) -> list[SentMessage]:
        """Say something to the Telegram bot (only when started with ``telegram=``)."""
        assert self.tg_fake is not None
        self.tg_fake.queue(self.tg_fake.message(user, text, **kw))
        await self.tg_fake.wait_for_sent(expect)
        return self.tg_fake.take_sent()


async def add_zalo_identity(db: Database, person_id: int, user: str, chat_id: str | None = None) -> None:
    """Give an existing person a Zalo identity (tests.seed only knows Telegram)."""
    from storage.models import Identity

    async with db.transaction() as s:
        s.add(Identity(person_id=person_id, channel="zalo", external_id=user, chat_id=chat_id or user))


def vi(msg: str, **kw: object) -> str:
    """``msg`` as the Vietnamese catalog renders it (tests compare against msgids, not copied text)."""
    from locales.i18n import _, use_locale

    with use_locale("vi"):
        return _(msg, **kw)


def texts(sent: list[Any]) -> str:
    """All texts of a list of sent messages (Zalo dicts or Telegram SentMessage), one block each."""
    return "\n---\n".join(m["text"] if isinstance(m, dict) else (m.text or m.caption or "") for m in sent)
