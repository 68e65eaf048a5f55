"""Admin CLI commands: anonymise or merge people, back up and restore the database and evidence files."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import moment

__all__ = ["add_admin_commands"]


async def _anonymise(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.cli.common import with_db
    from storage.admin import anonymise_person
    from storage.models import Person
    from storage.org_import import clean_phone
    from storage.people import merge_twins, name_key, twins_of

    async def run(db) -> int:  # noqa: ANN001
        async with db.transaction() as s:
            q = select(Person).where(Person.anonymised_at.is_(None))  # type: ignore[union-attr]
            if args.id:
                q = q.where(Person.id == args.id)
            elif args.phone:
                if not clean_phone(args.phone):
                    print(f"error: {args.phone!r} is not a Vietnamese phone number", file=sys.stderr)
                    return 2
                q = q.where(Person.phone == clean_phone(args.phone))
            people = [p for p in (await s.exec(q.order_by(Person.id))).all()
                      if args.id or args.phone or name_key(p.name) == name_key(args.name)]
            if not people:
                print("error: no person matches", file=sys.stderr)
                return 2
            group = {people[0].id, *[t.id for t in await twins_of(s, people[0])]}
            if any(p.id not in group for p in people):  # different humans: the operator must choose
                print("error: several people match; use --id:", file=sys.stderr)
                for p in people:
                    print(f"  #{p.id} {p.name} (unit {p.unit_id}, commune {p.commune_id})", file=sys.stderr)
                return 2
            kept, merged = await merge_twins(s, people[0], reason="anonymise")  # the same human's other records
            for pid, moved in merged:
                print(f"merged person #{pid} into #{kept.id} ({_moved(moved)})")
            await anonymise_person(s, kept, args.at or datetime.now(UTC))
            ids = [kept.id]
        print(f"person {', '.join(f'#{i}' for i in ids)} anonymised: every chat account, name and phone "
              "removed; their reports and logs are kept")
        return 0

    return await with_db(run)


def _moved(moved: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in moved.items()) or "nothing attached"


async def _merge(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.cli.common import print_json, with_db
    from storage.merge import choose_keeper, merge_people, person_summary
    from storage.models import Person
    from storage.org_import import clean_phone

    async def run(db) -> int:  # noqa: ANN001
        async with db.transaction() as s:
            if args.phone:
                phone = clean_phone(args.phone)
                rows = (await s.exec(select(Person).where(Person.phone == phone, Person.anonymised_at.is_(None))  # type: ignore[union-attr]
                                     .order_by(Person.id))).all() if phone else []
                people = list(rows)
                if people:
                    from storage.people import twins_of

                    extra = {t.id: t for p in people for t in await twins_of(s, p)}
                    people += [t for i, t in extra.items() if i not in {p.id for p in people}]
                if len({p.commune_id for p in people}) > 1:
                    print("error: this phone is in several communes; use --keep/--drop", file=sys.stderr)
                    return 2
                if len(people) < 2:
                    print("error: fewer than two records with this phone; nothing to merge", file=sys.stderr)
                    return 2
                ids = [p.id for p in people]
                keep = await s.run_sync(lambda ss: choose_keeper(ss.connection(), ids))
                drops = [i for i in ids if i != keep]
            else:
                if not (args.keep and args.drop):
                    print("error: give --keep ID --drop ID, or --phone", file=sys.stderr)
                    return 2
                keep, drops = args.keep, list(dict.fromkeys(args.drop))
                if keep in drops:
                    print("error: --keep and --drop name the same person", file=sys.stderr)
                    return 2
            plan = {"keep": await s.run_sync(lambda ss: person_summary(ss.connection(), keep)),
                    "drop": [await s.run_sync(lambda ss, d=d: person_summary(ss.connection(), d)) for d in drops]}
            if plan["keep"] is None or None in plan["drop"]:
                print("error: no such person", file=sys.stderr)
                return 2
            if any(d["commune_id"] != plan["keep"]["commune_id"] for d in plan["drop"]):
                print("error: the records belong to different communes", file=sys.stderr)
                return 2
            if args.dry_run:
                print_json({"dry_run": True, **plan})
                await s.rollback()
                return 0
            for d in drops:
                moved = await s.run_sync(lambda ss, d=d: merge_people(ss.connection(), keep, d, reason="cli"))
                print(f"merged person #{d} into #{keep} ({_moved(moved)})")
        return 0

    return await with_db(run)


async def _unit_merge(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.cli.common import print_json, with_db
    from storage.merge import merge_units
    from storage.models import Person, Unit
    from storage.units import require_commune

    async def run(db: Any) -> int:
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            units = list((await s.exec(select(Unit).where(Unit.commune_id == commune.id))).all())

            def pick(ref: str) -> Unit | None:  # an id, or the exact name as `org show` prints it
                return next((u for u in units if str(u.id) == ref.strip() or u.name == ref.strip()), None)

            keep, drop = pick(args.keep), pick(args.drop)
            for ref, unit in ((args.keep, keep), (args.drop, drop)):
                if unit is None:
                    print(f"error: no unit {ref!r} in {commune.name}; give its exact name or id", file=sys.stderr)
                    return 2
            assert keep is not None and drop is not None
            if keep.id == drop.id:
                print("error: --keep and --drop name the same unit", file=sys.stderr)
                return 2
            if keep.kind != drop.kind:
                print(f"error: {keep.name} is a {keep.kind} and {drop.name} a {drop.kind}; not merged",
                      file=sys.stderr)
                return 2
            people = (await s.exec(select(Person.name).where(Person.unit_id == drop.id))).all()
            plan = {"keep": {"id": keep.id, "name": keep.name}, "drop": {"id": drop.id, "name": drop.name},
                    "people_moving": list(people)}
            if args.dry_run:
                print_json({"dry_run": True, **plan})
                await s.rollback()
                return 0
            moved = await s.run_sync(lambda ss: merge_units(ss.connection(), keep.id, drop.id, reason="cli"))
            print(f"merged unit #{drop.id} {drop.name} into #{keep.id} {keep.name} ({_moved(moved)})")
        return 0

    return await with_db(run)


async def _backup(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from storage.backup import backup

    settings = load_settings()
    done = await backup(settings.database_url, Path(args.file), Path(settings.files_dir))
    print(f"backup written to {args.file} ({done.size} bytes: the database and {done.files} evidence files)")
    return 0


async def _restore(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from storage.backup import restore

    settings = load_settings()
    done = await restore(settings.database_url, Path(args.file), Path(settings.files_dir))
    print(f"database and {done.files} evidence files restored from {args.file}")
    if done.reanonymised:
        print(f"re-applied {len(done.reanonymised)} anonymisation(s) recorded after the backup was taken: "
              + ", ".join(f"person #{i}" for i in done.reanonymised))
    else:
        print("no anonymisation recorded after the backup needed re-applying")
    if done.problem:
        print(f"warning: the replaced database's audit log could not be read ({done.problem}); "
              "anonymise again anyone who left after the backup was taken", file=sys.stderr)
    return 0


async def _prune(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from bot.config import load_settings
    from storage.blobs import BlobStore
    from storage.evidence import prune_files

    if args.older_than_hours < 1:
        print("--older-than-hours must be 1 or more (a conversation may be saving its file)", file=sys.stderr)
        return 2
    store = BlobStore(load_settings().files_dir)

    async def run(db: Any) -> int:
        async with db.session() as s:
            done = await prune_files(s, store, args.older_than_hours * 3600, dry_run=args.dry_run)
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {len(done.deleted)} unused file(s), {done.freed_bytes} bytes; {done.kept} file(s) kept")
        return 0

    return await with_db(run)


def add_admin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    person = sub.add_parser("person", help="people").add_subparsers(dest="sub", required=True)
    an = person.add_parser("anonymise", help="remove a person's identity; keep their reports")
    who = an.add_mutually_exclusive_group(required=True)
    who.add_argument("--id", type=int)
    who.add_argument("--phone")
    who.add_argument("--name")
    an.add_argument("--at", type=moment, help="when they left (ISO, with its offset; default now): they are still "
                    "counted on their unit's staff for the periods due before")
    an.set_defaults(fn=_anonymise)
    mg = person.add_parser("merge", help="merge two records of one human (logs, reports, chat accounts move)")
    mg.add_argument("--keep", type=int, help="the record that stays (usually the one from the org list)")
    mg.add_argument("--drop", type=int, action="append", help="a record merged into --keep (repeatable)")
    mg.add_argument("--phone", help="merge every record with this phone (and their same-name twins)")
    mg.add_argument("--dry-run", action="store_true", help="print what would be merged, change nothing")
    mg.set_defaults(fn=_merge)
    unit = sub.add_parser("unit", help="units of the org tree").add_subparsers(dest="sub", required=True)
    um = unit.add_parser("merge", help="merge two records of one unit (people, logs, reports, plan items move)")
    um.add_argument("--commune", required=True)
    um.add_argument("--keep", required=True, help="the unit that stays: its exact name or id")
    um.add_argument("--drop", required=True, help="the unit merged into --keep: its exact name or id")
    um.add_argument("--dry-run", action="store_true", help="print what would be merged, change nothing")
    um.set_defaults(fn=_unit_merge)
    bk = sub.add_parser("backup", help="back up the database and the evidence files into one archive")
    bk.add_argument("file")
    bk.set_defaults(fn=_backup)
    rs = sub.add_parser("restore", help="restore the database and the evidence files from a backup")
    rs.add_argument("file")
    rs.set_defaults(fn=_restore)
    files = sub.add_parser("files", help="the evidence file store").add_subparsers(dest="sub", required=True)
    pr = files.add_parser("prune", help="delete stored files no report, log or open conversation uses")
    pr.add_argument("--older-than-hours", type=int, default=72, help="keep files younger than this (default 72)")
    pr.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    pr.set_defaults(fn=_prune)
