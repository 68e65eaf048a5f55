"""`cdsbot run`, `db upgrade`, `plan show`, `org import` and `invite create`: the first commands of a deployment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import print_json, with_db
from bot.config import load_settings
from storage.db import Database

__all__ = ["db_upgrade", "invite_create", "org_import", "plan_show", "run"]


async def db_upgrade(_args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("database is up to date")
    return 0


async def plan_show(args: argparse.Namespace) -> int:
    from storage.plan_store import plans_as_dict
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.session() as s:
            commune = None
            if args.commune:
                commune = await require_commune(s, args.commune)
            data = await plans_as_dict(s, commune)
        if args.json:
            print_json(data)
        else:
            for p in data["plans"]:
                print(f"{p['commune']} · {p['year']} · {p['title']}")
                print(f"  {len(p['tasks'])} tasks, {len(p['indicators'])} indicators")
                for phrase, members in p["groups"].items():
                    print(f"  '{phrase}' → {', '.join(members) or 'no unit in the org tree yet'}")
        return 0

    return await with_db(run)


async def org_import(args: argparse.Namespace) -> int:
    from bot.cli.plan import no_unit_warnings
    from storage.org_import import import_org, read_org_rows
    from storage.units import get_or_create_commune

    read_org_rows(Path(args.file))  # fail fast, before any write

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            commune = await get_or_create_commune(s, args.commune)
            res = await import_org(s, commune, Path(args.file), args.at)
            if args.province:  # the commune's province (as `cdsbot province set`)
                from storage.province import set_commune_province

                await set_commune_province(s, commune, args.province)
            nobody = await no_unit_warnings(s, commune)  # the plan's items this org list still leaves unreported
        for err in res.errors:
            print(f"error: {err}", file=sys.stderr)
        for warning in nobody:
            print(f"warning: {warning}", file=sys.stderr)
        out = {"units_created": res.units_created, "people_created": res.people_created,
               "people_updated": res.people_updated, "errors": res.errors, "warnings": nobody}
        if args.json:
            print_json(out)
        else:
            print(f"org import for {commune.name}: {res.units_created} new units, "
                  f"{res.people_created} new people, {res.people_updated} updated, {len(res.errors)} bad rows")
        return 1 if res.errors else 0

    return await with_db(run)


async def invite_create(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from storage.invites import create_invite
    from storage.models import ROLES, Commune, Unit
    from storage.units import get_commune, unit_key_of

    if args.role == "province" or args.province:
        return await _province_invite(args)
    if args.role not in ROLES:
        print(f"error: --role must be one of {', '.join(ROLES)}, province", file=sys.stderr)
        return 2
    if not args.unit:
        print("error: --unit is required (or --role province --province NAME)", file=sys.stderr)
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
            print_json({"code": invite.code, "unit": units[0].name, "role": invite.role,
                         "uses": invite.uses_left, "expires_at": invite.expires_at.isoformat()})
        else:
            print(f"invite code {invite.code} for {units[0].name} ({invite.role}), "
                  f"{invite.uses_left} use(s), expires {invite.expires_at:%Y-%m-%d %H:%M} UTC")
        return 0

    return await with_db(run)


async def _province_invite(args: argparse.Namespace) -> int:
    """An invite for the province office: read-only over every commune of the province."""
    from storage.invites import create_province_invite
    from storage.province import require_province

    if args.role != "province" or not args.province or args.unit:
        print("error: a province office invite is `--role province --province NAME` (no --unit)", file=sys.stderr)
        return 2

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            province = await require_province(s, args.province)
            invite = await create_province_invite(s, province, uses=args.uses, days=args.days)
        if args.json:
            print_json({"code": invite.code, "province": province.name, "role": invite.role,
                        "uses": invite.uses_left, "expires_at": invite.expires_at.isoformat()})
        else:
            print(f"invite code {invite.code} for the province office of {province.name}, "
                  f"{invite.uses_left} use(s), expires {invite.expires_at:%Y-%m-%d %H:%M} UTC")
        return 0

    return await with_db(run)


async def run(args: argparse.Namespace) -> int:
    from bot.app import run_app, setup_logging

    settings = load_settings()
    if not settings.has_channels:
        setup_logging()
        print("No TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN set.\n"
              "  Telegram: talk to @BotFather, /newbot, then put TELEGRAM_BOT_TOKEN=... in .env\n"
              "  Zalo: open 'Zalo Bot Manager' in Zalo, choose 'Tạo bot', then put ZALO_BOT_TOKEN=... in .env\n"
              "Starting the local demo instead.")
        from bot.demo import run_demo

        return await run_demo(settings)
    return await run_app(settings)
