"""The deployment's corrections to the public-holiday calendar (shared by every worker)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["HolidayOverride"]


class HolidayOverride(SQLModel, table=True):
    """One day the operator corrected: ``holiday`` (a day off the package lacks, e.g. the Government's
    Tết days) or ``working`` (a package holiday the Government moved: a working day after all)."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    kind: str  # "holiday" | "working"
    name: str = ""
    updated_at: datetime = Field(default_factory=utcnow)
