"""How an indicator stands against its target (on_track / at_risk / off_track / no_data): the one rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["ASSESSMENTS", "answer_of", "assess", "worst_first", "year_share"]

ASSESSMENTS = ("off_track", "at_risk", "no_data", "on_track")  # worst first


def year_share(year: int, as_of: date, due: date | None = None) -> float:
    """Share of ``year`` elapsed by the end of ``as_of`` (0–1); for a target due later ("đến năm
    2030"), the share of the time from the plan year's start to that due date."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if due is not None and due > start:
        end = due
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


def answer_of(answer_kind: str | None, item: Any) -> tuple[float | None, bool | None, str | None, str | None]:
    """(value, achieved, status, text) of a reported indicator item, read by the indicator's answer kind
    (None: unknown indicator, read as a number): a qualitative result is its status and text, never a
    number (an old "1" typed for one is not shown)."""
    if item is None:
        return None, None, None, None
    kind = answer_kind or "number"
    if kind == "status":
        return None, None, item.status, item.note
    if kind == "choice":
        return None, item.value_bool, None, None
    return (float(item.value_num) if item.value_num is not None else None), item.value_bool, None, None


_STATUS_RANK = {"blocked": 0, "not_started": 1, "in_progress": 1, "done": 3}  # as ``assess`` reads them


def worst_first(answer_kind: str | None, op: str | None, boolean: bool | None, item: Any) -> tuple[int, float]:
    """A sort key putting the answer that ``assess`` judges worst first, whatever the share of the year
    (its verdict only worsens as the value moves away from the target): the lowest value for a "≥"
    target, the highest for a "≤" one, "not achieved" before "achieved", blocked before started before
    done; an answer with no figure last."""
    value, achieved, status, _text = answer_of(answer_kind, item)
    if status is not None:
        return 0, _STATUS_RANK.get(status, 1)
    if value is None:
        return (1, 0.0) if achieved is None else (0, float(achieved == (boolean if boolean is not None else True)))
    return 0, (-value if op in ("<", "<=") else value)
