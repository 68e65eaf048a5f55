"""A follow-up typed alone ("so với tháng trước", "còn tháng 10 thì sao?") read as the last question asked again
with that comparison or month, as its "Compared with the previous period" choice does: the last question is kept
in the chat state (``KEY``, with its format version and time) beside the answer and its choices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from handlers.ask.detect import words
from handlers.ask.entities import expand, find_period

__all__ = ["KEY", "TTL", "follow_up", "recalled", "remember"]

KEY = "_asked"  # in the chat's conversation-state data (kept by the dispatcher like "_locale")
VERSION = 1
TTL = timedelta(hours=1)  # later, "tháng 10" alone is no longer read as the old question's

_COMPARE = re.compile(
    r"\b(?:(?:so )?(?:voi|sv) (?:thang|ky) truoc|so (?:voi )?cung ky(?: nam (?:truoc|ngoai))?"
    r"|cung ky(?: nam (?:truoc|ngoai))?|so (?:voi )?cung thang nam (?:truoc|ngoai)|cung thang nam (?:truoc|ngoai)"
    r"|tang hay giam|tang giam|compared (?:with|to) (?:the )?(?:previous|last) (?:month|period)"
    r"|(?:vs|than) last month|same month last year)\b")
_FILLER = {"con", "thi", "sao", "the", "vay", "nhe", "a", "nhi", "oi", "and", "what", "about", "how", "in", "for",
           "va", "ra", "nao", "cho", "xem", "then", "is", "it"}


def remember(data: dict[str, Any], text: str, now: datetime) -> None:
    data[KEY] = {"v": VERSION, "q": text, "at": now.isoformat()}


def recalled(data: dict[str, Any], now: datetime) -> str | None:
    """The last question kept in ``data`` while it is fresh, or None (none, too old, or another format)."""
    rec = data.get(KEY)
    if not isinstance(rec, dict) or rec.get("v") != VERSION or not isinstance(rec.get("q"), str):
        return None
    try:
        asked = datetime.fromisoformat(rec["at"])
    except (TypeError, ValueError):
        return None
    return rec["q"] if timedelta(0) <= now - asked <= TTL else None


def follow_up(previous: str, text: str) -> str | None:
    """``previous`` asked again with the comparison or period ``text`` adds, when ``text`` says nothing else
    ("so với tháng trước", "còn tháng 10?", "tháng này so với tháng trước"); None for a question of its own."""
    w = expand(words(text))
    compare = _COMPARE.search(w)
    rest = _COMPARE.sub(" ", w)
    period = find_period(rest)
    if period:
        rest = rest.replace(period, " ", 1)
    if not (compare or period) or set(rest.split()) - _FILLER:
        return None
    before = expand(words(previous))
    kept = _COMPARE.search(before)
    base = _COMPARE.sub(" ", before)
    if period:  # the month asked now replaces the one asked before
        old = find_period(base)
        base = (base.replace(old, " ", 1) if old else base) + " " + period
    said = compare.group(0) if compare else kept.group(0) if kept else ""
    return " ".join(f"{base} {said}".split())
