"""Admin CLI commands: anonymise a person, back up and restore the database and the evidence files."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["add_admin_commands"]


async def _anonymise(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.cli import _with_db
    from storage.admin import anonymise_person
    from storage.models import Person
    from storage.org_import import clean_phone

    async def run(db) -> int:  # noqa: ANN001
        async with db.transaction() as s:
            q = select(Person).where(Person.anonymised_at.is_(None))  # type: ignore[union-attr]
            if args.id:
                q = q.where(Person.id == args.id)
            elif args.phone:
                q = q.where(Person.phone == clean_phone(args.phone))
            else:
                q = q.where(Person.name == args.name)
            people = (await s.exec(q)).all()
            if len(people) != 1:
                print(f"error: {'no person' if not people else 'several people'} match; use --id",
                      file=sys.stderr)
                return 2
            await anonymise_person(s, people[0], datetime.now(UTC))
        print(f"person #{people[0].id} anonymised; their reports and logs are kept")
        return 0

    return await _with_db(run)


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
    return 0


def add_admin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    person = sub.add_parser("person", help="people").add_subparsers(dest="sub", required=True)
    an = person.add_parser("anonymise", help="remove a person's identity; keep their reports")
    who = an.add_mutually_exclusive_group(required=True)
    who.add_argument("--id", type=int)
    who.add_argument("--phone")
    who.add_argument("--name")
    an.set_defaults(fn=_anonymise)
    bk = sub.add_parser("backup", help="back up the database and the evidence files into one archive")
    bk.add_argument("file")
    bk.set_defaults(fn=_backup)
    rs = sub.add_parser("restore", help="restore the database and the evidence files from a backup")
    rs.add_argument("file")
    rs.set_defaults(fn=_restore)
