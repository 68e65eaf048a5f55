"""What a question names, read loosely: period, units and villages, activity kinds, indicators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from handlers.activity.catalog import keyword_tokens
from locales.textnorm import VILLAGE_KIND_RE, fold, unit_key

__all__ = ["Entities", "UnitName", "expand", "find_kinds", "find_period", "find_units", "unit_scope"]

# Chat shorthand spelled out, on folded words.
_SHORT = {"bc": "bao cao", "ct": "chi tieu", "nv": "nhiem vu", "tl": "ty le", "hs": "ho so", "ko": "khong",
          "k": "khong", "hok": "khong", "kh": "khong", "dc": "duoc", "đc": "duoc", "bn": "bao nhieu",
          "bnh": "bao nhieu", "ntn": "nhu the nao", "j": "gi", "r": "roi", "chx": "chua", "tp": "tu phap",
          "dv": "don vi", "pb": "phong ban", "tt": "trung tam", "t": "thang", "ng": "nguoi",
          "vs": "voi", "sv": "so voi", "thg": "thang", "tr": "truoc", "nay.": "nay"}


def expand(w: str) -> str:
    """Folded words with shorthand spelled out ("ct nao cham" → "chi tieu nao cham")."""
    out = []
    toks = w.split()
    for i, tok in enumerate(toks):
        if tok in ("t", "thg") and not (i + 1 < len(toks) and toks[i + 1].isdigit()):
            out.append(tok)
            continue
        out.append(_SHORT.get(tok, tok))
    text = " ".join(out)
    return re.sub(r"\bt(\d{1,2})\b", r"thang \1", re.sub(r"\bq(\d)\b", r"quy \1", text))


_PERIOD = re.compile(
    r"\b(?:(?:thang|quy|tuan|ky) (?:nay|truoc|ngoai|sau|toi)"
    r"|(?:0?6 thang|nua) (?:dau|cuoi)(?: nam)?(?: \d{4})?"
    r"|quy (?:iv|iii|ii|i|[1-4])(?: \d{4}| nam \d{4}| nam (?:nay|truoc|ngoai))?"
    r"|thang (?:1[0-2]|0?[1-9])(?: \d{4}| nam \d{4}| nam (?:nay|truoc|ngoai))?"
    r"|(?:ca )?nam (?:nay|truoc|ngoai|\d{4}))\b")
_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december")
_EN = {"tu dau nam": "nam nay", "luy ke": "nam nay", "ca nam": "nam nay", "year to date": "nam nay",
       "this month": "thang nay", "last month": "thang truoc", "this quarter": "quy nay",
       "last quarter": "quy truoc", "this year": "nam nay", "last year": "nam truoc",
       "first half": "6 thang dau nam"}


def find_period(w: str) -> str | None:
    """The period phrase of the question, as ``storage.calendar.period_ref.parse_period_ref`` reads it."""
    w = re.sub(r"(\d{1,2}) (\d{4})", r"\1/\2", w) if "thang" in w else w
    for en, vi in _EN.items():
        w = w.replace(en, vi)
    for i, name in enumerate(_EN_MONTHS):
        # "may" is also "mấy" typed without marks ("có mấy nhiệm vụ"): a month only as "in May", "May 2026"
        pattern = r"\bin may\b|\bmay(?= \d{4}\b)" if name == "may" else rf"\b(?:in )?{name}\b"
        w = re.sub(pattern, f"thang {i + 1}", w)
    w = re.sub(r"\bq ?([1-4])\b", r"quy \1", w)
    m = re.search(r"\bthang (1[0-2]|0?[1-9])/(\d{4})\b", w)
    if m:
        return f"thang {m.group(1)}/{m.group(2)}"
    m = _PERIOD.search(w)
    if m is None:
        return None
    phrase = m.group(0)
    if "cung ky" in w or "cung thang nam" in w:
        return phrase
    return phrase


@dataclass(frozen=True)
class UnitName:
    id: int
    name: str
    kind: str


@dataclass
class Entities:
    period: str | None = None
    units: list[UnitName] = field(default_factory=list)
    ambiguous: list[UnitName] = field(default_factory=list)
    scope: str | None = None  # villages | offices | None (both)
    kinds: list[str] = field(default_factory=list)
    compare: str | None = None  # previous | last_year
    indicator: str | None = None  # an indicator code, or words of its name
    slow: bool = False
    reached: bool = False  # "chỉ tiêu nào đã đạt"
    task: str | None = None  # a task code ("N5.6", "IV.2", "3")
    sections: list[str] = field(default_factory=list)  # the plan sections or groups named ("nhóm 4", "mục IV")
    task_filter: str | None = None  # done | open | unreported ("nhiệm vụ nào chưa xong")

    def as_dict(self) -> dict:
        return {"period": self.period, "units": [u.name for u in self.units],
                "ambiguous": [u.name for u in self.ambiguous], "scope": self.scope, "kinds": self.kinds,
                "compare": self.compare, "indicator": self.indicator, "slow": self.slow,
                "reached": self.reached, "task": self.task, "section": self.sections[0] if self.sections else None,
                "task_filter": self.task_filter}


_PREFIX = re.compile(rf"^(?:{VILLAGE_KIND_RE}|phong|trung tam|van phong|bo phan|cong chuc|doan|hoi)\s+")
_NOISE = {"thon", "phong", "ban", "xa", "cac", "nao", "chua", "bao", "cao", "nop", "thang", "nay", "truoc",
          "duoc", "nhieu", "da", "co", "khong", "the", "roi", "gi", "ai", "minh", "toi", "so", "voi", "nguoi",
          "ho", "tro", "don", "vi", "quy", "nam", "trung", "tam", "van", "hoi", "ket", "qua", "tinh", "hinh",
          "hoat", "dong", "chi", "tieu", "nhiem", "vu", "tre", "han", "lai", "cua", "o", "va", "den"}


def _keys(name: str, commune: str | None) -> tuple[str, str]:
    """(full, without its kind word) folded keys of a unit name; ``commune`` is the commune's key ("bắc kạn"), so
    "Trạm Y tế phường Bắc Kạn" is "tram y te" as the org list and the plan read it (``unit_key``)."""
    full = " ".join(re.findall(r"\w+", fold(unit_key(name, commune))))
    return full, _PREFIX.sub("", full)


def _has(w: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(?:^|\s){re.escape(phrase)}(?:\s|$)", w) is not None


def find_units(w: str, units: Sequence[UnitName], commune: str | None = None
               ) -> tuple[list[UnitName], list[UnitName]]:
    """(units named, ambiguous candidates). Exact folded names first (with or without "Thôn"/"Phòng"),
    then close spellings; a bare "thôn nà" that fits several villages gives them as candidates."""
    w = " ".join(re.findall(r"\w+", fold(unit_key(w))))
    found: list[tuple[int, UnitName]] = []
    by_full: set[str] = set()  # names matched in full: "đảng ủy" is Đảng ủy, not Văn phòng Đảng ủy
    for u in units:
        full, short = _keys(u.name, commune)
        for key in (full, short):
            if (key == full or len(key) >= 4) and key not in _NOISE and _has(w, key):
                found.append((w.find(key), u))
                if key == full:
                    by_full.add(full)
                break
    found = [(i, u) for i, u in found if _keys(u.name, commune)[0] in by_full
             or _keys(u.name, commune)[1] not in by_full]
    if found:
        found.sort(key=lambda x: x[0])
        named = [u for _i, u in found]
        names = {_keys(u.name, commune)[1] for u in named}
        return [u for u in named if not any(n != _keys(u.name, commune)[1] and _keys(u.name, commune)[1] in n
                                             for n in names)], []
    tokens = w.split()
    scored: list[tuple[int, float, UnitName]] = []
    for u in units:
        best_fit: tuple[int, float] = (0, 0.0)
        full, short = _keys(u.name, commune)
        kind = set(full.split()) - set(short.split())  # "tổ dân phố" of "Tổ dân phố 1": no word of its own name
        for key in {k.split() and tuple(k.split()) for k in (full, short)}:
            fit = _fit(list(key), tokens, kind)
            if fit is not None and fit[1] >= 0.75 and fit > best_fit:
                best_fit = fit
        if best_fit[0]:
            scored.append((best_fit[0], best_fit[1], u))
    scored.sort(key=lambda x: (-x[0], -x[1]))
    if scored:
        top = [u for c, sc, u in scored if c == scored[0][0] and sc >= scored[0][1] - 0.05]
        return (top[:1], []) if len(top) == 1 else ([], top[:3])
    for prefix in ("thon", "ban", "xom", "phong"):  # "thôn nà" → every village whose name starts so
        m = re.search(rf"\b{prefix} (\w+(?: \w+)?)", w)
        if m:
            start = m.group(1)
            cands = [u for u in units if _keys(u.name, commune)[1].startswith(start.split()[0])
                     and start.split()[0] not in _NOISE]
            if len(cands) > 1:
                return [], cands[:3]
            # "phòng văn hóa": the first two words of one name only (Phòng Văn hóa - Xã hội)
            whole = [u for u in units if f"{_keys(u.name, commune)[1]} ".startswith(f"{start} ")] \
                if len(start.split()) > 1 and set(start.split()) - _NOISE else []
            if len(whole) == 1:
                return whole, []
    return [], []


def _fit(key: list[str], tokens: list[str], kind: set[str] | frozenset[str] = frozenset()
         ) -> tuple[int, float] | None:
    """(words of ``key`` found, share of its letters found) when a real word of it is in ``tokens``: not a noise
    word nor one of the unit's ``kind`` words ("tổ dân phố nào chưa báo cáo" names no "Tổ dân phố 1")."""
    got, count, real = 0, 0, False
    for k in key:
        if len(k) <= 2:
            ok = k in tokens
        else:
            ok = max((SequenceMatcher(None, k, t).ratio() for t in tokens), default=0.0) >= 0.85
        if ok:
            got, count = got + len(k), count + 1
            real = real or (k not in _NOISE and k not in kind and len(k) >= 3)
    return (count, got / max(1, sum(len(k) for k in key))) if real else None


def unit_scope(w: str) -> str | None:
    """"villages" for "các thôn" (a ward's "tổ dân phố", "khu phố"), "offices" for "các phòng ban / đơn vị / cơ
    quan", else None."""
    if re.search(rf"\b({VILLAGE_KIND_RE}|to (?:cong nghe|cns)|villages?)\b", w) and not re.search(
            r"\bphong ban\b", w):
        return "villages"
    if re.search(r"\b(phong ban|phong|don vi|co quan|ban nganh|offices?|units?)\b", w):
        return "offices"
    return None


def find_kinds(w: str, catalog: Sequence) -> list[str]:
    """Activity codes named by their catalogue words ("vneid", "dvc", "thanh toán", "tuyên truyền")."""
    hits: list[tuple[int, int, str]] = []
    for t in catalog:
        best = None
        for kw in (*t.keywords, t.label_vi, t.label_en, t.code):
            groups = keyword_tokens(kw)
            phrase = " ".join(groups[0]) if len(groups) == 1 else ""
            if len(phrase) < 3 or phrase in ("ho", "lop", "loa", "san", "qr"):
                continue
            if _has(w, phrase) and (best is None or len(phrase) > best[1]):
                best = (w.find(phrase), len(phrase))
        if best is not None:
            hits.append((best[0], -best[1], t.code))
    # "bao nhiêu hộ", never "bao nhiêu hồ sơ" (folded, "hồ sơ" is "ho so" too)
    if re.search(r"\bbao nhieu ho\b(?!\s+so\b)|\bho (?:duoc|dan|gia dinh)\b", w) \
            and "households" not in [h[2] for h in hits]:
        hits.append((w.find(" ho"), 0, "households"))
    hits.sort()
    out: list[str] = []
    for _pos, _len, code in hits:
        if code not in out:
            out.append(code)
    return out
