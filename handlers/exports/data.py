"""Everything a monthly export (XLSX, DOCX draft Báo cáo, JSON) needs for one commune and period."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from handlers.report_items import TASK_STATUSES
from locales.i18n import _, fmt_number, use_locale
from locales.targets import short_target
from locales.textnorm import village_word
from storage.indicator_status import assess, year_share  # the one rule, below the handlers

__all__ = [
    "INDICATOR_STATUS_VI", "LIGHT_VI", "NO_UNIT_VI", "STREAM_LABELS_VI", "ActivityRow", "stream_label_vi", "ExportData",
    "IndicatorRow", "MissingRow", "ReportLine", "StreamStatus", "LEAD_STREAM", "TASK_COUNTS", "TaskRow", "UNIT_STREAM",
    "UnitReport", "VILLAGE_STREAM", "as_json", "assess", "fmt_value", "task_counts", "task_status_vi", "year_share",
]

UNIT_STREAM, VILLAGE_STREAM = "unit_monthly", "village_monthly"
LEAD_STREAM = "lead_monthly"  # the lead office's report to the People's Committee
STREAM_LABELS_VI = {UNIT_STREAM: "Báo cáo của các cơ quan, đơn vị",
                    VILLAGE_STREAM: "Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn"}
def stream_label_vi(name: str, commune: str) -> str:
    """A stream's heading in the exports, in the commune's words (a ward's village teams are its tổ dân phố's)."""
    label = STREAM_LABELS_VI.get(name, name)
    return label.replace("các thôn", f"các {village_word(commune)}") if name == VILLAGE_STREAM else label


LIGHT_VI = {"red": "Đỏ", "yellow": "Vàng", "green": "Xanh"}  # the national traffic lights
INDICATOR_STATUS_VI = {"on_track": "Đạt, đúng tiến độ", "at_risk": "Có nguy cơ chậm",
                       "off_track": "Chậm tiến độ", "no_data": "Chưa có số liệu"}


@dataclass
class StreamStatus:
    name: str
    label_vi: str
    period: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: list[str]
    returned: list[str] = field(default_factory=list)  # units whose report was returned, owing a resubmission
    comments: dict[str, str] = field(default_factory=dict)  # returned unit → the lead office's comment
    unlisted: list[str] = field(default_factory=list)  # missing units with nobody on the org list (storage.status)


@dataclass
class ReportLine:
    kind: str  # task | indicator
    code: str
    title: str
    status: str | None = None  # task status code
    status_vi: str = ""
    value: float | None = None
    achieved: bool | None = None
    target_text: str = ""
    unit: str | None = None
    target_short: str = ""  # "≥ 90%" for a target written as a sentence (locales.targets)
    assessment: str | None = None  # indicator: on_track | at_risk | off_track | no_data
    note: str | None = None  # the short text of a qualitative result
    answer_kind: str = "task"  # task, or an indicator's number | choice | status (storage.models_plan)
    evidence: int = 0  # files sent for this item


@dataclass
class UnitReport:
    unit: str
    person: str | None
    submitted_at: datetime  # local time
    late: bool
    status: str
    revision: int
    difficulties: str | None
    proposals: str | None
    items: list[ReportLine] = field(default_factory=list)
    state: str = ""  # on_time | late | returned (storage.calendar.calendar.classify)
    review_comment: str | None = None
    evidence: int = 0  # files sent for the report as a whole (each item counts its own)


@dataclass
class TaskRow:
    plan: str
    code: str
    title: str
    lead_units: list[str]
    due_text: str
    due_date: date | None
    status: str | None  # latest reported status code, None when never reported
    status_vi: str
    reported_in: str | None  # period key of that report
    overdue: bool
    due_soon: bool  # due by the end of the next period (the "Đến hạn tháng tới" column)
    light: str = "green"  # the national colours (storage.deadlines.task_light): red | yellow | green
    units_owed: int = 0  # a task owed by several units (a group): how many (0: one owner)
    units_done: int = 0  # and how many of them last said done (storage.item_standing)
    owed_by: list[str] = field(default_factory=list)  # the units owing it, groups expanded (item_standing.owed_of)
    said: dict[str, str | None] = field(default_factory=dict)  # owed by several: unit → its own latest status
    section: str | None = None  # the plan's section or group ("Nhóm 5. Cơ sở dữ liệu…", "I. CHÍNH QUYỀN SỐ")
    output: str | None = None  # the plan's "Sản phẩm/Kết quả đầu ra"
    detail: str | None = None  # the plan's "Chi tiết nhiệm vụ"
    partner_units: list[str] = field(default_factory=list)  # "Cơ quan phối hợp": never asked
    no_unit: bool = False  # no unit can report it (storage.no_unit): "Chưa có đơn vị thực hiện", not "Chưa báo cáo"

    @property
    def units_done_vi(self) -> str:
        """"3/5 đơn vị hoàn thành" for a task owed by several units, "" otherwise."""
        return f"{self.units_done}/{self.units_owed} đơn vị hoàn thành" if self.units_owed > 1 else ""


@dataclass
class IndicatorRow:
    plan: str
    code: str
    name: str
    unit: str | None
    owner_units: list[str]
    target_text: str
    target_op: str
    target_value: float | None
    latest_value: float | None
    latest_achieved: bool | None
    reported_in: str | None
    status: str  # on_track | at_risk | off_track | no_data
    status_vi: str
    answer_kind: str = "number"  # number | choice | status (a qualitative result: status code and text)
    latest_status: str | None = None
    latest_text: str | None = None
    partner_units: list[str] = field(default_factory=list)  # "Cơ quan thực hiện/phối hợp": never asked
    due_date: date | None = None  # "đến năm 2030", "trong quý II/2026"; None: by the end of the plan's year
    # an indicator owed by several units (a group): how many, how many answered, whose answer stands (the
    # worst-off unit's, storage.item_standing) and who never answered; 0 / None / [] for one owner
    units_owed: int = 0
    units_reported: int = 0
    worst_unit: str | None = None  # None too when none of them has answered yet
    missing_units: list[str] = field(default_factory=list)
    section: str | None = None  # the plan's section or group
    no_unit: bool = False  # no unit can report it (storage.no_unit): its verdict stays no_data, shown as such

    @property
    def worst_word(self) -> str:
        """Which way the worst-off unit's answer is worst (English msgid, through Babel where shown)."""
        if self.answer_kind != "number":
            return "furthest behind"
        return "highest" if self.target_op in ("<", "<=") else "lowest"

    @property
    def units_note_vi(self) -> str:
        """"thấp nhất: Công an xã; 3/5 đơn vị; chưa báo cáo: Trạm y tế xã" for an indicator owed by several
        units, "" otherwise."""
        if self.units_owed <= 1:
            return ""
        with use_locale("vi"):
            worst = f"{_(self.worst_word)}: {self.worst_unit}; " if self.worst_unit else ""
            note = f"{worst}{self.units_reported}/{self.units_owed} đơn vị"
        return note + (f"; chưa báo cáo: {', '.join(self.missing_units)}" if self.missing_units else "")

    @property
    def target_short(self) -> str:
        """The target as shown: "≥ 90%" for a sentence, the cell as written otherwise."""
        return short_target(self.target_text, self.target_op, self.target_value, self.unit)


@dataclass
class ActivityRow:
    village: str  # "" for the commune total
    code: str
    label: str
    count: int
    previous: int


@dataclass
class MissingRow:
    stream: str
    stream_label: str
    unit: str
    due_text: str
    due: datetime | None = None  # local time: the last moment the report counts as on time


@dataclass
class ExportData:
    commune: str
    period_key: str
    period_label: str
    previous_label: str
    window_start: date
    window_end: date
    due: datetime
    due_text: str
    generated_at: datetime  # local time of ``now``
    as_of: date  # overdue and year-share reference: min(local today, end of the data window)
    streams: list[StreamStatus]
    reports: list[UnitReport]
    tasks: list[TaskRow]
    indicators: list[IndicatorRow]
    activity_totals: list[ActivityRow]
    activities: list[ActivityRow]
    missing: list[MissingRow]
    no_unit: list[dict[str, Any]] = field(default_factory=list)  # storage.no_unit: kind, code, title, chairs


NO_UNIT_VI = "Chưa có đơn vị thực hiện"  # an item no unit can report (storage.no_unit)


TASK_COUNTS = ("done", "in_progress", "blocked", "not_started", "unreported", "no_unit", "overdue")


def task_counts(tasks: list[TaskRow]) -> dict[str, int]:
    """How many tasks stand at each status (``storage.item_standing``: None is "not reported") and how many are
    overdue: the docx's "Tổng số … nhiệm vụ" sentence, and the questions about a section or the task lists."""
    out = dict.fromkeys(TASK_COUNTS, 0)
    for t in tasks:
        out["no_unit" if t.no_unit else t.status if t.status in out else "unreported"] += 1
        out["overdue"] += t.overdue
    return out


def task_status_vi(code: str | None) -> str:
    if code is None:
        return "Chưa báo cáo"
    with use_locale("vi"):
        return _(TASK_STATUSES[code]) if code in TASK_STATUSES else code


def fmt_value(value: float | Decimal | None, unit: str | None = None, achieved: bool | None = None,
              status: str | None = None, text: str | None = None) -> str:
    """A reported value in Vietnamese notation: "85,5%", "1.234 hộ", "Đạt"/"Chưa đạt", a qualitative
    result's status with its text ("Đang thực hiện: Đã thí điểm…"), "" if none."""
    if status is not None:
        label = task_status_vi(status)
        return f"{label}: {text.strip()}" if text and text.strip() else label
    if value is None:
        return "" if achieved is None else ("Đạt" if achieved else "Chưa đạt")
    text = fmt_number(value, "vi")
    u = (unit or "").strip()
    return text + "%" if u == "%" else f"{text} {u}".strip()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def as_json(data: ExportData) -> dict[str, Any]:
    """A JSON-ready dict (dates as ISO strings) with the same fields as ``ExportData``."""
    return _plain(dataclasses.asdict(data))
