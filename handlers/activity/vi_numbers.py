"""The one number parser: digits in Vietnamese notation and number words, with or without diacritics."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal

from locales.i18n import current_locale
from locales.textnorm import normalize_name, strip_diacritics

__all__ = ["MAX_AMOUNT", "SCALE_WORDS", "Amount", "NumberError", "has_exponent", "number_word", "parse_amount",
           "parse_vi_number", "words_to_int"]

# Diacritised spelling → folded role. A token typed with diacritics must be one of these spellings;
# a token typed without any diacritics may be any folded role (so "bà" is never 3, "ba" may be).
_CANON: dict[str, str] = {
    "không": "khong", "một": "mot", "mốt": "mot", "hai": "hai", "ba": "ba", "bốn": "bon", "tư": "tu",
    "năm": "nam", "lăm": "lam", "nhăm": "nham", "sáu": "sau", "bảy": "bay", "bẩy": "bay", "tám": "tam",
    "chín": "chin", "mười": "muoi", "mươi": "muoi", "trăm": "tram", "linh": "linh", "lẻ": "le",
    "nghìn": "nghin", "ngàn": "ngan", "chục": "chuc", "triệu": "trieu", "tỷ": "ty", "tỉ": "ty",
}
_ROLES = frozenset(_CANON.values())
_DIGIT = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
          "tam": 8, "chin": 9}
# Units allowed after mười/mươi ("hai mươi mốt", "mười lăm", "ba mươi tư").
_AFTER_TENS = {**_DIGIT, "lam": 5, "nham": 5}
del _AFTER_TENS["khong"]
SCALE_WORDS: dict[str, int] = {"ty": 1_000_000_000, "trieu": 1_000_000, "nghin": 1000, "ngan": 1000}
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


# ---- whole answers: "85,5", "1.234", "tám mươi lăm phẩy năm", "2 nghìn", "90%" ---------------------------

MAX_AMOUNT = Decimal("99999999999999")  # the largest whole part a Numeric(18, 4) column holds
# Scientific and power notation: "1e309", "1,5E3", "10^12", "2**10". One token, never a count.
_EXPONENT = re.compile(r"\d\s?[eE][+-]?\d|\d\s*(?:\^|\*\*)\s*[+-]?\d")
_DIGITS = re.compile(r"[0-9][0-9.,]*")
_SIGNS = "-−–+"
_POINT = frozenset({"phẩy", "phảy"})  # the decimal comma said aloud; undiacritised "phay" too
_POWER = frozenset({"mũ"})  # "10 mũ 12"


class NumberError(ValueError):
    """Why a typed answer is not a usable number. ``reason``: empty, not_number, exponent,
    negative or too_large."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason}: {text[:40]!r}")
        self.reason = reason
        self.text = text


@dataclass(frozen=True, slots=True)
class Amount:
    """A number read from an answer; ``percent`` when it was typed with "%" or "phần trăm"."""

    value: Decimal
    percent: bool = False

    @property
    def whole(self) -> bool:
        return self.value == self.value.to_integral_value()


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text[:300])
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cs", "Cc") or c in "\n\t")


def _is_word(tok: str, spellings: frozenset[str]) -> bool:
    low = normalize_name(tok)
    return low in spellings or (low == strip_diacritics(low) and low in {strip_diacritics(w) for w in spellings})


def has_exponent(text: str) -> bool:
    """True for scientific or power notation ("1e309", "10^12", "1,5E3", "10 mũ 12")."""
    if _EXPONENT.search(text):
        return True
    toks = text.split()
    return any(_is_word(t, _POWER) and 0 < i < len(toks) - 1 for i, t in enumerate(toks))


def _digits(token: str) -> Decimal | None:
    """Digits as people in the current language write them ("8,5" and "1.234,5" in Vietnamese); the
    other convention when it is unambiguous ("8.5"). None for anything else (no NaN, no exponents)."""
    if not _DIGITS.fullmatch(token) or len(token) > 30:
        return None
    try:
        value = Decimal(parse_decimal(token, locale=current_locale(), strict=True))
        if value.is_finite():
            return value
    except (NumberFormatError, InvalidOperation, ValueError):
        pass
    m = re.fullmatch(r"(\d+)[.,](\d{1,2}|\d{4,})", token)
    return Decimal(f"{m.group(1)}.{m.group(2)}") if m else None


def _words(tokens: Sequence[str]) -> list[Word] | None:
    out: list[Word] = []
    for tok in tokens:
        role = number_word(tok)
        if role is None:
            return None
        out.append((role, normalize_name(tok)))
    return out


def _whole_part(tokens: Sequence[str]) -> Decimal | None:
    """"85", "1.234,5", "2 nghìn", "1,5 triệu", "tám mươi lăm", "hai nghìn không trăm linh năm"."""
    if not tokens or len(tokens) > 24:
        return None
    first = _digits(tokens[0])
    if first is not None:
        if len(tokens) == 1:
            return first
        role = number_word(tokens[1]) if len(tokens) == 2 else None
        if role in _MULTIPLIER and (first < 10 or role in SCALE_WORDS):
            return first * _MULTIPLIER[role]
        return None
    words = _words(tokens)
    value = words_to_int(words) if words else None
    return Decimal(value) if value is not None else None


def _fraction(tokens: Sequence[str]) -> str | None:
    """Digits after "phẩy": "5", "05", "năm" → "5", "không năm" → "05", "hai mươi lăm" → "25"."""
    if len(tokens) == 1 and tokens[0].isascii() and tokens[0].isdigit() and len(tokens[0]) <= 8:
        return tokens[0]
    words = _words(tokens)
    if not words or len(words) > 8:
        return None
    if all(role in _AFTER_TENS or role == "khong" for role, _raw in words) and words[0][1] != "mốt":
        return "".join(str(_AFTER_TENS.get(role, 0)) for role, _raw in words)  # "hai lăm" = 25
    value = words_to_int(words)
    return str(value) if value is not None and value < 1000 else None


def _value(tokens: list[str]) -> Decimal | None:
    points = [i for i, t in enumerate(tokens) if _is_word(t, _POINT)]
    if not points:
        return _whole_part(tokens)
    if len(points) > 1:
        return None
    k = points[0]
    whole, rest = tokens[:k], tokens[k + 1:]
    scale = 1
    if len(rest) > 1 and number_word(rest[-1]) in SCALE_WORDS:  # "một phẩy năm triệu" = 1.500.000
        scale, rest = SCALE_WORDS[number_word(rest[-1]) or ""], rest[:-1]
    base = _whole_part(whole)
    frac = _fraction(rest)
    if base is None or frac is None or base != base.to_integral_value():
        return None
    return (base + Decimal(f"0.{frac}")) * scale


def _strip_nouns(tokens: list[str], nouns: frozenset[str]) -> list[str]:
    for n in (3, 2, 1):
        if len(tokens) > n and strip_diacritics(normalize_name(" ".join(tokens[-n:]))) in nouns:
            return tokens[:-n]
    return tokens


def parse_amount(text: str, nouns: Iterable[str] = ()) -> Amount:
    """Read a whole answer as one number: "12", "8,5", "1.234", "85,5%", "tám mươi lăm phẩy năm",
    "muoi hai", "một trăm linh năm", "hai nghìn", "ba triệu", optionally followed by a counting noun
    ("12 người") or one of ``nouns`` (the indicator's unit). Raises NumberError saying why not."""
    if not isinstance(text, str):
        raise NumberError("empty", "")
    clean = _clean(text).strip()
    if not clean:
        raise NumberError("empty", text)
    if has_exponent(clean):
        raise NumberError("exponent", clean)
    s = clean.rstrip(".!?;:").strip()
    percent = s.endswith("%")
    tokens = s.rstrip("%").split()
    if len(tokens) > 2 and strip_diacritics(normalize_name(" ".join(tokens[-2:]))) == "phan tram":
        tokens, percent = tokens[:-2], True
    allowed = _NOUN_FOLDS | {strip_diacritics(normalize_name(n)) for n in nouns if n}
    tokens = _strip_nouns(tokens, frozenset(allowed))
    negative = False
    if tokens and tokens[0][0] in _SIGNS:
        negative = tokens[0][0] != "+"
        tokens[0] = tokens[0][1:]
        tokens = [t for t in tokens if t]
    elif len(tokens) > 1 and normalize_name(tokens[0]) in ("âm", "am"):
        negative, tokens = True, tokens[1:]
    value = _value(tokens)
    if value is None:
        if len(tokens) == 1 and _DIGITS.fullmatch(tokens[0]) and len(tokens[0]) > 15:
            raise NumberError("too_large", clean)  # 30 digits: no figure of a commune
        raise NumberError("not_number", clean)
    if negative and value:
        raise NumberError("negative", clean)
    if value > MAX_AMOUNT:
        raise NumberError("too_large", clean)
    return Amount(value, percent)


def parse_vi_number(text: str) -> int | None:
    """A whole answer as a non-negative whole number ("12", "1.234", "hai mươi lăm", "2 nghìn",
    "12 người"), or None for anything else: vague amounts ("vài chục"), years ("năm 2026"), decimals,
    percentages, negative numbers, exponents."""
    try:
        amount = parse_amount(text)
    except NumberError:
        return None
    return int(amount.value) if amount.whole and not amount.percent else None
