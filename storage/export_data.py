"""Everything a monthly export (XLSX, DOCX draft Báo cáo, JSON) needs for one commune and period."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.activity_catalog import default_catalog
from handlers.report_items import TASK_STATUSES
from locales.i18n import _, fmt_number, use_locale
from locales.targets import short_target
from storage.calendar import calendar as cal
from storage.calendar.streams import Stream, default_streams
from storage.evidence import evidence_counts
from storage.models import Commune, Indicator, Person, Plan, Report, ReportingPeriod, ReportItem, Task, Unit
from storage.plan_store import plan_as_dict
from storage.status import activity_totals, status_data

__all__ = [
    "INDICATOR_STATUS_VI", "STREAM_LABELS_VI", "ActivityRow", "ExportData", "IndicatorRow", "MissingRow",
    "ReportLine", "StreamStatus", "TaskRow", "UNIT_STREAM", "UnitReport", "VILLAGE_STREAM", "as_json", "assess", "fmt_value",
    "gather_export", "resolve_periods", "task_status_vi",
]

UNIT_STREAM, VILLAGE_STREAM = "unit_monthly", "village_monthly"
STREAM_LABELS_VI = {UNIT_STREAM: "Báo cáo của các cơ quan, đơn vị",
                    VILLAGE_STREAM: "Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn"}
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
    due_soon: bool


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


def resolve_periods(period_ref: str | None, now: datetime, tz: tzinfo, configured: Sequence[Stream] | None = None
                    ) -> tuple[cal.Period, cal.Period]:
    """(unit_monthly, village_monthly) periods with the same key: from "2026-12", "tháng 12" or the
    unit period open at ``now``. ValueError when ``period_ref`` names no monthly period. ``configured``:
    the commune's streams (default: the shipped ones)."""
    streams = {s.name: s for s in (configured or default_streams())}
    unit_stream, village_stream = streams[UNIT_STREAM], streams[VILLAGE_STREAM]
    if period_ref:
        try:
            up: cal.Period | None = cal.period_by_key(unit_stream, period_ref.strip(), tz)
        except ValueError:
            up = cal.parse_period_ref(period_ref, unit_stream, now.astimezone(tz).date(), tz)
        if up is None:
            raise ValueError(f"cannot read period {period_ref!r} (use e.g. 2026-12 or 'tháng 12')")
    else:
        up = cal.period_for(unit_stream, now, tz)
    return up, cal.period_by_key(village_stream, up.key, tz)


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


def year_share(year: int, as_of: date) -> float:
    """Share of ``year`` elapsed by the end of ``as_of`` (0–1)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return min(1.0, max(0.0, ((as_of - start).days + 1) / ((end - start).days + 1)))


def assess(op: str, target: Decimal | float | None, boolean: bool | None, value: float | None,
           achieved: bool | None, share: float, status: str | None = None) -> str:
    """on_track when the value meets the target; at_risk when below it but ≥ target × ``share`` (the
    share of the year elapsed); off_track otherwise; no_data without a value or measurable target.
    Yes/no targets: achieved → on_track, not yet → at_risk until the year is over, then off_track.
    Qualitative results (``status`` given): completed → on_track, delayed → off_track, otherwise
    at_risk until the year is over, then off_track."""
    if status is not None:
        if status in ("done", "blocked"):
            return "on_track" if status == "done" else "off_track"
        return "off_track" if share >= 1.0 else "at_risk"
    if op == "bool":
        if achieved is None:
            return "no_data"
        return "on_track" if achieved == (boolean if boolean is not None else True) else \
            ("off_track" if share >= 1.0 else "at_risk")
    if value is None or target is None or op not in ("=", ">=", ">", "<=", "<"):
        return "no_data"
    t = float(target)
    if op in ("<", "<="):
        return "on_track" if (value < t if op == "<" else value <= t) else "off_track"
    if value > t or (op != ">" and value >= t):
        return "on_track"
    return "at_risk" if value >= t * share else "off_track"


def _num(v: Decimal | None) -> float | None:
    return float(v) if v is not None else None


def _answer(ind: Indicator | None, it: ReportItem | None) -> tuple[float | None, bool | None, str | None, str | None]:
    """(value, achieved, status, text) of a reported indicator, read by its answer kind: a qualitative
    result is its status and text, never a number (an old "1" typed for one is not shown)."""
    if it is None:
        return None, None, None, None
    kind = ind.answer_kind if ind is not None else "number"
    if kind == "status":
        return None, None, it.status, it.note
    if kind == "choice":
        return None, it.value_bool, None, None
    return _num(it.value_num), it.value_bool, None, None


async def _latest_items(session: AsyncSession, commune_id: int, period: cal.Period
                        ) -> dict[tuple[str, int], tuple[ReportItem, str]]:
    """Latest reported item per (kind, ref_id) in the unit stream up to ``period``, with its period key."""
    rows = (await session.exec(
        select(ReportItem, ReportingPeriod.key).join(Report, Report.id == ReportItem.report_id)
        .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .where(ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
               ReportingPeriod.end <= period.end)
        .order_by(ReportingPeriod.start.desc(), Report.submitted_at.desc(),  # type: ignore[attr-defined]
                  ReportItem.id))).all()
    out: dict[tuple[str, int], tuple[ReportItem, str]] = {}
    for item, key in rows:
        out.setdefault((item.kind, item.ref_id), (item, key))
    return out


async def _period_reports(session: AsyncSession, commune_id: int, period: cal.Period, tz: tzinfo,
                          plan_year: dict[int, int], as_of: date) -> list[UnitReport]:
    rows = (await session.exec(
        select(Report, Unit, Person).join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .join(Unit, Unit.id == Report.unit_id).join(Person, Person.id == Report.person_id, isouter=True)
        .where(ReportingPeriod.commune_id == commune_id, ReportingPeriod.stream == period.stream.name,
               ReportingPeriod.key == period.key).order_by(Unit.name))).all()
    out: list[UnitReport] = []
    files = await evidence_counts(session, [r.id for r, _u, _p in rows])  # type: ignore[misc]
    for report, unit, person in rows:
        items = (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id)
                                    .order_by(ReportItem.kind.desc(), ReportItem.id))).all()  # type: ignore[attr-defined]
        lines: list[ReportLine] = []
        for it in items:
            if it.kind == "task":
                task = await session.get(Task, it.ref_id)
                lines.append(ReportLine("task", task.code if task else "?", task.title if task else "",
                                        status=it.status, status_vi=task_status_vi(it.status), note=it.note,
                                        evidence=files[report.id].get(("task", it.ref_id), 0)))  # type: ignore[index]
                continue
            ind = await session.get(Indicator, it.ref_id)
            value, achieved, status, text = _answer(ind, it)
            share = year_share(plan_year.get(ind.plan_id, as_of.year), as_of) if ind else 0.0
            verdict = assess(ind.target_op, ind.target_value, ind.target_bool, value, achieved, share, status) \
                if ind else "no_data"
            lines.append(ReportLine("indicator", ind.code if ind else "?", ind.name if ind else "",
                                    status=status, value=value, achieved=achieved,
                                    target_text=ind.target_text if ind else "", unit=ind.unit if ind else None,
                                    target_short=short_target(ind.target_text, ind.target_op, ind.target_value,
                                                              ind.unit, ind.target_bool) if ind else "",
                                    assessment=verdict, status_vi=INDICATOR_STATUS_VI[verdict], note=text,
                                    answer_kind=ind.answer_kind if ind else "number",
                                    evidence=files[report.id].get(("indicator", it.ref_id), 0)))  # type: ignore[index]
        out.append(UnitReport(unit.name, person.name if person and person.anonymised_at is None else None,
                              report.submitted_at.astimezone(tz), report.late, report.status, report.revision,
                              report.difficulties, report.proposals, lines,
                              evidence=files[report.id].get(None, 0)))  # type: ignore[index]
    return out


async def _plans(session: AsyncSession, commune: Commune, period: cal.Period, as_of: date
                 ) -> tuple[list[TaskRow], list[IndicatorRow], dict[int, int]]:
    latest = await _latest_items(session, commune.id, period)  # type: ignore[arg-type]
    horizon = cal.next_period(period).last_day
    plans = (await session.exec(select(Plan).where(Plan.commune_id == commune.id)
                                .order_by(Plan.year, Plan.title))).all()
    tasks: list[TaskRow] = []
    indicators: list[IndicatorRow] = []
    years: dict[int, int] = {}
    for plan in plans:
        years[plan.id] = plan.year  # type: ignore[index]
        shown = await plan_as_dict(session, plan, commune)
        task_ids = {t.code: t.id for t in (await session.exec(select(Task).where(Task.plan_id == plan.id))).all()}
        for t in shown["tasks"]:
            hit = latest.get(("task", task_ids[t["code"]]))  # type: ignore[arg-type]
            status = hit[0].status if hit else None
            due = date.fromisoformat(t["due"]["date"]) if t["due"]["date"] else None
            open_ = status != "done"
            tasks.append(TaskRow(plan.title, t["code"], t["title"], t["lead_units"], t["due"]["text"], due,
                                 status, task_status_vi(status), hit[1] if hit else None,
                                 overdue=bool(due and due < as_of and open_),
                                 due_soon=bool(due and as_of <= due <= horizon and open_)))
        ind_ids = {i.code: i for i in (await session.exec(
            select(Indicator).where(Indicator.plan_id == plan.id))).all()}
        share = year_share(plan.year, as_of)
        for i in shown["indicators"]:
            ind = ind_ids[i["code"]]
            hit = latest.get(("indicator", ind.id))  # type: ignore[arg-type]
            value, achieved, status, text = _answer(ind, hit[0] if hit else None)
            verdict = assess(ind.target_op, ind.target_value, ind.target_bool, value, achieved, share, status)
            indicators.append(IndicatorRow(
                plan.title, ind.code, ind.name, ind.unit, i["owner_units"], ind.target_text, ind.target_op,
                _num(ind.target_value), value, achieved, hit[1] if hit else None, verdict,
                INDICATOR_STATUS_VI[verdict], ind.answer_kind, status, text))
    return tasks, indicators, years


async def _activities(session: AsyncSession, commune_id: int, period: cal.Period
                      ) -> tuple[list[ActivityRow], list[ActivityRow]]:
    labels = {a.code: a.label_vi for a in default_catalog()}
    order = {code: n for n, code in enumerate(labels)}
    total, by_unit = await activity_totals(session, commune_id, period)
    prev_total, prev_by_unit = await activity_totals(session, commune_id, cal.previous_period(period))

    def sort_key(code: str) -> tuple[int, str]:
        return order.get(code, len(order)), code

    totals = [ActivityRow("", c, labels.get(c, c), total.get(c, 0), prev_total.get(c, 0))
              for c in sorted(set(total) | set(prev_total), key=sort_key)]
    rows: list[ActivityRow] = []
    for village in sorted(set(by_unit) | set(prev_by_unit)):
        now_, prev = by_unit.get(village, {}), prev_by_unit.get(village, {})
        rows += [ActivityRow(village, c, labels.get(c, c), now_.get(c, 0), prev.get(c, 0))
                 for c in sorted(set(now_) | set(prev), key=sort_key)]
    return totals, rows


async def gather_export(session: AsyncSession, commune: Commune, period_key: str | None, now: datetime,
                        tz: tzinfo, configured: Sequence[Stream] | None = None) -> ExportData:
    """Collect one commune's monthly data (unit and village streams of the same period key; default:
    the unit period open at ``now``). ValueError for an unreadable ``period_key``. ``configured``: the
    commune's streams (default: the shipped streams with the commune's settings applied)."""
    if configured is None:
        from storage.calendar.commune_streams import load_settings_rows, merge

        rows = (await load_settings_rows(session, [commune.id])).get(commune.id, {})  # type: ignore[list-item,arg-type]
        configured = merge(default_streams(), rows).streams
    unit_period, village_period = resolve_periods(period_key, now, tz, configured)
    local_now = now.astimezone(tz)
    as_of = min(local_now.date(), unit_period.end)
    status = await status_data(session, commune, unit_period, village_period, now)
    comments = {u["name"]: u["comment"] for s in status["streams"] for u in s["units"] if u["comment"]}
    streams = [StreamStatus(s["name"], STREAM_LABELS_VI.get(s["name"], s["name"]), s["period"], s["expected"],
                            s["submitted"], s["on_time"], s["late"], list(s["missing"]), list(s["returned"]),
                            {u: comments[u] for u in s["returned"] if comments.get(u)})
               for s in status["streams"]]
    due_texts = {unit_period.stream.name: unit_period.due_text_vi,
                 village_period.stream.name: village_period.due_text_vi}
    dues = {p.stream.name: p.due.astimezone(tz) for p in (unit_period, village_period)}
    missing = [MissingRow(s.name, s.label_vi, u, due_texts.get(s.name, ""), dues.get(s.name))
               for s in streams for u in s.missing]
    tasks, indicators, years = await _plans(session, commune, unit_period, as_of)
    reports = await _period_reports(session, commune.id, unit_period, tz, years, as_of)  # type: ignore[arg-type]
    states = {r["unit"]: r for r in status["reports"]}
    for r in reports:  # the one state computation (storage.status): returned is not on time or late
        shown = states.get(r.unit)
        if shown is not None:
            r.state, r.late, r.review_comment = shown["state"], shown["state"] == "late", shown["review_comment"]
    totals, rows = await _activities(session, commune.id, village_period)  # type: ignore[arg-type]
    return ExportData(
        commune=commune.name, period_key=unit_period.key, period_label=unit_period.label_vi,
        previous_label=cal.previous_period(village_period).label_vi, window_start=unit_period.start,
        window_end=unit_period.end, due=unit_period.due.astimezone(tz), due_text=unit_period.due_text_vi,
        generated_at=local_now, as_of=as_of, streams=streams, reports=reports, tasks=tasks,
        indicators=indicators, activity_totals=totals, activities=rows, missing=missing)


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
