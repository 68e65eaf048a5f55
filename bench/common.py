"""Shared benchmark plumbing: machine facts, results.json, percentiles, RSS, and benchmark databases.

Benchmark databases are named ``cdsbench_*``: SQLite files under ``bench/out/`` (git-ignored) or
PostgreSQL databases on ``CDSBENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
A generated data set is kept as a template (``cdsbench_tmpl_<tag>``) and every run works on a copy
(``cdsbench_run_<pid>_<n>``), dropped after the run; the template too unless ``--keep-data``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "Prepared", "Profile", "QueryCounter", "add_common_args", "add_db_args", "current_rss_mb", "drop_all", "ensure_template", "gen_config", "machine_info",
    "out_dir", "peak_rss_mb", "percentiles", "prepare", "record_result", "results_path", "store_for",
]

BENCH = Path(__file__).resolve().parent


def out_dir() -> Path:
    """Where SQLite data sets and profiles go (``CDSBENCH_OUT``, default bench/out/, git-ignored)."""
    return Path(os.environ.get("CDSBENCH_OUT", BENCH / "out"))


def results_path() -> Path:
    return Path(os.environ.get("CDSBENCH_RESULTS", BENCH / "results.json"))

PG_ADMIN_URL = os.environ.get("CDSBENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = "cdsbench_"


# ---- machine, results --------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = 0.0
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    return {"nproc": os.cpu_count(), "ram_gb": mem_gb, "cpu": cpu or platform.processor(),
            "python": platform.python_version()}


def _git_rev() -> str | None:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=BENCH.parent, capture_output=True,
                             text=True, timeout=5)  # "<commit>-dirty" when the working tree has changes
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def record_result(bench: str, db: str, scale: int | str, metrics: dict[str, Any], variant: str = "",
                  path: Path | None = None) -> dict[str, Any]:
    """Add or replace the row (bench, db, scale, variant) in results.json; returns the row."""
    path = path or results_path()
    row = {"bench": bench, "db": db, "scale": scale, "variant": variant,
           "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "git": _git_rev(),
           "machine": machine_info(), **metrics}
    data: dict[str, Any] = {"rows": []}
    if path.exists():
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(path.read_text(encoding="utf-8"))
    rows = [r for r in data.get("rows", []) if (r.get("bench"), r.get("db"), r.get("scale"), r.get("variant", ""))
            != (bench, db, scale, variant)]
    rows.append(row)
    rows.sort(key=lambda r: (r["bench"], r["db"], str(r["scale"]).zfill(4), r.get("variant", "")))
    data["rows"] = rows
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return row


def percentiles(values: Iterable[float], ps: tuple[float, ...] = (50, 95, 99)) -> dict[str, float]:
    """Linear-interpolated percentiles of ``values`` (same unit), keyed "p50", "p95", …"""
    xs = sorted(values)
    out: dict[str, float] = {}
    for p in ps:
        if not xs:
            out[f"p{p:g}"] = float("nan")
            continue
        k = (len(xs) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(xs) - 1)
        out[f"p{p:g}"] = xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def add_db_args(p: argparse.ArgumentParser, *, scales: bool = True) -> None:
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    if scales:
        p.add_argument("--scale", type=int, default=1, help="1, 4 or 16 (16 = the 100-commune province)")
        p.add_argument("--communes", type=int, default=None, help="override the number of communes")
    p.add_argument("--keep-data", action="store_true",
                   help="keep the generated template database for the next run (drop with bench.generate --drop)")
    p.add_argument("--no-record", action="store_true", help="do not write bench/results.json")


# ---- databases ---------------------------------------------------------------------------------

class SqliteStore:
    kind = "sqlite"

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or out_dir()

    def path(self, name: str) -> Path:
        return self.root / f"{name}.db"

    def url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.path(name)}"

    async def exists(self, name: str) -> bool:
        return self.path(name).exists()

    async def create_empty(self, name: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await self.drop(name)

    async def rename(self, src: str, dst: str) -> None:
        _checkpoint(self.path(src))
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(str(self.path(src)) + suffix)
        os.replace(self.path(src), self.path(dst))

    async def clone(self, src: str, dst: str) -> None:
        _checkpoint(self.path(src))
        shutil.copyfile(self.path(src), self.path(dst))

    async def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(str(self.path(name)) + suffix)

    async def list(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob(f"{PREFIX}*.db")) if self.root.is_dir() else []

    async def size_mb(self, name: str) -> float:
        return round(self.path(name).stat().st_size / 1e6, 1)


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


class PgStore:
    kind = "postgresql"

    def __init__(self, admin_url: str = PG_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.base = admin_url.rsplit("/", 1)[0]

    def url(self, name: str) -> str:
        return f"{self.base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"

    def plain_url(self, name: str) -> str:
        return f"{self.base}/{name}"

    async def _admin(self):  # noqa: ANN202
        import asyncpg

        return await asyncpg.connect(self.admin_url)

    async def _run(self, sql: str, *args: Any) -> Any:
        conn = await self._admin()
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def exists(self, name: str) -> bool:
        return bool(await self._run("SELECT 1 FROM pg_database WHERE datname = $1", name))

    async def create_empty(self, name: str) -> None:
        await self.drop(name)
        await self._run(f'CREATE DATABASE "{name}"')

    async def rename(self, src: str, dst: str) -> None:
        await self._run(f'ALTER DATABASE "{src}" RENAME TO "{dst}"')

    async def clone(self, src: str, dst: str) -> None:
        await self.drop(dst)
        await self._run(f'CREATE DATABASE "{dst}" TEMPLATE "{src}"')

    async def drop(self, name: str) -> None:
        await self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def list(self) -> list[str]:
        rows = await self._run("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1", PREFIX + "%")
        return [r[0] for r in rows]

    async def size_mb(self, name: str) -> float:
        rows = await self._run("SELECT pg_database_size($1)", name)
        return round(rows[0][0] / 1e6, 1)


def store_for(kind: str) -> SqliteStore | PgStore:
    return SqliteStore() if kind == "sqlite" else PgStore()


@dataclass
class Prepared:
    """A working copy of a generated data set."""

    url: str
    kind: str
    template: str
    name: str
    generated_s: float | None  # seconds spent generating (None: the template was reused)
    size_mb: float
    _cleanup: Callable[[], Awaitable[None]]

    async def cleanup(self) -> None:
        await self._cleanup()


async def ensure_template(kind: str, cfg: Any, *, in_process: bool = False,
                          log: Callable[[str], None] = print) -> tuple[str, float | None]:
    """Name of the template holding data set ``cfg`` (generated now if missing) and the seconds spent
    generating it (None when it was already there). Generation runs in a child process unless
    ``in_process``, so a benchmark's peak RSS is its own."""
    store = store_for(kind)
    template = f"{PREFIX}tmpl_{cfg.tag}"
    if await store.exists(template):
        return template, None
    partial = f"{PREFIX}part_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await store.create_empty(partial)
    started = time.perf_counter()
    try:
        if in_process:
            from bench.generate import generate

            await generate(store.url(partial), cfg, log=log)
        else:
            cmd = [sys.executable, "-m", "bench.generate", "--url", store.url(partial), *cfg.as_args()]
            proc = await asyncio.create_subprocess_exec(*cmd, cwd=str(BENCH.parent))
            if await proc.wait() != 0:
                raise RuntimeError(f"data generation failed: {' '.join(cmd)}")
        if kind == "postgresql":
            await _pg_vacuum_analyze(store, partial)  # type: ignore[arg-type]
        await store.rename(partial, template)
    except BaseException:
        await store.drop(partial)
        raise
    return template, round(time.perf_counter() - started, 1)


async def prepare(kind: str, cfg: Any, *, keep: bool = False, in_process: bool = False,
                  log: Callable[[str], None] = print) -> Prepared:
    """Generate (or reuse) the data set ``cfg`` on ``kind`` and return a fresh working copy of it."""
    store = store_for(kind)
    template, generated_s = await ensure_template(kind, cfg, in_process=in_process, log=log)
    name = f"{PREFIX}run_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await store.clone(template, name)
    from storage.db import upgrade

    await upgrade(store.url(name))  # a template kept from an older schema gets today's migrations
    size = await store.size_mb(name)

    async def cleanup() -> None:
        await store.drop(name)
        if not keep:
            await store.drop(template)

    return Prepared(store.url(name), kind, template, name, generated_s, size, cleanup)


async def _pg_vacuum_analyze(store: PgStore, name: str) -> None:
    """Statistics and visibility map as autovacuum would leave them on a live database."""
    import asyncpg

    conn = await asyncpg.connect(store.plain_url(name))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def drop_all(log: Callable[[str], None] = print) -> None:
    """Remove every cdsbench_* database (both backends) and SQLite file."""
    for kind in ("sqlite", "postgresql"):
        store = store_for(kind)
        try:
            names = await store.list()
        except Exception as exc:  # PostgreSQL not reachable
            log(f"{kind}: skipped ({exc.__class__.__name__})")
            continue
        for name in names:
            await store.drop(name)
            log(f"dropped {kind} {name}")


# ---- shared command-line bits ------------------------------------------------------------------

def gen_config(args: argparse.Namespace) -> Any:
    """The data set a benchmark's arguments ask for (``--tiny`` for smoke tests)."""
    from bench.generate import TINY, GenConfig

    if getattr(args, "tiny", False):
        return TINY
    return GenConfig(scale=args.scale, communes=args.communes)


def add_common_args(p: argparse.ArgumentParser) -> None:
    add_db_args(p)
    p.add_argument("--tiny", action="store_true", help="a one-commune data set (smoke tests)")
    p.add_argument("--profile", action="store_true",
                   help="also run under cProfile and write the top functions to bench/out/")


class Profile:
    """cProfile around a block; ``write(name)`` saves the top functions by own and cumulative time."""

    def __init__(self, enabled: bool) -> None:
        import cProfile

        self.prof = cProfile.Profile() if enabled else None

    def __enter__(self) -> Profile:
        if self.prof is not None:
            self.prof.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.prof is not None:
            self.prof.disable()

    def calls(self) -> int | None:
        """Python function calls made inside the block (cProfile's total; None when not profiling)."""
        if self.prof is None:
            return None
        import pstats

        return pstats.Stats(self.prof).total_calls  # type: ignore[attr-defined, no-any-return]

    def write(self, name: str, top: int = 40) -> str | None:
        if self.prof is None:
            return None
        import io
        import pstats

        out = io.StringIO()
        st = pstats.Stats(self.prof, stream=out)
        st.sort_stats("tottime").print_stats(top)
        st.sort_stats("cumulative").print_stats(top)
        path = out_dir() / f"profile_{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out.getvalue(), encoding="utf-8")
        return str(path)


class QueryCounter:
    """Counts SQL statements sent through an engine and times them by statement shape.

    The time is taken between SQLAlchemy's before/after_cursor_execute events, so it is the
    statement's wall time as the app sees it (driver thread or network round trip included)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.n = 0
        self.by_sql: dict[str, list[float]] = {}  # shape -> [count, seconds]
        self._engine = engine.sync_engine
        self._event = event
        event.listen(self._engine, "before_cursor_execute", self._before)
        event.listen(self._engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _statement: str, *_a: Any) -> None:
        self.n += 1
        conn.info["cdsbench_t0"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        t0 = conn.info.pop("cdsbench_t0", None)
        if t0 is None:
            return
        shape = " ".join(statement.split())
        if len(shape) > 160:
            shape = shape[:110] + " … " + shape[-45:]
        entry = self.by_sql.setdefault(shape, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - t0

    def reset(self) -> None:
        self.by_sql.clear()

    def top(self, n: int = 8) -> list[dict[str, Any]]:
        """The statement shapes taking most time: count, total ms, ms per call."""
        rows = sorted(self.by_sql.items(), key=lambda kv: -kv[1][1])[:n]
        return [{"sql": sql, "count": c, "total_ms": round(t * 1000, 1), "ms_each": round(t * 1000 / c, 3)}
                for sql, (c, t) in rows]

    def close(self) -> None:
        self._event.remove(self._engine, "before_cursor_execute", self._before)
        self._event.remove(self._engine, "after_cursor_execute", self._after)


def log_sql_top(log: Callable[[str], None], title: str, top: list[dict[str, Any]], n: int = 6) -> None:
    log(f"  slowest statement shapes ({title}):")
    for row in top[:n]:
        log(f"    {row['total_ms']:>9.1f} ms  {row['count']:>6}×  {row['ms_each']:>7.3f} ms  {row['sql']}")
