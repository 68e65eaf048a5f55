"""The activity-log roll-up of closed periods (issue #19, ``storage.log_rollup``): the province dashboard's months
read from it equal the same months read from the logs, after every kind of write that can change a closed
month's logs: a log dated back into it (by chat), a correction and a deletion of such a log (/nhatky, a commune
whose own deadline is later), a merge of two village teams (the operator's CLI path), and a fill tagged with a
version some write has since passed; a log dated in the period being reported touches no roll-up. SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from bot.web.access import make_province_token
from handlers.periods import rollup_closed_before, rollup_open_from
from handlers.services import Services
from storage import log_rollup
from storage.calendar.calendar import period_by_key
from storage.calendar.commune_streams import save_stream
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.merge import merge_units
from storage.models import ActivityLog, Commune, LogRollup, LogRollupStamp, Province
from storage.traffic import province_traffic_periods
from storage.units import get_or_create_unit
from tests.harness import TelegramHarness
from tests.province_dash_support import PROVINCE, D, build_province
from tests.seed import add_person

SECRET = "log-rollup-dashboard-secret-0123456789"
MEMBER_A, MEMBER_D = 8301, 8302
LATER = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)  # 20/12 10:00 in Hanoi: December (15/11–14/12) is past due
MONTHS = ("2026-10", "2026-11", "2026-12")


@pytest.fixture
async def page(tg: TelegramHarness, db: Database, monkeypatch: pytest.MonkeyPatch,
               aiohttp_client: Any) -> AsyncIterator[Any]:
    """The dashboard's web server on the harness's database and clock, signed in as the province office."""
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone, clock=lambda: tg.now))
    client = await aiohttp_client(bot.web)
    client.services = bot.services
    yield client


async def _sign_in(client: Any, db: Database) -> int:
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
    token = make_province_token(SECRET.encode(), province.id, datetime(2027, 1, 31, tzinfo=UTC))  # type: ignore[arg-type]
    assert (await client.get(f"/dashboard/province?t={token}", allow_redirects=False)).status == 303
    return province.id  # type: ignore[return-value]


async def _overview(client: Any, province_id: int) -> dict[str, Any]:
    resp = await client.get(f"/dashboard/api/province/{province_id}/overview?months=3")
    assert resp.status == 200
    return await resp.json()


def _periods() -> list[tuple[Any, Any]]:
    streams = {s.name: s for s in default_streams()}
    return [(period_by_key(streams["unit_monthly"], k), period_by_key(streams["village_monthly"], k)) for k in MONTHS]


async def _agrees(db: Database, services: Services, now: datetime) -> list[dict[str, Any]]:
    """The three months from the roll-up (filling what it lacks), again from the roll-up alone, and from the
    logs: all equal. Returns them."""
    today = now.astimezone(services.tz).date()
    closed = rollup_closed_before(services, now)
    assert closed == date(2026, 12, 15)  # October, November and December are closed
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        rolled = await province_traffic_periods(s, province, _periods(), now, today, closed)
    async with db.session() as s:
        again = await province_traffic_periods(s, province, _periods(), now, today, closed)
        raw = await province_traffic_periods(s, province, _periods(), now, today)
    assert rolled == raw and again == raw
    async with db.session() as s:  # every commune's closed ranges are held at its current version now
        held = (await s.exec(select(func.count()).select_from(LogRollup).join(
            LogRollupStamp, LogRollupStamp.commune_id == LogRollup.commune_id, isouter=True).where(
            LogRollup.unit_id == 0, LogRollup.activity == "",
            LogRollup.version == func.coalesce(LogRollupStamp.version, 0)))).one()
    assert held >= 3 * 4  # 3 communes × the 3 months and the one before October
    return raw


async def _version(db: Database, commune_id: int) -> int:
    async with db.session() as s:
        stamp = await s.get(LogRollupStamp, commune_id)
    return stamp.version if stamp else 0


def _month(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(m for m in data["by_month"] if m["month"] == key)


def _cell(data: dict[str, Any], commune: str, key: str) -> dict[str, Any]:
    row = next(r for r in data["grid"] if r["commune"] == commune)
    return next(c for c in row["cells"] if c["month"] == key)


async def test_a_log_dated_back_by_chat(tg: TelegramHarness, db: Database, page: Any) -> None:
    """D's member logs, on 20/12, five activations dated 3/11 (closed November): the page shows them at once;
    a log dated in the period being reported leaves every version as it was."""
    world = await build_province(db)
    await add_person(db, world["D"]["village"], "Lò Văn Minh", "member", telegram_id=MEMBER_D)
    tg.now = LATER
    province_id = await _sign_in(page, db)
    first = await _overview(page, province_id)  # fills the roll-up
    assert _month(first, "2026-11")["activity_total"] == 13 and _cell(first, D, "2026-11")["colour"] == "green"
    assert await _agrees(db, page.services, tg.now)
    sent = await tg.say(MEMBER_D, "ngày 3/11 hỗ trợ 5 người kích hoạt VNeID")
    assert "ngày 3/11/2026" in sent[0].text
    sent = await tg.tap(MEMBER_D, "ok")
    assert "Đã lưu" in sent[0].text and await _version(db, world["D"]["commune"]) == 1
    later = await _overview(page, province_id)
    assert _month(later, "2026-11")["activity_total"] == 18 and _month(later, "2026-12")["previous_total"] == 18
    assert _month(later, "2026-11")["activities"] == {"vneid": 18}
    raw = await _agrees(db, page.services, tg.now)
    assert raw[1]["activities"] == {"vneid": 18}
    # a log dated in the period being reported (16/12–: January's window) bumps nothing
    assert rollup_open_from(page.services, tg.now) == date(2026, 12, 15)
    await tg.say(MEMBER_D, "hôm nay hỗ trợ 2 người kích hoạt VNeID")
    assert "Đã lưu" in (await tg.tap(MEMBER_D, "ok"))[0].text
    assert await _version(db, world["D"]["commune"]) == 1
    await _agrees(db, page.services, tg.now)


async def test_corrected_and_deleted_in_a_closed_month(tg: TelegramHarness, db: Database, page: Any) -> None:
    """A's own village deadline is the 28th: on 20/12 its member still corrects December's entries (/nhatky),
    though the province's December is closed and rolled up; each correction shows at once."""
    world = await build_province(db)
    await add_person(db, world["A"]["village"], "Lò Thị Bích", "member", telegram_id=MEMBER_A)
    village = {s.name: s for s in default_streams()}["village_monthly"]
    async with db.transaction() as s:
        await save_stream(s, tg.bot.services, world["A"]["commune"], dataclasses.replace(village, due_day=28), True)  # type: ignore[union-attr]
    tg.now = LATER
    province_id = await _sign_in(page, db)
    sent = await tg.say(MEMBER_A, "ngày 12/12 hỗ trợ 7 người kích hoạt VNeID")  # dated back into December
    assert "Đã lưu" in (await tg.tap(MEMBER_A, "ok"))[0].text
    assert _month(await _overview(page, province_id), "2026-12")["activities"] == {"vneid": 19}  # 12 + 7
    await _agrees(db, page.services, tg.now)
    async with db.session() as s:
        log = (await s.exec(select(ActivityLog).where(ActivityLog.count == 7))).one()
    version = await _version(db, world["A"]["commune"])
    sent = await tg.say(MEMBER_A, "/nhatky")
    assert f"edit:{log.id}" in sent[0].callback_data
    await tg.tap(MEMBER_A, f"edit:{log.id}")
    sent = await tg.say(MEMBER_A, "9")
    assert "→ 9" in sent[0].text and await _version(db, world["A"]["commune"]) == version + 1
    assert _month(await _overview(page, province_id), "2026-12")["activities"] == {"vneid": 21}
    await _agrees(db, page.services, tg.now)
    await tg.tap(MEMBER_A, f"edit:{log.id}")
    sent = await tg.say(MEMBER_A, "0")  # deleted
    assert await _version(db, world["A"]["commune"]) == version + 2
    assert _month(await _overview(page, province_id), "2026-12")["activities"] == {"vneid": 12}
    raw = await _agrees(db, page.services, tg.now)
    assert raw[2]["activities"] == {"vneid": 12}


async def test_merged_villages_and_a_stale_fill(tg: TelegramHarness, db: Database, page: Any) -> None:
    """Two village teams merged (storage.merge, as `cdsbot unit merge`): the team count and first logs
    follow at once. A fill tagged with a version a write has passed since is never read."""
    world = await build_province(db)
    async with db.transaction() as s:  # D gets a second village that logged in December
        commune = await s.get(Commune, world["D"]["commune"])
        second = (await get_or_create_unit(s, commune, "Thôn Pác Bó", "village"))[0]  # type: ignore[arg-type]
        s.add(ActivityLog(commune_id=commune.id, unit_id=second.id, on_date=date(2026, 12, 5),  # type: ignore[arg-type]
                          activity="vneid", count=6, created_at=datetime(2026, 12, 5, 3, tzinfo=UTC)))
    tg.now = LATER
    province_id = await _sign_in(page, db)
    before = await _overview(page, province_id)
    assert _cell(before, D, "2026-12")["villages"] == {"submitted": 1, "expected": 2}
    await _agrees(db, page.services, tg.now)
    async with db.transaction() as s:
        await s.run_sync(lambda ss: merge_units(ss.connection(), world["D"]["village"], second.id, reason="test"))
    after = await _overview(page, province_id)
    assert _cell(after, D, "2026-12")["villages"] == {"submitted": 1, "expected": 1}  # one team, logged
    assert _cell(after, D, "2026-12")["colour"] == "green" and await _version(db, world["D"]["commune"]) == 1
    await _agrees(db, page.services, tg.now)

    # a fill that read version 1 keeps its rows after a write moved the version to 2: they are not read
    d, span = world["D"]["commune"], _periods()[2][1]
    async with db.transaction() as s:
        await log_rollup.bump(s, [d])
        s.add(ActivityLog(commune_id=d, unit_id=world["D"]["village"], on_date=date(2026, 12, 9),
                          activity="skills", count=4, created_at=LATER))
    async with db.session() as s:
        await log_rollup.fill(s, {(span.start, span.end): {d}}, {d: 1})
    assert await _marker(db, d, span) == 1
    data = await _overview(page, province_id)
    assert _month(data, "2026-12")["activities"] == {"vneid": 18, "skills": 4}
    assert await _marker(db, d, span) == 2  # read from the logs again, and kept at the current version
    await _agrees(db, page.services, tg.now)


async def _marker(db: Database, commune_id: int, span: Any) -> int:
    async with db.session() as s:
        return (await s.exec(select(LogRollup.version).where(
            LogRollup.commune_id == commune_id, LogRollup.start == span.start, LogRollup.end == span.end,
            LogRollup.unit_id == 0, LogRollup.activity == ""))).one()


def test_the_period_being_reported_is_never_rolled_up() -> None:
    """``closed_before`` trails ``open_from`` by the grace hour; neither reaches into the period being reported."""
    streams, tz = default_streams(), ZoneInfo("Asia/Ho_Chi_Minh")
    due = datetime(2026, 12, 19, 23, 59, 59, 999999, tzinfo=tz)  # December's last on-time instant (village stream)
    assert log_rollup.open_from(streams, due, tz) == date(2026, 11, 15)
    assert log_rollup.open_from(streams, due + timedelta(microseconds=1), tz) == date(2026, 12, 15)
    assert log_rollup.closed_before(streams, due + timedelta(minutes=59), tz) == date(2026, 11, 15)
    assert log_rollup.closed_before(streams, due + timedelta(minutes=61), tz) == date(2026, 12, 15)
    assert log_rollup.open_from([], due, tz) == date.max and log_rollup.closed_before([], due, tz) == date.min


WRITES = re.compile(r"\b(insert|update|delete)\((ActivityLog|_LOG)\b|insert\([^()]*\)\((ActivityLog|_LOG)\b"
                    r"|\bActivityLog\(|\(\"activitylog\", \"(unit|commune)_id\"\)")  # (…insert("postgresql")(_LOG))


def test_every_activity_log_writer_bumps_the_roll_up() -> None:
    """Every module of the app that inserts, changes, deletes or moves activity logs (the log flow, /nhatky,
    merging units) goes through ``storage.log_rollup``; a new writer must too (README "Province view")."""
    root = Path(__file__).resolve().parent.parent
    writers = {str(p.relative_to(root)) for top in ("bot", "handlers", "reminders", "storage")
               for p in (root / top).rglob("*.py")
               if "migrations" not in p.parts and WRITES.search(p.read_text(encoding="utf-8"))}
    assert writers == {"handlers/activity/flow.py", "handlers/activity/review.py", "storage/merge.py",
                       "storage/models_report.py",  # (the model: its class statement)
                       "storage/hot_pg.py"}  # the log flow's rows in the turn's one statement: flow.py notes them
    for path in writers - {"storage/models_report.py", "storage/hot_pg.py"}:
        assert "log_rollup import" in (root / path).read_text(encoding="utf-8"), path
