"""Shortening a title or label for display: cut at a word boundary and marked with "…"."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "shorten"]

ELLIPSIS = "…"
_TRAILING = " ,;:.-–—(/"  # left dangling by a cut: "Nâng cao tỷ lệ, …" reads worse than "Nâng cao tỷ lệ…"


def shorten(text: str, width: int) -> str:
    """``text`` on one line and at most ``width`` characters; when cut, at a word boundary, ending in "…".

    A single word longer than half of ``width`` is cut inside (a long code or link), still with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    if width < 2:
        return ELLIPSIS[:width]
    head = flat[: width - 1]
    if flat[width - 1] != " ":  # the cut falls inside a word: go back to the space before it
        space = head.rfind(" ")
        if space >= width // 2:
            head = head[:space]
    return head.rstrip(_TRAILING) + ELLIPSIS
