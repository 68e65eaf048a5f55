"""Parse a free-text activity log ("hỗ trợ 12 người kích hoạt VNeID…") into counts per activity type."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from handlers.activity.catalog import ActivityType
from handlers.activity.keywords import (
    NOT_BEFORE,
    UNIT_PHRASES,
    UNITS,
    Match,
    find_keywords,
    keyword_index,
)
from handlers.activity.tokens import (
    Forms,
    Token,
    clauses,
    clean_text,
    extract_date,
    forms,
    is_number,
    number_end,
    phrase_at,
    tokenize,
)
from handlers.activity.vi_numbers import number_word, words_to_int
from locales.textcut import shorten

__all__ = ["MAX_COUNT", "ParsedLog", "parse_activity"]

MAX_COUNT = 100_000  # larger numbers are not believable as one person's daily log
_NOTE_MAX = 2000


@dataclass(slots=True)
class ParsedLog:
    """Result of ``parse_activity``: ``counts`` per activity code, the log date, the cleaned message as
    ``note``, fragments that could not be used (``unknown``), numbers that are no count (``refused``:
    (reason, fragment) with reason "exponent" for "1e309" / "10^12" or "decimal" for "8,5 người"), and
    activity codes that were mentioned without any number (``uncounted``; the caller may ask "how many?")."""

    counts: dict[str, int]
    on_date: date
    note: str
    unknown: list[str] = field(default_factory=list)
    uncounted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


_PREV_NOUN = forms(
    "thôn", "tổ", "xóm", "khu", "số", "đội", "ấp", "tdp", "phường", "xã", "mức", "lớp", "đợt", "buổi",
    "lần", "năm", "tháng", "ngày", "tuần", "quý", "phòng", "nhà", "đường", "ngõ", "hẻm", "kiệt",
    "km", "cấp", "khóa", "phiên", "điều", "khoản", "mục", "chương", "nq", "qđ", "kh", "bc", "cv", "nđ",
    "sđt", "đt", "zalo", "stt", "quận", "huyện", "tỉnh", "làng", "khối", "cụm", "top",
)
_PREV_NOUN_MARKED = Forms(frozenset({"bản", "tầng", "căn", "kỳ", "nhóm", "phần", "lô", "thửa"}), frozenset())
_THU = forms("thứ")  # "lần thứ 2" is an ordinal, but undiacritised "thu 5 hồ sơ" is "received 5 files"
_TITLE = forms("anh", "chị", "chú", "bác", "cô", "ông", "bà", "út", "dì", "cậu", "thím", "mợ")
_NEXT_EXCLUDE = forms(
    "tuổi", "k", "đ", "đồng", "vnd", "vnđ", "triệu", "tr", "giờ", "h", "phút", "tiếng", "ngày", "tháng",
    "năm", "tuần", "km", "m", "kg", "ha", "gb", "mb", "giây", "thôn", "xã", "bản", "xóm", "tổ", "khu",
    "ấp", "phường", "huyện", "tỉnh", "làng", "số",
)
_VAGUE = forms("vài", "mấy", "dăm", "nhiều")
_POINT, _POWER = forms("phẩy", "phảy"), forms("mũ")
_FOR, _ABOUT = forms("cho", "được"), forms("về")
_FILLER = forms("sáng", "chiều", "tối", "trưa", "đêm", "buổi", "thêm", "được", "nữa", "còn", "có", "và", "lại")
_SUBSET = (forms("trong"), forms("đó"))
_MULTIPLIERS = {"chuc": 10, "tram": 100, "nghin": 1000, "ngan": 1000, "trieu": 1_000_000, "ty": 1_000_000_000}
_RUN_START = frozenset({"khong", "mot", "hai", "ba", "bon", "tu", "nam", "sau", "bay", "tam", "chin", "muoi"})


@dataclass(slots=True)
class _Num:
    first: int
    last: int
    value: int
    unit: str | None
    unit_len: int
    text: str


def _snippet(text: str, c: list[Token], first: int, last: int) -> str:
    """The typed text of tokens first..last, for ``unknown`` (at most 60 characters)."""
    return shorten(text[c[first].start : c[min(last, len(c) - 1)].end], 60)


def _unit(c: list[Token], i: int) -> tuple[str | None, int]:
    n = phrase_at(c, i, UNIT_PHRASES) if i < len(c) else 0
    if not n or (n == 1 and i + 1 < len(c) and c[i + 1].fold in NOT_BEFORE.get(c[i].fold, ())):
        return None, 0
    return next(cls for cls, p in UNITS if len(p) == n and all(f.match(c[i + k]) for k, f in enumerate(p))), n


def _scan_numbers(text: str, c: list[Token], literal: set[int], kw_starts: set[int],
                  problems: list[str], refused: list[tuple[str, str]]) -> list[_Num]:
    nums: list[_Num] = []
    i = 0
    while i < len(c):
        tok, first = c[i], i
        prev = c[i - 1] if i else None
        value: int | None = None
        words = False
        if i in literal:
            i += 1
            continue
        if tok.kind in ("exp", "dec") or (tok.kind == "num" and i + 2 < len(c) and _POWER.match(c[i + 1])
                                          and is_number(c[i + 2])):
            end = i if tok.kind != "num" else number_end(c, i + 2) - 1  # "10 mũ 12"
            unit_len = _unit(c, end + 1)[1]
            if tok.kind != "dec" or not _PREV_NOUN.match(prev):  # "mức 2,5" is no count
                refused.append(("decimal", _snippet(text, c, first, end + unit_len)) if tok.kind == "dec"
                               else ("exponent", _snippet(text, c, first, end)))
            i = end + 1 + unit_len
            continue
        if tok.kind == "num":
            if len(tok.text) > 7:
                value = MAX_COUNT + 1
            else:
                value = int(tok.text)
                role = number_word(c[i + 1].text) if i + 1 < len(c) and i + 1 not in literal else None
                if role == "ngan" and i + 2 < len(c) and c[i + 2].fold == "hang":
                    role = None  # "2 ngan hang" is two banks
                if role in _MULTIPLIERS and (value < 10 or _MULTIPLIERS[role] >= 1000):
                    value *= _MULTIPLIERS[role]
                    i += 1
            if prev is not None and prev.kind == "minus" and prev.end == tok.start and (
                    prev.start == 0 or text[prev.start - 1].isspace() or text[prev.start - 1] in "(:=/"):
                unit_len = _unit(c, i + 1)[1]
                problems.append(_snippet(text, c, first - 1, i + unit_len))  # "-5 người"
                i += 1 + unit_len
                continue
        elif tok.kind == "dotted":
            parse = tok.text.split(".")
            if all(len(p) == 3 for p in parse[1:]) and len(parse[0]) <= 3:
                value = int(tok.text.replace(".", "")) if len(tok.text) <= 11 else MAX_COUNT + 1
        elif tok.kind == "word" and _VAGUE.match(tok):
            j = i + 1
            if j < len(c) and j not in literal and number_word(c[j].text) in _MULTIPLIERS:
                j += 1
            unit_len = _unit(c, j)[1]
            if j > i + 1 or unit_len:
                problems.append(_snippet(text, c, i, j - 1 + unit_len))  # "vài chục người"
                i = j + unit_len
            else:
                i += 1
            continue
        elif tok.kind == "word" and number_word(tok.text) in _RUN_START:
            j = i
            while j < len(c) and j not in literal and c[j].kind == "word" and number_word(c[j].text):
                j += 1
            run = [(number_word(t.text) or "", t.low) for t in c[i:j]]
            if run[0][0] == "nam" and len(run) > 1 and run[1][0] not in _MULTIPLIERS and run[1][0] != "muoi":
                i += 1  # "năm hai nghìn…" is a year
                continue
            value = words_to_int(run)
            if value is None and len(run) > 1:
                value, j = words_to_int(run[:-1]), j - 1
            if value is None:
                if _unit(c, j)[1]:
                    problems.append(_snippet(text, c, i, j - 1 + _unit(c, j)[1]))
                i = j
                continue
            single_ok = _unit(c, j)[1] or j in kw_starts
            if j - i == 1 and (not single_ok or (tok.fold == "tu" and tok.low != "tư")):
                i = j
                continue
            words, i = True, j - 1
        if value is not None and _POINT.match(c[i + 1] if i + 1 < len(c) else None) and \
                is_number(c[i + 2] if i + 2 < len(c) else None):
            end = number_end(c, i + 2) - 1  # "tám mươi lăm phẩy năm người": a decimal is no count
            unit_len = _unit(c, end + 1)[1]
            refused.append(("decimal", _snippet(text, c, first, end + unit_len)))
            i = end + 1 + unit_len
            continue
        if value is None:
            if tok.kind in ("range", "dotted", "date") and not _PREV_NOUN.match(prev):
                problems.append(_snippet(text, c, first, i + _unit(c, i + 1)[1]))
            i += 1
            continue
        nxt = c[i + 1] if i + 1 < len(c) else None
        unit, unit_len = _unit(c, i + 1)
        excluded = (
            _PREV_NOUN.match(prev) or _PREV_NOUN_MARKED.match(prev) or (words and _TITLE.match(prev))
            or (prev is not None and _THU.match(prev) and (prev.marked or not unit_len))
            or (i + 1 not in kw_starts and (_NEXT_EXCLUDE.match(nxt) or (nxt is not None and nxt.kind == "pct")))
        )
        if not excluded:
            if value > MAX_COUNT:
                problems.append(_snippet(text, c, first, i + unit_len))
            else:
                nums.append(_Num(first, i, value, unit, unit_len, _snippet(text, c, first, i + unit_len)))
        i += 1 + unit_len
    return nums


def _attach(c: list[Token], k: int, nums: list[_Num], kws: list[Match], starts: list[int]) -> str | None:
    """Activity code for ``nums[k]`` among a clause's keyword matches (sorted, non-overlapping)."""
    n = nums[k]
    before = bisect_left(starts, n.first)  # kws[:before] start before the number
    if before and kws[before - 1].end > n.last:
        return kws[before - 1].code  # inside a gap keyword: "đến 20 hộ"
    fwd_any = kws[before] if before < len(kws) else None
    bwd_any = kws[before - 1] if before else None
    next_first = nums[k + 1].first if k + 1 < len(nums) else 1 << 30
    prev_first = nums[k - 1].first if k else -1
    fwd = fwd_any if fwd_any is not None and next_first >= fwd_any.start else None
    bwd = bwd_any if bwd_any is not None and prev_first < bwd_any.end else None
    dist_f = max(0, fwd.start - (n.last + 1 + n.unit_len)) if fwd else None
    dist_b = n.first - bwd.end if bwd else None
    prefer_back = (n.first > 0 and _FOR.match(c[n.first - 1])) or (
        fwd is not None and fwd.start > 0 and _ABOUT.match(c[fwd.start - 1]))
    if fwd and dist_f == 0 and n.unit_len:
        label_style = dist_b == 0 and next_first == fwd.end  # "VNeID 12 người DVC 3 hồ sơ"
        if not label_style:
            return fwd.code  # "12 người kích hoạt VNeID"
    if bwd and dist_b == 0:
        return bwd.code  # "VNeID: 12"
    if fwd and dist_f == 0:
        return fwd.code
    if fwd is not None and bwd is not None and dist_f is not None and dist_b is not None:
        if dist_f == dist_b:  # "tuyên truyền cho 45 hộ về BDHVS": "cho" binds back, "về" names a topic
            return bwd.code if prefer_back else fwd.code
        return fwd.code if dist_f < dist_b else bwd.code
    near = fwd or bwd or fwd_any or bwd_any
    return near.code if near else None


def _only_filler(c: list[Token], n: _Num) -> bool:
    """True when a clause holds nothing but the number, its unit and words like "chiều", "thêm"."""
    return all(n.first <= k <= n.last + n.unit_len or _FILLER.match(t) for k, t in enumerate(c))


_LAST: list[object] = [None, None, None, None]  # text, catalog, today, result of the last call


def parse_activity(text: str, catalog: Sequence[ActivityType], today: date) -> ParsedLog:
    """Extract counts per activity code and the log date from one free-text message. Never raises
    on any string; a message without a recognisable activity gives empty ``counts``.

    A free text is read twice in one turn (the question detector, then the log flow): the last result
    is kept and handed out again as a copy (callers may change theirs)."""
    last = _LAST
    if last[0] == text and last[1] is catalog and last[2] == today:
        r = last[3]
        assert isinstance(r, ParsedLog)
        return ParsedLog(dict(r.counts), r.on_date, r.note, list(r.unknown), list(r.uncounted), list(r.refused))
    result = _parse(text, catalog, today)
    last[:] = [text, catalog, today, result]
    return ParsedLog(dict(result.counts), result.on_date, result.note, list(result.unknown),
                     list(result.uncounted), list(result.refused))


def _parse(text: str, catalog: Sequence[ActivityType], today: date) -> ParsedLog:
    clean = clean_text(text)
    note = "\n".join(" ".join(line.split()) for line in clean.splitlines() if line.strip())[:_NOTE_MAX]
    toks = tokenize(clean)
    on_date, unknown = extract_date(toks, today, lambda ts, k: _unit(ts, k)[1] > 0)
    index = keyword_index(catalog)
    counts: dict[str, int] = {}
    units: dict[str, str] = {}  # how each activity was first counted ("people", "sessions", …)
    mentioned: list[str] = []
    pending: str | None = None  # activity named in an earlier clause that had no number
    cont: tuple[str, str | None] | None = None  # last (activity, unit) counted: "sáng 5 người, chiều 7 người"
    waiting: list[_Num] = []  # numbers seen before any activity was named
    refused: list[tuple[str, str]] = []

    def add(code: str, n: _Num) -> None:
        if n.unit is not None and units.setdefault(code, n.unit) != n.unit:
            unknown.append(n.text)  # "2 buổi tuyên truyền … 150 hộ": not the same kind of count
        else:
            counts[code] = counts.get(code, 0) + n.value

    for c in clauses(toks):
        kws, literal = find_keywords(c, index)
        if any(not m.weak for m in kws):
            kws = [m for m in kws if not m.weak]
        nums = _scan_numbers(clean, c, literal, {m.start for m in kws}, unknown, refused)
        if any(not c[n.first].aside for n in nums):
            nums = [n for n in nums if not c[n.first].aside]  # "12 người (5 nam, 7 nữ)" breaks a count down
        in_units = {k for n in nums for k in range(n.last + 1, n.last + 1 + n.unit_len)}
        as_unit = [m for m in kws if m.weak and m.start in in_units]
        if as_unit and len(as_unit) < len(kws):
            kws = [m for m in kws if not any(m is u for u in as_unit)]  # "3 hộ kinh doanh mở gian hàng"
        if _SUBSET[0].match(c[0]) and len(c) > 1 and _SUBSET[1].match(c[1]):
            nums = []  # "trong đó 5 người mức 2" repeats part of an earlier count
        mentioned.extend(m.code for m in kws if m.code not in mentioned)
        if not kws:
            unknown.extend(n.text for n in waiting)  # numbers wait one clause at most for their activity
            waiting = []
            for n in nums:
                if pending is not None:
                    add(pending, n)
                elif cont is not None and n.unit == cont[1] and _only_filler(c, n):
                    add(cont[0], n)
                else:
                    waiting.append(n)
            continue
        if not nums:
            pending, cont = kws[-1].code, None
            for n in waiting:
                add(kws[0].code, n)
            waiting = []
            continue
        pending = None
        unknown.extend(n.text for n in waiting)
        waiting = []
        starts = [m.start for m in kws]
        for k, n in enumerate(nums):
            code = _attach(c, k, nums, kws, starts)
            if code is None:
                unknown.append(n.text)
            else:
                add(code, n)
                cont = (code, n.unit) if n.unit is not None else None
    unknown.extend(n.text for n in waiting)
    counts = {k: min(v, MAX_COUNT) for k, v in counts.items()}
    uncounted = [code for code in mentioned if code not in counts]
    return ParsedLog(counts=counts, on_date=on_date, note=note, unknown=unknown, uncounted=uncounted,
                     refused=refused)
