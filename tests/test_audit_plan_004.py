"""Seed plan 004 (UBND xã Thiện Tân): 11 task groups in prose with "Kết quả cần đạt"; units report to Phòng Văn
hoá – Xã hội before the 20th, that office to UBND xã before the 22nd; every view gives the hand-computed figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reminders.messages import reminder_outgoing
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
from tests.first_month_support import Tg, at, cli, cli_with_err, docx_text, sheet, summary_counts
from tests.zalo_harness import ZaloHarness

SEED = Path(__file__).resolve().parent / "data" / "seeds" / "004_c376c46bef4544c5.txt"
COMMUNE = "Thiện Tân"
VHXH, TTHC, CAX = "Phòng Văn hoá – Xã hội", "Trung tâm phục vụ hành chính công xã", "Công an xã"
PKT, VP = "Phòng Kinh tế xã", "Văn phòng HĐND&UBND xã"  # as the plan names them
BANLOONG, NAMA = "Thôn Bản Loỏng", "Thôn Nà Mạ"
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Thị Lệ,0915000001,lead
{TTHC},office,,Nông Văn Khánh,0915000010,officer
{CAX},office,,Vi Văn Cường,0915000011,officer
{PKT},office,,Lương Thị Hạnh,0915000012,officer
{VP},office,,Chu Văn Bình,0915000013,officer
{BANLOONG},village,,Hoàng Văn Páo,0915000002,member
{NAMA},village,,Lăng Thị Duyên,0915000003,member
"""
LEAD, CUONG, DUYEN = 6501, 6502, 6503  # Telegram
KHANH, HANH, PAO = "7e1b2c3d4e5f60718201", "7e1b2c3d4e5f60718202", "7e1b2c3d4e5f60718203"  # Zalo

# ---- answers, and the figures computed by hand -------------------------------------------------------------------
# Every task "đang thực hiện" and every result at its target unless below. N1.1 (due "Trước ngày 30/4/2026", i.e.
# 29/4) is chaired by every office ("Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã"): done by Công an xã,
# the Centre and Phòng VH-XH, not started by Phòng Kinh tế, never answered by the council office → not started,
# overdue, 3/5 done. N4.1 (Quý II, Phòng VH-XH alone) done; N10.1 (Công an xã alone) done; N5.6 (Tháng 6/2026, Công
# an xã) delayed → overdue.
CAX_ANSWERS = {"N1.1": "hoàn thành", "N5.6": "chậm, vướng mắc", "N10.1": "hoàn thành"}
TTHC_ANSWERS = {"N1.1": "hoàn thành"}
PKT_ANSWERS = {"N1.1": "chưa triển khai"}
# Judged on 14/12 (the window's end): share of 2026 = 348/365 = 0,9534. N4.KQ2 "Tối thiểu 70%… 5G": 65 < 66,7 → off
# track; N6.KQ3 "Tối thiểu 80%": 78 ≥ 76,3 → at risk; N7.KQ2 "Có 5 sáng kiến": 2 < 4,77 → off track.
LEAD_ANSWERS = {"N1.1": "hoàn thành", "N4.1": "hoàn thành", "N4.KQ2": "sáu mươi lăm", "N6.KQ3": "78%",
                "N7.KQ2": "2"}
OVERDUE, DONE = ["N1.1", "N5.6"], ["N4.1", "N10.1"]
UNITS = {"expected": 5, "submitted": 4, "on_time": 4, "late": 0, "missing": [VP]}
VILLAGES = {"expected": 2, "submitted": 2, "on_time": 2, "late": 0, "missing": []}
DEC_TOTAL = {"vneid": 20, "outreach": 150}  # Bản Loỏng 10/12, Nà Mạ 14/12 23:59
JAN_TOTAL = {"dvc": 2}  # Nà Mạ 15/12 00:01
# Results: 41; the 8 written in words (N1.KQ2, N5.KQ3, N9.KQ1–3, N11.KQ1–3) "đang thực hiện" → at risk before the
# year's end; with N6.KQ3: 9 at risk; N4.KQ2 and N7.KQ2 off track; the other 30 at their target, on track.
VERDICT_COUNTS = {"on_track": 30, "at_risk": 9, "off_track": 2, "no_data": 0}
AT_RISK = {"N1.KQ2", "N5.KQ3", "N9.KQ1", "N9.KQ2", "N9.KQ3", "N11.KQ1", "N11.KQ2", "N11.KQ3", "N6.KQ3"}
# Tasks: 2 done (N4.1, N10.1), 1 delayed (N5.6), 1 not started (N1.1), the other 34 in progress; N8.3 is chaired by
# "Các đơn vị trường học trên địa bàn xã" and no school is on the org list: no unit can report it (storage.no_unit), so
# it is "chưa có đơn vị thực hiện", not "chưa có báo cáo" — nobody was asked, nobody owes it.
TASK_LINE = ("Tổng số 39 nhiệm vụ: 2 hoàn thành, 34 đang thực hiện, 1 chậm, vướng mắc, 1 chưa triển khai, "
             "0 chưa có báo cáo, 1 chưa có đơn vị thực hiện; 2 nhiệm vụ quá hạn.")
SCHOOLS = "Các đơn vị trường học trên địa bàn xã"
NO_UNIT = f"N8.3 ({SCHOOLS})"
NO_UNIT_LINE = f"1 nhiệm vụ/chỉ tiêu chưa có đơn vị thực hiện: {NO_UNIT}"
SCHOOL = "Trường THCS Thiện Tân"  # added to the org list on 21/12, after December's deadline


async def _setup(r: dict[str, Any], tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    done = await import_commune(r["mp"], r["capsys"], r["db_url"], tmp_path, COMMUNE, ORG_CSV, SEED, (
        (VHXH, "lead"), (TTHC, "officer"), (CAX, "officer"), (PKT, "officer"), (BANLOONG, "member"),
        (NAMA, "member")))
    assert "7 new people" in done.org_out, done.org_out
    assert "39 tasks, 41 indicators in 11 sections" in done.plan_out, done.plan_out
    assert (len(done.plan["tasks"]), len(done.plan["indicators"])) == (39, 41)
    # the operator is told which item no unit can report and whom the plan named, so the unit can be added
    nobody = [line for line in done.plan_err.splitlines() if "no unit can report it" in line]
    assert nobody == [f"warning: task N8.3: no unit can report it (chair: {SCHOOLS}; no office of the org list is "
                      "among them): add the unit with `cdsbot org import` or name one with `cdsbot plan assign`"], nobody
    return done.codes, done.targets


async def _logs_and_reports(both: ZaloHarness, tg: Tg, targets: dict[str, Any]) -> None:
    """December's logs (window 15/11–14/12) and reports (before the 20th): Công an xã 16/12, the Centre 18/12,
    Phòng VH-XH 19/12, Phòng Kinh tế xã 19/12 23:59; the council office's officer never joins."""
    both.now = at("2026-12-10T09:00+07:00")
    assert "VNeID): 20" in zt(await both.say(PAO, "hôm nay hướng dẫn 20 người cài VNeID"))
    await both.say(PAO, "1")
    both.now = at("2026-12-14T23:59+07:00")
    assert "ngày 14/12/2026" in (await tg.say(DUYEN, "tuyên truyền chuyển đổi số cho 150 người"))[0].text
    await tg.tap(DUYEN, "ok")
    both.now = at("2026-12-15T00:01+07:00")  # January's
    assert "ngày 15/12/2026" in (await tg.say(DUYEN, "hỗ trợ 2 hồ sơ dịch vụ công"))[0].text
    await tg.tap(DUYEN, "ok")
    both.now = at("2026-12-16T09:00+07:00")
    out = await report_tg(tg, CUONG, CAX_ANSWERS, targets, 23)
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    eve = await preview_at(both, "2026-12-18T08:00+07:00")  # Friday: the officers' last working day
    assert owing(eve) == {("unit_monthly", TTHC, "Nông Văn Khánh"), ("unit_monthly", PKT, "Lương Thị Hạnh"),
                          ("unit_monthly", VHXH, "Hoàng Thị Lệ"), ("unit_monthly", VP, "Chu Văn Bình")}
    both.now = at("2026-12-18T09:00+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, KHANH, TTHC_ANSWERS, targets, 17)
    both.now = at("2026-12-19T10:00+07:00")  # the lead office answers the group results nobody else chairs
    out = await report_tg(tg, LEAD, LEAD_ANSWERS, targets, 67, parts=2)
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-12-19T23:59+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, HANH, PKT_ANSWERS, targets, 17)
    digest = await preview_at(both, "2026-12-21T08:00+07:00")
    assert owing(digest) == {("unit_monthly", VP, "Chu Văn Bình")}
    lead = {p.stream: (p.person, p.missing, p.late, p.unreachable) for p in digest if p.stage == "digest"}
    assert lead["unit_monthly"] == ("Hoàng Thị Lệ", (VP,), (), ("Chu Văn Bình",))
    (unit_digest,) = [p for p in digest if p.stage == "digest" and p.stream == "unit_monthly"]
    assert (unit_digest.no_unit, unit_digest.unlisted) == ((NO_UNIT,), ())  # the council office has a person
    assert both.bot is not None
    text = reminder_outgoing(unit_digest, both.bot.services, at("2026-12-21T08:00+07:00")).text
    assert f"Chưa báo cáo: {VP}" in text.splitlines() and NO_UNIT_LINE in text.splitlines(), text
    assert {(p.stage, p.stream, p.period) for p in digest if p.stream == "lead_monthly"} == {
        ("last_day", "lead_monthly", "2026-12")}  # the office's own report to UBND xã, before the 22nd


async def _chat(tg: Tg) -> None:
    text = (await tg.say(LEAD, "/tinhtrang"))[0].text  # on the 21st: December, the month it compiles
    assert text.splitlines()[:3] == [
        "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 20/12/2026):",
        "Báo cáo của các đơn vị: 4/5 đã báo cáo — 4 đúng hạn, 0 trễ hạn, 0 bị trả lại, 1 chưa báo cáo",
        "Các Tổ công nghệ số cộng đồng: 2/2 đã báo cáo — 2 đúng hạn, 0 trễ hạn, 0 bị trả lại, 0 chưa báo cáo"], text
    assert text.splitlines()[3] == NO_UNIT_LINE, text  # not among the 5 units owing a report
    assert "  • Tuyên truyền: 150 (0)" in text and "  • Kích hoạt định danh điện tử (VNeID): 20 (0)" in text
    text = (await tg.say(LEAD, "/chitieu"))[0].text
    assert text.startswith("Chỉ tiêu tính đến tháng 12/2026: 2 chậm tiến độ; 9 có nguy cơ chậm; 0 chưa có số liệu; "
                           "30 đạt, đúng tiến độ."), text
    assert "🔴 N4.KQ2. Tối thiểu 70% người dân được phủ sóng 5G trên địa bàn xã.: 65% / ≥ 70% (chậm tiến độ)" in text
    assert ("🔴 N7.KQ2. Có 5 sáng kiến được công nhận đánh giá hiệu quả áp dụng, khả năng…: 2 sáng kiến / 5 sáng kiến "
            "(chậm tiến độ)") in text
    lines = (await tg.say(LEAD, "chỉ tiêu nào chậm"))[0].text.splitlines()  # not the result "Tiêu chí đánh giá…"
    assert lines[0] == "Chỉ tiêu chậm tiến độ, tháng 12/2026 (11):" and lines[1].startswith("🔴 N4.KQ2. "), lines
    text = (await tg.say(LEAD, "chỉ tiêu nào đã đạt"))[0].text
    assert text.startswith("Chỉ tiêu đạt, đúng tiến độ, tháng 12/2026 (30):"), text
    text = (await tg.say(LEAD, "chỉ tiêu N4.KQ2"))[0].text  # a result's code: that result, not another
    assert text.splitlines()[0].startswith("🔴 N4.KQ2. "), text
    text = (await tg.say(LEAD, "chỉ tiêu N6.KQ3"))[0].text
    assert text.splitlines()[0].endswith(": 78% / ≥ 80% (có nguy cơ chậm)"), text
    for ask in ("/quahan", "nhiệm vụ nào quá hạn"):
        lines = (await tg.say(LEAD, ask))[0].text.splitlines()
        assert lines[0] == "🔴 2 nhiệm vụ đã quá hạn mà chưa hoàn thành:", lines
        assert lines[1].startswith("• N1.1. ") and lines[1].endswith(
            " — Trước ngày 30/4/2026 — Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã — 3/5 đơn vị hoàn thành")
        assert lines[2].startswith("• N5.6. ") and lines[2].endswith(" — Tháng 6/2026 — Công an xã"), lines
    text = (await tg.say(LEAD, "đơn vị nào chưa báo cáo"))[0].text
    assert text == f"Các đơn vị chưa báo cáo tháng 12/2026 (1/5): {VP}"
    text = (await tg.say(LEAD, "phòng kinh tế xã báo cáo thế nào"))[0].text
    assert text.startswith(f"Báo cáo tháng 12/2026 của {PKT} (đúng hạn):"), text
    assert "• N1.1. Tổ chức rà soát, chuẩn hóa các nội dung, nhiệm vụ…: Chưa triển khai" in text.splitlines()
    # Công an xã's tasks: 5 of N10, N4.4 and N5.6 by name, and the 14 of the groups it belongs to ("Các phòng, ban
    # chuyên môn, trung tâm…": N1.1–1.4, N2.2, N4.2, N5.1–5.5, N6.1, N6.2; "các phòng, ban chuyên môn": N7.2) = 21,
    # as its /baocao asked them (before: the 7 naming it)
    lines = (await tg.say(LEAD, "công an xã có những nhiệm vụ nào"))[0].text.splitlines()
    assert lines[0] == f"Nhiệm vụ do {CAX} chủ trì (21):", lines
    # a group's task reads the office's own answer (Công an xã: done) and how many of the group are done; no ⚠️:
    # its own part is done although the task, overdue, is not (3/5)
    assert lines[1].startswith("• N1.1. ") and lines[1].endswith(" — Hoàn thành — 3/5 đơn vị hoàn thành"), lines
    text = (await tg.say(LEAD, "tháng 12 được bao nhiêu người kích hoạt vneid"))[0].text
    assert text.splitlines()[:2] == ["Hoạt động của Thiện Tân, tháng 12/2026:",
                                     "• Kích hoạt định danh điện tử (VNeID): 20"], text


async def _exports(tg: Tg, r: dict[str, Any], both: ZaloHarness, aiohttp_client: Any, tmp_path: Path) -> None:
    xlsx, docx, mark = await tg.say(LEAD, "/xuat", expect=3)  # on the 21st: December, for UBND xã
    assert xlsx.document_name == "bao-cao-cds-2026-12.xlsx" and mark.callback_data == ["leadsent:2026-12"]
    wb = xlsx.document_bytes
    out = tmp_path / "export.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--at", both.now.isoformat(),
              "--format", "xlsx", "--out", str(out))
    for name in ("Tổng hợp", "Báo cáo đơn vị", "Nhiệm vụ", "Chỉ tiêu", "Hoạt động thôn", "Chưa báo cáo"):
        assert sheet(out.read_bytes(), name) == sheet(wb, name), name
    summary = {row[0]: row[1] for row in sheet(wb, "Tổng hợp", 1) if row[0]}
    assert (summary["Mã kỳ"], summary["Hạn gửi báo cáo"]) == ("2026-12", "trước ngày 20/12/2026")
    counts = summary_counts(wb)
    for label, want in (("Báo cáo của các cơ quan, đơn vị", UNITS),
                        ("Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn", VILLAGES)):
        row = counts[label]
        assert [row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo")] == [
            want["expected"], want["submitted"], want["on_time"], want["late"], len(want["missing"])]
    assert [summary[k] for k in ("Tổng số nhiệm vụ", "Nhiệm vụ đã hoàn thành", "Nhiệm vụ quá hạn", "Tổng số chỉ tiêu",
                                 "Chỉ tiêu: đạt, đúng tiến độ", "Chỉ tiêu: có nguy cơ chậm", "Chỉ tiêu: chậm tiến độ",
                                 "Chỉ tiêu: chưa có số liệu")] == [39, 2, 2, 41, 30, 9, 2, 0]
    tasks = {row[1]: row for row in sheet(wb, "Nhiệm vụ")}
    assert [c for c, row in tasks.items() if row[8] == "Có"] == OVERDUE  # in plan order
    assert [c for c, row in tasks.items() if row[6] == "Hoàn thành"] == DONE
    assert (tasks["N1.1"][6], tasks["N1.1"][11], tasks["N5.6"][6], tasks["N8.3"][6]) == (
        "Chưa triển khai", "3/5 đơn vị hoàn thành", "Chậm, vướng mắc", "Chưa có đơn vị thực hiện")
    assert [c for c, row in tasks.items() if row[6] == "Chưa báo cáo"] == []
    assert (summary["Nhiệm vụ chưa có đơn vị thực hiện"], summary["Chỉ tiêu chưa có đơn vị thực hiện"]) == (1, 0)
    assert tasks["N1.1"][5].date().isoformat() == "2026-04-29"  # "Trước ngày 30/4/2026": by the 29th
    indicators = {row[1]: row for row in sheet(wb, "Chỉ tiêu")}
    assert {c for c, row in indicators.items() if row[9] == "Có nguy cơ chậm"} == AT_RISK
    assert {c for c, row in indicators.items() if row[9] == "Chậm tiến độ"} == {"N4.KQ2", "N7.KQ2"}
    assert {c: indicators[c][6] for c in ("N4.KQ2", "N6.KQ3", "N7.KQ2", "N10.KQ1")} == {
        "N4.KQ2": 65.0, "N6.KQ3": 78.0, "N7.KQ2": 2.0, "N10.KQ1": 100.0}
    assert {(row[0], row[2]): row[3] for row in sheet(wb, "Hoạt động thôn")} == {
        (BANLOONG, "vneid"): 20, (NAMA, "outreach"): 150}
    assert {row[1] for row in sheet(wb, "Chưa báo cáo")} == {VP}
    lines = docx_text(docx.document_bytes).splitlines()
    for line in (f"- Báo cáo của các cơ quan, đơn vị: 4/5 đơn vị đã gửi (4 đúng hạn, 0 trễ hạn); chưa báo cáo: {VP}.",
                 "- Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn: 2/2 thôn đã cập nhật (2 đúng hạn, 0 trễ "
                 "hạn).", f"- {BANLOONG}: Kích hoạt định danh điện tử (VNeID) 20.", f"- {NAMA}: Tuyên truyền 150.",
                 TASK_LINE, f"- Nhiệm vụ, chỉ tiêu chưa có đơn vị thực hiện (1): {NO_UNIT}.",
                 "Tổng số 41 chỉ tiêu: 30 đạt, đúng tiến độ; 9 có nguy cơ chậm; 2 chậm tiến độ; 0 chưa có số "
                 "liệu."):
        assert line in lines, line
    dash = await dashboard_summary(both, aiohttp_client, None, COMMUNE)  # the page's own month on the 21st
    assert dash["period"]["key"] == "2026-12" and dash["indicators"]["counts"] == VERDICT_COUNTS
    streams = {s["name"]: s for s in dash["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: streams[name][k] for k in want} == want, name
    assert (dash["tasks"]["total"], dash["tasks"]["done"], dash["tasks"]["overdue"]) == (39, 2, 2)
    assert dash["tasks"]["no_unit"] == 1 and [(i["kind"], i["code"], i["chairs"]) for i in dash["no_unit"]] == [
        ("task", "N8.3", [SCHOOLS])]
    assert [t["code"] for t in dash["overdue_tasks"]] == OVERDUE
    assert {t["code"]: t["units"] for t in dash["overdue_tasks"] if t["units"]} == {"N1.1": {"owed": 5, "done": 3}}
    assert {a["code"]: a["count"] for a in dash["activities"]["total"] if a["count"]} == DEC_TOTAL
    out = await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--at", both.now.isoformat())
    assert out.splitlines() == [f"unit_monthly 2026-12: 4/5 reported (4 on time, 0 late); missing: {VP}",
                                "village_monthly 2026-12: 2/2 reported (2 on time, 0 late); missing: -",
                                "activities: outreach=150, vneid=20"], out
    jan = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period",
                               "2027-01", "--at", both.now.isoformat(), "--json"))
    assert jan["activities"]["total"] == JAN_TOTAL
    await tg.tap(LEAD, "leadsent:2026-12")  # sent to UBND xã: its reminders stop
    assert not [p for p in await preview_at(both, "2026-12-21T16:00+07:00") if p.stream == "lead_monthly"]


async def _deployment_file(r: dict[str, Any], both: ZaloHarness, tmp_path: Path) -> None:
    """A deployment whose units report before the 19th (CDSBOT_STREAMS_FILE): `cdsbot status` and `cdsbot export`
    read the same deadline — Phòng VH-XH (19/12 10:00) and Phòng Kinh tế xã (19/12 23:59) late, the others on time
    (before: the export kept the shipped 20th and called all four on time)."""
    shown = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "streams", "show", "--commune", COMMUNE, "--json"))
    streams = [{k: v for k, v in x.items() if k != "enabled"} | ({"due_day": 19} if x["name"] == "unit_monthly" else {})
               for x in shown if x["name"] != "province_monthly"]
    (tmp_path / "deploy.json").write_text(json.dumps(streams), encoding="utf-8")
    r["mp"].setenv("CDSBOT_STREAMS_FILE", str(tmp_path / "deploy.json"))
    st = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period",
                              "2026-12", "--at", both.now.isoformat(), "--json"))
    unit = next(x for x in st["streams"] if x["name"] == "unit_monthly")
    assert (unit["on_time"], unit["late"]) == (2, 2), unit
    out = tmp_path / "deploy.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--period", "2026-12", "--at",
              both.now.isoformat(), "--format", "xlsx", "--out", str(out))
    row = summary_counts(out.read_bytes())["Báo cáo của các cơ quan, đơn vị"]
    assert (row["Đúng hạn"], row["Trễ hạn"]) == (2, 2), row
    summary = {x[0]: x[1] for x in sheet(out.read_bytes(), "Tổng hợp", 1) if x[0]}
    assert summary["Hạn gửi báo cáo"] == "trước ngày 19/12/2026"


async def _school_added(r: dict[str, Any], both: ZaloHarness, tg: Tg, tmp_path: Path) -> None:
    """A school joins the org list on 21/12: the warning is gone, N8.3 is the school's from January (it owes
    January's report); December, due before it existed, keeps N8.3 without a unit."""
    (tmp_path / "school.csv").write_text(f"Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
                                         f"{SCHOOL},office,,Lộc Văn Tài,0915000020,officer\n", encoding="utf-8")
    out, err = await cli_with_err(r["mp"], r["capsys"], r["db_url"], "org", "import", str(tmp_path / "school.csv"),
                                  "--commune", COMMUNE, "--at", "2026-12-21T10:00+07:00")
    assert "1 new units, 1 new people" in out and "no unit can report it" not in err, (out, err)
    text = (await tg.say(LEAD, "/tinhtrang tháng 12"))[0].text
    assert NO_UNIT_LINE in text.splitlines() and "4/5 đã báo cáo" in text, text
    text = (await tg.say(LEAD, "/tinhtrang tháng 1/2027"))[0].text
    assert "chưa có đơn vị thực hiện" not in text and text.splitlines()[1].startswith(
        "Báo cáo của các đơn vị: 0/6 đã báo cáo"), text
    jan = tmp_path / "jan.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--period", "2027-01", "--at",
              both.now.isoformat(), "--format", "xlsx", "--out", str(jan))
    assert {row[1]: row[6] for row in sheet(jan.read_bytes(), "Nhiệm vụ")}["N8.3"] == "Chưa báo cáo"


async def test_audit_plan_004(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any, aiohttp_client: Any) -> None:
    """Seed 004 through December 2026 on fake Telegram and Zalo with the shipped schedule (units before the 20th,
    Phòng VH-XH to UBND xã before the 22nd): group-chaired tasks, results in words and in numbers, and the lead
    office's answers, exports, dashboard, CLI and reminders agree with the hand-computed figures."""
    tg = Tg(both)
    r = {"mp": monkeypatch, "capsys": capsys, "db_url": db_url}
    codes, targets = await _setup(r, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    await join_tg(tg, LEAD, codes[VHXH], "Hoàng Thị Lệ")
    await join_tg(tg, CUONG, codes[CAX], "vi van cuong")
    await join_tg(tg, DUYEN, codes[NAMA], "Lăng Thị Duyên")
    await join_zalo(both, KHANH, codes[TTHC], "Nông Văn Khánh")
    await join_zalo(both, HANH, codes[PKT], "Luong Thi Hanh")
    await join_zalo(both, PAO, codes[BANLOONG], "hoang van pao")
    await _logs_and_reports(both, tg, targets)
    both.now = at("2026-12-21T10:00+07:00")
    await _chat(tg)
    await _exports(tg, r, both, aiohttp_client, tmp_path)
    await _deployment_file(r, both, tmp_path)
    await _school_added(r, both, tg, tmp_path)
