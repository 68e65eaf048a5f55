"""Status queries at province scale: ``status_data`` for one commune, and for every commune at once.

    .venv/bin/python -m bench.status --db sqlite --scale 16
    .venv/bin/python -m bench.status --db postgresql --scale 16 --profile

One commune: ``--samples`` calls of ``status_data`` (a fresh session each, as /tinhtrang and
`cdsbot status` do), communes taken in turn, alternating the current period (in progress at the
benchmark's clock) and the previous, complete one. Province, two ways: one session calling
``status_data`` for every commune (current period), and ``storage.status.province_status`` (all
communes in one set of queries), each repeated ``--province-runs`` times; the run also checks that
both give the same counts per commune. ``--index`` first adds a covering index on activitylog
that the app does not have, to see whether it would help.
Targets: one commune p95 < 100 ms (with ≥ 1 M activity rows); province < 1 s on PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from typing import Any

from sqlalchemy import func
from sqlmodel import select

import storage.status as status_mod
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
from storage.calendar.calendar import period_for, previous_period
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import ActivityLog, Commune, Person

__all__ = ["bench_status", "main", "run"]

TARGET_COMMUNE_P95_MS = 100.0
TARGET_PROVINCE_S = 1.0


def _periods() -> list[tuple[Any, Any]]:
    streams = {s.name: s for s in default_streams()}
    up = period_for(streams["unit_monthly"], BENCH_NOW, TZ)
    vp = period_for(streams["village_monthly"], BENCH_NOW, TZ)
    return [(up, vp), (previous_period(up), previous_period(vp))]


# A candidate index the app does not have (``--index``): covers the grouped first-log queries.
INDEX_SQL = "CREATE INDEX ix_activitylog_commune_date_unit ON activitylog (commune_id, on_date, unit_id, created_at)"
COMPARED = ("expected", "submitted", "on_time", "late")


def _counts(streams: list[dict[str, Any]]) -> dict[str, Any]:
    return {st["name"]: {**{k: st[k] for k in COMPARED}, "missing": sorted(st["missing"])} for st in streams}


async def _province_agrees(db: Database, communes: list[Commune], periods: list[tuple[Any, Any]]
                           ) -> dict[str, Any]:
    """Whether province_status gives, per commune, the counts, missing lists and activity totals that
    status_data gives; lists the fields that differ."""
    differs: dict[str, int] = {}
    checked = 0
    for up, vp in periods:
        async with db.session() as s:
            province = {c["commune"]: c for c in await status_mod.province_status(s, up, vp, BENCH_NOW)}
        async with db.session() as s:
            for commune in communes:
                one = await status_mod.status_data(s, commune, up, vp, BENCH_NOW)
                other = province.get(commune.name)
                checked += 1
                if other is None:
                    differs["commune missing"] = differs.get("commune missing", 0) + 1
                    continue
                a, b = _counts(one["streams"]), _counts(other["streams"])
                for name in a.keys() | b.keys():
                    for key in (*COMPARED, "missing"):
                        if a.get(name, {}).get(key) != b.get(name, {}).get(key):
                            differs[f"{name}.{key}"] = differs.get(f"{name}.{key}", 0) + 1
                if one["activities"]["total"] != other["activities"]:
                    differs["activities"] = differs.get("activities", 0) + 1
    return {"agrees": not differs, "checked": checked, "differs": differs}


EXPORT_COMMUNES = 5
TARGET_EXPORT_S = 3.0


async def _xlsx_exports(db: Database, communes: list[Commune]) -> dict[str, Any]:
    """Time what /xuat does for one commune-month: gather the data, build the workbook."""
    from handlers.exports.gather import gather_export
    from handlers.exports.xlsx import build_xlsx

    took, sizes = [], []
    for commune in communes:
        t = time.perf_counter()
        async with db.session() as s:
            data = await gather_export(s, commune, None, BENCH_NOW, TZ)
        sizes.append(len(build_xlsx(data)))
        took.append(time.perf_counter() - t)
    return {"median": round(statistics.median(took), 3), "max": round(max(took), 3), "n": len(took),
            "kb": round(statistics.median(sizes) / 1024), "target_s": TARGET_EXPORT_S}


async def bench_status(url: str, *, samples: int = 60, province_runs: int = 3, profile: bool = False,
                       label: str = "status", add_index: bool = False,
                       log: Any = print) -> dict[str, Any]:
    db = Database(url)
    extra: dict[str, Any] = {}
    try:
        if add_index:
            from sqlalchemy import text

            async with db.engine.begin() as conn:
                await conn.execute(text(INDEX_SQL))
                if db.engine.dialect.name == "postgresql":
                    await conn.execute(text("ANALYZE activitylog"))
        async with db.session() as s:
            communes = list((await s.exec(select(Commune).order_by(Commune.id))).all())
            rows = (await s.exec(select(func.count()).select_from(ActivityLog))).one()
            people = (await s.exec(select(func.count()).select_from(Person))).one()
        periods = _periods()
        extra["province_status_check"] = await _province_agrees(db, communes, periods)
        log(f"province_status and status_data agree per commune: {extra['province_status_check']}")
        status_data = status_mod.status_data
        order = list(communes)
        random.Random(1).shuffle(order)
        async with db.session() as s:  # warm-up: connection, statement caches
            await status_data(s, order[0], *periods[0], BENCH_NOW)

        counter = QueryCounter(db.engine)
        times: dict[str, list[float]] = {"current": [], "previous": []}
        queries: list[int] = []
        prof = Profile(profile)
        with prof:
            for i in range(samples):
                commune = order[i % len(order)]
                which = "current" if i % 2 == 0 else "previous"
                up, vp = periods[0] if which == "current" else periods[1]
                before = counter.n
                t = time.perf_counter()
                async with db.session() as s:
                    await status_data(s, commune, up, vp, BENCH_NOW)
                times[which].append((time.perf_counter() - t) * 1000)
                queries.append(counter.n - before)
        one_profile = prof.write(f"{label}_commune")
        commune_sql = counter.top()
        log_sql_top(log, f"{samples} one-commune calls", commune_sql)
        counter.reset()
        all_ms = times["current"] + times["previous"]
        log(f"one commune: p50 {percentiles(all_ms)['p50']:.1f} ms, p95 {percentiles(all_ms)['p95']:.1f} ms "
            f"over {len(all_ms)} calls, {statistics.mean(queries):.0f} SQL statements per call")

        province: list[float] = []
        province_queries = 0
        prof = Profile(profile)
        with prof:
            for _ in range(province_runs):
                before = counter.n
                t = time.perf_counter()
                async with db.session() as s:
                    for commune in communes:
                        await status_data(s, commune, *periods[0], BENCH_NOW)
                province.append(time.perf_counter() - t)
                province_queries = counter.n - before
        province_profile = prof.write(f"{label}_province")
        province_sql = counter.top()
        log_sql_top(log, f"{province_runs} province runs", province_sql)
        log(f"province ({len(communes)} communes): median {statistics.median(province):.2f} s, "
            f"{province_queries} SQL statements")
        counter.reset()
        times_p = []
        fn_queries = 0
        prof = Profile(profile)
        with prof:
            for _ in range(province_runs):
                before = counter.n
                t = time.perf_counter()
                async with db.session() as s:
                    await status_mod.province_status(s, *periods[0], BENCH_NOW)
                times_p.append(time.perf_counter() - t)
                fn_queries = counter.n - before
        fn_profile = prof.write(f"{label}_province_status")
        fn_sql = counter.top()
        log_sql_top(log, f"{province_runs} province_status() runs", fn_sql)
        extra["province_status_fn_s"] = round(statistics.median(times_p), 3)
        extra["province_status_fn_s_min"] = round(min(times_p), 3)
        extra["sql_per_province_status_fn"] = fn_queries
        log(f"province_status(): median {statistics.median(times_p):.3f} s, {fn_queries} SQL statements")
        extra["xlsx_export_s"] = await _xlsx_exports(db, order[:EXPORT_COMMUNES])
        log(f"xlsx export of a commune-month: {extra['xlsx_export_s']}")
        counter.close()
    finally:
        await db.dispose()
    p_all = percentiles(all_ms, (50, 95, 99))
    result = {
        "communes": len(communes), "people": people, "activity_rows": rows,
        "commune_status_ms": {k: round(v, 1) for k, v in p_all.items()} | {"max": round(max(all_ms), 1),
                                                                             "n": len(all_ms)},
        "commune_status_ms_current_p95": round(percentiles(times["current"])["p95"], 1),
        "commune_status_ms_previous_p95": round(percentiles(times["previous"])["p95"], 1) if times["previous"]
        else None,
        "sql_per_commune_status": round(statistics.mean(queries), 1),
        "province_status_s": round(statistics.median(province), 3),
        "province_status_s_min": round(min(province), 3),
        "sql_per_province_status": province_queries,
        "targets": {"commune_p95_ms": TARGET_COMMUNE_P95_MS, "province_s_postgresql": TARGET_PROVINCE_S},
        **extra,
    }
    result["sql_top_commune"] = commune_sql
    result["sql_top_province"] = province_sql
    result["sql_top_province_status_fn"] = fn_sql
    if one_profile:
        result["profiles"] = [one_profile, province_profile, fn_profile]
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.status", description=__doc__.split("\n\n")[0])
    add_common_args(p)
    p.add_argument("--samples", type=int, default=60, help="status_data calls for one commune's percentiles")
    p.add_argument("--province-runs", type=int, default=3)
    p.add_argument("--index", action="store_true",
                   help="first add a covering index activitylog (commune_id, on_date, unit_id, created_at), "
                        "which the app does not have")
    return p


def variant_of(args: argparse.Namespace) -> str:
    return "index" if args.index else ""


async def run_async(args: argparse.Namespace) -> dict[str, Any]:
    cfg = gen_config(args)
    prepared = await prepare(args.db, cfg, keep=args.keep_data, in_process=args.tiny)
    try:
        variant = variant_of(args)
        label = f"status_{args.db}_{'tiny' if args.tiny else args.scale}" + (f"_{variant}" if variant else "")
        result = await bench_status(prepared.url, samples=args.samples, province_runs=args.province_runs,
                                    profile=args.profile, label=label, add_index=args.index)
    finally:
        await prepared.cleanup()
    result.update({"db_mb": prepared.size_mb, "generated_s": prepared.generated_s,
                   "loadavg_1m": round(os.getloadavg()[0], 2)})
    p95 = result["commune_status_ms"]["p95"]
    on_pg = args.db == "postgresql"
    result["pass"] = {"commune_p95": p95 < TARGET_COMMUNE_P95_MS,
                      "province": result["province_status_s"] < TARGET_PROVINCE_S if on_pg else None,
                      "province_status_fn": result["province_status_fn_s"] < TARGET_PROVINCE_S if on_pg else None,
                      "xlsx_export": result["xlsx_export_s"]["max"] < TARGET_EXPORT_S}
    return result


def run(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = asyncio.run(run_async(args))
    scale = "tiny" if args.tiny else args.scale
    if not args.no_record:
        record_result("status", args.db, scale, result, variant=variant_of(args))
    ms = result["commune_status_ms"]
    print(f"RESULT status db={args.db} scale={scale} variant={variant_of(args) or 'app'} communes={result['communes']} "
          f"activity_rows={result['activity_rows']} commune_p50_ms={ms['p50']} commune_p95_ms={ms['p95']} "
          f"commune_p99_ms={ms['p99']} sql_per_call={result['sql_per_commune_status']} "
          f"province_s={result['province_status_s']} province_status_fn_s={result['province_status_fn_s']} "
          f"agrees={result['province_status_check']['agrees']} pass={result['pass']}")
    return result


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
