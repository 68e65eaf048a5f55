"""Channel-neutral message values: what adapters hand in (Incoming) and get back (Outgoing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Capabilities", "Choice", "FileOut", "Incoming", "MediaIn", "Outgoing"]


@dataclass(frozen=True)
class MediaIn:
    """Something other than text that arrived; ``ref`` is the platform file id, URL or "lat,lon".

    Adapters fetch photos and documents into the file store when they arrive: ``key`` is then the
    stored file (storage/blobs.py); ``problem`` says why not ("too_large" or "unavailable")."""

    kind: str  # photo | document | sticker | voice | audio | video | location | other
    ref: str
    caption: str | None = None
    file_name: str | None = None  # as the sender named it: shown, never used as a path
    key: str | None = None
    size: int | None = None  # bytes, when known
    mime: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Incoming:
    channel: str  # telegram | zalo | web
    user_id: str
    chat_id: str
    update_id: str
    received_at: datetime
    text: str | None = None
    payload: str | None = None  # data of a tapped button
    media: tuple[MediaIn, ...] = ()
    display_name: str | None = None
    language_code: str | None = None
    chat_type: str = "private"
    contact_phone: str | None = None
    contact_user_id: str | None = None  # whose contact was shared
    edited: bool = False
    forwarded: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    payload: str


@dataclass(frozen=True)
class FileOut:
    name: str
    data: bytes
    mime: str = "application/octet-stream"
    key: str | None = None  # once kept for the outbox: its key in the file store (storage/blobs.py)


@dataclass(frozen=True)
class Outgoing:
    text: str
    choices: tuple[Choice, ...] = ()
    document: FileOut | None = None
    photo: FileOut | None = None
    request_contact: bool = False  # offer a "share my phone number" button where the channel can
    chat_id: str | None = None  # None: reply to the chat the update came from
    outbox_id: int | None = None  # set by the dispatcher: the durable copy to mark delivered


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show; the core degrades gracefully where it cannot."""

    buttons: bool
    max_text: int
    documents: bool = True
    photo_upload: bool = True
    contact_request: bool = False
    buttons_per_row: int = 2
    extra: dict[str, str] = field(default_factory=dict)
