"""Read a plan file (.txt/.md, .docx, .xlsx, .csv) into a flat list of lines and table rows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from storage.errors import ImportFailed
from storage.plan_import.docx_numbering import Numbering

__all__ = ["Break", "Item", "Line", "Row", "TableStart", "clean_text", "read_items"]

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
CSV_SUFFIXES = {".csv", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DOCX_SUFFIXES = {".docx", ".docm"}
SUPPORTED = ".docx, .xlsx, .csv, .txt or .md"
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Line:
    """A paragraph or a text line outside any table."""

    text: str


@dataclass(frozen=True)
class Row:
    """One table row. ``grid`` rows come from docx/xlsx/csv (cells are complete); text rows come
    from tab-separated lines and may be continuations of the row above. ``bold`` marks a row
    whose text is all bold (``<b>…</b>``, ``**…**`` or bold runs)."""

    cells: tuple[str, ...]
    bold: bool = False
    grid: bool = False


@dataclass(frozen=True)
class Break:
    """A hard boundary between tables (e.g. a new worksheet)."""


@dataclass(frozen=True)
class TableStart:
    """Start of a Word table: it continues the open table only when it has the same width."""

    width: int


Item = Line | Row | Break | TableStart

_TAGS = re.compile(r"</?(?:b|strong|i|em|u|span|p)\b[^>]*>", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LATEX = re.compile(r"\$\s*\\(geq|ge|leq|le|times)\s*([^$]*)\$")
_LATEX_SIGNS = {"geq": "≥", "ge": "≥", "leq": "≤", "le": "≤", "times": "×"}
_WRAPPED_BOLD = re.compile(r"^(?:\*\*|__|<b>)(.*)(?:\*\*|__|</b>)$", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_HEADING = re.compile(r"^#{1,6}\s*")


def _fail(path: Path, why: str) -> ImportFailed:
    return ImportFailed(f"Cannot import {path.name}: {why}")


def clean_text(text: str) -> str:
    """Strip markdown/HTML emphasis, heading marks and LaTeX signs; collapse spaces; NFC."""
    text = unicodedata.normalize("NFC", text or "")
    text = _BR.sub(" ", text)
    text = _TAGS.sub("", text)
    text = _LATEX.sub(lambda m: _LATEX_SIGNS[m.group(1)] + m.group(2).strip(), text)
    text = _HEADING.sub("", text.strip())
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*]+?)\*(?![\w*])", r"\1", text)  # *italic*
    text = text.strip().strip("*").strip()
    return _SPACES.sub(" ", text).strip()


def _is_bold(raw: str) -> bool:
    raw = _HEADING.sub("", raw.strip())
    return bool(raw) and bool(_WRAPPED_BOLD.match(raw))


def read_items(path: Path) -> list[Item]:
    """Read ``path`` into items; raise ImportFailed with one line when that is impossible."""
    path = Path(path)
    suffix = path.suffix.lower()
    readers = {**dict.fromkeys(TEXT_SUFFIXES, _read_text), **dict.fromkeys(CSV_SUFFIXES, _read_csv),
               **dict.fromkeys(XLSX_SUFFIXES, _read_xlsx), **dict.fromkeys(DOCX_SUFFIXES, _read_docx)}
    reader = readers.get(suffix)
    if reader is None:
        hint = ""
        if suffix in {".doc", ".xls", ".pdf", ".odt", ".ods", ".rtf"}:
            hint = "; save it as .docx or .xlsx first"
        raise _fail(path, f"unsupported file type '{suffix or '(none)'}' (use {SUPPORTED}){hint}")
    if not path.is_file():
        raise _fail(path, "file not found")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(path, f"file cannot be read ({exc.strerror or exc})") from exc
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise _fail(path, f"file cannot be read ({exc.strerror or exc})") from exc
    if size == 0:
        raise _fail(path, "the file is empty")
    if size > MAX_BYTES:
        raise _fail(path, f"the file is too large ({size // (1024 * 1024)} MB)")
    items = reader(path)
    if not any(_has_text(it) for it in items):
        raise _fail(path, "the file is empty (no text found)")
    return items


def _has_text(item: Item) -> bool:
    if isinstance(item, Line):
        return bool(item.text.strip())
    if isinstance(item, Row):
        return any(c.strip() for c in item.cells)
    return False


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"file cannot be read ({exc.strerror or exc})") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return unicodedata.normalize("NFC", data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise _fail(path, "the text is not valid UTF-16") from exc
    if b"\x00" in data[:4096] or data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise _fail(path, "this is a binary file, not plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")  # Vietnamese Windows code page
        except UnicodeDecodeError as exc:
            raise _fail(path, "the text is neither UTF-8 nor Windows-1258") from exc
    return unicodedata.normalize("NFC", text)


# --- plain text / markdown -------------------------------------------------------------------

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")


def _read_text(path: Path) -> list[Item]:
    items: list[Item] = []
    for raw in _decode(path).splitlines():
        line = raw.rstrip(" \r\u00a0")
        if "\t" in line:
            cells = line.split("\t")
            bold = any(_is_bold(c) for c in cells if c.strip())
            items.append(Row(tuple(clean_text(c) for c in cells), bold=bold))
        elif _PIPE_ROW.match(line) and line.count("|") >= 3:
            cells = line.strip().strip("|").split("|")
            bold = any(_is_bold(c) for c in cells if c.strip())
            items.append(Row(tuple(clean_text(c) for c in cells), bold=bold))
        else:
            items.append(Line(line.strip()))
    return items


# --- csv ----------------------------------------------------------------------------------------


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", (0, 0)
    for delim in (";", "\t", ","):
        widths = [len(r) for r in csv.reader(lines, delimiter=delim) if any(c.strip() for c in r)]
        multi = [w for w in widths if w > 1]
        if not multi:
            continue
        width, count = Counter(multi).most_common(1)[0]
        score = (count, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(path: Path) -> list[Item]:
    text = _decode(path)
    sample = [ln for ln in text.splitlines() if ln.strip()][:40]
    delim = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(sample)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    except csv.Error as exc:
        raise _fail(path, f"the CSV cannot be read ({exc})") from exc
    items: list[Item] = []
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        items.append(Row(tuple(clean_text(c) for c in row), grid=True))
    return items


# --- xlsx ---------------------------------------------------------------------------------------


def _cell_text(value: Any, number_format: str = "General") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if isinstance(value, int | float):
        if "%" in (number_format or ""):
            return f"{value * 100:g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def _read_xlsx(path: Path) -> list[Item]:
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise _fail(path, "not a readable Excel workbook (.xlsx)") from exc
    items: list[Item] = []
    try:
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                continue
            fill: dict[tuple[int, int], Any] = {}
            for rng in sheet.merged_cells.ranges:
                top = sheet.cell(rng.min_row, rng.min_col)
                for r in range(rng.min_row, rng.max_row + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        fill[(r, c)] = (top.value, top.number_format)
            items.append(Break())
            for row in sheet.iter_rows():
                cells: list[str] = []
                bold = True
                for cell in row:
                    if not hasattr(cell, "column"):
                        cells.append("")
                        continue
                    value, fmt = fill.get((cell.row, cell.column), (cell.value, cell.number_format))
                    text = clean_text(_cell_text(value, fmt))
                    cells.append(text)
                    if text and not (cell.font and cell.font.b):
                        bold = False
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    items.append(Row(tuple(cells), bold=bold, grid=True))
    finally:
        book.close()
    return items


# --- docx ---------------------------------------------------------------------------------------


def _runs_bold(paragraphs: list[Any]) -> bool:
    flags = [bool(r.bold or (p.style is not None and p.style.font.bold))
             for p in paragraphs for r in p.runs if r.text.strip()]
    return bool(flags) and all(flags)


def _read_docx(path: Path) -> list[Item]:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        blocks = list(document.iter_inner_content())
        numbering = Numbering(document)
    except Exception as exc:  # python-docx raises several kinds for a damaged or foreign file
        raise _fail(path, "not a readable Word document (.docx)") from exc
    items: list[Item] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            label = numbering.label(block) if (block.text or "").strip() else ""
            for n, part in enumerate((block.text or "").split("\n")):
                items.append(Line((label if n == 0 else "") + clean_text(part)))
        elif isinstance(block, Table):
            try:
                width = len(block.columns)
            except Exception:  # malformed grid
                width = 0
            items.append(TableStart(width=width))
            for row in block.rows:
                try:
                    cells = list(row.cells)
                except Exception:  # malformed grid: skip the row rather than the file
                    continue
                texts = tuple(clean_text(c.text.replace("\n", " ")) for c in cells)
                bold = _runs_bold([p for c in cells for p in c.paragraphs])
                items.append(Row(texts, bold=bold, grid=True))
            items.append(Line(""))
    return items
