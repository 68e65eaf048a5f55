"""The `cdsbot` command line: database, imports, invites, status and running the bot."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.config import load_settings
from storage.db import Database
from storage.errors import CdsbotError

__all__ = ["main"]


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def _with_db(fn: Callable[[Database], Awaitable[int]]) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await fn(db)
    finally:
        await db.dispose()


async def _db_upgrade(_args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("database is up to date")
    return 0


async def _plan_show(args: argparse.Namespace) -> int:
    from storage.plan_store import plans_as_dict
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.session() as s:
            commune = None
            if args.commune:
                commune = await require_commune(s, args.commune)
            data = await plans_as_dict(s, commune)
        if args.json:
            _print_json(data)
        else:
            for p in data["plans"]:
                print(f"{p['commune']} · {p['year']} · {p['title']}")
                print(f"  {len(p['tasks'])} tasks, {len(p['indicators'])} indicators")
                for phrase, members in p["groups"].items():
                    print(f"  '{phrase}' → {', '.join(members) or 'no unit in the org tree yet'}")
        return 0

    return await _with_db(run)


async def _org_import(args: argparse.Namespace) -> int:
    from storage.org_import import import_org, read_org_rows
    from storage.units import get_or_create_commune

    read_org_rows(Path(args.file))  # fail fast, before any write

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            commune = await get_or_create_commune(s, args.commune)
            res = await import_org(s, commune, Path(args.file))
        for err in res.errors:
            print(f"error: {err}", file=sys.stderr)
        out = {"units_created": res.units_created, "people_created": res.people_created,
               "people_updated": res.people_updated, "errors": res.errors}
        if args.json:
            _print_json(out)
        else:
            print(f"org import for {commune.name}: {res.units_created} new units, "
                  f"{res.people_created} new people, {res.people_updated} updated, {len(res.errors)} bad rows")
        return 1 if res.errors else 0

    return await _with_db(run)


async def _invite_create(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from storage.invites import create_invite
    from storage.models import ROLES, Commune, Unit
    from storage.units import get_commune, unit_key_of

    if args.role not in ROLES:
        print(f"error: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            if args.commune:
                commune = await get_commune(s, args.commune)
                communes = [commune] if commune else []
            else:
                communes = list((await s.exec(select(Commune))).all())
            units = []
            for c in communes:
                units += (await s.exec(select(Unit).where(
                    Unit.commune_id == c.id, Unit.key == unit_key_of(args.unit, c)))).all()
            if len(units) != 1:
                why = "no unit" if not units else "several units (add --commune)"
                print(f"error: {why} named {args.unit!r}", file=sys.stderr)
                return 2
            if args.role in ("lead", "admin") and units[0].kind != "office":
                print(f"error: a {args.role} invite can only be for an office unit "
                      f"({units[0].name} is a {units[0].kind})", file=sys.stderr)
                return 2
            invite = await create_invite(s, units[0], args.role, uses=args.uses, days=args.days)
        if args.json:
            _print_json({"code": invite.code, "unit": units[0].name, "role": invite.role,
                         "uses": invite.uses_left, "expires_at": invite.expires_at.isoformat()})
        else:
            print(f"invite code {invite.code} for {units[0].name} ({invite.role}), "
                  f"{invite.uses_left} use(s), expires {invite.expires_at:%Y-%m-%d %H:%M} UTC")
        return 0

    return await _with_db(run)


async def _run(args: argparse.Namespace) -> int:
    from bot.app import run_app

    return await run_app(load_settings(), demo=args.demo)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdsbot", description="Commune digital-transformation reporting bot")
    sub = p.add_subparsers(dest="cmd", required=True)

    run = sub.add_parser("run", help="run the bot (Telegram, Zalo, web) until stopped")
    run.add_argument("--demo", action="store_true", help="seed demo data even when tokens are set")
    run.set_defaults(fn=_run)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(fn=_db_upgrade)

    plan = sub.add_parser("plan", help="plans").add_subparsers(dest="sub", required=True)
    from bot.cli_plan import add_import_arguments, plan_import

    imp = plan.add_parser("import", help="import a plan appendix (.docx .xlsx .csv .txt .md)")
    add_import_arguments(imp)
    imp.set_defaults(fn=plan_import)
    show = plan.add_parser("show", help="show imported plans")
    show.add_argument("--commune")
    show.add_argument("--json", action="store_true")
    show.set_defaults(fn=_plan_show)
    __import__("bot.cli_plan").cli_plan.add_owner_commands(plan)

    org = sub.add_parser("org", help="org list").add_subparsers(dest="sub", required=True)
    oi = org.add_parser("import", help="import units and people from .csv/.xlsx")
    oi.add_argument("file")
    oi.add_argument("--commune", required=True)
    oi.add_argument("--json", action="store_true")
    oi.set_defaults(fn=_org_import)

    inv = sub.add_parser("invite", help="join codes").add_subparsers(dest="sub", required=True)
    ic = inv.add_parser("create", help="create an invite code for a unit and role")
    ic.add_argument("--unit", required=True)
    ic.add_argument("--role", required=True)
    ic.add_argument("--commune")
    ic.add_argument("--uses", type=int, default=1)
    ic.add_argument("--days", type=int, default=7)
    ic.add_argument("--json", action="store_true")
    ic.set_defaults(fn=_invite_create)

    from bot.cli_admin import add_admin_commands
    from bot.cli_more import add_more_commands

    add_more_commands(sub)
    add_admin_commands(sub)
    __import__("bot.cli_streams").cli_streams.add_streams_commands(sub)
    __import__("bot.cli_holidays").cli_holidays.add_holidays_commands(sub)
    __import__("bot.cli_web").cli_web.add_web_commands(sub)
    __import__("bot.cli_commune").cli_commune.add_commune_commands(sub)
    __import__("bot.cli_health").cli_health.add_health_commands(sub)
    __import__("bot.cli_outbox").cli_outbox.add_outbox_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(args.fn(args))
    except CdsbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
