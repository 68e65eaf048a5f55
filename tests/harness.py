"""Drives the real bot (PTB polling) through the fake Telegram Bot API: say, tap, restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import BotApp
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from tests.fakes.telegram_api import FakeTelegramApi, SentMessage

TOKEN = "123456:TEST-token"


class TelegramHarness:
    def __init__(self, fake: FakeTelegramApi, server_url: str, db_url: str) -> None:
        self.fake, self.server_url, self.db_url = fake, server_url, db_url
        self.now = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
        self.bot: BotApp | None = None
        self.waited = 0.0  # seconds replies waited before an inline retry (virtual: only self.now moves)
        self.last: dict[int, SentMessage] = {}
        self.queued = 0
        self.files_dir = files_dir()  # the evidence file store (created on the first file)
        self.env: dict[str, str] = {}  # more settings, e.g. CDSBOT_MAX_FILE_MB

    async def start(self) -> BotApp:
        settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": TOKEN,
                                  "TELEGRAM_API_BASE_URL": self.server_url, "CDSBOT_FILES_DIR": self.files_dir,
                                  **self.env}, env_file=None)
        db = Database(self.db_url)
        services = Services(db=db, tz=settings.timezone, clock=lambda: self.now)
        self.bot = BotApp.build(settings, db=db, services=services, poll_timeout=1)
        channel = self.bot.channels[0]  # poll error backoff: the real 1 s .. 60 s would make fault tests crawl
        channel.retry_delay, channel.max_backoff, channel.poll_grace = 0.05, 0.2, 0.5
        self.bot.dispatcher.sleep = self.virtual_sleep  # inline reply retries wait on the test clock
        await self.bot.start(serve_http=False, background=False)
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

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every queued update has been fully handled (replies marked delivered)."""
        import asyncio

        assert self.bot is not None
        channel = self.bot.channels[0]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while channel.processed < self.queued and loop.time() < deadline:
            await asyncio.sleep(0.005)

    async def restart(self) -> None:
        await self.stop()
        await self.start()
        self.queued = 0

    async def _collect(self, expect: int) -> list[SentMessage]:
        await self.fake.wait_for_sent(expect)
        await self.settle()
        sent = self.fake.take_sent()
        for m in sent:
            self.last[int(m.chat_id)] = m
        return sent

    async def say(self, user: int, text: str, expect: int = 1, **kw: Any) -> list[SentMessage]:
        self.fake.queue(self.fake.message(user, text, **kw))
        self.queued += 1
        return await self._collect(expect)

    async def send(self, update: dict[str, Any], expect: int = 1) -> list[SentMessage]:
        self.fake.queue(update)
        self.queued += 1
        return await self._collect(expect)

    async def tap(self, user: int, label_or_data: str, expect: int = 1) -> list[SentMessage]:
        """Tap a button of the last message sent to ``user`` by its label (or callback data)."""
        msg = self.last[user]
        rows = (msg.reply_markup or {}).get("inline_keyboard") or []
        for row in rows:
            for b in row:
                if label_or_data in (b["text"], b.get("callback_data")):
                    self.fake.queue(self.fake.callback(user, b["callback_data"], message_id=msg.message_id))
                    self.queued += 1
                    return await self._collect(expect)
        raise AssertionError(f"no button {label_or_data!r} in {msg.buttons}")


def files_dir() -> str:
    """A fresh path under the temporary directory for a test bot's file store (not created here)."""
    import tempfile
    import uuid

    return str(Path(tempfile.gettempdir()) / f"cdsbot-test-files-{uuid.uuid4().hex[:12]}")


def texts(sent: list[SentMessage]) -> str:
    return "\n---\n".join((m.text or m.caption or "") for m in sent)
