"""Synthetic province generator: communes, org trees, people, identities, plans and 12 months of history.

Scale: ``--scale 16`` is the full province of ``FULL_COMMUNES`` (100) communes; ``--scale S`` has
ceil(100 × S / 16) communes (1× = 7, 4× = 25, 16× = 100). Per commune: ~40 villages × 5 members,
15 officers (2 of them leads), one seed plan (cycling through tests/data/seeds), 12 full months of
village activity logs and unit reports plus the current month in progress.

    .venv/bin/python -m bench.generate --db sqlite --scale 16 --keep-data   # build and keep a template
    .venv/bin/python -m bench.generate --url sqlite+aiosqlite:///x.db --scale 1   # into a given database
    .venv/bin/python -m bench.generate --drop                                # remove all cdsbench_* data

Rows are written with SQLAlchemy core ``insert`` and lists of dicts, in batches, with ids assigned
here; the plans go through the real importer (``parse_plan_file`` + ``save_plan``)."""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import (
    ActivityLog,
    Commune,
    Identity,
    Indicator,
    IndicatorUnit,
    Person,
    Province,
    Report,
    ReportingPeriod,
    ReportItem,
    ReportRevision,
    TaskUnit,
    Unit,
)
from storage.models_plan import answer_kind_for

__all__ = ["BENCH_NOW", "FULL_COMMUNES", "PROVINCE", "GenConfig", "TINY", "generate", "seed_plans"]

GEN_VERSION = 2  # 2: the communes belong to one province
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# 08:00 in Hanoi, Wednesday 16 Dec 2026: December's data window closed on the 14th, reports are due
# before the 20th, so the sweep's "3 days left" stage fires and about a third of units have reported.
BENCH_NOW = datetime(2026, 12, 16, 8, 0, tzinfo=TZ)
FULL_COMMUNES = 100
PROVINCE = "Lạng Sơn"  # every generated commune belongs to it (the province view)
SEEDS = Path(__file__).resolve().parents[1] / "tests" / "data" / "seeds"
BATCH = 5000
TG_BASE = 700_000_000  # telegram user id = TG_BASE + person id


@dataclass(frozen=True)
class GenConfig:
    scale: int = 1
    communes: int | None = None  # default: ceil(FULL_COMMUNES × scale / 16)
    villages: int = 40
    members: int = 5  # per village
    officers: int = 15  # per commune, 2 of them leads
    months: int = 12  # full months of history before the current one
    logs: tuple[int, int] = (10, 26)  # activity logs per reporting village per month
    seed: int = 57
    telegram_share: float = 0.88
    zalo_share: float = 0.06  # the rest (6 %) has no chat identity yet
    now: datetime = field(default=BENCH_NOW)

    @property
    def n_communes(self) -> int:
        return self.communes if self.communes is not None else max(1, math.ceil(FULL_COMMUNES * self.scale / 16))

    @property
    def tag(self) -> str:
        return (f"g{GEN_VERSION}_c{self.n_communes}v{self.villages}m{self.members}o{self.officers}"
                f"h{self.months}l{self.logs[0]}-{self.logs[1]}s{self.seed}")

    def as_args(self) -> list[str]:
        return ["--scale", str(self.scale), "--communes", str(self.n_communes), "--villages", str(self.villages),
                "--members", str(self.members), "--officers", str(self.officers), "--months", str(self.months),
                "--logs", f"{self.logs[0]}-{self.logs[1]}", "--seed", str(self.seed)]

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["n_communes"] = self.n_communes
        d["now"] = self.now.isoformat()
        return d


# A tiny province for smoke tests: seconds to build.
TINY = GenConfig(scale=1, communes=1, villages=3, members=2, officers=4, months=2, logs=(2, 4))


# ---- names -------------------------------------------------------------------------------------

FAMILY = (("Nguyễn", 30), ("Trần", 10), ("Lê", 9), ("Phạm", 6), ("Hoàng", 6), ("Vũ", 3), ("Phan", 3),
          ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 2), ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Lò", 2),
          ("Hà", 3), ("Nông", 3), ("Triệu", 2), ("Ma", 1), ("Lục", 1), ("Vi", 1), ("Đinh", 2), ("Lương", 1),
          ("Mai", 1), ("Trịnh", 1), ("Hứa", 1), ("Lăng", 1))
MIDDLE_M = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Công", "Ngọc", "Mạnh", "Tiến")
MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Kim", "Mỹ", "Bích")
GIVEN_M = ("Minh", "Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Thắng", "Quân", "Cường", "Sơn", "Tùng",
           "Hoàng", "Phong", "Khánh", "Đức", "Trung", "Hiếu", "Thành", "Bình", "Toàn", "Vinh", "Tài", "Lâm",
           "Huy", "Kiên", "Phúc", "An", "Bảo", "Đạt", "Chiến", "Thịnh", "Lực", "Quyết", "Giang")
GIVEN_F = ("Hoa", "Lan", "Hương", "Mai", "Linh", "Trang", "Thảo", "Ngọc", "Hà", "Huyền", "Nhung", "Phương",
           "Yến", "Thủy", "Hạnh", "Dung", "Loan", "Oanh", "Vân", "Chi", "Anh", "Quỳnh", "Nga", "Liên", "Thu",
           "Tuyết", "Hằng", "Giang", "Hiền", "My", "Xuân", "Duyên")
PLACES = ("Nà Pài", "Khuổi Luông", "Bản Chang", "Nà Lẹng", "Pác Nặm", "Cốc Phường", "Đồng Tâm", "Tân Lập",
          "Hòa Bình", "Quyết Tiến", "Thống Nhất", "Đoàn Kết", "Tân Tiến", "Bình An", "Phú Lợi", "Yên Thịnh",
          "Hợp Thành", "Đông Xuân", "Minh Khai", "Quang Trung", "Làng Mới", "Nà Hu", "Khau Cà", "Pò Rản",
          "Lũng Vài", "Nà Pồng", "Bó Củng", "Khuổi Tát", "Nặm Nhùng", "Phiêng Luông", "Thạch Sơn",
          "Vĩnh Thông", "Thiện Tân", "Tân Thanh", "Tiêu Cần", "Bắc Sơn", "Hữu Lũng", "Chi Lăng", "Yên Bình",
          "Lạc Dương", "Tân Hòa", "An Phú", "Phú Thịnh", "Đồng Lạc", "Hưng Đạo", "Liên Minh", "Xuân Dương",
          "Cao Minh", "Hồng Phong", "Kim Hỷ", "Cư Lễ", "Văn Minh", "Côn Minh", "Quang Phong", "Dương Sơn",
          "Văn Vũ", "Lương Thượng", "Lạng San", "Ân Tình", "Lam Sơn", "Cường Lợi", "Đổng Xá", "Hảo Nghĩa",
          "Lương Hạ", "Quang Thuận", "Thượng Quan", "Vũ Muộn", "Cao Sơn", "Trung Hòa", "Nghĩa Tá",
          "Lương Bằng", "Bằng Vân", "Đồng Phúc", "Thượng Giáo", "Hà Hiệu", "Địa Linh", "Yến Dương",
          "Chu Hương", "Mỹ Phương", "Nam Mẫu", "Khang Ninh", "Cao Thượng", "Phúc Lộc", "Bành Trạch",
          "Quảng Khê", "Đồng Lợi", "Nà Mò", "Bản Tàn", "Khuổi Khỉ", "Phja Đeng", "Lũng Cọ", "Nà Ngần")
VILLAGE_PREFIX = ("Thôn", "Thôn", "Thôn", "Bản", "Xóm", "Tổ dân phố")
ROOT = "UBND xã"
LEAD_OFFICE = "Phòng Văn hóa - Xã hội"
OFFICES = ("Văn phòng HĐND và UBND xã", LEAD_OFFICE, "Phòng Kinh tế", "Trung tâm Phục vụ hành chính công",
           "Công an xã", "Trạm y tế xã", "Ban Chỉ huy Quân sự xã", "Trường THCS", "Trường Tiểu học")
PARTY = ("Đảng ủy xã", "Văn phòng Đảng ủy", "Ủy ban MTTQ Việt Nam xã")
ACTIVITIES = (("vneid", 30, (1, 25), "hỗ trợ {n} người kích hoạt VNeID"),
              ("dvc", 20, (1, 12), "{n} hồ sơ DVC trực tuyến"),
              ("payment", 15, (1, 15), "mở {n} tài khoản ngân hàng"),
              ("households", 12, (5, 60), "đến {n} hộ"),
              ("skills", 8, (3, 40), "hướng dẫn kỹ năng số cho {n} người"),
              ("outreach", 7, (10, 120), "tuyên truyền {n} người"),
              ("ehealth", 5, (1, 10), "{n} hồ sơ sức khỏe điện tử"),
              ("ecommerce", 3, (1, 5), "{n} hộ bán hàng trên sàn TMĐT"))
TASK_STATUS = ("not_started", "in_progress", "done", "blocked")


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


_FAM, _FAM_W = _weighted(FAMILY)
_ACT_CODES = [a[0] for a in ACTIVITIES]
_ACT_W = [a[1] for a in ACTIVITIES]
_ACT = {a[0]: a for a in ACTIVITIES}


def person_name(rng: random.Random) -> str:
    female = rng.random() < 0.5
    fam = rng.choices(_FAM, _FAM_W)[0]
    mid = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    return f"{fam} {mid} {given}"


def _unique_names(rng: random.Random, n: int, make: Callable[[str], str]) -> list[str]:
    pool = list(PLACES)
    rng.shuffle(pool)
    out: list[str] = []
    round_ = 1
    while len(out) < n:
        for place in pool:
            if len(out) >= n:
                break
            out.append(make(place) + ("" if round_ == 1 else f" {round_}"))
        round_ += 1
    return out


# ---- plans -------------------------------------------------------------------------------------

def seed_plans(log: Callable[[str], None] = print) -> list[tuple[str, Any]]:
    """(file name, ParsedPlan) for each seed plan; [] with a message when tests/data/seeds is absent."""
    if not SEEDS.is_dir():
        log(f"seed plans not found at {SEEDS}: communes get no plan (reports will have no items)")
        return []
    from storage.plan_import.parse import parse_plan_file

    return [(p.name, parse_plan_file(p)) for p in sorted(SEEDS.glob("*.txt"))]


# ---- writer ------------------------------------------------------------------------------------

class Writer:
    """Buffers rows per table and writes them with executemany in batches of ``BATCH`` rows."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.buf: dict[Any, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    async def add(self, model: Any, row: dict[str, Any]) -> None:
        table = model.__table__
        rows = self.buf.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            await self.flush()  # every table, parents first (dict order), so foreign keys hold

    async def flush(self, table: Any = None) -> None:
        tables = [table] if table is not None else list(self.buf)
        for t in tables:
            rows = self.buf.get(t)
            if rows:
                await self.conn.execute(insert(t), rows)
                self.counts[t.name] = self.counts.get(t.name, 0) + len(rows)
                self.buf[t] = []


class Ids:
    def __init__(self, start: dict[str, int]) -> None:
        self.last = dict(start)

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


# ---- periods -----------------------------------------------------------------------------------

def _periods(cfg: GenConfig) -> tuple[list[Any], list[Any]]:
    """(village periods, unit periods), oldest first; the last one is the current period."""
    from storage.calendar.calendar import period_for, previous_period
    from storage.calendar.streams import default_streams

    streams = {s.name: s for s in default_streams()}
    out = []
    for name in ("village_monthly", "unit_monthly"):
        p = period_for(streams[name], cfg.now, TZ)
        ps = [p]
        for _ in range(cfg.months):
            ps.append(previous_period(ps[-1]))
        out.append(list(reversed(ps)))
    return out[0], out[1]


def _local(d: date, rng: random.Random, lo: int = 7, hi: int = 21) -> datetime:
    return datetime(d.year, d.month, d.day, rng.randint(lo, hi - 1), rng.randint(0, 59), rng.randint(0, 59),
                    tzinfo=TZ)


def _day_between(rng: random.Random, a: date, b: date) -> date:
    return a + timedelta(days=rng.randint(0, max(0, (b - a).days)))


# ---- the generator -----------------------------------------------------------------------------

async def generate(url: str, cfg: GenConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Migrate ``url`` and fill it with the province ``cfg``; returns row counts and timings."""
    started = time.perf_counter()
    db = Database(url)
    try:
        await db.upgrade()
        stats = await _generate(db, cfg, log)
    finally:
        await db.dispose()
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


async def _generate(db: Database, cfg: GenConfig, log: Callable[[str], None]) -> dict[str, Any]:
    from storage.plan_store import save_plan
    from storage.province import province_key
    from storage.units import commune_key, unit_key_of

    rng = random.Random(cfg.seed)
    n = cfg.n_communes
    names = _unique_names(rng, n, lambda p: f"Xã {p}")
    plans = seed_plans(log)
    t0 = time.perf_counter()
    now_utc = cfg.now

    # 1. communes (explicit ids), then each commune's seed plan through the real importer.
    async with db.engine.begin() as conn:
        await conn.execute(insert(Province.__table__), [
            {"id": 1, "name": PROVINCE, "key": province_key(PROVINCE), "created_at": now_utc - timedelta(days=400)}])
        await conn.execute(insert(Commune.__table__), [
            {"id": i + 1, "name": name, "key": commune_key(name), "created_at": now_utc - timedelta(days=400),
             "province_id": 1} for i, name in enumerate(names)])
    for i in range(n):
        if not plans:
            break
        fname, parsed = plans[i % len(plans)]
        async with db.transaction() as s:
            commune = await s.get(Commune, i + 1)
            assert commune is not None
            # imported with the commune, 400 days back: its generated history is all owed
            await save_plan(s, commune, parsed, source_file=fname, now=now_utc - timedelta(days=400))
    t_plans = time.perf_counter() - t0
    log(f"communes: {n}, plans imported in {t_plans:.1f}s")

    village_periods, unit_periods = _periods(cfg)
    async with db.engine.begin() as conn:
        start = {}
        for model, key in ((Unit, "unit"), (Person, "person"), (Identity, "identity"),
                           (ActivityLog, "activitylog"), (ReportingPeriod, "reportingperiod"), (Report, "report"),
                           (ReportItem, "reportitem"), (ReportRevision, "reportrevision")):
            start[key] = (await conn.execute(select(func.coalesce(func.max(model.__table__.c.id), 0)))).scalar_one()
        # units created by the plans, and what each chairs
        existing: dict[int, dict[str, tuple[int, str]]] = {}
        for uid, cid, key, kind in (await conn.execute(select(Unit.__table__.c.id, Unit.__table__.c.commune_id,
                                                                 Unit.__table__.c.key, Unit.__table__.c.kind))):
            existing.setdefault(cid, {})[key] = (uid, kind)
        tu, iu, ind_t = TaskUnit.__table__, IndicatorUnit.__table__, Indicator.__table__
        chaired: dict[int, list[dict[str, Any]]] = {}  # unit id -> items (kind, id, op, percent)
        for uid, tid in await conn.execute(select(tu.c.unit_id, tu.c.task_id).where(tu.c.role == "lead")
                                           .order_by(tu.c.task_id)):
            chaired.setdefault(uid, []).append({"kind": "task", "id": tid})
        for uid, iid, op, unit in await conn.execute(
                select(iu.c.unit_id, iu.c.indicator_id, ind_t.c.target_op, ind_t.c.unit)
                .join(ind_t, ind_t.c.id == iu.c.indicator_id).order_by(iu.c.indicator_id)):
            chaired.setdefault(uid, []).append({"kind": "indicator", "id": iid, "op": op,
                                                "answer": answer_kind_for(op, unit),
                                                "percent": (unit or "").strip() == "%"})

        ids = Ids(start)
        w = Writer(conn)
        for c in range(1, n + 1):
            crng = random.Random(cfg.seed * 1_000_003 + c)
            await _commune(w, ids, crng, cfg, c, existing.get(c, {}), chaired, village_periods, unit_periods,
                           unit_key_of)
            if c % 10 == 0 or c == n:
                await w.flush()
                log(f"  commune {c}/{n}: {sum(w.counts.values()):,} rows so far "
                    f"({time.perf_counter() - t0:.0f}s)")
        await w.flush()
        if conn.dialect.name == "postgresql":
            for table in ("unit", "person", "identity", "activitylog", "reportingperiod", "report", "reportitem",
                          "reportrevision", "commune", "province"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    counts = dict(sorted(w.counts.items()))
    counts["commune"] = n
    counts["province"] = 1
    log(f"rows: {counts}")
    return {"config": cfg.describe(), "rows": counts, "plans_s": round(t_plans, 1)}


async def _commune(w: Writer, ids: Ids, rng: random.Random, cfg: GenConfig, cid: int,
                   existing: dict[str, tuple[int, str]], chaired: dict[int, list[dict[str, Any]]],
                   village_periods: list[Any], unit_periods: list[Any], unit_key_of: Callable[[str], str]) -> None:
    created = datetime(2025, 10, 1, 8, 0, tzinfo=TZ)
    units: dict[str, tuple[int, str]] = dict(existing)  # key -> (id, kind)
    new_units: list[dict[str, Any]] = []
    parent_updates: list[dict[str, Any]] = []

    def unit(name: str, kind: str, parent: int | None) -> int:
        key = unit_key_of(name)
        if key in units:
            uid, _kind = units[key]
            if parent is not None and uid != parent:
                parent_updates.append({"b_id": uid, "b_parent": parent})
            return uid
        uid = ids.next("unit")
        units[key] = (uid, kind)
        new_units.append({"id": uid, "commune_id": cid, "name": name, "key": key, "kind": kind, "parent_id": parent})
        return uid

    root = unit(ROOT, "office", None)
    party_root = unit(PARTY[0], "party", None)
    for name in PARTY[1:]:
        unit(name, "party", party_root)
    offices = [unit(name, "office", root) for name in OFFICES]
    lead_office = offices[1]
    for uid, kind in list(existing.values()):  # the plan's own units join the tree
        if kind == "office" and uid != root:
            parent_updates.append({"b_id": uid, "b_parent": root})
            if uid not in offices:
                offices.append(uid)
        elif kind == "party" and uid != party_root:
            parent_updates.append({"b_id": uid, "b_parent": party_root})
    villages = [unit(name, "village", lead_office) for name in _unique_names(
        rng, cfg.villages, lambda p: f"{rng.choice(VILLAGE_PREFIX)} {p}")]
    for row in new_units:
        await w.add(Unit, row)
    await w.flush(Unit.__table__)
    if parent_updates:
        t = Unit.__table__
        await w.conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent")),
                             parent_updates)

    # people: officers (chairing offices first), two leads in the lead office, village members.
    chairs = [u for u in [root, *offices] if chaired.get(u)]
    order = chairs + [u for u in offices if u not in chairs]
    staff: list[tuple[int, str]] = [(lead_office, "lead"), (lead_office, "lead")][:min(2, cfg.officers)]
    staff += [(order[i % len(order)], "officer") for i in range(max(0, cfg.officers - len(staff)))]
    if cid == 1:
        staff.append((lead_office, "admin"))
    people: list[tuple[int, int, str]] = []  # (person id, unit id, role)
    members_of: dict[int, list[int]] = {}
    officers_of: dict[int, list[int]] = {}
    roster = [(u, r) for u, r in staff] + [(v, "member") for v in villages for _ in range(cfg.members)]
    for uid, role in roster:
        pid = ids.next("person")
        people.append((pid, uid, role))
        (members_of if role == "member" else officers_of).setdefault(uid, []).append(pid)
        name = person_name(rng)
        r = rng.random()
        channel = "telegram" if r < cfg.telegram_share else "zalo" if r < cfg.telegram_share + cfg.zalo_share \
            else None
        joined = created + timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 10))
        await w.add(Person, {
            "id": pid, "commune_id": cid, "unit_id": uid, "name": name,
            "phone": f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else None,
            "role": role, "locale": "en" if rng.random() < 0.03 else "vi", "preferred_channel": None,
            "last_channel": channel, "weekend_reminders": rng.random() < 0.05,
            "consent_at": joined, "consent_version": "1", "anonymised_at": None, "created_at": joined})
        if channel == "telegram":
            ext = str(TG_BASE + pid)
        elif channel == "zalo":
            ext = f"{rng.getrandbits(60):015x}"
        else:
            continue
        await w.add(Identity, {"id": ids.next("identity"), "person_id": pid, "channel": channel,
                               "external_id": ext, "chat_id": ext, "display_name": name, "created_at": joined,
                               "last_seen_at": joined + timedelta(days=rng.randint(0, 300))})

    # village activity logs
    current_key = village_periods[-1].key
    for period in village_periods:
        current = period.key == current_key
        for v in villages:
            if rng.random() > (0.35 if current else 0.9):
                continue
            late = not current and rng.random() < 0.12
            members = members_of.get(v) or [0]
            for _ in range(rng.randint(*cfg.logs)):
                on = _day_between(rng, period.start, min(period.end, cfg.now.date()))
                if late:
                    at = _local(period.last_day + timedelta(days=rng.randint(1, 8)), rng)
                else:
                    at = _local(min(on + timedelta(days=rng.choice((0, 0, 0, 1, 2))), period.last_day), rng)
                if at > cfg.now:
                    at = cfg.now - timedelta(minutes=rng.randint(1, 600))
                who = rng.choice(members) or None
                k = rng.choices((1, 2, 3), (5, 3, 2))[0]
                codes = list(dict.fromkeys(rng.choices(_ACT_CODES, _ACT_W, k=k)))
                parts = []
                rows = []
                for code in codes:
                    lo, hi = _ACT[code][2]
                    cnt = rng.randint(lo, hi)
                    parts.append(_ACT[code][3].format(n=cnt))
                    rows.append((code, cnt))
                note = ", ".join(parts)
                for code, cnt in rows:
                    await w.add(ActivityLog, {"id": ids.next("activitylog"), "commune_id": cid, "unit_id": v,
                                              "person_id": who, "on_date": on, "activity": code, "count": cnt,
                                              "note": note, "created_at": at})

    # unit reports: expected offices = chairing or staffed
    staffed = {u for u, r in staff if r in ("officer", "lead")}
    expected = [u for u in [root, *offices] if chaired.get(u) or u in staffed]
    current_ukey = unit_periods[-1].key
    for age, period in enumerate(reversed(unit_periods)):
        pid_ = ids.next("reportingperiod")
        await w.add(ReportingPeriod, {"id": pid_, "commune_id": cid, "stream": "unit_monthly", "key": period.key,
                                      "start": period.start, "end": period.end, "due": period.due})
        current = period.key == current_ukey
        progress = 1 - age / (len(unit_periods) + 1)  # later months: more tasks done
        for u in expected:
            if rng.random() > (0.3 if current else 0.88):
                continue
            late = not current and rng.random() < 0.1
            day = period.last_day + timedelta(days=rng.randint(1, 6)) if late else \
                _day_between(rng, period.end, period.last_day)
            submitted = _local(day, rng, 7, 17)
            if submitted > cfg.now:
                submitted = cfg.now - timedelta(minutes=rng.randint(1, 600))
            who = rng.choice(officers_of.get(u) or [0]) or None
            revisions = 2 if rng.random() < 0.1 else 1
            rid = ids.next("report")
            answers: dict[str, Any] = {}
            difficulties = rng.choice((None, None, None, "Thiếu máy tính, đường truyền yếu",
                                       "Người dân chưa quen thao tác"))
            proposals = rng.choice((None, None, None, "Đề nghị cấp thêm thiết bị", "Tập huấn thêm cho tổ"))
            await w.add(Report, {"id": rid, "period_id": pid_, "unit_id": u, "person_id": who,
                                 "status": "accepted" if age >= 2 else "submitted", "submitted_at": submitted,
                                 "late": late, "revision": revisions, "difficulties": difficulties,
                                 "proposals": proposals, "review_comment": None})
            for item in chaired.get(u, []):
                if item["kind"] == "task":
                    st = rng.choices(TASK_STATUS, (1 - progress, 1, 2 * progress, 0.2))[0]
                    row = {"status": st, "value_num": None, "value_bool": None}
                    answers[f"task:{item['id']}"] = {"status": st}
                elif item["answer"] == "status":  # a qualitative result: a status and a short text
                    st = rng.choices(TASK_STATUS, (1 - progress, 1, 2 * progress, 0.2))[0]
                    row = {"status": st, "value_num": None, "value_bool": None, "note": "Đã triển khai theo kế hoạch"}
                    answers[f"indicator:{item['id']}"] = {"status": st, "text": row["note"]}
                elif item["op"] == "bool":
                    ok = rng.random() < 0.3 + 0.6 * progress
                    row = {"status": None, "value_num": None, "value_bool": ok}
                    answers[f"indicator:{item['id']}"] = {"bool": ok, "value": None}
                else:
                    val = Decimal(rng.randint(0, 1000)) / 10 if item["percent"] else Decimal(rng.randint(0, 500))
                    row = {"status": None, "value_num": val, "value_bool": None}
                    answers[f"indicator:{item['id']}"] = {"value": str(val), "bool": None}
                await w.add(ReportItem, {"id": ids.next("reportitem"), "report_id": rid, "kind": item["kind"],
                                         "ref_id": item["id"], "note": None} | row)
            for rev in range(1, revisions + 1):
                await w.add(ReportRevision, {
                    "id": ids.next("reportrevision"), "report_id": rid, "revision": rev, "person_id": who,
                    "submitted_at": submitted - timedelta(hours=(revisions - rev) * 20), "late": late,
                    "data": {"answers": answers, "difficulties": difficulties, "proposals": proposals}})


# ---- command line ------------------------------------------------------------------------------

def config_from_args(args: argparse.Namespace) -> GenConfig:
    lo, _, hi = str(args.logs).partition("-")
    return GenConfig(scale=args.scale, communes=args.communes, villages=args.villages, members=args.members,
                     officers=args.officers, months=args.months, logs=(int(lo), int(hi or lo)), seed=args.seed)


def add_gen_args(p: argparse.ArgumentParser) -> None:
    d = GenConfig()
    p.add_argument("--villages", type=int, default=d.villages)
    p.add_argument("--members", type=int, default=d.members)
    p.add_argument("--officers", type=int, default=d.officers)
    p.add_argument("--months", type=int, default=d.months)
    p.add_argument("--logs", default=f"{d.logs[0]}-{d.logs[1]}", help="activity logs per village-month, lo-hi")
    p.add_argument("--seed", type=int, default=d.seed)


async def _main(args: argparse.Namespace) -> int:
    from bench.common import drop_all, ensure_template, store_for

    if args.drop:
        await drop_all()
        return 0
    cfg = config_from_args(args)
    if args.url:
        stats = await generate(args.url, cfg)
        print(f"generated {cfg.n_communes} communes in {stats['seconds']}s: {stats['rows']}")
        return 0
    template, took = await ensure_template(args.db, cfg, in_process=True)
    size = await store_for(args.db).size_mb(template)
    print(f"template {template} ({size} MB) " + (f"generated in {took}s" if took is not None else "already there"))
    if not args.keep_data:
        await store_for(args.db).drop(template)
        print("dropped it again (use --keep-data to keep it for the benchmarks)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--url", help="generate into this (empty) database URL instead of a cached template")
    p.add_argument("--scale", type=int, default=16, help="1, 4 or 16 (default 16: the 100-commune province)")
    p.add_argument("--communes", type=int, default=None, help=f"number of communes (default ceil({FULL_COMMUNES}"
                                                               " × scale / 16))")
    add_gen_args(p)
    p.add_argument("--keep-data", action="store_true", help="keep the generated template")
    p.add_argument("--drop", action="store_true", help="drop every cdsbench_* database and file, then exit")
    args = p.parse_args(argv)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
