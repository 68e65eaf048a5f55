"""Reading one activity count a person typed ("12", "1.234", "mười hai"), with the polite refusals."""

from __future__ import annotations

from bot.errors import InputError
from handlers.activity_parse import MAX_COUNT
from handlers.vi_numbers import parse_vi_number
from locales.i18n import _, fmt_number, parse_number

__all__ = ["MAX_COUNT", "parse_count"]


def parse_count(text: str) -> int:
    """A whole number 0..MAX_COUNT from a typed answer; InputError with the message to show otherwise."""
    value = parse_vi_number(text)
    if value is None:
        try:
            num = parse_number(text)
        except ValueError:
            raise InputError(_("Please write a number, e.g. 12.")) from None
        if not num.is_finite():  # "Infinity", "NaN" parse as decimals but are no count
            raise InputError(_("Please write a number, e.g. 12."))
        if num != num.to_integral_value():
            raise InputError(_("Please write a whole number, e.g. 12."))
        if num < 0:
            raise InputError(_("The number cannot be negative."))
        if num > MAX_COUNT:  # checked before int(): "1e999999999" must not build a billion-digit integer
            shown = fmt_number(num) if num.adjusted() < 16 else text.strip()
            raise InputError(_("{n} looks too large for one day; please check the number.", n=shown))
        value = int(num)
    if value < 0:
        raise InputError(_("The number cannot be negative."))
    if value > MAX_COUNT:
        raise InputError(_("{n} looks too large for one day; please check the number.", n=fmt_number(value)))
    return value
