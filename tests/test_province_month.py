"""The month the province view opens on (issue #19): the month still being collected, by the units (before the
20th, as a commune's own /tinhtrang) or by the province from its communes (their compiled reports, before the
province's day, the 25th by default). Through the fake Telegram server on both sides of the 20th, of the 25th
and of the month's end: the province office's /tinhtrang, its questions and /xuat read the same month, on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage.calendar.streams import default_streams
from storage.db import Database
from storage.province_stream import province_month
from tests.harness import TelegramHarness
from tests.province_ask_support import ask, join_on_telegram
from tests.test_province import PROV, A, B, D, _join_and_report, world  # noqa: F401  (world: the fixture)


def _at(day: str) -> datetime:
    """10:00 in Hanoi on ``day`` (ISO date)."""
    return datetime.fromisoformat(f"{day}T03:00:00").replace(tzinfo=UTC)


@pytest.mark.parametrize(("day", "due_day", "month"), [
    ("2026-12-19", None, "2026-12"),  # the units' last day
    ("2026-12-20", None, "2026-12"),  # the units' month has turned; the compiled reports are still coming
    ("2026-12-24", None, "2026-12"),  # the province's last day (before the 25th)
    ("2026-12-25", None, "2027-01"),
    ("2026-12-31", None, "2027-01"),  # the month's end
    ("2027-01-01", None, "2027-01"),
    ("2026-12-05", 2, "2026-12"),  # a province due day before the units': the units' month holds
    ("2026-12-30", 31, "2026-12"),  # before the 31st: the 30th is the last day
    ("2026-12-31", 31, "2027-01"),
    ("2027-02-27", 31, "2027-02"),  # in February "before the 31st" is before the 28th
    ("2027-02-28", 31, "2027-03"),
])
def test_the_province_month(day: str, due_day: int | None, month: str) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    streams = {s.name: s for s in default_streams()}
    up, vp = province_month(due_day, streams["unit_monthly"], streams["village_monthly"], _at(day), tz)
    assert (up.key, vp.key, up.stream.name, vp.stream.name) == (month, month, "unit_monthly", "village_monthly")


def _ranked(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln[:2] in ("1.", "2.", "3.")]


async def test_province_office_reads_the_month_being_collected(tg: TelegramHarness, db_url: str, world: dict,  # noqa: F811
                                                               monkeypatch, capsys) -> None:  # noqa: ANN001
    await _join_and_report(tg, db_url, monkeypatch, capsys)  # 10/12: A reports December, its village 12 VNeID

    tg.now = _at("2026-12-19")  # the units' last day: December
    sent = await ask(tg, PROV, "/tinhtrang")
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 12/2026")
    assert _ranked(sent[0].text) == [
        f"1. 🔴 Đỏ {B}: đơn vị 0/1, tổ công nghệ số 0/1, nhiệm vụ quá hạn 1",
        f"2. 🟡 Vàng {D}: đơn vị 0/0, tổ công nghệ số 0/1, nhiệm vụ quá hạn 0",
        f"3. 🟢 Xanh {A}: đơn vị 1/1, tổ công nghệ số 1/1, nhiệm vụ quá hạn 0"]

    tg.now = _at("2026-12-22")  # after the 20th: still December (the compiled reports are due before the 25th)
    sent = await tg.say(PROV, "/tinhtrang")
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 12/2026")
    assert _ranked(sent[0].text) == [  # D's reports are now missing after the deadline: red
        f"1. 🔴 Đỏ {B}: đơn vị 0/1, tổ công nghệ số 0/1, nhiệm vụ quá hạn 1",
        f"2. 🔴 Đỏ {D}: đơn vị 0/0, tổ công nghệ số 0/1, nhiệm vụ quá hạn 0",
        f"3. 🟢 Xanh {A}: đơn vị 1/1, tổ công nghệ số 1/1, nhiệm vụ quá hạn 0"]
    assert "  • Kích hoạt định danh điện tử (VNeID): 12 (0)" in sent[0].text.splitlines()
    sent = await ask(tg, PROV, "3")  # the drill-down: commune A's own /tinhtrang of the same month
    assert sent[0].text.splitlines()[:3] == [f"Xã {A}", "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày "
                                             "20/12/2026):", "Báo cáo của các đơn vị: 1/1 đã báo cáo — 1 đúng hạn, 0 trễ hạn, 0 bị trả lại, 0 chưa báo cáo"]
    sent = await ask(tg, PROV, "xã nào chưa báo cáo?")
    assert sent[0].text.splitlines()[:3] == [
        "Các xã chưa báo cáo đủ tháng 12/2026 (2/3):",
        f"• {B}: đơn vị 0/1, tổ công nghệ số 0/1", f"• {D}: đơn vị 0/0, tổ công nghệ số 0/1"]
    sent = await ask(tg, PROV, "xã nào chưa báo cáo tháng này?")  # "this month": the province view's month
    assert sent[0].text.startswith("Các xã chưa báo cáo đủ tháng 12/2026 (2/3):")
    sent = await ask(tg, PROV, "tổng số kích hoạt VNeID của tỉnh tháng này")
    assert sent[0].text.splitlines()[:2] == [
        "Hoạt động của các Tổ công nghệ số cộng đồng, Tây Ninh, tháng 12/2026 (trong ngoặc là số liệu tháng 11/2026):",
        "• Kích hoạt định danh điện tử (VNeID): 12 (0)"]
    sent = await ask(tg, PROV, "/tinhtrang tháng trước")  # and "last month" the one before it
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 11/2026")
    sent = await tg.say(PROV, "/xuat", expect=2)
    assert [s.document_name for s in sent] == ["bao-cao-nq57-tinh-2026-12.xlsx", "bao-cao-nq57-tinh-2026-12.docx"]

    tg.now = _at("2026-12-25")  # the province's deadline has passed: January, nothing reported yet
    sent = await ask(tg, PROV, "/tinhtrang")
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 1/2027")
    assert _ranked(sent[0].text) == [
        f"1. 🔴 Đỏ {B}: đơn vị 0/1, tổ công nghệ số 0/1, nhiệm vụ quá hạn 1",
        f"2. 🟡 Vàng {D}: đơn vị 0/0, tổ công nghệ số 0/1, nhiệm vụ quá hạn 0",
        f"3. 🟡 Vàng {A}: đơn vị 0/1, tổ công nghệ số 0/1, nhiệm vụ quá hạn 0"]
    sent = await ask(tg, PROV, "/tinhtrang tháng 12")  # the month just closed, asked for by name
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 12/2026") and f"🟢 Xanh {A}" in sent[0].text

    for day in ("2026-12-31", "2027-01-01"):  # over the month's end: January throughout
        tg.now = _at(day)
        sent = await ask(tg, PROV, "xã nào chưa báo cáo?")
        assert sent[0].text.startswith("Các xã chưa báo cáo đủ tháng 1/2027 (3/3):"), day


async def test_tinhtrang_reads_the_communes_once(tg: TelegramHarness, db_url: str, world: dict,  # noqa: F811
                                                 monkeypatch, capsys) -> None:  # noqa: ANN001
    """The province's communes are read once per /tinhtrang (asked as a command or in words), and a tapped
    commune is checked by its own row, not by reading the list again."""
    await join_on_telegram(tg, db_url, monkeypatch, capsys, PROV)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(" ".join(statement.split()))

    def province_list() -> int:  # statements reading the province's communes (storage.province.province_communes)
        return sum(bool(re.search(r"FROM commune WHERE commune\.province_id = ", s)) for s in seen)

    assert tg.bot is not None
    bot_db = tg.bot.dispatcher.services.db  # the bot's own engines (the hot one too)
    engines = list({id(e): e for e in (bot_db.engine.sync_engine, bot_db.hot_engine.sync_engine)}.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        sent = await tg.say(PROV, "/tinhtrang")
        assert len(_ranked(sent[0].text)) == 3 and province_list() == 1
        seen.clear()
        sent = await tg.tap(PROV, f"commune:{world['A']['commune']}")
        assert sent[0].text.startswith(f"Xã {A}") and province_list() == 0
        await tg.say(PROV, "/huy")
        seen.clear()
        sent = await tg.say(PROV, "tình hình các xã tháng này")
        assert len(_ranked(sent[0].text)) == 3 and province_list() == 1
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def test_the_province_page_ends_on_the_same_month(tg: TelegramHarness, db: Database, db_url: str,
                                                        world: dict, monkeypatch, capsys) -> None:  # noqa: ANN001,F811
    """The dashboard's province page (its grid's newest month and its ranking) reads the month the chat does."""
    from bot.web.province_page import province_overview
    from handlers.services import Services
    from storage.models import Province

    await _join_and_report(tg, db_url, monkeypatch, capsys)
    assert tg.bot is not None
    services = Services(db=db, tz=tg.bot.dispatcher.services.tz, clock=lambda: tg.now)
    for day, months in (("2026-12-22", ["2026-10", "2026-11", "2026-12"]),
                        ("2026-12-25", ["2026-11", "2026-12", "2027-01"])):
        tg.now = _at(day)
        async with db.session() as s:
            province = (await s.exec(select(Province).where(Province.name == "Tây Ninh"))).one()
            page = await province_overview(s, services, province, 3, tg.now)
        assert [m["key"] for m in page["months"]] == months, day
        sent = await ask(tg, PROV, "/tinhtrang")
        assert [r["commune"] for r in page["ranking"]] == [ln.split(": ")[0].split(" ", 3)[-1]
                                                          for ln in _ranked(sent[0].text)], day
        assert [r["colour"] for r in page["ranking"]] == [
            {"🔴": "red", "🟡": "yellow", "🟢": "green"}[ln.split(" ")[1]] for ln in _ranked(sent[0].text)], day
