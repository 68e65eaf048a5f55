"""Vietnamese text folding: NFC, tone placement, dashes, case, spacing, diacritics."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

__all__ = ["VILLAGE_KINDS", "VILLAGE_KIND_RE", "commune_level", "fold", "match_unit_names", "normalize_name", "strip_diacritics",
           "unit_key", "village_word"]

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


class _NoMarks(dict):
    """``str.translate`` table dropping every non-spacing mark (category Mn), filled as characters come."""

    def __missing__(self, code: int) -> int | None:
        self[code] = value = None if unicodedata.category(chr(code)) == "Mn" else code
        return value


_NO_MARKS = _NoMarks({ord("đ"): ord("d"), ord("Đ"): ord("D")})


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics (đ → d), keeping case."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_NO_MARKS))


# Pure functions of short texts, called several times on the same message in one update (the question
# detector, the activity parser, unit and name matching): kept for the last few thousand texts.
@functools.lru_cache(maxsize=4096)
def normalize_name(text: str) -> str:
    """Canonical key for a unit or person name: NFC, new tone placement, one dash, lower case,
    single spaces, no trailing dots or punctuation. Diacritics are kept."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text or ""))
    text = text.lower()
    text = _fix_tones(_SPACES.sub(" ", text))
    text = _DASHES.sub(" - ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.strip(" .;:,")


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Loose key for matching typed input: ``normalize_name`` then no diacritics."""
    return strip_diacritics(normalize_name(text))


# unit_key: abbreviations → full words, applied in order to normalize_name() output.
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"\bvpubnd\b", "văn phòng ubnd"),
        (r"^vp\b", "văn phòng"),
        (r"^tt\b", "trung tâm"),
        (r"\bkh\s*(?:&|và| - )\s*cn\b|\bkhcn\b", "khoa học và công nghệ"),
        (r"\bvh(?: - |\s*)xh\b", "văn hóa - xã hội"),
        (r"\bvăn hóa(?: và |, | / | )xã hội\b", "văn hóa - xã hội"),
        (r"\bpv\s*hcc\b|\bpvhcc\b", "phục vụ hành chính công"),
        (r"\bhcc\b", "hành chính công"),
        (r"\bubmttq(?:vn)?\b", "ủy ban mttq"),
        (r"\bmttq(?:vn)?\b", "mặt trận tổ quốc"),
        (r"\bmặt trận tổ quốc việt nam\b", "mặt trận tổ quốc"),
        (r"\bubnd\b", "ủy ban nhân dân"),
        (r"\bh[đd]nd\b", "hội đồng nhân dân"),
        (r"\blhpn\b", "liên hiệp phụ nữ"),
        (r"\bbc[đd]\b", "ban chỉ đạo"),
        (r"\bhtx\b", "hợp tác xã"),
        (r"\bc[đd]s\b", "chuyển đổi số"),
        (r"\s*&\s*", " và "),
        (r"\s*\((?:xã|phường)\)$", ""),
        (r"(?<!hợp tác)\s+(?:cấp\s+)?(?:xã|xa|phường|phuong)(?:\s*/\s*(?:xã|phường))?$", ""),
    )
)


def unit_key(name: str, commune: str | None = None) -> str:
    """The one matching key for a unit name (org import, plan import, invites, chat):
    ``normalize_name`` (case, spaces, dashes, old/new tone marks), abbreviations spelled out, no
    trailing "xã"/"phường" nor "xã <commune>" when the commune's key is given. Diacritics are kept:
    "Thôn Na Pai" and "Thôn Nà Pài" may be two villages."""
    key = normalize_name(_SPACES.sub(" ", name or ""))  # collapse first: keeps long input linear
    if commune:
        for suffix in (f" xã {commune}", f" phường {commune}"):
            if key.endswith(suffix):
                key = key[: -len(suffix)]
                break
    for pattern, repl in _ABBREVIATIONS:
        key = pattern.sub(repl, key)
    return _SPACES.sub(" ", key).strip(" .;:,")


# The kind words a village-level unit's name starts with, folded: a commune's thôn, bản, xóm, ấp, khóm and a ward's
# tổ dân phố, khu phố — the one list the org import, the plan's groups and the questions read.
VILLAGE_KINDS = ("thon", "ban", "xom", "ap", "khom", "to dan pho", "tdp", "khu pho")
VILLAGE_KIND_RE = "|".join(VILLAGE_KINDS)

_LEVELS = ("phường", "đặc khu", "xã")


def commune_level(commune: str) -> str:
    """What the commune is, by the name it was set up with: "phường" for a ward ("Phường Bắc Kạn"), "đặc khu",
    else "xã" — the word its offices, its Party committee and its People's Committee are called by."""
    name = " ".join(commune.split()).lower()
    return next((level for level in _LEVELS if name.startswith(level + " ")), "xã")


def village_word(commune: str) -> str:
    """What the commune's village-level units are called in a report: a ward's "tổ dân phố", a commune's "thôn"."""
    return "tổ dân phố" if commune_level(commune) == "phường" else "thôn"


# Kind words a person may leave out when typing a unit's name ("Nà Pài" for "Thôn Nà Pài").
_KIND_PREFIX = re.compile(r"^(?:thon|ban|xom|khu pho|khu|to dan pho|to|ap|phong|tram|truong|trung tam|van phong|"
                          r"doi|hoi|ban chi huy|cong an|quan su)\s+")


def _loose(name: str, commune: str | None) -> str:
    return " ".join(re.findall(r"\w+", strip_diacritics(unit_key(name, commune))))


def match_unit_names(text: str, names: list[str], commune: str | None = None) -> list[str]:
    """The units of ``names`` a typed ``text`` most likely means, best first (several when it is
    ambiguous, none when nothing is close): the same ``unit_key`` as everywhere, then without
    diacritics, then without a kind word ("Thôn", "Phòng"), then a whole-word part, then every typed
    word in any order, then a typo."""
    key = unit_key(text, commune)
    if not key:
        return []
    for same in (lambda n: unit_key(n, commune) == key,
                 lambda n: _loose(n, commune) == _loose(text, commune)):
        hits = [n for n in names if same(n)]
        if hits:
            return hits
    bare = {n: _KIND_PREFIX.sub("", _loose(n, commune)) for n in names}
    typed = _KIND_PREFIX.sub("", _loose(text, commune))
    if not typed:
        return []
    hits = [n for n, b in bare.items() if b == typed]
    if hits:
        return hits
    hits = [n for n, b in bare.items() if f" {typed} " in f" {b} "]
    if hits:
        return hits
    words = _loose(text, commune).split()  # "phòng" alone: every "Phòng …"; "xa hoi van hoa": any order
    hits = [n for n in names if set(words) <= set(_loose(n, commune).split())]
    if hits:
        return hits
    close = difflib.get_close_matches(typed, list(bare.values()), n=3, cutoff=0.8)
    return [n for c in close for n, b in bare.items() if b == c]
