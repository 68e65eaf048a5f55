"""The province view's statements are built once per inputs and kept (``storage.built``): the figures stay the
data's own. A closed month's report sent late through the chat shows on the next dashboard view, which runs the
kept statements again; a commune joining the province gets statements of its own. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from bot.web.access import make_province_token
from handlers.services import Services
from storage import built
from storage.db import Database
from storage.models import Province
from storage.province import set_commune_province
from storage.units import get_or_create_commune, get_or_create_unit
from tests.harness import TelegramHarness
from tests.province_dash_support import NOW, PROVINCE, A, build_province
from tests.seed import add_person

SECRET = "kept-statements-dashboard-secret-0123456789"
OFFICER_A = 8401


@pytest.fixture
async def page(tg: TelegramHarness, db: Database, monkeypatch: pytest.MonkeyPatch,
               aiohttp_client: Any) -> AsyncIterator[Any]:
    """The dashboard's web server on the harness's database and clock."""
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone, clock=lambda: tg.now))
    yield await aiohttp_client(bot.web)


async def _overview(client: Any, province_id: int) -> dict[str, Any]:
    resp = await client.get(f"/dashboard/api/province/{province_id}/overview?months=3")
    assert resp.status == 200
    return await resp.json()


def _cell(data: dict[str, Any], commune: str, key: str) -> dict[str, Any]:
    row = next(r for r in data["grid"] if r["commune"] == commune)
    return next(c for c in row["cells"] if c["month"] == key)


def test_kept_by_every_input() -> None:
    """The same inputs give the very statement built first; other inputs another; the oldest are dropped."""
    built._KEPT.clear()
    first = built.kept(("t", built.ids_key([1, 2])), lambda: object())
    assert built.kept(("t", built.ids_key([1, 2])), lambda: object()) is first
    assert built.kept(("t", built.ids_key([1, 2, 3])), lambda: object()) is not first
    for i in range(built._SIZE + 1):
        built.kept(("other", i), lambda: object())
    assert len(built._KEPT) == built._SIZE and ("t", built.ids_key([1, 2])) not in built._KEPT
    built._KEPT.clear()


async def test_late_report_shows_through_kept_statements(tg: TelegramHarness, db: Database, page: Any) -> None:
    """A's November report, never sent (Đỏ), is sent late by its officer on 10/12 through the chat: the next
    view, with the statements of the first, shows it sent (late counts as sent). A commune joining the province
    afterwards is on the next view."""
    assert tg.now == NOW
    world = await build_province(db)
    await add_person(db, world["A"]["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_A)
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
    token = make_province_token(SECRET.encode(), province.id, datetime(2027, 1, 31, tzinfo=UTC))  # type: ignore[arg-type]
    assert (await page.get(f"/dashboard/province?t={token}", allow_redirects=False)).status == 303

    first = await _overview(page, province.id)  # type: ignore[arg-type]
    november = _cell(first, A, "2026-11")
    assert november["colour"] == "red" and november["units"] == {"submitted": 0, "expected": 1}
    kept = dict(built._KEPT)
    assert kept  # the view's statements are kept

    sent = await tg.say(OFFICER_A, "/baocao tháng 11")
    assert "11/2026" in sent[0].text
    await tg.tap(OFFICER_A, "done")
    await tg.say(OFFICER_A, "Không có")
    await tg.tap(OFFICER_A, "none")
    await tg.tap(OFFICER_A, "send")

    again = await _overview(page, province.id)  # type: ignore[arg-type]
    assert all(built._KEPT.get(key) is stmt for key, stmt in kept.items())  # the same statements, run again
    november = _cell(again, A, "2026-11")
    assert november["units"] == {"submitted": 1, "expected": 1} and november["missing_after_deadline"] == 0
    assert november["colour"] == "green"

    async with db.transaction() as s:  # a fourth commune of the province: other ids, other statements
        commune = await get_or_create_commune(s, "Tân Phú")
        await get_or_create_unit(s, commune, "Thôn Mới", "village")
        await set_commune_province(s, commune, PROVINCE)
    grown = await _overview(page, province.id)  # type: ignore[arg-type]
    assert "Tân Phú" in {row["commune"] for row in grown["grid"]} and len(grown["grid"]) == 4
    assert _cell(grown, A, "2026-11") == november
