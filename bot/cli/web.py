"""Web CLI commands: `cdsbot web link` prints a signed, expiring login link to the lead-office dashboard
(``--commune``) or to the province page for the province office (``--province``)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

__all__ = ["add_web_commands"]

MAX_DAYS = 90


async def _link(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from bot.config import default_base_url, load_settings
    from bot.web.access import province_login_url
    from bot.web.dashboard import load_secret, login_url
    from storage.db import Database
    from storage.province import require_province
    from storage.units import require_commune

    if not 0 < args.days <= MAX_DAYS:
        print(f"error: --days must be more than 0 and at most {MAX_DAYS}", file=sys.stderr)
        return 2
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        print(f"error: --base-url must be an http(s) URL, got {args.base_url!r}", file=sys.stderr)
        return 2
    settings = load_settings()

    async def run(db: Database) -> int:
        async with db.session() as s:
            if args.province:
                place = await require_province(s, args.province)
            else:
                place = await require_commune(s, args.commune)
        expires = datetime.now(UTC) + timedelta(days=args.days)
        base = args.base_url or default_base_url(settings.public_url, settings.http_host, settings.http_port)
        secret = load_secret(settings.database_url)
        link = province_login_url if args.province else login_url
        url = link(base, secret, place.id, expires)  # type: ignore[arg-type]
        if args.json:
            kind = "province" if args.province else "commune"
            print(json.dumps({"url": url, kind: place.name, "expires_at": expires.isoformat()}, ensure_ascii=False))
        else:
            local = expires.astimezone(settings.timezone)
            print(f"Dashboard link for {place.name} (valid until {local:%d/%m/%Y %H:%M}):\n{url}")
        return 0

    return await with_db(run)


def add_web_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    web = sub.add_parser("web", help="the web dashboard").add_subparsers(dest="sub", required=True)
    ln = web.add_parser("link", help="print a signed login link to the lead-office dashboard (--commune) or the "
                                     "province page (--province, read-only, that province's communes only)")
    which = ln.add_mutually_exclusive_group(required=True)
    which.add_argument("--commune")
    which.add_argument("--province")
    ln.add_argument("--days", type=float, default=7, help="days the link stays valid (default 7)")
    ln.add_argument("--base-url", help="address people open (default CDSBOT_PUBLIC_URL or the local server)")
    ln.add_argument("--json", action="store_true")
    ln.set_defaults(fn=_link)
