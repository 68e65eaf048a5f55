"""The dashboard's province page over HTTP (issue #19): a signed province link, the communes × months grid in
Xanh/Vàng/Đỏ, the ranking and chart figures from the province view's own function, and its scope (nothing of
another province, no commune page outside it, nothing writable); on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from bot.web.access import PROVINCE_COOKIE, make_province_token, read_province_token
from bot.web.dashboard import COOKIE, make_token
from handlers.services import Services
from storage.db import Database
from storage.models import Commune, Province
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.province_dash_support import (
    COUNTS,
    GRID,
    MONTHS,
    NOW,
    OTHER,
    PROVINCE,
    RANKING,
    VNEID,
    A,
    C,
    build_province,
)
from tests.seed import add_person

SECRET = "province-dashboard-secret-0123456789"
OFFICER_A, MEMBER_A = 8201, 8202


@pytest.fixture
async def web_client(tg: TelegramHarness, db: Database, monkeypatch: pytest.MonkeyPatch,
                     aiohttp_client: Any) -> AsyncIterator[Any]:
    """The web server (dashboard included) on the harness's database and clock."""
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone, clock=lambda: tg.now))
    yield await aiohttp_client(bot.web)


async def _ids(db: Database) -> dict[str, int]:
    async with db.session() as s:
        provinces = {p.name: p.id for p in (await s.exec(select(Province))).all()}
        communes = {c.name: c.id for c in (await s.exec(select(Commune))).all()}
    return {**provinces, **communes}  # type: ignore[dict-item]


async def _december_of_a_by_chat(tg: TelegramHarness, db: Database, world: dict) -> None:
    """Commune A's village member logs 12 VNeID activations and its officer sends December's report."""
    await add_person(db, world["A"]["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_A)
    await add_person(db, world["A"]["village"], "Lò Thị Bích", "member", telegram_id=MEMBER_A)
    await tg.say(MEMBER_A, "Hôm nay hỗ trợ 12 người kích hoạt VNeID")
    sent = await tg.tap(MEMBER_A, "ok")
    assert "Đã lưu" in sent[0].text
    sent = await tg.say(OFFICER_A, "/baocao tháng 12", expect=2)  # November is owed too
    assert "12/2026" in sent[0].text
    await tg.tap(OFFICER_A, "done")
    await tg.say(OFFICER_A, "Không có")
    await tg.tap(OFFICER_A, "none")
    sent = await tg.tap(OFFICER_A, "send")
    assert "đúng hạn" in sent[0].text


async def test_province_page_grid_ranking_charts_and_scope(tg: TelegramHarness, db: Database, db_url: str,
                                                           web_client: Any, monkeypatch, capsys) -> None:  # noqa: ANN001
    assert tg.now == NOW
    world = await build_province(db, december_a=False)
    await _december_of_a_by_chat(tg, db, world)
    ids = await _ids(db)
    client = web_client

    # The province office's link: the token goes into a cookie and leaves the address bar.
    token = make_province_token(SECRET.encode(), ids[PROVINCE], NOW + timedelta(days=7))
    resp = await client.get(f"/dashboard/province?t={token}", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "province"
    cookie = resp.cookies[PROVINCE_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/dashboard" and int(cookie["max-age"]) == 7 * 86400
    page = await client.get("/dashboard/province")
    html = await page.text()
    assert page.status == 200 and f'data-province="{ids[PROVINCE]}"' in html and 'lang="vi"' in html
    for asset in ("province.js", "province.css"):
        assert (await client.get(f"/dashboard/static/{asset}")).status == 200

    resp = await client.get(f"/dashboard/api/province/{ids[PROVINCE]}/overview?months=3")
    assert resp.status == 200
    data = await resp.json()
    assert data["province"]["name"] == PROVINCE
    assert [m["key"] for m in data["months"]] == MONTHS and [m["open"] for m in data["months"]] == [0, 0, 1]
    grid = {row["commune"]: [c["colour"] for c in row["cells"]] for row in data["grid"]}
    assert grid == GRID
    assert [row["commune"] for row in data["grid"]] == RANKING  # rows in the newest month's ranking
    labels = {row["commune"]: [c["label"] for c in row["cells"]] for row in data["grid"]}
    assert labels[A] == ["Xanh", "Đỏ", "Xanh"] and [c["label"] for c in data["colours"]] == ["Đỏ", "Vàng", "Xanh"]
    assert [(r["rank"], r["commune"], r["colour"]) for r in data["ranking"]] == [
        (1, RANKING[0], "red"), (2, RANKING[1], "yellow"), (3, RANKING[2], "green")]
    b = data["ranking"][0]
    assert b["overdue_tasks"] == 1 and b["units"] == {"submitted": 0, "expected": 1}
    a_nov = data["grid"][2]["cells"][1]
    assert a_nov["missing_after_deadline"] == 1 and a_nov["units"] == {"submitted": 0, "expected": 1}
    assert {m["month"]: m["counts"] for m in data["by_month"]} == COUNTS
    assert {m["month"]: m["activity_total"] for m in data["by_month"]} == VNEID
    assert [m["previous_total"] for m in data["by_month"]] == [0, VNEID["2026-10"], VNEID["2026-11"]]
    assert data["by_month"][-1]["activities"] == {"vneid": 12}
    assert data["activity_labels"] == {"vneid": "Kích hoạt định danh điện tử (VNeID)"}
    assert data["rule"].startswith("Đỏ:")
    text = json.dumps(data, ensure_ascii=False)
    assert C not in text and OTHER not in text  # nothing of the other province

    # The same colours as the province view's /tinhtrang tháng N (one function, the real now).
    for i, key in enumerate(MONTHS):
        out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--period", key,
                        "--at", NOW.isoformat(), "--json")
        assert {r["commune"]: r["colour"] for r in json.loads(out)["communes"]} == {
            name: colours[i] for name, colours in GRID.items()}
    resp = await client.get(f"/dashboard/api/province/{ids[PROVINCE]}/overview")  # six months by default
    assert [m["key"] for m in (await resp.json())["months"]][-3:] == MONTHS

    # Scope: another province's overview, a commune page outside the province; a commune inside opens.
    resp = await client.get(f"/dashboard/api/province/{ids[OTHER]}/overview?months=3")
    assert resp.status == 403 and "tỉnh" in (await resp.json())["error"]
    for path in (f"/dashboard?commune={ids[C]}", f"/dashboard/api/summary?commune={ids[C]}",
                 f"/dashboard/chart/activities.png?commune={ids[C]}", f"/dashboard/export.xlsx?commune={ids[C]}",
                 "/dashboard", "/dashboard/api/summary", "/dashboard?commune=abc"):
        assert (await client.get(path, allow_redirects=False)).status == 403, path
    page = await client.get(f"/dashboard?commune={ids[A]}")
    assert page.status == 200 and "Bảng theo dõi chuyển đổi số" in await page.text()
    resp = await client.get(f"/dashboard/api/summary?commune={ids[A]}&period=2026-12")
    summary = await resp.json()
    assert resp.status == 200 and summary["commune"] == A
    assert next(a["count"] for a in summary["activities"]["total"] if a["code"] == "vneid") == 12

    # Read-only and polite: no writing method, bad month counts explained in Vietnamese.
    assert (await client.post(f"/dashboard/api/province/{ids[PROVINCE]}/overview")).status == 405
    for bad in ("0", "13", "abc", "-1"):
        resp = await client.get(f"/dashboard/api/province/{ids[PROVINCE]}/overview?months={bad}")
        assert resp.status == 400 and "từ 1 đến 12" in (await resp.json())["error"], bad

    # Logging out ends it; a bad or expired link, or a commune's token, never opens the province page.
    await client.get("/dashboard/province/logout")
    assert (await client.get(f"/dashboard/api/province/{ids[PROVINCE]}/overview")).status == 403
    commune_token = make_token(SECRET.encode(), ids[A], NOW + timedelta(days=1))
    expired = make_province_token(SECRET.encode(), ids[PROVINCE], NOW - timedelta(seconds=1))
    foreign = make_province_token(b"another-secret-0123456789", ids[PROVINCE], NOW + timedelta(days=1))
    for t in (commune_token, expired, foreign, "p1.2.3", "garbage"):
        resp = await client.get(f"/dashboard/province?t={t}", allow_redirects=False)
        assert resp.status == 403 and "không hợp lệ hoặc đã hết hạn" in await resp.text(), t
    resp = await client.get(f"/dashboard?t={make_province_token(SECRET.encode(), ids[A], NOW + timedelta(days=1))}",
                            allow_redirects=False)
    assert resp.status == 403  # a province token is no commune login
    client.session.cookie_jar.update_cookies({PROVINCE_COOKIE: commune_token, COOKIE: token})
    assert (await client.get(f"/dashboard/api/province/{ids[PROVINCE]}/overview")).status == 403
    assert (await client.get("/dashboard/api/summary")).status == 403


def test_province_tokens_are_their_own() -> None:
    secret = SECRET.encode()
    token = make_province_token(secret, 7, NOW + timedelta(hours=1))
    assert token.startswith("p7.") and read_province_token(secret, token, NOW) == (7, NOW + timedelta(hours=1))
    assert read_province_token(secret, token, NOW + timedelta(hours=1)) is None
    assert read_province_token(secret, make_token(secret, 7, NOW + timedelta(hours=1)), NOW) is None
    assert read_province_token(secret, token.replace("p7.", "p8."), NOW) is None


async def test_web_link_for_a_province(db: Database, db_url: str, monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    await build_province(db)
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    out = await cli(monkeypatch, capsys, db_url, "web", "link", "--province", "tỉnh Tây Ninh", "--json",
                    "--base-url", "https://cds.example.vn")
    got = json.loads(out)
    assert got["province"] == PROVINCE and got["url"].startswith("https://cds.example.vn/dashboard/province?t=p")
