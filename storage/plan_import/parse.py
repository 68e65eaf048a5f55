"""Entry point: parse_plan_file(path, year) reads any supported plan file into a ParsedPlan."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import date
from pathlib import Path

from locales.textnorm import fold
from storage.errors import ImportFailed
from storage.plan_import.model import ParsedPlan
from storage.plan_import.notes import plan_warnings
from storage.plan_import.prose import parse_prose
from storage.plan_import.prose_targets import parse_prose_targets
from storage.plan_import.readers import Break, Item, Line, Row, TableStart, clean_text, read_items
from storage.plan_import.tables import parse_tables

__all__ = ["find_number_and_date", "find_title", "find_year", "find_year_source", "parse_plan_file"]

_YEAR = re.compile(r"\bnam\s+(20\d{2})\b")
_NOT_TITLE = re.compile(r"^(thuc hien|can cu|so\s*:|so \d|\(|ban hanh|kinh gui|[ivx]+\.\s|\d+\.\s)")
_OTHER_HEADING = re.compile(r"^(phu luc|danh muc|noi nhan|kinh gui|phan [ivx\d]+\b)")
_RULE = re.compile(r"^[-=_*\s]{3,}$")
_NUMBER = re.compile(r"^\s*Số\s*(?:hiệu)?\s*[:.]?\s*(\d+\s*[/-]\s*[^\s,;]+)", re.IGNORECASE)
_ISSUED = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(20\d\d)\b")


def _texts(items: list[Item]) -> list[tuple[str, bool]]:
    """Plain text lines with a flag telling whether a blank line came right before."""
    out: list[tuple[str, bool]] = []
    blank = True
    for item in items:
        if isinstance(item, Line):
            text = clean_text(item.text)
            if not text:
                blank = True
                continue
            out.append((text, blank))
            blank = False
        elif isinstance(item, Row):
            filled = [c for c in item.cells if c.strip()]
            if filled and len(set(filled)) == 1:  # one cell, or one title merged across the row
                out.append((clean_text(filled[0]), blank))
            blank = True
        elif isinstance(item, Break | TableStart):
            blank = True
    return out


def _continues(prev: str, nxt: str, after_blank: bool) -> bool:
    """Whether a capitalised line right under a title line is more of the same title."""
    if after_blank or len(nxt) > 200 or prev.endswith((".", ";", ":")):
        return False
    if _YEAR.search(fold(prev[-12:])) or _OTHER_HEADING.match(fold(nxt)):
        return False
    return nxt.isupper() == prev.isupper()


def find_title(items: list[Item]) -> str | None:
    """The line(s) after "KẾ HOẠCH"; None when the file has no such heading."""
    lines = _texts(items)
    for i, (text, _) in enumerate(lines):
        upper = text.upper()
        if not upper.startswith("KẾ HOẠCH") or text[:8] != upper[:8]:
            continue
        rest = text[len("KẾ HOẠCH"):].strip(" :.-–")
        parts: list[str] = [rest] if rest else []
        for nxt, after_blank in lines[i + 1: i + 4]:
            f = fold(nxt)
            if _RULE.match(nxt) or (parts and _NOT_TITLE.match(f)) or len(nxt) > 300:
                break
            if parts and not nxt[:1].islower() and not _continues(parts[-1], nxt, after_blank):
                break
            parts.append(nxt)
        title = " ".join(parts).strip()
        if title:
            return title[:1].upper() + title[1:]
    return None


def find_year(title: str | None, items: list[Item]) -> int:
    """Year named in the title ("… năm 2026"), else the one most named in the text, else today's."""
    return find_year_source(title, items)[0]


def find_year_source(title: str | None, items: list[Item]) -> tuple[int, str]:
    """(year, where it came from): "title", "text" or "assumed" (no year anywhere: today's)."""
    if title:
        found = _YEAR.findall(fold(title))
        if found:
            return int(found[-1]), "title"
    counts: Counter[int] = Counter()
    for text, _ in _texts(items):
        counts.update(int(y) for y in _YEAR.findall(fold(text)))
    for item in items:
        if isinstance(item, Row):
            for cell in item.cells:
                counts.update(int(y) for y in _YEAR.findall(fold(cell)))
    if counts:
        best = max(counts.values())
        return max(y for y, n in counts.items() if n == best), "text"
    return date.today().year, "assumed"


def _fallback_title(items: list[Item], path: Path) -> tuple[str, str]:
    for text, _ in _texts(items):
        if len(text) > 3 and not _NOT_TITLE.match(fold(text)):
            return text[:200], "text"
    return path.stem, "file"


def find_number_and_date(items: list[Item]) -> tuple[str | None, date | None]:
    """The document number ("Số: 45/KH-UBND") and issue date ("…, ngày 12 tháng 3 năm 2026") from
    the header above "KẾ HOẠCH"; None for each left blank (drafts: "Số: /KH-UBND")."""
    number: str | None = None
    issued: date | None = None
    for text, _ in _texts(items)[:15]:
        if text.upper().startswith("KẾ HOẠCH"):
            break
        m = _NUMBER.match(text)
        if m and number is None:
            number = re.sub(r"\s+", "", m.group(1))
        d = _ISSUED.search(fold(text))
        if d and issued is None:
            with contextlib.suppress(ValueError):  # "ngày 31 tháng 2": no date rather than a wrong one
                issued = date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
    return number, issued


def parse_plan_file(path: Path, year: int | None = None) -> ParsedPlan:
    """Read a plan file into a ParsedPlan; raise ImportFailed (one line) when that is impossible."""
    path = Path(path)
    items = read_items(path)
    try:
        title = find_title(items)
        plan_year, year_source = (year, "given") if year is not None else find_year_source(title, items)
        tables = parse_tables(items, plan_year)
        shown, title_source = (title, "title") if title else _fallback_title(items, path)
        number, issued = find_number_and_date(items)
        plan = ParsedPlan(title=shown, year=plan_year, number=number, issued=issued,
                          title_source=title_source, year_source=year_source)
        if tables.tasks or tables.indicators:
            plan.tasks, plan.indicators, plan.sections = tables.tasks, tables.indicators, tables.sections
        else:
            lines = [item.text for item in items if isinstance(item, Line)]
            prose = parse_prose(lines, plan_year)
            plan.tasks, plan.indicators, plan.sections = prose.tasks, prose.indicators, prose.sections
        if not plan.indicators:  # targets written as bullets under "I. MỤC TIÊU"
            found = parse_prose_targets([item.text for item in items if isinstance(item, Line)], plan_year)
            if found.indicators:
                plan.indicators, plan.skipped, plan.prose_targets = found.indicators, found.skipped, True
                plan.sections = list(dict.fromkeys([*found.sections, *plan.sections]))
    except ImportFailed:
        raise
    except Exception as exc:  # never hand the CLI a traceback or a half-read plan
        detail = " ".join(str(exc).split())[:200]
        raise ImportFailed(
            f"Cannot import {path.name}: unexpected error while reading the plan ({type(exc).__name__}: {detail})"
        ) from exc
    if not plan.tasks and not plan.indicators:
        raise ImportFailed(
            f"Cannot import {path.name}: no table of tasks or indicators was found (expected a header "
            "row such as 'TT | Nhiệm vụ | Cơ quan chủ trì | Thời gian', 'Nhóm N' / 'Nhiệm vụ N:' paragraphs, or "
            "bullets with a measurable target under a 'MỤC TIÊU' heading)"
        )
    plan.warnings = plan_warnings(plan)
    return plan
