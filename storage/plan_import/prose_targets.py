"""Targets written as prose: bullets and sentences under "I. MỤC TIÊU" / "Mục tiêu cụ thể" headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from locales.targets import short_unit
from locales.textnorm import fold, strip_diacritics
from storage.plan_import.model import Due, ParsedIndicator, Target
from storage.plan_import.phrases import parse_due, parse_target, split_units
from storage.plan_import.readers import clean_text

__all__ = ["ProseTargets", "parse_prose_targets", "sentence_due", "sentence_target"]

_BULLET = re.compile(r"^\s*(?:[-–—+•·▪●◦*]|\d{1,2}[.)](?!\d)|[a-zđ][)])\s+")
# A numbered heading: "I.", "II -", "1.", "1.2.", "a)", "Phần I"; its text decides what follows.
_LABEL = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}[.)]|[a-zđ][.)]|[IVX]{1,5}[.)])\s+")
_DASH = re.compile(r"^\s*[-–—+•·▪●◦*]\s")
_NUMBERED = re.compile(r"^(?:[IVX]{1,5}|\d{1,2}(?:\.\d{1,2}){0,3}|[a-zđ]|phan\s+[ivx\d]+)\s*[.)\-–:]\s*",
                       re.IGNORECASE)
_TARGET_HEAD = re.compile(r"^(?:cac\s+)?(?:muc tieu|chi tieu)\b")
_OTHER_HEAD = re.compile(r"^(?:yeu cau|nhiem vu|giai phap|to chuc thuc hien|kinh phi|noi dung|phan cong|"
                         r"quan diem|can cu|che do bao cao|dieu khoan)\b")
_NOT_TARGET_HEAD = re.compile(r"^(?:tinh hinh|ket qua|danh gia)\b")
# Where a target is due: "đến năm 2025", "đến hết năm 2026", "năm 2030", "giai đoạn 2026 - 2030".
_DUE = re.compile(r"(?:(?:den|toi|trong)\s+(?:het\s+)?(?:cuoi\s+)?)?(?:nam|giai doan)\s+"
                  r"((?:19|20)\d\d)(?:\s*-\s*((?:19|20)\d\d))?")
# Within a quarter or month: "trong quý II/2026", "trước tháng 6/2026", "đến hết quý III năm 2026".
_DUE_WITHIN = re.compile(r"(?:den|toi|trong|truoc)\s+(?:het\s+)?(?:quy|thang)\s+[ivx\d]{1,4}"
                         r"(?:\s*(?:/|-|nam)\s*(?:19|20)\d\d)?")
# A count written without a lead-in word ("Xây dựng 03 mô hình …"): a number followed by a noun.
_COUNT = re.compile(r"(?<![\w/.,-])(\d{1,6})(?![\d/.,-]\d)\s+([^\W\d_][^\W\d_]*)")
_DOC_NUMBER = re.compile(r"\b(?:so|nghi quyet|quyet dinh|ke hoach|chi thi|thong tu|nghi dinh|ban chi dao|nhom|top|"
                         r"khoa|chuong trinh|chi so|muc|dieu|khoan|phan)\s*$")
# "… tốc độ trên 01 Gbps đạt 80%": the figure after "đạt" is the target, not the one before it.
_REACH = re.compile(r"\bdat\s+(?:ty le\s+)?(?:(?:tren|toi thieu|it nhat|khoang|khong duoi)\s+)?\d+(?:[.,]\d+)?\s*%")
_ACHIEVED = re.compile(r"^dat\s+chuan\b|(?:^|[:\-–]\s*)dat(?:\s+chuan)?\.?$")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-ZĐÀ-Ỹ0-9\-–+])")
_MAX_SKIPPED_SHOWN = 120
_OWNERS = re.compile(r"\s*\(([^()]{3,300})\)\s*[.;]?\s*$")
_ROLE_WORD = re.compile(r"\b(?:chu tri|phoi hop|thuc hien)\b")


@dataclass
class ProseTargets:
    indicators: list[ParsedIndicator] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sentences under a target heading with no target
    sections: list[str] = field(default_factory=list)


def _heading(text: str) -> tuple[str, str] | None:
    """("target" | "other" | "sub", heading text) when ``text`` is a heading line; None for body text.
    A "sub" heading ("2.1. Về phát triển hạ tầng số") keeps whatever part it is in."""
    body = text.strip()
    m = _NUMBERED.match(body)
    rest = body[m.end():].strip() if m else body
    key = fold(rest).strip(" :.")
    if not key or len(rest) > 90 or rest.endswith((";", ",")):
        return None
    if _TARGET_HEAD.match(key) and not _NOT_TARGET_HEAD.match(key) and "%" not in rest:
        return "target", body.rstrip(":").strip()
    roman = bool(m) and bool(re.match(r"^[IVX]{1,5}\b", body))
    if re.search(r"\d", rest):
        return None
    if (rest.isupper() and len(rest) > 3) or roman or _OTHER_HEAD.match(key):
        return "other", body
    if m and not rest.endswith(".") and rest[:1].isupper():
        return "sub", body.rstrip(":").strip()
    return None


def _key(text: str) -> str:
    """Lower case without diacritics, same length as ``text`` so match offsets slice the original."""
    key = strip_diacritics(text).lower()
    return key if len(key) == len(text) else text.lower()


def sentence_due(text: str, year: int) -> Due | None:
    """The last due phrase of ``text`` ("đến hết năm 2026": 31/12/2026; "trong quý II/2026": 30/6/2026,
    read by ``parse_due`` like a deadline cell), or None."""
    found = list(_DUE.finditer(_key(text)))
    if not found:
        within = list(_DUE_WITHIN.finditer(_key(text)))
        if within:
            m = within[-1]
            due = parse_due(text[m.start():m.end()], year)
            if due.kind == "dated" and due.date is not None:
                return Due(text=text[m.start():m.end()].strip(), date=due.date, kind="dated")
        return None
    m = found[-1]
    end_year = int(m.group(2) or m.group(1))
    return Due(text=text[m.start():m.end()].strip(), date=parse_due(str(end_year), year).date, kind="dated")


def _without_due(text: str) -> str:
    """The sentence with its due phrases blanked, so "2025" is never read as the target."""
    out, key = text, _key(text)
    spans = sorted([m.span() for m in _DUE.finditer(key)] + [m.span() for m in _DUE_WITHIN.finditer(key)])
    for start, end in reversed(spans):
        out = out[:start] + " " + out[end:]
    return out


def _count(text: str) -> Target | None:
    """A count with no lead-in word: "Xây dựng 03 mô hình chuyển đổi số" → = 3 mô hình."""
    for m in _COUNT.finditer(text):
        if _DOC_NUMBER.search(fold(text[:m.start()])):
            continue
        if 1900 <= int(m.group(1)) <= 2100:
            continue
        unit_words = text[m.start(2):].split()[:8]  # cut to the counted noun by short_unit
        return Target(text=text, op="=", value=parse_target(m.group(1)).value,
                      unit=" ".join(unit_words).rstrip(".,;:") or None)
    return None


def sentence_target(sentence: str) -> Target | None:
    """The measurable target a sentence states ("80% …", "Trên 90% …", "03 mô hình …", "Đạt chuẩn …",
    "…: Đạt"), or None."""
    bare = " ".join(_without_due(sentence).split()).strip(" .;:,")
    if not bare:
        return None
    found = parse_target(bare)
    reach = list(_REACH.finditer(_key(bare)))
    if found.unit != "%" and reach:
        found = parse_target(bare[reach[-1].start():])
    if found.op in {"text", "bool"} or found.value is None:
        found = _count(bare) or found
    if found.op not in {"text", "bool"} and found.value is not None:
        unit = found.unit if found.unit in (None, "%") else (short_unit(found.unit) or None)
        return Target(text=sentence, op=found.op, value=found.value, unit=unit)
    if _ACHIEVED.search(fold(bare)):
        return Target(text=sentence, op="bool", boolean=True)
    return None


def _owners(sentence: str) -> tuple[str, list[str], list[str]]:
    """A trailing "(Cơ quan chủ trì: Công an xã; phối hợp: Phòng Kinh tế)": the sentence without it,
    its lead units and its partner units."""
    m = _OWNERS.search(sentence)
    if m is None or not _ROLE_WORD.search(fold(m.group(1))):
        return sentence, [], []
    leads: list[str] = []
    partners: list[str] = []
    for part in m.group(1).split(";"):
        label, colon, names = part.partition(":")
        if colon:
            found = [n for side in split_units(names) for n in side]
            (partners if "phoi hop" in fold(label) else leads).extend(found)
        else:
            lead, partner = split_units(part)
            leads += lead
            partners += partner
    return sentence[:m.start()].rstrip(" ,.;"), leads, [p for p in partners if p not in leads]


def _sentences(paragraph: str) -> list[str]:
    """A bullet or paragraph split into its sentences and ";"-separated clauses."""
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        parts += [p.strip() for p in re.split(r";\s+", sentence) if p.strip()]
    return parts


def parse_prose_targets(lines: list[str], year: int, prefix: str = "MT") -> ProseTargets:
    """Indicators from bullets and sentences under target headings; the others are listed as skipped.

    A sentence due "đến năm 2030" is due then; one naming no year inherits its heading's or bullet's."""
    out = ProseTargets()
    section: str | None = None
    inside = False
    heading_due: Due | None = None
    n = 0
    for raw in lines:
        text = clean_text(raw)
        if not text or text.startswith("(") and text.endswith(")"):
            continue
        bullet = _BULLET.match(text)
        head = None if _DASH.match(text) else _heading(text)
        if head is not None:
            kind, title = head
            if kind == "target" or (kind == "sub" and inside):
                section, heading_due = title, sentence_due(title, year) or (heading_due if kind == "sub" else None)
            inside = kind == "target" or (kind == "sub" and inside)
            continue
        if not inside:
            continue
        label = _LABEL.match(text)
        body = text[label.end():].strip() if label else text[bullet.end():].strip() if bullet else text
        para_due = sentence_due(body, year) or heading_due
        body, leads, partners = _owners(body)
        for sentence in _sentences(body):
            if not re.search(r"[^\W\d_]{2}", sentence):
                continue  # a stray label or number, not a sentence
            target = sentence_target(sentence)
            if target is None:
                if len(sentence) > 3:
                    out.skipped.append(sentence[:_MAX_SKIPPED_SHOWN])
                continue
            n += 1
            due = sentence_due(sentence, year) or para_due
            name = sentence.rstrip(" .;")
            if section and section not in out.sections:
                out.sections.append(section)
            out.indicators.append(ParsedIndicator(
                code=f"{prefix}{n}", section=section, name=name, unit=target.unit,
                target=Target(text=name, op=target.op, value=target.value, unit=target.unit,
                              boolean=target.boolean),
                due=due, owner_units=list(leads or partners), partner_units=list(partners if leads else []),
            ))
    return out
