"""`cdsbot holidays add|remove|list`: correct the public-holiday calendar for this deployment."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date

from storage.db import Database

__all__ = ["add_holidays_commands", "parse_day"]

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_day(text: str) -> date:
    """A date as 2027-02-05 or 05/02/2027 (day first, as written in Vietnam); ValueError otherwise."""
    t = text.strip()
    m = _DMY.match(t)
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use 2027-02-05 or 05/02/2027)") from None


def _range(args: argparse.Namespace) -> tuple[date, date] | None:
    try:
        start = parse_day(args.start)
        end = parse_day(args.end) if args.end else start
        from storage.calendar.holiday_table import days_between

        days_between(start, end)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return start, end


def _span(start: date, end: date) -> str:
    return f"{start:%d/%m/%Y}" if start == end else f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"


async def _add(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, with_db
    from storage.calendar import holiday_table
    from storage.models import AuditLog

    span = _range(args)
    if span is None:
        return 2
    name = " ".join(args.name.split())
    if not name:
        print("error: --name must not be empty (e.g. --name \"Tết Nguyên đán\")", file=sys.stderr)
        return 2

    async def run(db: Database) -> int:
        cli_services(db)
        async with db.transaction() as s:
            n = await holiday_table.add_overrides(s, span[0], span[1], name)
            s.add(AuditLog(action="holidays.add", target=f"{span[0]}..{span[1]}",
                           detail={"source": "cli", "name": name, "changed": n}))
        print(f"holiday {_span(*span)} \"{name}\": {n} day(s) added or changed")
        return 0

    return await with_db(run)


async def _remove(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, with_db
    from storage.calendar import holiday_table
    from storage.models import AuditLog

    span = _range(args)
    if span is None:
        return 2
    name = " ".join((args.name or "").split())

    async def run(db: Database) -> int:
        cli_services(db)
        async with db.transaction() as s:
            deleted, working = await holiday_table.remove_overrides(s, span[0], span[1], name)
            if deleted or working:
                s.add(AuditLog(action="holidays.remove", target=f"{span[0]}..{span[1]}",
                               detail={"source": "cli", "name": name, "deleted": deleted, "working": working}))
        if not deleted and not working:
            print(f"{_span(*span)}: no holiday to remove (nothing changed)")
        else:
            print(f"{_span(*span)}: {deleted} added day(s) removed, {working} day(s) marked as working days")
        return 0

    return await with_db(run)


async def _list(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, print_json, with_db
    from storage.calendar import holiday_table

    async def run(db: Database) -> int:
        services = cli_services(db)
        year = args.year or services.now().astimezone(services.tz).year
        async with db.session() as s:
            await holiday_table.refresh(s, force=True)
        rows = holiday_table.effective_year(year)
        if args.json:
            print_json([{"date": d.isoformat(), "name": name, "source": src, "kind": kind}
                         for d, name, src, kind in rows])
            return 0
        print(f"Public holidays {year} (source: package = `holidays` library, file = CDSBOT_HOLIDAYS_FILE, "
              "database = `cdsbot holidays`):")
        for d, name, src, kind in rows:
            what = "holiday" if kind == "holiday" else "WORKING DAY"
            print(f"{d:%a %d/%m/%Y}  {what:11}  {src:8}  {name}")
        return 0

    return await with_db(run)


def add_holidays_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `cdsbot holidays …`."""
    h = sub.add_parser("holidays", help="public holidays: correct the calendar (e.g. the Government's Tết days)"
                       ).add_subparsers(dest="sub", required=True)
    add = h.add_parser("add", help="make a day or a range of days a holiday")
    add.add_argument("start", help="first day: 2027-02-05 or 05/02/2027")
    add.add_argument("end", nargs="?", help="last day (default: the first day)")
    add.add_argument("--name", required=True, help="e.g. \"Tết Nguyên đán\"")
    add.set_defaults(fn=_add)
    rm = h.add_parser("remove", help="make a day or range working days again (also a package holiday "
                                      "the Government moved)")
    rm.add_argument("start")
    rm.add_argument("end", nargs="?")
    rm.add_argument("--name", help="why, e.g. \"Tết moved by the Government\"")
    rm.set_defaults(fn=_remove)
    ls = h.add_parser("list", help="the effective holidays of a year, with their source")
    ls.add_argument("--year", type=int)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(fn=_list)
