"""Questions about the plan's own items on the real seed plans, asked on fake Telegram and Zalo: one task in detail
("nhiệm vụ N5.6 thế nào"), a group or section ("nhóm 4", "mục IV"), the task lists by standing ("chưa xong", "đã hoàn
thành", "chưa có báo cáo") and the tasks behind ("nhiệm vụ nào chậm": overdue, and delayed / blocked not yet due).
Every figure is computed by hand from what the units sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from tests import test_audit_plan_001 as p001
from tests import test_audit_plan_004 as p004
from tests.audit_support import import_commune, join_tg, join_zalo, report_tg, report_zalo, zt
from tests.first_month_support import Tg, at
from tests.zalo_harness import ZaloHarness

# Seed 004 as its audit reports it (tests/test_audit_plan_004.py), and Công an xã also says N5.1 ("Thực hiện thường
# xuyên", no due date; owed by the 5 offices) is delayed: N5.1 stands "chậm, vướng mắc" (the least advanced answer),
# 0/5 done, not overdue. Tasks (39): done N4.1, N10.1; delayed N5.6 (overdue), N5.1; not started N1.1 (overdue, 3/5
# done); nobody reports N8.3 (schools: none on the org list); the other 33 in progress.
CAX_ANSWERS = p004.CAX_ANSWERS | {"N5.1": "chậm, vướng mắc"}
N5_6 = ("Ban hành theo thẩm quyền hoặc đề xuất, trình cấp có thẩm quyền ban hành danh mục dữ liệu gốc, dữ liệu chủ, "
        "dữ liệu mở, làm cơ sở kết nối, chia sẻ và tái sử dụng dữ liệu.")
GROUP4 = "Nhóm 4: Hạ tầng kỹ thuật, công nghệ; các nền tảng, ứng dụng số"
GROUP5 = "Nhóm 5. Cơ sở dữ liệu và kết nối, chia sẻ dữ liệu"
THANH, LEAD_Z = "Đàm Văn Thành", "7e1b2c3d4e5f60718209"  # a second person of the lead office, on Zalo
ORG_004 = p004.ORG_CSV + f"{p004.VHXH},office,,{THANH},0915000009,lead\n"
DUC, LEAD_Z1 = "Lâm Văn Đức", "7d1b2c3d4e5f60718209"
ORG_001 = p001.ORG_CSV + f"{p001.VPDU},office,,{DUC},0914000009,lead\n"


async def _reports_004(both: ZaloHarness, tg: Tg, targets: dict[str, Any]) -> None:
    both.now = at("2026-12-16T09:00+07:00")
    out = await report_tg(tg, p004.CUONG, CAX_ANSWERS, targets, 23)
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-12-18T09:00+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, p004.KHANH, p004.TTHC_ANSWERS, targets, 17)
    both.now = at("2026-12-19T10:00+07:00")
    out = await report_tg(tg, p004.LEAD, p004.LEAD_ANSWERS, targets, 67, parts=2)
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-12-19T23:59+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, p004.HANH, p004.PKT_ANSWERS, targets, 17)


async def _lead_004(tg: Tg) -> None:
    lines = (await tg.say(p004.LEAD, "nhiệm vụ N5.6 thế nào"))[0].text.splitlines()
    assert lines == [
        f"Nhiệm vụ N5.6. {N5_6}", f"Thuộc: {GROUP5}", f"Chủ trì: {p004.CAX}",
        "Thời hạn: Tháng 6/2026 (30/6/2026) — 🔴 quá hạn",
        "Tình trạng: Chậm, vướng mắc (trả lời gần nhất: tháng 12/2026)",
        f"Khó khăn, vướng mắc ({p004.CAX}, tháng 12/2026): Chưa có kinh phí nâng cấp mạng",
        f"Kiến nghị, đề xuất ({p004.CAX}, tháng 12/2026): Đề nghị tỉnh hỗ trợ thiết bị"], lines
    # a group's task: the least advanced answer, n/m done, who said what and who has not answered
    lines = (await tg.say(p004.LEAD, "N1.1 ra sao?"))[0].text.splitlines()
    assert lines[3:9] == [
        "Thời hạn: Trước ngày 30/4/2026 (29/4/2026) — 🔴 quá hạn",
        "Tình trạng: Chưa triển khai — 3/5 đơn vị hoàn thành (trả lời gần nhất: tháng 12/2026)",
        f"   Hoàn thành: {p004.CAX}, {p004.VHXH}, {p004.TTHC}", f"   Chưa triển khai: {p004.PKT}",
        f"   Chưa báo cáo: {p004.VP}",
        f"Khó khăn, vướng mắc ({p004.CAX}, tháng 12/2026): Chưa có kinh phí nâng cấp mạng"], lines
    lines = (await tg.say(p004.LEAD, "những nhiệm vụ nào chưa xong"))[0].text.splitlines()
    assert lines[0] == "Nhiệm vụ chưa hoàn thành, tháng 12/2026 (37/39):", lines
    assert [x.split(".")[0].lstrip("• ") + "." + x.split(".")[1] for x in lines[1:13]] == [
        "N1.1", "N1.2", "N1.3", "N1.4", "N1.5", "N2.1", "N2.2", "N3.1", "N3.2", "N3.3", "N3.4", "N4.2"], lines
    assert lines[1].endswith(" — Chưa triển khai — 3/5 đơn vị hoàn thành — 🔴 quá hạn"), lines[1]
    assert lines[13] == "… và 25 mục khác: gõ /xuat để xem danh sách đầy đủ.", lines
    lines = (await tg.say(p004.LEAD, "nhiệm vụ nào đã hoàn thành"))[0].text.splitlines()
    assert lines[0] == "Nhiệm vụ đã hoàn thành, tháng 12/2026 (2/39):", lines
    assert [x.split(" ")[1] for x in lines[1:]] == ["N4.1.", "N10.1."], lines
    lines = (await tg.say(p004.LEAD, "nhiệm vụ nào chưa có báo cáo"))[0].text.splitlines()
    assert lines[0] == "Nhiệm vụ chưa có đơn vị nào báo cáo, tháng 12/2026 (1/39):", lines
    assert len(lines) == 2 and lines[1].startswith("• N8.3. ") and lines[1].endswith(" — chưa có đơn vị thực hiện"), lines  # storage.no_unit
    for asked in ("nhóm 4 thế nào", "nhóm nhiệm vụ 4"):
        lines = (await tg.say(p004.LEAD, asked))[0].text.splitlines()
        assert lines[:2] == [f"{GROUP4} — tháng 12/2026:",
                             "4 nhiệm vụ: 1 hoàn thành, 3 đang thực hiện, 0 chậm, vướng mắc, 0 chưa triển khai, "
                             "0 chưa có báo cáo; 0 quá hạn."], lines
        assert [x.split(" ")[1] for x in lines[2:6]] == ["N4.1.", "N4.2.", "N4.3.", "N4.4."], lines
        assert lines[2].endswith(" — Hoàn thành") and lines[3].endswith(" — Đang thực hiện — 0/5 đơn vị hoàn thành")
        # its 8 results: 7 at their target; N4.KQ2 (5G) 65 < 70 × 0,9534 = 66,7 off track
        assert lines[6] == "8 chỉ tiêu: 7 đạt, đúng tiến độ; 0 có nguy cơ chậm; 1 chậm tiến độ; 0 chưa có số liệu.", lines
        assert lines[7].startswith("🔴 N4.KQ2. "), lines
    # behind: /quahan's overdue tasks, then the one reported delayed that is not due yet
    lines = (await tg.say(p004.LEAD, "nhiệm vụ nào chậm"))[0].text.splitlines()
    quahan = (await tg.say(p004.LEAD, "/quahan"))[0].text.splitlines()
    assert lines[:3] == quahan == quahan[:3], (lines, quahan)
    assert quahan[0] == "🔴 2 nhiệm vụ đã quá hạn mà chưa hoàn thành:" and quahan[2].startswith("• N5.6. "), quahan
    assert lines[3] == "⚠️ 1 nhiệm vụ báo cáo chậm, vướng mắc, chưa đến hạn:", lines
    assert lines[4].startswith("• N5.1. ") and lines[4].endswith(
        " — Thực hiện thường xuyên — Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã, cơ quan, đơn vị liên "
        "quan — 0/5 đơn vị hoàn thành — chậm, vướng mắc"), lines
    assert len(lines) == 5, lines


async def _lead_zalo_004(both: ZaloHarness, tg: Tg) -> None:
    """The lead office's second person, on Zalo, reads the same answers (no choices under them)."""
    for asked, first in (("nhiem vu N5.6 the nao", f"Nhiệm vụ N5.6. {N5_6}"), ("N1.1 ra sao?", "Nhiệm vụ N1.1. Tổ chức rà soát, chuẩn hóa"),
                         ("nhom 4 the nao", f"{GROUP4} — tháng 12/2026:"),
                         ("nhiem vu nao cham", "🔴 2 nhiệm vụ đã quá hạn mà chưa hoàn thành:")):
        text = (await tg.say(p004.LEAD, asked))[0].text
        assert text.startswith(first) and zt(await both.say(LEAD_Z, asked)) == text, (asked, text)


async def _officers_004(both: ZaloHarness) -> None:
    """Phòng Kinh tế xã's officer on Zalo: its own items only."""
    text = zt(await both.say(p004.HANH, "nhiem vu N1.1 the nao"))
    assert "Tình trạng: Chưa triển khai — 3/5 đơn vị hoàn thành (trả lời gần nhất: tháng 12/2026)" in text, text
    assert f"   Chưa triển khai: {p004.PKT}" in text.splitlines(), text
    text = zt(await both.say(p004.HANH, "nhiệm vụ N5.6 thế nào"))  # Công an xã's alone
    assert text.startswith(f"Nhiệm vụ N5.6 không thuộc {p004.PKT}"), text
    lines = zt(await both.say(p004.HANH, "nhom 5")).splitlines()  # N5.1–N5.5 (every office), not N5.6
    assert lines[:3] == [f"{GROUP5} — tháng 12/2026:", f"Chỉ hiển thị các nội dung của {p004.PKT}.",
                         "5 nhiệm vụ: 0 hoàn thành, 4 đang thực hiện, 1 chậm, vướng mắc, 0 chưa triển khai, "
                         "0 chưa có báo cáo; 0 quá hạn."], lines
    assert [x.split(" ")[1] for x in lines[3:8]] == ["N5.1.", "N5.2.", "N5.3.", "N5.4.", "N5.5."], lines


async def test_plan_items_004(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    tg = Tg(both)
    done = await import_commune(monkeypatch, capsys, db_url, tmp_path, p004.COMMUNE, ORG_004, p004.SEED, (
        (p004.VHXH, "lead"), (p004.TTHC, "officer"), (p004.CAX, "officer"), (p004.PKT, "officer")))
    assert "39 tasks, 41 indicators in 11 sections" in done.plan_out, done.plan_out
    both.now = at("2026-12-01T09:00+07:00")
    await join_tg(tg, p004.LEAD, done.codes[p004.VHXH], "Hoàng Thị Lệ")
    await join_tg(tg, p004.CUONG, done.codes[p004.CAX], "vi van cuong")
    await join_zalo(both, p004.KHANH, done.codes[p004.TTHC], "Nông Văn Khánh")
    await join_zalo(both, p004.HANH, done.codes[p004.PKT], "Luong Thi Hanh")
    await join_zalo(both, LEAD_Z, done.codes[p004.VHXH], "Dam Van Thanh")
    await _reports_004(both, tg, done.targets)
    both.now = at("2026-12-21T10:00+07:00")
    await _lead_004(tg)
    await _lead_zalo_004(both, tg)
    await _officers_004(both)


async def test_plan_items_001(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Seed 001 (targets only, 11 sections in Roman numerals) with the shipped schedule: Đảng ủy reports December on
    10/12 on Zalo. Section IV has 7 targets: IV.1–IV.4 owed by Đảng ủy and UBND xã (Đảng ủy's answers stand: IV.1
    and IV.4 "đạt", IV.3 100 — on track; IV.2 90 < 100 × 344/365 = 94,2 — off track); IV.5 (Văn phòng Đảng ủy),
    IV.6 and IV.7 (UBND xã) without data."""
    tg = Tg(both)
    done = await import_commune(monkeypatch, capsys, db_url, tmp_path, p001.COMMUNE, ORG_001, p001.SEED, (
        (p001.VPDU, "lead"), (p001.DU, "officer")))
    assert "0 tasks, 90 indicators in 11 sections" in done.plan_out, done.plan_out
    both.now = at("2026-12-01T09:00+07:00")
    await join_tg(tg, p001.LEAD, done.codes[p001.VPDU], "Thach Thi Sa Ret")
    await join_zalo(both, p001.MY, done.codes[p001.DU], "tran thi my")
    await join_zalo(both, LEAD_Z1, done.codes[p001.VPDU], "Lam Van Duc")
    both.now = at("2026-12-10T09:00+07:00")
    assert "gửi đúng hạn" in await report_zalo(both, p001.MY, p001.DU_ANSWERS, done.targets, 12)
    for asked in ("mục IV thế nào", "nhóm 4", "muc 4 the nao"):
        text = (await tg.say(p001.LEAD, asked))[0].text
        assert zt(await both.say(LEAD_Z1, asked)) == text, asked  # the lead office's second person, on Zalo
        lines = text.splitlines()
        assert lines[:2] == ["IV. Về số hóa, dữ liệu, nền tảng số — tháng 12/2026:",
                             "7 chỉ tiêu: 3 đạt, đúng tiến độ; 0 có nguy cơ chậm; 1 chậm tiến độ; 3 chưa có số liệu."], lines
        assert lines[2].startswith("🔴 IV.2. ") and lines[2].endswith(
            ": 90% (thấp nhất: Đảng ủy; 1/2 đơn vị) / 100% (chậm tiến độ)"), lines
    lines = (await tg.say(p001.LEAD, "nhiệm vụ IV.2 thế nào"))[0].text.splitlines()  # no tasks: the target IV.2
    assert lines[0].startswith("🔴 IV.2. ") and f"Chưa báo cáo: {p001.UBND}" in lines, lines
    lines = zt(await both.say(p001.MY, "muc IV")).splitlines()  # Đảng ủy's own: IV.1–IV.4
    assert lines[:3] == ["IV. Về số hóa, dữ liệu, nền tảng số — tháng 12/2026:",
                         f"Chỉ hiển thị các nội dung của {p001.DU}.",
                         "4 chỉ tiêu: 3 đạt, đúng tiến độ; 0 có nguy cơ chậm; 1 chậm tiến độ; 0 chưa có số liệu."], lines


def test_plan_words_on_the_seeds() -> None:
    """What the questions name on the real plans' codes and sections (as the import stores them): seed 003's pillar
    "II. KINH TẾ SỐ" is no Phòng Kinh tế; seed 001's "nhiệm vụ IV.2" (targets only) is its target IV.2; a typed
    code needs "nhiệm vụ" unless it has letters."""
    from handlers.activity.catalog import default_catalog
    from handlers.ask.entities import UnitName
    from handlers.ask.intents import understand
    from handlers.ask.plan_words import PlanNames
    from storage.plan_import.parse import parse_plan_file

    def names(seed: Path) -> PlanNames:
        p = parse_plan_file(seed, 2026)
        return PlanNames(tuple(t.code for t in p.tasks), tuple(i.code for i in p.indicators), tuple(p.sections))

    seeds = p004.SEED.parent
    plans = {n: names(next(seeds.glob(f"{n}_*.txt"))) for n in ("001", "003", "004")}
    units = [UnitName(1, "Phòng Kinh tế", "office"), UnitName(2, "Công an xã", "office")]

    def read(asked: str, plan: str) -> tuple[str, dict[str, Any]]:
        u = understand(asked, units, default_catalog(), "Thiện Tân", (), plans[plan])
        return u.intent, u.entities.as_dict()

    intent, e = read("nhiệm vụ kinh tế số thế nào", "003")
    assert (intent, e["section"], e["units"]) == ("plan_section", "II. KINH TẾ SỐ", []), e
    assert read("phòng kinh tế có nhiệm vụ gì", "003")[1]["units"] == ["Phòng Kinh tế"]
    assert read("trụ cột xã hội số", "003")[1]["section"] == "III. XÃ HỘI SỐ"
    assert read("nhiệm vụ II.2 ra sao", "003")[:1] == ("task_detail",)
    intent, e = read("nhiệm vụ IV.2 thế nào", "001")
    assert (intent, e["indicator"], e["task"]) == ("indicators", "IV.2", None), e
    assert read("mục IV", "001")[1]["section"] == "IV. Về số hóa, dữ liệu, nền tảng số"
    for asked, want in (("nhiệm vụ N5.6 thế nào", ("task_detail", "N5.6")), ("N10.1 ra sao?", ("task_detail", "N10.1")),
                        ("nhóm nhiệm vụ 4", ("plan_section", None)), ("nhiệm vụ nào chậm", ("overdue", None)),
                        ("nhiệm vụ nào quá hạn", ("overdue", None)), ("nhiệm vụ 4", ("overdue", None))):
        intent, e = read(asked, "004")
        assert (intent, e["task"]) == want, (asked, intent, e)
    assert read("nhiệm vụ nào chậm", "004")[1]["slow"] and not read("nhiệm vụ nào quá hạn", "004")[1]["slow"]
    assert [read(q, "004")[1]["task_filter"] for q in ("những nhiệm vụ nào chưa xong", "nhiệm vụ nào đã hoàn thành",
                                                       "nhiệm vụ nào chưa có báo cáo")] == ["open", "done", "unreported"]
