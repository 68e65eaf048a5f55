"""Plan-table cell readers: deadlines, targets and unit lists (pure functions, never raise)."""

from __future__ import annotations

from .phrases_due import parse_due
from .phrases_target import parse_target
from .phrases_units import split_units, unit_key

__all__ = ["parse_due", "parse_target", "split_units", "unit_key"]
