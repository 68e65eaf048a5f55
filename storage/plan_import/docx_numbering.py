"""Word's automatic list numbering (numPr): the "1.", "a)", "I." or "-" a paragraph shows but its text lacks."""

from __future__ import annotations

from typing import Any

__all__ = ["Numbering", "roman"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def roman(n: int) -> str:
    """Roman numerals for list and section numbers: 4 → "IV"."""
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * (1 + (n - 1) // 26)


def _format(n: int, fmt: str) -> str:
    if fmt == "upperRoman":
        return roman(n)
    if fmt == "lowerRoman":
        return roman(n).lower()
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _val(el: Any, tag: str) -> str | None:
    child = el.find(f"{_W}{tag}") if el is not None else None
    return child.get(f"{_W}val") if child is not None else None


class Numbering:
    """Counts numbered paragraphs in document order and renders each one's label."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → ilvl → (fmt, text, start)
        self._counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part: no paragraph is numbered
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.findall(f"{_W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in an.findall(f"{_W}lvl"):
                try:
                    ilvl = int(lvl.get(f"{_W}ilvl") or 0)
                    start = int(_val(lvl, "start") or 1)
                except ValueError:
                    continue
                levels[ilvl] = (_val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or "", start)
            abstract[an.get(f"{_W}abstractNumId") or ""] = levels
        for num in root.findall(f"{_W}num"):
            self._levels[num.get(f"{_W}numId") or ""] = abstract.get(_val(num, "abstractNumId") or "", {})

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        p_pr = paragraph._p.pPr
        num_pr = p_pr.find(f"{_W}numPr") if p_pr is not None else None
        if num_pr is None and paragraph.style is not None:  # numbering set by the paragraph's style
            style_pr = paragraph.style.element.pPr
            num_pr = style_pr.find(f"{_W}numPr") if style_pr is not None else None
        if num_pr is None:
            return None
        num_id = _val(num_pr, "numId")
        if not num_id or num_id == "0" or num_id not in self._levels:
            return None
        try:
            return num_id, int(_val(num_pr, "ilvl") or 0)
        except ValueError:
            return num_id, 0

    def label(self, paragraph: Any) -> str:
        """"1. ", "a) ", "- " for a numbered or bulleted paragraph; "" for any other."""
        found = self._num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        levels = self._levels[num_id]
        fmt, text, _start = levels.get(ilvl, ("decimal", f"%{ilvl + 1}.", 1))
        if fmt in ("bullet", "none"):
            return "- " if fmt == "bullet" else ""
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels.get(ilvl, ("", "", 1))[2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new item restarts its sub-list
        out = text or f"%{ilvl + 1}."
        for k in range(ilvl + 1):
            k_fmt, _, k_start = levels.get(k, ("decimal", "", 1))
            out = out.replace(f"%{k + 1}", _format(counters.get(k, k_start), k_fmt))
        return out.strip() + " "
