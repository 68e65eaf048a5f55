"""Each shared target across a province's communes: every commune's latest value against its own target
and the province's, assessed as in /chitieu, how many communes are on track and which are not matched."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from locales.targets import short_target
from storage.calendar.calendar import Period
from storage.indicator_status import answer_of, assess, year_share
from storage.province import province_communes
from storage.shared_indicators import confirmed_matches, province_indicators
from storage.traffic import latest_items

__all__ = ["CommuneValue", "SharedRow", "shared_indicator_table", "table_as_json"]


@dataclass
class CommuneValue:
    """One commune's indicator matched to the shared target, with its latest answer up to the period."""

    commune: str
    commune_id: int
    code: str  # the indicator's code in the commune's plan
    name: str  # as the commune's plan words it
    unit: str | None
    target_text: str  # the commune's own target
    target_short: str
    value: float | None
    achieved: bool | None
    status: str | None  # a qualitative result's status code
    text: str | None
    reported_in: str | None  # period key of the latest answer, None when never reported
    assessment: str  # against the commune's own target (as its /chitieu): on_track | at_risk | off_track | no_data
    province_assessment: str  # the same answer against the province's target


@dataclass
class SharedRow:
    """One province indicator across the province's communes."""

    code: str
    name: str
    unit: str | None
    target_text: str
    target_short: str
    communes: list[CommuneValue] = field(default_factory=list)
    on_track: int = 0  # communes on track against the province's target
    at_risk: int = 0
    off_track: int = 0
    no_data: int = 0
    unmatched: list[str] = field(default_factory=list)  # communes with no indicator confirmed for it


def _num(v: Decimal | None) -> float | None:
    return float(v) if v is not None else None


async def shared_indicator_table(session: AsyncSession, province_id: int, period: Period, as_of: date
                                 ) -> list[SharedRow]:
    """Per province indicator: each matched commune's latest value up to ``period`` (the unit-report
    stream, as /chitieu), its target and assessment, the assessment against the province's target, the
    counts of communes by that assessment and the communes not matched. ``as_of``: the local day the
    share of the year is reckoned to (``min(today, period.end)``, as the exports)."""
    targets = await province_indicators(session, province_id)
    communes = await province_communes(session, province_id)
    matches = await confirmed_matches(session, province_id)
    latest = {c.id: await latest_items(session, c.id, period)  # type: ignore[arg-type]
              for c in communes if any(x.commune.id == c.id for _m, x, _t in matches)}
    rows: dict[int, SharedRow] = {
        t.id: SharedRow(t.code, t.name, t.unit, t.target_text,  # type: ignore[misc]
                        short_target(t.target_text, t.target_op, t.target_value, t.unit, t.target_bool))
        for t in targets}
    for _m, x, t in matches:
        ind, row = x.indicator, rows[t.id]  # type: ignore[index]
        hit = latest[x.commune.id].get(("indicator", ind.id))  # type: ignore[arg-type,index]
        value, achieved, status, text = answer_of(ind.answer_kind, hit.item if hit else None)
        share = year_share(x.plan.year, as_of, ind.due_date)
        own = assess(ind.target_op, ind.target_value, ind.target_bool, value, achieved, share, status)
        theirs = assess(t.target_op, t.target_value, t.target_bool, value, achieved, share, status)
        row.communes.append(CommuneValue(
            x.commune.name, x.commune.id, ind.code, ind.name, ind.unit, ind.target_text,  # type: ignore[arg-type]
            short_target(ind.target_text, ind.target_op, ind.target_value, ind.unit, ind.target_bool),
            value, achieved, status, text, hit.key if hit else None, own, theirs))
    for row in rows.values():
        row.communes = _one_per_commune(row.communes)
        for cv in row.communes:
            setattr(row, cv.province_assessment, getattr(row, cv.province_assessment) + 1)
        seen = {cv.commune_id for cv in row.communes}
        row.unmatched = [c.name for c in communes if c.id not in seen]
    return [rows[t.id] for t in targets]  # type: ignore[index]


def _one_per_commune(values: list[CommuneValue]) -> list[CommuneValue]:
    """A commune with two indicators matched to one target (two plans) counts once: the one answered
    most recently (then the first in plan order)."""
    out: dict[int, CommuneValue] = {}
    for cv in values:
        kept = out.get(cv.commune_id)
        if kept is None or (cv.reported_in or "") > (kept.reported_in or ""):
            out[cv.commune_id] = cv
    return list(out.values())


def table_as_json(rows: list[SharedRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
