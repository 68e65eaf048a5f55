"""Vietnamese number parsing: digits with dot grouping and number words, with or without diacritics."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from locales.textnorm import normalize_name, strip_diacritics

__all__ = ["SCALE_WORDS", "number_word", "parse_vi_number", "words_to_int"]

# Diacritised spelling → folded role. A token typed with diacritics must be one of these spellings;
# a token typed without any diacritics may be any folded role (so "bà" is never 3, "ba" may be).
_CANON: dict[str, str] = {
    "không": "khong", "một": "mot", "mốt": "mot", "hai": "hai", "ba": "ba", "bốn": "bon", "tư": "tu",
    "năm": "nam", "lăm": "lam", "nhăm": "nham", "sáu": "sau", "bảy": "bay", "bẩy": "bay", "tám": "tam",
    "chín": "chin", "mười": "muoi", "mươi": "muoi", "trăm": "tram", "linh": "linh", "lẻ": "le",
    "nghìn": "nghin", "ngàn": "ngan", "chục": "chuc", "triệu": "trieu",
}
_ROLES = frozenset(_CANON.values())
_DIGIT = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
          "tam": 8, "chin": 9}
# Units allowed after mười/mươi ("hai mươi mốt", "mười lăm", "ba mươi tư").
_AFTER_TENS = {**_DIGIT, "lam": 5, "nham": 5}
del _AFTER_TENS["khong"]
SCALE_WORDS: dict[str, int] = {"trieu": 1_000_000, "nghin": 1000, "ngan": 1000}
_MULTIPLIER = {**SCALE_WORDS, "tram": 100, "chuc": 10}
# Counting nouns an answer may end with: "12 người", "mười hai hồ sơ".
_NOUNS = frozenset({"người", "hộ", "hồ sơ", "buổi", "lớp", "tài khoản", "lượt", "lần", "cái", "ng", "hs", "tk",
                    "người dân", "hộ dân", "gian hàng", "học viên"})
_NOUN_FOLDS = frozenset(strip_diacritics(n) for n in _NOUNS)
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")

Word = tuple[str, str]  # (folded role, lower-case spelling as typed)


def number_word(raw: str) -> str | None:
    """Folded role of one typed token ("Mười" → "muoi"), or None when it is not a number word."""
    low = normalize_name(raw)
    if low in _CANON:
        return _CANON[low]
    if strip_diacritics(low) == low and low in _ROLES:
        return low
    return None


def _below_thousand(chunk: Sequence[Word]) -> int | None:
    """Value of a chunk without scale words: "[d trăm] [linh|lẻ d | d mươi [u] | mười [u] | d]"."""
    if not chunk:
        return None
    value, i, hundred = 0, 0, False
    if len(chunk) >= 2 and chunk[1][0] == "tram" and chunk[0][0] in _DIGIT and chunk[0][1] != "mốt":
        value, i, hundred = _DIGIT[chunk[0][0]] * 100, 2, True
    rest = chunk[i:]
    if not rest:
        return value if hundred else None
    head = rest[0][0]
    if head in ("linh", "le"):
        if not hundred or len(rest) != 2 or rest[1][0] not in _DIGIT or rest[1][0] == "khong":
            return None
        return value + _DIGIT[rest[1][0]]
    if head == "muoi":
        if rest[0][1] == "mươi":  # "mươi người" is "about ten"
            return None
        tens, j = 10, 1
    elif len(rest) >= 2 and rest[1][0] in ("muoi", "chuc") and head in _DIGIT and head != "khong":
        if (rest[1][0] == "muoi" and head == "mot") or rest[0][1] == "mốt":
            return None
        if rest[1][0] == "chuc":
            return value + _DIGIT[head] * 10 if len(rest) == 2 else None
        tens, j = _DIGIT[head] * 10, 2
    elif len(rest) == 1 and head in _DIGIT:
        if hundred:  # colloquial "hai trăm mốt" = 210, "một trăm tư" = 140
            return value + _DIGIT[head] * 10 if head != "khong" else None
        if rest[0][1] == "mốt":  # "mốt" alone is "the day after tomorrow"
            return None
        return _DIGIT[head]
    else:
        return None
    tail = rest[j:]
    if not tail:
        return value + tens
    if len(tail) == 1 and tail[0][0] in _AFTER_TENS:
        unit = _AFTER_TENS[tail[0][0]]
        if tens == 10 and tail[0][1] == "mốt":
            return None
        return value + tens + unit
    return None


def words_to_int(words: Sequence[Word]) -> int | None:
    """Value of a whole run of number words given as (role, spelling) pairs, or None if it is not one
    well-formed number ("hai ba", "vài chục", "chục" are None)."""
    total, chunk = 0, []
    last_scale = 0
    for role, raw in words:
        if role in SCALE_WORDS:
            scale = SCALE_WORDS[role]
            if last_scale and scale >= last_scale:
                return None
            part = _below_thousand(chunk)
            if part is None or part == 0:
                return None
            total += part * scale
            last_scale, chunk = scale, []
        else:
            chunk.append((role, raw))
    if not chunk:
        return total if last_scale else None
    if last_scale and len(chunk) == 1 and chunk[0][0] in _DIGIT and chunk[0][0] != "khong":
        return total + _DIGIT[chunk[0][0]] * last_scale // 10  # "một nghìn hai" = 1200
    part = _below_thousand(chunk)
    if part is None or (last_scale and part >= last_scale):
        return None
    return total + part


def _digits_value(token: str) -> int | None:
    if len(token) > 15:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    if _GROUPED.fullmatch(token):
        return int(token.replace(".", ""))
    return None


def parse_vi_number(text: str) -> int | None:
    """Parse a whole answer as a non-negative integer: "12", "1.234", "hai mươi lăm", "2 nghìn",
    optionally followed by a counting noun ("12 người").

    Returns None for anything else, including vague amounts ("vài chục"), years ("năm 2026"),
    decimals and negative numbers."""
    if not isinstance(text, str):
        return None
    text = "".join(c for c in unicodedata.normalize("NFC", text[:200]) if unicodedata.category(c) not in ("Cf", "Cs"))
    clean = text.strip().rstrip(".!?").strip()
    tokens = clean.split()
    for n in (2, 1):
        if len(tokens) > n and strip_diacritics(normalize_name(" ".join(tokens[-n:]))) in _NOUN_FOLDS:
            tokens = tokens[:-n]
            break
    if not tokens or len(tokens) > 12:
        return None
    first = _digits_value(tokens[0])
    if first is not None:
        if len(tokens) == 1:
            return first
        if len(tokens) == 2:
            role = number_word(tokens[1])
            if role in _MULTIPLIER and (first < 10 or role in SCALE_WORDS):
                return first * _MULTIPLIER[role]
        return None
    words: list[Word] = []
    for tok in tokens:
        role = number_word(tok)
        if role is None:
            return None
        words.append((role, normalize_name(tok)))
    return words_to_int(words)
