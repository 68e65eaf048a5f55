"""The run path (`cdsbot run` up to polling) does not import the heavy libraries only some commands use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage.db import alembic_config, script_heads, upgrade
from storage.db_url import database_url

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "openpyxl", "docx", "alembic", "holidays", "numpy", "PIL")
# our own modules that only some requests or commands use (the dashboard's exports and charts)
LATER = ("handlers.exports.gather", "handlers.exports.data", "handlers.exports.charts", "handlers.exports.xlsx",
         "handlers.exports.docx")
# on SQLite: the PostgreSQL dialect (~40 ms of start-up) is loaded only where a PostgreSQL statement is built
OTHER_DIALECT = "sqlalchemy.dialects.postgresql"
# APScheduler is not a dependency (reminders/jobs.py schedules the sweeps itself); PTB imports it whenever it
# is installed (an older venv), so the probe makes it unimportable: the run path must not need it.
PROBE = """
import asyncio, json, sys
sys.modules["apscheduler"] = None
import bot.cli, bot.app, bot.channels.telegram.channel, bot.channels.zalo.channel, bot.web.dashboard, handlers.flows, reminders.jobs
import reminders.sweep, storage.log_rollup, storage.among
from bot.app import BotApp
from bot.config import load_settings

async def main():
    settings = load_settings({"DATABASE_URL": sys.argv[1], "TELEGRAM_BOT_TOKEN": "1:x", "ZALO_BOT_TOKEN": "2:y",
                              "CDSBOT_FILES_DIR": sys.argv[2]}, env_file=None)
    bot = BotApp.build(settings)
    await bot.db.upgrade()  # already at the head: no Alembic
    bot.build_outbox()
    await bot.db.dispose()

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""


async def test_run_path_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await upgrade(database_url(url))
    out = subprocess.run([sys.executable, "-c", PROBE, url, str(tmp_path / "files")], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    modules = set(json.loads(out.strip().splitlines()[-1]))
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & set(HEAVY), f"imported on the run path: {sorted(loaded & set(HEAVY))}"
    assert not modules & set(LATER), f"imported on the run path: {sorted(modules & set(LATER))}"
    assert OTHER_DIALECT not in modules, "the PostgreSQL dialect is imported on a SQLite run path"


def test_heads_read_without_alembic_match_alembic() -> None:
    from alembic.script import ScriptDirectory

    assert script_heads() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_run_is_parsed_without_building_every_command() -> None:
    from bot.cli import _parser, core

    args = _parser(only_run=True).parse_args(["run", "--demo"])
    assert args.fn is core.run and args.demo is True
    assert _parser().parse_args(["run"]).fn is core.run  # the whole command line has it too
