"""The one number parser (handlers.activity.vi_numbers) and the polite refusals built on it (handlers.activity.counts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.activity.counts import parse_count
from handlers.activity.vi_numbers import (
    MAX_AMOUNT,
    Amount,
    NumberError,
    has_exponent,
    parse_amount,
    parse_vi_number,
)
from handlers.report_items import parse_indicator_value
from locales.i18n import use_locale
from locales.textnorm import strip_diacritics
from storage.errors import InputError

D = Decimal
READ: list[tuple[str, Decimal, bool]] = [
    # digits in Vietnamese notation, and the other convention when it is unambiguous
    ("12", D(12), False), ("0", D(0), False), ("8,5", D("8.5"), False), ("8,05", D("8.05"), False),
    ("1.234", D(1234), False), ("1.234,5", D("1234.5"), False), ("1.234.567", D(1234567), False),
    ("8.5", D("8.5"), False), ("12.34", D("12.34"), False), (" 85,5 ", D("85.5"), False),
    ("+7", D(7), False), ("-0", D(0), False),
    # words, with or without diacritics
    ("tám mươi lăm", D(85), False), ("muoi hai", D(12), False), ("một trăm linh năm", D(105), False),
    ("mot tram le nam", D(105), False), ("hai nghìn", D(2000), False), ("hai ngàn", D(2000), False),
    ("ba triệu", D(3_000_000), False), ("hai tỷ", D(2_000_000_000), False), ("Mười Hai", D(12), False),
    ("hai nghìn không trăm linh năm", D(2005), False), ("hai mươi mốt", D(21), False),
    # decimals said aloud with "phẩy"
    ("tám mươi lăm phẩy năm", D("85.5"), False), ("tam muoi lam phay nam", D("85.5"), False),
    ("85 phẩy 5", D("85.5"), False), ("không phẩy năm", D("0.5"), False),
    ("ba phẩy không năm", D("3.05"), False), ("tám mươi lăm phẩy hai lăm", D("85.25"), False),
    ("một phẩy năm triệu", D(1_500_000), False),
    # a scale after digits, counting nouns, the indicator's unit, percent
    ("2 nghìn", D(2000), False), ("1,5 triệu", D(1_500_000), False), ("12 người", D(12), False),
    ("mười hai hồ sơ", D(12), False), ("85,5%", D("85.5"), True), ("85,5 %", D("85.5"), True),
    ("90 phần trăm", D(90), True), ("chín mươi phần trăm", D(90), True), ("12.", D(12), False),
]


@pytest.mark.parametrize(("text", "value", "percent"), READ, ids=[r[0] for r in READ])
def test_reads(text: str, value: Decimal, percent: bool) -> None:
    with use_locale("vi"):
        assert parse_amount(text) == Amount(value, percent)


REFUSED: list[tuple[str, str]] = [
    ("1e309", "exponent"), ("10^12", "exponent"), ("1,5e3", "exponent"), ("2E5", "exponent"),
    ("10 ^ 12", "exponent"), ("2**10", "exponent"), ("10 mũ 12", "exponent"), ("1e-5", "exponent"),
    ("-5", "negative"), ("−3,5", "negative"), ("âm 5", "negative"), ("- 12", "negative"),
    ("", "empty"), ("   ", "empty"), ("\u200b", "empty"),
    ("nhiều", "not_number"), ("vài chục", "not_number"), ("năm 2026", "not_number"), ("NaN", "not_number"),
    ("Infinity", "not_number"), ("1,234.5", "not_number"), ("hai ba", "not_number"), ("mốt", "not_number"),
    ("12 con gà", "not_number"), ("phẩy năm", "not_number"), ("năm phẩy", "not_number"),
    ("một phẩy hai phẩy ba", "not_number"), ("٣", "not_number"), ("１２", "not_number"),
    ("99999999999999999999", "too_large"), ("1" * 40, "too_large"), ("100.000.000.000.000", "too_large"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED, ids=[r[0] or "blank" for r in REFUSED])
def test_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(NumberError) as err:
        parse_amount(text)
    assert err.value.reason == reason


def test_unit_of_the_indicator_may_follow() -> None:
    assert parse_amount("3 mô hình", nouns=["mô hình"]).value == 3
    with pytest.raises(NumberError):
        parse_amount("3 mô hình")


@pytest.mark.parametrize(("text", "found"), [
    ("1e309", True), ("1,5E3", True), ("10^12", True), ("10 mũ 12", True), ("VNeID 12", False),
    ("12 em", False), ("mũ bảo hiểm", False), ("e5", False),
])
def test_has_exponent(text: str, found: bool) -> None:
    assert has_exponent(text) is found


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("mười hai", 12), ("muoi hai", 12), ("1.234", 1234), ("12 người", 12), ("hai nghìn", 2000),
    ("0", 0), ("100000", 100000),
])
def test_counts(text: str, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize(("text", "fragment"), [
    ("8,5", "8,5"), ("tám mươi lăm phẩy năm", "85,5"), ("1e309", "1e309"), ("10^12", "10^12"),
    ("-4", "âm"), ("100001", "100.001"), ("12%", "phần trăm"), ("nhiều", "12"),
])
def test_counts_refused_politely(text: str, fragment: str) -> None:
    with use_locale("vi"), pytest.raises(InputError) as err:
        parse_count(text)
    assert fragment in err.value.message


def test_indicator_values_by_unit() -> None:
    pct = {"kind": "indicator", "answer": "number", "unit": "%", "percent": True}
    homes = {"kind": "indicator", "answer": "number", "unit": "hộ", "percent": False}
    assert parse_indicator_value(pct, "tám mươi lăm phẩy năm", None) == {"value": "85.5", "bool": None}
    assert parse_indicator_value(pct, "85,5%", None) == {"value": "85.5", "bool": None}
    assert parse_indicator_value(homes, "1.234 hộ", None) == {"value": "1234", "bool": None}
    assert parse_indicator_value(homes, "33,333333", None) == {"value": "33.3333", "bool": None}  # Numeric(18, 4)
    with use_locale("vi"):
        for bad in ("150", "1e309", "-1"):
            with pytest.raises(InputError):
                parse_indicator_value(pct, bad, None)
        with pytest.raises(InputError):
            parse_indicator_value(homes, "50%", None)  # counted in households, not percent
        with pytest.raises(InputError):
            parse_indicator_value(homes, "2000000000000", None)  # above any commune figure


def test_whole_numbers_only_for_parse_vi_number() -> None:
    assert [parse_vi_number(t) for t in ("12", "8,5", "12%", "1e3", "-5", "năm 2026")] == [12, None, None, None,
                                                                                             None, None]


_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _below_thousand(n: int, full: bool) -> list[str]:
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = [_DIGITS[hundreds], "trăm"] if hundreds or full else []
    if tens == 0:
        words += (["linh"] if words and units else []) + ([_DIGITS[units]] if units else [])
    elif tens == 1:
        words += ["mười"] + (["lăm" if units == 5 else _DIGITS[units]] if units else [])
    else:
        words += [_DIGITS[tens], "mươi"] + ([{1: "mốt", 5: "lăm"}.get(units, _DIGITS[units])] if units else [])
    return words


def vietnamese(n: int) -> str:
    """How a Vietnamese speaker reads 0..999.999.999 ("hai nghìn không trăm linh năm")."""
    if n == 0:
        return "không"
    millions, thousands, rest = n // 1_000_000, n // 1000 % 1000, n % 1000
    words: list[str] = []
    for part, scale in ((millions, "triệu"), (thousands, "nghìn"), (rest, "")):
        if part:
            words += _below_thousand(part, full=bool(words)) + ([scale] if scale else [])
    return " ".join(words)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=999_999_999), st.booleans())
def test_words_round_trip(n: int, plain: bool) -> None:
    words = vietnamese(n)
    assert parse_amount(strip_diacritics(words) if plain else words).value == n


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_digits_round_trip(value: Decimal) -> None:
    with use_locale("vi"):
        assert parse_amount(format_decimal(value, format="#,##0.####", locale="vi")).value == value


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=99))
def test_phay_round_trip(whole: int, tenths: int) -> None:
    frac = f"{tenths:02d}"
    said = f"{vietnamese(whole)} phẩy {' '.join(_DIGITS[int(d)] for d in frac)}"
    assert parse_amount(said).value == Decimal(f"{whole}.{frac}")


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(
    ["1", "2,5", "1.234", "e", "E5", "^", "mũ", "phẩy", "phay", "tám", "mươi", "lăm", "trăm", "nghìn", "tỷ",
     "triệu", "linh", "-", "%", "người", "âm", "không", " "]), max_size=12).map(" ".join)))
def test_never_raises_anything_else(text: str) -> None:
    try:
        amount = parse_amount(text)
    except NumberError:
        return
    assert 0 <= amount.value <= MAX_AMOUNT and amount.value.is_finite()
