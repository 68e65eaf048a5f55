"""Target cells ("≥80%", "8,05 %", "Đạt", "≥02 hộ có gian hàng trực tuyến") → ``Target``."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from locales.textnorm import fold

from .model import Target

__all__ = ["parse_target"]

# LaTeX and ASCII comparators, applied to the raw cell before anything else.
_LATEX = (
    (re.compile(r"\\(?:geq|geqslant|ge)(?![a-zA-Z])"), "≥"),
    (re.compile(r"\\(?:leq|leqslant|le)(?![a-zA-Z])"), "≤"),
    (re.compile(r"\\%"), "%"),
    (re.compile(r"\\[,;: ]|[${}]"), " "),
    (re.compile(r">\s*=|=\s*>|⩾"), "≥"),
    (re.compile(r"<\s*=|=\s*<|⩽"), "≤"),
)
_TRUE = {"dat", "co", "yes", "x", "hoan thanh", "da hoan thanh", "da dat"}
_FALSE = {"khong", "khong dat", "chua dat", "chua", "no", "khong co"}
# A number: "1.234" and "1.234,5" use dots for thousands; "8,05" has a decimal comma.
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)(?![\d])")
_SYMBOL_OPS = {"≥": ">=", ">": ">", "≤": "<=", "<": "<", "=": "="}
_SYMBOL_TAIL = re.compile(r"([≥>≤<=])\s*$")
# Folded words right before the number that set the comparator.
_WORD_OPS = (
    (re.compile(r"\b(?:toi thieu|it nhat|khong (?:it|thap|duoi) hon|khong duoi)\s*$"), ">="),
    (re.compile(r"\b(?:toi da|khong (?:qua|vuot qua|vuot|hon))\s*$"), "<="),
    (re.compile(r"\b(?:tren|hon|vuot)\s*$"), ">"),
    (re.compile(r"\b(?:duoi|it hon)\s*$"), "<"),
)
# Folded words allowed before a number at the start of a cell ("Đạt 100%", "Phấn đấu đạt tỷ lệ 95%").
_LEAD_IN = frozenset({"phan", "dau", "dat", "co", "ty", "le", "bang", "la", "khoang", "muc"})
_WINDOW = 40
_UNIT_END = re.compile(r"[;(\[]|\.\s|\.$")
_TRIM = " \t\n.,;:-–"


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    for pattern, repl in _LATEX:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


def _decimal(token: str) -> Decimal | None:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "").replace(",", ".")
    else:
        token = token.replace(",", ".")
    try:
        value = Decimal(token)
    except InvalidOperation:
        return None
    return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


def _operator(prefix: str) -> str | None:
    """The comparator a prefix ends with, or None when the prefix is not a lead-in to a number."""
    tail = prefix[-_WINDOW:]  # comparators sit right before the number; keeps long cells linear
    m = _SYMBOL_TAIL.search(tail)
    if m:
        return _SYMBOL_OPS[m.group(1)]
    folded = fold(tail)
    for pattern, op in _WORD_OPS:
        if pattern.search(folded):
            return op
    if len(prefix) <= _WINDOW and all(word in _LEAD_IN for word in folded.split()):
        return "="
    return None


_MILESTONES = re.compile(r"\s*%?\s*/\s*(?=\d)")


def _last_milestone(text: str, m: re.Match[str], matches: list[re.Match[str]]) -> re.Match[str]:
    """"85,5% / 100%": two milestones (this stage / the end); the target measured is the last one."""
    while True:
        gap = _MILESTONES.match(text, m.end())
        after = [n for n in matches if gap and n.start() == gap.end()]
        if not after or not text[after[0].end():].lstrip().startswith("%") or not \
                text[m.end():].lstrip().startswith("%"):
            return m
        m = after[0]


def _pick_number(text: str) -> tuple[str, re.Match[str]] | None:
    """(operator, match) for the number the cell is about, or None if the cell is prose."""
    op, m = _pick_first(text) or (None, None)
    if op is None or m is None:
        return None
    return op, _last_milestone(text, m, list(_NUMBER.finditer(text)))


def _pick_first(text: str) -> tuple[str, re.Match[str]] | None:
    matches = list(_NUMBER.finditer(text))
    # "Đạt 917/917 đảng viên = 100%": the figure after the last "=" is the result.
    for m in reversed(matches):
        if text[max(0, m.start() - _WINDOW) : m.start()].rstrip().endswith("="):
            return "=", m
    for m in matches:
        op = _operator(text[: m.start()])
        if op is not None:
            return op, m
        if text[m.end() :].lstrip().startswith("%"):
            return "=", m
    return None


def _unit_after(rest: str, unit: str | None) -> str | None:
    rest = rest.strip()
    if rest.startswith("%"):
        return "%"
    cut = _UNIT_END.search(rest)
    if cut:
        rest = rest[: cut.start()]
    rest = rest.strip(_TRIM)
    if rest and any(c.isalpha() for c in rest):
        return rest
    return unit


def parse_target(text: str, unit: str | None = None) -> Target:
    """Read a target cell; ``unit`` is the separate "Đơn vị tính" column, if the table has one.

    "Có 5 sáng kiến" reads as op "=" 5: "Có" states a count, not a floor. Never raises."""
    original = (text or "").strip()
    unit = (unit or "").strip() or None
    cleaned = _clean(original)
    if not cleaned:
        return Target(text=original)
    folded = fold(cleaned)
    if folded in _TRUE:
        return Target(text=original, op="bool", boolean=True)
    if folded in _FALSE:
        return Target(text=original, op="bool", boolean=False)
    picked = _pick_number(cleaned)
    if picked is None:
        return Target(text=original)
    op, m = picked
    value = _decimal(m.group(1))
    if value is None:
        return Target(text=original)
    return Target(text=original, op=op, value=value, unit=_unit_after(cleaned[m.end() :], unit))
