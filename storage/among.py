"""``column IN (ids)`` for a long list of ids: on PostgreSQL one array parameter (``= ANY``), else an IN list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import any_, literal

from storage.sqlutil import pg_int_array

__all__ = ["Ids", "among"]


class Ids(list[int]):
    """Ids, with whether the statements they go into run on PostgreSQL (``among``): there a list of a hundred
    ids is one parameter, not a hundred that SQLAlchemy renders again for every statement it runs."""

    def __init__(self, ids: Any = (), pg: bool = False) -> None:
        super().__init__(ids)
        self.pg = pg


def among(column: Any, ids: Any) -> Any:
    """``column`` is one of ``ids`` (an ``Ids`` on PostgreSQL: ``= ANY(array)``; anything else: IN)."""
    if getattr(ids, "pg", False):
        return column == any_(literal(list(ids), pg_int_array()))
    return column.in_(ids)
