"""The lead-office dashboard over HTTP: login links, cookie, summary numbers, charts and exports."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from bot.demo import DEMO_COMMUNE, build_demo, seed_demo
from bot.web.dashboard import COOKIE, load_secret, make_token, read_token, secret_file
from handlers.services import Services
from storage.db import Database
from storage.errors import ConfigError
from storage.models import ActivityLog, Commune, Unit

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi; period 2026-12 (15/11–14/12) is open
SECRET = "dashboard-test-secret-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def demo(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[BotApp, Clock]]:
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    clock = Clock()
    bot = build_demo(settings, services=Services(db=db, tz=settings.timezone, clock=clock))
    await bot.start(serve_http=False, background=False)
    await seed_demo(db, now=NOW)
    try:
        yield bot, clock
    finally:
        await bot.stop()


@pytest.fixture
async def client(demo: tuple[BotApp, Clock], aiohttp_client: Any) -> Any:
    return await aiohttp_client(demo[0].web)


async def _commune_id(db: Database) -> int:
    async with db.session() as s:
        found = (await s.exec(select(Commune.id).where(Commune.name == DEMO_COMMUNE))).one()
    assert found is not None
    return found


async def _chat(client: Any, persona: str, text: str | None = None, payload: str | None = None) -> list[dict]:
    resp = await client.post("/chat/api", json={"persona": persona, "text": text, "payload": payload})
    assert resp.status == 200
    return (await resp.json())["messages"]


async def _report_month(client: Any, db: Database) -> None:
    """Nà Pài logs 12 VNeID + 3 DVC (and had 5 VNeID last period); the HCC officer sends the unit report."""
    sent = await _chat(client, "member", "hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC")
    assert ["Xác nhận", "ok"] in sent[-1]["choices"]
    await _chat(client, "member", payload="ok")
    async with db.transaction() as s:
        unit = (await s.exec(select(Unit).where(Unit.name == "Thôn Nà Pài"))).one()
        assert unit.id is not None
        s.add(ActivityLog(commune_id=unit.commune_id, unit_id=unit.id, on_date=date(2026, 11, 1),
                          activity="vneid", count=5))  # period 2026-11 (15/10–14/11)
    await _chat(client, "officer", "/baocao")
    for payload in ("done", "in_progress"):
        await _chat(client, "officer", payload=payload)
    await _chat(client, "officer", "70")
    for payload in ("no", "none", "none"):
        await _chat(client, "officer", payload=payload)
    sent = await _chat(client, "officer", payload="send")
    assert "đã được gửi" in sent[0]["text"]


async def _login(client: Any, db: Database, expires: datetime = NOW + timedelta(days=7)) -> Any:
    token = make_token(SECRET.encode(), await _commune_id(db), expires)
    return await client.get(f"/dashboard?t={token}", allow_redirects=False)


async def test_bad_expired_and_missing_tokens_get_403(client: Any, db: Database) -> None:
    cid = await _commune_id(db)
    other = make_token(b"another-secret-0123456789", cid, NOW + timedelta(days=1))
    for query in ("", "?t=", "?t=garbage", "?t=1.2.3", f"?t={other}",
                  f"?t={make_token(SECRET.encode(), cid, NOW - timedelta(seconds=1))}",
                  f"?t={make_token(SECRET.encode(), cid + 999, NOW + timedelta(days=1))}"):
        resp = await client.get(f"/dashboard{query}", allow_redirects=False)
        assert resp.status == 403, query
        page = await resp.text()
        assert "không hợp lệ hoặc đã hết hạn" in page and 'lang="vi"' in page
        assert COOKIE not in resp.cookies or not resp.cookies[COOKIE].value
    resp = await client.get("/dashboard/api/summary")
    assert resp.status == 403 and "hết hạn" in (await resp.json())["error"]
    for path in ("/dashboard/chart/activities.png", "/dashboard/chart/indicators.png",
                 "/dashboard/export.xlsx", "/dashboard/export.docx"):
        assert (await client.get(path)).status == 403, path


async def test_good_link_sets_cookie_until_it_expires(client: Any, demo: tuple[BotApp, Clock],
                                                      db: Database) -> None:
    resp = await _login(client, db)
    assert resp.status == 303 and resp.headers["Location"] == "dashboard"  # token leaves the address bar
    cookie = resp.cookies[COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/dashboard" and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 7 * 86400
    page = await client.get("/dashboard")
    assert page.status == 200 and "Bảng theo dõi chuyển đổi số" in await page.text()
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    for asset in ("dashboard.css", "dashboard.js"):
        assert (await client.get(f"/dashboard/static/{asset}")).status == 200
    assert (await client.get("/dashboard/static/chat.html")).status == 404
    assert (await client.get("/dashboard/api/summary")).status == 200
    demo[1].now = NOW + timedelta(days=7, seconds=1)  # the cookie carries the link's expiry
    assert (await client.get("/dashboard/api/summary")).status == 403
    demo[1].now = NOW
    assert (await client.get("/dashboard/api/summary")).status == 200
    out = await client.get("/dashboard/logout")
    assert out.status == 200 and "Đã đăng xuất" in await out.text()
    assert (await client.get("/dashboard/api/summary")).status == 403


async def test_summary_matches_reported_data(client: Any, db: Database) -> None:
    await _report_month(client, db)
    await _login(client, db)
    resp = await client.get("/dashboard/api/summary?period=2026-12")
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert data["commune"] == DEMO_COMMUNE and data["period"]["key"] == "2026-12"
    assert data["period"]["start"] == "2026-11-15" and data["period"]["end"] == "2026-12-14"
    assert [p["key"] for p in data["periods"]][:2] == ["2026-12", "2026-11"] and len(data["periods"]) == 12
    assert data["periods"][-1] == {"key": "2026-01", "label": "tháng 1/2026"}
    streams = {s["name"]: s for s in data["streams"]}
    units, villages = streams["unit_monthly"], streams["village_monthly"]
    assert (units["expected"], units["submitted"], units["on_time"], units["late"]) == (2, 1, 1, 0)
    assert {u["name"]: u["state"] for u in units["units"]} == {
        "Trung tâm Phục vụ hành chính công": "on_time", "Phòng Văn hóa - Xã hội": "pending"}
    assert (villages["expected"], villages["submitted"]) == (2, 1)
    assert {u["name"]: u["state"] for u in villages["units"]} == {"Thôn Nà Pài": "on_time",
                                                                  "Thôn Khuổi Luông": "pending"}
    assert {a["code"]: (a["count"], a["previous"], a["change"]) for a in data["activities"]["total"]} == {
        "vneid": (12, 5, 7), "dvc": (3, 0, 3)}
    assert {(a["village"], a["code"]): a["count"] for a in data["activities"]["by_village"]} == {
        ("Thôn Nà Pài", "vneid"): 12, ("Thôn Nà Pài", "dvc"): 3}
    # 70 % against ≥80 % with 94 % of the year gone is off track; "Đạt" not yet achieved is at risk
    assert data["indicators"]["counts"] == {"on_track": 0, "at_risk": 1, "off_track": 1, "no_data": 2}
    ind = {i["code"]: i for i in data["indicators"]["items"]}
    assert (ind["1"]["latest"], ind["1"]["status"], ind["1"]["reported_in"]) == ("70%", "off_track", "2026-12")
    assert ind["2"]["latest"] == "Chưa đạt" and ind["3"]["status_label"] == "Chưa có số liệu"
    assert [ind[c]["percent_of_target"] for c in "123"] == [87.5, 0.0, None]
    assert data["tasks"] == {"total": 3, "done": 1, "overdue": 1, "no_unit": 0,
                             "lights": {"red": 1, "yellow": 0, "green": 2}}
    assert [t["code"] for t in data["overdue_tasks"]] == ["3"]  # due Q2 2026, never reported
    assert [(r["unit"], r["late"]) for r in data["reports"]] == [("Trung tâm Phục vụ hành chính công", False)]
    # the month before: last period's 5 VNeID; it was due before the demo's plan was imported (its
    # reporting start, 10/12), so no office owes it and none is shown as missing
    prev = await (await client.get("/dashboard/api/summary?period=2026-11")).json()
    assert {a["code"]: (a["count"], a["previous"]) for a in prev["activities"]["total"]} == {"vneid": (5, 0)}
    assert prev["streams"][0]["units"] == [] and prev["streams"][0]["expected"] == 0
    bad = await client.get("/dashboard/api/summary?period=2026-13")
    assert bad.status == 400 and "Kỳ báo cáo không hợp lệ" in (await bad.json())["error"]


async def test_charts_are_pngs_and_exports_open(client: Any, db: Database) -> None:
    from docx import Document
    from openpyxl import load_workbook
    from PIL import Image

    await _report_month(client, db)
    await _login(client, db)
    for name in ("activities", "indicators"):
        resp = await client.get(f"/dashboard/chart/{name}.png?period=2026-12")
        assert resp.status == 200 and resp.content_type == "image/png"
        body = await resp.read()
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(body)) as img:
            assert img.width > 400 and img.height > 200
    resp = await client.get("/dashboard/export.xlsx?period=2026-12")
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == 'attachment; filename="bao-cao-cds-2026-12.xlsx"'
    wb = load_workbook(io.BytesIO(await resp.read()))
    rows = [list(r) for r in wb["Hoạt động thôn"].iter_rows(values_only=True)]
    assert ["Thôn Nà Pài", "Kích hoạt định danh điện tử (VNeID)", "vneid", 12, 5, 7] in rows
    resp = await client.get("/dashboard/export.docx")  # default: the open period
    assert resp.headers["Content-Disposition"] == 'attachment; filename="bao-cao-cds-2026-12.docx"'
    doc = Document(io.BytesIO(await resp.read()))
    assert "BÁO CÁO" in "\n".join(p.text for p in doc.paragraphs)


async def test_cli_link_opens_the_dashboard(client: Any, db: Database, db_url: str,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import _parser

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CDSBOT_HTTP_PORT", "9123")
    monkeypatch.delenv("CDSBOT_PUBLIC_URL", raising=False)
    monkeypatch.delenv("CDSBOT_HTTP_HOST", raising=False)
    args = _parser().parse_args(["web", "link", "--commune", "xã demo", "--days", "2"])
    assert await args.fn(args) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:9123/dashboard?t=")
    token = parse_qs(urlsplit(url).query)["t"][0]
    cid, expires = read_token(SECRET.encode(), token, datetime.now(UTC)) or (None, None)
    assert cid == await _commune_id(db) and expires is not None
    assert timedelta(days=2) - timedelta(minutes=1) < expires - datetime.now(UTC) <= timedelta(days=2)
    args = _parser().parse_args(["web", "link", "--commune", "Xã Demo", "--json",
                                 "--base-url", "https://cds.example.vn/"])
    assert await args.fn(args) == 0
    assert '"url": "https://cds.example.vn/dashboard?t=' in capsys.readouterr().out
    import asyncio

    from bot.cli import main

    assert await asyncio.to_thread(main, ["web", "link", "--commune", "Xã Không Có"]) == 2
    assert capsys.readouterr().err.strip() == "error: no commune named 'Xã Không Có'"


def test_secret_from_env_or_generated_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/db/cdsbot.db"
    env = {"CDSBOT_WEB_SECRET": " from-env-0123456789 "}
    assert load_secret(url, env, env_file=None) == b"from-env-0123456789"
    with pytest.raises(ConfigError, match="at least 16"):
        load_secret(url, {"CDSBOT_WEB_SECRET": "short"}, env_file=None)
    assert secret_file(url) == tmp_path / "db" / "web-secret"
    assert secret_file("postgresql+asyncpg://u@localhost/cds") == Path("data") / "web-secret"
    first = load_secret(url, {}, env_file=None)
    assert len(first) >= 40 and load_secret(url, {}, env_file=None) == first
    assert stat.S_IMODE(os.stat(secret_file(url)).st_mode) == 0o600
    assert [p.name for p in (tmp_path / "db").iterdir()] == ["web-secret"]  # no temp file left behind
    env_file = tmp_path / ".env"
    env_file.write_text("CDSBOT_WEB_SECRET=from-dotenv-0123456789\n")
    assert load_secret(url, {}, env_file=env_file) == b"from-dotenv-0123456789"


def test_tokens_are_bound_to_commune_and_expiry() -> None:
    key = b"k" * 32
    token = make_token(key, 7, NOW + timedelta(hours=1))
    assert read_token(key, token, NOW) == (7, NOW + timedelta(hours=1))
    assert read_token(key, token, NOW + timedelta(hours=1)) is None
    cid, stamp, mac = token.split(".")
    assert read_token(key, f"8.{stamp}.{mac}", NOW) is None
    assert read_token(key, f"{cid}.{int(stamp) + 3600}.{mac}", NOW) is None
    assert read_token(key, None, NOW) is None and read_token(key, "a.b.c", NOW) is None
