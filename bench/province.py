"""The province view at scale: ``storage.traffic.province_traffic``, the province office's /tinhtrang, the dashboard.

    .venv/bin/python -m bench.province --db postgresql --scale 16 --keep-data
    .venv/bin/python -m bench.province --db sqlite --scale 4 --profile

On a generated province (``bench.generate``: every commune in one province), five measurements:
1. agreement: ``province_traffic`` (batched) gives per commune exactly what each commune's own
   ``commune_traffic`` gives, in the same order, for the current and the previous period;
2. ``province_traffic`` timed ``--samples`` times (wall, and this process's CPU: the part the machine's
   load does not stretch, the database server's work aside) (a fresh session each, current and previous period
   in turn, also given apart: the previous one is a complete month, twice the rows of the current
   one at the benchmark's clock): p50/p95/p99 ms and SQL statements per call;
3. the same rows the old way, ``commune_traffic`` for every commune in one session (``--old-runs``);
4. the full chat answer: a province office asks /tinhtrang ``--chat-samples`` times through the real
   bot (PTB polling, the test harness) against the fake Telegram server in this process; the time
   from queueing the update to the reply recorded and the bot done with the update, and its SQL;
   /trogiup (help) is asked in turn, the same way, for what any answer costs in this set-up;
5. the dashboard's province overview (6 months, ``--dash-samples``) over HTTP from the real app's web
   server: ``cold`` (a view as every view is now: nothing kept in the process, the closed months'
   activity-log figures from the roll-up, ``storage.log_rollup``) and ``fill`` (the roll-up emptied first:
   the first view ever of the closed months, which fills it) in turn, checked against ``province_traffic``
   of each month read from the logs (what /tinhtrang tháng N shows) and cold == fill.
Target: province answer and dashboard p95 < 300 ms on PostgreSQL at 16× (100 communes, ≥ 1 M activity rows)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bench.common import (
    Profile,
    QueryCounter,
    add_common_args,
    gen_config,
    log_sql_top,
    percentiles,
    prepare,
    record_result,
)
from bench.generate import BENCH_NOW, TZ
from storage.calendar.calendar import period_by_key, period_for, previous_period
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.log_rollup import closed_before
from storage.models import ActivityLog, Commune, Identity, Person, Province
from storage.traffic import commune_traffic, province_traffic, rank_key

__all__ = ["bench_province", "main", "run"]

TARGET_P95_MS = 300.0
PROVINCE_TG = 690_000_001  # the province office's Telegram id (below the generated people's)


def _periods() -> list[tuple[Any, Any]]:
    streams = {s.name: s for s in default_streams()}
    up = period_for(streams["unit_monthly"], BENCH_NOW, TZ)
    vp = period_for(streams["village_monthly"], BENCH_NOW, TZ)
    return [(up, vp), (previous_period(up), previous_period(vp))]


def _closed() -> Any:
    """What the chat passes: closed village periods from the roll-up."""
    return closed_before(default_streams(), BENCH_NOW, TZ)


def _ms(values: list[float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in percentiles(values, (50, 95, 99)).items()} | {
        "max": round(max(values), 1), "n": len(values)}


async def _agrees(db: Database, province: Province, periods: list[tuple[Any, Any]]) -> dict[str, Any]:
    """Batched rows == each commune's own rows (same order); the differing fields counted."""
    today = BENCH_NOW.date()
    differs: dict[str, int] = {}
    checked = 0
    for up, vp in periods:
        async with db.session() as s:
            batched = (await province_traffic(s, province, up, vp, BENCH_NOW, today, _closed()))["communes"]
            communes = (await s.exec(select(Commune).where(Commune.province_id == province.id))).all()
            own = sorted([await commune_traffic(s, c, up, vp, BENCH_NOW, today) for c in communes], key=rank_key)
        checked += len(own)
        if [r["commune_id"] for r in batched] != [r["commune_id"] for r in own]:
            differs["order"] = differs.get("order", 0) + 1
        mine = {r["commune_id"]: r for r in batched}
        for r in own:
            for key, value in r.items():
                if mine.get(r["commune_id"], {}).get(key) != value:
                    differs[key] = differs.get(key, 0) + 1
    return {"agrees": not differs, "checked": checked, "differs": differs}


async def _time_calls(db: Database, province: Province, periods: list[tuple[Any, Any]], samples: int,
                      counter: QueryCounter, cpu: list[float] | None = None) -> tuple[list[float], list[int]]:
    """Wall ms and SQL statements of each call (``cpu``: this process's CPU ms too, the database's not)."""
    took: list[float] = []
    queries: list[int] = []
    for i in range(samples):
        up, vp = periods[i % 2]
        before = counter.n
        t, c = time.perf_counter(), time.process_time()
        async with db.session() as s:
            await province_traffic(s, province, up, vp, BENCH_NOW, BENCH_NOW.date(), _closed())
        took.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c) * 1000)
        queries.append(counter.n - before)
    return took, queries


async def _time_old_way(db: Database, province: Province, periods: list[tuple[Any, Any]], runs: int,
                        counter: QueryCounter) -> tuple[list[float], int]:
    took: list[float] = []
    queries = 0
    up, vp = periods[0]
    for _ in range(runs):
        before = counter.n
        t = time.perf_counter()
        async with db.session() as s:
            communes = (await s.exec(select(Commune).where(Commune.province_id == province.id))).all()
            for c in communes:
                await commune_traffic(s, c, up, vp, BENCH_NOW, BENCH_NOW.date())
        took.append((time.perf_counter() - t) * 1000)
        queries = counter.n - before
    return took, queries


async def _chat(url: str, province: Province, samples: int, log: Any) -> dict[str, Any]:
    """The province office's /tinhtrang through the real bot and the fake Telegram server."""
    from tests.fakes.telegram_api import FakeTelegramApi
    from tests.harness import TOKEN, TelegramHarness

    db = Database(url)
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune).where(Commune.province_id == province.id))).first()
        assert commune is not None
        office = Person(commune_id=commune.id, name="Trần Văn Tỉnh", role="province",  # type: ignore[arg-type]
                        province_id=province.id, locale="vi", consent_at=datetime.now(UTC))
        s.add(office)
        await s.flush()
        s.add(Identity(person_id=office.id, channel="telegram", external_id=str(PROVINCE_TG),  # type: ignore[arg-type]
                       chat_id=str(PROVINCE_TG)))
    await db.dispose()
    fake = FakeTelegramApi(token=TOKEN)
    await fake.start()
    h = TelegramHarness(fake, fake.base_url, url)
    h.now = BENCH_NOW.astimezone(UTC)
    bot = await h.start()
    counters = [QueryCounter(e) for e in {id(e): e for e in (bot.db.engine, bot.db.hot_engine)}.values()]

    def counted() -> int:  # SQLite has a second engine for the per-update transactions
        return sum(c.n for c in counters)

    took: dict[str, list[float]] = {"/tinhtrang": [], "/trogiup": []}
    queries: list[int] = []
    lines = messages = 0
    try:
        for i in range(samples + 1):  # the first: warm-up; /trogiup (help) in turn, the chat's own cost
            for command in took:
                before = counted()
                t = time.perf_counter()
                sent = await h.say(PROVINCE_TG, command)
                if i:
                    took[command].append((time.perf_counter() - t) * 1000)
                    if command == "/tinhtrang":
                        queries.append(counted() - before)
                if command == "/tinhtrang":
                    text = "\n".join(m.text or "" for m in sent)  # a long answer comes in several messages
                    assert province.name in text, text[:200]
                    lines, messages = len(text.splitlines()), len(sent)
        sql = sorted((row for c in counters for row in c.top()), key=lambda r: -r["total_ms"])[:8]
        log_sql_top(log, f"{samples} /tinhtrang answers", sql)
    finally:
        for c in counters:
            c.close()
        await h.stop()
        await fake.stop()
    return {"ms": _ms(took["/tinhtrang"]), "help_ms": _ms(took["/trogiup"]),
            "sql_per_answer": round(statistics.mean(queries), 1), "reply_lines": lines,
            "reply_messages": messages, "sql_top": sql}


async def _dashboard_agrees(db: Database, province: Province, cold: dict[str, Any], fill: dict[str, Any]
                            ) -> dict[str, Any]:
    """The overview's cells of each month == ``province_traffic`` of that month read from the logs (what
    /tinhtrang tháng N shows), and the overview read from the roll-up == the one that filled it (but its
    time stamp)."""
    streams = {s.name: s for s in default_streams()}
    cells = {(c["month"], row["commune_id"]): c for row in cold["grid"] for c in row["cells"]}
    differs, checked = 0, 0
    async with db.session() as s:
        for month in cold["months"]:
            up = period_by_key(streams["unit_monthly"], month["key"], TZ)
            vp = period_by_key(streams["village_monthly"], month["key"], TZ)
            data = await province_traffic(s, province, up, vp, BENCH_NOW, BENCH_NOW.date())
            for r in data["communes"]:
                cell = cells.get((month["key"], r["commune_id"])) or {}
                checked += 1
                differs += any(cell.get(k) != r[k] for k in ("colour", "units", "villages", "overdue_tasks",
                                                             "due_soon_tasks", "missing_after_deadline",
                                                             "missing_before_deadline"))
            mine = next(m for m in cold["by_month"] if m["month"] == month["key"])
            differs += mine["activities"] != data["activities"] or mine["activities_previous"] != data[
                "activities_previous"]
    same = {k: v for k, v in cold.items() if k != "generated_at"} == {
        k: v for k, v in fill.items() if k != "generated_at"}
    return {"agrees": not differs and same, "cells_checked": checked, "differs": differs, "cold_equals_fill": same}


async def _dashboard(url: str, province: Province, samples: int, log: Any) -> dict[str, Any]:
    """The dashboard's province overview (6 months) over HTTP, as the page asks for it: the web server of
    the real app on the bench's clock, the province office's signed cookie. ``cold``: any view (nothing is
    kept in the process; the closed months from the roll-up); ``fill``: the roll-up emptied first (the
    first view ever of the closed months)."""
    from aiohttp.test_utils import TestClient, TestServer
    from sqlalchemy import text

    from bot.app import BotApp
    from bot.config import load_settings
    from bot.web.access import make_province_token
    from handlers.services import Services

    secret = "bench-province-dashboard-secret-0123456789"
    os.environ["CDSBOT_WEB_SECRET"] = secret  # the dashboard reads its signing secret from the environment
    settings = load_settings({"DATABASE_URL": url}, env_file=None)
    db = Database(url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=TZ, clock=lambda: BENCH_NOW.astimezone(UTC)))
    counter = QueryCounter(db.engine)
    client = TestClient(TestServer(bot.web))
    await client.start_server()
    took: dict[str, list[float]] = {"cold": [], "fill": []}
    queries: dict[str, list[int]] = {"cold": [], "fill": []}
    bodies: dict[str, Any] = {}
    agrees: dict[str, Any] = {}
    try:
        token = make_province_token(secret.encode(), province.id, BENCH_NOW + timedelta(days=1))  # type: ignore[arg-type]
        assert (await client.get(f"/dashboard/province?t={token}", allow_redirects=False)).status == 303
        path = f"/dashboard/api/province/{province.id}/overview?months=6"
        months = 0
        # the first: warm-up (it fills the roll-up); then the cold views; then the fills (fewer: each one
        # rewrites the whole roll-up, ~30,000 rows, which no deployment does more than once)
        fills = max(2, samples // 4)
        for i, kind in [(0, "cold"), *((i, "cold") for i in range(1, samples + 1)),
                        *((i, "fill") for i in range(1, fills + 1))]:
            if kind == "fill":
                async with db.transaction() as s:  # the roll-up emptied: the closed months read from the logs
                    await s.exec(text("DELETE FROM logrollup"))  # type: ignore[call-overload]
            before, t = counter.n, time.perf_counter()
            resp = await client.get(path)
            body = await resp.json()
            bodies[kind] = body
            if i:
                took[kind].append((time.perf_counter() - t) * 1000)
                queries[kind].append(counter.n - before)
            assert resp.status == 200 and len(body["grid"]) > 0, body
            months = len(body["months"])
            if kind == "fill" and i == 1:
                agrees = await _dashboard_agrees(db, province, bodies["cold"], bodies["fill"])
                log(f"dashboard months == province_traffic of each month (from the logs), cold == fill: {agrees}")
        sql = counter.top()
        log_sql_top(log, f"{samples + fills} dashboard overviews", sql)
    finally:
        counter.close()
        await client.close()
        await db.dispose()
    return {"cold_ms": _ms(took["cold"]), "fill_ms": _ms(took["fill"]), "months": months, "agrees": agrees,
            "sql_cold": round(statistics.mean(queries["cold"]), 1), "sql_fill": round(statistics.mean(queries["fill"]), 1),
            "sql_top": sql}


async def bench_province(url: str, *, samples: int = 40, chat_samples: int = 20, old_runs: int = 2,
                         dash_samples: int = 20, profile: bool = False, label: str = "province",
                         log: Any = print) -> dict[str, Any]:
    db = Database(url)
    periods = _periods()
    try:
        async with db.session() as s:
            province = (await s.exec(select(Province).order_by(Province.id))).first()
            assert province is not None, "the data set has no province (bench.generate version < 2?)"
            communes = (await s.exec(select(func.count()).select_from(Commune).where(
                Commune.province_id == province.id))).one()
            rows = (await s.exec(select(func.count()).select_from(ActivityLog))).one()
            people = (await s.exec(select(func.count()).select_from(Person))).one()
        check = await _agrees(db, province, periods)
        log(f"province_traffic agrees with commune_traffic per commune: {check}")
        counter = QueryCounter(db.engine)
        await _time_calls(db, province, periods, 2, counter)  # warm-up: connections, statement caches
        counter.reset()
        prof = Profile(profile)
        cpu: list[float] = []
        with prof:
            took, queries = await _time_calls(db, province, periods, samples, counter, cpu)
        fn_profile = prof.write(f"{label}_traffic")
        fn_sql = counter.top()
        log_sql_top(log, f"{samples} province_traffic() calls", fn_sql)
        counter.reset()
        log(f"province_traffic ({communes} communes): p50 {_ms(took)['p50']} ms, p95 {_ms(took)['p95']} ms, "
            f"{statistics.mean(queries):.0f} SQL statements per call")
        old, old_queries = await _time_old_way(db, province, periods, old_runs, counter)
        if old:
            log(f"the old way (commune_traffic × {communes}): median {statistics.median(old):.0f} ms, "
                f"{old_queries} SQL statements")
        counter.close()
    finally:
        await db.dispose()
    chat = await _chat(url, province, chat_samples, log)
    log(f"/tinhtrang answer: {chat['ms']}, {chat['sql_per_answer']} SQL statements; /trogiup: {chat['help_ms']}")
    dash = await _dashboard(url, province, dash_samples, log) if dash_samples else None
    if dash:
        log(f"dashboard overview (6 months): cold {dash['cold_ms']} ({dash['sql_cold']} SQL), "
            f"fill {dash['fill_ms']} ({dash['sql_fill']} SQL)")
    result: dict[str, Any] = {
        "communes": communes, "people": people, "activity_rows": rows, "check": check,
        "traffic_ms": _ms(took), "traffic_ms_current": _ms(took[0::2]), "traffic_ms_previous": _ms(took[1::2]),
        "traffic_cpu_ms_p50": round(statistics.median(cpu), 1), "sql_per_traffic": round(statistics.mean(queries), 1), "sql_top_traffic": fn_sql,
        "old_way_ms": round(statistics.median(old), 1) if old else None, "sql_old_way": old_queries,
        "chat_ms": chat["ms"], "chat_help_ms": chat["help_ms"], "sql_per_chat_answer": chat["sql_per_answer"], "chat_reply_lines": chat["reply_lines"],
        "chat_reply_messages": chat["reply_messages"],
        "sql_top_chat": chat["sql_top"], "target_p95_ms": TARGET_P95_MS,
    }
    if dash:
        result.update({"dashboard_check": dash["agrees"], "dashboard_cold_ms": dash["cold_ms"], "dashboard_fill_ms": dash["fill_ms"],
                       "dashboard_months": dash["months"], "sql_per_dashboard_cold": dash["sql_cold"],
                       "sql_per_dashboard_fill": dash["sql_fill"], "sql_top_dashboard": dash["sql_top"]})
    if fn_profile:
        result["profiles"] = [fn_profile]
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__.split("\n\n")[0])
    add_common_args(p)
    p.add_argument("--samples", type=int, default=40, help="province_traffic calls for the percentiles")
    p.add_argument("--chat-samples", type=int, default=20, help="/tinhtrang answers for the percentiles")
    p.add_argument("--old-runs", type=int, default=2, help="runs of the per-commune way, for comparison")
    p.add_argument("--dash-samples", type=int, default=20,
                   help="dashboard overviews (6 months) of each kind, cold and fill, for the percentiles (0: none)")
    return p


async def run_async(args: argparse.Namespace) -> dict[str, Any]:
    prepared = await prepare(args.db, gen_config(args), keep=args.keep_data, in_process=args.tiny)
    load_before = os.getloadavg()[0]
    try:
        label = f"province_{args.db}_{'tiny' if args.tiny else args.scale}"
        result = await bench_province(prepared.url, samples=args.samples, chat_samples=args.chat_samples,
                                      old_runs=args.old_runs, dash_samples=args.dash_samples,
                                      profile=args.profile, label=label)
    finally:
        await prepared.cleanup()
    result.update({"db_mb": prepared.size_mb, "generated_s": prepared.generated_s,
                   "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]})
    on_pg = args.db == "postgresql"
    result["pass"] = {"traffic_p95": result["traffic_ms"]["p95"] < TARGET_P95_MS if on_pg else None,
                      "chat_p95": result["chat_ms"]["p95"] < TARGET_P95_MS if on_pg else None,
                      "dashboard_cold_p95": result["dashboard_cold_ms"]["p95"] < TARGET_P95_MS
                      if on_pg and "dashboard_cold_ms" in result else None,
                      "agrees": result["check"]["agrees"],
                      "dashboard_agrees": result.get("dashboard_check", {}).get("agrees")}
    return result


def run(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = asyncio.run(run_async(args))
    scale = "tiny" if args.tiny else args.scale
    if not args.no_record:
        record_result("province", args.db, scale, result)
    t, c = result["traffic_ms"], result["chat_ms"]
    print(f"RESULT province db={args.db} scale={scale} communes={result['communes']} "
          f"activity_rows={result['activity_rows']} traffic_p50/p95/p99_ms={t['p50']}/{t['p95']}/{t['p99']} "
          f"sql_per_call={result['sql_per_traffic']} old_way_ms={result['old_way_ms']} "
          f"chat_p50/p95/p99_ms={c['p50']}/{c['p95']}/{c['p99']} sql_per_answer={result['sql_per_chat_answer']} "
          f"dash_cold_p50/p95/p99_ms={_pcts(result.get('dashboard_cold_ms'))} "
          f"dash_fill_p50/p95/p99_ms={_pcts(result.get('dashboard_fill_ms'))} "
          f"agrees={result['check']['agrees']} load={result['loadavg_1m']} pass={result['pass']}")
    return result


def _pcts(ms: dict[str, float] | None) -> str:
    return f"{ms['p50']}/{ms['p95']}/{ms['p99']}" if ms else "-"


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
