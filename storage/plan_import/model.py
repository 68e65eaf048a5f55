"""Plain dataclasses a plan file is parsed into, before anything touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = ["Due", "ParsedIndicator", "ParsedPlan", "ParsedTask", "Target"]


@dataclass(frozen=True)
class Due:
    """A deadline phrase and what it means.

    kind: "dated" (one date), "recurring" (repeats, e.g. each quarter; ``date`` is the last
    occurrence or None when it never ends), "external" (set by someone else, no date),
    "done" (already finished), "none" (no phrase)."""

    text: str
    date: date | None = None
    recurring: bool = False
    kind: str = "dated"
    start: date | None = None
    every: str | None = None  # "quarter", "month", "year" for recurring phrases
    understood: bool = field(default=True, compare=False)  # False: a phrase no rule could read


@dataclass(frozen=True)
class Target:
    """A target cell: comparator + value + unit, or a yes/no target, or free text.

    op: "=", ">", ">=", "<", "<=", "bool" (Đạt/Có) or "text" (nothing measurable)."""

    text: str
    op: str = "text"
    value: Decimal | None = None
    unit: str | None = None
    boolean: bool | None = None


@dataclass
class ParsedTask:
    code: str  # "1", "II.3", "N1.2" — unique inside a plan
    section: str | None
    title: str
    lead_units: list[str] = field(default_factory=list)
    partner_units: list[str] = field(default_factory=list)
    due: Due = field(default_factory=lambda: Due(text="", kind="none"))
    output: str | None = None
    detail: str | None = None


@dataclass
class ParsedIndicator:
    code: str
    section: str | None
    name: str
    unit: str | None
    target: Target
    owner_units: list[str] = field(default_factory=list)
    partner_units: list[str] = field(default_factory=list)  # "Cơ quan thực hiện/phối hợp"
    due: Due | None = None  # a prose target's "đến năm 2030"; None: the plan's year


@dataclass
class ParsedPlan:
    """A parsed plan. ``title_source``: "title" (the line after KẾ HOẠCH), "text" (the first text
    line) or "file" (no text at all: named after the file). ``year_source``: "given" (--year),
    "title", "text" or "assumed" (no year anywhere: the current year). ``number``/``issued``: the
    document's "Số: 45/KH-UBND" and "ngày 12 tháng 3 năm 2026" when filled in."""

    title: str
    year: int
    tasks: list[ParsedTask] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    number: str | None = None
    issued: date | None = None
    title_source: str = "title"
    year_source: str = "title"
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sentences under target headings with no target
    prose_targets: bool = False  # indicators read from bullets under "MỤC TIÊU" (see prose_targets.py)
