"""Operator CLI for the outbox's dead letters: `cdsbot outbox failed` and `cdsbot outbox retry`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from storage.db import Database
from storage.models import Outbox, Person

__all__ = ["add_outbox_commands", "failed_rows", "retry_rows"]


async def failed_rows(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """Messages given up on, newest first: who, where, what (start of the text), tries and last error."""
    async with db.session() as s:
        rows = (await s.exec(select(Outbox, Person.name).outerjoin(Person, Person.id == Outbox.person_id)  # type: ignore[arg-type]
                             .where(Outbox.status == "failed").order_by(Outbox.id.desc()).limit(limit))).all()  # type: ignore[union-attr]
    return [{"id": o.id, "person": name, "channel": o.channel, "chat_id": o.chat_id, "key": o.key,
             "attempts": o.attempts, "error": o.error, "created_at": o.created_at.isoformat(),
             "text": str(o.payload.get("text", ""))[:80]} for o, name in rows]


async def retry_rows(db: Database, ids: list[int], now: datetime) -> list[int]:
    """Put failed rows back in the queue with their attempts reset; returns the ids requeued."""
    async with db.transaction() as s:
        res = await s.exec(update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "failed")  # type: ignore[call-overload,union-attr]
                           .values(status="pending", attempts=0, next_attempt_at=now, sending_at=None)
                           .returning(Outbox.id))
        return sorted(res.scalars().all())


async def _failed(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db

    async def run(db: Database) -> int:
        rows = await failed_rows(db, args.limit)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("no failed messages")
        for r in rows:
            who = r["person"] or f"{r['channel']} chat {r['chat_id']}"
            print(f"#{r['id']} {r['created_at'][:16]} {who} via {r['channel']}, {r['attempts']} attempt(s): "
                  f"{r['error']}\n    {r['key'] or 'reply'}: {r['text']}")
        return 0

    return await with_db(run)


async def _retry(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db

    async def run(db: Database) -> int:
        done = await retry_rows(db, args.ids, datetime.now(UTC))
        missing = sorted(set(args.ids) - set(done))
        if done:
            print(f"queued again: {', '.join(f'#{i}' for i in done)} (a running bot sends them within seconds)")
        if missing:
            print(f"not failed messages (nothing done): {', '.join(f'#{i}' for i in missing)}", file=sys.stderr)
        return 0 if not missing else 1

    return await with_db(run)


def add_outbox_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ob = sub.add_parser("outbox", help="messages the bot could not deliver").add_subparsers(dest="sub", required=True)
    f = ob.add_parser("failed", help="list messages given up on (newest first)")
    f.add_argument("--limit", type=int, default=100)
    f.add_argument("--json", action="store_true")
    f.set_defaults(fn=_failed)
    r = ob.add_parser("retry", help="send failed messages again")
    r.add_argument("ids", type=int, nargs="+", metavar="ID")
    r.set_defaults(fn=_retry)
