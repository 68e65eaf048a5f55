"""A commune's first month on seed 000 (Vĩnh Thông): every view must give the same hand-computed figures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from reminders.messages import reminder_outgoing
from storage.db import Database
from storage.models import ActivityLog
from tests.audit_support import (
    BANCHANG,
    BICH,
    CAX,
    COMMUNE,
    DEC_BY_VILLAGE,
    DEC_TOTAL,
    DONE,
    DUNG,
    GROUP_NOTES,
    HCC,
    HOA,
    HUNG,
    JAN_TOTAL,
    LANG,
    LATEST,
    LEAD,
    NAHIN,
    NAM,
    NOV_TOTAL,
    OVERDUE,
    PKT,
    SON,
    TASK1_UNITS,
    TUNG,
    TYT,
    UNITS,
    VERDICT,
    VERDICT_COUNTS,
    VHXH,
    VI_VERDICT,
    VILLAGES,
    Run,
    dashboard_summary,
    january_and_late,
    join_all,
    owing,
    preview_at,
    setup_commune,
    tg_report,
    zt,
)
from tests.fakes.zalo_api import text_update
from tests.first_month_support import Tg, at, cli, docx_text, sheet, summary_counts
from tests.zalo_harness import ZaloHarness


async def _logs(both: ZaloHarness, tg: Tg) -> None:
    """December's village logs (data window 15/11–14/12) and what must not count."""
    both.now = at("2026-12-10T09:00+07:00")
    sent = await both.say(BICH, "hôm nay hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC")
    assert "ngày 10/12/2026" in zt(sent) and "VNeID): 12" in zt(sent) and "trực tuyến: 3" in zt(sent)
    assert "Đã lưu" in zt(await both.say(BICH, "1"))
    # the same text again by mistake: she cancels at the confirmation; the platform then redelivers it
    dup = text_update(BICH, "hôm nay hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC", msg_id="dupdupdup01")
    assert "ngày 10/12/2026" in zt(await both.push(dup))
    assert "Không có gì được lưu" in zt(await both.say(BICH, "3"))
    await both.push(dup, expect=0)  # a redelivered update is ignored
    # "hai chục" = 20, "mười lăm" = 15; corrected at the confirmation to 21
    both.now = at("2026-12-10T09:10+07:00")
    sent = await tg.say(HUNG, "hỗ trợ hai chục người cài VNeID và mười lăm hộ")
    assert "VNeID): 20" in sent[0].text and "hỗ trợ: 15" in sent[0].text
    await tg.tap(HUNG, "fix")
    await tg.tap(HUNG, "vneid")
    await tg.say(HUNG, "hai mươi mốt")
    sent = await tg.tap(HUNG, "done")
    assert "VNeID): 21" in sent[0].text and "hỗ trợ: 15" in sent[0].text
    assert "Đã lưu" in (await tg.tap(HUNG, "ok"))[0].text
    fwd = tg.fake.message(HUNG, "hỗ trợ 30 người cài VNeID")  # forwarded: someone else's work
    fwd["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Ai đó", "date": 1765000000}
    assert "chuyển tiếp" in (await tg.push(fwd))[0].text
    await tg.say(HUNG, "hỗ trợ 9 người cài VNeID")  # started, then cancelled with /huy
    assert "Không có gì được lưu" in (await tg.say(HUNG, "/huy"))[0].text
    edited = tg.fake.edited_message(HUNG, "hỗ trợ 50 người cài VNeID", message_id=1)
    assert "chỉnh sửa" in (await tg.push(edited))[0].text
    # a late log dated back to November (window 15/10–14/11): November's figure, not December's
    both.now = at("2026-12-11T08:00+07:00")
    assert "ngày 12/11/2026" in zt(await both.say(TUNG, "ngày 12/11 hỗ trợ 7 người kích hoạt VNeID"))
    await both.say(TUNG, "1")
    # /nhatky: entry 2 (VNeID 12) corrected to 10
    both.now = at("2026-12-12T08:00+07:00")
    sent = await both.say(BICH, "/nhatky")
    assert "2. 10/12/2026 — Kích hoạt định danh điện tử (VNeID): 12" in zt(sent)
    await both.say(BICH, "2")
    assert "VNeID): 12 → 10" in zt(await both.say(BICH, "10"))
    await both.say(BICH, "xong")
    # thousands separator
    both.now = at("2026-12-13T15:00+07:00")
    assert "Tuyên truyền: 1.200" in zt(await both.say(BICH, "tuyên truyền qua loa phát thanh cho 1.200 người"))
    await both.say(BICH, "1")
    # the data window's last minute (local time) and the first minute of the next window (17:01 UTC on 14/12)
    both.now = at("2026-12-14T23:59+07:00")
    assert "ngày 14/12/2026" in (await tg.say(HUNG, "hỗ trợ 3 người cài VNeID"))[0].text
    await tg.tap(HUNG, "ok")
    both.now = at("2026-12-15T00:01+07:00")
    assert "ngày 15/12/2026" in zt(await both.say(BICH, "hỗ trợ 5 người cài VNeID"))
    await both.say(BICH, "1")
    sent = await both.say(BICH, "/nhatky")  # December's list (15/11–14/12): the 15/12 entry is January's
    assert "Tuyên truyền: 1.200" in zt(sent) and "15/12/2026 —" not in zt(sent)
    assert ("1 nội dung mới hơn, từ ngày 15/12/2026, được tính vào tháng 1/2027; bạn xem và sửa được các nội dung "
            "đó tại đây từ ngày 20/12/2026.") in zt(sent)
    await both.say(BICH, "xong")


async def _reports(both: ZaloHarness, tg: Tg) -> None:
    """Unit reports: HCC on 15/12, PKT at 19/12 23:59 (on time, Zalo), CAX at 20/12 00:01 (late); VHXH and TYT
    never. The eve-of-deadline reminders go to those who still owe, and only them."""
    both.now = at("2026-12-15T09:00+07:00")
    sent = await tg_report(tg, HOA, ["2", "hoàn thành", "95", "90", "100", "tám mươi", "1.000", "98", "99,5",
                                      "100", "chín mươi", "85%", "70"], "Thiếu máy quét tài liệu", "Không có")
    assert sent == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!"
    both.now = at("2026-12-17T10:00+07:00")  # an amendment before the deadline: indicator 15 was 96, not 70
    sent = await tg_report(tg, HOA, ["2", "hoàn thành", "95", "90", "100", "tám mươi", "98", "99,5", "100",
                                      "chín mươi", "85%", "chín mươi sáu"], "Thiếu máy quét tài liệu", "Không có")
    assert sent == ("Báo cáo tháng 12/2026 đã sửa sẽ thay thế báo cáo gửi trước đó (lần gửi thứ 2) và được tính là "
                    "đúng hạn. Cảm ơn bạn."), sent
    # Bản Chang logs today's work on 17/12: it counts for January, so Bản Chang still owes December
    assert "ngày 17/12/2026" in zt(await both.say(DUNG, "hỗ trợ 4 người cài VNeID"))
    await both.say(DUNG, "1")
    sent = await both.say(DUNG, "/nhatky")
    assert zt(sent) == ("Bạn chưa có nội dung nhật ký hoạt động nào trong tháng 12/2026.\n1 nội dung mới hơn, từ ngày 15/12/2026, "
                        "được tính vào tháng 1/2027; bạn xem và sửa được các nội dung đó tại đây từ ngày 20/12/2026."), zt(sent)
    eve = await preview_at(both, "2026-12-18T08:00+07:00")  # Friday: the officers' last working day
    assert owing(eve) == {("unit_monthly", CAX, "Triệu Văn Sơn"), ("unit_monthly", PKT, "Lý Văn Nam"),
                           ("unit_monthly", VHXH, "Hoàng Văn Thái"), ("unit_monthly", TYT, "Ma Thị Lan"),
                           ("village_monthly", BANCHANG, "Nông Văn Dũng"), ("village_monthly", NAHIN, "Hà Văn Tùng")}
    # from the 15th a log of today's work counts for January: the villages' reminder says which days count; the last
    # day is Saturday 19/12 and the village stream reminds at weekends, so Friday's reminder (worded at the sweep's
    # moment, whatever the clock says) says tomorrow is the last day
    assert both.bot is not None
    days = "\nChỉ các hoạt động từ ngày 15/11/2026 đến ngày 14/12/2026 được tính vào " \
           "tháng 12/2026: nếu ghi bù bây giờ, bạn ghi rõ ngày, ví dụ “ngày 14/12 hỗ trợ 5 người cài VNeID”."
    text = reminder_outgoing(next(p for p in eve if p.unit == BANCHANG), both.bot.services, at("2026-12-18T08:00+07:00")).text
    assert text == ("Nhắc việc: nhật ký hoạt động của Tổ công nghệ số cộng đồng tháng 12/2026, hạn nộp trước ngày "
                    "20/12/2026 — ngày mai là ngày cuối cùng." + days), text
    text = reminder_outgoing(next(p for p in eve if p.unit == PKT), both.bot.services, at("2026-12-18T08:00+07:00")).text
    assert text.endswith("hôm nay là ngày làm việc cuối cùng trước hạn."), text  # officers: not at weekends
    sat = await preview_at(both, "2026-12-19T08:00+07:00")  # Saturday, the last day: the village teams only
    assert {(p.stage, p.stream, p.unit) for p in sat} == {("last_day", "village_monthly", BANCHANG),
                                                           ("last_day", "village_monthly", NAHIN)}
    text = reminder_outgoing(next(p for p in sat if p.unit == BANCHANG), both.bot.services, at("2026-12-19T08:00+07:00")).text
    assert text == ("Hôm nay là ngày cuối cùng để nộp nhật ký hoạt động của Tổ công nghệ số cộng đồng tháng 12/2026 "
                    "(trước ngày 20/12/2026)." + days), text
    both.now = at("2026-12-19T23:59+07:00")
    assert "(1/7)" in zt(await both.say(NAM, "/baocao", expect=2))
    for a in ["3", "đang thực hiện", "4", "hoàn thành", "chưa triển khai", "100", "60", "Thiếu kinh phí",
              "Đề nghị hỗ trợ kinh phí"]:
        await both.say(NAM, a)
    assert "gửi đúng hạn" in zt(await both.say(NAM, "1"))
    both.now = at("2026-12-20T00:01+07:00")  # 19/12 17:01 UTC, one minute after the deadline
    sent = await tg_report(tg, SON, ["hoàn thành", "đang thực hiện", "80", "bảy mươi lăm", "tám mươi lăm phẩy năm"],
                            "không", "không có", pick="2026-12")
    assert "sau hạn" in sent and "nộp muộn" in sent
    digest = await preview_at(both, "2026-12-21T08:00+07:00")
    assert owing(digest) == {("unit_monthly", VHXH, "Hoàng Văn Thái"), ("unit_monthly", TYT, "Ma Thị Lan"),
                              ("village_monthly", BANCHANG, "Nông Văn Dũng"),
                              ("village_monthly", NAHIN, "Hà Văn Tùng")}
    lead = {p.stream: (p.person, p.missing, p.late, p.unreachable) for p in digest if p.stage == "digest"}
    assert lead["unit_monthly"] == ("Hoàng Văn Thái", (VHXH, TYT), (CAX,), ("Ma Thị Lan",))  # Lan never joined
    assert lead["village_monthly"] == ("Hoàng Văn Thái", (BANCHANG, NAHIN), (), ())
    # 21/12: the lead compiles December for the People's Committee (due before the 22nd) with a bare /xuat
    assert {(p.stream, p.period) for p in digest if p.stream == "lead_monthly"} == {("lead_monthly", "2026-12")}
    both.now = at("2026-12-21T10:00+07:00")
    xlsx, _docx, mark = await tg.say(LEAD, "/xuat", expect=3)
    assert xlsx.document_name == "bao-cao-cds-2026-12.xlsx" and mark.callback_data == ["leadsent:2026-12"]
    summary = {r[0]: r[1] for r in sheet(xlsx.document_bytes, "Tổng hợp", 1) if r[0]}
    assert (summary["Mã kỳ"], summary["Kỳ báo cáo"]) == ("2026-12", "tháng 12/2026")
    await tg.tap(LEAD, "leadsent:2026-12")
    assert not [p for p in await preview_at(both, "2026-12-21T16:00+07:00") if p.stream == "lead_monthly"]


async def _chat_answers(tg: Tg) -> None:
    """The lead's commands and questions in words, for December, on 22/12."""
    text = (await tg.say(LEAD, "/tinhtrang tháng 12"))[0].text
    assert "Báo cáo của các đơn vị: 3/5 đã báo cáo — 2 đúng hạn, 1 trễ hạn, 0 bị trả lại, 2 chưa báo cáo" in text
    assert "Các Tổ công nghệ số cộng đồng: 2/3 đã báo cáo — 1 đúng hạn, 1 trễ hạn, 0 bị trả lại, 1 chưa báo cáo" in text
    for line in ("Tuyên truyền: 1.200 (0)", "Kích hoạt định danh điện tử (VNeID): 40 (7)",
                 "Hộ gia đình được đến hỗ trợ: 15 (0)", "Hồ sơ dịch vụ công trực tuyến: 5 (0)"):
        assert line in text, (line, text)
    assert (await tg.tap(LEAD, "units"))[0].text == f"Chưa báo cáo (2):\n• {VHXH}\n• {TYT}"  # the drill-down
    await tg.say(LEAD, "/tinhtrang tháng 12")
    assert (await tg.tap(LEAD, "villages"))[0].text == f"Chưa báo cáo (1):\n• {BANCHANG}"
    text = (await tg.say(LEAD, "/chitieu tháng 12"))[0].text
    assert text.startswith("Chỉ tiêu tính đến tháng 12/2026: 5 chậm tiến độ; 3 có nguy cơ chậm; 6 chưa có số liệu; "
                           "3 đạt, đúng tiến độ."), text
    assert "15. Tỷ lệ thanh toán trực tuyến trong giải quyết thủ tục hành chính, dịch…: 96% / 100% (có nguy cơ chậm)" in text
    assert "17. Cấp tài khoản định danh điện tử (VNeID) cho công dân có đủ điều kiện.: 85,5% / 100% (chậm tiến độ)" in text
    assert "10. Hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa: 98% / 100% (có nguy cơ chậm)" in text
    # owed by the 5 offices: the worst-off unit's answer, who it is, how many answered, who did not
    lines = text.splitlines()
    at4 = next(n for n, line in enumerate(lines) if line.startswith("🔴 4. "))
    assert lines[at4].endswith(f": 80% (thấp nhất: {CAX}; 3/5 đơn vị) / 100% (chậm tiến độ)"), lines[at4]
    assert lines[at4 + 2] == f"   Chưa báo cáo: {VHXH}, {TYT}", lines[at4:at4 + 3]
    assert any(line.startswith("🔴 6. ") and line.endswith(f": 60% (thấp nhất: {PKT}; 3/5 đơn vị) / 100% (chậm tiến độ)")
               for line in lines), text
    text = (await tg.say(LEAD, "/quahan tháng 12"))[0].text
    assert text.startswith("🔴 5 nhiệm vụ đã quá hạn mà chưa hoàn thành:")  # task 1: not done by every office
    assert [line.split(".")[0].lstrip("• ") for line in text.splitlines()[1:]] == OVERDUE
    assert text.splitlines()[1].endswith(f" — {TASK1_UNITS}"), text
    text = (await tg.say(LEAD, "chỉ tiêu 4 tháng 12"))[0].text  # the indicator detailed: who has not reported
    assert f"Chưa báo cáo: {VHXH}, {TYT}" in text.splitlines(), text
    text = (await tg.say(LEAD, "thôn nào chưa báo cáo tháng 12?"))[0].text
    assert text == f"Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 12/2026 (1/3): {BANCHANG}"
    text = (await tg.say(LEAD, "đơn vị nào chưa báo cáo tháng 12"))[0].text
    assert text == f"Các đơn vị chưa báo cáo tháng 12/2026 (2/5): {VHXH}, {TYT}"
    text = (await tg.say(LEAD, "tháng 12 được bao nhiêu người kích hoạt vneid"))[0].text
    assert text == ("Hoạt động của Vĩnh Thông, tháng 12/2026:\n• Kích hoạt định danh điện tử (VNeID): 40\n"
                    f"Theo thôn: {LANG} 34, {NAHIN} 6")
    # "hồ sơ" is not "hộ" (households), and different activities are never added up per village
    text = (await tg.say(LEAD, "tháng 12 được bao nhiêu hồ sơ dvc"))[0].text
    assert text == ("Hoạt động của Vĩnh Thông, tháng 12/2026:\n• Hồ sơ dịch vụ công trực tuyến: 5\n"
                    f"Theo thôn: {LANG} 3, {NAHIN} 2")
    text = (await tg.say(LEAD, "tháng 12 được bao nhiêu hộ và hồ sơ dvc"))[0].text
    assert "• Hộ gia đình được đến hỗ trợ: 15" in text and "• Hồ sơ dịch vụ công trực tuyến: 5" in text
    assert (f"Theo thôn: {LANG} (Hộ gia đình được đến hỗ trợ 15; Hồ sơ dịch vụ công trực tuyến 3), "
            f"{NAHIN} (Hộ gia đình được đến hỗ trợ 0; Hồ sơ dịch vụ công trực tuyến 2)") in text, text
    text = (await tg.say(LEAD, "tháng 12 xóm làng mới bao nhiêu vneid"))[0].text
    assert text == f"Hoạt động của {LANG}, tháng 12/2026:\n• Kích hoạt định danh điện tử (VNeID): 34"
    text = (await tg.say(LEAD, "công an xã báo cáo tháng 12 thế nào"))[0].text  # values with their unit, as /chitieu
    assert text.startswith(f"Báo cáo tháng 12/2026 của {CAX} (trễ hạn):"), text
    assert [line.rsplit(": ", 1)[1] for line in text.splitlines()[1:]] == [
        "Hoàn thành", "Đang thực hiện", "80%", "75%", "85,5%"], text
    text = (await tg.say(LEAD, "tháng 12 đơn vị nào nộp muộn"))[0].text
    assert text == f"Các đơn vị báo cáo trễ hạn tháng 12/2026: {CAX}"
    text = (await tg.say(LEAD, "nhiệm vụ nào quá hạn"))[0].text
    assert [line.split(".")[0].lstrip("• ") for line in text.splitlines()[1:]] == OVERDUE
    # compared with November, and longer periods: each the sum of its months' data windows (Q4 and the year 2026
    # end on 14/12, so January's logs from 15/12 are not in them)
    text = (await tg.say(LEAD, "tháng 12 được bao nhiêu người kích hoạt vneid so với tháng trước"))[0].text
    assert "• Kích hoạt định danh điện tử (VNeID): 40 (kỳ so sánh: 7)" in text, text
    for asked, shown in (("quý 4", "quý IV/2026"), ("năm nay", "năm 2026"), ("6 tháng cuối năm", "6 tháng cuối năm 2026")):
        text = (await tg.say(LEAD, f"{asked} được bao nhiêu người kích hoạt vneid"))[0].text
        assert text == (f"Hoạt động của Vĩnh Thông, {shown}:\n• Kích hoạt định danh điện tử (VNeID): 47\n"
                        f"Theo thôn: {LANG} 34, {NAHIN} 13"), text
    text = (await tg.say(LEAD, "xóm nà hin tháng 11 bao nhiêu vneid"))[0].text
    assert text == f"Hoạt động của {NAHIN}, tháng 11/2026:\n• Kích hoạt định danh điện tử (VNeID): 7"
    text = (await tg.say(LEAD, "hoạt động theo thôn tháng 12"))[0].text
    assert (f"• {LANG}: Hồ sơ dịch vụ công trực tuyến 3, Hộ gia đình được đến hỗ trợ 15, Tuyên truyền 1.200, "
            "Kích hoạt định danh điện tử (VNeID) 34") in text
    assert f"• {NAHIN}: Hồ sơ dịch vụ công trực tuyến 2, Kích hoạt định danh điện tử (VNeID) 6" in text


async def _exports(tg: Tg, r: Run, tmp_path: Path) -> None:
    """/xuat tháng 12: the xlsx and the docx carry the same figures; `cdsbot export` writes the same workbook."""
    xlsx, docx, _mark = await tg.say(LEAD, "/xuat tháng 12", expect=3)
    wb = xlsx.document_bytes
    out = tmp_path / "export.xlsx"
    await cli(r.monkeypatch, r.capsys, r.db_url, "export", "--commune", COMMUNE, "--period", "2026-12", "--at",
              r.both.now.isoformat(), "--format", "xlsx", "--out", str(out))
    for name in ("Tổng hợp", "Báo cáo đơn vị", "Nhiệm vụ", "Chỉ tiêu", "Hoạt động thôn", "Chưa báo cáo"):
        assert sheet(out.read_bytes(), name) == sheet(wb, name), name
    for when, key in (("2026-12-21T10:00+07:00", "2026-12"), ("2026-12-22T00:00+07:00", "2027-01")):  # as /xuat
        await cli(r.monkeypatch, r.capsys, r.db_url, "export", "--commune", COMMUNE, "--at", when, "--format", "xlsx",
                  "--out", str(out))
        assert {row[0]: row[1] for row in sheet(out.read_bytes(), "Tổng hợp", 1)}["Mã kỳ"] == key, when
    counts = summary_counts(wb)
    unit_row = counts["Báo cáo của các cơ quan, đơn vị"]
    village_row = counts["Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn"]
    for row, want in ((unit_row, UNITS), (village_row, VILLAGES)):
        assert [row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo")] == [
            want["expected"], want["submitted"], want["on_time"], want["late"], len(want["missing"])]
    summary = {r[0]: r for r in sheet(wb, "Tổng hợp", 1) if r[0]}
    assert {code: summary[label][2:4] for label, code in (
        ("Kích hoạt định danh điện tử (VNeID)", "vneid"), ("Hồ sơ dịch vụ công trực tuyến", "dvc"),
        ("Tuyên truyền", "outreach"), ("Hộ gia đình được đến hỗ trợ", "households"))} == {
        c: (n, NOV_TOTAL.get(c, 0)) for c, n in DEC_TOTAL.items()}
    assert [summary[k][1] for k in ("Tổng số nhiệm vụ", "Nhiệm vụ đã hoàn thành", "Nhiệm vụ quá hạn",
                                    "Tổng số chỉ tiêu", "Chỉ tiêu: đạt, đúng tiến độ", "Chỉ tiêu: có nguy cơ chậm",
                                    "Chỉ tiêu: chậm tiến độ", "Chỉ tiêu: chưa có số liệu")] == [
        12, len(DONE), len(OVERDUE), 17, *(VERDICT_COUNTS[k] for k in ("on_track", "at_risk", "off_track", "no_data"))]
    activity = {(r[0], r[2]): (r[3], r[4]) for r in sheet(wb, "Hoạt động thôn")}
    assert activity == {(v, c): (n, 7 if (v, c) == (NAHIN, "vneid") else 0)
                        for v, kinds in DEC_BY_VILLAGE.items() for c, n in kinds.items()}
    tasks = {r[1]: r for r in sheet(wb, "Nhiệm vụ")}
    assert sorted((c for c, r in tasks.items() if r[8] == "Có"), key=int) == OVERDUE
    assert sorted((c for c, r in tasks.items() if r[6] == "Hoàn thành"), key=int) == DONE
    assert {c: r[11] for c, r in tasks.items() if r[11]} == {"1": TASK1_UNITS}
    assert tasks["1"][6] == "Đang thực hiện"
    indicators = {r[1]: r for r in sheet(wb, "Chỉ tiêu")}
    assert {c: r[6] for c, r in indicators.items() if r[6] is not None} == LATEST
    assert {c: r[9] for c, r in indicators.items()} == {c: VI_VERDICT[v][0].upper() + VI_VERDICT[v][1:]
                                                        for c, v in VERDICT.items()}
    assert {c: r[12] for c, r in indicators.items() if r[12]} == GROUP_NOTES
    assert {r[1] for r in sheet(wb, "Chưa báo cáo")} == {VHXH, TYT, BANCHANG}
    states = {r[0]: r[3] for r in sheet(wb, "Báo cáo đơn vị")}
    assert states == {CAX: "Trễ hạn", PKT: "Đúng hạn", HCC: "Đúng hạn"}
    assert {r[0]: r[4] for r in sheet(wb, "Báo cáo đơn vị")} == {CAX: 1, PKT: 1, HCC: 2}  # HCC amended once
    lines = docx_text(docx.document_bytes).splitlines()
    for line in (f"- Báo cáo của các cơ quan, đơn vị: 3/5 đơn vị đã gửi (2 đúng hạn, 1 trễ hạn); chưa báo cáo: "
                 f"{VHXH}, {TYT}.",
                 f"- Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn: 2/3 thôn đã cập nhật (1 đúng hạn, 1 trễ "
                 f"hạn); chưa báo cáo: {BANCHANG}.",
                 f"- {LANG}: Kích hoạt định danh điện tử (VNeID) 34; Hồ sơ dịch vụ công trực tuyến 3; Tuyên truyền "
                 "1.200; Hộ gia đình được đến hỗ trợ 15.",
                 f"- {NAHIN}: Kích hoạt định danh điện tử (VNeID) 6; Hồ sơ dịch vụ công trực tuyến 2.",
                 "Tổng số 12 nhiệm vụ: 2 hoàn thành, 3 đang thực hiện, 1 chậm, vướng mắc, 1 chưa triển khai, "
                 "5 chưa có báo cáo; 5 nhiệm vụ quá hạn.",
                 "Tổng số 17 chỉ tiêu: 3 đạt, đúng tiến độ; 3 có nguy cơ chậm; 5 chậm tiến độ; 6 chưa có số liệu.",
                 "+ Chỉ tiêu 15. Tỷ lệ thanh toán trực tuyến trong giải quyết thủ tục hành chính, dịch vụ công: 96% "
                 "(chỉ tiêu: 100%); có nguy cơ chậm.",
                 "+ Chỉ tiêu 17. Cấp tài khoản định danh điện tử (VNeID) cho công dân có đủ điều kiện: 85,5% "
                 "(chỉ tiêu: 100%); chậm tiến độ."):
        assert line in lines, line
    assert [line for line in lines if line.startswith("- Nhiệm vụ 1. ")] == [  # among the overdue, and where it stands
        "- Nhiệm vụ 1. Rà soát, nâng cấp và bảo đảm điều kiện tối thiểu phục vụ chuyển đổi số: (1) Đường truyền và "
        "kết nối mạng ổn định, chữ ký số cá nhân; (2) Trang bị máy tính cấu hình tối thiểu và thiết bị làm việc thiết "
        "yếu; (3) Bố trí cán bộ phụ trách công nghệ thông tin, chuyển đổi số phù hợp với khối lượng công việc (Các cơ "
        f"quan, đơn vị; thời hạn: Quý II năm 2026; {TASK1_UNITS})."]
    cells = "\n".join(lines)  # the activity table: kind, this period, the previous one, the change
    for label, code in (("Kích hoạt định danh điện tử (VNeID)", "vneid"), ("Hồ sơ dịch vụ công trực tuyến", "dvc"),
                        ("Tuyên truyền", "outreach"), ("Hộ gia đình được đến hỗ trợ", "households")):
        now, before = DEC_TOTAL[code], NOV_TOTAL.get(code, 0)
        assert f"\n{label}\n{now:,}\n{before}\ntăng {now - before:,}\n".replace(",", ".") in cells, label


async def _dashboard_and_status(r: Run) -> None:
    dash = await dashboard_summary(r.both, r.aiohttp_client, "2026-12")
    streams = {s["name"]: s for s in dash["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: streams[name][k] for k in want} == want, name
    assert {u["name"]: u["state"] for u in streams["unit_monthly"]["units"]} == {
        CAX: "late", PKT: "on_time", HCC: "on_time", VHXH: "missing", TYT: "missing"}
    assert {u["name"]: u["state"] for u in streams["village_monthly"]["units"]} == {
        LANG: "on_time", NAHIN: "late", BANCHANG: "missing"}
    assert dash["indicators"]["counts"] == VERDICT_COUNTS
    items = {i["code"]: i for i in dash["indicators"]["items"]}
    assert {c: i["status"] for c, i in items.items()} == VERDICT
    assert {c: i["latest_value"] for c, i in items.items() if i["latest_value"] is not None} == LATEST
    assert {a["code"]: (a["count"], a["previous"]) for a in dash["activities"]["total"]} == {
        c: (n, NOV_TOTAL.get(c, 0)) for c, n in DEC_TOTAL.items()}
    assert {(a["village"], a["code"]): a["count"] for a in dash["activities"]["by_village"] if a["count"]} == {
        (v, c): n for v, kinds in DEC_BY_VILLAGE.items() for c, n in kinds.items()}
    assert (dash["tasks"]["total"], dash["tasks"]["done"], dash["tasks"]["overdue"]) == (12, len(DONE), len(OVERDUE))
    assert [t["code"] for t in dash["overdue_tasks"]] == OVERDUE
    assert {t["code"]: t["units"] for t in dash["overdue_tasks"] if t["units"]} == {"1": {"owed": 5, "done": 2}}
    assert {c: (i["units"]["worst"], i["units"]["reported"], i["units"]["owed"], i["units"]["missing"])
            for c, i in items.items() if i["units"]} == {c: (w, 3, 5, [VHXH, TYT]) for c, w in (("4", CAX), ("6", PKT))}
    assert {x["unit"]: (x["state"], x["revision"]) for x in dash["reports"]} == {
        CAX: ("late", 1), PKT: ("on_time", 1), HCC: ("on_time", 2)}
    st = json.loads(await cli(r.monkeypatch, r.capsys, r.db_url, "status", "--commune", COMMUNE, "--period",
                              "2026-12", "--at", r.both.now.isoformat(), "--json"))
    assert st["activities"] == {"total": DEC_TOTAL, "by_unit": DEC_BY_VILLAGE}
    got = {s["name"]: s for s in st["streams"]}
    for name, want in (("unit_monthly", UNITS), ("village_monthly", VILLAGES)):
        assert {k: got[name][k] for k in want} == want, name
    assert {x["unit"]: x["state"] for x in st["reports"]} == {CAX: "late", PKT: "on_time", HCC: "on_time"}
    # January (window 15/12–14/1), the open period on 22/12: only the logs from 15/12 00:01 local on
    jan = json.loads(await cli(r.monkeypatch, r.capsys, r.db_url, "status", "--commune", COMMUNE, "--period",
                               "2027-01", "--at", r.both.now.isoformat(), "--json"))
    assert jan["activities"]["total"] == JAN_TOTAL
    text = (await r.tg.say(LEAD, "/tinhtrang"))[0].text
    assert text.startswith("Tình hình báo cáo tháng 1/2027")
    assert "Các Tổ công nghệ số cộng đồng: 2/3 đã báo cáo — 2 đúng hạn" in text  # Làng Mới and Bản Chang
    for line in ("Kích hoạt định danh điện tử (VNeID): 9 (40)", "Hồ sơ sức khỏe điện tử: 4 (0)",
                 "Hồ sơ dịch vụ công trực tuyến: 2 (5)", "Tuyên truyền: 0 (1.200)"):
        assert line in text, (line, text)
    text = (await r.tg.say(HUNG, "thôn mình tháng 12 được bao nhiêu"))[0].text  # a member: own village only
    assert text == (f"Hoạt động của {LANG}, tháng 12/2026:\n• Tuyên truyền: 1.200\n"
                    "• Kích hoạt định danh điện tử (VNeID): 34\n• Hộ gia đình được đến hỗ trợ: 15\n"
                    "• Hồ sơ dịch vụ công trực tuyến: 3")
    text = zt(await r.both.say(DUNG, "/hanbaocao"))  # Bản Chang owes December (overdue); January's log arrived
    assert "tháng 12/2026: đã quá hạn" in text and "tháng 1/2027: đã nhận" in text
    out = await cli(r.monkeypatch, r.capsys, r.db_url, "status", "--commune", COMMUNE, "--period", "2026-12",
                    "--at", r.both.now.isoformat())
    assert out.splitlines() == [
        f"unit_monthly 2026-12: 3/5 reported (2 on time, 1 late); missing: {VHXH}, {TYT}",
        f"village_monthly 2026-12: 2/3 reported (1 on time, 1 late); missing: {BANCHANG}",
        "activities: dvc=5, households=15, outreach=1200, vneid=40"], out
    dash = await dashboard_summary(r.both, r.aiohttp_client, "2027-01")
    assert {a["code"]: a["count"] for a in dash["activities"]["total"] if a["count"]} == JAN_TOTAL


async def test_audit_first_month(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: Any, aiohttp_client: Any) -> None:
    """Village logs in varied plain Vietnamese on Zalo and Telegram (words, "chục", "1.200", corrections, /nhatky
    edits, cancel, duplicates, forwarded and edited messages, logs dated back, both sides of the data window's last
    minute), unit reports on time, amended and one minute late, and the lead office's answers: the same fact has
    the same number in /tinhtrang, /chitieu, /quahan, questions in words, the dashboard JSON, the xlsx and docx
    exports, the reminders (who still owes — only those) and `cdsbot status`."""
    tg = Tg(both)
    codes = await setup_commune(monkeypatch, capsys, db_url, tmp_path)
    await join_all(both, tg, db, codes)
    await _logs(both, tg)
    await _reports(both, tg)
    await january_and_late(both, tg)
    async with db.session() as s:  # the stored rows themselves, by data window
        rows = (await s.exec(select(ActivityLog.on_date, ActivityLog.activity, ActivityLog.count))).all()
    for start, end, want in ((date(2026, 11, 15), date(2026, 12, 14), DEC_TOTAL),
                             (date(2026, 10, 15), date(2026, 11, 14), NOV_TOTAL),
                             (date(2026, 12, 15), date(2027, 1, 14), JAN_TOTAL)):
        got: dict[str, int] = {}
        for on, kind, n in rows:
            if start <= on <= end:
                got[kind] = got.get(kind, 0) + n
        assert got == want, (start, got)
    both.now = at("2026-12-22T14:00+07:00")
    await _chat_answers(tg)
    run = Run(both, tg, db_url, monkeypatch, capsys, aiohttp_client)
    await _exports(tg, run, tmp_path)
    await _dashboard_and_status(run)
