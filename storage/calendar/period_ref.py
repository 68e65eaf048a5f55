"""Periods named in typed text: "tháng 10", "quý III năm 2026", "6 tháng cuối năm", "kỳ này", "2026-Q3"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

from locales.textnorm import fold
from storage.calendar.calendar import (
    DEFAULT_TZ,
    ROMAN,
    Period,
    build_period,
    containing_ordinal,
    key_ordinal,
    ordinal,
    period_for,
)
from storage.calendar.streams import Frequency, Stream

__all__ = ["parse_period_ref"]

_YEAR_RE = re.compile(r"(?:(?:\bnam|[-/])\s*)?\b(20\d{2})\b")
_REL_YEAR_RE = re.compile(r"\bnam\s+(nay|truoc|ngoai|sau|toi)\b")
_REL_RE = re.compile(r"\b(thang|quy|tuan|ky)\s+(nay|truoc|ngoai|sau|toi)\b")
_HALF_RE = re.compile(r"\b(?:0?6\s*thang|nua)(?:\s+(dau|cuoi))?|\bh([12])\b")
_QUARTER_RE = re.compile(r"\b(?:quy|q)\s*(iv|i{1,3}|[1-4])\b")
_WEEK_RE = re.compile(r"\b(?:tuan|w)\s*(\d{1,2})\b")
_MONTH_RE = re.compile(r"\b(?:thang|t)\s*(\d{1,2})\b|^[\s/-]*(\d{1,2})[\s/-]*$")
_YEAR_WORD_RE = re.compile(r"\b(?:ca\s+|cuoi\s+)?nam\b")
_DELTA = {"nay": 0, "truoc": -1, "ngoai": -1, "sau": 1, "toi": 1}
_UNIT = {"thang": Frequency.MONTHLY, "quy": Frequency.QUARTERLY, "tuan": Frequency.WEEKLY}


def _parse_parts(t: str) -> tuple[Frequency | None, int | None]:
    """(frequency, number within the year) from folded text whose year was already removed."""
    if m := _HALF_RE.search(t):
        return Frequency.HALF_YEAR, (2 if (m.group(1) == "cuoi" or m.group(2) == "2") else 1)
    if m := _QUARTER_RE.search(t):
        q = m.group(1)
        return Frequency.QUARTERLY, (ROMAN.index(q.upper()) + 1 if q.isalpha() else int(q))
    if m := _WEEK_RE.search(t):
        return Frequency.WEEKLY, int(m.group(1))
    if m := _MONTH_RE.search(t):
        return Frequency.MONTHLY, int(m.group(1) or m.group(2))
    if _YEAR_WORD_RE.search(t):
        return Frequency.YEAR, None
    return None, None


def parse_period_ref(text: str, stream: Stream, today: date, tz: tzinfo = DEFAULT_TZ) -> Period | None:
    """Period of ``stream`` named by typed text, with or without diacritics: "tháng 10",
    "thang 10/2026", "quý 3", "quy III năm 2026", "6 tháng" (= first half), "6 tháng cuối năm",
    "năm 2026", "năm nay", "tháng trước", "kỳ này" (the open period), "2026-10", "2026-Q3",
    "2026-H1", "2026-W49". None when unrecognised or of another frequency than the stream's.
    Without a year: the latest such period that has begun on the calendar by ``today`` (so on
    25/12/2026 "tháng 1" is January 2026 and "6 tháng" is H1 2026; use "kỳ này" for the open one)."""
    t = re.sub(r"\s*([-/])\s*", r"\1", fold(text or ""))
    if m := _REL_RE.search(t):
        unit, delta = m.group(1), _DELTA[m.group(2)]
        if unit == "ky":
            open_p = period_for(stream, datetime.combine(today, time.min, tzinfo=tz), tz)
            return build_period(stream, key_ordinal(stream, open_p.key) + delta, tz)
        if _UNIT[unit] is not stream.frequency:
            return None
        return build_period(stream, containing_ordinal(stream, today) + delta, tz)
    year: int | None = None
    if m := _YEAR_RE.search(t):
        year = int(m.group(1))
        t = t[: m.start()] + " " + t[m.end():]
    elif m := _REL_YEAR_RE.search(t):
        year = today.year + _DELTA[m.group(1)]
        t = t[: m.start()] + " " + t[m.end():]
    freq, num = _parse_parts(t)
    if freq is None and year is not None:
        freq = Frequency.YEAR
    if freq is None or freq is not stream.frequency:
        return None
    top = {Frequency.MONTHLY: 12, Frequency.WEEKLY: 53}.get(freq, 4)
    if num is not None and not 1 <= num <= top:
        return None
    try:
        if year is not None:
            return build_period(stream, ordinal(freq, year, num or 0), tz)
        now_n = containing_ordinal(stream, today)
        candidates = []
        for y in (today.year + 1, today.year, today.year - 1):
            try:
                candidates.append(ordinal(freq, y, num or 0))
            except ValueError:  # no week 53 that year
                continue
        best = max((n for n in candidates if n <= now_n), default=None)
        return None if best is None else build_period(stream, best, tz)
    except ValueError:
        return None
