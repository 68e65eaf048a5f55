"""Tables the running bot needs: conversation state, processed updates, outbox, reminders, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["AuditLog", "ConversationState", "InboxUpdate", "Outbox", "ProcessedUpdate", "QuarantinedUpdate",
           "ReminderLog", "StreamSetting"]


class ConversationState(SQLModel, table=True):
    """One row per (channel, chat): the flow in progress, its step and answers, with a version."""

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    chat_id: str
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    channel: str = Field(primary_key=True)
    update_key: str = Field(primary_key=True)
    processed_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """A message to send; ``key`` makes a proactive send idempotent."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),
                      Index("ix_outbox_chat_status", "channel", "chat_id", "status"))  # per-chat order
    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    channel: str
    chat_id: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = "pending"  # pending | sent | failed (the dead letter, after MAX_ATTEMPTS or a refusal)
    attempts: int = 0  # every failed try counts, whatever the error; ``error`` holds the last one
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    error: str | None = None
    # Set just before the platform call; a pending row with it set was in flight when a worker died.
    sending_at: datetime | None = None


class ReminderLog(SQLModel, table=True):
    """Exactly-once guard: one row per (person, stream, period, stage)."""

    key: str = Field(primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    stream: str
    period: str
    stage: str
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class StreamSetting(SQLModel, table=True):
    """One commune's override of a reporting stream: a full Stream config as JSON (or ``enabled: false``)."""

    __table_args__ = (UniqueConstraint("commune_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    name: str
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")


class InboxUpdate(SQLModel, table=True):
    """A received update kept until it has been handled, for channels that cannot redeliver.

    Zalo's getUpdates has no offset and webhooks are answered before handling: the raw update is
    stored first, deleted once handled, and replayed after a crash (``claimed_until`` has passed)."""

    __table_args__ = (UniqueConstraint("channel", "update_key"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    update_key: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0


class QuarantinedUpdate(SQLModel, table=True):
    """An update the bot could not read, kept raw for inspection (`cdsbot updates quarantined`).

    It is skipped (the poll offset moves past it) so one bad update never blocks the ones behind it."""

    __table_args__ = (UniqueConstraint("channel", "update_key"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    update_key: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str
    received_at: datetime = Field(default_factory=utcnow, index=True)
