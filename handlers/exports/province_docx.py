"""A draft monthly report of the province office on Resolution 57 as DOCX, in the administrative layout of
the commune report (handlers.exports.docx): Sở KH&CN or UBND tỉnh (Decree 30/2020), or the province's
Ban Chỉ đạo 57 (Party layout)."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from handlers.exports.docx import (
    _TEXT_WIDTH_MM,
    _body,
    _borderless,
    _change,
    _end_mark,
    _fresh,
    _line,
    _num,
    _rule,
    _setup,
    date_line,
)
from handlers.exports.province_data import COLOUR_VI, RULE_VI, ProvinceExport

__all__ = ["SENDERS", "build_province_docx", "province_place"]

SENDERS = ("so", "ubnd", "bcd")  # Sở Khoa học và Công nghệ, UBND tỉnh, Ban Chỉ đạo 57 tỉnh
_RECIPIENTS = {
    "so": ["Bộ Khoa học và Công nghệ", "Ban Chỉ đạo 57 tỉnh", "UBND tỉnh", "UBND các xã, phường"],
    "ubnd": ["Bộ Khoa học và Công nghệ", "Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh",
             "Chủ tịch, các Phó Chủ tịch UBND tỉnh", "UBND các xã, phường"],
    "bcd": ["Ban Chỉ đạo Trung ương (để báo cáo)", "Thường trực Tỉnh ủy", "Các thành viên Ban Chỉ đạo",
            "Đảng ủy các xã, phường"],
}
_KEEP = {"so": "- Lưu: VT, CĐS.", "ubnd": "- Lưu: VT, KGVX.", "bcd": "- Lưu Văn phòng Tỉnh ủy."}
_PREFIXES = ("tỉnh ", "thành phố ", "tp. ")


def province_place(province: str) -> str:
    """The province's name without "tỉnh"/"thành phố" (for the header and the date line)."""
    name = " ".join(province.split())
    for prefix in _PREFIXES:
        if name.lower().startswith(prefix):
            return name[len(prefix):]
    return name


def _header(doc: DocumentObject, data: ProvinceExport, sender: str, number: str) -> None:
    place = province_place(data.province)
    left_mm, right_mm = (75.0, 90.0) if sender == "bcd" else (70.0, 95.0)
    table = doc.add_table(rows=2, cols=2)
    _borderless(table, (left_mm, right_mm))
    left, right = _fresh(table.cell(0, 0)), _fresh(table.cell(0, 1))
    if sender == "bcd":
        _line(left, f"TỈNH ỦY {place.upper()}", size=14)
        _line(left, "BAN CHỈ ĐẠO 57", size=14, bold=True)
        _line(left, "*", size=14)
        _line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", size=15, bold=True, underline=True)
        num = f"Số {number}" if "/" in number else f"Số {number or '…'}-BC/BCĐ"
    else:
        if sender == "so":
            _line(left, f"UBND TỈNH {place.upper()}", size=13)
            _line(left, "SỞ KHOA HỌC VÀ CÔNG NGHỆ", size=13, bold=True)
            suffix = "BC-SKHCN"
        else:
            _line(left, "ỦY BAN NHÂN DÂN", size=13, bold=True)
            _line(left, f"TỈNH {place.upper()}", size=13, bold=True)
            suffix = "BC-UBND"
        _rule(left, 30, left_mm)
        _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True)
        _line(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True)
        _rule(right, 62, right_mm)
        num = f"Số: {number}" if "/" in number else f"Số: {number or '…'}/{suffix}"
    _line(_fresh(table.cell(1, 0)), num, size=13 if sender != "bcd" else 14, after=6)
    _line(_fresh(table.cell(1, 1)), date_line(place, data.generated_at.date()), size=14, italic=True, after=6)


def _title(doc: DocumentObject, data: ProvinceExport) -> None:
    _line(doc, "", size=8)
    _line(doc, "BÁO CÁO", bold=True)
    _line(doc, f"Kết quả thực hiện Nghị quyết số 57-NQ/TW {data.period_label}", bold=True)
    _rule(doc, 40, _TEXT_WIDTH_MM)
    _line(doc, "", size=6)


def _grid(doc: DocumentObject, heads: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...],
          left_col: int = 1) -> None:
    table = doc.add_table(rows=1, cols=len(heads))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, head in zip(table.rows[0].cells, heads, strict=True):
        _line(_fresh(cell), head, size=12, bold=True)
    for values in rows:
        for i, (cell, value) in enumerate(zip(table.add_row().cells, values, strict=True)):
            _line(_fresh(cell), value, size=12,
                  align=WD_ALIGN_PARAGRAPH.LEFT if i == left_col else WD_ALIGN_PARAGRAPH.CENTER)
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Mm(w)
    _line(doc, "", size=6)


def _situation(doc: DocumentObject, data: ProvinceExport) -> None:
    _body(doc, "I. TÌNH HÌNH CHUNG", bold=True)
    units = [sum(r["units"][k] for r in data.communes) for k in ("submitted", "expected")]
    villages = [sum(r["villages"][k] for r in data.communes) for k in ("submitted", "expected")]
    _body(doc, f"Kỳ báo cáo {data.period_label} (số liệu từ ngày {data.window_start:%d/%m/%Y} đến ngày "
               f"{data.window_end:%d/%m/%Y}, thời hạn gửi {data.due_text}), toàn tỉnh có "
               f"{_num(len(data.communes))} xã, phường theo dõi trên hệ thống: {_num(units[0])}/{_num(units[1])} "
               f"cơ quan, đơn vị đã gửi báo cáo; {_num(villages[0])}/{_num(villages[1])} Tổ công nghệ số cộng "
               f"đồng các thôn đã cập nhật số liệu; {_num(len(data.overdue))} nhiệm vụ quá hạn chưa hoàn thành.")


def _by_colour(doc: DocumentObject, data: ProvinceExport) -> None:
    _body(doc, "II. MỨC ĐỘ THỰC HIỆN CỦA CÁC XÃ, PHƯỜNG", bold=True)
    _body(doc, f"Theo quy tắc ba mức (như Hệ thống theo dõi, đánh giá thực hiện Nghị quyết 57-NQ/TW): {RULE_VI}",
          italic=True)
    counts = data.colour_counts()
    for n, (colour, what) in enumerate((("green", "đúng tiến độ"), ("yellow", "cần lưu ý"),
                                        ("red", "chậm, quá hạn")), start=1):
        names = [r["commune"] for r in data.communes if r["colour"] == colour]
        listed = f": {', '.join(names)}" if names else ""
        _body(doc, f"{n}. Mức {COLOUR_VI[colour]} ({what}): {_num(counts[colour])} xã, phường{listed}.")
    _body(doc, "Xếp hạng (xã, phường chậm nhất trước):")
    rows = [(str(n), r["commune"], COLOUR_VI[r["colour"]], f"{_num(r['units']['submitted'])}/"
             f"{_num(r['units']['expected'])}", f"{_num(r['villages']['submitted'])}/{_num(r['villages']['expected'])}",
             _num(r["overdue_tasks"])) for n, r in enumerate(data.communes, start=1)]
    _grid(doc, ("TT", "Xã, phường", "Mức độ", "Đơn vị đã báo cáo", "Thôn đã cập nhật", "Nhiệm vụ quá hạn"),
          rows, (12, 53, 22, 27, 27, 24))


def _late(doc: DocumentObject, data: ProvinceExport) -> None:
    _body(doc, "III. CÁC XÃ, PHƯỜNG CHẬM BÁO CÁO", bold=True)
    late = [r for r in data.communes if r["missing_after_deadline"]]
    waiting = [r for r in data.communes if r["missing_before_deadline"] and not r["missing_after_deadline"]]
    if not late:
        _body(doc, "Không có xã, phường nào còn đơn vị, thôn chưa báo cáo sau thời hạn.")
    for r in late:
        _body(doc, f"- {r['commune']}: {_num(r['missing_after_deadline'])} cơ quan, đơn vị, thôn chưa báo cáo "
                   f"sau thời hạn (đã báo cáo {_num(r['units']['submitted'])}/{_num(r['units']['expected'])} "
                   f"đơn vị, {_num(r['villages']['submitted'])}/{_num(r['villages']['expected'])} thôn).")
    missing = [r["commune"] for r in data.communes if (r.get("compiled_report") or {}).get("state") == "missing"]
    if missing:
        _body(doc, "Chưa gửi báo cáo tổng hợp về tỉnh khi đã quá hạn: " + "; ".join(missing) + ".")
    if waiting:
        _body(doc, "Chưa đến hạn, còn chưa báo cáo: " + "; ".join(
            f"{r['commune']} ({_num(r['missing_before_deadline'])} đơn vị, thôn)" for r in waiting) + ".")


def _activities(doc: DocumentObject, data: ProvinceExport) -> None:
    _body(doc, "IV. HOẠT ĐỘNG CỦA CÁC TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", bold=True)
    codes = data.activity_codes()
    if not codes:
        _body(doc, "Trong kỳ chưa có số liệu hoạt động của các Tổ công nghệ số cộng đồng.")
        return
    _body(doc, f"Trong kỳ, các Tổ công nghệ số cộng đồng trên địa bàn tỉnh đã thực hiện (so với "
               f"{data.previous_label}):")
    rows = []
    for n, c in enumerate(codes, start=1):
        now, before = data.activities.get(c, 0), data.activities_previous.get(c, 0)
        rows.append((str(n), data.label(c), _num(now), _num(before), _change(now, before)))
    _grid(doc, ("TT", "Nội dung", "Kỳ này", "Kỳ trước", "Tăng/giảm"), rows, (12, 75, 26, 26, 26))
    for r in data.communes:
        parts = [f"{data.label(c)} {_num(r['activities'][c])}" for c in codes if r["activities"].get(c)]
        if parts:
            _body(doc, f"- {r['commune']}: {'; '.join(parts)}.")


def _overdue(doc: DocumentObject, data: ProvinceExport) -> None:
    _body(doc, "V. NHIỆM VỤ QUÁ HẠN", bold=True)
    if not data.overdue:
        _body(doc, "Các xã, phường không có nhiệm vụ quá hạn.")
        return
    by_commune: dict[str, list] = {}
    for t in data.overdue:
        by_commune.setdefault(t.commune, []).append(t)
    _body(doc, f"Toàn tỉnh có {_num(len(data.overdue))} nhiệm vụ quá hạn chưa hoàn thành tại "
               f"{_num(len(by_commune))} xã, phường:")
    for commune, tasks in by_commune.items():
        _body(doc, f"- {commune} ({_num(len(tasks))} nhiệm vụ):", italic=True)
        for t in tasks:
            lead = ", ".join(t.lead_units) or "chưa rõ đơn vị chủ trì"
            due = t.due_text or (f"{t.due_date:%d/%m/%Y}" if t.due_date else "chưa xác định")
            _body(doc, f"+ Nhiệm vụ {t.code}. {' '.join(t.title.split()).rstrip('.')} ({lead}; thời hạn: {due}).")


def _proposals(doc: DocumentObject) -> None:
    _body(doc, "VI. KIẾN NGHỊ, ĐỀ XUẤT", bold=True)
    _body(doc, "1. (Cơ quan thường trực bổ sung các kiến nghị, đề xuất với cấp trên.)", italic=True)
    _end_mark(_body(doc, "2. Đề nghị UBND các xã, phường có mức Đỏ khẩn trương hoàn thành các nhiệm vụ quá hạn, "
                         "đôn đốc các cơ quan, đơn vị, thôn báo cáo đầy đủ, đúng hạn."))


def _signature(doc: DocumentObject, sender: str, signer: str, signer_title: str,
               recipients: list[str] | None) -> None:
    _line(doc, "", size=6)
    table = doc.add_table(rows=1, cols=2)
    _borderless(table, (80.0, 85.0))
    left, right = _fresh(table.cell(0, 0)), _fresh(table.cell(0, 1))
    party = sender == "bcd"
    _line(left, "Nơi nhận:", size=12, bold=True, italic=True, underline=party, align=WD_ALIGN_PARAGRAPH.LEFT)
    for name in recipients if recipients is not None else _RECIPIENTS[sender]:
        _line(left, f"- {name.strip().rstrip(';,.')};", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(left, _KEEP[sender], size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    title = " ".join(signer_title.split()).upper()
    if sender == "bcd":
        title = title or "TRƯỞNG BAN"
        lines = ["T/M BAN CHỈ ĐẠO", title] if "PHÓ" not in title else ["T/M BAN CHỈ ĐẠO", "K/T TRƯỞNG BAN", title]
    elif sender == "so":
        title = title or "PHÓ GIÁM ĐỐC"
        lines = [title] if title == "GIÁM ĐỐC" else ["KT. GIÁM ĐỐC", title]
    else:
        title = title or "PHÓ CHỦ TỊCH"
        lines = ["TM. ỦY BAN NHÂN DÂN", title] if title == "CHỦ TỊCH" else ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
                                                                          title]
    for text in lines:
        _line(right, text, size=14, bold=True)
    for _ in range(4):
        _line(right, "", size=14)
    _line(right, " ".join(signer.split()), size=14, bold=True)


def build_province_docx(data: ProvinceExport, *, sender: str = "so", number: str = "", signer: str = "",
                        signer_title: str = "", recipients: list[str] | None = None) -> bytes:
    """The province office's draft report as DOCX bytes (A4, Times New Roman, Vietnamese numbers).
    ``sender``: "so" (Sở Khoa học và Công nghệ), "ubnd" (UBND tỉnh) or "bcd" (Ban Chỉ đạo 57 tỉnh)."""
    if sender not in SENDERS:
        raise ValueError(f"sender must be one of {', '.join(SENDERS)}")
    doc = Document()
    _setup(doc)
    first = doc.paragraphs[0]._p if doc.paragraphs else None
    if first is not None:
        first.getparent().remove(first)
    _header(doc, data, sender, number.strip())
    _title(doc, data)
    _situation(doc, data)
    _by_colour(doc, data)
    _late(doc, data)
    _activities(doc, data)
    _overdue(doc, data)
    _proposals(doc)
    _signature(doc, sender, signer, signer_title, recipients)
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
