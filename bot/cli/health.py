"""`cdsbot health` (asks the running bot's /readyz) and `cdsbot updates quarantined|purge`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["add_health_commands"]


def _readyz_url(given: str | None) -> str:
    if given:
        return given.rstrip("/") + ("" if given.rstrip("/").endswith("/readyz") else "/readyz")
    from bot.config import load_settings

    settings = load_settings()
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.http_port}/readyz"


async def _ask(url: str, timeout: float) -> tuple[int, dict[str, Any]]:
    import aiohttp

    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
                session.get(url) as resp):
        return resp.status, await resp.json(content_type=None)


async def _database_only() -> dict[str, Any]:
    """What can be told without the server: the database part of /readyz."""
    from bot.config import load_settings
    from bot.health import Health, readiness
    from storage.db import Database

    settings = load_settings()
    db = Database(settings.database_url)
    try:
        served = [name for name, token in (("telegram", settings.telegram_token), ("zalo", settings.zalo_token))
                  if token]
        return await readiness(db, Health(lambda: datetime.now(UTC)), served=served)
    finally:
        await db.dispose()


def _print_report(report: dict[str, Any]) -> None:
    print("ready" if report.get("ready") else "NOT READY")
    for problem in report.get("problems") or []:
        print(f"  problem: {problem}")
    db = report.get("database") or {}
    print(f"database: {'ok' if db.get('ok') else 'UNREACHABLE ' + str(db.get('error', ''))}")
    for name, ch in (report.get("channels") or {}).items():
        print(f"{name} ({ch['mode']}): last ok {ch['last_ok'] or 'never'} ({ch['seconds_since_ok']} s ago)"
              + (f"; last error {ch['last_error']} at {ch['last_error_at']}" if ch.get("last_error") else ""))
    outbox = report.get("outbox")
    if outbox:
        print(f"outbox: {outbox['pending']} pending, oldest due waiting {outbox['oldest_due_seconds']} s, "
              f"{outbox['failed']} failed")
    if report.get("quarantined") is not None:
        print(f"quarantined updates: {report['quarantined']}")
    print(f"last sweep: {report.get('last_sweep') or 'none since start'}"
          + (f" (last attempt failed: {report['last_sweep_error']})" if report.get("last_sweep_error") else ""))
    for name, task in (report.get("tasks") or {}).items():
        if task.get("restarts"):
            print(f"task {name}: restarted {task['restarts']} time(s), last: {task['last_error']}")


async def _health(args: argparse.Namespace) -> int:
    url = _readyz_url(args.url)
    try:
        status, report = await _ask(url, args.timeout)
    except Exception as exc:  # not running, refused, timed out, not JSON
        report = await _database_only()
        report["ready"] = False
        report["problems"].insert(0, f"the bot's web server does not answer at {url} ({type(exc).__name__})")
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_report(report)
        return 2
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return 0 if status == 200 and report.get("ready") else 1


async def _quarantined(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from bot.quarantine import list_quarantined

    async def run(db: Any) -> int:
        rows = await list_quarantined(db, args.channel, args.limit)
        if args.json:
            print(json.dumps([{"id": r.id, "channel": r.channel, "update_key": r.update_key,
                               "received_at": r.received_at.isoformat(), "error": r.error,
                               "payload": r.payload} for r in rows], ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("no quarantined updates")
        for r in rows:
            kinds = ", ".join(k for k in r.payload if k != "update_id")
            print(f"#{r.id} {r.received_at:%Y-%m-%d %H:%M:%S} {r.channel} update {r.update_key} [{kinds}]: {r.error}")
        return 0

    return await with_db(run)


async def _purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.cli.common import with_db
    from bot.quarantine import purge_quarantined

    if args.older_than_days < 0:
        print("--older-than-days must be 0 or more", file=sys.stderr)
        return 2

    async def run(db: Any) -> int:
        n = await purge_quarantined(db, timedelta(days=args.older_than_days))
        print(f"{n} quarantined update(s) older than {args.older_than_days} day(s) deleted")
        return 0

    return await with_db(run)


def add_health_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    h = sub.add_parser("health", help="ask the running bot's /readyz; exit 0 ready, 1 not ready, 2 not answering")
    h.add_argument("--url", help="the bot's web server (default: CDSBOT_HTTP_HOST:CDSBOT_HTTP_PORT)")
    h.add_argument("--timeout", type=float, default=10.0)
    h.add_argument("--json", action="store_true")
    h.set_defaults(fn=_health)
    up = sub.add_parser("updates", help="received updates").add_subparsers(dest="sub", required=True)
    q = up.add_parser("quarantined", help="updates the bot could not read (kept raw, skipped)")
    q.add_argument("--channel", choices=["telegram", "zalo"])
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true")
    q.set_defaults(fn=_quarantined)
    pq = up.add_parser("purge", help="delete quarantined updates older than N days (default 30)")
    pq.add_argument("--older-than-days", type=int, default=30)
    pq.set_defaults(fn=_purge)
