"""Seed plan 003 (UBND xã Tân Thanh): an appendix of 17 tasks in 3 pillars (Chính quyền số, Kinh tế số, Xã hội
số) with "Chi tiết", "Sản phẩm/Kết quả đầu ra" and "Theo dõi" columns, chaired by offices, groups ("Toàn thể
CBCC xã", "Các trường học trên địa bàn", "Tổ CDS cộng đồng") and a person ("Công chức phụ trách chuyển đổi
số"); the first month, April 2026, through fake Telegram and Zalo; every view gives the hand-computed figures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from storage.db import Database
from tests.audit_support import (
    answer_item,
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

SEED = Path(__file__).resolve().parent / "data" / "seeds" / "003_98836acbe613e27d.txt"
COMMUNE = "Tân Thanh"
# the offices section IV of the plan names ("Tổ chức thực hiện"), as the commune writes them on its org list
VHXH, VP, PKT = "Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND xã", "Phòng Kinh tế"
HCC, DVC, CAX, TYT = "Trung tâm Phục vụ Hành chính công", "Trung tâm Dịch vụ công", "Công an xã", "Trạm Y tế xã"
TH, THCS = "Trường Tiểu học Tân Thanh", "Trường THCS Hợp Hòa"
DTN, HPN = "Đoàn Thanh niên xã", "Hội Liên hiệp Phụ nữ xã"  # the plan: "Đoàn Thanh niên xã", "Hội LHPN xã"
CAUTRAM, KHUONPHAY, HOPTHANH, TANTHUONG = "Thôn Cầu Trâm", "Thôn Khuôn Phầy", "Thôn Hợp Thành", "Thôn Tân Thượng"
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Thị Thoan,0916000001,lead
{VP},office,,Nguyễn Văn Định,0916000010,officer
{PKT},office,,Lý Thị Hằng,0916000011,officer
{HCC},office,,Đinh Văn Thắng,0916000012,officer
{DVC},office,,Ma Thị Huế,0916000013,officer
{CAX},office,,Triệu Văn Long,0916000014,officer
{TYT},office,,Hà Thị Mai,0916000015,officer
{TH},office,,Lưu Văn Bình,0916000016,officer
{THCS},office,,Phạm Thị Nga,0916000017,officer
{DTN},office,,Âu Văn Tú,0916000018,officer
{HPN},office,,Bàn Thị Dung,0916000019,officer
{CAUTRAM},village,,Nông Văn Tài,0916000002,member
{CAUTRAM},village,,Lộc Thị Hương,0916000003,member
{KHUONPHAY},village,,Hoàng Văn Chiến,0916000004,member
{HOPTHANH},village,,Trần Thị Lan,0916000005,member
{TANTHUONG},village,,Vàng Văn Sử,0916000006,member
"""
LEAD, HANG, HUE, LONG, HUONG, CHIEN = 6601, 6602, 6603, 6604, 6605, 6606  # Telegram
DINH, THANG, BINH, TAI, LAN = ("7f1b2c3d4e5f60718201", "7f1b2c3d4e5f60718202", "7f1b2c3d4e5f60718203",
                               "7f1b2c3d4e5f60718204", "7f1b2c3d4e5f60718205")  # Zalo

# ---- the plan, read by hand ----------------------------------------------------------------------------------------
# 17 tasks: I.1–I.10 (Chính quyền số), II.1–II.3 (Kinh tế số), III.1–III.4 (Xã hội số); no indicator (the plan's
# targets are the "Sản phẩm/Kết quả đầu ra" of its tasks). Deadlines: "Quý I–IV/2026" and "Quý II–IV/2026" run to
# 31/12, "Quý II–III/2026" (I.10) to 30/9, "Quý III–IV/2026" (I.7) to 31/12, "Quý II/2026" (I.6) 30/6, "Quý I/2026"
# (III.2) 31/3, "Thường xuyên" (I.3, I.4) no date.
PLAN = "Chuyển đổi số xã Tân Thanh năm 2026"
SECTIONS = ["I. CHÍNH QUYỀN SỐ", "II. KINH TẾ SỐ", "III. XÃ HỘI SỐ"]
DUE = {"I.1": "2026-12-31", "I.2": "2026-12-31", "I.3": None, "I.4": None, "I.5": "2026-12-31", "I.6": "2026-06-30",
       "I.7": "2026-12-31", "I.8": "2026-12-31", "I.9": "2026-12-31", "I.10": "2026-09-30", "II.1": "2026-12-31",
       "II.2": "2026-12-31", "II.3": "2026-12-31", "III.1": "2026-12-31", "III.2": "2026-03-31",
       "III.3": "2026-12-31", "III.4": "2026-12-31"}
# Chairs: "Toàn thể CBCC xã" (I.5, I.7) = the 9 offices of the org list that are not schools; "Các trường học trên
# địa bàn" (III.4) = the 2 schools; "Tổ CDS cộng đồng" (III.1, beside the Centre) = the village teams, who file no unit
# report; "Công chức phụ trách chuyển đổi số" (I.6, beside "Văn thư – Lưu trữ") = the officer of the lead office.
# "UBND xã" (I.10) and "Văn thư – Lưu trữ" (I.6) are no office of the org list: `plan check` names them; the lead
# office gives I.10 to itself (/giao: it "tham mưu UBND xã tổ chức tập huấn", section IV.2) and the operator gives
# I.6 to the Văn phòng (where the văn thư works) and the digital-transformation officer (`plan assign`).
GROUPS = {"Toàn thể CBCC xã": sorted([CAX, PKT, VHXH, DVC, HCC, TYT, VP, DTN, HPN]),
          "Các trường học trên địa bàn": sorted([TH, THCS]),
          "Tổ CDS cộng đồng": sorted([CAUTRAM, HOPTHANH, KHUONPHAY, TANTHUONG]),
          "Công chức phụ trách chuyển đổi số": [VHXH]}

# ---- answers, and the figures computed by hand ---------------------------------------------------------------------
# What each office owes (its own tasks and its groups'), in plan order:
#   VHXH I.5 I.6 I.7 I.10 III.2 (5)      VP  I.2 I.5 I.6 I.7 (4)        PKT I.5 I.7 II.1 II.2 II.3 (5)
#   HCC  I.1 I.3 I.5 I.7 I.8 II.3 (6)    DVC I.4 I.5 I.7 III.1 (4)      CAX I.3 I.5 I.7 I.9 (4)
#   TYT  I.5 I.7 III.3   DTN I.5 I.7 II.2   HPN I.5 I.7 II.3   TH III.4   THCS III.4
# Every answer not listed is "đang thực hiện".
VP_ANSWERS = {"I.2": "hoàn thành", "I.5": "hoàn thành", "I.6": "hoàn thành", "I.7": "chưa triển khai"}
CAX_ANSWERS = {"I.3": "chậm, vướng mắc", "I.5": "hoàn thành", "I.7": "chưa triển khai"}
HCC_ANSWERS = {"I.5": "hoàn thành", "I.7": "chưa triển khai"}
PKT_ANSWERS = {"I.5": "hoàn thành", "I.7": "chưa triển khai", "II.1": "chưa triển khai"}
LEAD_ANSWERS = {"I.5": "hoàn thành", "I.7": "chưa triển khai", "I.10": "chưa triển khai"}
TH_ANSWERS = {"III.4": "hoàn thành"}
DVC_ANSWERS = {"I.5": "hoàn thành", "I.7": "chưa triển khai"}
# Standing of each task (storage.item_standing: owed by several units, the least advanced answer; all who answered
# done but some never answered: in progress):
#   I.2 done (VP); I.3 delayed (CAX delayed, HCC in progress; 0/2 done); I.5 in progress (6/9 done: TYT, DTN, HPN
#   never report); I.6 in progress (VP done, VHXH in progress: 1/2); I.7 not started (0/9); I.10, II.1 not started;
#   II.2 in progress (0/2), II.3 in progress (0/3), III.4 in progress (TH done, THCS never: 1/2); III.3 (TYT) never
#   reported; the rest in progress. III.2 (Quý I/2026, 31/3) in progress on 14/4 (the data window's end) → overdue.
TASK_STATUS = {"I.1": "Đang thực hiện", "I.2": "Hoàn thành", "I.3": "Chậm, vướng mắc", "I.4": "Đang thực hiện",
               "I.5": "Đang thực hiện", "I.6": "Đang thực hiện", "I.7": "Chưa triển khai", "I.8": "Đang thực hiện",
               "I.9": "Đang thực hiện", "I.10": "Chưa triển khai", "II.1": "Chưa triển khai", "II.2": "Đang thực hiện",
               "II.3": "Đang thực hiện", "III.1": "Đang thực hiện", "III.2": "Đang thực hiện", "III.3": "Chưa báo cáo",
               "III.4": "Đang thực hiện"}
UNITS_DONE = {"I.3": "0/2 đơn vị hoàn thành", "I.5": "6/9 đơn vị hoàn thành", "I.6": "1/2 đơn vị hoàn thành",
              "I.7": "0/9 đơn vị hoàn thành", "II.2": "0/2 đơn vị hoàn thành", "II.3": "0/3 đơn vị hoàn thành",
              "III.4": "1/2 đơn vị hoàn thành"}
OVERDUE, DONE = ["III.2"], ["I.2"]
TASK_LINE = ("Tổng số 17 nhiệm vụ: 1 hoàn thành, 11 đang thực hiện, 1 chậm, vướng mắc, 3 chưa triển khai, "
             "1 chưa có báo cáo; 1 nhiệm vụ quá hạn.")
# Unit reports for April (before 20/4): 11 offices chair something (the 2 names no office stands for chair nothing
# once given away); VP 14/4, CAX 15/4, HCC 16/4, PKT 17/4, VHXH 18/4, TH 19/4 23:59 on time, DVC 20/4 00:05 late;
# TYT, THCS, DTN, HPN never.
MISSING_UNITS = [HPN, THCS, TYT, DTN]  # in the order of the unit names
UNITS = {"expected": 11, "submitted": 7, "on_time": 6, "late": 1, "missing": MISSING_UNITS}
# Village logs, April's window 15/3–14/4: Cầu Trâm 2/4 (15 VNeID, 4 DVC) and 10/4 (25 households, 9 VNeID); Khuôn
# Phầy 14/4 23:59 (8 VNeID); Hợp Thành logs on 20/4 (late) for 12/4 (10 households, 5 VNeID); Tân Thượng never.
# Khuôn Phầy's 15/4 00:01 log (3 DVC) is May's.
VILLAGES = {"expected": 4, "submitted": 3, "on_time": 2, "late": 1, "missing": [TANTHUONG]}
APR_BY_VILLAGE = {CAUTRAM: {"vneid": 24, "dvc": 4, "households": 25}, KHUONPHAY: {"vneid": 8},
                  HOPTHANH: {"vneid": 5, "households": 10}}
APR_TOTAL = {"vneid": 37, "dvc": 4, "households": 35}
MAY_TOTAL = {"dvc": 3}


async def _setup(r: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    mp, capsys, db_url = r["mp"], r["capsys"], r["db_url"]
    checked: dict[str, str] = {}

    async def operator() -> None:  # what `plan check` says, and the operator's answer to it
        checked["before"] = await _plan_check(r)
        await cli(mp, capsys, db_url, "plan", "assign", "I.6", "--commune", COMMUNE, "--unit", VP,
                  "--unit", "Công chức phụ trách chuyển đổi số")

    done = await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, SEED, (
        (VHXH, "lead"), (VP, "officer"), (PKT, "officer"), (HCC, "officer"), (DVC, "officer"), (CAX, "officer"),
        (TH, "officer"), (CAUTRAM, "member"), (KHUONPHAY, "member"), (HOPTHANH, "member")),
        start="2026-03-20", before_invites=operator)
    assert "16 new people" in done.org_out, done.org_out
    assert "17 tasks, 0 indicators in 3 sections" in done.plan_out, done.plan_out
    tasks = {t["code"]: t for t in done.plan["tasks"]}
    assert list(tasks) == list(DUE)
    assert {c: t["due"]["date"] for c, t in tasks.items()} == DUE
    assert [t["section"] for t in tasks.values()] == [SECTIONS[0]] * 10 + [SECTIONS[1]] * 3 + [SECTIONS[2]] * 4
    assert {g: sorted(m) for g, m in done.plan["groups"].items()} == GROUPS
    assert tasks["III.1"]["lead_units"] == [DVC, "Tổ CDS cộng đồng"]
    assert tasks["I.6"]["lead_units"] == [VP, "Công chức phụ trách chuyển đổi số"]
    assert tasks["II.3"]["lead_units"] == [HCC, PKT, HPN]
    # before the operator's answer: I.10 has nobody; "Văn thư – Lưu trữ" and "UBND xã" are no office of the list
    # (before: "Tổ CDS cộng đồng" and "Công chức phụ trách chuyển đổi số" were offices nobody belongs to, I.6
    # could be reported by nobody, and the two were counted as offices owing a monthly report)
    lines = checked["before"].splitlines()
    assert lines[:6] == ["1", "items nobody can report: 1",
                         f"  {PLAN} · task I.10: nobody on the org list in UBND xã",
                         "units named by the plan with nobody on the org list: 2", "  UBND xã (1 item(s))",
                         "  Văn thư – Lưu trữ (1 item(s))"], lines
    assert f"'Tổ CDS cộng đồng' → {', '.join(GROUPS['Tổ CDS cộng đồng'])}" in lines, lines
    assert f"'Công chức phụ trách chuyển đổi số' → {VHXH}" in lines, lines
    return done.codes


async def _plan_check(r: dict[str, Any]) -> str:
    """`cdsbot plan check` (exit code 1 while an item has nobody to report it): the code, then what it printed."""
    r["mp"].setenv("DATABASE_URL", r["db_url"].replace("+aiosqlite", "").replace("+asyncpg", ""))
    r["capsys"].readouterr()
    code = await asyncio.to_thread(main, ["plan", "check", "--commune", COMMUNE])
    out = r["capsys"].readouterr()
    return f"{code}\n{out.out}"


async def _joins(both: ZaloHarness, tg: Tg, codes: dict[str, str]) -> None:
    both.now = at("2026-03-25T09:00+07:00")
    await join_tg(tg, LEAD, codes[VHXH], "Hoàng Thị Thoan")
    await join_tg(tg, HANG, codes[PKT], "ly thi hang")
    await join_tg(tg, HUE, codes[DVC], "Ma Thị Huế")
    await join_tg(tg, LONG, codes[CAX], "Trieu Van Long")
    await join_tg(tg, HUONG, codes[CAUTRAM], "Lộc Thị Hương")
    await join_tg(tg, CHIEN, codes[KHUONPHAY], "hoang van chien")
    await join_zalo(both, DINH, codes[VP], "Nguyen Van Dinh")
    await join_zalo(both, THANG, codes[HCC], "Đinh Văn Thắng")
    await join_zalo(both, BINH, codes[TH], "luu van binh")
    await join_zalo(both, TAI, codes[CAUTRAM], "Nông Văn Tài")
    await join_zalo(both, LAN, codes[HOPTHANH], "Tran Thi Lan")


async def _logs_and_reports(both: ZaloHarness, tg: Tg) -> None:
    both.now = at("2026-04-02T16:00+07:00")
    text = zt(await both.say(TAI, "hôm nay hỗ trợ 15 người kích hoạt VNeID, 4 hồ sơ dịch vụ công trực tuyến"))
    assert "ngày 2/4/2026" in text and "VNeID): 15" in text and "trực tuyến: 4" in text, text
    await both.say(TAI, "1")
    both.now = at("2026-04-10T17:00+07:00")
    text = (await tg.say(HUONG, "hôm nay đến 25 hộ, hỗ trợ 9 người kích hoạt VNeID"))[0].text
    assert "hỗ trợ: 25" in text and "VNeID): 9" in text, text
    await tg.tap(HUONG, "ok")
    both.now = at("2026-04-14T09:00+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, DINH, VP_ANSWERS, {}, 4)
    both.now = at("2026-04-14T23:59+07:00")  # the window's last minute: April's
    assert "ngày 14/4/2026" in (await tg.say(CHIEN, "hỗ trợ 8 người kích hoạt VNeID"))[0].text
    await tg.tap(CHIEN, "ok")
    both.now = at("2026-04-15T00:01+07:00")  # May's
    assert "ngày 15/4/2026" in (await tg.say(CHIEN, "hỗ trợ 3 hồ sơ dịch vụ công"))[0].text
    await tg.tap(CHIEN, "ok")
    both.now = at("2026-04-15T10:00+07:00")  # Công an xã: each task with the product the plan expects of it
    sent = await tg.say(LONG, "/baocao", expect=2)
    assert "Có 4 nội dung cần trả lời" in sent[0].text, sent[0].text
    assert sent[1].text.splitlines() == ["(1/4) Nhiệm vụ I.3. Đảm bảo an toàn thông tin",
                                         "Sản phẩm/Kết quả đầu ra: Quy chế ATTT, nhật ký sao lưu",
                                         "Tình trạng thực hiện nhiệm vụ này?"], sent[1].text
    prompt = sent[1].text
    while "khó khăn" not in prompt:
        prompt = (await tg.say(LONG, answer_item(prompt, CAX_ANSWERS, {})))[0].text
        assert "Sản phẩm/Kết quả đầu ra: " in prompt or "khó khăn" in prompt, prompt
    await tg.say(LONG, "Chưa có kinh phí nâng cấp mạng")
    await tg.say(LONG, "Đề nghị tỉnh hỗ trợ thiết bị")
    out = (await tg.tap(LONG, "send"))[0].text
    assert out == "Báo cáo tháng 4/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-04-16T09:00+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, THANG, HCC_ANSWERS, {}, 6)
    eve = await preview_at(both, "2026-04-17T08:00+07:00")  # Friday: the officers' last working day before 19/4
    assert owing(eve) == {("unit_monthly", u, p) for u, p in (
        (PKT, "Lý Thị Hằng"), (VHXH, "Hoàng Thị Thoan"), (DVC, "Ma Thị Huế"), (TH, "Lưu Văn Bình"), (TYT, "Hà Thị Mai"),
        (THCS, "Phạm Thị Nga"), (DTN, "Âu Văn Tú"), (HPN, "Bàn Thị Dung"))} | {
        ("village_monthly", HOPTHANH, "Trần Thị Lan"), ("village_monthly", TANTHUONG, "Vàng Văn Sử")}
    both.now = at("2026-04-17T10:00+07:00")
    assert "gửi đúng hạn" in await report_tg(tg, HANG, PKT_ANSWERS, {}, 5)
    both.now = at("2026-04-18T09:00+07:00")
    assert "gửi đúng hạn" in await report_tg(tg, LEAD, LEAD_ANSWERS, {}, 5)
    both.now = at("2026-04-19T23:59+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, BINH, TH_ANSWERS, {}, 1)
    both.now = at("2026-04-20T00:05+07:00")
    out = await report_tg(tg, HUE, DVC_ANSWERS, {}, 4, pick="2026-04")
    assert "sau hạn" in out, out
    both.now = at("2026-04-20T10:00+07:00")  # Hợp Thành's late log, dated back into April's window
    text = zt(await both.say(LAN, "ngày 12/4 đến 10 hộ, hỗ trợ 5 người kích hoạt VNeID"))
    assert "ngày 12/4/2026" in text, text
    assert "Đã lưu" in zt(await both.say(LAN, "1"))
    digest = await preview_at(both, "2026-04-21T08:00+07:00")
    assert owing(digest) == {("unit_monthly", TYT, "Hà Thị Mai"), ("unit_monthly", THCS, "Phạm Thị Nga"),
                             ("unit_monthly", DTN, "Âu Văn Tú"), ("unit_monthly", HPN, "Bàn Thị Dung"),
                             ("village_monthly", TANTHUONG, "Vàng Văn Sử")}
    lead = {p.stream: (p.person, p.missing, p.late, p.unreachable) for p in digest if p.stage == "digest"}
    assert lead["unit_monthly"] == ("Hoàng Thị Thoan", tuple(MISSING_UNITS), (DVC,),
                                    ("Bàn Thị Dung", "Hà Thị Mai", "Phạm Thị Nga", "Âu Văn Tú"))
    assert lead["village_monthly"] == ("Hoàng Thị Thoan", (TANTHUONG,), (HOPTHANH,), ("Vàng Văn Sử",))


async def _chat(tg: Tg) -> None:
    text = (await tg.say(LEAD, "/tinhtrang"))[0].text  # on the 21st: April, the month it compiles
    assert text.splitlines() == [
        "Tình hình báo cáo tháng 4/2026 (đơn vị nộp trước ngày 20/04/2026):",
        "Báo cáo của các đơn vị: 7/11 đã báo cáo — 6 đúng hạn, 1 trễ hạn, 0 bị trả lại, 4 chưa báo cáo",
        "Các Tổ công nghệ số cộng đồng: 3/4 đã báo cáo — 2 đúng hạn, 1 trễ hạn, 0 bị trả lại, 1 chưa báo cáo",
        "Hoạt động của các Tổ công nghệ số cộng đồng (trong ngoặc là số liệu kỳ trước):",
        "  • Kích hoạt định danh điện tử (VNeID): 37 (0)", "  • Hộ gia đình được đến hỗ trợ: 35 (0)",
        "  • Hồ sơ dịch vụ công trực tuyến: 4 (0)"], text
    for ask in ("/quahan", "nhiệm vụ nào quá hạn"):  # III.2, due "Quý I/2026", in progress on 14/4
        assert (await tg.say(LEAD, ask))[0].text.splitlines() == [
            "🔴 1 nhiệm vụ đã quá hạn mà chưa hoàn thành:",
            f"• III.2. Kiện toàn Tổ CDS cộng đồng — Quý I/2026 — {VHXH}"], ask
    text = (await tg.say(LEAD, "đơn vị nào chưa báo cáo"))[0].text
    assert text == f"Các đơn vị chưa báo cáo tháng 4/2026 (4/11): {', '.join(MISSING_UNITS)}", text
    text = (await tg.say(LEAD, "thôn nào chưa báo cáo"))[0].text
    assert text == f"Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 4/2026 (1/4): {TANTHUONG}", text
    # an office's tasks: its own and its groups' ("Toàn thể CBCC xã"), its own answer and the group's count
    lines = (await tg.say(LEAD, "công an xã có những nhiệm vụ nào"))[0].text.splitlines()
    assert lines == [f"Nhiệm vụ do {CAX} chủ trì (4):",
                     "• I.3. Đảm bảo an toàn thông tin — Chậm, vướng mắc — 0/2 đơn vị hoàn thành",
                     "• I.5. Sử dụng hệ thống thông tin (văn phòng điện tử, họp trực tuyến, hệ… — Hoàn thành — 6/9 đơn "
                     "vị hoàn thành",
                     "• I.7. Ứng dụng AI trong hoạt động UBND xã — Chưa triển khai — 0/9 đơn vị hoàn thành",
                     "• I.9. Thực hiện Đề án 06 (dữ liệu dân cư, định danh điện tử) — Đang thực hiện"], lines
    # III.1 is the Centre's beside the village teams ("Tổ CDS cộng đồng"), who owe no unit report: 1 unit owes it
    lines = (await tg.say(LEAD, "trung tâm dịch vụ công có những nhiệm vụ nào"))[0].text.splitlines()
    assert [x[2:].split(". ")[0] for x in lines[1:]] == ["I.4", "I.5", "I.7", "III.1"], lines
    assert lines[0] == f"Nhiệm vụ do {DVC} chủ trì (4):" and lines[4] == (
        "• III.1. Nâng cao kỹ năng số cho người dân — Đang thực hiện"), lines
    # "phòng văn hóa", as people say it: the lead office's 5 (I.6 as "Công chức phụ trách chuyển đổi số"; I.10 given
    # to it); before: no unit understood, and the overdue list came back instead
    lines = (await tg.say(LEAD, "phòng văn hóa có những nhiệm vụ nào"))[0].text.splitlines()
    assert lines[0] == f"Nhiệm vụ do {VHXH} chủ trì (5):", lines
    assert [x[2:].split(". ")[0] for x in lines[1:]] == ["I.5", "I.6", "I.7", "I.10", "III.2"], lines
    assert lines[2].endswith(" — Đang thực hiện — 1/2 đơn vị hoàn thành"), lines
    assert lines[5].endswith(" — Đang thực hiện ⚠️"), lines  # III.2, overdue
    text = (await tg.say(LEAD, "tháng 4 được bao nhiêu người kích hoạt vneid"))[0].text
    assert text.splitlines() == ["Hoạt động của Tân Thanh, tháng 4/2026:", "• Kích hoạt định danh điện tử (VNeID): 37",
                                 f"Theo thôn: {CAUTRAM} 24, {KHUONPHAY} 8, {HOPTHANH} 5"], text
    text = (await tg.say(LEAD, "trung tâm phục vụ hành chính công báo cáo thế nào"))[0].text
    assert text.splitlines()[0] == f"Báo cáo tháng 4/2026 của {HCC} (đúng hạn):", text
    assert "• I.3. Đảm bảo an toàn thông tin: Đang thực hiện" in text.splitlines(), text
    assert (await tg.say(LEAD, "/chitieu"))[0].text == "Các kế hoạch đã nhập chưa có chỉ tiêu nào."
    # one task by its code: what the plan says of it (before: the overdue list, whatever the code)
    text = (await tg.say(LEAD, "nhiệm vụ III.2 thế nào?"))[0].text
    assert text.splitlines() == [
        "Nhiệm vụ III.2. Kiện toàn Tổ CDS cộng đồng", "Thuộc: III. XÃ HỘI SỐ", f"Chủ trì: {VHXH}",
        "Thời hạn: Quý I/2026 (31/3/2026) — 🔴 quá hạn", "Tình trạng: Đang thực hiện (trả lời gần nhất: tháng 4/2026)",
        f"Khó khăn, vướng mắc ({VHXH}, tháng 4/2026): Chưa có kinh phí nâng cấp mạng",
        f"Kiến nghị, đề xuất ({VHXH}, tháng 4/2026): Đề nghị tỉnh hỗ trợ thiết bị",
        "Sản phẩm: Quyết định kiện toàn, kế hoạch hoạt động",
        "Chi tiết: Rà soát nhân sự, ban hành quyết định kiện toàn, lập kế hoạch hoạt động."], text
    text = (await tg.say(LEAD, "nhiệm vụ I.5"))[0].text  # a group's: how many of its 9 offices are done
    assert text.splitlines()[:7] == [
        "Nhiệm vụ I.5. Sử dụng hệ thống thông tin (văn phòng điện tử, họp trực tuyến, hệ thống giải quyết thủ tục "
        "hành chính, thư công vụ)", "Thuộc: I. CHÍNH QUYỀN SỐ", "Chủ trì: Toàn thể CBCC xã",
        "Thời hạn: Quý I–IV/2026 (31/12/2026)",
        "Tình trạng: Đang thực hiện — 6/9 đơn vị hoàn thành (trả lời gần nhất: tháng 4/2026)",
        f"   Hoàn thành: {CAX}, {PKT}, {VHXH}, {DVC}, {HCC}, {VP}",
        "   Chưa báo cáo: Hội Liên hiệp Phụ nữ xã, Trạm Y tế xã, Đoàn Thanh niên xã"], text


async def _exports(tg: Tg, r: dict[str, Any], both: ZaloHarness, aiohttp_client: Any, tmp_path: Path) -> None:
    xlsx, docx, mark = await tg.say(LEAD, "/xuat", expect=3)  # on the 21st: April, for UBND xã
    assert xlsx.document_name == "bao-cao-cds-2026-04.xlsx" and mark.callback_data == ["leadsent:2026-04"]
    wb = xlsx.document_bytes
    out = tmp_path / "export.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--at", both.now.isoformat(),
              "--format", "xlsx", "--out", str(out))
    for name in ("Tổng hợp", "Báo cáo đơn vị", "Nhiệm vụ", "Hoạt động thôn", "Chưa báo cáo"):
        assert sheet(out.read_bytes(), name) == sheet(wb, name), name
    summary = {row[0]: row[1] for row in sheet(wb, "Tổng hợp", 1) if row[0]}
    assert (summary["Mã kỳ"], summary["Hạn gửi báo cáo"], summary["Số liệu từ ngày"].date().isoformat(),
            summary["Số liệu đến ngày"].date().isoformat()) == ("2026-04", "trước ngày 20/04/2026", "2026-03-15",
                                                               "2026-04-14")
    counts = summary_counts(wb)
    for label, want in (("Báo cáo của các cơ quan, đơn vị", UNITS),
                        ("Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn", VILLAGES)):
        row = counts[label]
        assert [row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo")] == [
            want["expected"], want["submitted"], want["on_time"], want["late"], len(want["missing"])]
    assert [summary[k] for k in ("Tổng số nhiệm vụ", "Nhiệm vụ đã hoàn thành", "Nhiệm vụ quá hạn",
                                 "Tổng số chỉ tiêu")] == [17, 1, 1, 0]
    head, *rows = sheet(wb, "Nhiệm vụ", 1)
    tasks = {row[1]: dict(zip(head, row, strict=True)) for row in rows}
    assert list(tasks) == list(DUE)
    assert {c: t["Tình trạng mới nhất"] for c, t in tasks.items()} == TASK_STATUS
    assert {c: t["Đơn vị hoàn thành"] for c, t in tasks.items() if t["Đơn vị hoàn thành"]} == UNITS_DONE
    assert [c for c, t in tasks.items() if t["Quá hạn"] == "Có"] == OVERDUE
    assert [c for c, t in tasks.items() if t["Mức độ"] == "Đỏ"] == OVERDUE
    assert [c for c, t in tasks.items() if t["Tình trạng mới nhất"] == "Hoàn thành"] == DONE
    assert {c: t["Hạn"].date().isoformat() if t["Hạn"] else None for c, t in tasks.items()} == DUE
    # the plan's own columns, kept: "Sản phẩm/Kết quả đầu ra", "Chi tiết nhiệm vụ" and the pillar (before: none)
    assert (tasks["III.2"]["Sản phẩm/Kết quả đầu ra"], tasks["I.9"]["Sản phẩm/Kết quả đầu ra"]) == (
        "Quyết định kiện toàn, kế hoạch hoạt động", "75% dân cư có định danh điện tử")
    assert tasks["I.8"]["Chi tiết nhiệm vụ"] == ("Bố trí máy tính công cộng; hướng dẫn người dân nộp hồ sơ qua Cổng "
                                                 "DVC Quốc gia; thống kê hồ sơ trực tuyến hàng tuần.")
    assert [t["Nhóm nhiệm vụ"] for t in tasks.values()] == [SECTIONS[0]] * 10 + [SECTIONS[1]] * 3 + [SECTIONS[2]] * 4
    assert (tasks["I.3"]["Thời gian thực hiện"], tasks["I.3"]["Hạn"], tasks["I.3"]["Mức độ"]) == (
        "Thường xuyên", None, "Xanh")  # ongoing: never overdue
    assert {(row[0], row[2]): row[3] for row in sheet(wb, "Hoạt động thôn")} == {
        (v, c): n for v, kinds in APR_BY_VILLAGE.items() for c, n in kinds.items()}
    assert [row[1] for row in sheet(wb, "Chưa báo cáo")] == [*MISSING_UNITS, TANTHUONG]
    assert {row[0]: row[3] for row in sheet(wb, "Báo cáo đơn vị")} == {
        CAX: "Đúng hạn", PKT: "Đúng hạn", VHXH: "Đúng hạn", DVC: "Trễ hạn", HCC: "Đúng hạn", TH: "Đúng hạn",
        VP: "Đúng hạn"}
    lines = docx_text(docx.document_bytes).splitlines()
    for line in ("Kỳ báo cáo tháng 4/2026 (số liệu từ ngày 15/03/2026 đến ngày 14/04/2026, thời hạn gửi trước ngày "
                 "20/04/2026):",
                 f"- Báo cáo của các cơ quan, đơn vị: 7/11 đơn vị đã gửi (6 đúng hạn, 1 trễ hạn); chưa báo cáo: "
                 f"{', '.join(MISSING_UNITS)}.",
                 "- Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn: 3/4 thôn đã cập nhật (2 đúng hạn, 1 trễ "
                 f"hạn); chưa báo cáo: {TANTHUONG}.",
                 f"- {CAUTRAM}: Kích hoạt định danh điện tử (VNeID) 24; Hồ sơ dịch vụ công trực tuyến 4; Hộ gia đình "
                 "được đến hỗ trợ 25.",
                 f"- {HOPTHANH}: Kích hoạt định danh điện tử (VNeID) 5; Hộ gia đình được đến hỗ trợ 10.",
                 f"- {KHUONPHAY}: Kích hoạt định danh điện tử (VNeID) 8.", TASK_LINE,
                 f"- Nhiệm vụ I.3 ({HCC}, {CAX}) chậm, vướng mắc: Đảm bảo an toàn thông tin.",
                 # the overdue task with the product the plan expects of it (before: without it)
                 f"- Nhiệm vụ III.2. Kiện toàn Tổ CDS cộng đồng ({VHXH}; thời hạn: Quý I/2026; sản phẩm: Quyết định "
                 "kiện toàn, kế hoạch hoạt động)."):
        assert line in lines, line
    dash = await dashboard_summary(both, aiohttp_client, None, COMMUNE)  # the page's own month on the 21st
    assert dash["period"]["key"] == "2026-04" and dash["indicators"]["counts"] == {
        "on_track": 0, "at_risk": 0, "off_track": 0, "no_data": 0}
    streams = {s["name"]: s for s in dash["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: streams[name][k] for k in want} == want, name
    assert dash["tasks"] == {"total": 17, "done": 1, "overdue": 1, "no_unit": 0,
                             "lights": {"red": 1, "yellow": 0, "green": 16}}
    (late,) = dash["overdue_tasks"]
    assert {k: late[k] for k in ("code", "due", "lead_units", "status_label", "section", "output", "units")} == {
        "code": "III.2", "due": "2026-03-31", "lead_units": [VHXH], "status_label": "Đang thực hiện",
        "section": "III. XÃ HỘI SỐ", "output": "Quyết định kiện toàn, kế hoạch hoạt động", "units": None}
    assert {a["code"]: a["count"] for a in dash["activities"]["total"]} == APR_TOTAL
    out = await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--at", both.now.isoformat())
    assert out.splitlines() == [
        f"unit_monthly 2026-04: 7/11 reported (6 on time, 1 late); missing: {', '.join(MISSING_UNITS)}",
        f"village_monthly 2026-04: 3/4 reported (2 on time, 1 late); missing: {TANTHUONG}",
        "activities: dvc=4, households=35, vneid=37"], out
    may = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period",
                               "2026-05", "--at", both.now.isoformat(), "--json"))
    assert may["activities"]["total"] == MAY_TOTAL


async def test_audit_plan_003(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any, aiohttp_client: Any) -> None:
    """Seed 003 through April 2026 (the plan is dated 16/3/2026; reporting from 20/3) on fake Telegram and Zalo
    with the shipped schedule (units and villages before the 20th): group- and person-chaired tasks, quarterly and
    "Thường xuyên" deadlines, and the lead office's answers, exports, dashboard, CLI and reminders agree with the
    hand-computed figures."""
    tg = Tg(both)
    r = {"mp": monkeypatch, "capsys": capsys, "db_url": db_url}
    codes = await _setup(r, tmp_path)
    await _joins(both, tg, codes)
    text = (await tg.say(LEAD, "/giao I.10 phòng văn hóa"))[0].text
    assert text.startswith(f"Xong: nhiệm vụ I.10 nay do {VHXH} chủ trì."), text
    lines = (await _plan_check(r)).splitlines()
    assert lines[:4] == ["0", "items nobody can report: 0", "units named by the plan with nobody on the org list: 0",
                         "tasks with no due date: 0"], lines
    await _logs_and_reports(both, tg)
    both.now = at("2026-04-21T10:00+07:00")  # Tuesday: the lead office compiles April (for UBND xã, before 22/4)
    await _chat(tg)
    await _exports(tg, r, both, aiohttp_client, tmp_path)
