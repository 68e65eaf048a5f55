"""`cdsbot plan import`: dry run, diff against the stored plan, --replace, warnings for every assumption."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import moment
from storage.db import Database

__all__ = ["add_import_arguments", "add_owner_commands", "no_unit_warnings", "plan_import"]


def add_import_arguments(imp: argparse.ArgumentParser) -> None:
    imp.add_argument("file")
    imp.add_argument("--commune", required=True)
    imp.add_argument("--year", type=int, help="the plan's year when the file names none")
    imp.add_argument("--title", help="name the plan (a file with no title line is otherwise named after the file)")
    imp.add_argument("--dry-run", action="store_true", help="print what would be added, changed, removed; write nothing")
    imp.add_argument("--replace", action="store_true",
                     help="allow rows missing from the file to be removed from the stored plan")
    imp.add_argument("--json", action="store_true")
    imp.add_argument("--at", type=moment, help="when the items and units it adds came to be (ISO, with its offset; "
                     "default now): an office that reported before is asked for the new items")


def _print_diff(diff: Any, out: Any) -> None:
    for sign, rows in (("+", diff.added), ("~", diff.changed), ("-", diff.removed)):
        for row in rows:
            print(f"  {sign} {row}", file=out)


async def plan_import(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.plan_diff import diff_plan
    from storage.plan_import.notes import plan_warnings
    from storage.plan_import.parse import parse_plan_file
    from storage.plan_store import save_plan
    from storage.units import get_commune, get_or_create_commune

    path = Path(args.file)
    parsed = parse_plan_file(path, year=args.year)  # raises ImportFailed before any write
    if args.title and args.title.strip():
        parsed.title, parsed.title_source = " ".join(args.title.split()), "given"
        parsed.warnings = plan_warnings(parsed)
    for warning in parsed.warnings:
        print(f"warning: {warning}", file=sys.stderr)

    async def run(db: Database) -> int:
        async with db.session() as s:
            diff = await diff_plan(s, await get_commune(s, args.commune), parsed)
        head = {"plan": parsed.title, "year": parsed.year, "number": parsed.number, "commune": args.commune,
                "created": diff.plan is None, **diff.as_dict(), "warnings": parsed.warnings}
        if args.dry_run:
            return _dry_run(args, diff, head)
        refusal = _refusal(args, parsed, diff)
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            _print_diff(diff, sys.stderr)
            if args.json:
                print_json({**head, "refused": refusal})
            return 1
        async with db.transaction() as s:
            commune = await get_or_create_commune(s, args.commune)
            res = await save_plan(s, commune, parsed, source_file=path.name, now=args.at)
            nobody = await no_unit_warnings(s, commune, org_listed=True)
        for warning in nobody:
            print(f"warning: {warning}", file=sys.stderr)
        head["warnings"] = [*parsed.warnings, *nobody]
        verb = "imported" if res.created else "updated"
        summary = {**head, "plan": res.plan.title, "year": res.plan.year, "commune": commune.name,
                   "created": res.created, "tasks": res.tasks, "indicators": res.indicators,
                   "sections": res.sections, "units_created": res.units_created, "removed": res.removed,
                   "removed_rows": diff.removed}
        if args.json:
            print_json(summary)
        else:
            print(f"{verb} plan '{res.plan.title}' ({res.plan.year}) for {commune.name}: "
                  f"{res.tasks} tasks, {res.indicators} indicators in {res.sections} sections; "
                  f"{res.units_created} new units; {len(diff.added)} added, {len(diff.changed)} changed, "
                  f"{res.removed} removed")
            if not res.created:
                _print_diff(diff, sys.stdout)
        return 0

    return await with_db(run)


async def no_unit_warnings(session: Any, commune: Any, org_listed: bool = False) -> list[str]:
    """One warning per plan item of the commune that no unit can report today (``storage.no_unit``): its code
    and whom the plan named, so the operator adds that unit to the org list or assigns another. ``org_listed``:
    only once the commune has an org list (somebody on it): a plan imported first is checked by `org import`."""
    from sqlmodel import select

    from storage.models import Person
    from storage.no_unit import no_unit_items

    if org_listed and (await session.exec(select(Person.id).where(Person.commune_id == commune.id).limit(1))).first() \
            is None:
        return []
    return [f"{i.kind} {i.code}: no unit can report it (chair: {i.chair_text}; no office of the org list is "
            "among them): add the unit with `cdsbot org import` or name one with `cdsbot plan assign`"
            for i in await no_unit_items(session, [commune.id])]


def _refusal(args: argparse.Namespace, parsed: Any, diff: Any) -> str | None:
    """Why this import must not go ahead without --replace (None when it may)."""
    if diff.plan is None or args.replace:
        return None
    stored = f"plan '{diff.plan.title}' ({diff.plan.year}, imported from {diff.plan.source_file or '?'})"
    if parsed.title_source == "file" and (diff.changed or diff.removed):
        return (f"{Path(args.file).name} has no title line or number, so it is taken for {stored} by its "
                f"file name; importing it would change {len(diff.changed)} and remove {len(diff.removed)} "
                "row(s). Pass --title to import it as a plan of its own, or --replace to replace that plan")
    if diff.removed:
        return (f"importing would remove {len(diff.removed)} row(s) from {stored} (listed below; answers "
                "already reported for them are no longer shown). Pass --replace to remove them, "
                "--dry-run to see every change")
    return None


def _dry_run(args: argparse.Namespace, diff: Any, head: dict[str, Any]) -> int:
    from bot.cli.common import print_json

    if args.json:
        print_json({"dry_run": True, **head})
        return 0
    verb = "created" if diff.plan is None else "updated"
    print(f"dry run: plan '{head['plan']}' ({head['year']}) for {args.commune} would be {verb}: "
          f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed")
    _print_diff(diff, sys.stdout)
    print("nothing was written" + ("; removing rows needs --replace" if diff.removed else ""))
    return 0


async def plan_assign(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.plan_owners import assign_owners
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            res = await assign_owners(s, commune, args.code, args.unit, kind=args.kind, plan_name=args.plan)
        if args.json:
            print_json(res)
        else:
            print(f"{res['kind']} {res['code']} is now reported by {', '.join(res['units'])} "
                  "(kept on re-import)")
        return 0

    return await with_db(run)


async def plan_check(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.plan_owners import check_plans
    from storage.units import require_commune

    async def run(db: Database) -> int:
        async with db.session() as s:
            res = await check_plans(s, await require_commune(s, args.commune))
        if args.json:
            print_json(res)
        else:
            for title, key in (("items nobody can report", "unreportable"),
                               ("units named by the plan with nobody on the org list", "missing_units"),
                               ("tasks with no due date", "no_due_date")):
                print(f"{title}: {len(res[key])}")
                for row in res[key]:
                    print(f"  {row}")
            for phrase, members in res["groups"].items():
                print(f"'{phrase}' → {', '.join(members) or 'no unit in the org tree yet'}")
        return 1 if res["unreportable"] else 0

    return await with_db(run)


def add_owner_commands(plan: Any) -> None:
    """`plan assign` and `plan check` under the `plan` sub-command."""
    asg = plan.add_parser("assign", help="set who reports a task or indicator (kept on re-import)")
    asg.add_argument("code", help="the item's code in the plan, e.g. N4.KQ1 or II.3")
    asg.add_argument("--commune", required=True)
    asg.add_argument("--unit", action="append", required=True, help="a unit of the org tree; repeat for several")
    asg.add_argument("--plan", help="the plan's title or number when several plans have this code")
    kind = asg.add_mutually_exclusive_group()
    kind.add_argument("--task", dest="kind", action="store_const", const="task")
    kind.add_argument("--indicator", dest="kind", action="store_const", const="indicator")
    asg.add_argument("--json", action="store_true")
    asg.set_defaults(fn=plan_assign)
    chk = plan.add_parser("check", help="items nobody can report, units missing from the org list, no due date")
    chk.add_argument("--commune", required=True)
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(fn=plan_check)
