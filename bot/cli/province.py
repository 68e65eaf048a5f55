"""`cdsbot province set|show`: which communes a province follows (the province view, issue #19)."""

from __future__ import annotations

import argparse

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


async def _show(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import provinces_with_communes

    async def run(db: Database) -> int:
        async with db.session() as s:
            rows = [{"province": p.name, "communes": [c.name for c in communes]}
                    for p, communes in await provinces_with_communes(s)]
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                print(f"{r['province']}: {', '.join(r['communes']) or '-'}")
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
    add_indicator_commands(pro)
