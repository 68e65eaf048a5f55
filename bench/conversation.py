"""Conversation throughput through the real PTB stack (polling) against the fake Telegram server.

    .venv/bin/python -m bench.conversation --db sqlite --scale 1
    .venv/bin/python -m bench.conversation --configs ours:0:on,ours:true:off --seconds 20 --profile

Synthetic people (village members: a free-text log then the "Confirm" tap; unit officers: /baocao
and every step of the report) talk to the bot as fast as it answers (closed loop: each waits for
the reply before its next message). The fake server and the people run in this process, the bot in
a child process (``bench._botproc``), so each has a core. Measured per configuration after a
warm-up: updates handled per second and the time from queueing an update to the fake recording the
(last) reply, p50/p95/p99. A bare PTB echo bot on the same fake server, driven the same way
(text + button taps), gives the ceiling.

A configuration is ``kind:concurrent[:limiter]``: kind ``ours`` or ``echo``; concurrent is PTB's
``concurrent_updates`` (0 = sequential, as BotApp.build ships; ``true`` = 256; or a number);
limiter ``on`` = the channel's send pacing as shipped (30 messages/s overall), ``off`` = the product's
``CDSBOT_SEND_PACING=off`` (allowed against a Bot API on loopback only);
a fourth part ``lean`` runs bench._botproc's hot-path experiment (no per-reply "delivered"
transaction) to bound what batching those marks could save; ``webhookN`` runs N bot processes in
webhook mode behind one round-robin "load balancer" (bench.conversation_hook; meant for PostgreSQL).
Targets: ours ≥ 50 % of the echo ceiling and ≥ 300 updates/s per process on SQLite."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from bench import conversation_hook as hook
from bench.common import add_common_args, gen_config, out_dir, percentiles, prepare, record_result
from storage.db import Database
from storage.models import Identity, Person, Unit
from tests.fakes.telegram_api import FakeTelegramApi, SentMessage

__all__ = ["DEFAULT_CONFIGS", "bench_conversation", "main", "run"]

TOKEN = "123456:BENCH-token"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = ("echo:0", "echo:true", "ours:0:on", "ours:0:off", "ours:8:off", "ours:true:off",
                   "ours:true:on")
TARGET_FRACTION = 0.5
TARGET_UPS = 300.0
STEP_TIMEOUT = 30.0
LOGS = ("Hôm nay hỗ trợ {a} người kích hoạt VNeID mức 2, {b} hồ sơ DVC trực tuyến",
        "hỗ trợ {a} người cài VNeID", "mở {a} tài khoản ngân hàng, {b} hồ sơ sức khỏe điện tử",
        "hướng dẫn {a} người nộp hồ sơ DVC", "đến {c} hộ tuyên truyền, hỗ trợ {a} người kích hoạt VNeID")
ERROR_TEXTS = ("Sorry, something went wrong", "Xin lỗi, hệ thống đang gặp sự cố")


@dataclass
class Stats:
    steps: list[tuple[float, float]] = field(default_factory=list)  # (queued, last reply) perf_counter
    bad: int = 0  # a reply other than the one the script expected
    errors: int = 0  # the bot's "something went wrong" reply
    timeouts: int = 0
    unexpected: int = 0  # replies nobody was waiting for


class BenchFake(FakeTelegramApi):
    """The fake server, handing each sent message to the synthetic person it is addressed to."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.people: dict[int, Talker] = {}
        self.stats = Stats()
        self.poster: hook.WebhookPoster | None = None  # webhook mode: updates are POSTed to the workers

    async def deliver(self, update: dict[str, Any]) -> None:
        if self.poster is None:
            self.queue(update)
        else:
            await self.poster.post(self._with_update_id(update))

    def _record_sent(self, sent: SentMessage) -> None:  # replaces the list + event of the test fake
        person = self.people.get(sent.chat_id) if isinstance(sent.chat_id, int) else None
        if person is None:
            self.stats.unexpected += 1
            return
        person.receive(sent)


class Talker:
    def __init__(self, fake: BenchFake, uid: int) -> None:
        self.fake, self.uid = fake, uid
        self.replies: list[SentMessage] = []
        self.expect = 0
        self.done = asyncio.Event()
        self.t_last = 0.0
        fake.people[uid] = self

    def receive(self, sent: SentMessage) -> None:
        if self.expect == 0 or len(self.replies) >= self.expect:
            self.fake.stats.unexpected += 1
            return
        self.replies.append(sent)
        self.t_last = time.perf_counter()
        if any((sent.text or "").startswith(e) for e in ERROR_TEXTS):
            self.fake.stats.errors += 1
        if len(self.replies) >= self.expect:
            self.done.set()

    async def step(self, update: dict[str, Any], expect: int = 1) -> list[SentMessage]:
        self.replies, self.expect = [], expect
        self.done.clear()
        t0 = time.perf_counter()
        await self.fake.deliver(update)
        await asyncio.wait_for(self.done.wait(), STEP_TIMEOUT)
        self.expect = 0
        self.fake.stats.steps.append((t0, self.t_last))
        return self.replies

    def say(self, text: str, expect: int = 1) -> Any:
        return self.step(self.fake.message(self.uid, text), expect)

    def tap(self, reply: SentMessage, data: str) -> Any:
        return self.step(self.fake.callback(self.uid, data, message_id=reply.message_id))


async def _member(p: Talker, stop: asyncio.Event, rng: random.Random) -> None:
    while not stop.is_set():
        text = rng.choice(LOGS).format(a=rng.randint(1, 30), b=rng.randint(1, 9), c=rng.randint(5, 60))
        r = await p.say(text)
        if "ok" not in r[-1].callback_data:
            p.fake.stats.bad += 1
            await p.say("/huy")
            continue
        r = await p.tap(r[-1], "ok")
        if not (r[-1].text or "").startswith(("Đã lưu", "Saved")):
            p.fake.stats.bad += 1


async def _officer(p: Talker, stop: asyncio.Event, rng: random.Random) -> None:
    while not stop.is_set():
        r = await p.say("/baocao kỳ này", expect=2)  # the open period, even where earlier ones are owed
        for _ in range(400):
            data = r[-1].callback_data
            if "send" in data:
                r = await p.tap(r[-1], "send")
                break
            pick = next((c for c in ("done", "in_progress", "yes", "none") if c in data), None)
            r = await (p.tap(r[-1], pick) if pick else p.say(str(rng.randint(10, 95))))
        else:
            p.fake.stats.bad += 1
            await p.say("/huy")


async def _echo_person(p: Talker, stop: asyncio.Event, rng: random.Random) -> None:
    while not stop.is_set():
        r = await p.say(rng.choice(LOGS).format(a=rng.randint(1, 30), b=rng.randint(1, 9), c=rng.randint(5, 60)))
        await p.tap(r[-1], "ok")


async def _guarded(coro: Any, stats: Stats) -> None:
    try:
        await coro
    except TimeoutError:
        stats.timeouts += 1


async def _people(db_url: str, members: int, officers: int) -> tuple[list[int], list[int]]:
    db = Database(db_url)
    try:
        async with db.session() as s:
            def q(role: str, kind: str):  # noqa: ANN202
                return (select(Identity.external_id).join(Person, Person.id == Identity.person_id)
                        .join(Unit, Unit.id == Person.unit_id)
                        .where(Identity.channel == "telegram", Person.role == role, Unit.kind == kind)
                        .order_by(Person.id))
            m = [int(x) for x in (await s.exec(q("member", "village"))).all()]
            o = [int(x) for x in (await s.exec(q("officer", "office"))).all()]
    finally:
        await db.dispose()
    rng = random.Random(7)
    rng.shuffle(m)
    rng.shuffle(o)
    return m[:members], o[:officers]


async def _run_config(fake: BenchFake, config: str, db_url: str, members: list[int], officers: list[int],
                      warmup: float, seconds: float, profile: bool, label: str, log: Any) -> dict[str, Any]:
    kind, concurrent, limiter = hook.parse_config(config)
    fake.updates.clear()
    fake.requests.clear()
    fake.stats = Stats()
    workers = hook.webhook_workers(config)
    name = f"{label}_{kind}_{concurrent}_{limiter}" + ("_lean" if hook.is_lean(config) else "") + \
        (f"_webhook{workers}" if workers else "")
    logfile = out_dir() / f"conversation_{name}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "bench._botproc", "--kind", kind, "--base-url", fake.base_url,
           "--concurrent", concurrent, "--limiter", limiter, "--poll-timeout", "10"]
    if kind == "ours":
        cmd += ["--db-url", db_url] + (["--lean"] if hook.is_lean(config) else [])
    prof_path = out_dir() / f"profile_conversation_{name}.txt"
    if profile and kind == "ours":
        cmd += ["--profile-out", str(prof_path)]
    sql_path = out_dir() / f"sql_conversation_{name}.json"
    if kind == "ours":
        cmd += ["--sql-out", str(sql_path)]
    ports = hook.free_ports(workers) if workers else [None]
    procs = []
    with open(logfile, "wb") as err:
        for i, port in enumerate(ports):  # workers > 0: no profile; SQL counts to sql_path + ".i"
            extra = ["--webhook-port", str(port)] if port else []
            argv = cmd if i == 0 else [f"{a}.{i}" if a == str(sql_path) else a for a in cmd
                                       if a not in (str(prof_path), "--profile-out")]
            procs.append(await asyncio.create_subprocess_exec(*argv, *extra, stdin=asyncio.subprocess.PIPE,
                                                              stdout=asyncio.subprocess.PIPE, stderr=err,
                                                              cwd=str(ROOT)))
    fake.poster = hook.WebhookPoster(ports) if workers else None  # type: ignore[arg-type]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if b"READY" not in line:
                raise RuntimeError(f"bot process did not start ({config}); see {logfile}")
        if fake.poster is not None:
            await fake.poster.start()
        stop = asyncio.Event()
        rng = random.Random(11)
        tasks = []
        for uid in members:
            p = Talker(fake, uid)
            coro = _member(p, stop, random.Random(rng.random())) if kind == "ours" else \
                _echo_person(p, stop, random.Random(rng.random()))
            tasks.append(asyncio.create_task(_guarded(coro, fake.stats)))
        for uid in officers:
            p = Talker(fake, uid)
            coro = _officer(p, stop, random.Random(rng.random())) if kind == "ours" else \
                _echo_person(p, stop, random.Random(rng.random()))
            tasks.append(asyncio.create_task(_guarded(coro, fake.stats)))
        t_start = time.perf_counter() + warmup
        t_end = t_start + seconds
        cpu0: float | None = None
        while time.perf_counter() < t_end:
            await asyncio.sleep(0.25)
            fake.requests.clear()
            if cpu0 is None and time.perf_counter() >= t_start:
                cpu0, c0 = sum(hook.cpu_seconds(p.pid) for p in procs), time.perf_counter()
        bot_cpu = (sum(hook.cpu_seconds(p.pid) for p in procs) - cpu0) / (time.perf_counter() - c0) \
            if cpu0 is not None else None
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), STEP_TIMEOUT + 5)
        for t in tasks:
            t.cancel()
    finally:
        if fake.poster is not None:
            await fake.poster.stop()
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        fake.people.clear()
    st = fake.stats
    done = [(q, r) for q, r in st.steps if t_start <= r <= t_end]
    lat = [(r - q) * 1000 for q, r in st.steps if t_start <= q <= t_end]
    log_errors = sum(1 for line in logfile.read_text(encoding="utf-8", errors="replace").splitlines()
                     if " ERROR " in line)
    pct = percentiles(lat, (50, 95, 99))
    out = {
        "config": config, "kind": kind, "concurrent": concurrent, "limiter": limiter, "processes": len(procs),
        "webhook_rejected": fake.poster.rejected if fake.poster is not None else None,
        "users": len(members) + len(officers), "updates": len(done),
        "updates_per_s": round(len(done) / seconds, 1),
        "latency_ms": {k: round(v, 1) for k, v in pct.items()} | {"max": round(max(lat), 1) if lat else None},
        "bad": st.bad, "bot_error_replies": st.errors, "timeouts": st.timeouts, "unexpected": st.unexpected,
        "log_errors": log_errors,
        "bot_cpu_share": round(bot_cpu, 2) if bot_cpu is not None else None,
        "cpu_ms_per_update": round(bot_cpu * seconds * 1000 / len(done), 2) if bot_cpu and done else None,
    }
    if profile and kind == "ours" and prof_path.exists():
        out["profile"] = str(prof_path)
    if kind == "ours" and sql_path.exists():
        sql = json.loads(sql_path.read_text(encoding="utf-8"))
        for i in range(1, len(procs)):  # the other webhook workers' statements
            other = sql_path.with_name(f"{sql_path.name}.{i}")
            if other.exists():
                sql["statements"] += json.loads(other.read_text(encoding="utf-8"))["statements"]
        handled = len(st.steps)
        out["sql_per_update"] = round(sql["statements"] / handled, 1) if handled else None
        out["sql_top"] = dict(list(sql["by_shape"].items())[:12])
    log(f"{config:>14}: {out['updates_per_s']:>7} updates/s  p50 {pct['p50']:.0f} ms  p95 {pct['p95']:.0f} ms  "
        f"p99 {pct['p99']:.0f} ms  (bad {st.bad}, errors {st.errors}, timeouts {st.timeouts}, "
        f"unexpected {st.unexpected}, log errors {log_errors}); bot process CPU {out['bot_cpu_share']}, "
        f"{out['cpu_ms_per_update']} ms CPU/update, {out.get('sql_per_update')} SQL/update")
    return out


async def bench_conversation(db_url: str, *, configs: tuple[str, ...] = DEFAULT_CONFIGS, users: int = 100,
                             officer_share: float = 0.1, warmup: float = 3.0, seconds: float = 15.0,
                             profile: bool = False, label: str = "conversation", log: Any = print
                             ) -> dict[str, Any]:
    n_off = max(1, round(users * officer_share)) if users > 1 else 0
    members, officers = await _people(db_url, users - n_off, n_off)
    fake = BenchFake()
    await fake.start()
    runs = []
    try:
        for config in configs:
            runs.append(await _run_config(fake, config, db_url, members, officers, warmup, seconds, profile,
                                          label, log))
    finally:
        await fake.stop()
    echo = [r for r in runs if r["kind"] == "echo"]
    ours = [r for r in runs if r["kind"] == "ours"]
    ceiling = max((r["updates_per_s"] for r in echo), default=None)
    for r in ours:
        same = next((e for e in echo if e["concurrent"] == r["concurrent"]), None)
        r["fraction_of_ceiling"] = round(r["updates_per_s"] / ceiling, 3) if ceiling else None
        r["fraction_of_echo_same_concurrency"] = round(r["updates_per_s"] / same["updates_per_s"], 3) \
            if same and same["updates_per_s"] else None
    shipped = next((r for r in ours if r["config"] in ("ours:0:on", "ours:false:on")), ours[0] if ours else None)
    best = max((r for r in ours if not hook.is_lean(r["config"]) and not hook.webhook_workers(r["config"])),
               key=lambda r: r["updates_per_s"],
               default=None)  # the best app configuration; ``lean`` is an experiment, not the app
    return {
        "users": len(members) + len(officers), "members": len(members), "officers": len(officers),
        "warmup_s": warmup, "measure_s": seconds, "echo_ceiling_updates_per_s": ceiling,
        "shipped": _brief(shipped), "best": _brief(best), "runs": runs,
        "targets": {"fraction_of_echo": TARGET_FRACTION, "updates_per_s": TARGET_UPS},
    }


def _brief(r: dict[str, Any] | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {k: r[k] for k in ("config", "updates_per_s", "latency_ms", "fraction_of_ceiling")}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.conversation", description=__doc__.split("\n\n")[0])
    add_common_args(p)
    p.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                   help="comma-separated kind:concurrent[:limiter] (default: %(default)s)")
    p.add_argument("--users", type=int, default=100, help="synthetic people talking at once")
    p.add_argument("--officer-share", type=float, default=0.1)
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--seconds", type=float, default=15.0, help="measured seconds per configuration")
    return p


async def run_async(args: argparse.Namespace) -> dict[str, Any]:
    cfg = gen_config(args)
    prepared = await prepare(args.db, cfg, keep=args.keep_data, in_process=args.tiny)
    try:
        label = f"{args.db}_{'tiny' if args.tiny else args.scale}"
        result = await bench_conversation(
            prepared.url, configs=tuple(c.strip() for c in args.configs.split(",") if c.strip()),
            users=args.users, officer_share=args.officer_share, warmup=args.warmup, seconds=args.seconds,
            profile=args.profile, label=label)
    finally:
        await prepared.cleanup()
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    best, shipped = result["best"], result["shipped"]
    result["pass"] = {
        "best_fraction": best is not None and (best["fraction_of_ceiling"] or 0) >= TARGET_FRACTION,
        "best_updates_per_s": best is not None and best["updates_per_s"] >= TARGET_UPS,
        "shipped_fraction": shipped is not None and (shipped["fraction_of_ceiling"] or 0) >= TARGET_FRACTION,
        "shipped_updates_per_s": shipped is not None and shipped["updates_per_s"] >= TARGET_UPS,
    }
    return result


def run(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = asyncio.run(run_async(args))
    scale = "tiny" if args.tiny else args.scale
    if not args.no_record:
        record_result("conversation", args.db, scale, result)
    s, b = result["shipped"] or {}, result["best"] or {}
    print(f"RESULT conversation db={args.db} scale={scale} users={result['users']} "
          f"echo_ceiling={result['echo_ceiling_updates_per_s']} shipped={s.get('config')}:"
          f"{s.get('updates_per_s')}/s p95={s.get('latency_ms', {}).get('p95')}ms "
          f"best={b.get('config')}:{b.get('updates_per_s')}/s p95={b.get('latency_ms', {}).get('p95')}ms "
          f"fraction={b.get('fraction_of_ceiling')} pass={result['pass']}")
    return result


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
