"""Tokens and dates for activity-log messages: typed Vietnamese words, numbers, separators, dates."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.activity.vi_numbers import number_word
from locales.textnorm import normalize_name, strip_diacritics

__all__ = ["Forms", "Token", "clauses", "clean_text", "extract_date", "forms", "is_number", "number_end", "phrase_at",
           "tokenize"]

_TOKEN_RE = re.compile(
    r"""
     (?P<exp>\d+(?:[.,]\d+)*(?:[eE][+-]?|\ ?(?:\^|\*\*)\ ?[+-]?)\d+)
    |(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?!\d)|\d{1,2}/\d{1,2}(?![\d/]))
    |(?P<phone>(?:\+84|0)[ .-]?\d(?:[ .-]?\d){8,9}(?!\d))
    |(?P<time>\d{1,2}(?:[hg]\d{0,2}|:\d{2})(?![^\W_]))
    |(?P<range>\d+\ ?[-–~]\ ?\d+(?!\d))
    |(?P<dec>\d+,\d+(?!\d))
    |(?P<dotted>\d+(?:\.\d+)+(?!\d))
    |(?P<num>\d+)
    |(?P<word>[^\W\d_]+)
    |(?P<sep>[;,.!?\n+•|])
    |(?P<minus>[-−–])
    |(?P<pct>%)
    |(?P<open>[(\[])
    |(?P<close>[)\]])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_MAX_CHARS = 20_000  # longer messages are cut (a chat message is at most a few thousand characters)


@dataclass(slots=True)
class Token:
    """One piece of a message: ``kind`` is a _TOKEN_RE group name, ``low`` the lower-case NFC
    spelling with new tone placement, ``fold`` the same without diacritics."""

    kind: str
    text: str
    low: str
    fold: str
    start: int
    end: int
    used: bool = False  # consumed by a date expression
    aside: bool = False  # inside parentheses

    @property
    def marked(self) -> bool:
        """True when the token was typed with Vietnamese diacritics."""
        return self.low != self.fold


def clean_text(text: str) -> str:
    """NFC, without format characters (zero-width spaces, joiners, BOM, bidi marks) or lone surrogates,
    at most _MAX_CHARS characters."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFC", text[: _MAX_CHARS * 2])
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cs"))[:_MAX_CHARS]


def tokenize(text: str) -> list[Token]:
    """Split a cleaned message into tokens; spaces, emoji and other symbols are skipped."""
    out: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "sep"
        raw = m.group(0)
        low = raw if kind == "sep" else normalize_name(raw)
        out.append(Token(kind, raw, low, strip_diacritics(low), m.start(), m.end()))
    return out


@dataclass(frozen=True, slots=True)
class Forms:
    """Accepted spellings of a word: exactly one of ``lows`` with diacritics, or any of ``folds``
    when typed without diacritics (so "bà" never matches "ba", but "ba" does)."""

    lows: frozenset[str]
    folds: frozenset[str]

    def match(self, tok: Token | None) -> bool:
        if tok is None or tok.used or tok.kind not in ("word", "num"):
            return False
        return tok.low in self.lows or (not tok.marked and tok.fold in self.folds)


def forms(*words: str) -> Forms:
    lows = frozenset(normalize_name(w) for w in words)
    return Forms(lows, frozenset(strip_diacritics(w) for w in lows))


def phrase_at(toks: Sequence[Token], i: int, phrases: Iterable[tuple[Forms, ...]]) -> int:
    """Length in tokens of the longest phrase starting at ``toks[i]``, or 0."""
    best = 0
    for phrase in phrases:
        n = len(phrase)
        if n > best and i + n <= len(toks) and all(f.match(toks[i + k]) for k, f in enumerate(phrase)):
            best = n
    return best


_NGAY, _THANG, _NAM, _HOM, _THU = forms("ngày"), forms("tháng"), forms("năm"), forms("hôm"), forms("thứ")
_NAY, _QUA, _KIA = forms("nay"), forms("qua"), forms("kia")
_PART_OF_DAY = forms("sáng", "chiều", "tối", "trưa", "đêm")
_TUAN, _TRUOC = forms("tuần"), forms("trước")
_CHU, _NHAT, _T = forms("chủ"), forms("nhật"), forms("t")
_ORDINAL_BEFORE = forms("lần", "buổi", "đợt", "khóa", "kỳ", "lớp", "phiên")
_WEEKDAY_WORDS = {0: forms("hai"), 1: forms("ba"), 2: forms("tư"), 3: forms("năm"), 4: forms("sáu"),
                  5: forms("bảy", "bẩy")}


def _num(tok: Token | None, lo: int, hi: int) -> int | None:
    if tok is None or tok.used or tok.kind != "num" or len(tok.text) > 4:
        return None
    value = int(tok.text)
    return value if lo <= value <= hi else None


def _latest(day: int, month: int | None, today: date) -> date | None:
    """Latest valid date with this day (and month) that is not after today."""
    months = [(today.year - k, month) for k in range(9)] if month else [
        ((today.year * 12 + today.month - 1 - k) // 12, (today.month - 1 - k) % 12 + 1) for k in range(13)]
    for year, mon in months:
        try:
            d = date(year, mon or 1, day)
        except ValueError:
            continue
        if d <= today:
            return d
    return None


def _explicit(day: int, month: int, year: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(wd: int, today: date, last_week: bool) -> date:
    if last_week:
        return today - timedelta(days=today.weekday()) - timedelta(days=7 - wd)
    return today - timedelta(days=(today.weekday() - wd) % 7)


IsCount = Callable[[list[Token], int], bool]


def _date_at(toks: list[Token], i: int, today: date, is_count: IsCount) -> tuple[int, date | None, str] | None:
    """Recognise a date expression starting at toks[i]: (tokens used, date or None if invalid, text)."""
    def at(k: int) -> Token | None:
        return toks[k] if 0 <= k < len(toks) and not toks[k].used else None

    tok = toks[i]
    lead = 1 if _NGAY.match(tok) else 0
    nxt = at(i + lead)
    if nxt is not None and nxt.kind in ("date", "range", "dotted") and (lead or nxt.kind == "date"):
        parts = [int(p[:6]) for p in re.split(r"\D+", nxt.text) if p]
        n = lead + 1
        if len(parts) == 3:
            return n, _explicit(parts[0], parts[1], parts[2]), nxt.text
        if len(parts) == 2 and 1 <= parts[0] <= 31 and 1 <= parts[1] <= 12:
            return n, _latest(parts[0], parts[1], today), nxt.text
        return (n, None, nxt.text) if lead else None  # "25/30 hộ" is a fraction, not a date
    if lead and (day := _num(at(i + 1), 1, 31)) is not None and not is_count(toks, i + 2):
        month = _num(at(i + 3), 1, 12) if _THANG.match(at(i + 2)) else None
        if month is None:
            return 2, _latest(day, None, today), f"ngày {day}"
        year = _num(at(i + 5), 1900, 2999) if _NAM.match(at(i + 4)) else None
        if year is None:
            return 4, _latest(day, month, today), f"{day}/{month}"
        return 6, _explicit(day, month, year), f"{day}/{month}/{year}"
    if _HOM.match(tok) or _PART_OF_DAY.match(tok):
        for k, word in enumerate((_NAY, _QUA, _KIA)):
            if word.match(at(i + 1)) and (k < 2 or _HOM.match(tok)):
                return 2, today - timedelta(days=k), tok.text
        return None
    wd: int | None = None
    if _THU.match(tok) and not _ORDINAL_BEFORE.match(at(i - 1)) and not is_count(toks, i + 2):
        value = _num(at(i + 1), 2, 7)  # "thu 5 hồ sơ" (received 5 files) is not Thursday
        wd = value - 2 if value is not None else next(
            (d for d, f in _WEEKDAY_WORDS.items() if f.match(at(i + 1))), None)
    elif _T.match(tok) and (v := _num(at(i + 1), 2, 7)) is not None and toks[i + 1].start == tok.end:
        wd = v - 2
    elif _CHU.match(tok) and _NHAT.match(at(i + 1)):
        wd = 6
    if wd is None:
        return None
    last_week = _TUAN.match(at(i + 2)) and _TRUOC.match(at(i + 3))
    return (4 if last_week else 2), _weekday(wd, today, bool(last_week)), tok.text


def extract_date(toks: list[Token], today: date, is_count: IsCount | None = None) -> tuple[date, list[str]]:
    """Find the message's date and mark its tokens used; returns (date, problems). The first valid
    date wins; invalid or future dates and later conflicting dates are reported as problems."""
    is_count = is_count or (lambda _toks, _k: False)
    found: date | None = None
    problems: list[str] = []
    for i, tok in enumerate(toks):
        if tok.used or tok.kind not in ("word", "date"):
            continue
        hit = _date_at(toks, i, today, is_count)
        if hit is None:
            continue
        n, when, text = hit
        text = text[:40]
        for k in range(i, min(i + n, len(toks))):
            toks[k].used = True
        if when is None:
            problems.append(f"ngày không hợp lệ: {text}")
        elif when > today:
            problems.append(f"ngày trong tương lai: {when:%d/%m/%Y}")
        elif found is None:
            found = when
        elif when != found:
            problems.append(f"ngày khác: {when:%d/%m/%Y}")
    return (found or today), problems


_AND = forms("và")


def is_number(tok: Token | None) -> bool:
    return tok is not None and (tok.kind == "num" or (tok.kind == "word" and number_word(tok.text) is not None))


def number_end(c: list[Token], j: int) -> int:
    """Index after the run of digits and number words starting at ``j``."""
    while j < len(c) and is_number(c[j]):
        j += 1
    return j


def clauses(toks: list[Token]) -> list[list[Token]]:
    """Split on punctuation, "và" and new lines; separators inside parentheses do not split."""
    out: list[list[Token]] = [[]]
    depth = 0
    for k, tok in enumerate(toks):
        if tok.kind == "sep" and tok.text == "\n":
            depth = 0
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth = max(0, depth - 1)
        elif (tok.kind == "sep" or (_AND.match(tok) and tok.kind == "word")) and not depth:
            out.append([])
        elif tok.kind == "minus" and 0 < k < len(toks) - 1 and toks[k - 1].kind == toks[k + 1].kind == "word" \
                and toks[k - 1].end == tok.start and tok.end == toks[k + 1].start:
            continue  # hyphenated word: "V-NeID"
        elif not tok.used and tok.kind != "sep":
            tok.aside = depth > 0
            out[-1].append(tok)
    return [c for c in out if c]
