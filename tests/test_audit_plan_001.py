"""Seed plan 001 (Ban Chỉ đạo 57 xã Tiêu Cần): 90 targets in 11 sections, reported before the 6th of the next
month to the steering committee via Văn phòng Đảng ủy; every view must give the hand-computed figures."""

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
from tests.first_month_support import Tg, at, cli, docx_text, sheet, summary_counts
from tests.zalo_harness import ZaloHarness

SEED = Path(__file__).resolve().parent / "data" / "seeds" / "001_1c5d8a20ce423d5c.txt"
COMMUNE = "Tiêu Cần"
VPDU, UBND, DU, PKT, CAX = "Văn phòng Đảng ủy", "UBND xã", "Đảng ủy", "Phòng Kinh tế", "Công an xã"
HDND, MTTQ, UBKT = "HĐND", "UBMTTQVN", "Ủy ban kiểm tra Đảng ủy"  # named by the plan, nobody on the org list
CAYGON, ODUNG = "Ấp Cây Gòn", "Ấp Ô Đùng"
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VPDU},office,,Thạch Thị Sa Rết,0914000001,lead
{UBND},office,,Nguyễn Văn Tâm,0914000010,officer
{DU},office,,Trần Thị Mỹ,0914000011,officer
{PKT},office,,Lê Văn Phúc,0914000012,officer
{CAX},office,,Kim Sơn Pha,0914000013,officer
{CAYGON},village,,Huỳnh Văn Út,0914000002,member
{ODUNG},village,,Thạch Sô Phên,0914000003,member
"""
# "hàng tháng (trước ngày 06 hàng tháng)": month M before the 6th of M+1, by calendar month, to Văn phòng Đảng ủy;
# the lead office reports to the steering committee (steering_* streams), not to a People's Committee.
# The units' stream and the People's Committee report are set by the operator (`cdsbot streams set`); the village
# teams' day and data period by the lead office in chat (/lich).
STREAMS = [{"name": "unit_monthly", "due_day": 6, "due_month_offset": 1, "cutoff": "calendar", "recipient": VPDU},
           {"name": "village_monthly", "recipient": VPDU}, {"name": "lead_monthly", "enabled": False}]
LEAD, TAM, PHEN = 6401, 6402, 6403  # Telegram
MY, PHUC, UT = "7d1b2c3d4e5f60718201", "7d1b2c3d4e5f60718202", "7d1b2c3d4e5f60718203"  # Zalo

# ---- answers, and the figures computed by hand -------------------------------------------------------------------
# UBND xã answers its 82 items: every number at its target, every yes/no "đạt", the 4 qualitative ones "đang thực
# hiện", except these. Đảng ủy (12 items) and Văn phòng Đảng ủy (3, late) answer as below.
UBND_ANSWERS = {"III.1": "46", "V.18": "sáu mươi phẩy năm", "V.12": "95", "II.2": "chưa đạt", "V.3": "bảy mươi"}
DU_ANSWERS = {"IV.2": "90", "III.8": "95%", "X.7": "chưa đạt"}
VPDU_ANSWERS = {"III.3": "đạt", "III.7": "100", "IV.5": "80"}
# Judged on 30/11 (the period's end): share of 2026 = 334/365 = 0,9151.
# no data: VIII.2 (BCĐ), X.1 (HĐND), XI.5 (UB kiểm tra) — nobody reported.
# at risk: III.1 46 ≥ 50×0,915 = 45,75; V.12 95 ≥ 89,7; II.2 and X.7 not yet achieved; III.8 95 ≥ 91,5;
#          V.23, VIII.1, IX.6, IX.7 in progress (qualitative).
# off track: V.18 60,5 < 68,6; IV.2 worst of UBND 100 and Đảng ủy 90 (< 91,5); IV.5 80.
VERDICT_COUNTS = {"on_track": 75, "at_risk": 9, "off_track": 3, "no_data": 3}
AT_RISK = {"III.1", "V.12", "II.2", "X.7", "III.8", "V.23", "VIII.1", "IX.6", "IX.7"}
OFF_TRACK = {"V.18", "IV.2", "IV.5"}
NO_DATA = {"VIII.2", "X.1", "XI.5"}
# Who owes November's unit report: the offices owing an item (storage.status.expected_units). §7 of the plan has the
# Party committees, UBND xã and UBMTTQ xã report; Phòng Kinh tế and Công an xã chair none of the 90 targets (partners
# only), so they owe nothing although they have officers (Phòng Kinh tế sends one anyway: kept, not counted). HĐND,
# UBMTTQVN and Ủy ban kiểm tra Đảng ủy chair targets but nobody of theirs is on the org list: they still count as not
# reported (the unit owes the report) and are named as such, "chưa có người trên danh sách": nobody to remind.
UNLISTED = [HDND, MTTQ, UBKT]
UNITS = {"expected": 6, "submitted": 3, "on_time": 2, "late": 1, "missing": UNLISTED, "unlisted": UNLISTED}
UNLISTED_LINE = ("Chưa có người trên danh sách, không có ai để nhắc (văn phòng cần bổ sung người): "
                 f"{', '.join(UNLISTED)}")
# VIII.2 is chaired by "BCĐ", a name only the plan uses and not an office: no unit can report it (storage.no_unit)
NO_UNIT_LINE = "1 nhiệm vụ/chỉ tiêu chưa có đơn vị thực hiện: VIII.2 (BCĐ)"
VILLAGES = {"expected": 2, "submitted": 2, "on_time": 1, "late": 1, "missing": []}
NOV_TOTAL = {"vneid": 21, "dvc": 3}  # Cây Gòn 15 VNeID + 3 DVC (30/11 23:59); Ô Đùng 6 (logged 6/12, dated 28/11)
NOV_BY_VILLAGE = {CAYGON: {"vneid": 15, "dvc": 3}, ODUNG: {"vneid": 6}}
DEC_TOTAL = {"vneid": 4}  # 1/12 00:01


async def _setup(r: Any, tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    mp, capsys, db_url = r["mp"], r["capsys"], r["db_url"]

    async def streams() -> None:
        (tmp_path / "streams.json").write_text(json.dumps(STREAMS), encoding="utf-8")
        await cli(mp, capsys, db_url, "streams", "set", "--commune", COMMUNE, str(tmp_path / "streams.json"))
        shown = {x["name"]: x for x in json.loads(await cli(mp, capsys, db_url, "streams", "show", "--commune",
                                                               COMMUNE, "--json"))}
        assert {k: shown["unit_monthly"][k] for k in ("due_day", "due_month_offset", "cutoff", "inclusive")} == {
            "due_day": 6, "due_month_offset": 1, "cutoff": "calendar", "inclusive": False}

    done = await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, SEED, (
        (VPDU, "lead"), (UBND, "officer"), (DU, "officer"), (PKT, "officer"), (CAYGON, "member"), (ODUNG, "member")),
        start="2026-11-10", before_invites=streams)
    assert "7 new people" in done.org_out, done.org_out
    assert "0 tasks, 90 indicators in 11 sections" in done.plan_out, done.plan_out
    assert len(done.targets) == 90
    return done.codes, done.targets


async def _logs_and_reports(both: ZaloHarness, tg: Tg, targets: dict[str, Any]) -> None:
    """November's village logs (calendar month) and unit reports: Đảng ủy 3/12, UBND xã 4/12, Phòng Kinh tế
    5/12 23:59 (the last allowed minute), Văn phòng Đảng ủy 6/12 00:01 (late); Công an xã never."""
    both.now = at("2026-11-12T09:00+07:00")
    assert "ngày 12/11/2026" in zt(await both.say(UT, "hôm nay hỗ trợ 15 người kích hoạt VNeID"))
    await both.say(UT, "1")
    both.now = at("2026-11-30T23:59+07:00")  # the month's last minute: November's
    assert "trực tuyến: 3" in zt(await both.say(UT, "hỗ trợ 3 hồ sơ dịch vụ công trực tuyến"))
    await both.say(UT, "1")
    both.now = at("2026-12-01T00:01+07:00")  # December's
    assert "ngày 1/12/2026" in zt(await both.say(UT, "hỗ trợ 4 người cài VNeID"))
    await both.say(UT, "1")
    both.now = at("2026-12-02T09:00+07:00")  # November's log by calendar month; 1/12 is December's
    text = zt(await both.say(UT, "/nhatky"))
    assert text.startswith("Nhật ký hoạt động tháng 11/2026 của bạn (1/11/2026 – 30/11/2026):\n"
                           "1. 30/11/2026 — Hồ sơ dịch vụ công trực tuyến: 3\n"
                           "2. 12/11/2026 — Kích hoạt định danh điện tử (VNeID): 15\n"), text
    assert ("Có thể sửa đến hết ngày 5/12/2026.\n1 nội dung mới hơn, từ ngày 1/12/2026, được tính vào tháng 12/2026; "
            "bạn xem và sửa được các nội dung đó tại đây từ ngày 6/12/2026.") in text, text
    await both.say(UT, "xong")
    text = (await tg.say(TAM, "/hanbaocao"))[0].text
    assert text == ("⏳ Báo cáo của đơn vị (/baocao) tháng 11/2026: hạn nộp trước ngày 06/12/2026 (hạn chót 23:59 "
                    "5/12/2026)"), text
    both.now = at("2026-12-03T09:00+07:00")  # the lead still compiles November (its report to the People's
    text = (await tg.say(LEAD, "/tinhtrang"))[0].text  # Committee is switched off: the units' open month)
    assert text.startswith("Tình hình báo cáo tháng 11/2026 (đơn vị nộp trước ngày 06/12/2026):"), text
    out = await report_zalo(both, MY, DU_ANSWERS, targets, 12)
    assert out == "Báo cáo tháng 11/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    # Friday 4/12 is the officers' last working day (5/12 is a Saturday): who still owes November, and only them
    eve = await preview_at(both, "2026-12-04T08:00+07:00")
    assert owing(eve) == {("unit_monthly", VPDU, "Thạch Thị Sa Rết"), ("unit_monthly", UBND, "Nguyễn Văn Tâm"),
                          ("village_monthly", ODUNG, "Thạch Sô Phên")}  # not Phòng Kinh tế, Công an xã: no item
    assert both.bot is not None  # the deadline and, for villages, the calendar month whose work counts
    days = ("\nChỉ các hoạt động từ ngày 1/11/2026 đến ngày 30/11/2026 được tính vào tháng 11/2026: nếu ghi bù bây giờ, "
            "bạn ghi rõ ngày, ví dụ “ngày 30/11 hỗ trợ 5 người cài VNeID”.")
    text = reminder_outgoing(next(p for p in eve if p.unit == ODUNG), both.bot.services, at("2026-12-04T08:00+07:00")).text
    # the village teams' stream reminds at weekends (/lich: "nhắc cả thứ Bảy, Chủ nhật"): Saturday 5/12 is their
    # last day, so Friday's reminder is the day before
    assert text.endswith("tháng 11/2026, hạn nộp trước ngày 06/12/2026 — ngày mai là ngày cuối cùng." + days), text
    text = reminder_outgoing(next(p for p in eve if p.unit == UBND), both.bot.services, at("2026-12-04T08:00+07:00")).text
    assert text == ("Nhắc việc: báo cáo của đơn vị (/baocao) tháng 11/2026, hạn nộp trước ngày 06/12/2026 — hôm nay là "
                    "ngày làm việc cuối cùng trước hạn."), text  # on Friday 4/12: the last allowed day is Saturday
    assert {(p.stage, p.stream, p.period) for p in eve if p.stream.startswith("steering")} == {
        ("last_day", "steering_monthly", "2026-11"), ("last_day", "steering_quarterly", "2026-Q4"),
        ("last_day", "steering_year", "2026")}  # monthly before 06/12, Q4 before the 6th of its last month, year
    both.now = at("2026-12-04T09:00+07:00")
    out = await report_tg(tg, TAM, UBND_ANSWERS, targets, 82, parts=2)
    assert out == "Báo cáo tháng 11/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    # Saturday 5/12, the last day: Ô Đùng only; no officer (Văn phòng Đảng ủy still owes)
    sat = await preview_at(both, "2026-12-05T08:00+07:00")
    assert [(p.stage, p.stream, p.unit, p.person) for p in sat] == [
        ("last_day", "village_monthly", ODUNG, "Thạch Sô Phên")]
    text = reminder_outgoing(sat[0], both.bot.services, at("2026-12-05T08:00+07:00")).text
    assert text == ("Hôm nay là ngày cuối cùng để nộp nhật ký hoạt động của Tổ công nghệ số cộng đồng tháng 11/2026 "
                    "(trước ngày 06/12/2026)." + days), text
    both.now = at("2026-12-05T23:59+07:00")
    text = zt(await both.say(PHUC, "/hanbaocao"))  # a partner only, chairing nothing: owes no unit report
    assert text == "Bạn không có báo cáo nào cần nộp. Cảm ơn bạn!", text
    sent = await both.say(PHUC, "/baocao", expect=2)  # it may still send one: no item of its own, difficulties
    assert "Có 0 nội dung cần trả lời" in zt(sent) and "trước ngày 06/12/2026" in zt(sent)
    await both.say(PHUC, "Thiếu cán bộ chuyên trách")
    await both.say(PHUC, "không có")
    assert "gửi đúng hạn" in zt(await both.say(PHUC, "1"))
    both.now = at("2026-12-06T00:01+07:00")
    # (the /tinhtrang left open since 3/12 is a view: it closes without a word, /baocao simply runs)
    out = await report_tg(tg, LEAD, VPDU_ANSWERS, targets, 3, pick="2026-11")
    assert "sau hạn" in out and "nộp muộn" in out, out
    both.now = at("2026-12-06T10:00+07:00")  # Ô Đùng's late log, dated back into November
    assert "ngày 28/11/2026" in (await tg.say(PHEN, "ngày 28/11 hỗ trợ 6 người kích hoạt VNeID"))[0].text
    await tg.tap(PHEN, "ok")
    digest = await preview_at(both, "2026-12-07T08:00+07:00")  # Monday: the next working day after 5/12
    assert owing(digest) == set()  # the 3 units still missing have nobody to remind
    lead = {p.stream: (p.person, p.missing, p.late, p.unreachable) for p in digest if p.stage == "digest"}
    assert lead["unit_monthly"] == ("Thạch Thị Sa Rết", tuple(UNLISTED), (VPDU,), ())
    (unit_digest,) = [p for p in digest if p.stage == "digest" and p.stream == "unit_monthly"]
    assert (unit_digest.unlisted, unit_digest.no_unit) == (tuple(UNLISTED), ("VIII.2 (BCĐ)",))
    both.now = at("2026-12-07T08:00+07:00")
    shown = reminder_outgoing(unit_digest, both.bot.services, both.now)
    assert shown.text.splitlines() == ["Kỳ báo cáo tháng 11/2026 đã kết thúc (hạn nộp trước ngày 06/12/2026).",
                                       UNLISTED_LINE, NO_UNIT_LINE, f"Nộp muộn: {VPDU}"], shown.text
    assert not shown.choices  # no "remind again": nobody of theirs to remind
    assert lead["village_monthly"] == ("Thạch Thị Sa Rết", (), (ODUNG,), ())


async def _chat(tg: Tg) -> None:
    text = (await tg.say(LEAD, "/tinhtrang tháng 11"))[0].text
    assert text.splitlines()[:3] == [
        "Tình hình báo cáo tháng 11/2026 (đơn vị nộp trước ngày 06/12/2026):",
        "Báo cáo của các đơn vị: 3/6 đã báo cáo — 2 đúng hạn, 1 trễ hạn, 0 bị trả lại, 3 chưa báo cáo",
        "Các Tổ công nghệ số cộng đồng: 2/2 đã báo cáo — 1 đúng hạn, 1 trễ hạn, 0 bị trả lại, 0 chưa báo cáo"], text
    assert text.splitlines()[3:5] == [UNLISTED_LINE, NO_UNIT_LINE], text
    for line in ("Kích hoạt định danh điện tử (VNeID): 21 (0)", "Hồ sơ dịch vụ công trực tuyến: 3 (0)"):
        assert line in text, (line, text)
    text = (await tg.say(LEAD, "/tinhtrang"))[0].text  # from the 6th: December, due before 06/01/2027
    assert text.startswith("Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 06/01/2027):"), text
    assert "Kích hoạt định danh điện tử (VNeID): 4 (21)" in text
    text = (await tg.say(LEAD, "/chitieu tháng 11"))[0].text
    assert text.startswith("Chỉ tiêu tính đến tháng 11/2026: 3 chậm tiến độ; 9 có nguy cơ chậm; 3 chưa có số liệu; "
                           "75 đạt, đúng tiến độ."), text
    lines = text.splitlines()
    shown = [line.split(" ")[1].rstrip(".") for line in lines if line[:1] in "🔴🟠"]
    assert shown[:3] == ["IV.2", "IV.5", "V.18"] and set(shown[3:]) <= AT_RISK, shown  # red first, then orange
    assert ("🔴 IV.2. Tỷ lệ các đơn vị gửi nhận văn bản trên môi trường điện tử có ký số: 90% (thấp nhất: Đảng ủy; "
            "2/2 đơn vị) / 100% (chậm tiến độ)") in lines, text
    assert "🟠 III.1. Tỷ lệ phủ sóng 5G trên địa bàn: 46% / 50% (có nguy cơ chậm)" in lines
    text = (await tg.say(LEAD, "chỉ tiêu IV.2 tháng 11"))[0].text  # a section's Roman numeral in the code
    assert text.splitlines() == [
        "🔴 IV.2. Tỷ lệ các đơn vị gửi nhận văn bản trên môi trường điện tử…: 90% (thấp nhất: Đảng ủy; 2/2 đơn vị) "
        "/ 100% (chậm tiến độ)", "Đơn vị báo cáo: UBND xã, Đảng ủy"], text
    text = (await tg.say(LEAD, "chỉ tiêu XI.2 tháng 11"))[0].text  # owed by 4 units, 2 of them not on the list
    assert f"Chưa báo cáo: {HDND}, {MTTQ}" in text.splitlines(), text
    assert (await tg.say(LEAD, "/quahan tháng 11"))[0].text == "Không có nhiệm vụ nào quá hạn. 👍"  # no tasks
    text = (await tg.say(LEAD, "đơn vị nào chưa báo cáo tháng 11"))[0].text
    assert text == f"Các đơn vị chưa báo cáo tháng 11/2026 (3/6): {HDND}, {MTTQ}, {UBKT}\n{UNLISTED_LINE}", text
    text = (await tg.say(LEAD, "thôn nào chưa báo cáo tháng 11?"))[0].text
    assert text == "Các Tổ công nghệ số cộng đồng: tất cả đã báo cáo tháng 11/2026."
    text = (await tg.say(LEAD, "tháng 11 đơn vị nào nộp muộn"))[0].text
    assert text == f"Các đơn vị báo cáo trễ hạn tháng 11/2026: {VPDU}"
    text = (await tg.say(LEAD, "tháng 11 được bao nhiêu người kích hoạt vneid"))[0].text
    assert text == ("Hoạt động của Tiêu Cần, tháng 11/2026:\n• Kích hoạt định danh điện tử (VNeID): 21\n"
                    f"Theo thôn: {CAYGON} 15, {ODUNG} 6")
    # "Đảng ủy" is its own unit, not "Văn phòng Đảng ủy" whose name ends with it
    text = (await tg.say(LEAD, "đảng ủy báo cáo tháng 11 thế nào"))[0].text
    assert text.startswith(f"Báo cáo tháng 11/2026 của {DU} (đúng hạn):"), text
    assert "• IV.2. Tỷ lệ các đơn vị gửi nhận văn bản trên môi trường…: 90%" in text.splitlines()
    text = (await tg.say(LEAD, "văn phòng đảng ủy báo cáo tháng 11 thế nào"))[0].text
    assert text.startswith(f"Báo cáo tháng 11/2026 của {VPDU} (trễ hạn):"), text
    text = (await tg.say(LEAD, "/hanbaocao"))[0].text  # the lead's own reports to the steering committee
    assert ("⚠️ Báo cáo tháng gửi Ban Chỉ đạo tháng 11/2026: đã quá hạn từ 23:59 5/12/2026; bạn vui lòng gửi sớm "
            "nhất có thể") in text.splitlines(), text
    assert ("⏳ Báo cáo quý gửi Ban Chỉ đạo quý I/2027: hạn nộp trước ngày 06/03/2027 (hạn chót 23:59 5/3/2027)"
            in text.splitlines()), text


async def _exports(tg: Tg, r: dict[str, Any], both: ZaloHarness, aiohttp_client: Any, tmp_path: Path) -> None:
    xlsx, docx, mark = await tg.say(LEAD, "/xuat tháng 11", expect=3)
    # the month's compiled report goes to the steering committee (the People's Committee report is switched off)
    assert mark.text == "Khi báo cáo đã ký được gửi Ban Chỉ đạo, bạn chọn mục dưới đây để bot thôi nhắc."
    assert mark.callback_data == ["steersent:steering_monthly:2026-11"], mark.callback_data
    wb = xlsx.document_bytes
    out = tmp_path / "export.xlsx"
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--period", "2026-11", "--at",
              both.now.isoformat(), "--format", "xlsx", "--out", str(out))
    for name in ("Tổng hợp", "Báo cáo đơn vị", "Chỉ tiêu", "Hoạt động thôn", "Chưa báo cáo"):
        assert sheet(out.read_bytes(), name) == sheet(wb, name), name
    await cli(r["mp"], r["capsys"], r["db_url"], "export", "--commune", COMMUNE, "--at", "2026-12-04T10:00+07:00",
              "--format", "xlsx", "--out", str(out))  # a bare export before the 6th: November, as /xuat
    assert {row[0]: row[1] for row in sheet(out.read_bytes(), "Tổng hợp", 1)}["Mã kỳ"] == "2026-11"
    summary = {row[0]: row[1] for row in sheet(wb, "Tổng hợp", 1) if row[0]}
    assert (summary["Hạn gửi báo cáo"], summary["Số liệu từ ngày"].day, summary["Số liệu đến ngày"].day) == (
        "trước ngày 06/12/2026", 1, 30)
    counts = summary_counts(wb)
    for label, want in (("Báo cáo của các cơ quan, đơn vị", UNITS),
                        ("Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn", VILLAGES)):
        row = counts[label]
        assert [row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo")] == [
            want["expected"], want["submitted"], want["on_time"], want["late"], len(want["missing"])]
    assert [summary[k] for k in ("Tổng số nhiệm vụ", "Tổng số chỉ tiêu", "Chỉ tiêu: đạt, đúng tiến độ",
                                 "Chỉ tiêu: có nguy cơ chậm", "Chỉ tiêu: chậm tiến độ", "Chỉ tiêu: chưa có số liệu")] == [
        0, 90, 75, 9, 3, 3]
    indicators = {row[1]: row for row in sheet(wb, "Chỉ tiêu")}
    assert len(indicators) == 90
    assert {c for c, row in indicators.items() if row[9] == "Có nguy cơ chậm"} == AT_RISK
    assert {c for c, row in indicators.items() if row[9] == "Chậm tiến độ"} == OFF_TRACK
    assert {c for c, row in indicators.items() if row[9] == "Chưa có số liệu"} == NO_DATA - {"VIII.2"}
    assert {c for c, row in indicators.items() if row[9] == "Chưa có đơn vị thực hiện"} == {"VIII.2"}  # no data either
    assert {c: indicators[c][6] for c in ("IV.2", "V.18", "III.1", "V.12", "IV.5", "I.1")} == {
        "IV.2": 90.0, "V.18": 60.5, "III.1": 46.0, "V.12": 95.0, "IV.5": 80.0, "I.1": 8.05}
    assert {(row[0], row[2]): row[3] for row in sheet(wb, "Hoạt động thôn")} == {
        (v, c): n for v, kinds in NOV_BY_VILLAGE.items() for c, n in kinds.items()}
    assert {row[0]: row[3] for row in sheet(wb, "Báo cáo đơn vị")} == {
        DU: "Đúng hạn", UBND: "Đúng hạn", PKT: "Đúng hạn", VPDU: "Trễ hạn"}
    assert {row[1] for row in sheet(wb, "Chưa báo cáo")} == {HDND, MTTQ, UBKT}
    lines = docx_text(docx.document_bytes).splitlines()
    for line in ("Kỳ báo cáo tháng 11/2026 (số liệu từ ngày 01/11/2026 đến ngày 30/11/2026, thời hạn gửi trước ngày "
                 "06/12/2026):",
                 f"- Báo cáo của các cơ quan, đơn vị: 3/6 đơn vị đã gửi (2 đúng hạn, 1 trễ hạn); chưa báo cáo: {HDND}, "
                 f"{MTTQ}, {UBKT} (chưa có người trên danh sách).",
                 "- Nhiệm vụ, chỉ tiêu chưa có đơn vị thực hiện (1): VIII.2 (BCĐ).",
                 "- Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn: 2/2 thôn đã cập nhật (1 đúng hạn, 1 trễ hạn).",
                 f"- {CAYGON}: Kích hoạt định danh điện tử (VNeID) 15; Hồ sơ dịch vụ công trực tuyến 3.",
                 f"- {ODUNG}: Kích hoạt định danh điện tử (VNeID) 6.",
                 "Tổng số 90 chỉ tiêu: 75 đạt, đúng tiến độ; 9 có nguy cơ chậm; 3 chậm tiến độ; 3 chưa có số liệu.",
                 "+ Chỉ tiêu III.1. Tỷ lệ phủ sóng 5G trên địa bàn: 46% (chỉ tiêu: 50%); có nguy cơ chậm.",
                 f"- {PKT}: Thiếu cán bộ chuyên trách."):
        assert line in lines, line
    dash = await dashboard_summary(both, aiohttp_client, "2026-11", COMMUNE)
    streams = {s["name"]: s for s in dash["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: streams[name][k] for k in want} == want, name
    assert dash["indicators"]["counts"] == VERDICT_COUNTS
    items = {i["code"]: i for i in dash["indicators"]["items"]}
    assert {c for c, i in items.items() if i["status"] == "off_track"} == OFF_TRACK
    assert items["IV.2"]["latest_value"] == 90.0 and items["IV.2"]["units"]["worst"] == DU
    assert {a["code"]: a["count"] for a in dash["activities"]["total"]} == NOV_TOTAL
    both.now = at("2026-12-04T10:00+07:00")  # the page's own month before the 6th: November
    assert (await dashboard_summary(both, aiohttp_client, None, COMMUNE))["period"]["key"] == "2026-11"
    both.now = at("2026-12-07T10:00+07:00")
    out = await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period", "2026-11",
                    "--at", both.now.isoformat())
    assert out.splitlines() == [
        f"unit_monthly 2026-11: 3/6 reported (2 on time, 1 late); missing: {HDND}, {MTTQ}, {UBKT}",
        "village_monthly 2026-11: 2/2 reported (1 on time, 1 late); missing: -",
        "activities: dvc=3, vneid=21"], out
    out = await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--at",
                    "2026-12-03T10:00+07:00", "--json")  # before the 6th: November, as /tinhtrang
    assert json.loads(out)["streams"][0]["period"] == "2026-11", out[:300]
    st = json.loads(await cli(r["mp"], r["capsys"], r["db_url"], "status", "--commune", COMMUNE, "--period",
                              "2026-12", "--at", both.now.isoformat(), "--json"))
    assert st["activities"]["total"] == DEC_TOTAL
    steering = {(p.stream, p.period) for p in await preview_at(both, "2026-12-07T16:00+07:00")
                if p.stream.startswith("steering")}
    assert ("steering_monthly", "2026-11") in steering
    await tg.tap(LEAD, "steersent:steering_monthly:2026-11")  # the button under /xuat: November's reminders stop
    steering = {(p.stream, p.period) for p in await preview_at(both, "2026-12-08T08:00+07:00")
                if p.stream.startswith("steering")}
    assert ("steering_monthly", "2026-11") not in steering and ("steering_quarterly", "2026-Q4") in steering, steering


async def test_audit_plan_001(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any, aiohttp_client: Any) -> None:
    """Seed 001 through November 2026 on fake Telegram and Zalo: the commune configured for "before the 6th of
    the next month" by calendar month (`cdsbot streams set`, read back in /lich); units answer the 90 targets,
    villages log; /tinhtrang, /chitieu, /quahan, questions, /xuat, `cdsbot export|status`, the dashboard and the
    reminders (who still owes, only them) give the hand-computed figures."""
    tg = Tg(both)
    r = {"mp": monkeypatch, "capsys": capsys, "db_url": db_url}
    codes, targets = await _setup(r, tmp_path)
    both.now = at("2026-11-10T09:00+07:00")
    await join_tg(tg, LEAD, codes[VPDU], "Thach Thi Sa Ret")
    await join_tg(tg, TAM, codes[UBND], "Nguyễn Văn Tâm")
    await join_tg(tg, PHEN, codes[ODUNG], "thạch sô phên")
    await join_zalo(both, MY, codes[DU], "tran thi my")
    await join_zalo(both, PHUC, codes[PKT], "Lê Văn Phúc")
    await join_zalo(both, UT, codes[CAYGON], "Huynh Van Ut")
    await tg.say(LEAD, "/lich")  # the village teams' rule, set in chat: day 6, by calendar month
    await tg.tap(LEAD, "village_monthly")
    await tg.tap(LEAD, "day")
    await tg.say(LEAD, "6")
    await tg.tap(LEAD, "cutoff")
    text = (await tg.tap(LEAD, "calendar"))[0].text
    assert "Kỳ gần nhất: tháng 11/2026, hạn trước ngày 06/12/2026." in text, text  # after the month it covers
    text = (await tg.tap(LEAD, "save"))[0].text
    assert ("Sau khi sửa:\nTổ công nghệ số cộng đồng các thôn → Văn phòng Đảng ủy: nhật ký hoạt động, trước ngày 06 tháng "
            "sau.") in text, text
    await tg.tap(LEAD, "save")
    text = (await tg.say(LEAD, "/lich"))[0].text  # the rule as the lead office reads it
    assert (f"   Tổ công nghệ số cộng đồng các thôn → {VPDU}: nhật ký hoạt động, trước ngày 06 tháng sau.\n"
            "   số liệu theo tháng dương lịch; đang bật nhắc hạn") in text, text
    assert (f"   Các phòng, ban, đơn vị → {VPDU}: báo cáo kết quả thực hiện kế hoạch, trước ngày 06 tháng sau.\n"
            "   số liệu theo tháng dương lịch; đang bật nhắc hạn") in text, text
    assert "Cơ quan đầu mối → UBND xã: báo cáo tổng hợp, trước ngày 22 hằng tháng." in text and "đang tắt" in text
    assert ("Cơ quan đầu mối → Ban Chỉ đạo 57 xã (qua Văn phòng Đảng ủy): báo cáo định kỳ, trước ngày 06 "
            "tháng cuối quý.") in text
    await tg.tap(LEAD, "close")
    await _logs_and_reports(both, tg, targets)
    both.now = at("2026-12-07T10:00+07:00")
    text = (await tg.say(TAM, "/hanbaocao"))[0].text  # November received: December is what it owes
    assert text == ("⏳ Báo cáo của đơn vị (/baocao) tháng 12/2026: hạn nộp trước ngày 06/01/2027 (hạn chót 23:59 "
                    "5/1/2027)"), text
    await _chat(tg)
    await _exports(tg, r, both, aiohttp_client, tmp_path)
