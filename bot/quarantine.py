"""Updates the bot cannot read: logged, kept raw for inspection, and skipped so the rest keep flowing."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import select

from bot import metrics
from storage.db import Database
from storage.models import QuarantinedUpdate
from storage.sqlutil import insert_ignore

__all__ = ["list_quarantined", "purge_quarantined", "quarantine", "update_key_of"]

log = logging.getLogger(__name__)


def update_key_of(raw: Any, key: Any = None) -> str:
    """The update's own id when it has one, else a digest of its JSON (the same bad update, the same key)."""
    if isinstance(key, int | str) and str(key):
        return str(key)
    blob = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:32]


async def quarantine(db: Database, channel: str, raw: Any, error: BaseException | str, key: Any = None) -> bool:
    """Keep ``raw`` in the quarantine table; False when that update was already there (a redelivery).

    Raises when the database cannot store it: the caller then must not skip the update."""
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    update_key = update_key_of(raw, key)
    payload = raw if isinstance(raw, dict) else {"raw": raw}
    async with db.transaction() as s:
        fresh = await insert_ignore(s, QuarantinedUpdate, {
            "channel": channel, "update_key": update_key, "payload": payload, "error": reason[:1000],
            "received_at": datetime.now(UTC)})
    if fresh:
        metrics.QUARANTINED.labels(channel).inc()
        metrics.UPDATES.labels(channel, "quarantined").inc()
        kinds = sorted(k for k in payload if k not in ("update_id",))[:5]
        log.error("%s update %s cannot be read (%s); kept in quarantine and skipped (fields: %s). "
                  "List them with: cdsbot updates quarantined", channel, update_key, reason[:300], ", ".join(kinds))
    return fresh


async def list_quarantined(db: Database, channel: str | None = None, limit: int = 50) -> list[QuarantinedUpdate]:
    """Newest first."""
    async with db.session() as s:
        q = select(QuarantinedUpdate)
        if channel:
            q = q.where(QuarantinedUpdate.channel == channel)
        q = q.order_by(QuarantinedUpdate.received_at.desc(), QuarantinedUpdate.id.desc()).limit(limit)  # type: ignore[attr-defined,union-attr]
        return list((await s.exec(q)).all())


async def purge_quarantined(db: Database, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete quarantined updates received more than ``older_than`` ago (they hold people's raw
    messages: keep them only as long as someone may inspect them); returns how many."""
    cutoff = (now or datetime.now(UTC)) - older_than
    async with db.transaction() as s:
        result = await s.exec(delete(QuarantinedUpdate).where(QuarantinedUpdate.received_at < cutoff))  # type: ignore[call-overload]
        return int(result.rowcount or 0)
