"""Child process for bench.conversation: our bot (BotApp + TelegramChannel) or a bare PTB echo bot,
polling the fake Telegram server (``bare``: the issue's Application + one MessageHandler, PTB defaults).
Prints READY when polling; stops when its stdin closes.

    python -m bench._botproc --kind ours --base-url http://127.0.0.1:PORT/bot --db-url URL \\
        --concurrent 0 --limiter on [--profile-out FILE] [--webhook-port PORT]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sys
from typing import Any

TOKEN = "123456:BENCH-token"


def _concurrency(value: str) -> bool | int:
    if value in ("0", "false", "False", "off"):
        return False
    if value in ("true", "True", "on"):
        return True
    return int(value)


async def _wait_stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(1024):
        pass


def _by_package(stats: Any) -> list[tuple[str, float]]:
    """Own (tottime) seconds grouped by top-level package, from a pstats.Stats."""
    groups: dict[str, float] = {}
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            key = filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        elif "/work/" in filename or filename.startswith(("bot/", "handlers/", "storage/")):
            key = "app:" + filename.rsplit("/", 2)[-2]
        elif filename == "~":
            key = "builtin:" + func.split(" of ")[0].strip("<>{}")[:40]
        else:
            key = "stdlib:" + filename.rsplit("/", 1)[-1].removesuffix(".py")
        groups[key] = groups.get(key, 0.0) + tt
    return sorted(groups.items(), key=lambda kv: -kv[1])


class _SqlStats:
    def __init__(self, *engines: Any) -> None:
        from sqlalchemy import event

        self.n = 0
        self.by: dict[str, int] = {}
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._on)

    def _on(self, _conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        self.n += 1
        shape = " ".join(statement.split())[:90]
        self.by[shape] = self.by.get(shape, 0) + 1


SQL: _SqlStats | None = None


def _lean_experiment() -> None:
    """Upper bound of batching the "delivered" marks (an experiment, not a fix: it drops them): no
    per-reply ``UPDATE outbox SET status='sent'`` transaction. (The other half of the earlier
    experiment, identity.last_seen_at written at most hourly, is in the app now.)"""
    import handlers.dispatch as dispatch

    async def delivered(self: Any, outbox_ids: list[int]) -> None:
        return None

    dispatch.Dispatcher.delivered = delivered  # type: ignore[method-assign]


async def _ours(args: argparse.Namespace) -> None:
    from bench.conversation_hook import SECRET
    from bot.app import BotApp
    from bot.channels.telegram.channel import TelegramChannel
    from bot.config import load_settings
    from handlers.services import Services
    from storage.db import Database

    port = args.webhook_port  # webhook mode: serve /telegram/webhook on this port (bench.conversation_hook)
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", "CDSBOT_HTTP_PORT": str(port or 8080),
                              "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": args.base_url,
                              "CDSBOT_SEND_PACING": args.limiter}, env_file=None)
    db = Database(args.db_url)
    services = Services(db=db, tz=settings.timezone)
    # the channel is built below (PTB's concurrency and the webhook port are the benchmark's choice)
    bot = BotApp.build(dataclasses.replace(settings, telegram_token=None), db=db, services=services)
    global SQL
    SQL = _SqlStats(db.engine, db.hot_engine)
    tg = TelegramChannel(TOKEN, bot.dispatcher, base_url=args.base_url, poll_timeout=args.poll_timeout,
                         concurrent=_concurrency(args.concurrent),  # type: ignore[arg-type]
                         webhook_url=f"http://127.0.0.1:{port}/telegram/webhook" if port else None,
                         webhook_secret=SECRET if port else None, pacing=settings.send_pacing)
    bot.channels.append(tg)
    if port:
        tg.mount(bot.web)
    await bot.start(serve_http=bool(port), background=False)
    print("READY", flush=True)
    try:
        await _wait_stdin_closed()
    finally:
        await bot.stop()


async def _echo(args: argparse.Namespace) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    base = args.base_url.rstrip("/")
    app = (ApplicationBuilder().token(TOKEN).base_url(base).base_file_url(base[:-len("/bot")] + "/file/bot")
           .job_queue(None).concurrent_updates(_concurrency(args.concurrent)).build())

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            q = update.callback_query
            await q.answer()
            await context.bot.send_message(q.from_user.id, f"echo: {q.data}")
        elif update.message is not None and update.message.text:
            await context.bot.send_message(update.message.chat.id, update.message.text)

    app.add_handler(TypeHandler(Update, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=int(args.poll_timeout), poll_interval=0.0,
                                    allowed_updates=["message", "edited_message", "callback_query"])
    print("READY", flush=True)
    try:
        await _wait_stdin_closed()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def _bare(args: argparse.Namespace) -> None:
    """The issue's baseline: PTB ``Application`` + one ``MessageHandler`` replying with the text, PTB's
    default settings (only the fake's URLs set), polling with ``start_polling()``'s defaults."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    base = args.base_url.rstrip("/")
    app = ApplicationBuilder().token(TOKEN).base_url(base).base_file_url(base[:-len("/bot")] + "/file/bot").build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling()
    print("READY", flush=True)
    try:
        await _wait_stdin_closed()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench._botproc")
    p.add_argument("--kind", choices=("ours", "echo", "bare"), required=True)
    p.add_argument("--base-url", required=True)
    p.add_argument("--db-url")
    p.add_argument("--concurrent", default="0", help="PTB concurrent_updates: 0/false, true (256) or N")
    p.add_argument("--limiter", choices=("on", "off"), default="on")
    p.add_argument("--poll-timeout", type=float, default=10)
    p.add_argument("--profile-out")
    p.add_argument("--sql-out", help="write SQL statement counts (JSON) here at exit")
    p.add_argument("--lean", action="store_true", help="hot-path experiment, see _lean_experiment")
    p.add_argument("--webhook-port", type=int, help="webhook mode (inbox on) on this port instead of polling")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    prof: Any = None
    if args.profile_out:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    try:
        if args.lean:
            _lean_experiment()
        asyncio.run({"ours": _ours, "echo": _echo, "bare": _bare}[args.kind](args))
    finally:
        if prof is not None:
            prof.disable()
            import io
            import pstats

            out = io.StringIO()
            st = pstats.Stats(prof, stream=out)
            total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
            out.write(f"Own time by package ({total:.1f} s profiled, includes start-up and idle poll):\n")
            for key, sec in _by_package(st)[:25]:
                out.write(f"  {sec:8.2f} s  {100 * sec / total:5.1f} %  {key}\n")
            out.write("\n")
            st.sort_stats("tottime").print_stats(45)
            st.sort_stats("cumulative").print_stats(60)
            with contextlib.suppress(OSError), open(args.profile_out, "w", encoding="utf-8") as f:
                f.write(out.getvalue())
        if args.sql_out and SQL is not None:
            import json

            from storage.sqlite_inline import STATS

            with contextlib.suppress(OSError), open(args.sql_out, "w", encoding="utf-8") as f:
                json.dump({"statements": SQL.n, "sqlite_inline": STATS, "by_shape": dict(sorted(SQL.by.items(), key=lambda kv: -kv[1]))},
                          f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
