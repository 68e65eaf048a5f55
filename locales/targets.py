"""A target as shown wherever targets are shown: "≥ 90%", "5 sáng kiến", "Đạt" for a whole sentence."""

from __future__ import annotations

import re
from decimal import Decimal

from locales.i18n import _, fmt_number

__all__ = ["short_target", "short_unit", "with_unit"]

_SIGNS = {">=": "≥ ", "<=": "≤ ", ">": "> ", "<": "< ", "=": ""}
_SENTENCE_WORDS = 4  # a target cell of more words is a sentence ("100% các phòng, ban … được nâng cấp")
_UNIT_END = re.compile(r"\s(?:được|có|đã|đạt|tham gia|sử dụng|trên|của|trong|thực hiện|chuyển đổi|ứng dụng|"
                       r"về|cho|tại|ở|theo)\b.*$")
_UNIT_WORDS = 3


def short_unit(unit: str) -> str:
    """"sáng kiến được công nhận đánh giá hiệu quả…" → "sáng kiến": the counted noun only."""
    return " ".join(_UNIT_END.sub("", " " + unit).split()[:_UNIT_WORDS])


def with_unit(text: str, unit: str | None) -> str:
    """A target cell with its unit when the cell left it out for the plan's "Đơn vị tính" column (seed 002):
    "≥80" + "%" → "≥80%", "100" + "%" → "100%", "02" + "IoT" → "02 IoT"; a cell naming it stays as written."""
    u = (unit or "").strip()
    if not u or u.lower() in text.lower() or not text[-1:].isdigit():
        return text
    return f"{text}%" if u == "%" else f"{text} {u}"


def short_target(text: str | None, op: str | None, value: Decimal | float | int | None = None,
                 unit: str | None = None, boolean: bool | None = None) -> str:
    """The short form of a measurable target written as a sentence; a short cell ("≥80", "Đạt") is shown as
    written, with its unit when the cell left it out (``with_unit``), a target with nothing to measure as written.
    The sentence stays the indicator's text."""
    text = " ".join((text or "").split())
    if op in (None, "text"):
        return text
    if len(text.split()) <= _SENTENCE_WORDS:
        return text if op == "bool" else with_unit(text, unit)
    if op == "bool":
        return _("Achieved") if boolean is not False else _("Not achieved")
    if value is None or op not in _SIGNS:
        return text
    unit = (unit or "").strip()
    number = fmt_number(Decimal(str(value)))
    unit = "%" if unit == "%" else short_unit(unit)
    return _SIGNS[op] + number + ("%" if unit == "%" else f" {unit}" if unit else "")
