"""Reminder sweep at province scale: plan, claim + queue, duplicates, peak RSS, and the outbox drain.

    .venv/bin/python -m bench.sweep --db sqlite --scale 16      # 16× = 100 communes, 21,500 people
    .venv/bin/python -m bench.sweep --db postgresql --scale 16 --profile

At the generator's clock (Wed 16 Dec 2026 08:00, "3 days left" for December's reports) it times
``plan_sweep`` (everything a sweep would send) and ``run_sweep`` (claim each reminder in the
reminder log and queue it in the outbox, one transaction, ``CLAIM_BATCH`` claims per multi-row
insert), then runs two sweeps at once at the
same moment (they must queue nothing), and checks outbox/reminder-log for duplicates. It then
does the same at the overdue moment (Mon 21 Dec 08:00: "overdue" plus the lead offices' digests).
Last, the outbox worker drains to the fake Telegram server for a few seconds, as shipped (the
channel's rate limiter, 30 msg/s) and with a pass-through limiter, to show the worker's own ceiling.
Targets: planning < 2 s and peak RSS < 250 MB for 20,000 people."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import select

import reminders.sweep as sweep_mod
from bench.common import (
    Profile,
    QueryCounter,
    add_common_args,
    current_rss_mb,
    gen_config,
    log_sql_top,
    peak_rss_mb,
    prepare,
    record_result,
)
from bench.generate import BENCH_NOW, TZ
from bot.app import BotApp
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from storage.models import Outbox, Person, ReminderLog

__all__ = ["bench_sweep", "main", "run"]

OVERDUE_AT = datetime(2026, 12, 21, 8, 0, tzinfo=TZ)
TARGET_PLAN_S = 2.0
TARGET_RSS_MB = 250.0
TOKEN = "123456:BENCH-token"


class VmSteps:
    """SQLite's own work as virtual-machine instructions (a progress handler on each connection of the engine,
    called every ``EVERY``): unlike wall or CPU time it does not move with the load of a shared machine.
    ``n`` is None on PostgreSQL."""

    EVERY = 1000

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.ticks = 0
        self.sqlite = engine.dialect.name == "sqlite"
        if self.sqlite:
            event.listen(engine.sync_engine, "connect", self._connect)

    def _tick(self) -> int:
        self.ticks += 1
        return 0

    def _connect(self, dbapi_conn: Any, _record: Any) -> None:
        from sqlalchemy.util.concurrency import await_

        await_(dbapi_conn._connection.set_progress_handler(self._tick, self.EVERY))  # in aiosqlite's thread

    @property
    def n(self) -> int | None:
        return self.ticks * self.EVERY if self.sqlite else None


def _bot(db: Database, clock: list[datetime], extra: dict[str, str] | None = None) -> BotApp:
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db", **(extra or {})}, env_file=None)
    services = Services(db=db, tz=TZ, clock=lambda: clock[0])
    return BotApp.build(settings, db=db, services=services, poll_timeout=1)


async def _moment(bot: BotApp, now: datetime, counter: QueryCounter, steps: VmSteps, profile: bool, label: str,
                  log: Any, plan_repeats: int = 1) -> dict[str, Any]:
    db, services = bot.db, bot.services
    plan_times, plan_cpu = [], []
    planned: list[Any] = []
    prof = Profile(profile)
    counter.reset()
    q0, v0 = counter.n, steps.ticks
    for i in range(max(1, plan_repeats)):
        t, c = time.perf_counter(), time.process_time()
        with prof if i == 0 else contextlib.nullcontext():
            async with db.session() as s:
                planned = await sweep_mod.plan_sweep(s, services, now)
        plan_times.append(time.perf_counter() - t)
        plan_cpu.append(time.process_time() - c)
        if i == 0:
            plan_sql, plan_steps = counter.n - q0, (steps.ticks - v0) * steps.EVERY
    plan_top = counter.top()
    log_sql_top(log, f"plan_sweep at {now:%d %b %H:%M}", plan_top, 4)
    reachable = [p for p in planned if p.channel is not None]
    stages = Counter(p.stage for p in planned)

    counter.reset()
    q0, v0 = counter.n, steps.ticks
    prof_run = Profile(profile)
    t, c = time.perf_counter(), time.process_time()
    with prof_run:
        queued = await sweep_mod.run_sweep(bot, now)
    run_s = time.perf_counter() - t
    run_cpu = time.process_time() - c  # all threads (aiosqlite's too): steadier than wall time on a shared machine
    run_sql = counter.n - q0
    run_steps = (steps.ticks - v0) * steps.EVERY if steps.sqlite else None
    run_top = counter.top()
    log_sql_top(log, f"run_sweep at {now:%d %b %H:%M}", run_top, 4)

    t = time.perf_counter()
    again = await asyncio.gather(sweep_mod.run_sweep(bot, now), sweep_mod.run_sweep(bot, now))  # two workers at once
    again_s = time.perf_counter() - t
    run_calls = prof_run.calls()
    out = {
        "run_calls": run_calls,
        "planned": len(planned), "reachable": len(reachable), "stages": dict(stages),
        "plan_s": round(plan_times[0], 3), "plan_s_median": round(statistics.median(plan_times), 3),
        "plan_sql": plan_sql, "run_s": round(run_s, 3), "queued": queued, "run_sql": run_sql,
        "plan_vm_steps": plan_steps if steps.sqlite else None, "run_vm_steps": run_steps,
        "plan_cpu_s": round(statistics.median(plan_cpu), 3), "run_cpu_s": round(run_cpu, 3),
        "queued_per_s": round(queued / run_s, 1) if run_s else None,
        "rerun_concurrent_queued": list(again), "rerun_concurrent_s": round(again_s, 3),
        "sql_top_plan": plan_top[:5], "sql_top_run": run_top[:5],
    }
    paths = [prof.write(f"{label}_plan"), prof_run.write(f"{label}_run")]
    if paths[0]:
        out["profiles"] = paths
    log(f"{now:%d %b %H:%M}: planned {len(planned)} ({dict(stages)}), plan {plan_times[0]:.2f}s "
        f"(CPU {out['plan_cpu_s']}s); run_sweep queued {queued} in {run_s:.2f}s (CPU {run_cpu:.2f}s, {run_sql} SQL, "
        f"SQLite VM steps {run_steps}, Python calls {run_calls}); "
        f"concurrent re-runs queued {list(again)}")
    return out


async def _duplicates(db: Database) -> dict[str, Any]:
    async with db.session() as s:
        outbox = (await s.exec(select(func.count()).select_from(Outbox).where(Outbox.key.like("reminder:%")))).one()  # type: ignore[union-attr]
        distinct = (await s.exec(select(func.count(func.distinct(Outbox.key))).where(
            Outbox.key.like("reminder:%")))).one()  # type: ignore[union-attr]
        log_rows = (await s.exec(select(func.count()).select_from(ReminderLog))).one()
        keys = (await s.exec(select(Outbox.key).where(Outbox.key.like("reminder:%")))).all()  # type: ignore[union-attr]
        in_outbox = sum(k.count("|") + 1 for k in keys)  # a lead's steering reminders share one row
        same_msg = (await s.exec(text(
            "SELECT count(*) FROM (SELECT person_id, payload_text, count(*) AS n FROM "
            "(SELECT person_id, CAST(payload AS TEXT) AS payload_text FROM outbox) AS o "
            "GROUP BY person_id, payload_text HAVING count(*) > 1) AS d"))).one()[0]  # type: ignore[call-overload]
    return {"outbox_rows": outbox, "distinct_keys": distinct, "reminder_log_rows": log_rows,
            "log_matches_outbox": in_outbox == log_rows, "same_text_twice_to_one_person": same_msg,
            "duplicates": outbox - distinct}


async def _drain(db: Database, seconds: float, limiter: bool, log: Any) -> dict[str, Any]:
    from tests.fakes.telegram_api import FakeTelegramApi

    fake = FakeTelegramApi(token=TOKEN)
    base = await fake.start()
    # a clock after both sweeps, so every queued row is due; pacing off is the product's own setting
    bot = _bot(db, [OVERDUE_AT + timedelta(days=1)], {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base,
                                                      "CDSBOT_SEND_PACING": "on" if limiter else "off"})
    try:
        for ch in bot.channels:
            await ch.start()
        outbox = bot.build_outbox()
        fake.take_sent()
        t = time.perf_counter()
        handled = 0
        while time.perf_counter() - t < seconds:
            n = await outbox.run_once()
            handled += n
            if not n:
                break
        elapsed = time.perf_counter() - t
        sent = len(fake.take_sent())
    finally:
        for ch in bot.channels:
            with contextlib.suppress(Exception):
                await ch.stop()
        await fake.stop()
    rate = round(sent / elapsed, 1) if elapsed else None
    log(f"outbox drain ({'rate limiter as shipped' if limiter else 'no rate limiter'}): {sent} sent in "
        f"{elapsed:.1f}s = {rate} msg/s")
    return {"sent": sent, "seconds": round(elapsed, 2), "msg_per_s": rate}


async def bench_sweep(url: str, *, profile: bool = False, drain_s: float = 5.0, label: str = "sweep",
                      plan_repeats: int = 1, log: Any = print) -> dict[str, Any]:
    rss_start = current_rss_mb()
    db = Database(url)
    clock = [BENCH_NOW]
    bot = _bot(db, clock)
    counter = QueryCounter(db.engine)
    steps = VmSteps(db.engine)
    try:
        async with db.session() as s:
            people = (await s.exec(select(func.count()).select_from(Person))).one()
        rss_before = current_rss_mb()
        moments: dict[str, Any] = {}
        for name, now in (("before_deadline", BENCH_NOW), ("overdue", OVERDUE_AT)):
            clock[0] = now
            moments[name] = await _moment(bot, now, counter, steps, profile, f"{label}_{name}", log, plan_repeats)
        rss_after = current_rss_mb()
        peak = peak_rss_mb()
        dups = await _duplicates(db)
        log(f"duplicates check: {dups}")
        counter.close()
        drain = {"shipped": await _drain(db, drain_s, True, log),
                 "no_limiter": await _drain(db, drain_s, False, log)} if drain_s > 0 else {}
    finally:
        await db.dispose()
    first = moments["before_deadline"]
    return {
        "people": people, "planned": first["planned"], "plan_s": first["plan_s"],
        "plan_s_median": first["plan_s_median"], "run_s": first["run_s"], "run_cpu_s": first["run_cpu_s"], "queued": first["queued"],
        "queued_per_s": first["queued_per_s"], "duplicates": dups["duplicates"], "dup_check": dups,
        "rss_mb": {"process_start": rss_start, "before_sweeps": rss_before, "after_sweeps": rss_after,
                   "peak": peak},
        "moments": moments, "drain": drain,
        "drain_msg_per_s": drain.get("shipped", {}).get("msg_per_s"),
        "targets": {"plan_s": TARGET_PLAN_S, "peak_rss_mb": TARGET_RSS_MB},
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.split("\n\n")[0])
    add_common_args(p)
    p.add_argument("--drain-seconds", type=float, default=5.0, help="outbox drain measurement (0 skips it)")
    p.add_argument("--plan-repeats", type=int, default=1, help="time plan_sweep this many times (median kept too)")
    return p


async def run_async(args: argparse.Namespace) -> dict[str, Any]:
    cfg = gen_config(args)
    prepared = await prepare(args.db, cfg, keep=args.keep_data, in_process=args.tiny)
    try:
        label = f"sweep_{args.db}_{'tiny' if args.tiny else args.scale}"
        result = await bench_sweep(prepared.url, profile=args.profile, drain_s=args.drain_seconds, label=label,
                                   plan_repeats=args.plan_repeats)
    finally:
        await prepared.cleanup()
    result.update({"db_mb": prepared.size_mb, "generated_s": prepared.generated_s,
                   "loadavg_1m": round(os.getloadavg()[0], 2)})
    result["pass"] = {"plan_s": result["plan_s"] < TARGET_PLAN_S,
                      "peak_rss": result["rss_mb"]["peak"] < TARGET_RSS_MB,
                      "no_duplicates": result["duplicates"] == 0}
    return result


def run(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = asyncio.run(run_async(args))
    scale = "tiny" if args.tiny else args.scale
    if not args.no_record:
        record_result("sweep", args.db, scale, result)
    print(f"RESULT sweep db={args.db} scale={scale} people={result['people']} planned={result['planned']} "
          f"plan_s={result['plan_s']} run_s={result['run_s']} queued={result['queued']} "
          f"duplicates={result['duplicates']} peak_rss_mb={result['rss_mb']['peak']} "
          f"drain_msg_per_s={result['drain_msg_per_s']} pass={result['pass']}")
    return result


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
