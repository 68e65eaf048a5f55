"""Unit cells ("Trung tâm PV HCC/ Phòng Kinh tế, Hội LHPN xã") → lead and partner unit names."""

from __future__ import annotations

import re
import unicodedata

from locales.textnorm import fold, unit_key

__all__ = ["split_units", "unit_key"]


def _phrases(spec: str) -> frozenset[str]:
    return frozenset(p.strip() for p in spec.split("|"))


# First word(s) of a unit name, folded. A piece after "," or "/" that starts with one of these
# starts a new unit; otherwise the comma belongs to the name ("Phòng Kinh tế, Hạ tầng và Đô thị").
_HEADS = _phrases(
    "phong|van phong|vp|vpubnd|trung tam|tt|cong an|tram|hoi|hoi dong|doan|ubnd|hdnd|ubmttq|ubmttqvn|"
    "mttq|uy ban|mat tran|ban|bcd|dang uy|dang bo|chi bo|chi doan|chi hoi|truong|buu dien|viettel|"
    "vnpt|mobifone|vien thong|cac|to|quy|ngan hang|nhnn|hop tac xa|htx|dai|so|cong chuc|can bo|"
    "van thu|toan the|lanh dao|chu tich|pho chu tich|co quan|doanh nghiep|kho bac|chi cuc|benh vien|"
    "bhxh|cuc|thon|xom"
)
_MAX_HEAD_WORDS = 3
_GENERIC = ("cac", "co quan", "don vi", "to chuc")  # "và" before these starts a new entry
_STANDALONE = (("dang", "uy"), ("ubnd",), ("hdnd",), ("ubmttqvn",), ("ubmttq",), ("mttq",), ("bcd",))
_QUALIFIERS = frozenset({"xa", "phuong", "tinh", "huyen", "cap"})

_MARK = re.compile(
    r"\(?\s*\b(ch[ủu]\s+tr[ìi]|ph[ốo]i\s+h[ợo]p)(\s+th[ựu]c\s+hi[ệe]n)?\s*\)?(\s+v[ớo]i\b)?\s*(:)?",
    re.IGNORECASE,
)
_LABEL_WORDS = re.compile(r"^(?:(?:co quan|don vi|nguoi)\s*[,/]?\s*)+$")
_LEADING_LABEL = re.compile(
    r"^\s*(?:c[ơo]\s+quan|[đd][ơo]n\s+v[ịi]|ng[ưu][ờo]i)[^:\n]{0,60}?th[ựu]c\s+hi[ệe]n\s*:", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*(?:[-+•*–·]+|\d+[.)])\s+")
_AND = re.compile(r"\s+(?:và|va|&)\s+", re.IGNORECASE)
_OFFICE_HDND = re.compile(r"^van phong\b.*\b(?:hdnd|hoi dong nhan dan)$")

def _head(words: list[str]) -> str | None:
    for n in range(min(_MAX_HEAD_WORDS, len(words)), 0, -1):
        candidate = " ".join(words[:n])
        if candidate in _HEADS:
            return candidate
    return None


def _folded_words(piece: str) -> list[str]:
    return re.sub(r"[^\w\s-]", " ", fold(piece)).split()


def _starts_unit(piece: str) -> bool:
    """Does this piece (after a comma, slash or line break) open a new unit name?"""
    piece = _BULLET.sub("", piece).strip()
    head = _head(_folded_words(piece))
    if head is None:
        return False
    words = piece.split()
    return piece[:1].isupper() or head == "cac" or (len(words) > 1 and words[1][:1].isupper())


def _standalone_runs(piece: str) -> list[str] | None:
    """Split "Đảng ủy UBND xã" / "UBND UBMTTQVN" (bodies written side by side); None if not that."""
    words = piece.split()
    folded = [fold(w) for w in words]
    runs: list[list[str]] = []
    i = 0
    while i < len(words):
        for body in _STANDALONE:
            if tuple(folded[i : i + len(body)]) == body:
                runs.append(words[i : i + len(body)])
                i += len(body)
                break
        else:
            if runs and i == len(words) - 1 and folded[i] in _QUALIFIERS:
                runs[-1].append(words[i])
                i += 1
                continue
            return None
    return [" ".join(run) for run in runs] if len(runs) > 1 else None


def _whole_after_and(left: str, right: str) -> bool:
    """Is the text after "và" a unit of its own (not the tail of a name like "Kinh tế và Đô thị")?"""
    first = _AND.split(right, maxsplit=1)[0]
    words = _folded_words(first)
    joined = " ".join(words)
    if any(joined == g or joined.startswith(g + " ") for g in _GENERIC):
        return True
    head = _head(words)
    if head is None or not _starts_unit(first):
        return False
    if any(w not in _QUALIFIERS for w in words[len(head.split()) :]):
        return True
    return _standalone_runs(f"{left} {first}") is not None  # "Đảng ủy và UBND xã"


def _split_and(piece: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _AND.finditer(piece):
        left, right = piece[start : m.start()], piece[m.end() :]
        left_words = _folded_words(left)
        if not left_words or left_words[0] == "cac" or _head(left_words) is None:
            continue
        if _OFFICE_HDND.match(" ".join(left_words)) or not _whole_after_and(left, right):
            continue
        out.append(left)
        start = m.end()
    out.append(piece[start:])
    return out


def _split_on(piece: str, sep: str) -> list[str]:
    """Split at ``sep`` only where the next piece opens a unit ("Công an xã/phường" stays whole)."""
    parts = re.split(rf"\s*{re.escape(sep)}\s*", piece)
    glue = ", " if sep == "," else sep
    out = [parts[0]]
    for part in parts[1:]:
        if _starts_unit(part) and out[-1].strip():
            out.append(part)
        else:
            out[-1] = f"{out[-1]}{glue}{part}"
    return out


def _clean(unit: str) -> str:
    unit = _BULLET.sub("", unit)
    unit = re.sub(r"\s+", " ", unit).strip(" \t.;:,")
    unit = re.sub(r"^(?:v[ớo]i|và|va)\s+", "", unit, flags=re.IGNORECASE)
    if unit.startswith("(") and unit.endswith(")"):
        unit = unit[1:-1].strip()
    return unit if any(c.isalpha() for c in unit) else ""


def _units(chunk: str) -> list[str]:
    out: list[str] = []
    for piece in re.split(r"[;\n]", chunk):
        for slashed in _split_on(piece, "/"):
            for commaed in _split_on(slashed, ","):
                for anded in _split_and(commaed):
                    out.extend(_standalone_runs(anded.strip()) or [anded])
    return [u for u in (_clean(u) for u in out) if u]


def _join_lines(cell: str) -> str:
    """Re-join cells wrapped onto several lines; real line breaks become separators."""
    lines = [ln.strip() for ln in cell.split("\n") if ln.strip()]
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        bullet = _BULLET.match(line) is not None
        continues = (
            prev
            and not bullet
            and (
                prev.endswith((",", "-", "–", "&"))
                or re.search(r"\s(?:và|va)$", prev) is not None
                or (line[:1].islower() and not _starts_unit(line))
            )
        )
        if continues:
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _roles(text: str) -> tuple[list[str], list[str]]:
    parts = _MARK.split(text)
    # parts: [text, role, thuc_hien, voi, colon, text, role, ...]
    chunks = parts[0::5]
    if len(chunks) == 1:
        return _units(text), []
    leads: list[str] = []
    partners: list[str] = []
    taken = [False] * len(chunks)
    for i, role in enumerate(parts[1::5]):
        target = leads if fold(role).startswith("chu") else partners
        before, after = chunks[i], chunks[i + 1]
        # "phối hợp với X" / "Chủ trì: X" label what follows; "X chủ trì" tags what precedes.
        label = bool(parts[5 * i + 3] or parts[5 * i + 4])
        if label and _LABEL_WORDS.match(fold(before).strip(" ,")):
            taken[i] = True  # "Cơ quan, đơn vị phối hợp: X": the words before are the label
        if not label and not taken[i] and _units(before):
            target.append(before)
            taken[i] = True
        else:
            target.append(after)
            taken[i + 1] = True
    rest = [u for i, chunk in enumerate(chunks) if not taken[i] for u in _units(chunk)]
    lead_units = [u for chunk in leads for u in _units(chunk)]
    partner_units = [u for chunk in partners for u in _units(chunk)]
    if lead_units or not partner_units:
        return lead_units, partner_units + rest
    return rest, partner_units


def _dedupe(units: list[str], seen: set[str]) -> list[str]:
    out: list[str] = []
    for unit in units:
        key = unit_key(unit)
        if key and key not in seen:
            seen.add(key)
            out.append(unit)
    return out


def split_units(cell: str) -> tuple[list[str], list[str]]:
    """Split a "chủ trì" / "phối hợp" cell into (lead units, partner units), order kept.

    Units with no role marker come back as leads: a caller reading a "phối hợp" column should
    treat both lists as partners. Never raises."""
    text = unicodedata.normalize("NFC", cell or "").replace("\r", "\n")
    text = re.sub(r"[^\S\n]+", " ", text)  # one space between words, line breaks kept
    text = _join_lines(text)
    label = _LEADING_LABEL.match(text)
    if label and not _MARK.search(label.group(0)):  # "Cơ quan, đơn vị thực hiện:" names no role
        text = text[label.end() :]
    leads, partners = _roles(text)
    seen: set[str] = set()
    return _dedupe(leads, seen), _dedupe(partners, seen)
