"""Reading typed numbers with the polite refusals: activity counts and indicator values."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.activity.parse import MAX_COUNT
from handlers.activity.vi_numbers import Amount, NumberError, parse_amount
from locales.i18n import _, fmt_number
from storage.errors import InputError

__all__ = ["MAX_COUNT", "exponent_refusal", "parse_count", "read_amount"]


def exponent_refusal(text: str) -> str:
    """What to say about "1e309" or "10^12": a power notation is no figure we can count or store."""
    return _("\"{text}\" is written as a power of ten, which I cannot count or store. "
             "Please write the number in full, e.g. 12 or 1.500.", text=text.strip()[:40])


def read_amount(text: str, nouns: Iterable[str] = (), *, count: bool = False) -> Amount:
    """``parse_amount`` with its refusals turned into InputError messages for the person (``count``:
    the example given is a whole number)."""
    try:
        return parse_amount(text, nouns)
    except NumberError as err:
        shown = err.text.strip()[:40]
        if err.reason == "exponent":
            raise InputError(exponent_refusal(err.text)) from None
        if err.reason == "negative":
            raise InputError(_("The number cannot be negative.")) from None
        if err.reason == "too_large":
            raise InputError(_("{v} is too large; please check the number.", v=shown)) from None
        if err.reason == "empty" or count:
            raise InputError(_("Please write a number, e.g. 12.")) from None
        raise InputError(_("\"{text}\" is not a number. Please write a number such as 12 or 8,5.",
                           text=shown)) from None


def parse_count(text: str) -> int:
    """A whole number 0..MAX_COUNT from a typed answer ("12", "mười hai", "12 người"); InputError with
    the message to show otherwise (decimals, percentages, exponents, negative or huge numbers)."""
    amount = read_amount(text, count=True)
    if not amount.whole:
        raise InputError(_("A count is a whole number; you wrote {n}. Please write e.g. 12.",
                           n=fmt_number(amount.value, decimals=4)))
    if amount.percent:
        raise InputError(_("Please write how many (a whole number, e.g. 12), not a percentage."))
    if amount.value > MAX_COUNT:
        raise InputError(_("{n} looks too large for one day; please check the number.",
                           n=fmt_number(amount.value)))
    return int(amount.value)
