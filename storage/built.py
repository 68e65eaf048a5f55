"""Statements built once for the same inputs and kept: the province view's are large, building them costs more than running them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from storage.calendar.calendar import Period

__all__ = ["ids_key", "kept", "periods_key"]

T = TypeVar("T")
_SIZE = 64  # a dashboard of a few provinces and month counts, the chat's one and two months: far fewer
_KEPT: OrderedDict[Hashable, Any] = OrderedDict()


def kept(key: Hashable, build: Callable[[], T]) -> T:
    """The statement ``build`` makes, built once per ``key`` (every input the statement is made of, values
    included: the same key, the same statement) and kept, the least recently used dropped past ``_SIZE``.
    A kept statement also keeps SQLAlchemy's cache key (computed on its first run), so the compiled form is
    found again without walking it."""
    try:
        stmt = _KEPT[key]
    except KeyError:
        stmt = _KEPT[key] = build()
        if len(_KEPT) > _SIZE:
            _KEPT.popitem(last=False)
        return stmt  # type: ignore[no-any-return]
    _KEPT.move_to_end(key)
    return stmt  # type: ignore[no-any-return]


def ids_key(ids: Iterable[int]) -> tuple[Any, ...]:
    """The ids and how they go into a statement (``storage.among.Ids``: one array on PostgreSQL)."""
    return (getattr(ids, "pg", False), *ids)


def periods_key(periods: Iterable[Period]) -> tuple[Any, ...]:
    """What a statement takes from periods: stream, key, dates and deadline."""
    return tuple((p.stream.name, p.key, p.start, p.end, p.due) for p in periods)
