"""Counting nouns ("người", "hộ", "hồ sơ") and the catalogue's activity keywords, found in a tokenized log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from handlers.activity.catalog import ActivityType, keyword_tokens
from handlers.activity.tokens import Forms, Token, forms
from locales.textnorm import strip_diacritics

__all__ = ["GAP_MAX", "NOT_BEFORE", "UNITS", "UNIT_FOLDS", "UNIT_PHRASES", "Keyword", "Match", "find_keywords",
           "keyword_index"]

GAP_MAX = 3  # words allowed between the parts of a keyword


def _units() -> list[tuple[str, tuple[Forms, ...]]]:
    table = {
        "people": "người|người dân|công dân|bà con|cụ|em|cháu|học viên|học sinh|thành viên|hội viên|"
                  "đoàn viên|cán bộ|trường hợp|ng|lượt người|đối tượng|nhân khẩu",
        "households": "hộ|hộ dân|hộ gia đình|gia đình|nhà",
        "business": "hộ kinh doanh|doanh nghiệp|cơ sở|cửa hàng|gian hàng|hợp tác xã|htx",
        "files": "hồ sơ|hs|thủ tục",
        "accounts": "tài khoản|tk|thuê bao|ví|mã",
        "sessions": "buổi|lớp|đợt|cuộc|khóa",
        "times": "lượt|lần|ca",
        "items": "sản phẩm|tờ|tờ rơi|điểm|thiết bị|máy|ứng dụng|app|tin|bài",
    }
    return [(cls, tuple(forms(w) for w in p.split())) for cls, ps in table.items() for p in ps.split("|")]


UNITS = _units()
UNIT_PHRASES = [p for _, p in UNITS]
UNIT_FOLDS = frozenset(tuple(next(iter(f.folds)) for f in p) for _, p in UNITS)
NOT_BEFORE = {"ho": {"tro", "so", "tich", "khau", "chieu", "ten", "va", "ly"},
               "san": {"pham", "xuat", "luong", "sang"}}


@dataclass(frozen=True, slots=True)
class Keyword:
    code: str
    groups: tuple[tuple[str, ...], ...]
    strict: tuple[tuple[str | None, ...], ...]  # short marked words ("hộ", "sàn") must be typed exactly so
    weak: bool  # a one-word keyword that is also a counting noun ("hộ", "lớp")
    size: int


@dataclass(slots=True)
class Match:
    code: str
    start: int
    end: int  # exclusive
    weak: bool


@lru_cache(maxsize=16)
def _compile(catalog: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[Keyword, ...]]:
    index: dict[str, list[Keyword]] = {}
    for code, keywords in catalog:
        for kw in keywords:
            groups = tuple(tuple(g) for g in keyword_tokens(kw))
            if not groups or any(not g for g in groups):
                continue
            lows = keyword_tokens(kw, keep_marks=True)
            strict = tuple(tuple(w if len(w) <= 3 and w != strip_diacritics(w) else None for w in g) for g in lows)
            if [len(g) for g in lows] != [len(g) for g in groups]:
                strict = tuple(tuple(None for _ in g) for g in groups)
            weak = len(groups) == 1 and groups[0] in UNIT_FOLDS  # "hộ", "hộ dân", "lớp", "gian hàng"
            size = sum(len(g) for g in groups)
            index.setdefault(groups[0][0], []).append(Keyword(code, groups, strict, weak, size))
    return {k: tuple(sorted(v, key=lambda kw: -kw.size)) for k, v in index.items()}


_LAST: list[Any] = [(), None]  # the last catalog's items (frozen ActivityTypes) and its index


def keyword_index(catalog: Sequence[ActivityType]) -> dict[str, tuple[Keyword, ...]]:
    items = tuple(catalog)
    if items == _LAST[0] and _LAST[1] is not None:  # same frozen items (compared by identity first): cached
        return _LAST[1]
    index = _keyword_index(items)
    if all(type(act) is ActivityType for act in items):  # frozen: safe to keep
        _LAST[:] = [items, index]
    return index


def _keyword_index(catalog: Sequence[ActivityType]) -> dict[str, tuple[Keyword, ...]]:
    key: list[tuple[str, tuple[str, ...]]] = []
    for act in catalog:
        code, keywords = getattr(act, "code", None), getattr(act, "keywords", None)
        if isinstance(code, str) and isinstance(keywords, list | tuple):
            key.append((code, tuple(k for k in keywords if isinstance(k, str))))
    return _compile(tuple(key))


def _match_keyword(c: list[Token], i: int, kw: Keyword) -> tuple[int, list[int]] | None:
    lits: list[int] = []
    j = i
    for g, group in enumerate(kw.groups):
        starts = [j] if g == 0 else range(j, j + GAP_MAX + 1)
        exact = kw.strict[g]
        for s in starts:
            if s + len(group) <= len(c) and all(
                c[s + k].kind in ("word", "num") and c[s + k].fold == w
                and (exact[k] is None or not c[s + k].marked or c[s + k].low == exact[k])
                for k, w in enumerate(group)
            ):
                lits.extend(range(s, s + len(group)))
                j = s + len(group)
                break
        else:
            return None
    if kw.size == 1 and j < len(c) and c[j].fold in NOT_BEFORE.get(c[i].fold, ()):
        return None
    return j, lits


def find_keywords(c: list[Token], index: dict[str, tuple[Keyword, ...]]) -> tuple[list[Match], set[int]]:
    matches: list[Match] = []
    literal: set[int] = set()
    i = 0
    while i < len(c):
        best: tuple[int, list[int], Keyword] | None = None
        for kw in index.get(c[i].fold, ()) if c[i].kind in ("word", "num") else ():
            hit = _match_keyword(c, i, kw)
            if hit and (best is None or (hit[0], kw.size) > (best[0], best[2].size)):
                best = (hit[0], hit[1], kw)
        if best is None:
            i += 1
            continue
        end, lits, kw = best
        matches.append(Match(kw.code, i, end, kw.weak))
        literal.update(lits)
        i = end
    return matches, literal
