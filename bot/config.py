"""Configuration from environment variables and an optional `.env` file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from storage.db_url import DEFAULT_DB, database_url
from storage.errors import ConfigError

__all__ = ["Settings", "default_base_url", "load_settings"]

SUPPORTED_LOCALES = ("vi", "en")


@dataclass(frozen=True)
class Settings:
    """Everything the process needs to know about its environment."""

    database_url: str
    telegram_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    zalo_token: str | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    public_url: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    locale: str = "vi"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    streams_file: str | None = None
    holidays_file: str | None = None
    zalo_bulk_rate: float = 5.0  # proactive Zalo sends per second (replies are not held back by it)
    files_dir: str = "./data/files"  # evidence file store (photos and documents received)
    max_file_bytes: int = 10 << 20  # largest file accepted as evidence
    send_pacing: bool = True  # off only against a Bot API on this machine (benchmarks): see _send_pacing

    @property
    def has_channels(self) -> bool:
        return bool(self.telegram_token or self.zalo_token)


def default_base_url(public_url: str | None, host: str, port: int) -> str:
    """CDSBOT_PUBLIC_URL when set, else the local server (a wildcard bind address becomes 127.0.0.1)."""
    if public_url:
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _http_url(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return value


def _secret(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not (1 <= len(value) <= 256) or not all(c.isalnum() or c in "_-" for c in value):
        raise ConfigError(f"{name}: use 1-256 characters A-Z, a-z, 0-9, _ or -")
    return value


def _token(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if ":" not in value or any(c.isspace() for c in value):
        raise ConfigError(f"{name}: a bot token looks like '<digits>:<secret>'")
    return value


def load_settings(env: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings; the process environment wins over `.env`. Raises ConfigError on bad values."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if env is None else env)
    get = values.get

    tz_name = get("CDSBOT_TIMEZONE") or "Asia/Ho_Chi_Minh"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"CDSBOT_TIMEZONE: unknown time zone {tz_name!r}") from exc
    locale = (get("CDSBOT_LOCALE") or "vi").strip().lower()
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"CDSBOT_LOCALE: use one of {', '.join(SUPPORTED_LOCALES)}, got {locale!r}")
    port_raw = get("CDSBOT_HTTP_PORT") or "8080"
    if not port_raw.isdigit() or not 0 <= int(port_raw) < 65536:
        raise ConfigError(f"CDSBOT_HTTP_PORT: expected a port number, got {port_raw!r}")
    tg_webhook = _http_url("TELEGRAM_WEBHOOK_URL", get("TELEGRAM_WEBHOOK_URL"))
    tg_secret = _secret("TELEGRAM_WEBHOOK_SECRET", get("TELEGRAM_WEBHOOK_SECRET"))
    if tg_webhook and not tg_secret:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set")
    zalo_webhook = _http_url("ZALO_WEBHOOK_URL", get("ZALO_WEBHOOK_URL"))
    zalo_secret = _secret("ZALO_WEBHOOK_SECRET", get("ZALO_WEBHOOK_SECRET"))
    if zalo_webhook and not zalo_secret:
        raise ConfigError("ZALO_WEBHOOK_SECRET: required when ZALO_WEBHOOK_URL is set")
    bulk_raw = get("CDSBOT_ZALO_BULK_RATE") or "5"
    try:
        zalo_bulk_rate = float(bulk_raw)
    except ValueError:
        zalo_bulk_rate = 0.0
    if not 0 < zalo_bulk_rate <= 30:
        raise ConfigError(f"CDSBOT_ZALO_BULK_RATE: expected messages per second between 0 and 30, got {bulk_raw!r}")
    max_mb_raw = get("CDSBOT_MAX_FILE_MB") or "10"
    try:
        max_mb = float(max_mb_raw)
    except ValueError:
        max_mb = 0.0
    if not 0 < max_mb <= 20:  # Telegram bots cannot download more than 20 MB
        raise ConfigError(f"CDSBOT_MAX_FILE_MB: expected megabytes between 0 and 20, got {max_mb_raw!r}")
    tg_base = _http_url("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL")) or "https://api.telegram.org/bot"
    zalo_base = _http_url("ZALO_API_BASE_URL", get("ZALO_API_BASE_URL")) or "https://bot-api.zaloplatforms.com/bot"
    return Settings(
        database_url=database_url(get("DATABASE_URL") or DEFAULT_DB),
        telegram_token=_token("TELEGRAM_BOT_TOKEN", get("TELEGRAM_BOT_TOKEN")),
        telegram_api_base_url=tg_base,
        telegram_webhook_url=tg_webhook,
        telegram_webhook_secret=tg_secret,
        zalo_token=_token("ZALO_BOT_TOKEN", get("ZALO_BOT_TOKEN")),
        zalo_api_base_url=zalo_base,
        zalo_webhook_url=zalo_webhook,
        zalo_webhook_secret=zalo_secret,
        public_url=_http_url("CDSBOT_PUBLIC_URL", get("CDSBOT_PUBLIC_URL")),
        timezone=tz,
        locale=locale,
        http_host=get("CDSBOT_HTTP_HOST") or "127.0.0.1",
        http_port=int(port_raw),
        streams_file=_file("CDSBOT_STREAMS_FILE", get("CDSBOT_STREAMS_FILE")),
        holidays_file=_file("CDSBOT_HOLIDAYS_FILE", get("CDSBOT_HOLIDAYS_FILE")),
        zalo_bulk_rate=zalo_bulk_rate,
        files_dir=get("CDSBOT_FILES_DIR") or "./data/files",
        max_file_bytes=int(max_mb * (1 << 20)),
        send_pacing=_send_pacing(get("CDSBOT_SEND_PACING"), tg_base, zalo_base, get("TELEGRAM_BOT_TOKEN"),
                                 get("ZALO_BOT_TOKEN")),
    )


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _send_pacing(value: str | None, tg_base: str, zalo_base: str, tg_token: str | None,
                 zalo_token: str | None) -> bool:
    """``CDSBOT_SEND_PACING``: on (default) or off. Off sends as fast as the API answers, which the real
    Telegram and Zalo would punish, so it is refused unless every API the bot talks to is on loopback."""
    raw = (value or "on").strip().lower()
    if raw in ("on", "1", "true", "yes"):
        return True
    if raw not in ("off", "0", "false", "no"):
        raise ConfigError(f"CDSBOT_SEND_PACING: use on or off, got {value!r}")
    checked = [(n, u) for n, u, t in (("TELEGRAM_API_BASE_URL", tg_base, tg_token),
                                      ("ZALO_API_BASE_URL", zalo_base, zalo_token)) if t]
    for name, url in checked or [("TELEGRAM_API_BASE_URL", tg_base), ("ZALO_API_BASE_URL", zalo_base)]:
        if urlsplit(url).hostname not in _LOOPBACK:
            raise ConfigError(f"CDSBOT_SEND_PACING=off is only allowed against a local Bot API "
                              f"(127.0.0.1, localhost or ::1); {name} is {url!r}")
    return False


def _file(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if not Path(value).is_file():
        raise ConfigError(f"{name}: no such file {value!r}")
    return value
