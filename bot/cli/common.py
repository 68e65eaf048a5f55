"""What every `cdsbot` command shares: JSON output, a migrated database, services with the deployment's files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.config import load_settings
from storage.db import Database

__all__ = ["cli_services", "moment", "print_json", "with_db", "write_file"]


def moment(text: str) -> Any:
    """An ``--at`` argument: an ISO moment with its offset."""
    from datetime import datetime

    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the offset too, e.g. 2026-12-10T10:00+07:00")
    return value


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def with_db(fn: Callable[[Database], Awaitable[int]]) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await fn(db)
    finally:
        await db.dispose()


def cli_services(db: Database) -> Any:
    """Services for a CLI command, with the deployment's streams (``CDSBOT_STREAMS_FILE``) loaded."""
    from bot.app import load_holidays_file, load_streams_file
    from bot.config import load_settings
    from handlers.services import Services

    settings = load_settings()
    services = Services(db=db, tz=settings.timezone, default_locale=settings.locale)
    if settings.streams_file:
        services.extra["streams"] = load_streams_file(settings.streams_file)
    load_holidays_file(settings.holidays_file)
    return services


def write_file(path: Path, blob: bytes) -> bool:
    """Write ``blob`` to ``path`` and say so; on failure print the error line and return False (exit 2)."""
    try:
        path.write_bytes(blob)
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    print(f"wrote {path} ({len(blob)} bytes)")
    return True
