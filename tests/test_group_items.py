"""Items owed by a unit group ("Các cơ quan, đơn vị"): every office answers; a task is done only when all are,
an indicator stands at its worst-off office — the numbers the lead office reads everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.calendar import calendar as cal
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import Commune, Task
from storage.province_figures import plan_figures
from storage.traffic_facts import communes_facts
from tests.audit_support import COMMUNE, dashboard_summary, import_commune, join_tg, tg_report
from tests.first_month_support import Tg, at, sheet
from tests.zalo_harness import ZaloHarness

VHXH, PKT, CAX = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã"
LEAD, NAM, SON = 6401, 6402, 6403
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0914000001,lead
{PKT},office,,Lý Văn Nam,0914000002,officer
{CAX},office,,Triệu Văn Sơn,0914000003,officer
"""
PLAN = """KẾ HOẠCH
Chuyển đổi số xã Vĩnh Thông năm 2026

Phụ lục I: Các chỉ tiêu năm 2026

TT\tMục tiêu, nhiệm vụ, giải pháp\tNăm 2026\tCơ quan chủ trì\tCơ quan thực hiện/phối hợp
1\tTỷ lệ cán bộ có chữ ký số cá nhân\t100%\tCác cơ quan, đơn vị\t
2\tTỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\t≥80%\tPhòng Kinh tế\t

Phụ lục II: Danh mục các nhiệm vụ

STT\tTên nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện
1\tRà soát trang thiết bị phục vụ chuyển đổi số\tCác cơ quan, đơn vị\t\tQuý III năm 2026
2\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý III năm 2026
"""
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOTE = f"thấp nhất: {PKT}; 2/3 đơn vị; chưa báo cáo: {VHXH}"




async def _setup(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    return (await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, PLAN, ((PKT, "officer"), (CAX, "officer"), (VHXH, "lead"),),
                                 uses=2)).codes


async def test_group_items_stand_at_every_office(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys: Any,
                                                 aiohttp_client: Any) -> None:
    """Phòng Kinh tế says task 1 is in progress and indicator 1 is 70%; Công an xã, answering later, says done
    and 95%; the lead's office never reports. Before, the last answer stood: task 1 done and 95%."""
    tg = Tg(both)
    codes = await _setup(monkeypatch, capsys, db_url, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((NAM, PKT, "Lý Văn Nam"), (SON, CAX, "Triệu Văn Sơn"), (LEAD, VHXH, "Hoàng Văn Thái")):
        await join_tg(tg, user, codes[unit], typed)
    both.now = at("2026-12-15T09:00+07:00")  # PKT: task 1, task 2, indicator 1, indicator 2
    assert "gửi" in await tg_report(tg, NAM, ["đang thực hiện", "hoàn thành", "70", "85"], "không", "không")
    both.now = at("2026-12-16T09:00+07:00")  # CAX, later: task 1, indicator 1
    assert "gửi" in await tg_report(tg, SON, ["hoàn thành", "95"], "không", "không")

    both.now = at("2026-12-22T14:00+07:00")
    text = (await tg.say(LEAD, "/quahan tháng 12"))[0].text  # task 1 is not done by every office: overdue
    lines = text.splitlines()
    assert lines[0] == "🔴 1 nhiệm vụ đã quá hạn mà chưa hoàn thành:", text
    assert lines[1].startswith("• 1. Rà soát trang thiết bị") and lines[1].endswith(" — 1/3 đơn vị hoàn thành"), text
    text = (await tg.say(LEAD, "/chitieu tháng 12"))[0].text  # indicator 1: the worst-off office's 70%
    lines = text.splitlines()
    one = next(n for n, line in enumerate(lines) if " 1. Tỷ lệ cán bộ" in line)
    assert lines[one].startswith("🔴 ") and f": 70% (thấp nhất: {PKT}; 2/3 đơn vị) / " in lines[one], text
    assert lines[one].endswith("(chậm tiến độ)") and f"   Chưa báo cáo: {VHXH}" in lines, text

    xlsx, _docx, _mark = await tg.say(LEAD, "/xuat tháng 12", expect=3)
    tasks = {r[1]: r for r in sheet(xlsx.document_bytes, "Nhiệm vụ")}
    assert (tasks["1"][6], tasks["1"][8], tasks["1"][11]) == ("Đang thực hiện", "Có", "1/3 đơn vị hoàn thành")
    assert (tasks["2"][6], tasks["2"][8], tasks["2"][11]) == ("Hoàn thành", None, None)  # one owner: as before
    indicators = {r[1]: r for r in sheet(xlsx.document_bytes, "Chỉ tiêu")}
    assert (indicators["1"][6], indicators["1"][9], indicators["1"][12]) == (70, "Chậm tiến độ", NOTE)
    assert (indicators["2"][6], indicators["2"][12]) == (85, None)
    summary = {r[0]: r[1] for r in sheet(xlsx.document_bytes, "Tổng hợp", 1) if r[0]}
    assert (summary["Nhiệm vụ đã hoàn thành"], summary["Nhiệm vụ quá hạn"]) == (1, 1)

    dash = await dashboard_summary(both, aiohttp_client, "2026-12")
    assert (dash["tasks"]["done"], dash["tasks"]["overdue"]) == (1, 1)
    assert [(t["code"], t["units"]) for t in dash["overdue_tasks"]] == [("1", {"owed": 3, "done": 1})]
    item = next(i for i in dash["indicators"]["items"] if i["code"] == "1")
    assert (item["latest_value"], item["status"], item["units"]) == (
        70, "off_track", {"owed": 3, "reported": 2, "worst": PKT, "missing": [VHXH]})

    # the batched figures (province view, traffic lights) apply the same rule
    streams = {st.name: st for st in default_streams()}
    unit_period = cal.period_by_key(streams["unit_monthly"], "2026-12", TZ)
    village_period = cal.period_by_key(streams["village_monthly"], "2026-12", TZ)
    async with db.session() as s:
        commune = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
        done_task = (await s.exec(select(Task.id).where(Task.code == "2"))).one()
        (facts,) = await communes_facts(s, [commune], [(unit_period, village_period)], both.now)
        figures = (await plan_figures(s, [commune.id], unit_period, date(2026, 12, 14)))[commune.id]  # type: ignore[list-item]
    assert facts[commune.id].done_tasks == {done_task}  # type: ignore[index]
    assert [code for code, _t, _d in figures["overdue"]] == ["1"]
    assert figures["indicators"]["off_track"] == 1 and figures["off_track"][0][0] == "1"


def test_the_rule_on_each_units_answer() -> None:
    """``combine``: one owner stands at its latest answer; several: done only when all are, else the least
    advanced answer; an indicator at the worst-off unit, whichever way its target points."""
    from storage.item_standing import Answer, ItemMeta, combine

    one, three = ItemMeta(((1, "A"),)), ItemMeta(((1, "A"), (2, "B"), (3, "C")))
    hit = combine("task", one, {9: (Answer("done"), "2026-12"), 1: (Answer("in_progress"), "2026-11")})
    assert (hit.item.status, hit.owed, hit.done) == ("done", 1, 1)  # type: ignore[union-attr]
    every = {1: (Answer("done"), "2026-12"), 2: (Answer("done"), "2026-12"), 3: (Answer("done"), "2026-11")}
    assert combine("task", three, every).item.status == "done"  # type: ignore[union-attr]
    hit = combine("task", three, {1: (Answer("done"), "2026-12"), 2: (Answer("done"), "2026-12")})
    assert (hit.item.status, hit.done, hit.answered, hit.missing) == ("in_progress", 2, 2, ("C",))  # type: ignore[union-attr]
    hit = combine("task", three, {1: (Answer("done"), "k"), 2: (Answer("blocked"), "k"), 3: (Answer("not_started"), "k")})
    assert (hit.item.status, hit.unit) == ("blocked", "B")  # type: ignore[union-attr]
    assert combine("task", three, {7: (Answer("done"), "k")}) is None  # nobody owing it answered
    values = {1: (Answer(None, value_num=95), "k"), 2: (Answer(None, value_num=100), "k"), 3: (Answer(None, value_num=80), "k")}
    at_least = ItemMeta(three.owed, "number", ">=")
    assert (combine("indicator", at_least, values).item.value_num, combine("indicator", at_least, values).unit) == (80, "C")  # type: ignore[union-attr]
    at_most = ItemMeta(three.owed, "number", "<=")
    assert combine("indicator", at_most, values).unit == "B"  # type: ignore[union-attr]
    choice = ItemMeta(three.owed, "choice", "bool", True)
    said = {1: (Answer(None, value_bool=True), "k"), 2: (Answer(None, value_bool=False), "k")}
    assert combine("indicator", choice, said).unit == "B"  # type: ignore[union-attr]
