"""The fast paths of fmt_number, fmt_date and fmt_datetime give exactly what babel gives."""

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


def test_dates_match_babel() -> None:
    from datetime import UTC, date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_datetime

    from locales.i18n import fmt_date, fmt_datetime

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    for locale in ("vi", "en"):
        for d in [date(2026, 1, 1) + timedelta(days=i) for i in range(0, 800, 7)] + [date(999, 3, 4), date(2026, 12, 31)]:
            assert fmt_date(d, locale) == format_date(d, "d/M/y", locale=locale)
        for minutes in range(0, 60 * 24 * 40, 97):
            dt = datetime(2026, 12, 25, tzinfo=UTC) + timedelta(minutes=minutes)
            assert fmt_datetime(dt, tz, locale) == format_datetime(dt, "HH:mm d/M/y", tzinfo=tz, locale=locale)
