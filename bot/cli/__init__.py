"""The `cdsbot` command line: database, imports, invites, status and running the bot."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli import admin, ask, commune, core, health, holidays, outbox, plan, province, reports, streams, web
from bot.cli.common import moment
from storage.errors import CdsbotError

__all__ = ["main"]


def _parser(only_run: bool = False) -> argparse.ArgumentParser:
    """The whole command line; ``only_run``: just `cdsbot run` (building every command costs ~20 ms of a start)."""
    p = argparse.ArgumentParser(prog="cdsbot", description="Commune digital-transformation reporting bot")
    sub = p.add_subparsers(dest="cmd", required=True)

    run = sub.add_parser("run", help="run the bot (Telegram, Zalo, web) until stopped")
    run.add_argument("--demo", action="store_true", help="seed demo data even when tokens are set")
    run.set_defaults(fn=core.run)
    if only_run:
        return p

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(fn=core.db_upgrade)

    plans = sub.add_parser("plan", help="plans").add_subparsers(dest="sub", required=True)
    imp = plans.add_parser("import", help="import a plan appendix (.docx .xlsx .csv .txt .md)")
    plan.add_import_arguments(imp)
    imp.set_defaults(fn=plan.plan_import)
    show = plans.add_parser("show", help="show imported plans")
    show.add_argument("--commune")
    show.add_argument("--json", action="store_true")
    show.set_defaults(fn=core.plan_show)
    plan.add_owner_commands(plans)

    org = sub.add_parser("org", help="org list").add_subparsers(dest="sub", required=True)
    oi = org.add_parser("import", help="import units and people from .csv/.xlsx")
    oi.add_argument("file")
    oi.add_argument("--commune", required=True)
    oi.add_argument("--province", help="the province the commune belongs to (as `cdsbot province set`)")
    oi.add_argument("--at", type=moment, help="when the units and people it adds came to be, and those it moves "
                    "changed post (ISO, with its offset; default now): they owe the periods due from then on")
    oi.add_argument("--json", action="store_true")
    oi.set_defaults(fn=core.org_import)

    inv = sub.add_parser("invite", help="join codes").add_subparsers(dest="sub", required=True)
    ic = inv.add_parser("create", help="create an invite code for a unit and role")
    ic.add_argument("--unit", help="the unit (not for --role province)")
    ic.add_argument("--province", help="the province, for --role province (the province office)")
    ic.add_argument("--role", required=True)
    ic.add_argument("--commune")
    ic.add_argument("--uses", type=int, default=1)
    ic.add_argument("--days", type=int, default=7)
    ic.add_argument("--json", action="store_true")
    ic.set_defaults(fn=core.invite_create)

    reports.add_report_commands(sub)
    admin.add_admin_commands(sub)
    streams.add_streams_commands(sub)
    holidays.add_holidays_commands(sub)
    web.add_web_commands(sub)
    commune.add_commune_commands(sub)
    province.add_province_commands(sub)
    health.add_health_commands(sub)
    outbox.add_outbox_commands(sub)
    ask.add_ask_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(only_run=argv[:1] == ["run"]).parse_args(argv)
    try:
        return asyncio.run(args.fn(args))
    except CdsbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

