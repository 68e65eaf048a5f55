"""`cdsbot commune show|set-start`: a commune's reporting start day (nothing due before it is owed)."""

from __future__ import annotations

import argparse
from datetime import date

from storage.db import Database

__all__ = ["add_commune_commands"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


async def _set_start(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.models import AuditLog
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            before = commune.reporting_start
            commune.reporting_start = args.day
            s.add(commune)
            s.add(AuditLog(action="commune.reporting_start", target=f"commune:{commune.id}",
                           detail={"before": before.isoformat() if before else None,
                                   "after": args.day.isoformat()}))
            name = commune.name
        if args.json:
            print_json({"commune": name, "reporting_start": args.day.isoformat()})
        else:
            print(f"{name}: reporting starts on {args.day:%d/%m/%Y}; nothing due before it is owed")
        return 0

    return await with_db(run)


async def _show(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.session() as s:
            commune = await require_commune(s, args.commune)
        start = commune.reporting_start.isoformat() if commune.reporting_start else None
        if args.json:
            print_json({"commune": commune.name, "reporting_start": start})
        else:
            print(f"{commune.name}: reporting start {start or 'not set (no plan imported yet)'}")
        return 0

    return await with_db(run)


def add_commune_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    com = sub.add_parser("commune", help="commune settings").add_subparsers(dest="sub", required=True)
    st = com.add_parser("set-start", help="first day the commune reports on (default: its plan import day)")
    st.add_argument("--commune", required=True)
    st.add_argument("day", type=_day, help="YYYY-MM-DD")
    st.add_argument("--json", action="store_true")
    st.set_defaults(fn=_set_start)
    sh = com.add_parser("show", help="the commune's reporting start day")
    sh.add_argument("--commune", required=True)
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(fn=_show)
