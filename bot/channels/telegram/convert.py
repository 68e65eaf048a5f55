"""Telegram and our values: PTB updates to Incoming, Outgoing to keyboards, PTB errors to our channel errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.channels.telegram.http import last_status
from handlers.messages import Capabilities, Incoming, MediaIn, Outgoing
from locales.i18n import _
from locales.textcut import shorten
from storage.errors import AnswerUnreadable, ChannelError, RateLimited

__all__ = ["CAPS", "keyboard", "remove_keyboard", "to_incoming", "translate", "unreadable"]

CAPS = Capabilities(buttons=True, max_text=4096, contact_request=True)


def to_incoming(update: Update) -> Incoming | None:
    """Translate one PTB Update into an Incoming, or None for kinds we do not handle."""
    uid = str(update.update_id)
    if update.callback_query is not None:
        q = update.callback_query
        chat = q.message.chat if q.message else None
        return Incoming(channel="telegram", user_id=str(q.from_user.id), chat_id=str(chat.id if chat else q.from_user.id),
                        update_id=uid, received_at=datetime.now(UTC), payload=q.data or "",
                        display_name=q.from_user.full_name, language_code=q.from_user.language_code,
                        chat_type=chat.type if chat else "private")
    msg = update.message or update.edited_message
    if msg is None or msg.from_user is None:
        return None
    media = _media(msg)
    contact = msg.contact
    return Incoming(
        channel="telegram", user_id=str(msg.from_user.id), chat_id=str(msg.chat.id), update_id=uid,
        received_at=msg.date or datetime.now(UTC), text=msg.text or None, media=tuple(media),
        display_name=msg.from_user.full_name, language_code=msg.from_user.language_code,
        chat_type=msg.chat.type, contact_phone=contact.phone_number if contact else None,
        contact_user_id=str(contact.user_id) if contact and contact.user_id else None,
        edited=update.edited_message is not None, forwarded=msg.forward_origin is not None)


def _media(msg: Message) -> list[MediaIn]:
    """Each kind as what it is: photos and documents (fetched later), stickers, voice, audio, video, places."""
    media: list[MediaIn] = []
    if msg.photo:
        best = msg.photo[-1]  # the largest size Telegram made
        media.append(MediaIn("photo", best.file_id, msg.caption, size=best.file_size, mime="image/jpeg"))
    if msg.document:
        doc = msg.document
        media.append(MediaIn("document", doc.file_id, msg.caption, doc.file_name, size=doc.file_size,
                             mime=doc.mime_type))
    if msg.sticker:
        media.append(MediaIn("sticker", msg.sticker.file_id))
    if msg.voice:
        media.append(MediaIn("voice", msg.voice.file_id, msg.caption))
    if msg.audio:
        media.append(MediaIn("audio", msg.audio.file_id, msg.caption))
    if msg.video or msg.video_note:
        video = msg.video or msg.video_note
        media.append(MediaIn("video", video.file_id if video else "", msg.caption))
    if msg.location:
        media.append(MediaIn("location", f"{msg.location.latitude},{msg.location.longitude}"))
    return media


def keyboard(out: Outgoing) -> Any:
    if out.request_contact:
        return ReplyKeyboardMarkup([[KeyboardButton(_("Share my phone number"), request_contact=True)]],
                                   one_time_keyboard=True, resize_keyboard=True)
    if out.choices:
        rows, row = [], []
        for c in out.choices:
            row.append(InlineKeyboardButton(shorten(c.label, 64), callback_data=c.payload[:64]))
            if len(row) == CAPS.buttons_per_row or len(c.label) > 20:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        return InlineKeyboardMarkup(rows)
    return None


def translate(exc: TelegramError) -> ChannelError:
    if isinstance(exc, RetryAfter):
        ra = exc.retry_after
        return RateLimited(str(exc), float(ra.total_seconds() if hasattr(ra, "total_seconds") else ra))
    if isinstance(exc, Forbidden):
        return ChannelError(f"telegram: forbidden ({exc.message})", retryable=False, code=403)
    if isinstance(exc, InvalidToken):
        return ChannelError("telegram: invalid token", retryable=False, code=401)
    if isinstance(exc, BadRequest):
        return ChannelError(f"telegram: bad request ({exc.message})", retryable=False, code=400)
    if isinstance(exc, TimedOut):
        return ChannelError("telegram: no answer in time (TimedOut; may have been delivered)", retryable=True)
    if isinstance(exc, NetworkError):  # PTB's error for 5xx answers too
        status = last_status.get()
        where = f"HTTP {status}" if status else "network problem"
        return ChannelError(f"telegram: {where} ({exc.__class__.__name__}: {exc.message})", retryable=True,
                            code=status)
    if exc.message == "Invalid server response":  # PTB: the body is not JSON
        status = last_status.get()
        return AnswerUnreadable(f"telegram: HTTP {status} with an answer that cannot be read"
                                + (" (may have been delivered)" if status and status < 300 else ""),
                                accepted=False, code=status)
    return ChannelError(f"telegram: {exc.__class__.__name__} ({exc.message})", retryable=True)


def unreadable(method: str, exc: Exception) -> ChannelError:
    """PTB raised a foreign error (KeyError, TypeError …) reading a send's answer.

    After an HTTP 2xx the platform has created the message (the answer lacks ``result``, or holds a shape
    PTB cannot parse): it counts as delivered and is not sent again — resending is what made people get
    the same message over and over. Without a 2xx answer nothing was accepted: retried."""
    status = last_status.get()
    accepted = status is not None and 200 <= status < 300
    reason = f"{exc.__class__.__name__}: {exc}"[:120]
    if accepted:
        return AnswerUnreadable(f"telegram: {method} accepted (HTTP {status}) but its answer could not be read "
                                f"({reason})", accepted=True, code=status)
    return ChannelError(f"telegram: {method} failed before an answer ({reason})", retryable=True)


def remove_keyboard() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()
