"""The database URL: read from DATABASE_URL (environment, then `.env`) and mapped to our async drivers."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from storage.errors import ConfigError

__all__ = ["DEFAULT_DB", "configured_url", "database_url"]

DEFAULT_DB = "sqlite:///./data/cdsbot.db"


def configured_url(env_file: str | Path | None = ".env") -> str:
    """The async URL from DATABASE_URL; the process environment wins over `.env` (as in bot.config)."""
    raw = os.environ.get("DATABASE_URL")
    if not raw and env_file and Path(env_file).is_file():
        raw = dotenv_values(env_file).get("DATABASE_URL")
    return database_url(raw or DEFAULT_DB)


def database_url(raw: str) -> str:
    """Map plain `sqlite:///…` / `postgresql://…` URLs to the async drivers we use."""
    raw = raw.strip()
    scheme = raw.split(":", 1)[0].lower()
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        rest = raw.split(":", 1)[1]
        if not rest.startswith("//"):
            raise ConfigError(f"DATABASE_URL: expected sqlite:///path, got {raw!r}")
        return "sqlite+aiosqlite:" + rest
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2"):
        rest = raw.split(":", 1)[1]
        parts = urlsplit(raw)
        if not parts.hostname and not parts.path.strip("/"):
            raise ConfigError(f"DATABASE_URL: no host or database in {_redact(raw)!r}")
        return "postgresql+asyncpg:" + rest
    raise ConfigError(f"DATABASE_URL: unsupported scheme {scheme!r} (use sqlite:/// or postgresql://)")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
