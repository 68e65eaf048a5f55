"""Charts as pictures: which indicators the chart draws, Zalo sendPhoto by signed link, inline in the demo."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from bot.config import load_settings
from bot.demo import build_demo, seed_demo
from handlers.exports.charts import chart_indicators, indicator_bars, indicator_chart
from handlers.exports.data import IndicatorRow
from handlers.exports.gather import gather_export
from handlers.services import Services
from storage.db import Database
from storage.models import Commune, Indicator, Report, ReportingPeriod, ReportItem, Unit
from storage.plan_import.model import ParsedIndicator, ParsedPlan, Target
from storage.plan_store import save_plan
from tests.fakes.zalo_api import FakeZaloApi
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org
from tests.zalo_harness import TOKEN, ZaloHarness, add_zalo_identity, vi

HCC = "Trung tâm Phục vụ hành chính công"
LEAD = 9101
PUBLIC = "https://cdsbot.example.org"


def _row(code: str, op: str = ">=", target: float | None = 100, value: float | None = None,
         achieved: bool | None = None) -> IndicatorRow:
    return IndicatorRow(plan="P", code=code, name=f"Chỉ tiêu {code}", unit="%", owner_units=[], target_text="",
                        target_op=op, target_value=target, latest_value=value, latest_achieved=achieved,
                        reported_in=None, status="no_data" if value is None and achieved is None else "at_risk",
                        status_vi="")


def test_indicators_with_data_first_worst_first_then_empty_while_room() -> None:
    rows = [_row(f"{n:02d}") for n in range(1, 26)]  # 25 empty indicators with the lowest codes
    rows += [_row("26", value=90), _row("27", value=10), _row("28", op="bool", target=None, achieved=False),
             _row("29", op="<=", target=5, value=10), _row("30", op="<=", target=5, value=1),
             _row("31", op="bool", target=None, achieved=True)]
    drawn = [r.code for r in chart_indicators(rows)]
    # progress: 28 → 0 %, 27 → 10 %, 29 → 50 % (≤5 but 10), 26 → 90 %, 31 → 100 %, 30 → 500 % (≤5 and 1)
    assert drawn[:6] == ["28", "27", "29", "26", "31", "30"]
    assert drawn[6:] == [f"{n:02d}" for n in range(1, 20)] and len(drawn) == 25  # empty ones fill the rest
    assert [r.code for r in chart_indicators(rows, limit=4)] == ["28", "27", "29", "26"]  # no room: no empty
    bars = indicator_bars(rows)
    assert [b.label.split(".")[0] for b in bars] == drawn and bars[2].percent_of_target == 50.0
    png = indicator_chart("Chỉ tiêu", bars)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] > 400


async def _plan_with_many_indicators(db: Database) -> dict[str, int]:
    org = await make_org(db)
    plan = ParsedPlan(title="Kế hoạch nhiều chỉ tiêu", year=2026, sections=["I"], tasks=[], indicators=[
        ParsedIndicator(str(n), "I", f"Chỉ tiêu số {n}", "%", Target("≥80", ">=", Decimal(80), "%"), [HCC])
        for n in range(1, 31)])
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, plan)
    return org


async def _report_values(db: Database, values: dict[str, int]) -> None:
    """The unit's December report with values for some indicators (codes → value)."""
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        unit = (await s.exec(select(Unit).where(Unit.name == HCC))).one()
        period = ReportingPeriod(commune_id=commune.id, stream="unit_monthly", key="2026-12",  # type: ignore[arg-type]
                                 start=datetime(2026, 11, 15).date(), end=datetime(2026, 12, 14).date(),
                                 due=datetime(2026, 12, 18, 17, tzinfo=UTC))
        s.add(period)
        await s.flush()
        report = Report(period_id=period.id, unit_id=unit.id, submitted_at=datetime(2026, 12, 9, tzinfo=UTC))  # type: ignore[arg-type]
        s.add(report)
        await s.flush()
        for ind in (await s.exec(select(Indicator))).all():
            if ind.code in values:
                s.add(ReportItem(report_id=report.id, kind="indicator", ref_id=ind.id,  # type: ignore[arg-type]
                                 value_num=Decimal(values[ind.code])))


async def test_chart_draws_reported_indicators_first(tg: TelegramHarness, db: Database) -> None:
    org = await _plan_with_many_indicators(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await _report_values(db, {"27": 40, "29": 90, "30": 10})
    async with db.session() as s:
        commune = (await s.exec(select(Commune))).one()
        data = await gather_export(s, commune, "2026-12", tg.now, tg.bot.services.tz)  # type: ignore[union-attr]
    drawn = [r.code for r in chart_indicators(data.indicators)]
    assert drawn[:3] == ["30", "27", "29"] and len(drawn) == 25  # 10/80, 40/80, 90/80; then empty ones
    assert set(drawn[3:]) <= {str(n) for n in range(1, 27)} | {"28"}
    tg.fake.queue(tg.fake.message(LEAD, "/bieudo"))
    sent = await tg.fake.wait_for_sent(2, timeout=60)  # two charts drawn: slow on a busy machine
    assert [m.method for m in sent] == ["sendPhoto", "sendPhoto"]
    img = Image.open(io.BytesIO(sent[1].photo.data if hasattr(sent[1].photo, "data") else sent[1].photo))
    assert img.format == "PNG" and img.size[1] > 600  # 25 rows tall


@pytest.fixture
async def zalo_fake(aiohttp_server: Any) -> FakeZaloApi:
    api = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await api.serve(aiohttp_server)
    return api


@pytest.fixture
async def zh(zalo_fake: FakeZaloApi, db_url: str) -> AsyncIterator[ZaloHarness]:
    h = ZaloHarness(zalo_fake, db_url, public_url=PUBLIC)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_zalo_charts_arrive_as_photos(zh: ZaloHarness, zalo_fake: FakeZaloApi, db: Database,
                                           aiohttp_client: Any) -> None:
    org = await _plan_with_many_indicators(db)
    pid = await add_person(db, org["vhxh"], "Trần Thị Lan", "lead")
    await add_zalo_identity(db, pid, "aaaa0000bbbb1111cccc")
    await _report_values(db, {"3": 50})
    await zh.say("aaaa0000bbbb1111cccc", "/bieudo", expect=0)  # no text message: two pictures
    photos = zalo_fake.sent_photos
    assert len(photos) == 2 and all(p["chat_id"] == "aaaa0000bbbb1111cccc" for p in photos)
    assert [p["caption"] for p in photos] == [vi("Village activities over the last {n} months.", n=6),
                                              vi("Indicator progress (share of target).")]
    client = await aiohttp_client(zh.bot.web)  # type: ignore[union-attr]
    for p in photos:
        assert p["photo"].startswith(f"{PUBLIC}/files/")
        async with client.get(p["photo"].removeprefix(PUBLIC)) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
            assert resp.headers["Content-Disposition"].startswith("inline")
            assert Image.open(io.BytesIO(await resp.read())).format == "PNG"


async def test_demo_chat_gets_charts_as_inline_pictures(db: Database, aiohttp_client: Any) -> None:
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    services = Services(db=db, tz=settings.timezone, clock=lambda: datetime(2026, 12, 10, 3, tzinfo=UTC))
    bot = build_demo(settings, services=services)
    await seed_demo(db)
    client = await aiohttp_client(bot.web)
    async with client.get("/") as resp:
        page = await resp.text()
    assert 'createElement("img")' in page  # pictures are drawn inline, files offered as downloads
    async with client.post("/chat/api", json={"persona": "lead", "text": "/bieudo"}) as resp:
        messages = (await resp.json())["messages"]
    pictures = [m["photo"] for m in messages if "photo" in m]
    assert len(pictures) == 2 and all(p["mime"] == "image/png" for p in pictures)


async def test_zalo_refusing_the_picture_gets_the_link(zh: ZaloHarness, zalo_fake: FakeZaloApi) -> None:
    from handlers.messages import FileOut, Outgoing

    zalo_fake.fail_next("sendPhoto", 400, body={"ok": False, "error_code": 400,
                                                "description": "Bad request: The photo URL is invalid"})
    await zh.zalo.send("aaaa0000bbbb1111cccc", Outgoing(text="Biểu đồ", photo=FileOut("c.png", b"\x89PNG", "image/png")))
    sent = zh.take_sent()
    assert len(sent) == 1 and sent[0]["text"].startswith("Biểu đồ\n\n") and f"{PUBLIC}/files/" in sent[0]["text"]
    assert zalo_fake.sent_photos == []
