"""Seed plan 002 (UBND phường Bắc Kạn), a ward: 21 indicators with their unit in a column of their own ("%", "IoT"),
13 tasks due by quarter, the offices' and the tổ dân phố's reports to Phòng Văn hóa - Xã hội, which compiles them for
the Sở Khoa học và Công nghệ and the ward's Party committee; every view gives the hand-computed figures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from reminders.messages import reminder_outgoing, reminders_outgoing
from storage.db import Database
from tests.audit_support import (
    dashboard_summary,
    import_commune,
    join_tg,
    join_zalo,
    owing,
    preview_at,
    report_tg,
    report_zalo,
    zt,
)
from tests.first_month_support import Tg, at, cli, docx_text, sheet, summary_counts
from tests.zalo_harness import ZaloHarness

SEED = Path(__file__).resolve().parent / "data" / "seeds" / "002_2221010604091b69.txt"
COMMUNE = "Phường Bắc Kạn"
VHXH, VP, PKT = "Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND", "Phòng Kinh tế, Hạ tầng và Đô thị"
HCC, TTDV, CAP, TYT = ("Trung tâm Phục vụ hành chính công", "Trung tâm Dịch vụ tổng hợp", "Công an phường",
                       "Trạm Y tế phường")
TDP1, DUCXUAN, NACUOM = "Tổ dân phố 1", "Tổ dân phố Đức Xuân", "Khu phố Nà Cưởm"
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Vũ Văn Hùng,0916000001,lead
{VP} phường,office,,Hà Thị Thu,0916000010,officer
"{PKT}",office,,Nông Văn Quang,0916000011,officer
{HCC},office,,Triệu Thị Mai,0916000012,officer
{TTDV},office,,Lộc Văn Đức,0916000013,officer
{CAP},office,,Hoàng Văn Tiến,0916000014,officer
{TYT} Bắc Kạn,office,,Bế Thị Hằng,0916000015,officer
{TDP1},village,,Ma Văn Long,0916000002,member
{DUCXUAN},village,,Lục Thị Nga,0916000003,member
{NACUOM},village,,Đàm Văn Khoa,0916000004,member
"""
LEAD, MAI, TIEN, NGA = 6601, 6602, 6603, 6604  # Telegram
THU, QUANG, LONG, KHOA = ("7f1b2c3d4e5f60718201", "7f1b2c3d4e5f60718202", "7f1b2c3d4e5f60718203",
                          "7f1b2c3d4e5f60718204")  # Zalo


# The plan (V.9): "Các cơ quan, đơn vị chuyên môn thuộc UBND phường, định kỳ 6 tháng, hằng năm, giữa và cuối nhiệm
# kỳ, báo cáo … về UBND phường (qua Phòng Văn hóa - Xã hội) để tổng hợp, báo cáo Ban Thường vụ Đảng ủy phường và Sở
# Khoa học và Công nghệ"; Phòng VH-XH (V.1) reports "hằng tháng, hằng quý, 06 tháng, cuối năm" to the Sở and "(6
# tháng, cuối năm)" to the Ban Thường vụ. The bot collects unit reports by month only: a half-year unit stream is
# refused (`streams set` cannot change a stream's frequency nor add one it does not collect; a deployment file giving
# unit_monthly another frequency is refused too), so the offices report monthly here. The lead office's streams
# follow the plan: its month to the Sở, its quarter to the Sở, its half-year and year to the Ban Thường vụ.
SO, BTV = "Sở Khoa học và Công nghệ", "Ban Thường vụ Đảng ủy phường"
STREAMS = [{"name": "lead_monthly", "recipient": SO}, {"name": "steering_monthly", "enabled": False},
           {"name": "steering_quarterly", "recipient": SO}, {"name": "steering_half_year", "recipient": BTV},
           {"name": "steering_year", "recipient": BTV}]

# ---- answers, and the figures computed by hand -------------------------------------------------------------------
# The plan numbers its tasks and its indicators from 1 alike: the answers name which ("Nhiệm vụ 1", "Chỉ tiêu 1").
# Every task "đang thực hiện" and every indicator at its target unless below.
NV, CT = "Nhiệm vụ ", "Chỉ tiêu "
HCC_ANSWERS = {NV + "1": "hoàn thành", NV + "4": "hoàn thành", NV + "5": "hoàn thành", CT + "13": "96",
               CT + "16": "88%"}
CAP_ANSWERS = {NV + "1": "hoàn thành", CT + "19": "98", CT + "21": "90"}
VP_ANSWERS = {NV + "1": "hoàn thành", NV + "2": "hoàn thành", NV + "5": "hoàn thành"}
PKT_ANSWERS = {NV + "3": "chậm, vướng mắc", CT + "17": "60"}
LEAD_ANSWERS = {NV + "1": "hoàn thành", NV + "6": "hoàn thành", NV + "8": "hoàn thành", NV + "10": "hoàn thành",
                CT + "1": "96", CT + "4": "65", CT + "5": "1,5"}
# What each office is asked (its own items plus those of "Các cơ quan, đơn vị", the 7 offices): indicators 3, 7, 20,
# 21 and tasks 1, 5 for every office; Phòng VH-XH: indicators 1, 2, 4, 5, 6, 8 and tasks 6, 7, 8, 10, 11, 12, 13 →
# 19; the Centre: indicators 9–16, task 4 → 15; Công an phường: indicator 19, task 9 → 8; Phòng Kinh tế, Hạ tầng và
# Đô thị: indicator 17, tasks 3, 11 → 9; the council office: task 2 → 7.
ASKED = {VHXH: 19, HCC: 15, CAP: 8, PKT: 9, VP: 7}
# December (window 15/11–14/12, due before 20/12): the Centre 16/12, Công an 18/12, Phòng VH-XH 19/12 10:00, the
# council office 19/12 23:59 on time; Phòng Kinh tế 20/12 08:00 late; the service centre and the health station never.
UNITS = {"expected": 7, "submitted": 5, "on_time": 4, "late": 1, "missing": [TTDV, TYT + " Bắc Kạn"]}
VILLAGES = {"expected": 3, "submitted": 2, "on_time": 2, "late": 0, "missing": [NACUOM]}
DEC_TOTAL = {"vneid": 20, "outreach": 150}  # Tổ dân phố 1 10/12, Đức Xuân 14/12 23:59
JAN_TOTAL = {"dvc": 2}  # Nà Cưởm 15/12 00:01
# Indicators judged on 14/12: share of 2026 = 348/365 = 0,9534. "100" (unit "%"): 100 on track, from 95,34 at risk.
# 1 ">95": 96 on track; 4 ">70": 65 < 66,74 off; 5 "02" IoT: 1,5 < 1,91 off; 13: 96 at risk; 16 "≥90": 88 ≥ 85,8 at
# risk; 17: 60 off; 19: 98 at risk; 21 (every office): worst of 100, 100, 100, 90 (Công an), 100 → 90 off; 18 (Trạm
# Y tế, never reported) no data; the other 12 at their target.
VERDICT_COUNTS = {"on_track": 13, "at_risk": 3, "off_track": 4, "no_data": 1}
AT_RISK, OFF_TRACK = {"13", "16", "19"}, {"4", "5", "17", "21"}
# Tasks on 21/12: Quý I (5, 6) due 31/3, Quý II (1) 30/6, Quý III (2, 3, 4, 8, 9, 10) 30/9, Quý IV (7, 11–13) 31/12.
# Done: 2, 4, 6, 8, 10. Task 1 (every office): the Centre, Công an, the council office and Phòng VH-XH done, Phòng
# Kinh tế in progress, 2 never answered → 4/7, overdue; 5: the Centre and the council office done → 2/7, overdue;
# 3 delayed, 9 in progress: overdue.
OVERDUE, DONE = ["1", "3", "5", "9"], ["2", "4", "6", "8", "10"]
TASK_LINE = ("Tổng số 13 nhiệm vụ: 5 hoàn thành, 7 đang thực hiện, 1 chậm, vướng mắc, 0 chưa triển khai, 0 chưa có "
             "báo cáo; 4 nhiệm vụ quá hạn.")


async def _refused(r: dict[str, Any], *args: str) -> str:
    """``cdsbot <args>`` refused: exit 2, its one-line error."""
    r["mp"].setenv("DATABASE_URL", r["db_url"].replace("+aiosqlite", "").replace("+asyncpg", ""))
    r["capsys"].readouterr()
    code = await asyncio.to_thread(main, list(args))
    out = r["capsys"].readouterr()
    assert code == 2 and out.err.count("\n") == 1, (args, out.out, out.err)
    return out.err


async def _setup(r: dict[str, Any], tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    mp, capsys, db_url = r["mp"], r["capsys"], r["db_url"]
    f = tmp_path / "streams.json"

    async def streams() -> None:
        f.write_text(json.dumps([{"name": "unit_monthly", "frequency": "half_year"}]), encoding="utf-8")
        err = await _refused(r, "streams", "set", "--commune", COMMUNE, str(f))
        assert "field 'frequency' of the shipped stream 'unit_monthly' cannot be changed" in err, err
        f.write_text(json.dumps([{"name": "unit_half_year", "kind": "unit_report", "reporter_roles": ["officer"],
                                  "recipient": VHXH, "frequency": "half_year", "due_day": 20}]), encoding="utf-8")
        err = await _refused(r, "streams", "set", "--commune", COMMUNE, str(f))
        assert "'unit_half_year': the bot does not collect such a report" in err, err
        f.write_text(json.dumps(STREAMS), encoding="utf-8")
        await cli(mp, capsys, db_url, "streams", "set", "--commune", COMMUNE, str(f))

    done = await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, SEED, (
        (VHXH, "lead"), (VP, "officer"), (PKT, "officer"), (HCC, "officer"), (CAP, "officer"), (TDP1, "member"),
        (DUCXUAN, "member"), (NACUOM, "member")), before_invites=streams)
    assert "10 new units, 10 new people" in done.org_out, done.org_out
    assert "13 tasks, 21 indicators in 4 sections" in done.plan_out, done.plan_out
    inds = {i["code"]: i for i in done.plan["indicators"]}
    assert {c: (i["unit"], i["target"]["op"], i["target"]["value"]) for c, i in inds.items()
            if c in ("1", "4", "5", "15", "16", "19")} == {
        "1": ("%", ">", 95), "4": ("%", ">", 70), "5": ("IoT", "=", 2), "15": ("%", ">=", 80),
        "16": ("%", ">=", 90), "19": ("%", "=", 100)}
    # chairs as the plan names them: "Trạm Y tế phường" is the org list's "Trạm Y tế phường Bắc Kạn"
    assert (inds["18"]["owner_units"], inds["21"]["owner_units"], inds["17"]["owner_units"]) == (
        [TYT + " Bắc Kạn"], ["Các cơ quan, đơn vị"], [PKT])
    tasks = {t["code"]: t for t in done.plan["tasks"]}
    assert {c: (t["due"]["text"], t["due"]["date"]) for c, t in tasks.items() if c in ("1", "2", "5", "7")} == {
        "1": ("Quý II", "2026-06-30"), "2": ("Quý III", "2026-09-30"), "5": ("Quý I", "2026-03-31"),
        "7": ("Quý IV", "2026-12-31")}
    assert (tasks["2"]["lead_units"], tasks["11"]["lead_units"], tasks["7"]["partner_units"]) == (
        [VP + " phường"], [VHXH, PKT], ["Các doanh nghiệp viễn thông"])
    return done.codes, done.targets


async def _logs_and_reports(both: ZaloHarness, tg: Tg, targets: dict[str, Any]) -> None:
    both.now = at("2026-12-10T09:00+07:00")
    assert "Nhật ký của Tổ dân phố 1, ngày 10/12/2026" in zt(await both.say(LONG, "hôm nay hướng dẫn 20 người cài VNeID"))
    await both.say(LONG, "1")
    both.now = at("2026-12-14T23:59+07:00")
    text = (await tg.say(NGA, "tuyên truyền chuyển đổi số cho 150 người"))[0].text
    assert text.startswith(f"Nhật ký của {DUCXUAN}, ngày 14/12/2026:\n• Tuyên truyền: 150"), text
    await tg.tap(NGA, "ok")
    both.now = at("2026-12-15T00:01+07:00")  # January's
    assert f"Nhật ký của {NACUOM}, ngày 15/12/2026" in zt(await both.say(KHOA, "hỗ trợ 2 hồ sơ dịch vụ công"))
    await both.say(KHOA, "1")
    both.now = at("2026-12-16T09:00+07:00")
    text = (await tg.say(MAI, "/hanbaocao"))[0].text
    assert text == ("⏳ Báo cáo của đơn vị (/baocao) tháng 12/2026: hạn nộp trước ngày 20/12/2026 (hạn chót 23:59 "
                    "19/12/2026)"), text
    out = await report_tg(tg, MAI, HCC_ANSWERS, targets, ASKED[HCC])
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-12-18T09:00+07:00")
    assert "gửi đúng hạn" in await report_tg(tg, TIEN, CAP_ANSWERS, targets, ASKED[CAP])
    eve = await preview_at(both, "2026-12-18T08:00+07:00")  # Friday: the officers' last working day
    assert owing(eve) == {("unit_monthly", u, p) for u, p in ((VHXH, "Vũ Văn Hùng"), (VP + " phường", "Hà Thị Thu"),
                                                              (PKT, "Nông Văn Quang"), (TTDV, "Lộc Văn Đức"),
                                                              (TYT + " Bắc Kạn", "Bế Thị Hằng"))} | {
        ("village_monthly", NACUOM, "Đàm Văn Khoa")}  # its log of 15/12 is January's
    both.now = at("2026-12-19T10:00+07:00")
    assert "gửi đúng hạn" in await report_tg(tg, LEAD, LEAD_ANSWERS, targets, ASKED[VHXH])
    both.now = at("2026-12-19T23:59+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, THU, VP_ANSWERS, targets, ASKED[VP])
    both.now = at("2026-12-20T08:00+07:00")
    out = await report_zalo(both, QUANG, PKT_ANSWERS, targets, ASKED[PKT], pick="1")
    assert "sau hạn" in out and "nộp muộn" in out, out
    digest = await preview_at(both, "2026-12-21T08:00+07:00")
    lead = {p.stream: (p.person, p.missing, p.late) for p in digest if p.stage == "digest"}
    assert lead["unit_monthly"] == ("Vũ Văn Hùng", (TTDV, TYT + " Bắc Kạn"), (PKT,))
    assert lead["village_monthly"] == ("Vũ Văn Hùng", (NACUOM,), ())
    (last,) = [p for p in digest if p.stream == "lead_monthly"]  # its own report, to the Sở, before the 22nd
    assert (last.stage, last.period) == ("last_day", "2026-12")
    both.now = at("2026-12-21T08:00+07:00")
    assert both.bot is not None
    text = reminder_outgoing(last, both.bot.services, both.now).text
    # the quarter's report to the Sở and the year's to the Party committee, due before the 6th: one message that
    # names both recipients (before: "Nhắc việc: các báo cáo gửi Ban Chỉ đạo")
    steering = [p for p in await preview_at(both, "2026-12-04T08:00+07:00") if p.stream.startswith("steering_")]
    assert sorted((p.stream, p.period, p.stage) for p in steering) == [
        ("steering_quarterly", "2026-Q4", "last_day"), ("steering_year", "2026", "last_day")], steering
    grouped = reminders_outgoing(sorted(steering, key=lambda p: p.stream), both.bot.services,
                                 at("2026-12-04T08:00+07:00")).text.splitlines()
    assert grouped[:3] == [f"Nhắc việc: các báo cáo gửi Sở Khoa học và Công nghệ, {BTV}",
                           "• báo cáo quý gửi Sở Khoa học và Công nghệ — quý IV/2026: hạn trước ngày 06/12/2026 — "
                           "hôm nay là ngày làm việc cuối cùng trước hạn",  # Saturday the 5th is the last day
                           f"• báo cáo năm gửi {BTV} — năm 2026: hạn trước ngày 06/12/2026 — hôm nay là ngày làm "
                           "việc cuối cùng trước hạn"], grouped
    assert text.startswith("Hôm nay là ngày cuối cùng để nộp báo cáo tổng hợp gửi Sở Khoa học và Công nghệ (/xuat) "
                           "tháng 12/2026 (trước ngày 22/12/2026)"), text


async def _chat(tg: Tg) -> None:
    text = (await tg.say(LEAD, "/tinhtrang"))[0].text  # on the 21st: December, the month it compiles
    assert text.splitlines()[:3] == [
        "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 20/12/2026):",
        "Báo cáo của các đơn vị: 5/7 đã báo cáo — 4 đúng hạn, 1 trễ hạn, 0 bị trả lại, 2 chưa báo cáo",
        "Các Tổ công nghệ số cộng đồng: 2/3 đã báo cáo — 2 đúng hạn, 0 trễ hạn, 0 bị trả lại, 1 chưa báo cáo"], text
    assert "  • Tuyên truyền: 150 (0)" in text and "  • Kích hoạt định danh điện tử (VNeID): 20 (0)" in text
    lines = (await tg.say(LEAD, "/chitieu"))[0].text.splitlines()
    assert lines[0] == ("Chỉ tiêu tính đến tháng 12/2026: 4 chậm tiến độ; 3 có nguy cơ chậm; 1 chưa có số liệu; 13 "
                        "đạt, đúng tiến độ."), lines
    # the target with the unit of the plan's "Đơn vị tính" column, as the value and the Word report show it (before:
    # "65% / >70", "1,5 IoT / 02")
    for line in ("🔴 17. Doanh nghiệp vừa và nhỏ địa phương ứng dụng công nghệ số: 60% / 100% (chậm tiến độ)",
                 "🔴 4. Tỷ lệ dân số trưởng thành có chữ ký số hoặc chữ ký điện tử: 65% / >70% (chậm tiến độ)",
                 "🔴 5. Mỗi người dân sử dụng kết nối IoT.: 1,5 IoT / 02 IoT (chậm tiến độ)",
                 "🟠 16. Tỷ lệ thanh toán trực tuyến trong giải quyết thủ tục hành chính, dịch…: 88% / ≥90% (có nguy "
                 "cơ chậm)", "⚪ 18. Tỷ lệ người dân có hồ sơ sức khỏe điện tử: — / 100% (chưa có số liệu)"):
        assert line in lines, (line, lines)
    text = (await tg.say(LEAD, "chỉ tiêu 21"))[0].text
    assert text.splitlines() == ["🔴 21. Hệ thống thông tin được triển khai giám sát an toàn, an…: 90% "
                                 f"(thấp nhất: {CAP}; 5/7 đơn vị) / 100% (chậm tiến độ)",
                                 "Đơn vị báo cáo: Các cơ quan, đơn vị", f"Chưa báo cáo: {TTDV}, {TYT} Bắc Kạn"], text
    for ask in ("/quahan", "nhiệm vụ nào quá hạn"):
        lines = (await tg.say(LEAD, ask))[0].text.splitlines()
        assert lines[0] == "🔴 4 nhiệm vụ đã quá hạn mà chưa hoàn thành:", lines
        assert [line.split(".")[0] for line in lines[1:]] == ["• " + c for c in OVERDUE], lines
        assert lines[1].endswith(" — Quý II — Các cơ quan, đơn vị — 4/7 đơn vị hoàn thành"), lines
        assert lines[3].endswith(" — Quý I — Các cơ quan, đơn vị — 2/7 đơn vị hoàn thành"), lines
        assert lines[4].endswith(f" — Quý III — {CAP}"), lines
    # the ward's words: its village teams are its tổ dân phố and khu phố (before: "tổ dân phố nào…" was read as a
    # question about "Tổ dân phố 1")
    for ask in ("tổ dân phố nào chưa báo cáo", "khu phố nào chưa báo cáo", "thôn nào chưa báo cáo"):
        text = (await tg.say(LEAD, ask))[0].text
        assert text == f"Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 12/2026 (1/3): {NACUOM}", (ask, text)
    text = (await tg.say(LEAD, "đơn vị nào chưa báo cáo"))[0].text
    assert text == f"Các đơn vị chưa báo cáo tháng 12/2026 (2/7): {TTDV}, {TYT} Bắc Kạn"
    text = (await tg.say(LEAD, "tổ dân phố 1 báo cáo thế nào"))[0].text
    assert text.splitlines() == [f"Hoạt động của {TDP1}, tháng 12/2026:", "• Kích hoạt định danh điện tử (VNeID): 20"]
    text = (await tg.say(LEAD, "hoạt động theo tổ dân phố"))[0].text
    assert text.splitlines() == ["Hoạt động theo tổ dân phố, tháng 12/2026:",
                                 f"• {TDP1}: Kích hoạt định danh điện tử (VNeID) 20", f"• {DUCXUAN}: Tuyên truyền 150"]
    text = (await tg.say(LEAD, "đơn vị nào nộp muộn"))[0].text
    assert text == f"Các đơn vị báo cáo trễ hạn tháng 12/2026: {PKT}", text
    # Công an phường's tasks: 9 by name and 1, 5 of "Các cơ quan, đơn vị"
    lines = (await tg.say(LEAD, "công an phường có những nhiệm vụ nào"))[0].text.splitlines()
    assert lines[0] == f"Nhiệm vụ do {CAP} chủ trì (3):", lines
    assert lines[1].startswith("• 1. ") and lines[1].endswith(" — Hoàn thành — 4/7 đơn vị hoàn thành"), lines
    text = (await tg.say(LEAD, "trạm y tế phường báo cáo thế nào"))[0].text
    assert text.startswith(f"{TYT} Bắc Kạn chưa báo cáo tháng 12/2026"), text
    text = (await tg.say(LEAD, "/hanbaocao"))[0].text  # the compiled report to the Sở, as the ward set it
    assert ("⏳ Báo cáo tổng hợp gửi Sở Khoa học và Công nghệ tháng 12/2026: hạn nộp trước ngày 22/12/2026 (hạn chót "
            "23:59 21/12/2026)") in text.splitlines(), text
    # the ward's own periodic reports, each named with the recipient the ward set (before: "Ban Chỉ đạo" for all)
    for line in ("⚠️ Báo cáo quý gửi Sở Khoa học và Công nghệ quý IV/2026: đã quá hạn từ 23:59 5/12/2026; bạn vui "
                 "lòng gửi sớm nhất có thể",
                 f"⏳ Báo cáo 6 tháng gửi {BTV} 6 tháng đầu năm 2027: hạn nộp trước ngày 06/06/2027 (hạn chót "
                 "23:59 5/6/2027)",
                 f"⚠️ Báo cáo năm gửi {BTV} năm 2026: đã quá hạn từ 23:59 5/12/2026; bạn vui lòng gửi sớm nhất có thể"):
        assert line in text.splitlines(), (line, text)
    assert "Ban Chỉ đạo" not in text, text


async def _exports(tg: Tg, r: dict[str, Any], both: ZaloHarness, aiohttp_client: Any, tmp_path: Path) -> None:
    xlsx, docx, mark = await tg.say(LEAD, "/xuat", expect=3)  # on the 21st: December, for the Sở
    assert xlsx.document_name == "bao-cao-cds-2026-12.xlsx" and mark.callback_data == ["leadsent:2026-12"]
    # to whom the ward sends it (before: "UBND xã" whatever the commune had set)
    assert mark.text == ("Khi báo cáo đã ký được gửi Sở Khoa học và Công nghệ, bạn bấm nút dưới đây để bot thôi "
                         "nhắc."), mark.text
    wb = xlsx.document_bytes
    out = tmp_path / "export.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--at", both.now.isoformat(),
              "--format", "xlsx", "--out", str(out))
    for name in ("Tổng hợp", "Báo cáo đơn vị", "Nhiệm vụ", "Chỉ tiêu", "Hoạt động thôn", "Chưa báo cáo"):
        assert sheet(out.read_bytes(), name) == sheet(wb, name), name
    summary = {row[0]: row[1] for row in sheet(wb, "Tổng hợp", 1) if row[0]}
    assert (summary["Mã kỳ"], summary["Hạn gửi báo cáo"]) == ("2026-12", "trước ngày 20/12/2026")
    counts = summary_counts(wb)  # the ward's village teams are its tổ dân phố's
    for label, want in (("Báo cáo của các cơ quan, đơn vị", UNITS),
                        ("Số liệu hoạt động của Tổ công nghệ số cộng đồng các tổ dân phố", VILLAGES)):
        row = counts[label]
        assert [row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo")] == [
            want["expected"], want["submitted"], want["on_time"], want["late"], len(want["missing"])]
    assert [summary[k] for k in ("Tổng số nhiệm vụ", "Nhiệm vụ đã hoàn thành", "Nhiệm vụ quá hạn", "Tổng số chỉ tiêu",
                                 "Chỉ tiêu: đạt, đúng tiến độ", "Chỉ tiêu: có nguy cơ chậm", "Chỉ tiêu: chậm tiến độ",
                                 "Chỉ tiêu: chưa có số liệu")] == [13, 5, 4, 21, 13, 3, 4, 1]
    tasks = {row[1]: row for row in sheet(wb, "Nhiệm vụ")}
    assert [c for c, row in tasks.items() if row[8] == "Có"] == OVERDUE  # in plan order
    assert [c for c, row in tasks.items() if row[6] == "Hoàn thành"] == DONE
    assert (tasks["1"][11], tasks["5"][11], tasks["3"][6]) == ("4/7 đơn vị hoàn thành", "2/7 đơn vị hoàn thành",
                                                               "Chậm, vướng mắc")
    indicators = {row[1]: row for row in sheet(wb, "Chỉ tiêu")}
    assert {c for c, row in indicators.items() if row[9] == "Có nguy cơ chậm"} == AT_RISK
    assert {c for c, row in indicators.items() if row[9] == "Chậm tiến độ"} == OFF_TRACK
    assert {c: indicators[c][6] for c in ("1", "4", "5", "21")} == {"1": 96.0, "4": 65.0, "5": 1.5, "21": 90.0}
    assert {(row[0], row[2]): row[3] for row in sheet(wb, "Hoạt động thôn")} == {
        (TDP1, "vneid"): 20, (DUCXUAN, "outreach"): 150}
    assert {row[1] for row in sheet(wb, "Chưa báo cáo")} == {TTDV, TYT + " Bắc Kạn", NACUOM}
    lines = docx_text(docx.document_bytes).splitlines()
    for line in (f"- Báo cáo của các cơ quan, đơn vị: 5/7 đơn vị đã gửi (4 đúng hạn, 1 trễ hạn); chưa báo cáo: {TTDV}, "
                 f"{TYT} Bắc Kạn.",
                 "- Số liệu hoạt động của Tổ công nghệ số cộng đồng các tổ dân phố: 2/3 tổ dân phố đã cập nhật (2 đúng "
                 f"hạn, 0 trễ hạn); chưa báo cáo: {NACUOM}.",
                 TASK_LINE, "Tổng số 21 chỉ tiêu: 13 đạt, đúng tiến độ; 3 có nguy cơ chậm; 4 chậm tiến độ; 1 chưa có số "
                 "liệu.", "+ Chỉ tiêu 5. Mỗi người dân sử dụng kết nối IoT: 1,5 IoT (chỉ tiêu: 02 IoT); chậm tiến độ.",
                 "ỦY BAN NHÂN DÂN", "PHƯỜNG BẮC KẠN", "Bắc Kạn, ngày 21 tháng 12 năm 2026",
                 # the ward's own bodies (before: "Đảng ủy xã", "UBND xã")
                 "- Thường trực Đảng ủy phường;", "- Chủ tịch, các Phó Chủ tịch UBND phường;"):
        assert line in lines, line
    assert any(line.startswith("3. Đôn đốc các cơ quan, đơn vị, tổ dân phố báo cáo đầy đủ") for line in lines)
    dash = await dashboard_summary(both, aiohttp_client, None, COMMUNE)
    assert dash["period"]["key"] == "2026-12" and dash["indicators"]["counts"] == VERDICT_COUNTS
    streams = {s["name"]: s for s in dash["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: streams[name][k] for k in want} == want, name
    assert (dash["tasks"]["total"], dash["tasks"]["done"], dash["tasks"]["overdue"]) == (13, 5, 4)
    assert {t["code"]: t["units"] for t in dash["overdue_tasks"] if t["units"]} == {
        "1": {"owed": 7, "done": 4}, "5": {"owed": 7, "done": 2}}
    assert {a["code"]: a["count"] for a in dash["activities"]["total"] if a["count"]} == DEC_TOTAL
    out = await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--at", both.now.isoformat())
    assert out.splitlines() == [
        f"unit_monthly 2026-12: 5/7 reported (4 on time, 1 late); missing: {TTDV}, {TYT} Bắc Kạn",
        f"village_monthly 2026-12: 2/3 reported (2 on time, 0 late); missing: {NACUOM}",
        "activities: outreach=150, vneid=20"], out
    jan = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period",
                               "2027-01", "--at", both.now.isoformat(), "--json"))
    assert jan["activities"]["total"] == JAN_TOTAL
    await tg.tap(LEAD, "leadsent:2026-12")
    assert not [p for p in await preview_at(both, "2026-12-21T16:00+07:00") if p.stream == "lead_monthly"]


async def _half_year_deployment(r: dict[str, Any], tmp_path: Path) -> None:
    """The plan's half-year unit report as the deployment's units' stream (CDSBOT_STREAMS_FILE): refused with one
    line (before: loaded, then every `cdsbot status|export`, /tinhtrang and /xuat failed on "'2026-H2' is not a
    monthly period key")."""
    shown = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "streams", "show", "--commune", COMMUNE, "--json"))
    streams = [{k: v for k, v in x.items() if k != "enabled"} | (
        {"frequency": "half_year"} if x["name"] == "unit_monthly" else {}) for x in shown]
    (tmp_path / "deploy.json").write_text(json.dumps(streams), encoding="utf-8")
    r["mp"].setenv("CDSBOT_STREAMS_FILE", str(tmp_path / "deploy.json"))
    err = await _refused(r, "status", "--commune", COMMUNE, "--period", "2026-12")
    assert "'unit_monthly': the bot collects it by month only, not half_year" in err, err


async def test_audit_plan_002(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any, aiohttp_client: Any) -> None:
    """Seed 002 through December 2026 on fake Telegram and Zalo for a ward ("Phường Bắc Kạn", tổ dân phố and a khu
    phố): the streams the plan states as far as the bot collects them, targets with their units, group-chaired tasks
    due by quarter; the lead office's answers, exports, dashboard, CLI and reminders agree with the hand figures."""
    tg = Tg(both)
    r = {"mp": monkeypatch, "capsys": capsys, "db_url": db_url}
    codes, targets = await _setup(r, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    await join_tg(tg, LEAD, codes[VHXH], "Vu Van Hung")
    await join_tg(tg, MAI, codes[HCC], "Triệu Thị Mai")
    await join_tg(tg, TIEN, codes[CAP], "hoang van tien")
    await join_tg(tg, NGA, codes[DUCXUAN], "Lục Thị Nga")
    await join_zalo(both, THU, codes[VP], "Ha Thi Thu")
    await join_zalo(both, QUANG, codes[PKT], "Nông Văn Quang")
    await join_zalo(both, LONG, codes[TDP1], "ma van long")
    await join_zalo(both, KHOA, codes[NACUOM], "Đàm Văn Khoa")
    text = (await tg.say(LEAD, "/lich"))[0].text  # the streams as the ward set them, in the ward's words (before:
    assert text.startswith("Lịch báo cáo của phường:\n"), text  # "của xã", "Tổ công nghệ số cộng đồng các thôn")
    for line in (f"   Tổ công nghệ số cộng đồng các tổ dân phố → {VHXH}: nhật ký hoạt động, trước ngày 20 hằng tháng.",
                 f"   Cơ quan đầu mối → {SO}: báo cáo tổng hợp, trước ngày 22 hằng tháng.",
                 f"   Các phòng, ban, đơn vị → {VHXH}: báo cáo kết quả thực hiện kế hoạch, trước ngày 20 hằng tháng."):
        assert line in text.splitlines(), (line, text)
    assert f"Cơ quan đầu mối → {BTV}: báo cáo định kỳ, trước ngày 06 tháng 6 và tháng 12." in text, text
    await tg.tap(LEAD, "close")
    await _logs_and_reports(both, tg, targets)
    both.now = at("2026-12-21T10:00+07:00")
    await _chat(tg)
    await _exports(tg, r, both, aiohttp_client, tmp_path)
    await _half_year_deployment(r, tmp_path)
