"""Start-up to the first getUpdates and idle RSS of ``cdsbot run``, against a bare PTB echo bot.

    .venv/bin/python -m bench.startup [--repeats 3] [--idle 5] [--db-url URL] [--deployed]

Both poll an in-process fake Bot API. Start-up = from spawning the process to the fake receiving its
first getUpdates (and the process's CPU time by then, steadier on a shared machine); idle RSS = VmRSS
after ``--idle`` seconds of polling with nothing to do. ``cdsbot run`` runs as deployed on an already
migrated database; in polling mode it starts its web server, outbox worker and scheduler once its first
getUpdates is out (bot.app.BotApp.start), so they are not in the start-up figure; ``web_s`` is the time to
its web port accepting connections. The CPU read after the fake saw the request may include some of that
later work (the process goes on while the fake answers); on a busy machine it also competes with the fake.
A first, unmeasured start migrates the database and writes the bytecode cache, as an install would
have it, even where PYTHONDONTWRITEBYTECODE is set. Runs alternate ours / echo; medians.
``--deployed`` runs both from a venv holding what ``pip install .`` installs (bench/out/deployed-venv,
built on first use, cdsbot re-installed each run): no dev tools (httpx imports its command line's rich,
click and pygments whenever they are installed, ~80 modules) and no editable-install import hook.
Targets: start-up <= 1 s, idle RSS <= 100 MB."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import record_result
from bench.conversation_hook import cpu_seconds, free_ports
from tests.fakes.telegram_api import FakeTelegramApi

__all__ = ["main", "measure", "run"]

TOKEN = "123456:BENCH-token"
ROOT = Path(__file__).resolve().parents[1]
DEPLOYED_VENV = ROOT / "bench" / "out" / "deployed-venv"
TARGET_START_S, TARGET_RSS_MB = 1.0, 100.0


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def deployed_python() -> str:
    """The python of a venv with cdsbot installed as ``pip install .`` would (built once, cdsbot refreshed)."""
    py = DEPLOYED_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DEPLOYED_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
    else:
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True)
    return str(py)


async def _one(fake: FakeTelegramApi, kind: str, db_url: str, workdir: str, idle: float,
               python: str = sys.executable) -> dict[str, float]:
    fake.requests.clear()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    # as installed: bytecode cached (the first, unmeasured start writes it), not every module compiled per start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if kind == "ours":
        env |= {"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
                "CDSBOT_HTTP_PORT": str(free_ports(1)[0]), "CDSBOT_FILES_DIR": str(Path(workdir) / "files")}
        argv = [python, "-m", "bot.cli", "run"]
    else:
        argv = [python, "-m", "bench._botproc", "--kind", "bare", "--base-url", fake.base_url]
    if python == sys.executable or kind != "ours":  # deployed: cdsbot from its installed copy, not the tree
        env["PYTHONPATH"] = str(ROOT)
    else:
        env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL, cwd=workdir, env=env)
    try:
        while not fake.calls("getUpdates"):
            if proc.returncode is not None or time.perf_counter() - t0 > 60:
                raise RuntimeError(f"{kind} did not poll (exit {proc.returncode})")
            await asyncio.sleep(0.002)
        started = time.perf_counter() - t0
        cpu = cpu_seconds(proc.pid)  # CPU to the first poll: what load on a shared machine does not stretch
        web = await _web_up(int(env["CDSBOT_HTTP_PORT"]), t0) if kind == "ours" else float("nan")
        await asyncio.sleep(idle)
        rss = rss_mb(proc.pid)
    finally:
        if kind == "ours":
            proc.send_signal(signal.SIGTERM)
        elif proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return {"start_s": round(started, 3), "start_cpu_s": round(cpu, 3), "idle_rss_mb": round(rss, 1),
            "web_s": round(web, 3)}


async def _web_up(port: int, t0: float) -> float:
    """Seconds from ``t0`` to the web port accepting a connection (NaN if not within 10 s)."""
    while time.perf_counter() - t0 < 10:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.005)
            continue
        writer.close()
        return time.perf_counter() - t0
    return float("nan")


async def measure(repeats: int = 3, idle: float = 5.0, db_url: str | None = None, log: Any = print,
                  deployed: bool = False) -> dict[str, Any]:
    python = deployed_python() if deployed else sys.executable
    fake = FakeTelegramApi(token=TOKEN)
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="cdsbench_startup_") as workdir:
        url = db_url or f"sqlite:///{workdir}/cdsbot.db"
        try:
            first = await _one(fake, "ours", url, workdir, 0.5, python)  # migrates the fresh database
            log(f"first start (migrating a fresh database): {first['start_s']} s")
            runs: dict[str, list[dict[str, float]]] = {"ours": [], "echo": []}
            for i in range(repeats):
                for kind in ("ours", "echo") if i % 2 == 0 else ("echo", "ours"):
                    r = await _one(fake, kind, url, workdir, idle, python)
                    runs[kind].append(r)
                    web = f", web port {r['web_s']} s" if kind == "ours" else ""
                    log(f"{kind:>4} run {i + 1}: start-up {r['start_s']} s ({r['start_cpu_s']} s CPU){web}, "
                        f"idle RSS {r['idle_rss_mb']} MB")
        finally:
            await fake.stop()
    out: dict[str, Any] = {"repeats": repeats, "idle_s": idle, "first_start_s": first["start_s"], "deployed": deployed}
    for kind, rs in runs.items():
        out[kind] = {k: statistics.median(r[k] for r in rs) for k in ("start_s", "start_cpu_s", "idle_rss_mb")} | {
            "runs": rs}
    out["ours"]["web_s"] = statistics.median(r["web_s"] for r in runs["ours"])
    out["loadavg_1m"] = round(os.getloadavg()[0], 2)
    out["pass"] = {"start": out["ours"]["start_s"] <= TARGET_START_S,
                   "idle_rss": out["ours"]["idle_rss_mb"] <= TARGET_RSS_MB}
    return out


def run(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--idle", type=float, default=5.0, help="seconds of idle polling before reading RSS")
    p.add_argument("--db-url", help="a database URL (default: a fresh SQLite file)")
    p.add_argument("--deployed", action="store_true", help="run both from a venv as `pip install .` makes it")
    p.add_argument("--no-record", action="store_true")
    args = p.parse_args(argv)
    res = asyncio.run(measure(args.repeats, args.idle, args.db_url, deployed=args.deployed))
    if not args.no_record:
        record_result("startup", "postgresql" if args.db_url and "postgres" in args.db_url else "sqlite", 0, res,
                      variant="deployed" if args.deployed else "")
    o, e = res["ours"], res["echo"]
    print(f"RESULT startup ours: {o['start_s']} s ({o['start_cpu_s']} s CPU; web port {o['web_s']} s), "
          f"{o['idle_rss_mb']} MB; bare echo: "
          f"{e['start_s']} s ({e['start_cpu_s']} s CPU), {e['idle_rss_mb']} MB; load {res['loadavg_1m']}; pass={res['pass']}")
    return res


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
