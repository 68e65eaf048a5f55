"""Per-person translations (Babel gettext catalogs) and locale-aware number and date helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

__all__ = [
    "LOCALES", "N_", "_", "current_locale", "fmt_date", "fmt_datetime", "fmt_number", "fmt_percent",
    "ngettext", "parse_date", "translations", "use_locale",
]

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent
_current: ContextVar[str] = ContextVar("cdsbot_locale", default=DEFAULT_LOCALE)


def _compile_if_needed(locale: str) -> None:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale``; compiled from the .po on first use if the .mo is stale."""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    with suppress(OSError):  # read-only install: use whatever .mo exists
        _compile_if_needed(locale)
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Run a block with messages in ``locale`` (falls back to vi)."""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    token = _current.set(loc)
    try:
        yield loc
    finally:
        _current.reset(token)


def _(message: str, **kwargs: object) -> str:
    """Translate ``message`` into the current locale and fill ``{name}`` placeholders."""
    text = translations(_current.get()).gettext(message)
    return text.format(**kwargs) if kwargs else text


def ngettext(singular: str, plural: str, n: int, **kwargs: object) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text.format(n=n, **kwargs)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with ``_()``."""
    return message


# ---- numbers (reading them: handlers.activity.vi_numbers, the one parser) -------------------------------

def fmt_number(value: Decimal | float | int, locale: str | None = None, decimals: int = 2) -> str:
    if type(value) is int and 0 <= value < 1000:  # the usual count: babel's output is the digits (hot path)
        return str(value)
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale or _current.get())


def fmt_percent(value: Decimal | float | int, locale: str | None = None, decimals: int = 1) -> str:
    """Format a value already in percent units (80.5 → "80,5%")."""
    return fmt_number(value, locale, decimals) + "%"


# ---- dates -----------------------------------------------------------------------------------

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?\s*$")


def parse_date(text: str, today: date, locale: str | None = None) -> date:
    """Parse "30/6/2026", "30-6", "2026-06-30"; a missing year takes ``today``'s. ValueError if bad."""
    s = (text or "").strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    if iso:
        return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    m = _DATE.match(s)
    if not m:
        raise ValueError(text)
    a, b = int(m.group(1)), int(m.group(2))
    year = int(m.group(3)) if m.group(3) else today.year
    if year < 100:
        year += 2000
    day, month = (b, a) if (locale or _current.get()) == "en-US" else (a, b)
    return date(year, month, day)


_LATIN_DIGITS = ("vi", "en")  # locales whose numeric patterns babel renders as plain ASCII digits


def fmt_date(d: date, locale: str | None = None) -> str:
    loc = locale or _current.get()
    if loc in _LATIN_DIGITS:  # what babel's "d/M/y" gives there, without parsing the pattern (hot path)
        return f"{d.day}/{d.month}/{d.year}"
    return format_date(d, "d/M/y", locale=Locale.parse(loc))


def fmt_datetime(dt: datetime, tz: ZoneInfo, locale: str | None = None) -> str:
    loc = locale or _current.get()
    if loc in _LATIN_DIGITS:  # babel's "HH:mm d/M/y"
        t = dt.astimezone(tz)
        return f"{t.hour:02d}:{t.minute:02d} {t.day}/{t.month}/{t.year}"
    return format_datetime(dt, "HH:mm d/M/y", tzinfo=tz, locale=Locale.parse(loc))
