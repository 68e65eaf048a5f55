"""`cdsbot province set|show|set-deadline`: which communes a province follows and when their compiled report
is due to it (the province view, issue #19)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.province_indicators import add_indicator_commands
from storage.db import Database

__all__ = ["add_province_commands"]


async def _set(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import set_commune_province
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            province = await set_commune_province(s, commune, args.province)
            out = {"commune": commune.name, "province": province.name}
        if args.json:
            print_json(out)
        else:
            print(f"{out['commune']} now belongs to {out['province']}")
        return 0

    return await with_db(run)


async def _set_deadline(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import require_province
    from storage.province_stream import DEFAULT_DUE_DAY, province_stream, set_report_due_day

    if (args.day is None) == (not args.default):
        print("error: give --day N (the compiled report is due before day N) or --default", file=sys.stderr)
        return 2

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            province = await require_province(s, args.province)
            await set_report_due_day(s, province, None if args.default else args.day)
            out = {"province": province.name, "report_due_day": province.report_due_day or DEFAULT_DUE_DAY,
                   "default": province.report_due_day is None}
        if args.json:
            print_json(out)
        else:
            month = "the following month" if province_stream(out["report_due_day"]).due_month_offset else "each month"
            print(f"the communes of {out['province']} send their compiled report before day "
                  f"{out['report_due_day']} of {month}" + (" (the default)" if out["default"] else ""))
        return 0

    return await with_db(run)


async def _show(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import provinces_with_communes
    from storage.province_stream import DEFAULT_DUE_DAY

    async def run(db: Database) -> int:
        async with db.session() as s:
            found = await provinces_with_communes(s)
            rows = [{"province": p.name, "communes": [c.name for c in communes]} for p, communes in found]
            days = [p.report_due_day or DEFAULT_DUE_DAY for p, _communes in found]
        if args.json:
            print_json(rows)
        else:
            for r, day in zip(rows, days, strict=True):
                print(f"{r['province']}: {', '.join(r['communes']) or '-'} (compiled report before day {day})")
            if not rows:
                print("no province yet (cdsbot province set --commune NAME --province NAME)")
        return 0

    return await with_db(run)


def add_province_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pro = sub.add_parser("province", help="provinces and their communes").add_subparsers(dest="sub", required=True)
    st = pro.add_parser("set", help="put a commune in a province (the province is created on first use)")
    st.add_argument("--commune", required=True)
    st.add_argument("--province", required=True)
    st.add_argument("--json", action="store_true")
    st.set_defaults(fn=_set)
    sh = pro.add_parser("show", help="every province with its communes")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(fn=_show)
    dl = pro.add_parser("set-deadline", help="the day of the month before which the province's communes send their "
                                             "compiled report (default 25)")
    dl.add_argument("--province", required=True)
    dl.add_argument("--day", type=int, help="before day N of each month (2–31)")
    dl.add_argument("--default", action="store_true", help="back to the default (before the 25th)")
    dl.add_argument("--json", action="store_true")
    dl.set_defaults(fn=_set_deadline)
    add_indicator_commands(pro)
