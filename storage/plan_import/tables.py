"""Turn table rows (found by their header's meaning) into ParsedTask / ParsedIndicator records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from locales.textnorm import fold
from storage.plan_import.docx_numbering import roman
from storage.plan_import.model import Due, ParsedIndicator, ParsedTask, Target
from storage.plan_import.phrases import parse_due, parse_target, split_units, unit_key
from storage.plan_import.readers import Break, Item, Line, Row, TableStart, clean_text

__all__ = ["Columns", "TableResult", "match_header", "parse_tables"]

# Column kinds: code, title, unit, target, lead, partners, units (lead + partners in one), due,
# output, detail, skip (recognised but unused: guidance agency, follow-up, notes).
_CODE = re.compile(r"^(s\.?\s?)?t\.?\s?t\.?$|^so (tt|thu tu)$|^ma( so)?$|^#$")
_YEAR = re.compile(r"^(nam|ke hoach|chi tieu|muc tieu)( nam)? ?\d{4}$")
_ROMAN = re.compile(r"^[IVXLC]{1,7}$")
_LETTER = re.compile(r"^[A-Z]$")
_NUMBERED = re.compile(r"^\d{1,3}([.\-]\d{1,3})*[a-zđ]?$|^[a-zđ]$")
_COLNUM = re.compile(r"^\(?\d{1,2}\)?$|^\(?[A-Z]\)?$")
_SEPARATOR = re.compile(r"^[-=_:*.|\s]*$")
_HEADING_TEXT = re.compile(r"^([IVXLC]{1,7}|[A-Z]|Phần\s+\w+|Nhóm\s+\d+|PHẦN\s+\w+)\s*[.:)\-–]\s*\S")


@dataclass(frozen=True)
class Columns:
    """A recognised header: column kind → index, plus a signature to spot repeated headers."""

    index: dict[str, int]
    signature: tuple[str, ...]
    width: int


@dataclass
class _Table:
    columns: Columns
    rows: list[tuple[str | None, list[str]]] = field(default_factory=list)  # (section, cells)


@dataclass
class TableResult:
    tasks: list[ParsedTask] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def _kind(cell: str, have: set[str]) -> str | None:
    f = fold(cell)
    if not f:
        return None
    if _CODE.match(f):
        return "code"
    if "chi tiet" in f:
        return "detail"
    if "san pham" in f or "dau ra" in f:
        return "output"
    if f in {"don vi tinh", "dvt", "d.v.t", "don vi do"} or f.startswith("don vi tinh"):
        return "unit"
    if f.startswith(("thoi gian", "thoi han", "tien do", "han hoan thanh", "moc thoi gian")):
        return "due"
    if "chu tri" in f and "phoi hop" in f:
        return "units"
    if "chu tri" in f:
        return "lead"
    if "phoi hop" in f:
        return "partners"
    if re.search(r"\b(co quan|don vi|nguoi) thuc hien\b", f) or f in {"thuc hien", "trach nhiem"}:
        return "partners*"  # becomes the lead column when no lead column exists
    if f.startswith(("ghi chu", "theo doi", "co quan huong dan", "kiem tra", "kinh phi", "nguon")):
        return "skip"
    if f.startswith("ket qua") or _YEAR.match(f) or f in {"gia tri", "chi so", "muc tieu nam", "chi tieu nam"}:
        return "target"
    if f.startswith(("chi tieu", "muc tieu")):
        return "target" if "title" in have else "title"
    if f.startswith(("nhiem vu", "ten nhiem vu", "noi dung", "ten chi tieu", "giai phap", "hoat dong",
                     "ten", "cong viec", "danh muc")):
        return "title" if "title" not in have else "detail"
    return None


def match_header(cells: tuple[str, ...] | list[str]) -> Columns | None:
    """Return the column mapping when ``cells`` read as a plan table's header row."""
    index: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if len(cell) > 80 or _NUMBERED.match(_norm_code(cell)) and cell.strip()[:1].isdigit():
            return None  # a data cell, not a heading
        kind = _kind(cell, set(index))
        if kind and kind not in index:
            index[kind] = i
    if "partners*" in index:
        pos = index.pop("partners*")
        if "lead" not in index and "units" not in index:
            index["lead"] = pos
        elif "partners" not in index:
            index["partners"] = pos
    if "title" not in index:
        return None
    if not index.keys() & {"target", "due", "lead", "units", "partners"}:
        return None
    if len(index) < 3:
        return None
    signature = tuple(fold(c) for c in cells)
    return Columns(index=index, signature=signature, width=len(cells))


def _norm_code(code: str) -> str:
    return code.strip().rstrip(".)").strip()


def _section_from_line(text: str, raw_heading: bool) -> str | None:
    """A line between rows of an open table that names a section (``#### IV. …`` or bold)."""
    if raw_heading:
        return clean_text(text) or None
    cleaned = clean_text(text)
    if cleaned and _HEADING_TEXT.match(cleaned) and len(cleaned) < 200:
        return cleaned
    return None


def _section_from_row(row: Row, cols: Columns) -> str | None:
    cells = [c.strip() for c in row.cells]
    filled = [(i, c) for i, c in enumerate(cells) if c]
    if not filled:
        return None
    code_i = cols.index.get("code")
    code = _norm_code(cells[code_i]) if code_i is not None and code_i < len(cells) else ""
    others = [c for i, c in filled if i != code_i]
    if code and _ROMAN.match(code) and others:
        return f"{code}. {others[0]}"
    if code and _LETTER.match(code) and len(others) == 1:
        return f"{code}. {others[0]}"
    texts = {c for _, c in filled}
    if len(filled) >= 2 and len(texts) == 1:
        return filled[0][1]  # one title spanning the row (merged cells)
    if len(filled) == 1 and not _NUMBERED.match(_norm_code(filled[0][1])):
        pos, text = filled[0]
        headingish = row.bold or _HEADING_TEXT.match(text) or (text.isupper() and len(text) > 3)
        if pos == code_i and (headingish or row.grid):
            return text  # e.g. "<b>I. Chỉ tiêu kết quả</b>" in the TT column
        if pos == cols.index.get("title") and headingish:
            return text
    if row.bold and code and not _NUMBERED.match(code) and len(filled) <= 2:
        return " ".join(c for _, c in filled)
    return None


def _is_continuation(row: Row, cols: Columns) -> bool:
    code_i = cols.index.get("code")
    title_i = cols.index["title"]
    code = row.cells[code_i].strip() if code_i is not None and code_i < len(row.cells) else ""
    if code:
        # in wrapped text a lower-case fragment can land in the first column
        return not row.grid and code[:1].islower() and not _NUMBERED.match(_norm_code(code))
    title = row.cells[title_i].strip() if title_i < len(row.cells) else ""
    if not row.grid:
        return True  # a wrapped text line: its cells belong to the row above
    return not title  # in a real grid an unnumbered row with a title is an item of its own


def _merge(prev: list[str], row: Row) -> None:
    for i, cell in enumerate(row.cells):
        if not cell.strip():
            continue
        while len(prev) <= i:
            prev.append("")
        prev[i] = f"{prev[i]} {cell.strip()}".strip()


def _collect(items: list[Item]) -> list[_Table]:
    tables: list[_Table] = []
    current: _Table | None = None
    last: _Table | None = None
    section: str | None = None
    prev_cells: list[str] | None = None
    blank_since_row = False
    for item in items:
        if isinstance(item, Break):
            current, last, prev_cells, section = None, None, None, None
            continue
        if isinstance(item, TableStart):
            if current is not None and item.width != current.columns.width:
                current, prev_cells = None, None  # another table, not this one split by a page break
            continue
        if isinstance(item, Line):
            text = item.text.strip()
            if not text:
                blank_since_row = True
                continue
            if current is None:
                continue
            if _SEPARATOR.match(text):
                continue
            name = _section_from_line(text, text.startswith("#") or text.startswith(("**", "<b>")))
            if name:
                section, prev_cells = name, None
                continue
            if prev_cells is not None and text[:1].islower() and (not blank_since_row or len(text) <= 80):
                prev_cells[-1] = f"{prev_cells[-1]} {clean_text(text)}".strip()  # wrapped last cell
                continue
            current, prev_cells = None, None
            continue
        cells = tuple(c.strip() for c in item.cells)
        if not any(cells) or all(_SEPARATOR.match(c) for c in cells):
            continue
        cols = match_header(cells)
        if cols is not None:
            if current is not None and cols.signature == current.columns.signature:
                continue  # header repeated after a page break
            if current is None and last is not None and cols.signature == last.columns.signature:
                current = last  # same table resumed after a page break
                continue
            current = _Table(columns=cols)
            tables.append(current)
            last, section, prev_cells = current, None, None
            continue
        if current is None:
            continue
        filled = [c for c in cells if c]
        if filled and all(_COLNUM.match(c) for c in filled) and len(filled) >= 3:
            continue  # "(1) (2) (3)…" column-number row under the header
        name = _section_from_row(item, current.columns)
        if name:
            section, prev_cells = name, None
            continue
        if _is_continuation(item, current.columns):
            if prev_cells is not None:
                _merge(prev_cells, item)
            continue
        prev_cells = list(cells)
        current.rows.append((section, prev_cells))
        blank_since_row = False
    return tables


def _units(text: str) -> tuple[list[str], list[str]]:
    return split_units(text) if text.strip() else ([], [])


def _dedupe_units(names: list[str], taken: list[str] | None = None) -> list[str]:
    seen = {unit_key(n) for n in (taken or [])}
    out: list[str] = []
    for name in names:
        key = unit_key(name)
        if name.strip() and key not in seen:
            seen.add(key)
            out.append(name.strip())
    return out


def _codes(table: _Table) -> list[str]:
    """Codes for a table's rows: plain when unique, else prefixed by the section's numeral."""
    code_i = table.columns.index.get("code")
    raw: list[str] = []
    for n, (_, cells) in enumerate(table.rows, 1):
        code = _norm_code(cells[code_i]) if code_i is not None and code_i < len(cells) else ""
        raw.append(code or str(n))
    if len(set(raw)) == len(raw):
        return raw
    prefixes: dict[str | None, str] = {}
    for section, _ in table.rows:
        if section not in prefixes:
            m = re.match(r"^([IVXLC]{1,7}|[A-Z])\b", section or "")
            prefixes[section] = m.group(1) if m else roman(len(prefixes) + 1)
    return [f"{prefixes[sec]}.{code}" for (sec, _), code in zip(table.rows, raw, strict=True)]


def _unique(code: str, used: set[str]) -> str:
    if code not in used:
        used.add(code)
        return code
    n = 2
    while f"{code}-{n}" in used:
        n += 1
    used.add(f"{code}-{n}")
    return f"{code}-{n}"


def _cell(cells: list[str], idx: dict[str, int], kind: str) -> str:
    i = idx.get(kind)
    return cells[i].strip() if i is not None and i < len(cells) else ""


def parse_tables(items: list[Item], year: int) -> TableResult:
    """Find every plan table in ``items`` and turn its rows into tasks and/or indicators."""
    result = TableResult()
    task_codes: set[str] = set()
    ind_codes: set[str] = set()
    for table in _collect(items):
        idx = table.columns.index
        gives_indicators = "target" in idx
        gives_tasks = "due" in idx or not gives_indicators

        for (section, cells), code in zip(table.rows, _codes(table), strict=True):
            title = _cell(cells, idx, "title")
            if not title:
                continue
            leads, partners = _units(_cell(cells, idx, "lead"))
            both_leads, both_partners = _units(_cell(cells, idx, "units"))
            p_leads, p_partners = _units(_cell(cells, idx, "partners"))
            leads = _dedupe_units(leads + both_leads)
            partners = _dedupe_units(partners + both_partners + p_leads + p_partners, leads)
            if section and section not in result.sections:
                result.sections.append(section)
            if gives_tasks:
                due_text = _cell(cells, idx, "due")
                due = parse_due(due_text, year) if due_text else Due(text="", kind="none")
                result.tasks.append(ParsedTask(
                    code=_unique(code, task_codes), section=section, title=title,
                    lead_units=leads, partner_units=partners, due=due,
                    output=_cell(cells, idx, "output") or None, detail=_cell(cells, idx, "detail") or None,
                ))
            if gives_indicators:
                unit = _cell(cells, idx, "unit") or None
                target_text = _cell(cells, idx, "target")
                target = parse_target(target_text, unit) if target_text else Target(text="")
                result.indicators.append(ParsedIndicator(
                    code=_unique(code, ind_codes), section=section, name=title,
                    unit=unit or target.unit, target=target, owner_units=leads or partners,
                    partner_units=partners if leads else [],
                ))
    return result
