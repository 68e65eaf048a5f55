"""The province workbook: communes ranked in the national colours, activities by commune, overdue tasks,
and the shared indicators once the shared-indicator table feeds them (``add_shared_sheet``)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from handlers.exports.province_data import COLOUR_VI, RULE_VI, ProvinceExport, SharedIndicatorRow, compiled_vi
from handlers.exports.xlsx import _HEAD_FILL, COLOUR_FILLS, _sheet, _widths, _write_row, paint_light

__all__ = ["COLOUR_FILLS", "PROVINCE_SHEETS", "add_shared_sheet", "build_province_xlsx"]

PROVINCE_SHEETS = ("Tổng hợp", "Hoạt động", "Nhiệm vụ quá hạn", "Chỉ tiêu dùng chung")


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _ratio(done: int, owed: int) -> float | None:
    return done / owed if owed else None


def _summary(wb: Workbook, data: ProvinceExport) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = PROVINCE_SHEETS[0]
    head = ["TT", "Xã, phường", "Mức độ", "Đơn vị đã báo cáo", "Đơn vị phải báo cáo", "Thôn đã cập nhật",
            "Thôn phải cập nhật", "Tỷ lệ đã báo cáo", "Chưa báo cáo (quá hạn)", "Chưa báo cáo (chưa đến hạn)",
            "Nhiệm vụ quá hạn", "Nhiệm vụ đến hạn trong 7 ngày", "Báo cáo tổng hợp của xã gửi tỉnh"]
    _write_row(ws, head, bold=True)
    for cell in ws[1]:
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for n, r in enumerate(data.communes, start=1):
        u, v = r["units"], r["villages"]
        _write_row(ws, [n, r["commune"], COLOUR_VI[r["colour"]], u["submitted"], u["expected"], v["submitted"],
                        v["expected"], _ratio(u["submitted"] + v["submitted"], u["expected"] + v["expected"]),
                        r["missing_after_deadline"], r["missing_before_deadline"], r["overdue_tasks"],
                        r["due_soon_tasks"], compiled_vi(r)])
        paint_light(ws, ws.max_row, 3, r["colour"])
        ws.cell(ws.max_row, 8).number_format = "0%"
    last = ws.max_row
    _widths(ws)
    ws.append([])
    _write_row(ws, ["", "Tỉnh", data.province], bold=True)
    _write_row(ws, ["", "Kỳ báo cáo", data.period_label])
    _write_row(ws, ["", "Số liệu từ ngày", data.window_start])
    _write_row(ws, ["", "Số liệu đến ngày", data.window_end])
    _write_row(ws, ["", "Hạn gửi báo cáo", data.due_text])
    _write_row(ws, ["", "Thời điểm lập", data.generated_at])
    ws.append([])
    _write_row(ws, ["", "Chú giải", "Mức độ", "Số xã"], bold=True)
    counts = data.colour_counts()
    for colour in ("green", "yellow", "red"):
        _write_row(ws, ["", {"green": "Đúng tiến độ", "yellow": "Cảnh báo", "red": "Chậm, quá hạn"}[colour],
                        COLOUR_VI[colour], counts[colour]])
        paint_light(ws, ws.max_row, 3, colour)
    _write_row(ws, ["", "Quy tắc", RULE_VI])
    ws.merge_cells(start_row=ws.max_row, start_column=3, end_row=ws.max_row, end_column=len(head))
    ws.cell(ws.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[ws.max_row].height = 48
    for col, least in (("B", 20), ("C", 17)):  # the period block's labels and dates below the ranking
        ws.column_dimensions[col].width = max(ws.column_dimensions[col].width or 0, least)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{ws.cell(last, len(head)).coordinate}"
    _print_setup(ws)


def _activities(wb: Workbook, data: ProvinceExport) -> None:
    codes = data.activity_codes()
    head = ["TT", "Xã, phường"] + [f"{data.label(c)} ({data.period_label})" for c in codes] \
        + [f"Tổng ({data.period_label})", f"Tổng ({data.previous_label})", "Tăng/giảm"]
    rows: list[list[Any]] = []
    for n, r in enumerate(data.communes, start=1):
        now, before = r["activities"], r["activities_previous"]
        total, prev = sum(now.values()), sum(before.values())
        rows.append([n, r["commune"], *(now.get(c, 0) for c in codes), total, prev, total - prev])
    total, prev = sum(data.activities.values()), sum(data.activities_previous.values())
    rows.append(["", "Toàn tỉnh", *(data.activities.get(c, 0) for c in codes), total, prev, total - prev])
    ws = _sheet(wb, PROVINCE_SHEETS[1], head, rows)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.append([])
    _write_row(ws, ["", "Hoạt động (toàn tỉnh)", f"Kỳ này ({data.period_label})", f"Kỳ trước ({data.previous_label})",
                    "Tăng/giảm"], bold=True)
    for c in codes:
        now_n, before_n = data.activities.get(c, 0), data.activities_previous.get(c, 0)
        _write_row(ws, ["", data.label(c), now_n, before_n, now_n - before_n])
    ws.append([])
    _write_row(ws, ["", "Xã, phường", "Hoạt động", f"Kỳ này ({data.period_label})", f"Kỳ trước ({data.previous_label})",
                    "Tăng/giảm"], bold=True)
    for r in data.communes:
        now, before = r["activities"], r["activities_previous"]
        for c in codes:
            if now.get(c) or before.get(c):
                _write_row(ws, ["", r["commune"], data.label(c), now.get(c, 0), before.get(c, 0),
                                now.get(c, 0) - before.get(c, 0)])
    ws.freeze_panes = "C2"
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 30)
    _print_setup(ws)


def _overdue(wb: Workbook, data: ProvinceExport) -> None:
    ws = _sheet(wb, PROVINCE_SHEETS[2], ["Xã, phường", "Kế hoạch", "Mã", "Nhiệm vụ", "Cơ quan chủ trì",
                                         "Thời gian thực hiện", "Hạn", "Tình trạng mới nhất"],
                [[t.commune, t.plan, t.code, t.title, "; ".join(t.lead_units), t.due_text, t.due_date, t.status_vi]
                 for t in data.overdue] or [["Không có nhiệm vụ quá hạn."]])
    _print_setup(ws)


def add_shared_sheet(wb: Workbook, rows: Sequence[SharedIndicatorRow]) -> Worksheet:
    """The "Chỉ tiêu dùng chung" sheet: each shared (province) indicator across the communes, one row per
    commune figure. The hook the shared-indicator table feeds (through ``ProvinceExport.shared``)."""
    ws = _sheet(wb, PROVINCE_SHEETS[3], ["Chỉ tiêu dùng chung", "Xã, phường", "Chỉ tiêu trong kế hoạch của xã",
                                         "Đơn vị tính", "Chỉ tiêu kế hoạch", "Giá trị mới nhất", "Kỳ báo cáo",
                                         "Đánh giá"],
                [[r.indicator, r.commune, r.commune_wording, r.unit or "", r.target, r.latest, r.reported_in or "",
                  r.status_vi] for r in rows])
    _print_setup(ws)
    return ws


def build_province_xlsx(data: ProvinceExport) -> bytes:
    """The province workbook as bytes: numbers are numeric cells, dates real dates (local wall time)."""
    wb = Workbook()
    _summary(wb, data)
    _activities(wb, data)
    _overdue(wb, data)
    if data.shared:
        add_shared_sheet(wb, data.shared)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
