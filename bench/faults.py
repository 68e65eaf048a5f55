"""Polling under injected faults, with the production backoff: sent, lost, doubled, time to recover.

Runs the real bot in-process (PTB or the Zalo client) against the fake servers on SQLite; 10 people
(5 on Zalo) write as soon as the bot has hit the fault; ``recover_s`` runs from then until the last of
them is answered. ``python -m bench.faults`` prints one JSON line per fault."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import BotApp
from bot.config import load_settings
from bot.health import health_of
from handlers.services import Services
from storage.db import Database, upgrade
from tests.fakes.bad_updates import (
    callback_with_empty_markup,
    my_chat_member_jan_2025,
    zalo_update_without_ids,
)
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.zalo_api import HTML_502, FakeZaloApi, text_update

TG_TOKEN, ZALO_TOKEN = "123456:BENCH-token", "7420517352185846210:zalo-BENCH"
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
POLL_TIMEOUT = 2  # long-poll seconds (production uses 30; a slow answer then costs 30 + 5 s per call)


async def _db(tmp: Path, name: str) -> Database:
    url = f"sqlite+aiosqlite:///{tmp / name}.db"
    await upgrade(url)
    return Database(url)


async def _until(cond: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            return False
        await asyncio.sleep(0.02)
    return True


async def telegram_case(tmp: Path, name: str, inject: Callable[[FakeTelegramApi], None], *, users: int = 10,
                        bad: bool = False) -> dict[str, Any]:
    fake = FakeTelegramApi(token=TG_TOKEN)
    base = await fake.start()
    db = await _db(tmp, f"tg_{name}")
    env = {"DATABASE_URL": "sqlite:///unused.db", "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": base}
    settings = load_settings(env, env_file=None)

    def build() -> BotApp:
        return BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone), poll_timeout=POLL_TIMEOUT)

    bot = build()
    loop = asyncio.get_running_loop()
    ids = list(range(7001, 7001 + users))
    try:
        if bad:  # the bad updates are pending when the bot starts (as after an outage or a redeploy)
            for i, uid in enumerate(ids):
                fake.queue(fake.message(uid, "/trogiup"))
                if i == 3:
                    fake.queue(my_chat_member_jan_2025(fake.bot_user()))
                if i == 6:
                    fake.queue(callback_with_empty_markup(fake.callback(uid, "menu", message_id=3)))
            t0 = loop.time()
            await bot.start(serve_http=False, background=False)
        else:
            await bot.start(serve_http=False, background=False)
            health = health_of(bot.services).channels["telegram"]
            await _until(lambda: health.last_ok is not None, 10)
            inject(fake)
            if name != "none":  # people write once the bot has actually hit the fault
                await _until(lambda: health.last_error is not None, 60)
            t0 = loop.time()
            for uid in ids:
                fake.queue(fake.message(uid, "/trogiup"))
        answered = await _until(lambda: len({m.chat_id for m in fake.sent}) >= users, 180)
        recover = loop.time() - t0
        await asyncio.sleep(1.0)  # late doubles would show here
        await bot.stop()
        bot = build()  # and once more after a restart: nothing is answered again
        await bot.start(serve_http=False, background=False)
        await asyncio.sleep(POLL_TIMEOUT + 0.5)
    finally:
        await bot.stop()
        await fake.stop()
        await db.dispose()
    per_chat = Counter(int(m.chat_id) for m in fake.sent)
    return {"channel": "telegram", "fault": name, "people": users, "answered": sum(1 for u in ids if per_chat[u]),
            "lost": sum(1 for u in ids if not per_chat[u]), "doubled": sum(1 for u in ids if per_chat[u] > 1),
            "recover_s": round(recover, 1) if answered else None}


async def zalo_case(tmp: Path, name: str, inject: Callable[[FakeZaloApi], None], *, users: int = 5,
                    bad: bool = False) -> dict[str, Any]:
    fake = FakeZaloApi(ZALO_TOKEN, max_poll_wait=POLL_TIMEOUT)
    runner = web.AppRunner(fake.app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/bot"
    db = await _db(tmp, f"zalo_{name}")
    env = {"DATABASE_URL": "sqlite:///unused.db", "ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_API_BASE_URL": fake.base_url}
    settings = load_settings(env, env_file=None)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone), poll_timeout=POLL_TIMEOUT)
    loop = asyncio.get_running_loop()
    ids = [f"u{i:02d}" for i in range(users)]
    try:
        await bot.start(serve_http=False, background=False)
        health = health_of(bot.services).channels["zalo"]
        await _until(lambda: health.last_ok is not None, 10)
        inject(fake)
        if not bad and name != "none":  # people write once the bot has actually hit the fault
            await _until(lambda: health.last_error is not None, 60)
        t0 = loop.time()
        for i, uid in enumerate(ids):
            fake.queue_update(text_update(uid, "/trogiup"))
            if bad and i == 2:
                fake.queue_update(zalo_update_without_ids("u-bad"))
        answered = await _until(lambda: len({m["chat_id"] for m in fake.sent_messages}) >= users, 180)
        recover = loop.time() - t0
        await asyncio.sleep(1.0)
    finally:
        await bot.stop()
        await runner.cleanup()
        await db.dispose()
    per_chat = Counter(m["chat_id"] for m in fake.sent_messages)
    return {"channel": "zalo", "fault": name, "people": users, "answered": sum(1 for u in ids if per_chat[u]),
            "lost": sum(1 for u in ids if not per_chat[u]), "doubled": sum(1 for u in ids if per_chat[u] > 1),
            "recover_s": round(recover, 1) if answered else None}


async def main() -> list[dict[str, Any]]:
    logging.basicConfig(level=logging.CRITICAL)
    results = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tg: list[tuple[str, Callable[[FakeTelegramApi], None], bool]] = [
            ("none", lambda f: None, False),
            ("409 x3", lambda f: f.fail_next("getUpdates", 409, CONFLICT, times=3), False),
            ("502 html x3", lambda f: f.fail_raw("getUpdates", 502, "<html>502 Bad Gateway</html>", times=3), False),
            ("200 not json x3", lambda f: f.fail_raw("getUpdates", 200, "<html>maintenance</html>", times=3), False),
            ("slow answer x2", lambda f: f.fail_raw("getUpdates", 200, '{"ok":true,"result":[]}',
                                                    content_type="application/json", times=2, stall=10), False),
            ("2 unreadable updates in the batch, pending at start", lambda f: None, True),
        ]
        for name, inject, bad in tg:
            results.append(await telegram_case(tmp, name.split(",")[0].replace(" ", "_"), inject, bad=bad))
            results[-1]["fault"] = name
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        zl: list[tuple[str, Callable[[FakeZaloApi], None], bool]] = [
            ("none", lambda f: None, False),
            ("500 x3", lambda f: f.fail_next("getUpdates", 500, times=3), False),
            ("502 html x3", lambda f: f.fail_next("getUpdates", 502, body=HTML_502, http_status=502, times=3), False),
            ("slow answer x2", lambda f: f.fail_next("getUpdates", None, delay=POLL_TIMEOUT + 12, times=2), False),
            ("1 unreadable update among them", lambda f: None, True),
        ]
        for name, inject, bad in zl:
            results.append(await zalo_case(tmp, name.split(" ")[0], inject, bad=bad))
            results[-1]["fault"] = name
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return results


if __name__ == "__main__":
    asyncio.run(main())
