"""Shared fixtures: loopback-only network guard, per-backend databases, the Telegram and Zalo harnesses."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storage.db import Database
from tests.dbfixtures import PgTemplates, SqliteTemplates, pg_skip_reason
from tests.fakes.telegram_api import FakeTelegramApi, api_urls
from tests.fakes.zalo_api import FakeZaloApi
from tests.harness import TelegramHarness
from tests.zalo_harness import TG_TOKEN, TOKEN, ZaloHarness

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in (
            "127.0.0.1", "::1", "localhost", "0.0.0.0") and not str(host).startswith("127."):
        raise RuntimeError(f"test tried to reach a non-loopback address: {host}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


_pg = PgTemplates()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("db"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, sqlite_templates: SqliteTemplates) -> AsyncIterator[str]:
    """A freshly migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        yield await sqlite_templates.clone()
        return
    reason = await pg_skip_reason()
    if reason:
        pytest.skip(reason)
    name = await _pg.clone()
    try:
        yield _pg.url(name)
    finally:
        await _pg.drop(name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def tg(aiohttp_server, db_url: str) -> AsyncIterator[TelegramHarness]:  # noqa: ANN001
    """The real bot (PTB polling) on a fresh database, talking to a fake Telegram Bot API."""
    fake = FakeTelegramApi(token="123456:TEST-token")
    server = await aiohttp_server(fake.app)
    base, _ = api_urls(str(server.make_url("")))
    h = TelegramHarness(fake, base, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeZaloApi:
    """A fake Zalo Bot API on 127.0.0.1 (test modules that need another fake define their own)."""
    api = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await api.serve(aiohttp_server)
    return api


@pytest.fixture
async def zh(fake: FakeZaloApi, db_url: str) -> AsyncIterator[ZaloHarness]:
    """The real bot polling the fake Zalo Bot API, on a fresh database."""
    h = ZaloHarness(fake, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def both(aiohttp_server: Any, db_url: str) -> AsyncIterator[ZaloHarness]:
    """The real bot on both fake platforms at once: Zalo polled, Telegram beside it, one fresh database."""
    zalo = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await zalo.serve(aiohttp_server)
    tg = FakeTelegramApi(token=TG_TOKEN)
    server = await aiohttp_server(tg.app)
    base, _files = api_urls(str(server.make_url("")))
    h = ZaloHarness(zalo, db_url, telegram=(tg, base))
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import asyncio

    if _pg.ready:
        asyncio.run(_pg.cleanup())
