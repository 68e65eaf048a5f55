"""`cdsbot streams show|set|reset`: a commune's reporting streams, edited from a JSON file."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.common import cli_services
from storage.db import Database

__all__ = ["add_streams_commands"]


def describe(table: Any) -> list[dict[str, Any]]:
    """The commune's streams as `streams set` accepts them: full stream objects plus ``enabled``."""
    from storage.calendar.streams import dump_streams

    return [d | {"enabled": table.is_enabled(d["name"]), "customised": d["name"] in table.overridden}
            for d in dump_streams(list(table.streams))]


async def _show(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.calendar.commune_streams import commune_streams
    from storage.units import require_commune

    async def run(db: Database) -> int:
        services = cli_services(db)
        async with db.session() as s:
            commune = await require_commune(s, args.commune)
            table = await commune_streams(s, services, commune.id)
        rows = describe(table)
        if args.json:
            print_json([{k: v for k, v in r.items() if k != "customised"} for r in rows])
            return 0
        for r in rows:
            rule = ("by end of day" if r["inclusive"] else "before day") + f" {r['due_day']}"
            if r["due_month_offset"]:
                rule += f" (+{r['due_month_offset']} month)" if r["frequency"] != "weekly" else ""
            print(f"{r['name']:20} {'on ' if r['enabled'] else 'off'} {r['frequency']:9} {rule:22} "
                  f"cutoff={r['cutoff']:8} {','.join(r['reporter_roles'])} → {r['recipient']}"
                  + ("  [customised]" if r["customised"] else ""))
        return 0

    return await with_db(run)


async def _set(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from storage.calendar.commune_streams import base_streams, parse_settings, save_stream
    from storage.models import AuditLog
    from storage.units import require_commune

    try:
        with open(args.file, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {args.file} is not valid JSON: {exc}", file=sys.stderr)
        return 2

    async def run(db: Database) -> int:
        services = cli_services(db)
        try:
            parsed = parse_settings(data, base_streams(services))
        except ValueError as exc:
            print(f"error: {args.file}: {exc}", file=sys.stderr)
            return 2
        from reminders.planned import untracked_error
        from storage.calendar.data_end import due_before_data_error
        from storage.province_stream import PROVINCE_STREAM

        if (problem := untracked_error(stream for stream, _on in parsed)) is not None:
            print(f"error: {args.file}: {problem}", file=sys.stderr)
            return 2
        if any(stream.name == PROVINCE_STREAM for stream, _on in parsed):  # as `streams show` lists it
            print(f"note: {PROVINCE_STREAM} is due as its province sets it (`cdsbot province set-deadline`): "
                  "left out", file=sys.stderr)
            parsed = [(stream, on) for stream, on in parsed if stream.name != PROVINCE_STREAM]
        if (problem := due_before_data_error(stream for stream, _on in parsed)) is not None:
            print(f"error: {args.file}: {problem}", file=sys.stderr)
            return 2
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            stored = {}
            for stream, enabled in parsed:
                stored[stream.name] = await save_stream(s, services, commune.id, stream, enabled)  # type: ignore[arg-type]
            s.add(AuditLog(action="streams.update", target=f"commune:{commune.id}",
                           detail={"source": "cli", "file": str(args.file), "settings": stored}))
        print(f"saved {len(parsed)} stream setting(s) for {commune.name}")
        return 0

    return await with_db(run)


async def _reset(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from storage.calendar.commune_streams import reset_streams
    from storage.models import AuditLog
    from storage.units import require_commune

    async def run(db: Database) -> int:
        services = cli_services(db)
        async with db.transaction() as s:
            commune = await require_commune(s, args.commune)
            n = await reset_streams(s, services, commune.id, args.stream)  # type: ignore[arg-type]
            s.add(AuditLog(action="streams.reset", target=f"commune:{commune.id}",
                           detail={"source": "cli", "stream": args.stream, "removed": n}))
        what = f"stream {args.stream!r}" if args.stream else "all streams"
        print(f"reset {what} of {commune.name} to the defaults ({n} setting(s) removed)")
        return 0

    return await with_db(run)


def add_streams_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `cdsbot streams …`."""
    st = sub.add_parser("streams", help="a commune's reporting streams (deadlines, on/off)").add_subparsers(
        dest="sub", required=True)
    show = st.add_parser("show", help="the commune's effective streams")
    show.add_argument("--commune", required=True)
    show.add_argument("--json", action="store_true", help="JSON that `streams set` accepts")
    show.set_defaults(fn=_show)
    put = st.add_parser("set", help="store the streams of a JSON file (a list of stream objects) for a commune")
    put.add_argument("--commune", required=True)
    put.add_argument("file", help="JSON file: [{\"name\": \"unit_monthly\", \"due_day\": 18, ...}, ...]")
    put.set_defaults(fn=_set)
    reset = st.add_parser("reset", help="back to the deployment defaults")
    reset.add_argument("--commune", required=True)
    reset.add_argument("--stream", help="only this stream (default: all)")
    reset.set_defaults(fn=_reset)
