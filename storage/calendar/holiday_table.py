"""Public holidays: the `holidays` package corrected by the deployment (a JSON file and the database)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HolidayOverride

if TYPE_CHECKING:
    import holidays

__all__ = [
    "CACHE_TTL", "MAX_RANGE_DAYS", "Override", "add_overrides", "days_between", "effective_year", "generation",
    "is_holiday", "is_swapped_workday", "load_file", "parse_file", "refresh", "remove_overrides", "reset",
    "set_file_overrides",
    "stored_overrides",
]

Kind = Literal["holiday", "working"]
Source = Literal["package", "file", "database"]
# A worker may use a stale copy for up to this long after another process changed the table; a change
# made in this process applies at once, and every sweep reads the table afresh.
CACHE_TTL = 60.0
MAX_RANGE_DAYS = 31  # one `holidays add` covers at most a month (Tết is 5–9 days)


@dataclass(frozen=True)
class Override:
    """One corrected day: ``holiday`` (a day off) or ``working`` (a package holiday that is not one)."""

    day: date
    kind: Kind
    name: str
    source: Source


class _State:
    file: dict[date, Override] = {}
    db: dict[date, Override] = {}
    loaded_until = 0.0  # monotonic time after which the database copy is read again
    generation = 0


@lru_cache(maxsize=64)
def _package(year: int) -> holidays.HolidayBase:
    import holidays  # ~0.15 s to import (its Islamic calendar tables): on the first date check, not at start

    return holidays.country_holidays("VN", years=year)


def _overrides() -> dict[date, Override]:
    """File entries, then database entries (the operator's latest word wins on the same day)."""
    return _State.file | _State.db


def generation() -> int:
    """Changes whenever the effective overrides change (key for caches of calendar results)."""
    return _State.generation


def _set(which: str, found: dict[date, Override]) -> None:
    if getattr(_State, which) != found:
        setattr(_State, which, found)
        _State.generation += 1


def is_holiday(d: date) -> bool:
    """A public holiday or official day off (package, unless overridden; or added by the deployment)."""
    o = _overrides().get(d)
    if o is not None:
        return o.kind == "holiday"
    return d in _package(d.year)


def is_swapped_workday(d: date) -> bool:
    """A weekend day that is a working day: the Government's swap (package) or the deployment's override."""
    o = _overrides().get(d)
    if o is not None:
        return o.kind == "working"
    return d in getattr(_package(d.year), "weekend_workdays", ())


def effective_year(year: int) -> list[tuple[date, str, Source, Kind]]:
    """Every holiday of ``year`` and every override, with where it comes from, by date. A package holiday
    that an override turned into a working day is listed with kind ``working``."""
    rows: dict[date, tuple[date, str, Source, Kind]] = {
        d: (d, str(name), "package", "holiday") for d, name in _package(year).items() if d.year == year}
    for d, o in _overrides().items():
        if d.year == year:
            name = o.name or (rows[d][1] if d in rows else "")
            rows[d] = (d, name, o.source, o.kind)
    return [rows[d] for d in sorted(rows)]


# --- the optional file (CDSBOT_HOLIDAYS_FILE) ------------------------------------------------------
def _day(value: Any, where: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: field {field!r} must be a date YYYY-MM-DD, got {value!r}") from None


def days_between(start: date, end: date) -> list[date]:
    """``start``–``end`` inclusive; ValueError when reversed or longer than ``MAX_RANGE_DAYS``."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days, got {(end - start).days + 1}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def parse_file(data: Any) -> dict[date, Override]:
    """Entries ``{"date": "2027-02-05", "name": "Tết"}``, ``{"start": …, "end": …, "name": …}`` and
    ``{"date": …, "working": true}`` (a package holiday that is a working day). ValueError names the entry."""
    if not isinstance(data, list):
        raise ValueError(f"holidays file must be a list of objects, got {type(data).__name__}")
    out: dict[date, Override] = {}
    for i, item in enumerate(data):
        where = f"entry #{i + 1}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be an object, got {type(item).__name__}")
        unknown = sorted(set(item) - {"date", "start", "end", "name", "working"})
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}")
        name, working = item.get("name", ""), item.get("working", False)
        if not isinstance(name, str) or not isinstance(working, bool):
            raise ValueError(f"{where}: 'name' must be text and 'working' true or false")
        if "date" in item:
            start = end = _day(item["date"], where, "date")
        elif "start" in item and "end" in item:
            start, end = _day(item["start"], where, "start"), _day(item["end"], where, "end")
        else:
            raise ValueError(f"{where}: needs 'date', or 'start' and 'end'")
        try:
            days = days_between(start, end)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        for d in days:
            out[d] = Override(d, "working" if working else "holiday", name.strip(), "file")
    return out


def load_file(path: str) -> dict[date, Override]:
    """Read and validate the holidays file (ValueError with the reason)."""
    with open(path, encoding="utf-8") as fh:
        try:
            return parse_file(json.load(fh))
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None


def reset() -> None:
    """Forget every correction held by this process (the table is read again at the next use)."""
    _set("file", {})
    _set("db", {})
    _State.loaded_until = 0.0


def set_file_overrides(found: dict[date, Override]) -> None:
    """Install the file's entries for this process (at start-up)."""
    _set("file", dict(found))


# --- the database table (every worker) -------------------------------------------------------------
async def stored_overrides(session: AsyncSession) -> dict[date, Override]:
    rows = (await session.exec(select(HolidayOverride).order_by(HolidayOverride.day))).all()  # type: ignore[arg-type]
    return {r.day: Override(r.day, "working" if r.kind == "working" else "holiday", r.name, "database")
            for r in rows}


async def refresh(session: AsyncSession, *, force: bool = False) -> None:
    """Read the table when the cached copy is older than ``CACHE_TTL`` (always with ``force``)."""
    now = time.monotonic()
    if not force and now < _State.loaded_until:
        return
    _set("db", await stored_overrides(session))
    _State.loaded_until = now + CACHE_TTL


async def _put(session: AsyncSession, days: list[date], kind: Kind, name: str) -> int:
    existing = {r.day: r for r in (await session.exec(select(HolidayOverride).where(
        HolidayOverride.day.in_(days)))).all()}  # type: ignore[attr-defined]
    changed = 0
    for d in days:
        row = existing.get(d)
        if row is None:
            session.add(HolidayOverride(day=d, kind=kind, name=name))
            changed += 1
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            session.add(row)
            changed += 1
    await session.flush()
    _State.loaded_until = 0.0  # this process re-reads at the next use
    return changed


async def add_overrides(session: AsyncSession, start: date, end: date, name: str) -> int:
    """Mark ``start``–``end`` as days off named ``name``; returns the days changed. The caller commits."""
    return await _put(session, days_between(start, end), "holiday", name.strip())


async def remove_overrides(session: AsyncSession, start: date, end: date, name: str = "") -> tuple[int, int]:
    """Make ``start``–``end`` working days: a day added by ``holidays add`` loses its row; a package (or
    file) holiday on a weekday gets an explicit ``working`` row. Weekends inside a range stay weekends;
    a weekend day given alone becomes a working day (a make-up Saturday the Government decided).
    Returns (rows deleted, working rows written). The caller commits."""
    days = days_between(start, end)
    rows = {r.day: r for r in (await session.exec(select(HolidayOverride).where(
        HolidayOverride.day.in_(days)))).all()}  # type: ignore[attr-defined]
    deleted = 0
    working: list[date] = []
    for d in days:
        row = rows.get(d)
        if row is not None and row.kind == "holiday":
            await session.delete(row)
            deleted += 1
        if d.weekday() >= 5:
            if len(days) == 1:
                working.append(d)
            continue
        base = _State.file.get(d)
        if (base.kind == "holiday" if base is not None else d in _package(d.year)) or (
                row is not None and row.kind == "working"):
            working.append(d)
    await session.flush()
    changed = await _put(session, working, "working", name.strip()) if working else 0
    _State.loaded_until = 0.0
    return deleted, changed
