"""Plan import: the five seed plans and built .docx/.xlsx/.csv/.md files parse into ParsedPlan."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from storage.errors import ImportFailed
from storage.plan_import.model import ParsedPlan
from storage.plan_import.parse import parse_plan_file

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"  # copies of the five seed plans


# --- helpers (kept here: tests/conftest.py belongs to the lead) --------------------------------


def seed_path(prefix: str) -> Path:
    """The seed file whose name starts with ``prefix`` (tests/data/seeds; a missing one fails)."""
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert found, f"seed {prefix}_*.txt not found in {SEEDS}"
    return found[0]


_CACHE: dict[str, ParsedPlan] = {}


def seed(prefix: str) -> ParsedPlan:
    if prefix not in _CACHE:
        _CACHE[prefix] = parse_plan_file(seed_path(prefix))
    return _CACHE[prefix]


def per_section(records: list) -> list[int]:
    counts = Counter(r.section for r in records)
    return [counts[s] for s in dict.fromkeys(r.section for r in records)]


def task(plan: ParsedPlan, code: str):
    return next(t for t in plan.tasks if t.code == code)


def indicator(plan: ParsedPlan, code: str):
    return next(i for i in plan.indicators if i.code == code)


def add_table(doc, rows: list[list[str]]) -> None:  # noqa: ANN001
    """A Word table; a one-item row becomes a bold title merged across the row."""
    table = doc.add_table(rows=0, cols=max(len(r) for r in rows))
    for row in rows:
        cells = table.add_row().cells
        if len(row) == 1:
            merged = cells[0].merge(cells[-1])
            merged.text = row[0]
            merged.paragraphs[0].runs[0].bold = True
            continue
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def build_docx(path: Path, *, tables: bool = True, prose: list[str] | None = None) -> Path:
    import docx

    doc = docx.Document()
    for text in ["UBND XÃ THỬ NGHIỆM", "KẾ HOẠCH", "Chuyển đổi số xã Thử Nghiệm năm 2026", *(prose or [])]:
        doc.add_paragraph(text)
    if tables:
        header = ["STT", "Tên nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện"]
        doc.add_paragraph("PHỤ LỤC I: DANH MỤC NHIỆM VỤ")
        add_table(doc, [
            header,
            ["1", "Nâng cấp mạng nội bộ", "Văn phòng HĐND và UBND xã", "Công an xã", "Quý II năm 2026"],
            ["A. NHIỆM VỤ THƯỜNG XUYÊN"],
            ["2", "Cập nhật trang thông tin điện tử", "Trung tâm Dịch vụ công", "", "Thường xuyên"],
            header,  # repeated after a page break
            ["3", "Tập huấn kỹ năng số", "Phòng Văn hóa - Xã hội", "Các thôn", "Quý III/2026"],
        ])
        doc.add_paragraph("PHỤ LỤC II: CHỈ TIÊU")
        add_table(doc, [
            ["TT", "Chỉ tiêu", "Đơn vị tính", "Kết quả", "Cơ quan chủ trì"],
            ["I", "Hạ tầng số", "", "", ""], ["1", "Tỷ lệ phủ sóng 5G", "%", "≥80", "Công an xã"],
            ["II", "Dịch vụ công", "", "", ""], ["1", "Hồ sơ trực tuyến", "%", "100", "Trung tâm PV HCC"],
        ])
    doc.save(str(path))
    return path


def build_xlsx(path: Path) -> Path:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Chỉ tiêu"
    sheet.append(["KẾ HOẠCH chuyển đổi số phường Thử Nghiệm năm 2027"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu năm 2027", "Đơn vị chủ trì", "Thời gian"])
    sheet.append(["I. Hạ tầng"])
    sheet.merge_cells("A4:F4")
    sheet["A4"].font = Font(bold=True)
    sheet.append([1, "Tỷ lệ hộ có cáp quang", "%", 0.95, "Phòng Kinh tế", "Quý IV"])
    sheet["D5"].number_format = "0%"
    sheet.append([2, "Số camera giám sát", "camera", 12, "Công an phường; Phòng Kinh tế", "Tháng 6/2027"])
    sheet.append([3, "Khung kiến trúc số", None, "Đạt", "UBND phường", "Năm 2027"])
    book.save(str(path))
    return path


# --- seeds ---------------------------------------------------------------------------------------

EXPECTED = {
    "000": (12, 17, [], [4, 3, 10]),
    "001": (0, 90, [], [2, 4, 9, 7, 24, 17, 1, 7, 7, 7, 5]),
    "002": (13, 21, [], [5, 3, 11, 2]),
    "003": (17, 0, [10, 3, 4], []),
    "004": (39, 41, [5, 2, 4, 4, 6, 3, 2, 3, 1, 5, 4], [2, 1, 5, 8, 3, 9, 2, 3, 3, 2, 3]),
}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_counts(prefix: str) -> None:
    plan = seed(prefix)
    n_tasks, n_inds, task_sections, ind_sections = EXPECTED[prefix]
    assert len(plan.tasks) == n_tasks
    assert len(plan.indicators) == n_inds
    if task_sections:
        assert per_section(plan.tasks) == task_sections
    if ind_sections:
        assert per_section(plan.indicators) == ind_sections
    assert plan.year == 2026
    assert len({t.code for t in plan.tasks}) == len(plan.tasks)
    assert len({i.code for i in plan.indicators}) == len(plan.indicators)
    assert len(plan.sections) == max(len(task_sections), len(ind_sections))


def test_seed_000_vinh_thong() -> None:
    plan = seed("000")
    assert plan.title.startswith("Triển khai thực hiện Đề án số 22-ĐA/TU")
    assert plan.sections == ["I. Phát triển hạ tầng", "II. Phát triển nguồn lực", "III. Phát triển chuyển đổi số"]
    assert [t.code for t in plan.tasks] == [str(n) for n in range(1, 13)]  # no restart: plain codes
    first = indicator(plan, "1")
    assert first.name == "Tỷ lệ phủ sóng 4G trên dân số"
    assert first.unit == "%"
    assert (first.target.op, first.target.value) == ("=", Decimal("90"))
    assert first.owner_units == ["Phòng Văn hóa - Xã hội"]
    last = indicator(plan, "17")  # after the header repeated at the page break
    assert last.section == "III. Phát triển chuyển đổi số"
    assert last.owner_units == ["Công an xã"]
    t2 = task(plan, "2")
    assert t2.title.startswith("Tập huấn cho cán bộ, công chức")
    assert t2.lead_units == ["Phòng Văn hóa - Xã hội"]
    assert t2.due.date == date(2026, 9, 30)  # "Từ quý II đến quý III năm 2026"
    t9 = task(plan, "9")
    assert t9.lead_units == ["Phòng Kinh tế"]
    assert "Phòng Văn hóa - Xã hội" in t9.partner_units
    assert t9.due.date == date(2026, 12, 31)  # "Năm 2026"
    assert task(plan, "7").due.date == date(2026, 12, 31)  # "Quý IV năm 2026"


def test_seed_001_tieu_can() -> None:
    plan = seed("001")
    assert plan.title == "Phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số năm 2026"
    assert plan.tasks == []
    assert plan.sections[0] == "I. Chỉ tiêu kết quả, đóng góp tăng trưởng"
    assert plan.sections[3] == "IV. Về số hóa, dữ liệu, nền tảng số"  # a "#### …" line
    assert plan.sections[5] == "VI. Về Khoa học, công nghệ và đổi mới sáng tạo"  # "#### **…**"
    i1 = indicator(plan, "I.1")  # numbering restarts per section → prefixed codes
    assert i1.name.startswith("Phần đầu đóng góp vào tỷ trọng kinh tế số")
    assert i1.target.op in {"=", ">="} and i1.target.value == Decimal("8.05") and i1.target.unit == "%"
    assert i1.owner_units == ["UBND xã"]
    assert indicator(plan, "II.1").target.op == "bool"  # "Đạt"
    assert indicator(plan, "V.12").target.value == Decimal("98")  # score without unit
    assert indicator(plan, "V.23").target.text == ""  # empty target cell
    v2 = indicator(plan, "V.2")  # right after the stray "---" row
    assert v2.name.startswith("Tỷ lệ TTHC cung cấp DVC trực tuyến trên tổng số")
    assert indicator(plan, "XI.5").owner_units == ["Ủy ban kiểm tra Đảng ủy"]


def test_seed_002_bac_kan() -> None:
    plan = seed("002")
    assert plan.title.startswith("Triển khai thực hiện Đề án số 22-ĐA/TU")
    i5 = indicator(plan, "5")
    assert i5.unit == "IoT" and i5.target.value == Decimal("2")
    i1 = indicator(plan, "1")
    assert (i1.target.op, i1.target.value) == (">", Decimal("95"))
    assert indicator(plan, "15").target.op == ">="
    t7 = task(plan, "7")  # its partner cell wraps onto a tab-indented line
    assert t7.partner_units == ["Các doanh nghiệp viễn thông"]
    assert t7.due.date == date(2026, 12, 31)  # "Quý IV" with the plan's year
    t11 = task(plan, "11")
    assert "Phòng Văn hóa - Xã hội" in t11.lead_units
    assert task(plan, "13").title.startswith("Triển khai “Trường học số”")


def test_seed_003_tan_thanh() -> None:
    plan = seed("003")
    assert plan.title == "Chuyển đổi số xã Tân Thanh năm 2026"
    assert plan.indicators == []
    assert plan.sections == ["I. CHÍNH QUYỀN SỐ", "II. KINH TẾ SỐ", "III. XÃ HỘI SỐ"]
    t1 = task(plan, "I.1")
    assert t1.title == "Thực hiện và báo cáo định kỳ theo Kế hoạch 02-KH/BCĐTW"
    assert t1.output == "Báo cáo đúng hạn"
    assert t1.detail and t1.detail.startswith("Phân công công chức phụ trách 3 trụ cột")
    assert t1.due.date == date(2026, 12, 31)  # "Quý I–IV/2026"
    t3 = task(plan, "I.3")
    assert t3.lead_units[0].startswith("Trung tâm phục vụ Hành chính công")
    assert t3.due.kind == "recurring"  # "Thường xuyên"
    assert task(plan, "I.4").output == "Website hoạt động, ≥100 tin/năm"  # LaTeX cleaned
    assert task(plan, "I.6").due.date == date(2026, 6, 30)  # after a repeated header
    assert task(plan, "II.1").output == "≥02 hộ có gian hàng trực tuyến"
    assert task(plan, "III.2").due.date == date(2026, 3, 31)


def test_seed_004_thien_tan_prose() -> None:
    plan = seed("004")
    assert plan.title.startswith("Thực hiện Nghị quyết số 57-NQ/TW")
    assert plan.sections[0] == "Nhóm 1: Công tác chỉ đạo, điều hành"
    n11 = task(plan, "N1.1")
    assert n11.title.startswith("Tổ chức rà soát, chuẩn hóa các nội dung")
    assert n11.due.date == date(2026, 4, 29)  # "Trước ngày 30/4/2026": by the end of 29/4
    n15 = task(plan, "N1.5")  # wrapped title and "X chủ trì, phối hợp với Y" in one line
    assert n15.title.endswith("trên Hệ thống theodoing.dcs.vn.")
    assert n15.lead_units == ["Phòng Văn hoá – Xã hội"] or n15.lead_units == ["Phòng Văn hóa - Xã hội"]
    assert n15.partner_units
    n21 = task(plan, "N2.1")
    assert n21.partner_units == ["Văn phòng HĐND&UBND xã"]
    n41 = task(plan, "N4.1")  # two deadline lines: the open one wins, the done one goes to detail
    assert n41.due.date == date(2026, 6, 30)
    assert n41.detail and "Đã thực hiện xong" in n41.detail
    assert task(plan, "N5.6").due.date == date(2026, 6, 30)
    assert task(plan, "N5.6").lead_units == ["Công an xã"]
    assert task(plan, "N9.1").title.startswith("Tăng cường nghiên cứu")  # "Nhiệm vụ:" without a number
    assert task(plan, "N8.2").due.kind == "external"
    r = indicator(plan, "N1.KQ1")
    assert (r.target.op, r.target.value, r.target.unit) == (">=", Decimal("90"), "%")
    assert r.owner_units == []  # group 1 has several lead units: not six units asked the same result
    assert sum(1 for i in plan.indicators if i.owner_units) == 10  # groups led by one unit keep it
    r35 = indicator(plan, "N3.KQ5")  # a result bullet wrapped onto the next paragraph
    assert r35.name.endswith("phù hợp với yêu cầu nhiệm vụ.")
    assert indicator(plan, "N10.KQ1").owner_units == ["Công an xã"]
    # results read like prose targets: their due phrase, a short counted unit
    assert r.due is not None and (r.due.text, r.due.date) == ("trong năm 2026", date(2026, 12, 31))
    r41 = indicator(plan, "N4.KQ1")  # "… trong quý II/2026"
    assert r41.due is not None and r41.due.date == date(2026, 6, 30) and r41.target.value == Decimal("100")
    assert indicator(plan, "N4.KQ2").due is None  # no due phrase: the plan's year
    r71, r72 = indicator(plan, "N7.KQ1"), indicator(plan, "N7.KQ2")
    assert (r71.target.op, r71.target.value, r71.unit) == (">=", Decimal("1"), "mô hình")
    assert (r72.target.op, r72.target.value, r72.unit) == ("=", Decimal("5"), "sáng kiến")
    assert indicator(plan, "N9.KQ1").target.op == "text"  # nothing measurable: a qualitative result


def test_year_argument_wins() -> None:
    plan = parse_plan_file(seed_path("002"), year=2027)
    assert plan.year == 2027
    assert task(plan, "7").due.date == date(2027, 12, 31)  # "Quý IV" takes the given year


# --- built files ---------------------------------------------------------------------------------


def test_docx_tables(tmp_path: Path) -> None:
    plan = parse_plan_file(build_docx(tmp_path / "plan.docx"))
    assert plan.title == "Chuyển đổi số xã Thử Nghiệm năm 2026"
    assert plan.year == 2026
    assert [t.code for t in plan.tasks] == ["1", "2", "3"]  # repeated header skipped
    assert plan.tasks[0].section is None
    assert plan.tasks[1].section == plan.tasks[2].section == "A. NHIỆM VỤ THƯỜNG XUYÊN"
    assert plan.tasks[0].lead_units == ["Văn phòng HĐND và UBND xã"]
    assert plan.tasks[0].partner_units == ["Công an xã"]
    assert plan.tasks[0].due.date == date(2026, 6, 30)
    assert plan.tasks[2].due.date == date(2026, 9, 30)
    assert [i.code for i in plan.indicators] == ["I.1", "II.1"]  # numbering restarts
    first = plan.indicators[0]
    assert (first.section, first.unit, first.target.op, first.target.value) == (
        "I. Hạ tầng số", "%", ">=", Decimal("80"))
    assert plan.sections == ["A. NHIỆM VỤ THƯỜNG XUYÊN", "I. Hạ tầng số", "II. Dịch vụ công"]


def test_docx_prose(tmp_path: Path) -> None:
    prose = [
        "III. NHIỆM VỤ VÀ GIẢI PHÁP", "Nhóm 1: Hạ tầng số", "1.1. Nội dung trọng tâm và thời hạn",
        "Nhiệm vụ 1: Rà soát thiết bị.", "Thời gian hoàn thành: Quý II năm 2026.",
        "Cơ quan, đơn vị chủ trì thực hiện: Công an xã.", "Cơ quan, đơn vị phối hợp thực hiện: Các thôn.",
        "Nhiệm vụ 2: Số hóa hồ sơ.", "Thời hạn hoàn thành: Tháng 12/2026.",
        "Cơ quan, đơn vị thực hiện: Trung tâm Phục vụ hành chính công xã.",
        "1.2. Kết quả cần đạt", "Tối thiểu 90% hồ sơ được số hóa.", "100% thôn có wifi.",
        "IV. TỔ CHỨC THỰC HIỆN", "Nhiệm vụ 9: không tính.",
    ]
    plan = parse_plan_file(build_docx(tmp_path / "prose.docx", tables=False, prose=prose))
    assert [t.code for t in plan.tasks] == ["N1.1", "N1.2"]
    assert plan.tasks[0].lead_units == ["Công an xã"] and plan.tasks[0].partner_units == ["Các thôn"]
    assert plan.tasks[1].due.date == date(2026, 12, 31)
    assert [i.code for i in plan.indicators] == ["N1.KQ1", "N1.KQ2"]
    assert plan.indicators[0].target.value == Decimal("90")
    # Two units lead the group's tasks: the results are nobody's own (the lead office's until assigned).
    assert plan.indicators[1].owner_units == []


def test_xlsx(tmp_path: Path) -> None:
    plan = parse_plan_file(build_xlsx(tmp_path / "plan.xlsx"))
    assert plan.title.startswith("Chuyển đổi số phường Thử Nghiệm năm 2027")
    assert plan.year == 2027
    assert len(plan.indicators) == 3 and len(plan.tasks) == 3  # target and time columns: both
    first = plan.indicators[0]
    assert (first.section, first.unit, first.target.value) == ("I. Hạ tầng", "%", Decimal("95"))
    assert plan.indicators[1].owner_units == ["Công an phường", "Phòng Kinh tế"]
    assert plan.indicators[2].target.op == "bool"
    assert plan.tasks[0].due.date == date(2027, 12, 31)
    assert plan.tasks[1].due.date == date(2027, 6, 30)


@pytest.mark.parametrize("delimiter, encoding", [(";", "utf-8-sig"), (",", "utf-8"), ("\t", "utf-8")])
def test_csv(tmp_path: Path, delimiter: str, encoding: str) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(["STT", "Nội dung", "Đơn vị chủ trì", "Phối hợp", "Thời hạn"])
    writer.writerow(["1", "Kiện toàn Tổ công nghệ số cộng đồng", "Phòng Văn hóa - Xã hội", "Các thôn, tổ",
                     "Quý I/2026"])
    writer.writerow(["2", "Triển khai ký số", "Văn phòng HĐND và UBND", "", "Tháng 6/2026"])
    path = tmp_path / "plan.csv"
    path.write_text(buf.getvalue(), encoding=encoding)
    plan = parse_plan_file(path, year=2026)
    assert [t.code for t in plan.tasks] == ["1", "2"]
    assert plan.tasks[0].title == "Kiện toàn Tổ công nghệ số cộng đồng"
    assert plan.tasks[0].lead_units == ["Phòng Văn hóa - Xã hội"]
    assert plan.tasks[0].due.date == date(2026, 3, 31)
    assert plan.title == "plan"  # no "KẾ HOẠCH" heading: file name


def test_markdown_pipe_table(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(
        "# KẾ HOẠCH\n\nỨng dụng AI năm 2026\n\n"
        "| TT | Nhiệm vụ | Chủ trì | Thời gian |\n|---|---|---|---|\n"
        "| 1 | Tập huấn AI | Phòng Văn hóa - Xã hội | Quý III/2026 |\n", encoding="utf-8")
    plan = parse_plan_file(path)
    assert plan.title == "Ứng dụng AI năm 2026"
    assert [(t.code, t.title) for t in plan.tasks] == [("1", "Tập huấn AI")]


# --- failures: one clear line, never a traceback or a partial plan ---------------------------------


BAD_FILES = {  # name → (content, words the one-line message must hold)
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"\n  \n\t\n", "empty"),
    "letter.txt": ("KẾ HOẠCH\n\nMột văn bản không có bảng.\n".encode(), "no table"),
    "junk.txt": (b"\x00\x01\x02binary", "binary"),
    "junk.xlsx": (bytes(range(256)) * 8, "excel"),
    "junk.docx": (b"PK\x03\x04" + bytes(range(200)), "word"),
    "plan.pdf": (b"%PDF-1.4\n", "unsupported file type"),
    "plan.doc": (b"\xd0\xcf\x11\xe0", "save it as .docx"),
    "nowhere.docx": (None, "not found"),
    "bare.docx": ("docx", "no table"),  # a Word file with a title and one paragraph, nothing else
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_fail_with_one_line(tmp_path: Path, name: str) -> None:
    content, needle = BAD_FILES[name]
    path = tmp_path / name
    if content == "docx":
        build_docx(path, tables=False, prose=["Xin chào."])
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ImportFailed) as info:
        parse_plan_file(path)
    message = str(info.value)
    assert "\n" not in message and name in message
    assert needle in message.lower()


def test_docx_table_split_in_two(tmp_path: Path) -> None:
    """A Word table cut in two at a page break (no repeated header) is still one table; a table of
    another width right after it is not."""
    import docx

    doc = docx.Document()
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Ứng dụng công nghệ số năm 2026")
    parts = [
        [["TT", "Nhiệm vụ", "Chủ trì", "Thời gian"], ["1", "Lắp camera", "Công an xã", "Quý II/2026"]],
        [["2", "Số hóa di tích", "Phòng Văn hóa - Xã hội", "Quý IV/2026"]],
        [["Nơi nhận:", "TM. ỦY BAN NHÂN DÂN"]],
    ]
    for rows in parts:
        add_table(doc, rows)
    doc.save(str(tmp_path / "split.docx"))
    plan = parse_plan_file(tmp_path / "split.docx")
    assert [(t.code, t.lead_units) for t in plan.tasks] == [
        ("1", ["Công an xã"]), ("2", ["Phòng Văn hóa - Xã hội"])]


def test_text_table_quirks(tmp_path: Path) -> None:
    """Repeated header, stray separators, `####` and `<b>` section rows, wrapped cells (tabbed or
    a bare lower-case fragment of the last cell), and numbering that restarts per section."""
    header = "TT\tNội dung nhiệm vụ\tĐơn vị chủ trì\tThời hạn hoàn thành\tĐơn vị phối hợp"
    text = "\n".join([
        "KẾ HOẠCH", "Chuyển đổi số", "năm 2026", "", header,
        "<b>I. Chính quyền số</b>\t\t\t\t",
        "1\tKý số văn bản\tVăn phòng\tQuý II\tCác phòng",
        "2\tLắp đặt wifi công cộng tại\tPhòng Kinh tế\tQuý III\tCác doanh nghiệp viễn",
        "\tnhà văn hóa các thôn\t\t\tthông",
        "---\t---\t---\t---\t---", "", header,
        "#### **II. Xã hội số**",
        "1\tTập huấn kỹ năng số\tPhòng Văn hóa - Xã hội\tTháng 6/2026\tCác hội",
        "đoàn thể xã",
    ])
    path = tmp_path / "quirks.txt"
    path.write_text(text, encoding="utf-8")
    plan = parse_plan_file(path)
    assert plan.title == "Chuyển đổi số năm 2026"
    assert [t.code for t in plan.tasks] == ["I.1", "I.2", "II.1"]
    assert plan.sections == ["I. Chính quyền số", "II. Xã hội số"]
    wrapped = plan.tasks[1]
    assert wrapped.title == "Lắp đặt wifi công cộng tại nhà văn hóa các thôn"
    assert wrapped.partner_units == ["Các doanh nghiệp viễn thông"]
    assert wrapped.due.date == date(2026, 9, 30)
    assert plan.tasks[2].partner_units == ["Các hội đoàn thể xã"]
    assert plan.tasks[2].due.date == date(2026, 6, 30)


def test_any_text_parses_or_fails_cleanly(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Whatever a .txt holds, the result is a plan or ImportFailed — never another exception."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from([
        "TT\tNhiệm vụ\tChủ trì\tThời gian", "STT\tChỉ tiêu\tĐơn vị tính\tKết quả\tCơ quan chủ trì",
        "1\tLắp camera\tCông an xã\tQuý II", "I\tHạ tầng\t\t", "\t\tthông\t", "---\t---", "#### II. Số",
        "KẾ HOẠCH", "Nhóm 1: Hạ tầng", "Nhiệm vụ 1: Rà soát", "Thời gian hoàn thành: Quý IV",
        "1.2. Kết quả cần đạt", "- Tối thiểu 90% hồ sơ", "Cơ quan, đơn vị thực hiện: Công an xã", "",
        "<b>III. X</b>\t\t", "2\t\t\t", "\t", "lower case tail", "IV. TỔ CHỨC",
    ])
    folder = tmp_path_factory.mktemp("fuzz")

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.one_of(pieces, st.text(max_size=30)), max_size=25))
    def check(lines: list[str]) -> None:
        path = folder / "fuzz.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        try:
            plan = parse_plan_file(path, year=2026)
        except ImportFailed as exc:
            assert "\n" not in str(exc) and "unexpected" not in str(exc)  # a clean refusal, not a bug
        else:
            assert plan.tasks or plan.indicators

    check()
