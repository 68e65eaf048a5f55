"""fmt_number's fast path for small counts gives exactly what babel's pattern gives."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from locales.i18n import fmt_number


def test_small_integers_match_babel() -> None:
    for locale in ("vi", "en"):
        for decimals in (0, 1, 2):
            pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
            for n in [*range(0, 1001), 1234, 12345, -1, -999]:
                assert fmt_number(n, locale, decimals) == format_decimal(n, format=pattern, locale=locale), n


def test_other_values_still_go_through_babel() -> None:
    assert fmt_number(1234, "vi") == "1.234" and fmt_number(1234, "en") == "1,234"
    assert fmt_number(2.5, "vi") == "2,5" and fmt_number(Decimal("12.25"), "en") == "12.25"
