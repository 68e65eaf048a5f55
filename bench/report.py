"""Print bench/results.json as the Markdown tables used in bench/README.md.

    .venv/bin/python -m bench.report"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.common import results_path


def _f(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def tables(rows: list[dict[str, Any]]) -> str:
    out: list[str] = []
    status = [r for r in rows if r["bench"] == "status"]
    if status:
        out += ["| db | scale | variant | communes | activity rows | one commune p50 / p95 / p99 ms | SQL per call "
                "| province: status_data × communes s | province_status() s | date |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in status:
            ms = r["commune_status_ms"]
            out.append(f"| {r['db']} | {r['scale']} | {r['variant'] or 'app'} | {r['communes']} "
                       f"| {_f(r['activity_rows'])} | {_f(ms['p50'], 1)} / {_f(ms['p95'], 1)} / {_f(ms['p99'], 1)} "
                       f"| {_f(r['sql_per_commune_status'], 1)} | {_f(r['province_status_s'])} "
                       f"| {_f(r.get('province_status_fn_s'))} | {r['date']} |")
        out.append("")
    province = [r for r in rows if r["bench"] == "province"]
    if province:
        out += ["| db | scale | variant | communes | activity rows | province_traffic p50 / p95 / p99 ms (p95 current / previous) "
                "| CPU ms (bot process) | SQL | per commune, before ms (SQL) | /tinhtrang p50 / p95 / p99 ms | SQL | /trogiup p50 ms "
                "| dashboard 6 months cold p50 / p95 / p99 ms (SQL) | warm, or fill from 7 Dec (SQL) "
                "| load 1 min | date |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in province:
            t, c = r["traffic_ms"], r["chat_ms"]
            dc, dw = r.get("dashboard_cold_ms") or {}, r.get("dashboard_warm_ms") or r.get("dashboard_fill_ms") or {}
            out.append(f"| {r['db']} | {r['scale']} | {r.get('variant') or 'last'} | {r['communes']} | {_f(r['activity_rows'])} "
                       f"| {_f(t['p50'], 0)} / {_f(t['p95'], 0)} / {_f(t['p99'], 0)} "
                       f"({_f(r['traffic_ms_current']['p95'], 0)} / {_f(r['traffic_ms_previous']['p95'], 0)}) "
                       f"| {_f(r.get('traffic_cpu_ms_p50'), 0)} | {_f(r['sql_per_traffic'], 0)} | {_f(r['old_way_ms'], 0)} ({_f(r['sql_old_way'])}) "
                       f"| {_f(c['p50'], 0)} / {_f(c['p95'], 0)} / {_f(c['p99'], 0)} | {_f(r['sql_per_chat_answer'], 0)} "
                       f"| {_f(r['chat_help_ms']['p50'], 0)} "
                       f"| {_f(dc.get('p50'), 0)} / {_f(dc.get('p95'), 0)} / {_f(dc.get('p99'), 0)} "
                       f"({_f(r.get('sql_per_dashboard_cold'), 0)}) "
                       f"| {_f(dw.get('p50'), 0)} / {_f(dw.get('p95'), 0)} / {_f(dw.get('p99'), 0)} "
                       f"({_f(r.get('sql_per_dashboard_warm', r.get('sql_per_dashboard_fill')), 0)}) "
                       f"| {' → '.join(_f(x, 1) for x in r['loadavg_1m'])} "
                       f"| {r['date']} |")
        out.append("")
    sweep = [r for r in rows if r["bench"] == "sweep"]
    if sweep:
        out += ["| db | scale | variant | people | planned | plan_sweep s | run_sweep s (claim + queue) | queued "
                "| overdue moment: plan / run s | duplicates | peak RSS MB | drain msg/s (limiter / none) | date |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in sweep:
            od = r["moments"].get("overdue", {})
            d = r.get("drain") or {}
            out.append(f"| {r['db']} | {r['scale']} | {r['variant'] or 'app'} | {_f(r['people'])} "
                       f"| {_f(r['planned'])} | {_f(r['plan_s'])} | {_f(r['run_s'])} | {_f(r['queued'])} "
                       f"| {_f(od.get('plan_s'))} / {_f(od.get('run_s'))} | {r['duplicates']} "
                       f"| {_f(r['rss_mb']['peak'], 0)} | {_f(d.get('shipped', {}).get('msg_per_s'), 1)} / "
                       f"{_f(d.get('no_limiter', {}).get('msg_per_s'), 1)} | {r['date']} |")
        out.append("")
    conv = [r for r in rows if r["bench"] == "conversation"]
    for r in conv:
        out += [f"Conversation, {r['db']}, scale {r['scale']}, {r['users']} people talking at once "
                f"({r['members']} members, {r['officers']} officers), {r['measure_s']:g} s measured per "
                f"configuration, {r['date']}:", "",
                "| configuration | updates/s | p50 / p95 / p99 ms | of echo ceiling | bot CPU | CPU ms per update "
                "| SQL per update |", "|---|---|---|---|---|---|---|"]
        for run in r["runs"]:
            lat = run["latency_ms"]
            out.append(f"| {run['config']} | {_f(run['updates_per_s'], 1)} | {_f(lat['p50'], 0)} / "
                       f"{_f(lat['p95'], 0)} / {_f(lat['p99'], 0)} | {_f(run.get('fraction_of_ceiling'))} "
                       f"| {_f(run.get('bot_cpu_share'))} | {_f(run.get('cpu_ms_per_update'), 1)} "
                       f"| {_f(run.get('sql_per_update'), 1)} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    data = json.loads(results_path().read_text(encoding="utf-8"))
    rows = data["rows"]
    if rows:
        m = rows[-1]["machine"]
        print(f"Machine: {m['nproc']} cores, {m['ram_gb']} GB RAM, {m['cpu']}, Python {m['python']}\n")
    print(tables(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
