"""Vietnamese text folding: NFC, tone placement, dashes, case, spacing, diacritics."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "normalize_name", "strip_diacritics"]

# Old-style tone placement ("hoá", "thuỷ") → new style ("hóa", "thủy"), applied after NFC.
_TONE_FIXES = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_TONE_RE = re.compile("|".join(_TONE_FIXES))
_DASHES = re.compile(r"\s*[-‐‑‒–—―−]\s*")
_SPACES = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _fix_tones(text: str) -> str:
    # Only fix when the vowel pair ends the syllable ("hoá" but not "hoán").
    def repl(m: re.Match[str]) -> str:
        end = m.end()
        nxt = m.string[end : end + 1]
        if nxt and nxt.isalpha():
            return m.group(0)
        return _TONE_FIXES[m.group(0)]

    return _TONE_RE.sub(repl, text)


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics (đ → d), keeping case."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def normalize_name(text: str) -> str:
    """Canonical key for a unit or person name: NFC, new tone placement, one dash, lower case,
    single spaces, no trailing dots or punctuation. Diacritics are kept."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text or ""))
    text = text.lower()
    text = _fix_tones(_SPACES.sub(" ", text))
    text = _DASHES.sub(" - ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.strip(" .;:,")


def fold(text: str) -> str:
    """Loose key for matching typed input: ``normalize_name`` then no diacritics."""
    return strip_diacritics(normalize_name(text))
