"""The month the commune's lead office reads by default: the one it is compiling (its report to the People's
Committee, due before the 22nd), not the units' next month, which opens on the 20th. /tinhtrang, a question
without a month, /chitieu, /xuat, the dashboard and `cdsbot status` agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.web.dashboard import recent_periods
from storage.calendar.streams import default_streams
from storage.db import Database
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.test_lead_office import LEAD, _people, _submit


def _at(day: str) -> datetime:
    """10:00 in Hanoi on ``day`` (ISO date)."""
    return datetime.fromisoformat(f"{day}T03:00:00").replace(tzinfo=UTC)


@pytest.mark.parametrize(("day", "month"), [
    ("2026-12-19", "2026-12"), ("2026-12-20", "2026-12"), ("2026-12-21", "2026-12"),  # compiling December
    ("2026-12-22", "2027-01"), ("2026-12-31", "2027-01"), ("2027-01-01", "2027-01")])
def test_dashboard_opens_on_the_month_being_compiled(day: str, month: str) -> None:
    from zoneinfo import ZoneInfo

    periods = recent_periods(_at(day), ZoneInfo("Asia/Ho_Chi_Minh"), n=2, configured=default_streams())
    assert [p.key for p in periods][0] == month and periods[0].stream.name == "unit_monthly"


async def test_lead_reads_the_month_it_is_compiling(tg: TelegramHarness, db: Database, db_url: str,
                                                    monkeypatch, capsys) -> None:  # noqa: ANN001
    await _people(db)
    await _submit(tg)  # 10/12: the centre reports December (its one unit report)

    tg.now = _at("2026-12-21")  # the units' December deadline has passed; the lead compiles until the 22nd
    sent = await tg.say(LEAD, "/tinhtrang")
    lines = sent[0].text.splitlines()
    assert lines[0] == "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 20/12/2026):"
    assert lines[1].startswith("Báo cáo của các đơn vị: 1/1 đã báo cáo — 1 đúng hạn, 0 trễ hạn")
    await tg.say(LEAD, "/huy")
    sent = await tg.say(LEAD, "đơn vị nào chưa báo cáo?")
    assert "12/2026" in sent[0].text.splitlines()[0]
    await tg.say(LEAD, "/huy")
    sent = await tg.say(LEAD, "/chitieu")
    assert "tháng 12/2026" in sent[0].text.splitlines()[0] and "70%" in sent[0].text
    sent = await tg.say(LEAD, "/xuat", expect=3)
    assert [s.document_name for s in sent[:2]] == ["bao-cao-cds-2026-12.xlsx", "bao-cao-cds-2026-12.docx"]
    assert sent[2].callback_data == ["leadsent:2026-12"]
    status = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--commune", "Thiện Tân", "--at",
                                  tg.now.isoformat(), "--json"))
    assert {st["name"]: st["period"] for st in status["streams"]} == {
        "unit_monthly": "2026-12", "village_monthly": "2026-12"}
    assert status["streams"][0]["submitted"] == 1

    tg.now = _at("2026-12-22")  # the compiled report's deadline has passed: January, nothing reported yet
    sent = await tg.say(LEAD, "/tinhtrang")
    lines = sent[0].text.splitlines()
    assert lines[0] == "Tình hình báo cáo tháng 1/2027 (đơn vị nộp trước ngày 20/01/2027):"
    assert lines[1].startswith("Báo cáo của các đơn vị: 0/1 đã báo cáo")
    await tg.say(LEAD, "/huy")
    sent = await tg.say(LEAD, "/tinhtrang tháng 12")  # a month typed is still read as typed
    assert sent[0].text.splitlines()[0].startswith("Tình hình báo cáo tháng 12/2026")
