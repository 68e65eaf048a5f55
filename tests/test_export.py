"""Monthly export on each backend: gathered data, the XLSX workbook, the DOCX draft Báo cáo, the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main
from handlers.exports.data import ExportData, as_json, assess, year_share
from handlers.exports.docx import build_docx, date_line
from handlers.exports.gather import gather_export
from handlers.exports.xlsx import SHEETS, build_xlsx
from storage.calendar.calendar import DEFAULT_TZ, period_by_key
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import (
    ActivityLog,
    Attachment,
    Commune,
    Indicator,
    Report,
    ReportingPeriod,
    ReportItem,
    Task,
)
from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
from storage.plan_store import save_plan
from tests.seed import add_person, make_org

NOW = datetime(2026, 12, 18, 10, 0, tzinfo=DEFAULT_TZ)  # December's unit reports are due before 20/12
HCC, VHXH = "Trung tâm Phục vụ hành chính công", "Phòng Văn hóa - Xã hội"
DIFFICULTY = "Thiếu máy quét tài liệu, đường truyền chậm"
PROPOSAL = "Đề nghị cấp 02 máy quét cho bộ phận một cửa"


def _local(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=DEFAULT_TZ)


async def _seed(db: Database) -> None:
    org = await make_org(db)
    plan = ParsedPlan(title="Kế hoạch chuyển đổi số năm 2026", year=2026, sections=["I"], tasks=[
        ParsedTask("1", "I", "Số hóa hồ sơ TTHC", [HCC], [VHXH], Due("Quý II năm 2026", date(2026, 6, 30))),
        ParsedTask("2", "I", "Tuyên truyền DVC trực tuyến", [HCC], [], Due("Tháng 11/2026", date(2026, 11, 30))),
        ParsedTask("3", "I", "Tập huấn kỹ năng số cho Tổ công nghệ số", [VHXH], [],
                   Due("Tháng 12/2026", date(2026, 12, 31))),
    ], indicators=[
        ParsedIndicator("1", "I", "Tỷ lệ hồ sơ trực tuyến", "%", Target("≥80", ">=", Decimal(80), "%"), [HCC]),
        ParsedIndicator("2", "I", "Có bộ phận một cửa số", None, Target("Đạt", "bool", boolean=True), [HCC]),
        ParsedIndicator("3", "I", "Tỷ lệ dân có định danh điện tử", "%", Target("≥70%", ">=", Decimal(70), "%"),
                        [VHXH]),
        ParsedIndicator("4", "I", "Số mô hình IoT", "IoT", Target("02", "=", Decimal(2), "IoT"), [VHXH]),
    ])
    nam = await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer")
    lan = await add_person(db, org["vhxh"], "Trần Thị Lan", "officer")
    minh = await add_person(db, org["napai"], "Lò Văn Minh", "member")
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, plan, now=datetime(2026, 10, 1, tzinfo=DEFAULT_TZ))
        tasks = {t.code: t.id for t in (await s.exec(select(Task))).all()}
        inds = {i.code: i.id for i in (await s.exec(select(Indicator))).all()}
        stream = next(st for st in default_streams() if st.name == "unit_monthly")
        periods = {}
        for key in ("2026-11", "2026-12"):
            p = period_by_key(stream, key, DEFAULT_TZ)
            rp = ReportingPeriod(commune_id=commune.id, stream=stream.name, key=key, start=p.start, end=p.end,
                                 due=p.due)
            s.add(rp)
            await s.flush()
            periods[key] = rp.id
        # November: HCC says 60% online, VHXH 50% e-ID (nothing from VHXH in December).
        nov_hcc = Report(period_id=periods["2026-11"], unit_id=org["hcc"], person_id=nam,
                         submitted_at=_local(2026, 11, 18))
        nov_vhxh = Report(period_id=periods["2026-11"], unit_id=org["vhxh"], person_id=lan,
                          submitted_at=_local(2026, 11, 19))
        dec = Report(period_id=periods["2026-12"], unit_id=org["hcc"], person_id=nam,
                     submitted_at=_local(2026, 12, 16), difficulties=DIFFICULTY, proposals=PROPOSAL)
        s.add_all([nov_hcc, nov_vhxh, dec])
        await s.flush()
        s.add_all([
            ReportItem(report_id=nov_hcc.id, kind="indicator", ref_id=inds["1"], value_num=Decimal(60)),
            ReportItem(report_id=nov_hcc.id, kind="task", ref_id=tasks["2"], status="in_progress"),
            ReportItem(report_id=nov_vhxh.id, kind="indicator", ref_id=inds["3"], value_num=Decimal(50)),
            ReportItem(report_id=dec.id, kind="task", ref_id=tasks["1"], status="in_progress"),
            ReportItem(report_id=dec.id, kind="task", ref_id=tasks["2"], status="done"),
            ReportItem(report_id=dec.id, kind="indicator", ref_id=inds["1"], value_num=Decimal("85.5")),
            ReportItem(report_id=dec.id, kind="indicator", ref_id=inds["2"], value_bool=False),
        ])
        # Village activities: December window is 15/11–14/12, November's 15/10–14/11.
        for unit, on, code, n in ((org["napai"], date(2026, 12, 1), "vneid", 1200),
                                  (org["napai"], date(2026, 12, 10), "vneid", 34),
                                  (org["napai"], date(2026, 11, 20), "dvc", 7),
                                  (org["napai"], date(2026, 11, 1), "vneid", 1000),
                                  (org["khuoi"], date(2026, 10, 20), "payment", 3)):
            s.add(ActivityLog(commune_id=commune.id, unit_id=unit, person_id=minh, on_date=on, activity=code,
                              count=n, created_at=datetime.combine(on, datetime.min.time(), DEFAULT_TZ)
                              + timedelta(hours=12)))


async def _data(db: Database, period: str | None = None) -> ExportData:
    async with db.session() as s:
        commune = (await s.exec(select(Commune))).one()
        return await gather_export(s, commune, period, NOW, DEFAULT_TZ)


def test_assess_and_date_line() -> None:
    share = year_share(2026, date(2026, 6, 30))
    assert 0.49 < share < 0.5 and year_share(2026, date(2027, 1, 5)) == 1.0
    assert assess(">=", Decimal(80), None, 80.0, None, share) == "on_track"
    assert assess(">", Decimal(80), None, 80.0, None, share) == "at_risk"
    assert assess(">=", Decimal(80), None, 30.0, None, share) == "off_track"
    assert assess(">=", Decimal(80), None, None, None, share) == "no_data"
    assert assess("<=", Decimal(5), None, 7.0, None, share) == "off_track"
    assert assess("bool", None, True, None, True, share) == "on_track"
    assert assess("bool", None, True, None, False, share) == "at_risk"
    assert assess("bool", None, True, None, False, 1.0) == "off_track"
    assert assess("text", None, None, 5.0, None, share) == "no_data"
    assert date_line("Xã Thiện Tân", date(2026, 2, 5)) == "Thiện Tân, ngày 05 tháng 02 năm 2026"
    assert date_line("Vĩnh Thông", date(2026, 12, 18)) == "Vĩnh Thông, ngày 18 tháng 12 năm 2026"


async def test_gather_export(db: Database) -> None:
    await _seed(db)
    data = await _data(db)
    assert (data.commune, data.period_key, data.period_label) == ("Thiện Tân", "2026-12", "tháng 12/2026")
    assert (data.window_start, data.window_end) == (date(2026, 11, 15), date(2026, 12, 14))
    assert data.due_text == "trước ngày 20/12/2026" and data.as_of == date(2026, 12, 14)
    streams = {s.name: s for s in data.streams}
    assert (streams["unit_monthly"].expected, streams["unit_monthly"].on_time) == (2, 1)
    assert streams["unit_monthly"].missing == [VHXH]
    assert streams["village_monthly"].missing == ["Thôn Khuổi Luông"]
    tasks = {t.code: t for t in data.tasks}
    assert tasks["1"].overdue and tasks["1"].status == "in_progress" and tasks["1"].lead_units == [HCC]
    assert not tasks["2"].overdue and tasks["2"].status_vi == "Hoàn thành" and tasks["2"].reported_in == "2026-12"
    assert tasks["3"].due_soon and tasks["3"].status is None
    inds = {i.code: i for i in data.indicators}
    assert (inds["1"].latest_value, inds["1"].status) == (85.5, "on_track")
    assert inds["2"].status == "at_risk" and inds["2"].latest_achieved is False
    assert (inds["3"].latest_value, inds["3"].status, inds["3"].reported_in) == (50.0, "off_track", "2026-11")
    assert inds["4"].status == "no_data"
    totals = {a.code: (a.count, a.previous) for a in data.activity_totals}
    assert totals == {"vneid": (1234, 1000), "dvc": (7, 0), "payment": (0, 3)}
    rows = {(a.village, a.code): (a.count, a.previous) for a in data.activities}
    assert rows[("Thôn Nà Pài", "vneid")] == (1234, 1000) and rows[("Thôn Khuổi Luông", "payment")] == (0, 3)
    [rep] = data.reports
    assert rep.unit == HCC and rep.person == "Hoàng Văn Nam" and rep.difficulties == DIFFICULTY
    assert [(i.kind, i.code) for i in rep.items] == [("task", "1"), ("task", "2"), ("indicator", "1"),
                                                      ("indicator", "2")]
    assert {m.unit for m in data.missing} == {VHXH, "Thôn Khuổi Luông"}
    js = json.loads(json.dumps(as_json(data)))
    assert js["window_start"] == "2026-11-15" and js["reports"][0]["items"][2]["value"] == 85.5
    # November on request ("tháng 11"): VHXH reported then; December's values are not "latest" yet.
    nov = await _data(db, "tháng 11")
    assert nov.period_key == "2026-11" and {i.code: i.latest_value for i in nov.indicators}["1"] == 60.0
    with pytest.raises(ValueError):
        await _data(db, "quý 9")


async def test_xlsx_workbook(db: Database) -> None:
    await _seed(db)
    async with db.transaction() as s:  # evidence: two photos for indicator 1, one document for the report
        dec = (await s.exec(select(Report).where(Report.difficulties == DIFFICULTY))).one()
        ind1 = (await s.exec(select(Indicator).where(Indicator.code == "1"))).one()
        for n, (kind, ref) in enumerate((("indicator", ind1.id), ("indicator", ind1.id), (None, None))):
            s.add(Attachment(report_id=dec.id, item_kind=kind, item_ref_id=ref, channel="telegram",
                             kind="photo" if kind else "document", file_ref=f"f{n}", file_key=f"{n:064x}"))
    wb = load_workbook(BytesIO(build_xlsx(await _data(db))))
    assert wb.sheetnames == list(SHEETS)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    summary = wb["Tổng hợp"]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert values["Xã"] == "Thiện Tân" and values["Kỳ báo cáo"] == "tháng 12/2026"
    assert values["Số liệu từ ngày"] == datetime(2026, 11, 15)  # a real date cell
    assert values["Nhiệm vụ quá hạn"] == 1
    acts = wb["Hoạt động thôn"]
    assert [c.value for c in acts[1]][:3] == ["Thôn", "Hoạt động", "Mã"]
    rows = {(r[0], r[2]): r for r in acts.iter_rows(min_row=2, values_only=True)}
    assert rows[("Thôn Nà Pài", "vneid")][3:] == (1234, 1000, 234)
    inds = wb["Chỉ tiêu"]
    assert inds["C1"].value == "Chỉ tiêu" and inds["G1"].value == "Giá trị mới nhất"
    by_code = {r[1]: r for r in inds.iter_rows(min_row=2, values_only=True)}
    assert by_code["1"][6] == 85.5 and isinstance(by_code["1"][6], float)
    assert by_code["1"][9] == "Đạt, đúng tiến độ" and by_code["3"][9] == "Chậm tiến độ"
    tasks = {r[1]: r for r in wb["Nhiệm vụ"].iter_rows(min_row=2, values_only=True)}
    assert tasks["1"][5] == datetime(2026, 6, 30) and tasks["1"][8] == "Có"
    reports = list(wb["Báo cáo đơn vị"].iter_rows(min_row=2, values_only=True))
    assert reports[0][0] == HCC and reports[0][2] == datetime(2026, 12, 16, 9, 0) and reports[0][14] == DIFFICULTY
    head = [c.value for c in wb["Báo cáo đơn vị"][1]]
    assert head[-2:] == ["Tệp minh chứng", "Tệp minh chứng chung"]
    files = {(r[5], r[6]): (r[16], r[17]) for r in reports if r[0] == HCC}
    assert files[("Chỉ tiêu", "1")][0] == 2 and files[("Chỉ tiêu", "2")][0] == 0  # per item, numeric cells
    assert [r[17] for r in reports if r[0] == HCC][0] == 1  # the report's own files, on its first row
    missing = wb["Chưa báo cáo"]
    assert missing["B1"].value == "Đơn vị / thôn"
    assert {r[1] for r in missing.iter_rows(min_row=2, values_only=True)} == {VHXH, "Thôn Khuổi Luông"}
    assert 8 <= wb["Nhiệm vụ"].column_dimensions["C"].width <= 60


def _texts(doc: Document) -> list[str]:  # type: ignore[valid-type]
    return [p.text for p in doc.paragraphs]  # type: ignore[attr-defined]


async def test_docx_state_layout(db: Database) -> None:
    await _seed(db)
    doc = Document(BytesIO(build_docx(await _data(db), number="05", signer="Nguyễn Văn An",
                                      recipients=["Sở Khoa học và Công nghệ", "Đảng ủy xã"])))
    sec = doc.sections[0]
    sizes = (sec.page_width, sec.page_height, sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)
    assert [round(x.mm, 1) for x in sizes] == [210, 297, 20, 20, 30, 15]
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Times New Roman"
    head = doc.tables[0]
    assert [p.text for p in head.cell(0, 0).paragraphs if p.text] == ["ỦY BAN NHÂN DÂN", "XÃ THIỆN TÂN"]
    assert all(r.bold for p in head.cell(0, 0).paragraphs for r in p.runs)
    right = [p.text for p in head.cell(0, 1).paragraphs if p.text]
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert head.cell(1, 0).text == "Số: 05/BC-UBND"
    assert head.cell(1, 1).text == "Thiện Tân, ngày 18 tháng 12 năm 2026"
    assert head.cell(1, 1).paragraphs[0].runs[0].italic
    texts = _texts(doc)
    title = texts.index("BÁO CÁO")
    assert texts[title + 1] == "Kết quả thực hiện Kế hoạch chuyển đổi số tháng 12/2026"
    heads = ["I. KẾT QUẢ THỰC HIỆN", "II. KHÓ KHĂN, VƯỚNG MẮC", "III. KIẾN NGHỊ, ĐỀ XUẤT",
             "IV. NHIỆM VỤ TRỌNG TÂM THÁNG TỚI"]
    where = [texts.index(h) for h in heads]
    assert where == sorted(where) and where[0] > title
    body = "\n".join(texts)
    assert f"{HCC}: {DIFFICULTY}." in body and PROPOSAL in body
    assert "85,5%" in body and "Số hóa hồ sơ TTHC" in body[body.index(heads[3]):]  # overdue → next month
    [activity] = [t for t in doc.tables if t.cell(0, 0).text == "TT"]
    assert [c.text for c in activity.rows[1].cells][2:] == ["1.234", "1.000", "tăng 234"]
    last = [t for t in texts if t.strip()][-1]
    assert last.endswith("./.")
    fmt = doc.paragraphs[where[0] + 2].paragraph_format
    assert round(fmt.first_line_indent.mm, 1) == 10 and fmt.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    sign = doc.tables[-1]
    left = [p.text for p in sign.cell(0, 0).paragraphs]
    assert left == ["Nơi nhận:", "- Sở Khoa học và Công nghệ;", "- Đảng ủy xã;", "- Lưu: VT, VHXH."]
    run = sign.cell(0, 0).paragraphs[0].runs[0]
    assert run.bold and run.italic and run.font.size.pt == 12
    assert sign.cell(0, 0).paragraphs[1].runs[0].font.size.pt == 11
    signer = [p.text for p in sign.cell(0, 1).paragraphs if p.text]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn An"]


async def test_docx_party_layout(db: Database) -> None:
    await _seed(db)
    doc = Document(BytesIO(build_docx(await _data(db), party=True, number="03", signer="Lê Văn Bình")))
    head = doc.tables[0]
    assert [p.text for p in head.cell(0, 0).paragraphs] == ["ĐẢNG BỘ XÃ THIỆN TÂN", "BAN CHỈ ĐẠO 57", "*"]
    cell = head.cell(0, 1).paragraphs[0]
    assert cell.text == "ĐẢNG CỘNG SẢN VIỆT NAM" and cell.runs[0].underline and cell.runs[0].bold
    assert head.cell(1, 0).text == "Số 03-BC/BCĐ"
    assert head.cell(1, 1).text == "Thiện Tân, ngày 18 tháng 12 năm 2026"
    signer = [p.text for p in doc.tables[-1].cell(0, 1).paragraphs if p.text]
    assert signer == ["T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN", "Lê Văn Bình"]
    assert "CỘNG HÒA" not in "\n".join(p.text for t in doc.tables for c in t._cells for p in c.paragraphs)


async def test_empty_commune_exports(db: Database) -> None:
    await make_org(db)
    data = await _data(db)
    assert not data.tasks and not data.reports and not data.activity_totals
    assert load_workbook(BytesIO(build_xlsx(data))).sheetnames == list(SHEETS)
    texts = [t for t in _texts(Document(BytesIO(build_docx(data)))) if t.strip()]
    assert "Trong kỳ chưa có cơ quan, đơn vị nào gửi báo cáo." in texts and texts[-1].endswith("./.")
    assert json.loads(json.dumps(as_json(data)))["tasks"] == []


async def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
               *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_cli_export(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
                          db: Database, tmp_path: Path) -> None:
    await _seed(db)
    base = ("export", "--commune", "Thiện Tân", "--at", NOW.isoformat())
    for fmt, extra in (("xlsx", ()), ("docx", ("--party",)), ("json", ("--period", "tháng 12"))):
        out = tmp_path / f"bc.{fmt}"
        code, stdout, err = await _cli(monkeypatch, capsys, db_url, *base, "--format", fmt, *extra,
                                       "--out", str(out))
        assert code == 0, err
        assert stdout.strip() == f"wrote {out} ({out.stat().st_size} bytes)"
    assert load_workbook(tmp_path / "bc.xlsx").sheetnames == list(SHEETS)
    assert Document(str(tmp_path / "bc.docx")).tables[0].cell(0, 1).text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    js = json.loads((tmp_path / "bc.json").read_text(encoding="utf-8"))
    assert js["period_key"] == "2026-12" and js["commune"] == "Thiện Tân"
    assert {i["code"]: i["status"] for i in js["indicators"]} == {
        "1": "on_track", "2": "at_risk", "3": "off_track", "4": "no_data"}
    assert sorted(m["unit"] for m in js["missing"]) == sorted([VHXH, "Thôn Khuổi Luông"])
    for args, why in ((("--commune", "Không Có"), "no commune"), (("--period", "tháng 13"), "period"),
                      (("--out", str(tmp_path / "nope" / "x.xlsx")), "cannot write"),
                      (("--out", str(tmp_path)), "cannot write")):
        argv = list(base) + ["--format", "xlsx", "--out", str(tmp_path / "e.xlsx")]
        for i in range(0, len(args), 2):
            if args[i] in argv:
                argv[argv.index(args[i]) + 1] = args[i + 1]
            else:
                argv += [args[i], args[i + 1]]
        code, stdout, err = await _cli(monkeypatch, capsys, db_url, *argv)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error:") and why in lines[0], err
    assert not (tmp_path / "e.xlsx").exists()


async def test_docx_renders_with_libreoffice(db: Database, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("libreoffice/soffice not on PATH: cannot render the DOCX to PDF here")
    await _seed(db)
    src = tmp_path / "bc.docx"
    src.write_bytes(build_docx(await _data(db)))
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, timeout=180, capture_output=True,
                   env={**os.environ, "HOME": str(tmp_path)})
    pdf = tmp_path / "bc.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
