"""Gathering one commune's monthly export (status, reports, plans, village activities) from the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.activity.catalog import default_catalog
from handlers.exports.data import (
    INDICATOR_STATUS_VI,
    LEAD_STREAM,
    NO_UNIT_VI,
    UNIT_STREAM,
    VILLAGE_STREAM,
    ActivityRow,
    ExportData,
    IndicatorRow,
    MissingRow,
    ReportLine,
    StreamStatus,
    TaskRow,
    UnitReport,
    stream_label_vi,
    task_status_vi,
)
from locales.targets import short_target
from storage.calendar import calendar as cal
from storage.calendar.period_ref import parse_period_ref
from storage.calendar.streams import Stream, default_streams
from storage.deadlines import is_overdue, task_light
from storage.evidence import evidence_counts
from storage.indicator_status import answer_of, assess, year_share
from storage.item_standing import ItemMeta, Standing, item_standings, unanswered
from storage.models import Commune, Indicator, Person, Plan, Report, ReportingPeriod, ReportItem, Task, Unit
from storage.plan_store import plan_as_dict
from storage.status import activity_totals, status_data

if TYPE_CHECKING:
    from storage.calendar.commune_streams import CommuneStreams

__all__ = ["compiled_stream", "gather_export", "resolve_periods"]


def compiled_stream(found: CommuneStreams) -> str | None:
    """The stream whose open period a bare /xuat, /tinhtrang, the dashboard and `cdsbot status|export` open
    on: the lead office's report to the People's Committee while the commune has it switched on, else None
    (the units' open period — a commune reporting to a steering committee instead, seed 001)."""
    return LEAD_STREAM if found.is_enabled(LEAD_STREAM) else None


def resolve_periods(period_ref: str | None, now: datetime, tz: tzinfo, configured: Sequence[Stream] | None = None,
                    default_stream: str | None = None) -> tuple[cal.Period, cal.Period]:
    """(unit_monthly, village_monthly) periods with the same key: from "2026-12", "tháng 12" or the
    unit period open at ``now`` — or, with ``default_stream`` (the compiled report's "lead_monthly"), the
    period that stream has open (on 20–21/12 December's, due before the 22nd, while the units' is already
    January's). ValueError when ``period_ref`` names no monthly period. ``configured``: the commune's
    streams (default: the shipped ones)."""
    streams = {s.name: s for s in (configured or default_streams())}
    unit_stream, village_stream = streams[UNIT_STREAM], streams[VILLAGE_STREAM]
    own = streams.get(default_stream) if default_stream and not period_ref else None
    if own is not None and own.frequency is unit_stream.frequency:
        period_ref = cal.period_for(own, now, tz).key
    if period_ref:
        try:
            up: cal.Period | None = cal.period_by_key(unit_stream, period_ref.strip(), tz)
        except ValueError:
            up = parse_period_ref(period_ref, unit_stream, now.astimezone(tz).date(), tz)
        if up is None:
            raise ValueError(f"cannot read period {period_ref!r} (use e.g. 2026-12 or 'tháng 12')")
    else:
        up = cal.period_for(unit_stream, now, tz)
    return up, cal.period_by_key(village_stream, up.key, tz)


def _num(v: Decimal | None) -> float | None:
    return float(v) if v is not None else None


def _answer(ind: Indicator | None, it: ReportItem | None) -> tuple[float | None, bool | None, str | None, str | None]:
    """(value, achieved, status, text) of a reported indicator (``storage.indicator_status.answer_of``)."""
    return answer_of(ind.answer_kind if ind is not None else None, it)


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
            share = year_share(plan_year.get(ind.plan_id, as_of.year), as_of, ind.due_date) if ind else 0.0
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


async def _plans(session: AsyncSession, commune: Commune, period: cal.Period, as_of: date, nobody: set[Any]
                 ) -> tuple[list[TaskRow], list[IndicatorRow], dict[int, int]]:
    """The commune's tasks and indicators as they stand at ``period``; ``nobody``: the (kind, id) of the items
    no unit can report (``storage.no_unit``), shown "Chưa có đơn vị thực hiện"."""
    latest, owed = await item_standings(session, [commune.id], period)  # type: ignore[list-item]
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
            key = ("task", task_ids[t["code"]])
            hit = latest.get(key) or unanswered(owed.get(key))  # type: ignore[arg-type]
            status = hit.item.status if hit and hit.item is not None else None
            due = date.fromisoformat(t["due"]["date"]) if t["due"]["date"] else None
            open_ = status != "done"
            alone = key in nobody and hit is None
            tasks.append(TaskRow(plan.title, t["code"], t["title"], t["lead_units"], t["due"]["text"], due,
                                 status, NO_UNIT_VI if alone else task_status_vi(status), hit.key if hit else None,
                                 overdue=open_ and is_overdue(due, as_of),
                                 due_soon=bool(due and as_of <= due <= horizon and open_),
                                 light=task_light(due, not open_, as_of), section=t["section"], output=t["output"],
                                 detail=t["detail"], partner_units=t["partner_units"], no_unit=alone,
                                 **_task_units(hit, owed.get(key))))  # type: ignore[arg-type]
        ind_ids = {i.code: i for i in (await session.exec(
            select(Indicator).where(Indicator.plan_id == plan.id))).all()}
        for i in shown["indicators"]:
            ind = ind_ids[i["code"]]
            share = year_share(plan.year, as_of, ind.due_date)
            key = ("indicator", ind.id)
            hit = latest.get(key) or unanswered(owed.get(key))  # type: ignore[arg-type]
            value, achieved, status, text = _answer(ind, hit.item if hit else None)
            verdict = assess(ind.target_op, ind.target_value, ind.target_bool, value, achieved, share, status)
            alone = key in nobody and hit is None
            indicators.append(IndicatorRow(
                plan.title, ind.code, ind.name, ind.unit, i["owner_units"], ind.target_text, ind.target_op,
                _num(ind.target_value), value, achieved, hit.key if hit else None, verdict,
                NO_UNIT_VI if alone else INDICATOR_STATUS_VI[verdict], ind.answer_kind, status, text,
                i["partner_units"], due_date=ind.due_date, section=i["section"], no_unit=alone, **_shared(hit)))
    return tasks, indicators, years


def _task_units(hit: Standing | None, meta: ItemMeta | None) -> dict[str, Any]:
    """Who owes a task (groups expanded); owed by several units: how many, how many said done (0/5 when
    none has answered yet: ``storage.item_standing.unanswered``) and each one's own latest status."""
    out: dict[str, Any] = {"owed_by": [name for _uid, name in meta.owed] if meta else []}
    if hit is not None and hit.shared:
        out |= {"units_owed": hit.owed, "units_done": hit.done,
                "said": {name: row.status for name, row in hit.said}}
    return out


def _shared(hit: Standing | None) -> dict[str, Any]:
    """An indicator owed by several units: how many, how many answered, the worst-off unit, who did not."""
    if hit is None or not hit.shared:
        return {}
    return {"units_owed": hit.owed, "units_reported": hit.answered, "worst_unit": hit.unit,
            "missing_units": list(hit.missing)}


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
                        tz: tzinfo, configured: Sequence[Stream] | None = None,
                        default_stream: str | None = None) -> ExportData:
    """Collect one commune's monthly data (unit and village streams of the same period key; default:
    the unit period open at ``now``). ValueError for an unreadable ``period_key``. ``configured``: the
    commune's streams (default: the shipped streams with the commune's settings applied)."""
    if configured is None:
        from storage.calendar.commune_streams import load_settings_rows, merge

        rows = (await load_settings_rows(session, [commune.id])).get(commune.id, {})  # type: ignore[list-item,arg-type]
        found = merge(default_streams(), rows)
        configured = found.streams
        if default_stream == LEAD_STREAM:
            default_stream = compiled_stream(found)
    unit_period, village_period = resolve_periods(period_key, now, tz, configured, default_stream)
    local_now = now.astimezone(tz)
    as_of = min(local_now.date(), unit_period.end)
    status = await status_data(session, commune, unit_period, village_period, now)
    comments = {u["name"]: u["comment"] for s in status["streams"] for u in s["units"] if u["comment"]}
    streams = [StreamStatus(s["name"], stream_label_vi(s["name"], commune.name), s["period"], s["expected"],
                            s["submitted"], s["on_time"], s["late"], list(s["missing"]), list(s["returned"]),
                            {u: comments[u] for u in s["returned"] if comments.get(u)}, list(s["unlisted"]))
               for s in status["streams"]]
    due_texts = {unit_period.stream.name: unit_period.due_text_vi,
                 village_period.stream.name: village_period.due_text_vi}
    dues = {p.stream.name: p.due.astimezone(tz) for p in (unit_period, village_period)}
    missing = [MissingRow(s.name, s.label_vi, u, due_texts.get(s.name, ""), dues.get(s.name))
               for s in streams for u in s.missing]
    nobody = status["no_unit"]  # storage.no_unit, as the tree stood at the units' deadline
    tasks, indicators, years = await _plans(session, commune, unit_period, as_of,
                                            {(i["kind"], i["id"]) for i in nobody})
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
        indicators=indicators, activity_totals=totals, activities=rows, missing=missing,
        no_unit=[{k: v for k, v in i.items() if k != "id"} for i in nobody])
