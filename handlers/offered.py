"""Choices offered outside a conversation (reminders, digests, /xuat, /hanbaocao): remembered per chat, so
typing the number or the words picks them where there are no buttons (Zalo), exactly like a tap."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.engine import matching_choices, resolve_choice
from handlers.messages import Choice, Outgoing
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from locales.textnorm import fold
from storage import hot

__all__ = ["KEY", "OFFER_TTL", "STANDALONE", "add_offer", "record_sent", "typed_offer"]

log = logging.getLogger(__name__)
KEY = "_offered"  # where the record lives in the chat's conversation-state data
OFFER_TTL = timedelta(hours=48)
MAX_OFFERS = 5
# Button payloads routed outside any flow (reminders/actions.py): the only choices worth remembering.
STANDALONE = ("snooze", "leadsent", "provsent", "steersent", "remind")


def _standalone(choices: tuple[Choice, ...]) -> bool:
    return bool(choices) and all(c.payload.partition(":")[0] in STANDALONE for c in choices)


def add_offer(record: dict[str, Any] | None, out: Outgoing, at: datetime, ref: str) -> dict[str, Any] | None:
    """The chat's record after ``out`` was shown: its choices added (the last few messages are kept, so a
    reminder's label still works after a digest came behind it), or None when they belong to a flow (its
    question now holds the numbers the person sees, so older offers no longer apply)."""
    if not _standalone(out.choices):
        return None
    offers = [*(record or {}).get("offers", []),
              {"choices": [[c.label, c.payload] for c in out.choices], "at": at.isoformat(), "ref": ref}]
    return {"offers": offers[-MAX_OFFERS:]}


async def record_sent(conn: AsyncConnection, channel: str, chat_id: str, out: Outgoing, at: datetime,
                      ref: str) -> None:
    """Remember the choices of a proactive message once it has been sent (same transaction as its "sent"
    mark), keeping the chat's conversation as it is; the version check makes a concurrent turn retry."""
    for _attempt in range(5):
        row = await hot.load_state(conn, channel, chat_id)
        if row is None:
            if await hot.insert_state(conn, {"channel": channel, "chat_id": chat_id, "version": 1, "flow": None,
                                             "step": None, "data": {KEY: add_offer(None, out, at, ref)},
                                             "updated_at": at}):
                return
            continue
        data = dict(row.data or {})
        data[KEY] = add_offer(data.get(KEY), out, at, ref)
        # updated_at stays: it measures how long an unfinished conversation has waited for an answer
        if await hot.update_state(conn, row.id, row.version, row.flow, row.step, data, row.updated_at):
            return
    log.warning("could not remember the choices sent to %s chat %s (state kept changing)", channel, chat_id)


async def typed_offer(turn: Turn) -> bool:
    """Read a typed answer to remembered choices. On a match the update becomes that button's tap
    (``turn.incoming.payload``) and False is returned so routing goes on exactly as for a tap; True when
    a reply was given instead (the choices expired, or the words fit several of them).

    A bare number means the list of the last message with choices (the numbers the person sees last);
    words are looked up in the last few such messages, newest first. A sentence matches nothing."""
    msg, record = turn.incoming, turn.offered
    if record is None or turn.person is None or turn.state.flow or msg.payload is not None or msg.media:
        return False
    text = (msg.text or "").strip()
    offers = record.get("offers") or []
    if not text or not offers:
        return False
    pool = offers[-1:] if fold(text).rstrip(".)").isdecimal() else list(reversed(offers))
    entries = [(label, payload, offer["at"]) for offer in pool for label, payload in offer["choices"]]
    pairs = [[label, str(i)] for i, (label, _p, _at) in enumerate(entries)]
    hit = resolve_choice(text, pairs)
    if hit is not None:
        picked = [entries[int(hit)]]
    else:
        picked = []
        for _label, index in matching_choices(text, pairs):
            entry = entries[int(index)]
            if all(entry[1] != other[1] for other in picked):  # the same button in two messages: once
                picked.append(entry)
        if not picked:
            return False  # a sentence, or nothing offered fits: free text as before
    at = max(datetime.fromisoformat(e[2]) for e in picked)
    if turn.now - at > OFFER_TTL:
        turn.reply(_("The choices I sent you at {at} have expired, so nothing was recorded. Type /hanbaocao to "
                     "see what you still owe.", at=fmt_datetime(at, turn.tz)))
        return True
    if len(picked) > 1:
        turn.reply(Outgoing(text=_("Which one do you mean?"), choices=tuple(Choice(e[0], e[1]) for e in picked)))
        return True
    turn.incoming = replace(msg, payload=picked[0][1])
    return False
