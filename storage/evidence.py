"""Evidence files: how many came with unit reports (review, exports), and pruning stored files no record uses."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.blobs import BlobStore
from storage.models import Attachment, ConversationState, Outbox

__all__ = ["Pruned", "evidence_counts", "prune_files"]

_ATTACHMENT = Attachment.__table__  # type: ignore[attr-defined]


async def evidence_counts(session: AsyncSession, report_ids: Iterable[int]
                          ) -> dict[int, dict[tuple[str, int] | None, int]]:
    """Files kept per report: per item ``(kind, ref_id)``, and under ``None`` those for the whole report."""
    ids = list(report_ids)
    out: dict[int, dict[tuple[str, int] | None, int]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = (await session.exec(  # type: ignore[call-overload]
        select(_ATTACHMENT.c.report_id, _ATTACHMENT.c.item_kind, _ATTACHMENT.c.item_ref_id, func.count())
        .where(_ATTACHMENT.c.report_id.in_(ids))
        .group_by(_ATTACHMENT.c.report_id, _ATTACHMENT.c.item_kind, _ATTACHMENT.c.item_ref_id))).all()
    for report_id, kind, ref_id, n in rows:
        out[report_id][(kind, ref_id) if kind and ref_id is not None else None] = n
    return out


_KEY_IN_TEXT = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass(frozen=True)
class Pruned:
    """What `cdsbot files prune` found: files deleted (or that would be) and their bytes, files kept."""

    deleted: list[str]
    freed_bytes: int
    kept: int


async def prune_files(session: AsyncSession, store: BlobStore, older_than_seconds: float,
                      dry_run: bool = False) -> Pruned:
    """Delete stored files that no attachment row names, no open conversation still holds (a photo
    sent during a report that was then cancelled) and no outbox row still waiting to send (a file
    reply). Files younger than ``older_than_seconds`` are kept: a conversation may be writing its row."""
    used = set((await session.exec(select(_ATTACHMENT.c.file_key).where(  # type: ignore[call-overload]
        _ATTACHMENT.c.file_key.is_not(None)))).scalars().all())
    states = ConversationState.__table__  # type: ignore[attr-defined]
    for (data,) in (await session.exec(select(states.c.data))).all():  # type: ignore[call-overload]
        used.update(_KEY_IN_TEXT.findall(json.dumps(data, default=str)))
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    for (payload,) in (await session.exec(select(outbox.c.payload).where(  # type: ignore[call-overload]
            outbox.c.status == "pending"))).all():
        used.update(_KEY_IN_TEXT.findall(json.dumps(payload, default=str)))
    cutoff = time.time() - older_than_seconds
    deleted: list[str] = []
    freed = kept = 0
    for key in store.keys():  # noqa: SIM118  (a BlobStore, not a dict)
        path = store.path(key)
        stat = path.stat()
        if key in used or stat.st_mtime > cutoff:
            kept += 1
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        deleted.append(key)
        freed += stat.st_size
    return Pruned(deleted, freed, kept)
