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


VHXH, PKT, CAX, LANG = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã", "Xóm Làng Mới"
ORG_VT = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0916000001,lead
{PKT},office,,Lý Văn Nam,0916000002,officer
{CAX},office,,Triệu Văn Sơn,0916000003,officer
{LANG},village,,Lò Thị Bích,0916000004,member
"""
T_LEAD, T_NAM = 6601, 6602  # Telegram
Z_BICH = "7c1b2c3d4e5f60718401"  # Zalo


async def test_lead_says_this_month_of_the_month_it_compiles(both, db: Database, db_url: str, tmp_path,  # noqa: ANN001
                                                             monkeypatch, capsys) -> None:  # noqa: ANN001
    """The lead office's "tháng này" and "tháng trước", in a question or after a command, count from the month
    it is compiling, as its bare commands open: on 28/12 (its December report is in) "tháng này" is January,
    not the calendar's December; on 21/12 its activity question without a month is December's, as /tinhtrang,
    not the villages' open January. A village member's "tháng này" is still the calendar's."""
    from tests.audit_support import COMMUNE, join_tg, join_zalo, tg_report
    from tests.first_month_support import Tg, at
    from tests.test_group_items import PLAN
    from tests.zalo_harness import texts

    tg = Tg(both)
    (tmp_path / "org.csv").write_text(ORG_VT, encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE)
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "plan.txt"), "--commune", COMMUNE,
              "--year", "2026")
    await cli(monkeypatch, capsys, db_url, "commune", "set-start", "--commune", COMMUNE, "2026-12-01")
    codes = {}
    for unit, role in ((PKT, "officer"), (VHXH, "lead"), (LANG, "member")):
        out = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", unit, "--role", role,
                        "--uses", "2", "--days", "60", "--json")
        codes[unit] = json.loads(out)["code"]
    both.now = at("2026-12-01T09:00+07:00")
    await join_tg(tg, T_NAM, codes[PKT], "Lý Văn Nam")
    await join_tg(tg, T_LEAD, codes[VHXH], "Hoàng Văn Thái")
    await join_zalo(both, Z_BICH, codes[LANG], "Lò Thị Bích")

    both.now = at("2026-12-10T09:00+07:00")  # December's village window (15/11–14/12): 10 VNeID
    await both.say(Z_BICH, "hỗ trợ 10 người kích hoạt VNeID")
    assert "Đã lưu" in texts(await both.say(Z_BICH, "1"))
    both.now = at("2026-12-15T09:00+07:00")  # Phòng Kinh tế reports December; Công an xã never does
    assert "gửi" in await tg_report(tg, T_NAM, ["đang thực hiện", "hoàn thành", "70", "85"], "không", "không")
    both.now = at("2026-12-20T09:00+07:00")  # January's window: 4 VNeID
    await both.say(Z_BICH, "hỗ trợ 4 người kích hoạt VNeID")
    assert "Đã lưu" in texts(await both.say(Z_BICH, "1"))

    both.now = at("2026-12-21T10:00+07:00")  # compiling December; the villages' open month is January
    december = f"Các đơn vị chưa báo cáo tháng 12/2026 (2/3): {CAX}, {VHXH}"
    for asked in ("đơn vị nào chưa báo cáo tháng này?", "đơn vị nào chưa báo cáo?"):
        text = (await tg.say(T_LEAD, asked))[0].text
        assert text.splitlines()[0] == december, (asked, text)
        await tg.say(T_LEAD, "/huy")
    for asked in ("tháng này các thôn kích hoạt VNeID được bao nhiêu?", "các thôn kích hoạt VNeID được bao nhiêu?"):
        lines = (await tg.say(T_LEAD, asked))[0].text.splitlines()  # before: the bare question read January's 4
        assert lines[:2] == [f"Hoạt động của {COMMUNE}, tháng 12/2026:",
                             "• Kích hoạt định danh điện tử (VNeID): 10"], (asked, lines)
        await tg.say(T_LEAD, "/huy")

    both.now = at("2026-12-28T10:00+07:00")  # December's compiled report was due by the 21st: January
    january = f"Các đơn vị chưa báo cáo tháng 1/2027 (3/3): {CAX}, {PKT}, {VHXH}"
    for asked in ("đơn vị nào chưa báo cáo tháng này?", "đơn vị nào chưa báo cáo?"):  # before: December
        text = (await tg.say(T_LEAD, asked))[0].text
        assert text.splitlines()[0] == january, (asked, text)
        await tg.say(T_LEAD, "/huy")
    text = (await tg.say(T_LEAD, "đơn vị nào chưa báo cáo tháng trước?"))[0].text  # before: November
    assert text.splitlines()[0] == december, text
    await tg.say(T_LEAD, "/huy")
    lines = (await tg.say(T_LEAD, "tháng này các thôn kích hoạt VNeID được bao nhiêu?"))[0].text.splitlines()
    assert lines[:2] == [f"Hoạt động của {COMMUNE}, tháng 1/2027:", "• Kích hoạt định danh điện tử (VNeID): 4"], lines
    await tg.say(T_LEAD, "/huy")
    lines = (await tg.say(T_LEAD, "tháng trước các thôn kích hoạt VNeID được bao nhiêu?"))[0].text.splitlines()
    assert lines[:2] == [f"Hoạt động của {COMMUNE}, tháng 12/2026:", "• Kích hoạt định danh điện tử (VNeID): 10"], lines
    await tg.say(T_LEAD, "/huy")
    lines = (await tg.say(T_LEAD, "/tinhtrang tháng này"))[0].text.splitlines()
    assert lines[0] == "Tình hình báo cáo tháng 1/2027 (đơn vị nộp trước ngày 20/01/2027):", lines
    await tg.say(T_LEAD, "/huy")
    lines = (await tg.say(T_LEAD, "/tinhtrang tháng trước"))[0].text.splitlines()
    assert lines[0] == "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 20/12/2026):", lines
    assert lines[1].startswith("Báo cáo của các đơn vị: 1/3 đã báo cáo"), lines
    await tg.say(T_LEAD, "/huy")
    lines = (await tg.say(T_LEAD, "/chitieu tháng trước"))[0].text.splitlines()
    assert lines[0].startswith("Chỉ tiêu tính đến tháng 12/2026: 1 chậm tiến độ"), lines
    sent = await tg.say(T_LEAD, "/xuat tháng trước", expect=3)
    assert [s.document_name for s in sent[:2]] == ["bao-cao-cds-2026-12.xlsx", "bao-cao-cds-2026-12.docx"]
    sent = await tg.say(T_LEAD, "/xuat tháng này", expect=3)
    assert [s.document_name for s in sent[:2]] == ["bao-cao-cds-2027-01.xlsx", "bao-cao-cds-2027-01.docx"]
    # the village member's "tháng này" is the calendar's month, as before: December, 10
    text = texts(await both.say(Z_BICH, "thôn mình tháng này được bao nhiêu?"))
    assert f"Hoạt động của {LANG}, tháng 12/2026:" in text and "VNeID): 10" in text, text
