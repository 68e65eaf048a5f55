"""Deadline cells ("Quý II năm 2026", "Thường xuyên", "Trước ngày 30/4/2026") → ``Due``."""

from __future__ import annotations

import calendar
import re
from datetime import date

from locales.textnorm import fold
from storage.deadlines import last_allowed_day

from .model import Due

__all__ = ["parse_due"]

# Everything below matches the *folded* text: lower case, no diacritics, dashes as " - ".
_QN = r"(iv|iii|ii|i|[1-4])"
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_TAIL_YEAR = r"(?:\s*(?:/|-|nam)\s*((?:19|20)\d\d)(?!\d))?"

_DONE = re.compile(r"^(?:da\b.*\b(?:xong|hoan thanh)\b|(?:xong|hoan thanh)$)")
_EXTERNAL_LEAD = re.compile(r"^(?:theo|khi|dot xuat|tuy)\b")
_QUARTER_RANGE = re.compile(
    rf"\bquy\s*{_QN}\s*(?:-|den|toi|va|~)\s*(?:het\s*)?(?:quy\s*)?{_QN}\b{_TAIL_YEAR}"
)
_FROM = re.compile(r"\btu\s*$")
_QUARTER = re.compile(rf"\bquy\s*{_QN}\b{_TAIL_YEAR}")
_MONTH_RANGE = re.compile(
    rf"\bthang\s*(\d{{1,2}})\s*(?:-|den|toi)\s*(?:het\s*)?(?:thang\s*)?(\d{{1,2}})(?!\d){_TAIL_YEAR}"
)
_MONTH = re.compile(rf"\bthang\s*(\d{{1,2}})(?!\d){_TAIL_YEAR}")
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d\d)(?!\d)")
_DATE_WORDS = re.compile(r"\bngay\s*(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*nam\s*((?:19|20)\d\d))?(?!\d)")
_DATE_NO_YEAR = re.compile(r"(?:\bngay|\btruoc|\bden|^)\s*(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_MONTH_YEAR = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*((?:19|20)\d\d)(?!\d)")
_BEFORE_DAY = re.compile(r"\btruoc\s*(?:ngay\s*)?\d{1,2}\s*(?:[/.-]|thang\b)")
# "trước tháng 6", "trước Quý III", "trước năm 2027" (not "trước hết quý II", "trước ngày …"): read literally,
# like "trước ngày N", as the day before the named month, quarter or year begins
_BEFORE_PERIOD = re.compile(r"\btruoc\s*(?:thang|quy|nam)\b")
_HALF = re.compile(rf"\b6\s*thang\s*(dau|cuoi)\s*nam{_TAIL_YEAR}")
_YEAR_SPAN = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:-|den)\s*((?:19|20)\d\d)(?!\d)")
_EVERY = (
    (re.compile(r"\b(?:hang|moi)\s*quy\b|\btheo\s*quy\b"), "quarter"),
    (re.compile(r"\b(?:hang|moi)\s*thang\b|\btheo\s*thang\b"), "month"),
    (re.compile(r"\b(?:hang|moi)\s*nam\b|\btheo\s*nam\b"), "year"),
    (re.compile(r"\b(?:hang|moi)\s*tuan\b|\btheo\s*tuan\b"), "week"),
    (re.compile(r"\b(?:hang|moi)\s*ngay\b|\btheo\s*ngay\b"), "day"),
)
_ONGOING = re.compile(r"\b(?:thuong xuyen|lien tuc|dinh ky)\b")
_SPACES = re.compile(r"\s+")
_JUNK = re.compile(r"[*_()\[\]\"“”'`]")


def _key(text: str) -> str:
    return fold(_SPACES.sub(" ", _JUNK.sub(" ", text)))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_start(year: int, q: int) -> date:
    return date(year, 3 * q - 2, 1)


def _quarter_end(year: int, q: int) -> date:
    return _month_end(year, 3 * q)


def _year_after(key: str, pos: int, default: int) -> int:
    m = _YEAR.search(key, pos) or _YEAR.search(key)
    return int(m.group(1)) if m else default


def _recurring_every(key: str) -> str | None:
    for pattern, every in _EVERY:
        if pattern.search(key):
            return every
    return None


def _parse(text: str, key: str, year: int) -> Due:
    if not key:
        return Due(text=text, kind="none")
    if _DONE.search(key):
        return Due(text=text, kind="done")

    m = _QUARTER_RANGE.search(key)
    if m:
        q1, q2 = _QUARTERS[m.group(1)], _QUARTERS[m.group(2)]
        y = int(m.group(3)) if m.group(3) else _year_after(key, m.end(), year)
        q1, q2 = min(q1, q2), max(q1, q2)
        start, end = _quarter_start(y, q1), _quarter_end(y, q2)
        if _FROM.search(key[: m.start()]):
            return Due(text=text, date=end, kind="dated", start=start)
        return Due(text=text, date=end, recurring=True, kind="recurring", start=start, every="quarter")

    every = _recurring_every(key)
    if every is not None or _ONGOING.search(key):
        y_match = _YEAR.search(key)
        end_of_year = date(int(y_match.group(1)), 12, 31) if y_match else None
        return Due(text=text, date=end_of_year, recurring=True, kind="recurring", every=every)

    if _EXTERNAL_LEAD.search(key):
        return Due(text=text, kind="external")

    dated = _parse_dated(key, year)
    if dated is not None:
        start, end, first = dated
        if first is not None and _BEFORE_PERIOD.search(key):  # "trước Quý III": by the end of Quý II
            return Due(text=text, date=last_allowed_day(first, True), kind="dated")
        before = start is None and bool(_BEFORE_DAY.search(key))  # "trước ngày 30/4": by the end of 29/4
        return Due(text=text, date=last_allowed_day(end, before), kind="dated", start=start)
    return Due(text=text, kind="external", understood=False)


def _parse_dated(key: str, year: int) -> tuple[date | None, date, date | None] | None:
    """(start, end, first) for a phrase naming a day, month, quarter, half or year (``first``: the first
    day of a single named month, quarter or year); None if it names none."""
    dates = [date(int(y), int(mo), int(d)) for d, mo, y in _DATE.findall(key)]
    for d, mo, y in _DATE_WORDS.findall(key):
        dates.append(date(int(y) if y else year, int(mo), int(d)))
    if dates:
        return (dates[0] if len(dates) > 1 else None), dates[-1], None
    m = _DATE_NO_YEAR.search(key)
    if m:
        return None, date(year, int(m.group(2)), int(m.group(1))), None

    m = _MONTH_RANGE.search(key)
    if m:
        y = int(m.group(3)) if m.group(3) else _year_after(key, m.end(), year)
        first, last = sorted((int(m.group(1)), int(m.group(2))))
        return date(y, first, 1), _month_end(y, last), None
    m = _MONTH.search(key)
    if m:
        y = int(m.group(2)) if m.group(2) else _year_after(key, m.end(), year)
        return None, _month_end(y, int(m.group(1))), date(y, int(m.group(1)), 1)

    m = _QUARTER.search(key)
    if m:
        y = int(m.group(2)) if m.group(2) else _year_after(key, m.end(), year)
        return None, _quarter_end(y, _QUARTERS[m.group(1)]), _quarter_start(y, _QUARTERS[m.group(1)])
    m = _HALF.search(key)
    if m:
        y = int(m.group(2)) if m.group(2) else _year_after(key, m.end(), year)
        if m.group(1) == "dau":
            return date(y, 1, 1), date(y, 6, 30), None
        return date(y, 7, 1), date(y, 12, 31), None

    m = _MONTH_YEAR.search(key)
    if m:
        return None, _month_end(int(m.group(2)), int(m.group(1))), date(int(m.group(2)), int(m.group(1)), 1)
    m = _YEAR_SPAN.search(key)
    if m:
        return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31), None
    m = _YEAR.search(key)
    if m:
        return None, date(int(m.group(1)), 12, 31), date(int(m.group(1)), 1, 1)
    return None


def parse_due(text: str, year: int) -> Due:
    """Read a deadline cell; ``year`` fills in phrases that name no year ("Quý II").

    Never raises: an unreadable phrase comes back as kind "external" with its text kept."""
    original = (text or "").strip()
    key = _key(original)
    try:
        return _parse(original, key, year)
    except (ValueError, OverflowError):  # impossible day/month ("31/2/2026") or year out of range
        return Due(text=original, kind="external", understood=False)
