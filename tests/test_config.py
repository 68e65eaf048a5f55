"""Configuration: defaults, URL mapping, and one clear line naming the variable for a bad value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.config import load_settings
from storage.calendar.streams import default_streams, dump_streams
from storage.errors import ConfigError


def test_defaults_and_url_mapping() -> None:
    s = load_settings({}, env_file=None)
    assert s.database_url == "sqlite+aiosqlite:///./data/cdsbot.db"
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.zalo_api_base_url == "https://bot-api.zaloplatforms.com/bot"
    assert str(s.timezone) == "Asia/Ho_Chi_Minh" and s.locale == "vi" and not s.has_channels
    assert s.files_dir == "./data/files" and s.max_file_bytes == 10 << 20
    files = load_settings({"CDSBOT_FILES_DIR": "/srv/cdsbot/files", "CDSBOT_MAX_FILE_MB": "2.5"}, env_file=None)
    assert files.files_dir == "/srv/cdsbot/files" and files.max_file_bytes == int(2.5 * (1 << 20))
    pg = load_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}, env_file=None)
    assert pg.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("CDSBOT_LOCALE=en\nTELEGRAM_BOT_TOKEN=1:abc\n")
    s = load_settings({"TELEGRAM_BOT_TOKEN": "2:def"}, env_file=env)
    assert s.locale == "en" and s.telegram_token == "2:def"


@pytest.mark.parametrize(("env", "variable"), [
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
    ({"CDSBOT_TIMEZONE": "Mars/Base"}, "CDSBOT_TIMEZONE"),
    ({"CDSBOT_LOCALE": "fr"}, "CDSBOT_LOCALE"),
    ({"CDSBOT_HTTP_PORT": "http"}, "CDSBOT_HTTP_PORT"),
    ({"TELEGRAM_BOT_TOKEN": "no colon"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.vn/tg"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"ZALO_WEBHOOK_URL": "https://bot.vn/z", "ZALO_WEBHOOK_SECRET": "bad secret!"}, "ZALO_WEBHOOK_SECRET"),
    ({"CDSBOT_STREAMS_FILE": "/nonexistent.json"}, "CDSBOT_STREAMS_FILE"),
    ({"CDSBOT_ZALO_BULK_RATE": "fast"}, "CDSBOT_ZALO_BULK_RATE"),
    ({"CDSBOT_ZALO_BULK_RATE": "0"}, "CDSBOT_ZALO_BULK_RATE"),
    ({"CDSBOT_MAX_FILE_MB": "big"}, "CDSBOT_MAX_FILE_MB"),
    ({"CDSBOT_MAX_FILE_MB": "50"}, "CDSBOT_MAX_FILE_MB"),
])
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env, env_file=None)
    assert str(err.value).startswith(variable)


def test_bad_value_stops_startup_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "run"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "CDSBOT_TIMEZONE": "Nowhere/City"}, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: CDSBOT_TIMEZONE: unknown time zone 'Nowhere/City'"]


def test_streams_file_replaces_the_defaults(tmp_path: Path) -> None:
    streams = default_streams()[:2]
    data = dump_streams(streams)
    data[1]["due_day"] = 25
    f = tmp_path / "streams.json"
    f.write_text(json.dumps(data))
    bot = BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(f)}, env_file=None))
    loaded = bot.services.extra["streams"]
    assert [s.name for s in loaded] == ["village_monthly", "unit_monthly"] and loaded[1].due_day == 25
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x"}]))
    with pytest.raises(ConfigError, match="CDSBOT_STREAMS_FILE"):
        BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(bad)}, env_file=None))
    # a valid stream the bot does not collect (a quarterly unit report) would do nothing: refused at start
    quarterly = {**dump_streams(streams)[1], "name": "unit_quarterly", "frequency": "quarterly", "due_day": 6}
    f.write_text(json.dumps([*data, quarterly]))
    with pytest.raises(ConfigError, match="'unit_quarterly': the bot does not collect such a report"):
        BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(f)}, env_file=None))
    # seed 002's half-year unit report as the units' stream: its periods ("2026-H2") are no months, so every
    # status, /xuat and export would fail ("'2026-H2' is not a monthly period key"): refused at start
    f.write_text(json.dumps([data[0], {**data[1], "frequency": "half_year"}]))
    with pytest.raises(ConfigError, match="'unit_monthly': the bot collects it by month only, not half_year"):
        BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(f)}, env_file=None))
