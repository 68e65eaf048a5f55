"""Shared, long-lived things a turn may use: database, clock, time zone, catalogues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.db import Database

__all__ = ["Services"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    db: Database
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    default_locale: str = "vi"
    clock: Callable[[], datetime] = _utcnow
    bot_usernames: dict[str, str] = field(default_factory=dict)  # channel → bot username (deep links)
    catalog: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    def activity_catalog(self) -> list[Any]:
        if not self.catalog:
            from handlers.activity.catalog import default_catalog

            self.catalog = list(default_catalog())
        return self.catalog
