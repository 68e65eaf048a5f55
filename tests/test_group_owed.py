"""What one office owes of its groups' items ("Các cơ quan, đơn vị"), and a group's item nobody answered yet: the
officer reports them, reminders count them until that office has answered, the lead office reads each office's
own answer and "0/2 đơn vị" where no unit has answered — in chat, the xlsx, the docx and the dashboard JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from tests.audit_support import (
    COMMUNE,
    dashboard_summary,
    import_commune,
    join_tg,
    join_zalo,
    owing,
    preview_at,
    tg_report,
)
from tests.first_month_support import Tg, at, docx_text, sheet
from tests.zalo_harness import ZaloHarness, texts

VHXH, PKT, CAX = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã"
THCS, TH = "Trường THCS Vĩnh Thông", "Trường Tiểu học Vĩnh Thông"
LEAD, NAM, THU = 6501, 6502, 6503  # Telegram
SON = "7c1b2c3d4e5f60718301"  # Zalo
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0915000001,lead
{PKT},office,,Lý Văn Nam,0915000002,officer
{CAX},office,,Triệu Văn Sơn,0915000003,officer
{THCS},office,,Nông Thị Thu,0915000004,officer
{TH},office,,Hà Văn Đức,0915000005,officer
"""
PLAN = """KẾ HOẠCH
Chuyển đổi số xã Vĩnh Thông năm 2026

Phụ lục I: Các chỉ tiêu năm 2026

TT\tMục tiêu, nhiệm vụ, giải pháp\tNăm 2026\tCơ quan chủ trì\tCơ quan thực hiện/phối hợp
1\tTỷ lệ cán bộ có chữ ký số cá nhân\t100%\tCác cơ quan, đơn vị\t
2\tTỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\t≥80%\tPhòng Kinh tế\t
3\tTỷ lệ học sinh có tài khoản học tập số\t100%\tCác trường học trên địa bàn\t

Phụ lục II: Danh mục các nhiệm vụ

STT\tTên nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện
1\tRà soát trang thiết bị phục vụ chuyển đổi số\tCác cơ quan, đơn vị\t\tQuý III năm 2026
2\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý III năm 2026
3\tTriển khai sổ điểm điện tử\tCác trường học trên địa bàn\t\tQuý III năm 2026
"""


async def _setup(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    return (await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, PLAN, ((PKT, "officer"), (CAX, "officer"), (THCS, "officer"), (VHXH, "lead"),),
                                 uses=2)).codes


async def test_each_office_owes_its_groups_items(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys: Any,
                                                 aiohttp_client: Any) -> None:
    """Công an xã chairs nothing by name: it owes task 1 and indicator 1 as one of "Các cơ quan, đơn vị". Its
    officer (Zalo) reports them; Phòng Kinh tế (Telegram) reports its own items and the group's; the schools'
    task 3 and indicator 3 are answered by no school. Before, the lead asking for Công an xã's tasks read
    "chairs no task", and task 3 read "Chưa báo cáo" with no count of the schools owing it."""
    tg = Tg(both)
    codes = await _setup(monkeypatch, capsys, db_url, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((NAM, PKT, "Lý Văn Nam"), (THU, THCS, "Nông Thị Thu"), (LEAD, VHXH, "Hoàng Văn Thái")):
        await join_tg(tg, user, codes[unit], typed)
    await join_zalo(both, SON, codes[CAX], "Triệu Văn Sơn")

    # the group's items are Công an xã's to report: /baocao walks task 1 and indicator 1
    both.now = at("2026-12-14T09:00+07:00")
    sent = texts(await both.say(SON, "/baocao", expect=2))
    assert "Có 2 nội dung cần trả lời" in sent and "Rà soát trang thiết bị" in sent, sent
    await both.say(SON, "/huy")
    # reminders: every office of the group owes December until it has answered, the schools owe theirs
    eve = await preview_at(both, "2026-12-18T08:00+07:00")
    assert {(s, u) for s, u, _p in owing(eve) if s == "unit_monthly"} == {
        ("unit_monthly", CAX), ("unit_monthly", PKT), ("unit_monthly", VHXH), ("unit_monthly", THCS),
        ("unit_monthly", TH)}

    both.now = at("2026-12-15T09:00+07:00")  # PKT: task 1, task 2, indicator 1, indicator 2
    assert "gửi" in await tg_report(tg, NAM, ["đang thực hiện", "hoàn thành", "70", "85"], "không", "không")
    both.now = at("2026-12-16T09:00+07:00")  # CAX on Zalo: task 1, indicator 1
    sent = texts(await both.say(SON, "/baocao", expect=2))
    assert "Có 2 nội dung cần trả lời" in sent, sent
    for answer in ("hoàn thành", "95", "không", "không"):
        sent = texts(await both.say(SON, answer))
    assert "gửi" in texts(await both.say(SON, "1")), sent
    eve = await preview_at(both, "2026-12-18T08:00+07:00")  # Công an xã has answered: no longer reminded
    assert {u for s, u, _p in owing(eve) if s == "unit_monthly"} == {VHXH, THCS, TH}
    # its officer asks what the office owes: the group's task, with its own answer and the group's count
    sent = texts(await both.say(SON, "đơn vị mình có những nhiệm vụ gì?"))
    assert sent.splitlines() == [
        f"Nhiệm vụ do {CAX} chủ trì (1):",
        "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Hoàn thành — 1/3 đơn vị hoàn thành"], sent
    text = (await tg.say(NAM, "nhiệm vụ của phòng mình?"))[0].text
    assert text.splitlines()[1:] == [  # due in the third quarter, its part not done: ⚠️
        "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Đang thực hiện — 1/3 đơn vị hoàn thành ⚠️",
        "• 2. Xây dựng chợ số — Hoàn thành"], text
    text = (await tg.say(NAM, f"{CAX} có những nhiệm vụ gì?"))[0].text  # another office's: the lead's to ask
    assert text.startswith("Xin lỗi"), text

    both.now = at("2026-12-22T14:00+07:00")
    text = (await tg.say(LEAD, "Công an xã có những nhiệm vụ gì tháng 12?"))[0].text
    assert text.splitlines() == [
        f"Nhiệm vụ do {CAX} chủ trì (1):",
        "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Hoàn thành — 1/3 đơn vị hoàn thành"], text
    await tg.say(LEAD, "/huy")
    text = (await tg.say(LEAD, "Phòng Kinh tế có những nhiệm vụ gì tháng 12?"))[0].text
    assert text.splitlines() == [
        f"Nhiệm vụ do {PKT} chủ trì (2):",
        "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Đang thực hiện — 1/3 đơn vị hoàn thành ⚠️",
        "• 2. Xây dựng chợ số — Hoàn thành"], text
    await tg.say(LEAD, "/huy")
    text = (await tg.say(LEAD, f"{THCS} có những nhiệm vụ gì tháng 12?"))[0].text
    assert text.splitlines() == [
        f"Nhiệm vụ do {THCS} chủ trì (1):",
        "• 3. Triển khai sổ điểm điện tử — Chưa báo cáo — 0/2 đơn vị hoàn thành ⚠️"], text
    await tg.say(LEAD, "/huy")

    # a group's task nobody answered: "0/2 đơn vị hoàn thành" like the answered one's "1/3"
    lines = (await tg.say(LEAD, "/quahan tháng 12"))[0].text.splitlines()
    assert lines[0] == "🔴 2 nhiệm vụ đã quá hạn mà chưa hoàn thành:", lines
    assert lines[1].endswith(" — Các cơ quan, đơn vị — 1/3 đơn vị hoàn thành"), lines
    assert lines[2].startswith("• 3. Triển khai sổ điểm điện tử") and lines[2].endswith(
        " — 0/2 đơn vị hoàn thành"), lines
    text = (await tg.say(LEAD, "/chitieu tháng 12"))[0].text
    lines = text.splitlines()
    three = next(line for line in lines if " 3. Tỷ lệ học sinh" in line)
    assert ": — (0/2 đơn vị) / " in three, text
    assert f"   Chưa báo cáo: {THCS}, {TH}" in lines, text
    one = next(line for line in lines if " 1. Tỷ lệ cán bộ" in line)
    assert f": 70% (thấp nhất: {PKT}; 2/3 đơn vị) / " in one, text

    xlsx, docx, _mark = await tg.say(LEAD, "/xuat tháng 12", expect=3)
    tasks = {r[1]: r for r in sheet(xlsx.document_bytes, "Nhiệm vụ")}
    assert (tasks["1"][6], tasks["1"][11]) == ("Đang thực hiện", "1/3 đơn vị hoàn thành")
    assert (tasks["3"][6], tasks["3"][8], tasks["3"][11]) == ("Chưa báo cáo", "Có", "0/2 đơn vị hoàn thành")
    assert tasks["2"][11] is None
    indicators = {r[1]: r for r in sheet(xlsx.document_bytes, "Chỉ tiêu")}
    assert (indicators["3"][6], indicators["3"][12]) == (None, f"0/2 đơn vị; chưa báo cáo: {THCS}, {TH}")
    assert indicators["1"][12] == f"thấp nhất: {PKT}; 2/3 đơn vị; chưa báo cáo: {VHXH}"
    body = docx_text(docx.document_bytes)
    assert "- Nhiệm vụ 3. Triển khai sổ điểm điện tử (Các trường học trên địa bàn; thời hạn: Quý III năm 2026; " \
           "0/2 đơn vị hoàn thành)." in body, body

    dash = await dashboard_summary(both, aiohttp_client, "2026-12")
    assert [(t["code"], t["units"]) for t in dash["overdue_tasks"]] == [
        ("1", {"owed": 3, "done": 1}), ("3", {"owed": 2, "done": 0})]
    item = next(i for i in dash["indicators"]["items"] if i["code"] == "3")
    assert (item["latest_value"], item["status"], item["units"]) == (
        None, "no_data", {"owed": 2, "reported": 0, "worst": None, "missing": [THCS, TH]})
