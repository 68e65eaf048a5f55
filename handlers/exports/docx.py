"""A draft monthly Báo cáo as DOCX: Decree 30/2020 layout, or the Party layout of Hướng dẫn 36-HD/VPTW."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from handlers.exports.data import VILLAGE_STREAM, ExportData, TaskRow, fmt_value, task_counts
from locales.i18n import fmt_number
from locales.targets import with_unit
from locales.textnorm import commune_level, village_word

__all__ = ["build_docx", "date_line", "place_name"]

FONT = "Times New Roman"
BODY_PT = 14
_TEXT_WIDTH_MM = 210 - 30 - 15
# {level}: "xã", a ward's "phường" (``commune_level``)
_STATE_RECIPIENTS = ["Sở Khoa học và Công nghệ", "Thường trực Đảng ủy {level}", "Thường trực HĐND {level}",
                     "Chủ tịch, các Phó Chủ tịch UBND {level}"]
_PARTY_RECIPIENTS = ["Ban Thường vụ Đảng ủy {level}", "Ban Chỉ đạo 57 tỉnh", "Các thành viên Ban Chỉ đạo"]
_PREFIXES = ("xã ", "phường ", "đặc khu ")
_PPR_AFTER_BORDER = (  # schema order of the pPr children that follow pBdr
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def place_name(commune: str) -> str:
    """The commune's name without "xã"/"phường"/"đặc khu" (for the date line)."""
    name = " ".join(commune.split())
    for prefix in _PREFIXES:
        if name.lower().startswith(prefix):
            return name[len(prefix):]
    return name


def _agency(commune: str) -> str:
    name = " ".join(commune.split())
    return name.upper() if name.lower().startswith(_PREFIXES) else f"XÃ {name.upper()}"


def date_line(commune: str, d: date) -> str:
    """"Thiện Tân, ngày 05 tháng 02 năm 2026": day < 10 and months 1–2 zero-padded (ND 30/2020)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{place_name(commune)}, ngày {d.day:02d} tháng {month} năm {d.year}"


def _num(n: float | int) -> str:
    return fmt_number(n, "vi")


def _d(d: date) -> str:
    return f"{d:%d/%m/%Y}"


# --- low-level formatting -----------------------------------------------------------------------
def _set_fonts(rpr: OxmlElement) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _setup(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT  # type: ignore[attr-defined]
    normal.font.size = Pt(BODY_PT)  # type: ignore[attr-defined]
    _set_fonts(normal.element.get_or_add_rPr())
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _set_fonts(rpr)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "vi-VN")
        spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
        if spacing is not None:
            spacing.set(qn("w:after"), "0")
            spacing.set(qn("w:line"), "240")
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin = sec.bottom_margin = Mm(20)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    sec.different_first_page_header_footer = True  # page numbers from page 2, centred in the top margin
    sec.first_page_header.is_linked_to_previous = False  # an explicit, empty first-page header
    p = sec.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    p._p.append(field)
    field.append(p.add_run("2")._r)


def _line(target: DocumentObject | _Cell, text: str = "", *, size: float = BODY_PT, bold: bool = False,
          italic: bool = False, underline: bool = False, align: WD_ALIGN_PARAGRAPH | None = None,
          indent: bool = False, after: float = 0) -> Paragraph:
    p = target.add_paragraph()
    if text:
        r = p.add_run(text)
        r.font.size, r.font.bold, r.font.italic = Pt(size), bold, italic
        r.font.underline = underline or None
        r.font.name = FONT
    fmt = p.paragraph_format
    fmt.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.CENTER
    fmt.space_before, fmt.space_after = Pt(0), Pt(after)
    if indent:
        fmt.first_line_indent = Cm(1)
    return p


def _rule(target: DocumentObject | _Cell, length_mm: float, width_mm: float) -> None:
    """A short solid rule, centred: an empty tiny paragraph with a top border and side indents."""
    p = _line(target, size=2)
    side = Mm(max(0.0, (width_mm - length_mm) / 2))
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    p.paragraph_format.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    border.append(top)
    ppr.insert_element_before(border, *_PPR_AFTER_BORDER)


def _borderless(table: Table, widths_mm: Iterable[float]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tblpr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                "w:tblDescription", "w:tblPrChange")
    widths = list(widths_mm)
    tblpr.find(qn("w:tblW")).set(qn("w:type"), "dxa")
    tblpr.find(qn("w:tblW")).set(qn("w:w"), str(round(sum(widths) / 25.4 * 1440)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Mm(w)
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Mm(w)


def _fresh(cell: _Cell) -> _Cell:
    """Drop the empty paragraph a new cell starts with (we add our own)."""
    for p in list(cell.paragraphs):
        p._p.getparent().remove(p._p)
    return cell


# --- document parts -----------------------------------------------------------------------------
def _header(doc: DocumentObject, data: ExportData, party: bool, number: str) -> None:
    left_mm, right_mm = (75.0, 90.0) if party else (65.0, 100.0)
    table = doc.add_table(rows=2, cols=2)
    _borderless(table, (left_mm, right_mm))
    left, right = _fresh(table.cell(0, 0)), _fresh(table.cell(0, 1))
    if party:
        _line(left, f"ĐẢNG BỘ {_agency(data.commune)}", size=14)
        _line(left, "BAN CHỈ ĐẠO 57", size=14, bold=True)
        _line(left, "*", size=14)
        _line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", size=15, bold=True, underline=True)
        num = f"Số {number}" if "/" in number else f"Số {number or '…'}-BC/BCĐ"
    else:
        _line(left, "ỦY BAN NHÂN DÂN", size=13, bold=True)
        _line(left, _agency(data.commune), size=13, bold=True)
        _rule(left, 22, left_mm)
        _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True)
        _line(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True)
        _rule(right, 62, right_mm)
        num = f"Số: {number}" if "/" in number else f"Số: {number or '…'}/BC-UBND"
    _line(_fresh(table.cell(1, 0)), num, size=13 if not party else 14, after=6)
    _line(_fresh(table.cell(1, 1)), date_line(data.commune, data.generated_at.date()), size=14, italic=True,
          after=6)


def _title(doc: DocumentObject, data: ExportData) -> None:
    _line(doc, "", size=8)
    _line(doc, "BÁO CÁO", bold=True)
    _line(doc, f"Kết quả thực hiện Kế hoạch chuyển đổi số {data.period_label}", bold=True)
    _rule(doc, 40, _TEXT_WIDTH_MM)
    _line(doc, "", size=6)


def _body(doc: DocumentObject, text: str, *, bold: bool = False, italic: bool = False) -> Paragraph:
    p = _line(doc, text, bold=bold, italic=italic, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)
    p.paragraph_format.line_spacing = 1.15
    return p


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()).rstrip(" .;,:")


def _sentence(text: str | None) -> str:
    text = _clean(text)
    return text + "." if text else ""


def _change(now: int, before: int) -> str:
    diff = now - before
    return "không đổi" if diff == 0 else (f"tăng {_num(diff)}" if diff > 0 else f"giảm {_num(-diff)}")


def _activity_table(doc: DocumentObject, data: ExportData) -> None:
    table = doc.add_table(rows=1, cols=5)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (12, 75, 26, 26, 26)
    heads = ("TT", "Nội dung", "Kỳ này", "Kỳ trước", "Tăng/giảm")
    for cell, head in zip(table.rows[0].cells, heads, strict=True):
        _line(_fresh(cell), head, size=13, bold=True)
    for n, a in enumerate(data.activity_totals, start=1):
        cells = table.add_row().cells
        values = (str(n), a.label, _num(a.count), _num(a.previous), _change(a.count, a.previous))
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            _line(_fresh(cell), value, size=13,
                  align=WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Mm(w)
    _line(doc, "", size=6)


def _results(doc: DocumentObject, data: ExportData) -> None:
    _body(doc, "I. KẾT QUẢ THỰC HIỆN", bold=True)
    _body(doc, "1. Tình hình báo cáo", bold=True)
    _body(doc, f"Kỳ báo cáo {data.period_label} (số liệu từ ngày {_d(data.window_start)} đến ngày "
               f"{_d(data.window_end)}, thời hạn gửi {data.due_text}):")
    for s in data.streams:
        if not s.expected:
            _body(doc, f"- {s.label_vi}: chưa có đơn vị phải báo cáo.")
            continue
        miss = f"; chưa báo cáo: {', '.join(s.missing)}" if s.missing else ""
        who = "" if len(s.unlisted) == len(s.missing) else f": {', '.join(s.unlisted)}"  # nobody to ask
        miss += f" (chưa có người trên danh sách{who})" if s.unlisted else ""
        back = "; trả lại để bổ sung, chưa gửi lại: " + "; ".join(
            f"{u} ({s.comments[u]})" if u in s.comments else u for u in s.returned) if s.returned else ""
        what = f"{village_word(data.commune)} đã cập nhật" if s.name == VILLAGE_STREAM else "đơn vị đã gửi"
        _body(doc, f"- {s.label_vi}: {_num(s.submitted)}/{_num(s.expected)} {what} "
                   f"({_num(s.on_time)} đúng hạn, {_num(s.late)} trễ hạn){miss}{back}.")
    if data.no_unit:  # storage.no_unit: nobody was asked, so nobody is late for them
        _body(doc, f"- Nhiệm vụ, chỉ tiêu chưa có đơn vị thực hiện ({_num(len(data.no_unit))}): " + "; ".join(
            f"{i['code']} ({', '.join(i['chairs']) or 'chưa giao'})" for i in data.no_unit) + ".")
    _body(doc, "2. Hoạt động của các Tổ công nghệ số cộng đồng", bold=True)
    if data.activity_totals:
        _body(doc, f"Trong kỳ, các Tổ công nghệ số cộng đồng đã thực hiện (so với {data.previous_label}):")
        _activity_table(doc, data)
        villages: dict[str, list[str]] = {}
        for a in data.activities:
            if a.count:
                villages.setdefault(a.village, []).append(f"{a.label} {_num(a.count)}")
        for village, parts in villages.items():
            _body(doc, f"- {village}: {'; '.join(parts)}.")
    else:
        _body(doc, "Trong kỳ chưa có số liệu hoạt động của các Tổ công nghệ số cộng đồng.")
    _body(doc, "3. Kết quả thực hiện nhiệm vụ, chỉ tiêu", bold=True)
    if data.tasks:
        st = task_counts(data.tasks)
        alone = f", {_num(st['no_unit'])} chưa có đơn vị thực hiện" if st["no_unit"] else ""
        _body(doc, f"Tổng số {_num(len(data.tasks))} nhiệm vụ: {_num(st['done'])} hoàn thành, "
                   f"{_num(st['in_progress'])} đang thực hiện, {_num(st['blocked'])} chậm, vướng mắc, "
                   f"{_num(st['not_started'])} chưa triển khai, {_num(st['unreported'])} chưa có báo cáo{alone}; "
                   f"{_num(st['overdue'])} nhiệm vụ quá hạn.")
    if data.indicators:
        iv = Counter(i.status for i in data.indicators)
        _body(doc, f"Tổng số {_num(len(data.indicators))} chỉ tiêu: {_num(iv['on_track'])} đạt, đúng tiến độ; "
                   f"{_num(iv['at_risk'])} có nguy cơ chậm; {_num(iv['off_track'])} chậm tiến độ; "
                   f"{_num(iv['no_data'])} chưa có số liệu.")
    if not data.reports:
        _body(doc, "Trong kỳ chưa có cơ quan, đơn vị nào gửi báo cáo.")
    for r in data.reports:
        when = {"returned": "đã trả lại để bổ sung, chờ gửi lại"}.get(r.state, "trễ hạn" if r.late else "đúng hạn")
        _body(doc, f"- {r.unit} (báo cáo ngày {_d(r.submitted_at.date())}, {when}):", italic=True)
        for it in r.items:
            if it.kind == "task":
                _body(doc, f"+ Nhiệm vụ {it.code}. {_clean(it.title)}: {it.status_vi.lower()}.")
            else:
                target = f" (chỉ tiêu: {with_unit(it.target_short or it.target_text, it.unit)})" if it.target_text else ""
                value = _clean(fmt_value(it.value, it.unit, it.achieved, it.status, it.note)) or "chưa có số liệu"
                _body(doc, f"+ Chỉ tiêu {it.code}. {_clean(it.title)}: {value}{target}; "
                           f"{it.status_vi.lower()}.")


def _notes(doc: DocumentObject, data: ExportData) -> None:
    _body(doc, "II. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    hard = [f"- {r.unit}: {_sentence(r.difficulties)}" for r in data.reports if (r.difficulties or "").strip()]
    hard += [f"- Nhiệm vụ {t.code} ({', '.join(t.lead_units) or 'chưa rõ đơn vị chủ trì'}) chậm, vướng mắc: "
             f"{_sentence(t.title)}" for t in data.tasks if t.status == "blocked"]
    for line in hard or ["Các cơ quan, đơn vị chưa phản ánh khó khăn, vướng mắc trong kỳ."]:
        _body(doc, line)
    _body(doc, "III. KIẾN NGHỊ, ĐỀ XUẤT", bold=True)
    asks = [f"- {r.unit}: {_sentence(r.proposals)}" for r in data.reports if (r.proposals or "").strip()]
    for line in asks or ["Các cơ quan, đơn vị chưa có kiến nghị, đề xuất trong kỳ."]:
        _body(doc, line)


def _task_line(t: TaskRow) -> str:
    lead = ", ".join(t.lead_units) or "chưa rõ đơn vị chủ trì"
    due = t.due_text or (_d(t.due_date) if t.due_date else "")
    done = f"; {t.units_done_vi}" if t.units_done_vi else ""  # a task owed by several units
    output = f"; sản phẩm: {_clean(t.output)}" if t.output else ""  # the plan's "Sản phẩm/Kết quả đầu ra"
    return f"- Nhiệm vụ {t.code}. {_clean(t.title)} ({lead}; thời hạn: {due or 'chưa xác định'}{done}{output})."


def _next(doc: DocumentObject, data: ExportData) -> Paragraph:
    _body(doc, "IV. NHIỆM VỤ TRỌNG TÂM THÁNG TỚI", bold=True)
    overdue = [t for t in data.tasks if t.overdue]
    soon = [t for t in data.tasks if t.due_soon]
    n = 1
    if overdue:
        _body(doc, f"{n}. Khẩn trương hoàn thành các nhiệm vụ đã quá hạn:")
        for t in overdue:
            _body(doc, _task_line(t))
        n += 1
    if soon:
        _body(doc, f"{n}. Tập trung thực hiện các nhiệm vụ đến hạn:")
        for t in soon:
            _body(doc, _task_line(t))
        n += 1
    missing = sorted({m.unit for m in data.missing})
    who = f" (kỳ này chưa báo cáo: {', '.join(missing)})" if missing else ""
    return _body(doc, f"{n}. Đôn đốc các cơ quan, đơn vị, {village_word(data.commune)} báo cáo đầy đủ, đúng hạn{who}; "
                      "tiếp tục đẩy "
                      "mạnh hoạt động của các Tổ công nghệ số cộng đồng, thực hiện các nhiệm vụ còn lại của "
                      "Kế hoạch chuyển đổi số.")


def _end_mark(p: Paragraph) -> None:
    run = p.runs[-1]
    run.text = run.text.rstrip(" .;,") + "./."


def _signature(doc: DocumentObject, party: bool, signer: str, signer_title: str,
               recipients: list[str] | None, commune: str) -> None:
    _line(doc, "", size=6)
    table = doc.add_table(rows=1, cols=2)
    _borderless(table, (80.0, 85.0))
    left, right = _fresh(table.cell(0, 0)), _fresh(table.cell(0, 1))
    names = list(recipients) if recipients is not None else [
        name.format(level=commune_level(commune)) for name in (_PARTY_RECIPIENTS if party else _STATE_RECIPIENTS)]
    _line(left, "Nơi nhận:", size=12, bold=True, italic=True, underline=party, align=WD_ALIGN_PARAGRAPH.LEFT)
    for name in names:
        _line(left, f"- {name.strip().rstrip(';,.')};", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(left, "- Lưu Văn phòng Đảng ủy." if party else "- Lưu: VT, VHXH.", size=11,
          align=WD_ALIGN_PARAGRAPH.LEFT)
    title = " ".join(signer_title.split())
    if party:
        title = title or "TRƯỞNG BAN"
        lines = ["T/M BAN CHỈ ĐẠO", title] if "TRƯỞNG BAN" in title.upper() and "PHÓ" not in title.upper() \
            else ["T/M BAN CHỈ ĐẠO", "K/T TRƯỞNG BAN", title]
    else:
        title = title or "PHÓ CHỦ TỊCH"
        lines = ["TM. ỦY BAN NHÂN DÂN", title] if title.upper() == "CHỦ TỊCH" \
            else ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", title]
    for text in lines:
        _line(right, text, size=14, bold=True)
    for _ in range(4):
        _line(right, "", size=14)
    _line(right, " ".join(signer.split()), size=14, bold=True)


def build_docx(data: ExportData, *, party: bool = False, number: str = "", signer: str = "",
               signer_title: str = "", recipients: list[str] | None = None) -> bytes:
    """The draft report as DOCX bytes (A4, Times New Roman; Vietnamese number format)."""
    doc = Document()
    _setup(doc)
    body = doc.paragraphs[0]._p if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)
    _header(doc, data, party, number.strip())
    _title(doc, data)
    _results(doc, data)
    _notes(doc, data)
    _end_mark(_next(doc, data))
    _signature(doc, party, signer, signer_title, recipients, data.commune)
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
