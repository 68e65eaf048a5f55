"""Zalo Bot API data: updates read into ZaloUpdate and Incoming, long text split into parts that fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.messages import Incoming, MediaIn
from storage.errors import ChannelError

__all__ = ["MAX_TEXT", "RECOGNISED", "UNSUPPORTED", "ZaloUpdate", "message_id_of", "parse_update", "split_text",
           "to_incoming"]

MAX_TEXT = 2000  # characters per sendMessage text and per sendPhoto caption
UNSUPPORTED = "message.unsupported.received"
RECOGNISED = {"message.voice.received": "voice", "message.audio.received": "audio",
              "message.video.received": "video", "message.location.received": "location"}  # not in the docs


@dataclass(frozen=True)
class ZaloUpdate:
    """One inbound Bot API event, flattened; ``raw`` keeps the unwrapped update as received."""

    event_name: str
    message_id: str
    chat_id: str
    chat_type: str
    user_id: str
    display_name: str | None
    text: str | None
    photo_url: str | None
    caption: str | None
    sticker: str | None
    date: datetime
    is_bot: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def to_incoming(update: ZaloUpdate) -> Incoming | None:
    """Translate one parsed Zalo update into an Incoming; None for the bot's own echoes and empty events."""
    if update.is_bot:
        return None
    media: list[MediaIn] = []
    if update.photo_url:  # a CDN link that expires: fetched into the file store before handling
        media.append(MediaIn("photo", update.photo_url, update.caption))
    kind = RECOGNISED.get(update.event_name)
    if kind and not update.photo_url:  # voice and the like are recognised, never taken for a photo
        media.append(MediaIn(kind, str(update.raw.get("message", {}).get("url") or ""), update.caption))
    if update.sticker or update.event_name == "message.sticker.received":
        ref = update.sticker or str(update.raw.get("message", {}).get("url") or "")
        media.append(MediaIn("sticker", ref))
    if update.text is None and not media:
        return None
    return Incoming(
        channel="zalo",
        user_id=update.user_id,
        chat_id=update.chat_id,
        update_id=update.message_id,
        received_at=update.date,
        text=update.text if update.text and update.text.strip() else None,
        media=tuple(media),
        display_name=update.display_name,
        chat_type="private" if update.chat_type == "PRIVATE" else "group",
    )


def message_id_of(raw: Any) -> str | None:
    """The message id inside a raw Zalo update, when there is one (the quarantine key)."""
    message = raw.get("message") if isinstance(raw, dict) else None
    mid = message.get("message_id") if isinstance(message, dict) else None
    return str(mid) if isinstance(mid, str | int) and str(mid) else None


# -- text splitting ------------------------------------------------------------------------------


def _units(text: str) -> int:
    """Length in UTF-16 code units (how a JS/Java server counts; an emoji counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> int:
    """Largest n such that ``text[:n]`` is at most ``limit`` UTF-16 units."""
    n = min(len(text), limit)
    while n > 0 and _units(text[:n]) > limit:
        n -= max(1, (_units(text[:n]) - limit) // 2)
    return n


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` chars: at a paragraph break in the second half of
    a part, else at the last line break, else at the last space, else hard. The break characters are
    dropped; a blank or empty text gives ``[]``."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        n = max(1, _fit(rest, limit))
        window = rest[: n + 1]  # a break right after the limit still yields a full part
        para = window.rfind("\n\n")
        line = window.rfind("\n")
        space = window.rfind(" ")
        if para >= max(1, n // 2):
            head, rest = rest[:para], rest[para:]
        elif line > 0:
            head, rest = rest[:line], rest[line + 1 :]
        elif space > 0:
            head, rest = rest[:space], rest[space + 1 :]
        else:
            head, rest = rest[:n], rest[n:]
        head, rest = head.rstrip(), rest.lstrip("\n")
        if head:
            parts.append(head)
    if rest.strip():
        parts.append(rest)
    return parts


# -- update parsing ------------------------------------------------------------------------------


def parse_update(raw: Any) -> ZaloUpdate:
    """Flatten a getUpdates result or webhook body (bare, or wrapped in ``{ok, result}``)."""
    update = raw
    if isinstance(raw, dict) and "event_name" not in raw and "result" in raw:
        if raw.get("ok") is False:
            raise ChannelError("Zalo update: envelope says ok=false", code=400)
        update = raw["result"]
    if not isinstance(update, dict):
        raise ChannelError("Zalo update: body is not a JSON object", code=400)
    event = update.get("event_name")
    message = update.get("message")
    if not isinstance(event, str) or not event:
        raise ChannelError("Zalo update: missing event_name", code=400)
    if not isinstance(message, dict):
        raise ChannelError(f"Zalo update {event}: missing message object", code=400)
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    message_id = _id(message.get("message_id"))
    chat_id = _id(chat.get("id")) or _id(sender.get("id"))
    if not message_id or not chat_id:
        raise ChannelError(f"Zalo update {event}: missing message_id or chat.id", code=400)
    photo = message.get("photo_url") or message.get("photo")
    return ZaloUpdate(
        event_name=event,
        message_id=message_id,
        chat_id=chat_id,
        chat_type=str(chat.get("chat_type") or "PRIVATE").upper(),
        user_id=_id(sender.get("id")) or chat_id,
        display_name=_text(sender.get("display_name")) or _text(sender.get("name")),
        text=_text(message.get("text")),
        photo_url=photo if isinstance(photo, str) and photo else None,
        caption=_text(message.get("caption")),
        sticker=_id(message.get("sticker")),
        date=_date(message.get("date")),
        is_bot=sender.get("is_bot") is True,
        raw=update,
    )


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _date(value: Any) -> datetime:
    """Epoch milliseconds (seconds if the number is too small to be ms) → aware UTC; now if absent."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return datetime.now(UTC)
    seconds = number / 1000 if number > 1e11 else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.now(UTC)
