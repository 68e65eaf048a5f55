"""The reminder scheduler: sweeps at 08:00 and 16:00 local time, a sweep found more than an hour late skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from handlers.services import Services
from reminders.jobs import SweepScheduler, next_sweep_at
from storage.db import Database
from storage.models import Outbox
from tests.seed import add_person, make_org

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_next_sweep_time_in_the_commune_time_zone() -> None:
    assert next_sweep_at(at("2026-12-16T07:59+07:00"), HCM) == at("2026-12-16T01:00+00:00")
    assert next_sweep_at(at("2026-12-16T08:00+07:00"), HCM) == at("2026-12-16T09:00+00:00")  # strictly after
    assert next_sweep_at(at("2026-12-16T16:00:01+07:00"), HCM) == at("2026-12-17T01:00+00:00")
    assert next_sweep_at(at("2026-12-31T20:00+00:00"), HCM) == at("2027-01-01T01:00+00:00")  # 03:00 there
    assert next_sweep_at(at("2026-12-16T07:59+07:00"), HCM).tzinfo == UTC
    berlin = ZoneInfo("Europe/Berlin")  # a zone with summer time: 08:00 local is 06:00 UTC in summer
    assert next_sweep_at(at("2026-03-29T00:00+00:00"), berlin) == at("2026-03-29T06:00+00:00")
    assert next_sweep_at(at("2026-03-28T00:00+00:00"), berlin) == at("2026-03-28T07:00+00:00")


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[BotApp]:
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    db = Database(db_url)
    services = Services(db=db, tz=HCM, clock=lambda: at("2026-12-16T08:00+07:00"))
    bot = BotApp.build(settings, db=db, services=services)
    bot.build_outbox()
    try:
        yield bot
    finally:
        await db.dispose()


async def _until(check) -> None:  # noqa: ANN001
    while not check():
        await asyncio.sleep(0.005)


async def test_scheduler_sweeps_at_its_time_and_skips_a_sweep_found_too_late(app: BotApp) -> None:
    org = await make_org(app.db)
    await add_person(app.db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=9001)
    await add_person(app.db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=9002)
    await add_person(app.db, org["napai"], "Lò Văn Minh", "member", telegram_id=9003)
    wall = {"now": at("2026-12-16T07:59:59+07:00")}
    swept: list[str | None] = []
    scheduler = SweepScheduler(app, swept.append, clock=lambda: wall["now"], tick=0.01)
    scheduler.start()
    try:
        await _until(lambda: scheduler.next_at is not None)
        assert scheduler.next_at == at("2026-12-16T08:00+07:00") and swept == []
        wall["now"] = at("2026-12-16T08:00:02+07:00")  # its time came
        await _until(lambda: len(swept) == 1)
        assert swept == [None]
        async with app.db.session() as s:
            assert len((await s.exec(select(Outbox))).all()) == 3  # officer, lead, member reminded once
        await _until(lambda: scheduler.next_at == at("2026-12-16T16:00+07:00"))
        wall["now"] = at("2026-12-16T17:30+07:00")  # the 16:00 sweep found 1.5 h late: skipped
        await _until(lambda: scheduler.next_at == at("2026-12-17T08:00+07:00"))
        assert swept == [None] and scheduler.running
    finally:
        await scheduler.stop()
    assert not scheduler.running
