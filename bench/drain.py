"""Drain of queued updates: cdsbot against a bare PTB echo bot, same updates, interleaved, median of N.

    .venv/bin/python -m bench.drain --db sqlite --scale 1 [--members 200 --rounds 5 --repeats 3]

The issue's measure (#17): ``members`` joined village members each send ``rounds`` × (a free-text
activity log, then "1" to confirm it): 2,000 text updates by default, all queued on the fake Bot API
before the bot starts polling. The bare echo (``bench._botproc --kind bare``: PTB ``Application`` + one
``MessageHandler`` replying with the text, PTB's defaults) drains the same updates. Time = from the
bot's first getUpdates to the last reply; ratio = our updates/s ÷ the echo's, per repeat and the median
of the repeats (runs alternate echo/ours). cdsbot runs with ``CDSBOT_SEND_PACING=off`` (the product
setting; the fake is on loopback). Every update must get exactly one reply: lost and doubled replies
are counted per chat (and every "1" must be answered with the saved confirmation)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import conversation_hook as hook
from bench.common import add_common_args, gen_config, out_dir, prepare, record_result
from bench.conversation import LOGS, ROOT, TOKEN, _people
from tests.fakes.telegram_api import FakeTelegramApi, SentMessage

__all__ = ["main", "run", "run_drain"]

SAVED = ("Đã lưu", "Saved")


class DrainFake(FakeTelegramApi):
    """Counts replies per chat instead of keeping them; remembers when the last one came."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.replies: Counter[int] = Counter()
        self.confirmed: Counter[int] = Counter()
        self.t_last = 0.0
        self.expected = 0

    def _record_sent(self, sent: SentMessage) -> None:
        chat = int(sent.chat_id)
        self.replies[chat] += 1
        if (sent.text or "").startswith(SAVED):
            self.confirmed[chat] += 1
        self.t_last = time.perf_counter()


def _updates(fake: DrainFake, members: list[int], rounds: int, seed: int) -> list[tuple[int, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        for uid in members:
            text = rng.choice(LOGS).format(a=rng.randint(1, 30), b=rng.randint(1, 9), c=rng.randint(5, 60))
            out += [(uid, text), (uid, "1")]
    return out


async def _one(fake: DrainFake, kind: str, db_url: str, updates: list[tuple[int, str]], label: str,
               timeout: float, pyspy: str | None = None) -> dict[str, Any]:
    fake.updates.clear()
    fake.requests.clear()
    fake.replies.clear()
    fake.confirmed.clear()
    for uid, text in updates:
        fake.queue(fake.message(uid, text))
    sql_path = out_dir() / f"sql_drain_{label}_{kind}.json"
    cmd = [sys.executable, "-m", "bench._botproc", "--kind", kind, "--base-url", fake.base_url]
    if kind == "ours":
        cmd += ["--db-url", db_url, "--limiter", "off", "--concurrent", "0", "--sql-out", str(sql_path)]
    logfile = out_dir() / f"drain_{label}_{kind}.log"
    with open(logfile, "wb") as err:
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=err, cwd=str(ROOT))
    load0 = os.getloadavg()[0]
    spy = None
    if pyspy and kind == "ours":  # py-spy (not a dependency) sampling the bot for the whole run, raw stacks
        spy = await asyncio.create_subprocess_exec(str(Path(sys.executable).with_name("py-spy")), "record", "-p",
                                                   str(proc.pid), "-o", pyspy, "--format", "raw", "-r", "250",
                                                   "--nonblocking", stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    try:
        t_spawn = time.perf_counter()
        while not fake.calls("getUpdates"):
            if proc.returncode is not None or time.perf_counter() - t_spawn > 60:
                raise RuntimeError(f"{kind} did not poll; see {logfile}")
            await asyncio.sleep(0.001)
        t0, cpu0 = time.perf_counter(), hook.cpu_seconds(proc.pid)
        n = len(updates)
        while sum(fake.replies.values()) < n and time.perf_counter() - t0 < timeout:
            await asyncio.sleep(0.002)
        cpu1 = hook.cpu_seconds(proc.pid)
        elapsed = fake.t_last - t0
        await asyncio.sleep(0.5)  # late doubles
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        if spy is not None:
            await spy.wait()
    want = Counter(uid for uid, _t in updates)
    lost = sum(max(0, want[c] - fake.replies[c]) for c in want)
    doubled = sum(max(0, fake.replies[c] - want[c]) for c in fake.replies)
    out: dict[str, Any] = {
        "kind": kind, "updates": n, "seconds": round(elapsed, 3), "updates_per_s": round(n / elapsed, 1),
        "cpu_ms_per_update": round((cpu1 - cpu0) * 1000 / n, 2), "bot_cpu_share": round((cpu1 - cpu0) / elapsed, 2),
        "lost": lost, "doubled": doubled, "loadavg_1m": round((load0 + os.getloadavg()[0]) / 2, 2)}
    if kind == "ours":
        confirms = sum(1 for _uid, t in updates if t == "1")
        out["unconfirmed"] = confirms - sum(fake.confirmed.values())
        if sql_path.exists():
            out["sql_per_update"] = round(json.loads(sql_path.read_text(encoding="utf-8"))["statements"] / n, 2)
    return out


async def run_drain(db_url: str, *, members: int = 200, rounds: int = 5, repeats: int = 3, label: str = "drain",
                    timeout: float = 300.0, pyspy: str | None = None, log: Any = print) -> dict[str, Any]:
    people, _officers = await _people(db_url, members, 0)
    if len(people) < members:
        raise RuntimeError(f"only {len(people)} joined members in the data set, {members} asked for")
    fake = DrainFake()
    await fake.start()
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "ours": []}
    try:
        for i in range(repeats):
            updates = _updates(fake, people, rounds, seed=i)
            for kind in ("bare", "ours") if i % 2 == 0 else ("ours", "bare"):
                r = await _one(fake, kind, db_url, updates, f"{label}_{i}", timeout, pyspy if i == 0 else None)
                runs[kind].append(r)
                log(f"repeat {i + 1} {kind:>4}: {r['updates_per_s']:>7} updates/s, {r['cpu_ms_per_update']} ms CPU/"
                    f"update, lost {r['lost']}, doubled {r['doubled']}, load {r['loadavg_1m']}"
                    + (f", SQL/update {r.get('sql_per_update')}, unconfirmed {r.get('unconfirmed')}"
                       if kind == "ours" else ""))
    finally:
        await fake.stop()
    ratios = [o["updates_per_s"] / b["updates_per_s"] for o, b in zip(runs["ours"], runs["bare"], strict=True)]
    med = {k: {m: statistics.median(r[m] for r in rs) for m in ("updates_per_s", "cpu_ms_per_update")}
           for k, rs in runs.items()}
    return {"members": members, "rounds": rounds, "updates": 2 * members * rounds, "repeats": repeats,
            "bare": med["bare"], "ours": med["ours"] | {"sql_per_update": statistics.median(
                r.get("sql_per_update") or 0 for r in runs["ours"])},
            "ratio_median": round(statistics.median(ratios), 3), "ratios": [round(x, 3) for x in ratios],
            "lost": sum(r["lost"] for rs in runs.values() for r in rs),
            "doubled": sum(r["doubled"] for rs in runs.values() for r in rs),
            "unconfirmed": sum(r.get("unconfirmed", 0) for r in runs["ours"]),
            "loadavg_1m": [r["loadavg_1m"] for rs in runs.values() for r in rs], "runs": runs}


def run(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m bench.drain", description=__doc__.split("\n\n")[0])
    add_common_args(p)
    p.add_argument("--members", type=int, default=200)
    p.add_argument("--rounds", type=int, default=5, help="(log, '1') pairs per member")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pyspy", help="record the first cdsbot run with py-spy (raw stacks) into this file")
    args = p.parse_args(argv)

    async def go() -> dict[str, Any]:
        prepared = await prepare(args.db, gen_config(args), keep=args.keep_data, in_process=args.tiny)
        try:
            return await run_drain(prepared.url, members=args.members, rounds=args.rounds, repeats=args.repeats,
                                   label=f"{args.db}_{'tiny' if args.tiny else args.scale}", pyspy=args.pyspy)
        finally:
            await prepared.cleanup()

    res = asyncio.run(go())
    scale = "tiny" if args.tiny else args.scale
    if not args.no_record:
        record_result("drain", args.db, scale, res)
    print(f"RESULT drain db={args.db} scale={scale} updates={res['updates']} bare={res['bare']['updates_per_s']}/s "
          f"ours={res['ours']['updates_per_s']}/s ratio={res['ratio_median']} ({res['ratios']}) lost={res['lost']} "
          f"doubled={res['doubled']} unconfirmed={res['unconfirmed']} load={res['loadavg_1m']}")
    return res


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
