"""The monthly export as an Excel workbook: summary, unit reports, tasks, indicators, villages, missing."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.exports.data import LIGHT_VI, ExportData, fmt_value, task_counts

__all__ = ["COLOUR_FILLS", "SHEETS", "build_xlsx", "paint_light"]

COLOUR_FILLS = {"red": "FFC7CE", "yellow": "FFEB9C", "green": "C6EFCE"}  # Excel's bad/neutral/good fills
_COLOUR_FONTS = {"red": "9C0006", "yellow": "9C5700", "green": "006100"}

SHEETS = ("Tổng hợp", "Báo cáo đơn vị", "Nhiệm vụ", "Chỉ tiêu", "Hoạt động thôn", "Chưa báo cáo")
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_DATE_FMT, _DATETIME_FMT, _INT_FMT, _NUM_FMT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM", "#,##0", "#,##0.##"
_WRAP_OVER = 60
_STATE_VI = {"on_time": "Đúng hạn", "late": "Trễ hạn", "returned": "Trả lại, chờ gửi lại"}
_IND_ORDER = (("on_track", "đạt, đúng tiến độ"), ("at_risk", "có nguy cơ chậm"),
              ("off_track", "chậm tiến độ"), ("no_data", "chưa có số liệu"))


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: local wall time
    return None if value == "" else value


def _minute(value: datetime | None) -> datetime | None:
    """A deadline (the day's last microsecond) as its last whole minute: shown 23:59, never rounded up."""
    return value.replace(second=0, microsecond=0) if value else None


def _write_row(ws: Worksheet, row: list[Any], *, bold: bool = False) -> None:
    ws.append([_cell_value(v) for v in row])
    r = ws.max_row
    for c, value in enumerate(row, start=1):
        cell = ws.cell(r, c)
        if bold:
            cell.font = _BOLD
        if isinstance(value, datetime):
            cell.number_format = _DATETIME_FMT
        elif isinstance(value, date):
            cell.number_format = _DATE_FMT
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            cell.number_format = _INT_FMT
        elif isinstance(value, float):
            cell.number_format = _INT_FMT if value.is_integer() else _NUM_FMT
        elif isinstance(value, str) and len(value) > _WRAP_OVER:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def paint_light(ws: Worksheet, row: int, col: int, colour: str) -> None:
    """Fill one cell in a national colour (Xanh / Vàng / Đỏ), its word in bold of the same hue."""
    cell = ws.cell(row, col)
    cell.fill = PatternFill("solid", fgColor=COLOUR_FILLS[colour])
    cell.font = Font(bold=True, color=_COLOUR_FONTS[colour])


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Worksheet:
    ws = wb.create_sheet(title)
    _write_row(ws, header, bold=True)
    for cell in ws[1]:
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        _write_row(ws, row)
    ws.freeze_panes = "A2"
    _widths(ws)
    return ws


def _shown_len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, int | float):
        return len(f"{value:,}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _widths(ws: Worksheet) -> None:
    for col in ws.iter_cols(min_row=1, max_row=ws.max_row):
        head = _shown_len(col[0].value)
        body = max((_shown_len(c.value) for c in col[1:]), default=0)
        width = max(min(head, 24), body) + 2
        ws.column_dimensions[get_column_letter(col[0].column)].width = max(8, min(width, _WRAP_OVER))


def _summary(wb: Workbook, data: ExportData) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = SHEETS[0]
    _write_row(ws, ["Nội dung", "Giá trị", "", "", "", "", "", ""], bold=True)
    for cell in ws[1]:
        cell.fill = _HEAD_FILL
    for label, value in (("Xã", data.commune), ("Kỳ báo cáo", data.period_label),
                         ("Mã kỳ", data.period_key), ("Số liệu từ ngày", data.window_start),
                         ("Số liệu đến ngày", data.window_end), ("Hạn gửi báo cáo", data.due_text),
                         ("Hạn cuối (giờ địa phương)", _minute(data.due)),
                         ("Thời điểm lập", data.generated_at)):
        _write_row(ws, [label, value])
    ws.append([])
    _write_row(ws, ["Tình hình báo cáo", "Kỳ", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn",
                    "Chưa báo cáo", "Trả lại, chờ gửi lại"], bold=True)
    for s in data.streams:
        _write_row(ws, [s.label_vi, s.period, s.expected, s.submitted, s.on_time, s.late, len(s.missing),
                        len(s.returned)])
    ws.append([])
    _write_row(ws, ["Hoạt động Tổ công nghệ số cộng đồng", "Mã", f"Kỳ này ({data.period_label})",
                    f"Kỳ trước ({data.previous_label})", "Tăng/giảm"], bold=True)
    for a in data.activity_totals:
        _write_row(ws, [a.label, a.code, a.count, a.previous, a.count - a.previous])
    tasks = task_counts(data.tasks)
    ws.append([])
    _write_row(ws, ["Nhiệm vụ, chỉ tiêu", "Số lượng"], bold=True)
    for label, n in (("Tổng số nhiệm vụ", len(data.tasks)), ("Nhiệm vụ đã hoàn thành", tasks["done"]),
                     ("Nhiệm vụ quá hạn", tasks["overdue"]),
                     ("Nhiệm vụ chưa có đơn vị thực hiện", tasks["no_unit"]),
                     ("Tổng số chỉ tiêu", len(data.indicators)),
                     ("Chỉ tiêu chưa có đơn vị thực hiện", sum(i.no_unit for i in data.indicators)),
                     *((f"Chỉ tiêu: {v}", sum(i.status == k for i in data.indicators))
                       for k, v in _IND_ORDER)):
        _write_row(ws, [label, n])
    ws.freeze_panes = "A2"
    _widths(ws)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 40)


def _reports(data: ExportData) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in data.reports:
        head = [r.unit, r.person or "", r.submitted_at, _STATE_VI.get(r.state, "Trễ hạn" if r.late else "Đúng hạn"),
                r.revision]
        tail = [r.difficulties or "", r.proposals or ""]
        if not r.items:
            rows.append(head + [""] * 9 + tail + ["", r.evidence])
        for n, it in enumerate(r.items):
            kind = "Nhiệm vụ" if it.kind == "task" else "Chỉ tiêu"
            shown = it.status_vi if it.kind == "task" else fmt_value(it.value, it.unit, it.achieved, it.status)
            verdict = it.status_vi if it.kind == "indicator" else ""
            rows.append(head + [kind, it.code, it.title, shown, it.value, it.target_short or it.target_text, it.unit or "",
                                verdict, it.note or ""] + (tail if n == 0 else ["", ""])
                        + [it.evidence, r.evidence if n == 0 else ""])
    return rows


def build_xlsx(data: ExportData) -> bytes:
    """The workbook as bytes; numbers are numeric cells and dates real dates (local wall time)."""
    wb = Workbook()
    _summary(wb, data)
    _sheet(wb, SHEETS[1], ["Đơn vị", "Người báo cáo", "Thời điểm gửi", "Đúng/trễ hạn", "Lần gửi", "Loại",
                           "Mã", "Nội dung", "Kết quả", "Giá trị", "Chỉ tiêu", "Đơn vị tính", "Đánh giá",
                           "Ghi chú", "Khó khăn, vướng mắc", "Kiến nghị, đề xuất", "Tệp minh chứng",
                           "Tệp minh chứng chung"], _reports(data))
    tasks = _sheet(wb, SHEETS[2], ["Kế hoạch", "Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian thực hiện", "Hạn",
                                   "Tình trạng mới nhất", "Kỳ báo cáo", "Quá hạn", "Đến hạn tháng tới", "Mức độ",
                                   "Đơn vị hoàn thành", "Sản phẩm/Kết quả đầu ra", "Chi tiết nhiệm vụ",
                                   "Cơ quan phối hợp", "Nhóm nhiệm vụ"],
                   [[t.plan, t.code, t.title, "; ".join(t.lead_units), t.due_text, t.due_date, t.status_vi,
                     t.reported_in or "", "Có" if t.overdue else "", "Có" if t.due_soon else "", LIGHT_VI[t.light],
                     t.units_done_vi, t.output or "", t.detail or "", "; ".join(t.partner_units), t.section or ""]
                    for t in data.tasks])
    for n, t in enumerate(data.tasks, start=2):  # Đỏ: overdue, Vàng: due within 7 days (storage.deadlines)
        paint_light(tasks, n, 11, t.light)
    _sheet(wb, SHEETS[3], ["Kế hoạch", "Mã", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu kế hoạch", "Giá trị mục tiêu",
                           "Giá trị mới nhất", "Kết quả mới nhất", "Kỳ báo cáo", "Đánh giá", "Cơ quan theo dõi",
                           "Cơ quan phối hợp", "Theo đơn vị"],
           [[i.plan, i.code, i.name, i.unit or "", i.target_short, i.target_value, i.latest_value,
             fmt_value(i.latest_value, i.unit, i.latest_achieved, i.latest_status, i.latest_text),
             i.reported_in or "", i.status_vi, "; ".join(i.owner_units), "; ".join(i.partner_units),
             i.units_note_vi]
            for i in data.indicators])
    _sheet(wb, SHEETS[4], ["Thôn", "Hoạt động", "Mã", f"Kỳ này ({data.period_label})",
                           f"Kỳ trước ({data.previous_label})", "Tăng/giảm"],
           [[a.village, a.label, a.code, a.count, a.previous, a.count - a.previous] for a in data.activities])
    _sheet(wb, SHEETS[5], ["Luồng báo cáo", "Đơn vị / thôn", "Kỳ", "Hạn gửi", "Hạn cuối", "Tình trạng"],
           [[m.stream_label, m.unit, data.period_label, m.due_text, _minute(m.due), "Chưa báo cáo"]
            for m in data.missing]
           + [[s.label_vi, u, data.period_label, data.due_text, _minute(data.due),
               f"Trả lại: {s.comments[u]}" if u in s.comments else "Trả lại, chờ gửi lại"]
              for s in data.streams for u in s.returned])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
