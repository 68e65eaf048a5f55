"""Prose targets (bullets and sentences under target headings) and Word's automatic list numbering."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from storage.plan_import.parse import parse_plan_file
from storage.plan_import.phrases import parse_target
from storage.plan_import.prose_targets import parse_prose_targets
from storage.plan_import.readers import Line, read_items


def _targets(text: str, year: int = 2026) -> list[tuple[str, str | None, str, Decimal | None, str | None, date | None]]:
    found = parse_prose_targets(text.strip().splitlines(), year)
    return [(i.code, i.section, i.target.op, i.target.value, i.unit, i.due.date if i.due else None)
            for i in found.indicators]


def test_headings_decide_what_is_a_target() -> None:
    text = """
I. TÌNH HÌNH THỰC HIỆN CÁC MỤC TIÊU NĂM 2025
- 100% thủ tục hành chính được cung cấp trực tuyến. Kết quả: Đạt 100%.
II. MỤC TIÊU, YÊU CẦU
1. Mục tiêu
a) Mục tiêu chung
Xây dựng chính quyền số. Phấn đấu đến năm 2030 xã đạt chuẩn xã thông minh: Đạt.
b) Mục tiêu cụ thể đến năm 2030
- Tỷ lệ phủ sóng 4G đạt 99%; tỷ lệ hộ có cáp quang trên 85%.
- Tối thiểu 80% người dân trưởng thành có chữ ký số (đến hết năm 2026).
- Không quá 5% hồ sơ trễ hạn.
2. Yêu cầu
- Bảo đảm 100% tiến độ.
III. NHIỆM VỤ
- Tuyên truyền 100% các thôn.
"""
    assert _targets(text) == [
        ("MT1", "a) Mục tiêu chung", "bool", None, None, date(2030, 12, 31)),
        ("MT2", "b) Mục tiêu cụ thể đến năm 2030", "=", Decimal(99), "%", date(2030, 12, 31)),
        ("MT3", "b) Mục tiêu cụ thể đến năm 2030", ">", Decimal(85), "%", date(2030, 12, 31)),
        ("MT4", "b) Mục tiêu cụ thể đến năm 2030", ">=", Decimal(80), "%", date(2026, 12, 31)),
        ("MT5", "b) Mục tiêu cụ thể đến năm 2030", "<=", Decimal(5), "%", date(2030, 12, 31)),
    ]
    skipped = parse_prose_targets(text.strip().splitlines(), 2026).skipped
    assert skipped == ["Xây dựng chính quyền số."]


def test_years_and_document_numbers_are_never_targets() -> None:
    text = """
MỤC TIÊU
- Thực hiện Nghị quyết số 57-NQ/TW năm 2024 của Bộ Chính trị.
- Giai đoạn 2026 - 2030 xây dựng 03 mô hình chuyển đổi số cộng đồng theo Quyết định số 12/QĐ-UBND.
"""
    assert _targets(text) == [("MT1", "MỤC TIÊU", "=", Decimal(3), "mô hình", date(2030, 12, 31))]


def test_milestones_read_the_last_figure() -> None:
    target = parse_target("85,5% / 100% các phòng, ban chuyên môn được nâng cấp")
    assert (target.op, target.value, target.unit) == ("=", Decimal(100), "%")
    assert parse_target("39/39 thôn").value == Decimal(39)  # a fraction of a count is not two milestones
    assert parse_target("Đạt 917/917 đảng viên = 100%").value == Decimal(100)


def _sub_item(doc, text: str) -> None:  # noqa: ANN001
    """A paragraph one level down in the "List Number" list (same numId, ilvl 1), as Word writes it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    num_id = doc.styles["List Number"].element.pPr.find(qn("w:numPr")).find(qn("w:numId")).get(qn("w:val"))
    p = doc.add_paragraph(text)
    num_pr = OxmlElement("w:numPr")
    for tag, val in (("w:ilvl", "1"), ("w:numId", num_id)):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        num_pr.append(el)
    p._p.get_or_add_pPr().append(num_pr)


def test_word_list_numbering_is_read(tmp_path: Path) -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Chuyển đổi số năm 2026")
    doc.add_paragraph("MỤC TIÊU", style="List Number")
    _sub_item(doc, "Cụ thể")
    doc.add_paragraph("Trên 90% hộ có Internet.", style="List Bullet")
    _sub_item(doc, "Chi tiết")
    doc.add_paragraph("NHIỆM VỤ", style="List Number")
    _sub_item(doc, "Rà soát")
    doc.add_paragraph("Không đánh số")
    doc.save(str(tmp_path / "kh.docx"))
    lines = [i.text for i in read_items(tmp_path / "kh.docx") if isinstance(i, Line) and i.text]
    assert lines[2] == "1. MỤC TIÊU" and lines[4] == "- Trên 90% hộ có Internet." and lines[6] == "2. NHIỆM VỤ"
    first, second, again = (lines[n][: -len(t)] for n, t in ((3, "Cụ thể"), (5, "Chi tiết"), (7, "Rà soát")))
    assert first and first != second  # the sub-list counts on (1, 2 or a, b)…
    assert again == first  # …and starts again under the next item
    assert lines[8] == "Không đánh số"
    plan = parse_plan_file(tmp_path / "kh.docx")
    assert [(i.code, i.target.op, i.target.value) for i in plan.indicators] == [("MT1", ">", Decimal(90))]


def test_a_target_due_later_is_judged_against_its_own_horizon() -> None:
    from handlers.exports.data import assess, year_share

    dec = date(2026, 12, 10)
    assert year_share(2026, dec) > 0.9
    assert 0.18 < year_share(2026, dec, date(2030, 12, 31)) < 0.2  # "đến năm 2030": a fifth of the way
    assert year_share(2026, dec, date(2026, 6, 30)) == 1.0  # due mid-year: the whole share by December
    assert assess(">=", Decimal(5), None, 1.0, None, year_share(2026, dec, date(2030, 12, 31))) == "at_risk"
    assert assess(">=", Decimal(5), None, 1.0, None, year_share(2026, dec)) == "off_track"
