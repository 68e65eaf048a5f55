"""The run path (`cdsbot run` up to polling) does not import the heavy libraries only some commands use."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from storage.db import alembic_config, script_heads, upgrade
from storage.db_url import database_url
from tests.browser import free_port
from tests.fakes.telegram_api import FakeTelegramApi

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


# Polling mode: users first. What only the web server, the outbox worker, the scheduler or a flow needs is
# loaded once the first getUpdates is on the wire (bot.app.BotApp.start), not before it.
AFTER_FIRST_POLL = ("aiohttp.web", "aiohttp.web_app", "bot.web.dashboard", "bot.web.province_page", "bot.outbox",
                    "reminders.jobs", "reminders.actions", "handlers.flows",
                    "prometheus_client")
# `cdsbot run` as deployed, with every module list taken at the moment a request's bytes reach the socket
# (the stdlib's socket transport watched; nothing of ours replaced) and once more when the process ends.
RUN = """
import atexit, json, sys
from asyncio import selector_events

seen = {}

def _mark(data):
    for method in ("getUpdates", "setWebhook"):
        if method not in seen and f"/{method} ".encode() in data:
            seen[method] = sorted(sys.modules)

transport = selector_events._SelectorSocketTransport
write, writelines = transport.write, transport.writelines

def _write(self, data):
    _mark(bytes(data))
    return write(self, data)

def _writelines(self, chunks):
    chunks = [bytes(c) for c in chunks]
    _mark(b"".join(chunks))
    return writelines(self, chunks)

transport.write, transport.writelines = _write, _writelines
atexit.register(lambda: print(json.dumps(seen | {"end": sorted(sys.modules)})))
from bot.cli import main
sys.exit(main(["run"]))
"""


async def _run_until_served(tmp_path: Path, fake: FakeTelegramApi, first: str, **env: str) -> dict[str, list[str]]:
    """`cdsbot run` until ``first`` reached the fake and /readyz answers ready; the module lists it printed."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await upgrade(database_url(url))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "CDSBOT_HTTP_PORT": str(port), "CDSBOT_FILES_DIR": str(tmp_path / "files"), "PYTHONPATH": str(ROOT),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **env}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", RUN, cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                if proc.returncode is not None:
                    break
                if fake.calls(first):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"no {first} or no ready /readyz in 60 s")
        assert proc.returncode is None, f"cdsbot run exited with {proc.returncode}"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        out, _err = await asyncio.wait_for(proc.communicate(), 30)
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_polling_starts_the_web_server_after_the_first_poll(tmp_path: Path) -> None:
    fake = FakeTelegramApi(token="123:lazy")
    await fake.start()
    try:
        seen = await _run_until_served(tmp_path, fake, "getUpdates")
    finally:
        await fake.stop()
    early = set(seen["getUpdates"]) & set(AFTER_FIRST_POLL)
    assert not early, f"loaded before the first getUpdates: {sorted(early)}"
    assert set(AFTER_FIRST_POLL) <= set(seen["end"])  # then loaded: /readyz answered, the flows are there


async def test_webhook_mode_builds_the_web_server_first(tmp_path: Path) -> None:
    fake = FakeTelegramApi(token="123:lazy")
    await fake.start()
    try:
        seen = await _run_until_served(tmp_path, fake, "setWebhook",
                                       TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram/webhook",
                                       TELEGRAM_WEBHOOK_SECRET="s3cret-lazy")
    finally:
        await fake.stop()
    assert not fake.calls("getUpdates")
    assert {"aiohttp.web", "bot.web.dashboard"} <= set(seen["setWebhook"])  # its routes exist before the webhook
