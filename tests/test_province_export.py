"""Province exports (issue #19) through the fake Telegram server: the province office sends /xuat and
receives the province workbook and the draft report of the province office, with the figures of its
/tinhtrang (ranking, colours, counts, activities and the previous period, overdue tasks); `cdsbot export
--province` writes the same two files; the shared-indicator sheet's hook."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from handlers.exports.province_data import RULE_VI, ProvinceExport, SharedIndicatorRow
from handlers.exports.province_xlsx import (
    COLOUR_FILLS,
    PROVINCE_SHEETS,
    add_shared_sheet,
    build_province_xlsx,
)
from handlers.periods import unreadable_period
from locales.i18n import _, use_locale
from storage.calendar.calendar import DEFAULT_TZ
from storage.db import Database
from storage.models import ActivityLog
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.seed import add_person
from tests.test_province import HCC, _commune, _join_and_report

PROVINCE, OTHER = "Tây Ninh", "Lạng Sơn"
A, B, D, C = "Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên"  # A, B, D in Tây Ninh; C in Lạng Sơn
OFFICER_A, MEMBER_A, PROV = 8101, 8102, 8103
VNEID, DVC = "Kích hoạt định danh điện tử (VNeID)", "Hồ sơ dịch vụ công trực tuyến"


async def _log(db: Database, ids: dict[str, int], on: date, activity: str, n: int) -> None:
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=ids["commune"], unit_id=ids["village"], on_date=on, activity=activity, count=n,
                          created_at=datetime.combine(on, datetime.min.time(), DEFAULT_TZ) + timedelta(hours=12)))


async def _world(tg: TelegramHarness, db: Database, db_url: str, monkeypatch, capsys) -> dict:  # noqa: ANN001
    a = await _commune(db, A, ("Ngày 31/12/2026", "2026-12-31"))
    b = await _commune(db, B, ("Ngày 30/11/2026", "2026-11-30"))  # past due, never reported done
    d = await _commune(db, D, None)  # nothing sent yet, deadline ahead
    c = await _commune(db, C, ("Ngày 30/11/2026", "2026-11-30"))
    for commune, province in ((A, PROVINCE), (B, PROVINCE), (D, PROVINCE), (C, OTHER)):
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", province)
    await add_person(db, a["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_A)
    await add_person(db, a["village"], "Lò Thị Bích", "member", telegram_id=MEMBER_A)
    await _log(db, a, date(2026, 11, 10), "vneid", 5)  # the previous month (15/10–14/11)
    await _log(db, a, date(2026, 11, 12), "dvc", 3)
    await _log(db, b, date(2026, 12, 3), "dvc", 4)
    await _log(db, c, date(2026, 12, 3), "vneid", 100)  # another province: never in Tây Ninh's files
    await _join_and_report(tg, db_url, monkeypatch, capsys)  # A: its office reports its task done; 12 VNeID logged
    return {"A": a, "B": b, "C": c, "D": d}


def _rows(ws, first: int = 2) -> list[list]:  # noqa: ANN001
    out = []
    for row in ws.iter_rows(min_row=first, values_only=True):
        if not any(v is not None for v in row):
            break
        out.append(list(row))
    return out


def _all_text(doc) -> str:  # noqa: ANN001
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def _check_december_xlsx(blob: bytes) -> None:
    wb = load_workbook(io.BytesIO(blob))
    assert wb.sheetnames == list(PROVINCE_SHEETS[:3])  # no shared indicators fed yet
    ws = wb["Tổng hợp"]
    assert ws.freeze_panes == "C2" and ws.page_setup.orientation == "landscape"
    ranked = _rows(ws)
    assert [(r[0], r[1], r[2]) for r in ranked] == [(1, B, "Đỏ"), (2, D, "Vàng"), (3, A, "Xanh")]
    assert [r[3:7] for r in ranked] == [[0, 1, 1, 1], [0, 0, 0, 1], [1, 1, 1, 1]]  # units, villages
    assert ranked[0][7] == 0.5 and ranked[2][7] == 1 and ranked[0][10] == 1 and ranked[2][10] == 0  # share reported; overdue tasks
    assert [ws.cell(n, 3).fill.fgColor.rgb[-6:] for n in (2, 3, 4)] == \
        [COLOUR_FILLS["red"], COLOUR_FILLS["yellow"], COLOUR_FILLS["green"]]
    legend = {r[2]: r[3] for r in ws.iter_rows(min_row=6, values_only=True) if r[2] in ("Xanh", "Vàng", "Đỏ")}
    assert legend == {"Xanh": 1, "Vàng": 1, "Đỏ": 1}
    assert any(r[2] == RULE_VI for r in ws.iter_rows(values_only=True))
    assert any(r[1] == "Tỉnh" and r[2] == PROVINCE for r in ws.iter_rows(values_only=True))

    ws = wb["Hoạt động"]
    head = [c.value for c in ws[1]]
    assert head == ["TT", "Xã, phường", f"{VNEID} (tháng 12/2026)", f"{DVC} (tháng 12/2026)",
                    "Tổng (tháng 12/2026)", "Tổng (tháng 11/2026)", "Tăng/giảm"]
    rows = _rows(ws)
    assert rows == [[1, B, 0, 4, 4, 0, 4], [2, D, 0, 0, 0, 0, 0], [3, A, 12, 0, 12, 8, 4],
                    [None, "Toàn tỉnh", 12, 4, 16, 8, 8]]
    assert ws.cell(2, 3).number_format == "#,##0"
    province_wide = [r[:5] for r in _rows(ws, first=len(rows) + 3)]
    assert province_wide == [[None, "Hoạt động (toàn tỉnh)", "Kỳ này (tháng 12/2026)", "Kỳ trước (tháng 11/2026)",
                              "Tăng/giảm"], [None, VNEID, 12, 5, 7], [None, DVC, 4, 3, 1]]
    by_commune = [r[1:6] for r in _rows(ws, first=len(rows) + len(province_wide) + 4)]
    assert by_commune == [["Xã, phường", "Hoạt động", "Kỳ này (tháng 12/2026)", "Kỳ trước (tháng 11/2026)", "Tăng/giảm"],
                          [B, DVC, 4, 0, 4], [A, VNEID, 12, 5, 7], [A, DVC, 0, 3, -3]]

    ws = wb["Nhiệm vụ quá hạn"]
    rows = _rows(ws)
    assert len(rows) == 1 and rows[0][:6] == [B, f"Kế hoạch {B}", "1", "Số hóa hồ sơ TTHC", HCC, "Ngày 30/11/2026"]
    assert rows[0][6] == datetime(2026, 11, 30) and ws.cell(2, 7).number_format == "DD/MM/YYYY"
    assert rows[0][7] == "Chưa báo cáo"
    for sheet in wb.worksheets:
        assert C not in str([list(r) for r in sheet.iter_rows(values_only=True)])


def _check_december_docx(blob: bytes) -> None:
    doc = Document(io.BytesIO(blob))
    text = _all_text(doc)
    lines = [p.text for p in doc.paragraphs]
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header[0] == "UBND TỈNH TÂY NINH\nSỞ KHOA HỌC VÀ CÔNG NGHỆ\n"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc" in header[1]
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["Số: …/BC-SKHCN", "Tây Ninh, ngày 10 tháng 12 năm 2026"]
    assert "BÁO CÁO" in lines and "Kết quả thực hiện Nghị quyết số 57-NQ/TW tháng 12/2026" in lines
    assert ("Kỳ báo cáo tháng 12/2026 (số liệu từ ngày 15/11/2026 đến ngày 14/12/2026, thời hạn gửi trước ngày "
            "20/12/2026), toàn tỉnh có 3 xã, phường theo dõi trên hệ thống: 1/2 cơ quan, đơn vị đã gửi báo cáo; "
            "2/3 Tổ công nghệ số cộng đồng các thôn đã cập nhật số liệu; 1 nhiệm vụ quá hạn chưa hoàn thành.") in lines
    assert f"1. Mức Xanh (đúng tiến độ): 1 xã, phường: {A}." in lines
    assert f"2. Mức Vàng (cần lưu ý): 1 xã, phường: {D}." in lines
    assert f"3. Mức Đỏ (chậm, quá hạn): 1 xã, phường: {B}." in lines
    ranking = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert ranking[1:] == [["1", B, "Đỏ", "0/1", "1/1", "1"], ["2", D, "Vàng", "0/0", "0/1", "0"],
                           ["3", A, "Xanh", "1/1", "1/1", "0"]]
    assert "Không có xã, phường nào còn đơn vị, thôn chưa báo cáo sau thời hạn." in lines
    assert f"Chưa đến hạn, còn chưa báo cáo: {B} (1 đơn vị, thôn); {D} (1 đơn vị, thôn)." in lines
    acts = [[c.text for c in row.cells] for row in doc.tables[2].rows]
    assert acts[1:] == [["1", VNEID, "12", "5", "tăng 7"], ["2", DVC, "4", "3", "tăng 1"]]
    assert f"- {A}: {VNEID} 12." in lines and f"- {B}: {DVC} 4." in lines
    assert "Toàn tỉnh có 1 nhiệm vụ quá hạn chưa hoàn thành tại 1 xã, phường:" in lines
    assert f"+ Nhiệm vụ 1. Số hóa hồ sơ TTHC ({HCC}; thời hạn: Ngày 30/11/2026)." in lines
    assert "VI. KIẾN NGHỊ, ĐỀ XUẤT" in lines and lines[lines.index("VI. KIẾN NGHỊ, ĐỀ XUẤT") + 2].endswith(
        "đúng hạn./.")
    assert "Nơi nhận:" in text and "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" in text
    assert C not in text and OTHER not in text


async def test_province_office_exports_by_chat_and_cli(tg: TelegramHarness, db: Database, db_url: str,
                                                       monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    await _world(tg, db, db_url, monkeypatch, capsys)

    sent = await tg.say(PROV, "/xuat", expect=2)
    xlsx, docx = sent
    assert xlsx.method == docx.method == "sendDocument"
    assert (xlsx.document_name, docx.document_name) == ("bao-cao-nq57-tinh-2026-12.xlsx",
                                                        "bao-cao-nq57-tinh-2026-12.docx")
    with use_locale("vi"):
        assert xlsx.caption == _("Province workbook for {period}: communes in the three colours, activities, "
                                 "overdue tasks.", period="tháng 12/2026")
        assert docx.caption == _("Draft report of the province office for {period}, ready to edit and sign.",
                                 period="tháng 12/2026")
    _check_december_xlsx(xlsx.document_bytes)
    _check_december_docx(docx.document_bytes)

    # Another month: November's deadline has passed, so whoever did not report is late.
    out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--period", "2026-11", "--at",
                    tg.now.isoformat(), "--json")
    nov = json.loads(out)["communes"]
    sent = await tg.say(PROV, "/xuat tháng 11", expect=2)
    assert sent[0].document_name == "bao-cao-nq57-tinh-2026-11.xlsx"
    wb = load_workbook(io.BytesIO(sent[0].document_bytes))
    ranked = _rows(wb["Tổng hợp"])
    assert [(r[1], r[2]) for r in ranked] == [(r["commune"], {"red": "Đỏ", "yellow": "Vàng", "green": "Xanh"}[
        r["colour"]]) for r in nov]
    assert [r[8] for r in ranked] == [r["missing_after_deadline"] for r in nov]
    assert _rows(wb["Hoạt động"])[-1] == [None, "Toàn tỉnh", 5, 3, 8, 0, 8]  # November, October before it
    lines = [p.text for p in Document(io.BytesIO(sent[1].document_bytes)).paragraphs]
    assert "Kết quả thực hiện Nghị quyết số 57-NQ/TW tháng 11/2026" in lines
    late = [r for r in nov if r["missing_after_deadline"]]
    assert D in {r["commune"] for r in late}  # its village team sent nothing for November
    for r in late:
        assert any(ln.startswith(f"- {r['commune']}: {r['missing_after_deadline']} cơ quan, đơn vị, thôn chưa báo "
                                 f"cáo sau thời hạn") for ln in lines)

    sent = await tg.say(PROV, "/xuat tháng mười ba")
    with use_locale("vi"):
        assert sent[0].text == unreadable_period("tháng mười ba") and sent[0].method == "sendMessage"

    await tg.say(PROV, "/ngonngu en")
    sent = await tg.say(PROV, "/export", expect=2)
    assert sent[0].caption == "Province workbook for tháng 12/2026: communes in the three colours, activities, " \
        "overdue tasks." and sent[1].document_name == "bao-cao-nq57-tinh-2026-12.docx"
    sent = await tg.say(PROV, "/help")
    assert "/xuat — the province workbook (.xlsx)" in sent[0].text

    # The command line writes the same two files.
    out = await cli(monkeypatch, capsys, db_url, "export", "--province", PROVINCE, "--period", "2026-12", "--at",
                    tg.now.isoformat(), "--out", str(tmp_path))
    assert "bao-cao-nq57-tinh-2026-12.xlsx" in out and "bao-cao-nq57-tinh-2026-12.docx" in out
    _check_december_xlsx((tmp_path / "bao-cao-nq57-tinh-2026-12.xlsx").read_bytes())
    _check_december_docx((tmp_path / "bao-cao-nq57-tinh-2026-12.docx").read_bytes())
    await cli(monkeypatch, capsys, db_url, "export", "--province", PROVINCE, "--period", "2026-12", "--at",
              tg.now.isoformat(), "--sender", "bcd", "--signer", "Nguyễn Văn A", "--out", str(tmp_path))
    doc = Document(tmp_path / "bao-cao-nq57-tinh-2026-12.docx")
    assert [c.text for c in doc.tables[0].rows[1].cells][0] == "Số …-BC/BCĐ"
    assert "TỈNH ỦY TÂY NINH\nBAN CHỈ ĐẠO 57" in doc.tables[0].rows[0].cells[0].text
    assert "T/M BAN CHỈ ĐẠO\nTRƯỞNG BAN" in _all_text(doc) and "Nguyễn Văn A" in _all_text(doc)


async def test_province_export_cli_errors(db: Database, db_url: str, monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    import asyncio

    from bot.cli import main

    await _commune(db, A, None)
    await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", A, "--province", PROVINCE)
    for args in (["export", "--province", "Nowhere", "--out", str(tmp_path)],
                 ["export", "--province", PROVINCE, "--out", str(tmp_path / "missing")],
                 ["export", "--province", PROVINCE, "--period", "tháng mười ba", "--out", str(tmp_path)],
                 ["export", "--province", PROVINCE, "--commune", A, "--out", str(tmp_path)],
                 ["export", "--out", str(tmp_path / "x.xlsx")]):
        capsys.readouterr()
        code = await asyncio.to_thread(main, args)
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: "), (args, err)
    assert list(tmp_path.iterdir()) == []


def test_shared_indicator_sheet_hook() -> None:
    """The hook the shared-indicator table feeds: rows in, one sheet "Chỉ tiêu dùng chung" out."""
    rows = [SharedIndicatorRow("Tỷ lệ hồ sơ TTHC được xử lý trực tuyến toàn trình", A, "Tỷ lệ hồ sơ trực tuyến",
                               "%", "≥80%", 85.5, "Đạt, đúng tiến độ", "2026-12"),
            SharedIndicatorRow("Tỷ lệ hồ sơ TTHC được xử lý trực tuyến toàn trình", B, "tỷ lệ hồ sơ trực tuyến",
                               "%", "≥80%", None, "Chưa có số liệu")]
    wb = Workbook()
    ws = add_shared_sheet(wb, rows)
    assert ws.title == "Chỉ tiêu dùng chung" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[2]][:6] == [rows[0].indicator, A, "Tỷ lệ hồ sơ trực tuyến", "%", "≥80%", 85.5]
    data = ProvinceExport(PROVINCE, "2026-12", "tháng 12/2026", "tháng 11/2026", date(2026, 12, 1),
                          date(2026, 12, 31), datetime(2026, 12, 20, 23, 59, tzinfo=DEFAULT_TZ), "trước ngày 20/12/2026",
                          datetime(2026, 12, 10, 10, tzinfo=DEFAULT_TZ), [], {}, {}, {}, [], shared=rows)
    wb = load_workbook(io.BytesIO(build_province_xlsx(data)))
    assert wb.sheetnames == list(PROVINCE_SHEETS)
    assert _rows(wb["Chỉ tiêu dùng chung"])[1][1] == B


async def test_province_office_exports_on_zalo(fake, db: Database, db_url: str, aiohttp_client,  # noqa: ANN001
                                               monkeypatch, capsys) -> None:  # noqa: ANN001
    """On Zalo the two files arrive as signed links; downloaded, they hold the province's figures."""
    from sqlmodel import select

    from storage.models import Person, Province
    from tests.zalo_harness import ZaloHarness, add_zalo_identity

    a = await _commune(db, A, ("Ngày 31/12/2026", "2026-12-31"))
    b = await _commune(db, B, ("Ngày 30/11/2026", "2026-11-30"))
    for commune in (A, B):
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", PROVINCE)
    await _log(db, a, date(2026, 12, 1), "vneid", 7)
    await _log(db, b, date(2026, 11, 1), "vneid", 2)  # the previous month
    async with db.transaction() as s:
        province = (await s.exec(select(Province))).one()
        office = Person(commune_id=a["commune"], name="Trần Văn Tỉnh", role="province", province_id=province.id)
        s.add(office)
        await s.flush()
        office_id = office.id
    user = "99aa88bb77cc66dd55ee"
    await add_zalo_identity(db, office_id, user)  # type: ignore[arg-type]
    h = ZaloHarness(fake, db_url, public_url="https://cdsbot.example.org")
    await h.start()
    try:
        sent = await h.say(user, "/xuat", expect=2)
        client = await aiohttp_client(h.bot.web)
        blobs = []
        for m, name in zip(sent, ("bao-cao-nq57-tinh-2026-12.xlsx", "bao-cao-nq57-tinh-2026-12.docx"), strict=True):
            url = next(w for w in m["text"].split() if w.startswith("https://cdsbot.example.org/files/"))
            async with client.get(url.removeprefix("https://cdsbot.example.org")) as resp:
                assert resp.status == 200 and name in resp.headers["Content-Disposition"]
                blobs.append(await resp.read())
    finally:
        await h.stop()
    out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--period", "2026-12", "--at",
                    "2026-12-10T10:00+07:00", "--json")
    figures = json.loads(out)
    wb = load_workbook(io.BytesIO(blobs[0]))
    ranked = _rows(wb["Tổng hợp"])
    assert [(r[1], r[2]) for r in ranked] == [(B, "Đỏ"), (A, {"red": "Đỏ", "yellow": "Vàng", "green": "Xanh"}[
        figures["communes"][1]["colour"]])]
    assert [r["commune"] for r in figures["communes"]] == [B, A]
    assert _rows(wb["Hoạt động"])[-1] == [None, "Toàn tỉnh", 7, 7, 2, 5]
    lines = [p.text for p in Document(io.BytesIO(blobs[1])).paragraphs]
    assert f"3. Mức Đỏ (chậm, quá hạn): 1 xã, phường: {B}." in lines


def test_report_of_the_provincial_peoples_committee_for_a_quiet_month() -> None:
    """UBND tỉnh as sender; a month without activities, overdue tasks or late communes says so."""
    from handlers.exports.province_docx import build_province_docx

    row = {"commune": A, "commune_id": 1, "colour": "green", "units": {"submitted": 2, "expected": 2},
           "villages": {"submitted": 3, "expected": 3}, "overdue_tasks": 0, "due_soon_tasks": 0,
           "missing_after_deadline": 0, "missing_before_deadline": 0, "activities": {}, "activities_previous": {}}
    data = ProvinceExport("tỉnh Tây Ninh", "2026-12", "tháng 12/2026", "tháng 11/2026", date(2026, 11, 15),
                          date(2026, 12, 14), datetime(2026, 12, 19, 23, 59, tzinfo=DEFAULT_TZ), "trước ngày 20/12/2026",
                          datetime(2026, 12, 5, 9, tzinfo=DEFAULT_TZ), [row], {}, {}, {}, [])
    doc = Document(io.BytesIO(build_province_docx(data, sender="ubnd", number="12/BC-UBND", signer="Lê Văn Bình")))
    lines = [p.text for p in doc.paragraphs]
    assert doc.tables[0].rows[0].cells[0].text == "ỦY BAN NHÂN DÂN\nTỈNH TÂY NINH\n"
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["Số: 12/BC-UBND", "Tây Ninh, ngày 05 tháng 12 năm 2026"]
    assert f"1. Mức Xanh (đúng tiến độ): 1 xã, phường: {A}." in lines
    assert "2. Mức Vàng (cần lưu ý): 0 xã, phường." in lines
    assert "Không có xã, phường nào còn đơn vị, thôn chưa báo cáo sau thời hạn." in lines
    assert "Trong kỳ chưa có số liệu hoạt động của các Tổ công nghệ số cộng đồng." in lines
    assert "Các xã, phường không có nhiệm vụ quá hạn." in lines
    assert "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in _all_text(doc) and "Lê Văn Bình" in _all_text(doc)
    wb = load_workbook(io.BytesIO(build_province_xlsx(data)))
    assert _rows(wb["Nhiệm vụ quá hạn"]) == [["Không có nhiệm vụ quá hạn.", None, None, None, None, None, None, None]]
    assert [r[:5] for r in _rows(wb["Hoạt động"])] == [[1, A, 0, 0, 0], [None, "Toàn tỉnh", 0, 0, 0]]
    with pytest.raises(ValueError):
        build_province_docx(data, sender="xa")
