"""Whether a typed answer is made of words: zero-width characters, emoji or dots alone are not."""

from __future__ import annotations

import unicodedata

__all__ = ["clean_name", "clean_text", "has_words", "is_blank"]

_NAME_PUNCT = frozenset(" '’-.")


def clean_text(text: str) -> str:
    """Typed text as it may be stored: without control characters (PostgreSQL refuses NUL), lines kept."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


def is_blank(text: str | None) -> bool:
    """Nothing visible: empty, or only spaces, line breaks, control and zero-width characters."""
    return not any(unicodedata.category(c)[0] in "LMNPS" for c in text or "")


def has_words(text: str, min_len: int) -> bool:
    """At least ``min_len`` visible characters, and at least one letter or digit among them."""
    visible = [c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c)[0] in "LMNPS"]
    return len(visible) >= min_len and any(unicodedata.category(c)[0] in "LN" for c in visible)


def clean_name(text: str) -> str | None:
    """A person's name with invisible characters and extra spaces removed; None unless it is 2-80
    characters of letters (any script, with their accents), spaces, apostrophes, hyphens and dots."""
    kept = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) not in ("Cf", "Cc"))
    name = " ".join(kept.split())
    if not 2 <= len(name) <= 80 or sum(c.isalpha() for c in name) < 2:
        return None
    if not all(unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCT for c in name):
        return None
    return name
