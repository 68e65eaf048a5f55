"""Tables the running bot needs: conversation state, processed updates, outbox, reminders, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["AuditLog", "ConversationState", "Outbox", "ProcessedUpdate", "ReminderLog"]


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

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    channel: str
    chat_id: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    error: str | None = None


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
