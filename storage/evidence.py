"""How many evidence files came with unit reports (for review and exports)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Attachment

__all__ = ["evidence_counts"]

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
