"""A province of three communes over October–December 2026 (and one commune of another province) for the
dashboard's province page: its reports and village logs, and the colours the page must show."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from handlers.periods import period_row
from storage.calendar.calendar import period_by_key
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import ActivityLog, Plan, Report, ReportItem, Task
from storage.plan_import.model import Due, ParsedPlan, ParsedTask
from storage.plan_store import save_plan
from storage.province import set_commune_province
from storage.units import get_or_create_commune, get_or_create_unit

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi: month 2026-12 (15/11–14/12) open, due 19/12
PROVINCE, OTHER = "Tây Ninh", "Lạng Sơn"
A, B, D, C = "Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên"  # A, B, D in Tây Ninh; C in Lạng Sơn
HCC, NAPAI = "Trung tâm Phục vụ hành chính công", "Thôn Nà Pài"
PLAN_IMPORTED = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # reporting starts 1/9: October onwards is owed
MONTHS = ["2026-10", "2026-11", "2026-12"]

# A: October on time, November never sent (red, still missing today), December sent (green).
# B: October sent late (still counts as sent), November sent; its task due 20/11 is never done: yellow
#    in November (due within 7 days of the month's last day, 14/11), red in December (past due).
# D: no plan, one village: October never logged (red), November logged, December not yet (deadline ahead).
GRID = {A: ["green", "red", "green"], B: ["green", "yellow", "red"], D: ["red", "green", "yellow"]}
RANKING = [B, D, A]  # December, laggards first
COUNTS = {"2026-10": {"red": 1, "yellow": 0, "green": 2}, "2026-11": {"red": 1, "yellow": 1, "green": 1},
          "2026-12": {"red": 1, "yellow": 1, "green": 1}}
VNEID = {"2026-10": 9, "2026-11": 13, "2026-12": 12}  # the province's village activities per month


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _commune(db: Database, name: str, task_due: str | None) -> dict[str, int]:
    async with db.transaction() as s:
        c = await get_or_create_commune(s, name)
        hcc, _ = await get_or_create_unit(s, c, HCC, "office")
        village, _ = await get_or_create_unit(s, c, NAPAI, "village")
        if task_due is not None:
            plan = ParsedPlan(title=f"Kế hoạch {name}", year=2026, sections=["I"], tasks=[
                ParsedTask("1", "I", "Số hóa hồ sơ TTHC", [HCC], [],
                           Due(f"Ngày {task_due}", date.fromisoformat(task_due), kind="dated"))])
            await save_plan(s, c, plan, now=PLAN_IMPORTED)
        await set_commune_province(s, c, PROVINCE if name != C else OTHER)
        return {"commune": c.id, "hcc": hcc.id, "village": village.id}  # type: ignore[dict-item]


async def add_report(db: Database, ids: dict[str, int], key: str, submitted: str, status: str = "in_progress"
                     ) -> None:
    """The commune's HCC unit report for month ``key``, sent at ``submitted`` (UTC), its task at ``status``."""
    stream = {s.name: s for s in default_streams()}["unit_monthly"]
    async with db.transaction() as s:
        row = await period_row(s, ids["commune"], period_by_key(stream, key))
        report = Report(period_id=row.id, unit_id=ids["hcc"], submitted_at=_at(submitted))  # type: ignore[arg-type]
        s.add(report)
        await s.flush()
        tasks = (await s.exec(select(Task.id).join(Plan, Plan.id == Task.plan_id)  # type: ignore[arg-type]
                              .where(Plan.commune_id == ids["commune"]))).all()
        for task_id in tasks:
            s.add(ReportItem(report_id=report.id, kind="task", ref_id=task_id, status=status))  # type: ignore[arg-type]


async def add_log(db: Database, ids: dict[str, int], on: str, count: int) -> None:
    """The commune's village team logs ``count`` VNeID activations on day ``on`` (recorded that day)."""
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=ids["commune"], unit_id=ids["village"], on_date=date.fromisoformat(on),
                          activity="vneid", count=count, created_at=_at(on + "T03:00:00")))


async def build_province(db: Database, december_a: bool = True) -> dict[str, dict[str, int]]:
    """The world above; ``december_a``: A's December report and log too (else a test sends them by chat)."""
    a = await _commune(db, A, "2026-12-31")
    b = await _commune(db, B, "2026-11-20")
    d = await _commune(db, D, None)
    c = await _commune(db, C, "2026-11-30")
    await add_report(db, a, "2026-10", "2026-10-10T03:00:00")
    await add_log(db, a, "2026-10-01", 5)
    await add_log(db, a, "2026-11-01", 8)
    await add_report(db, b, "2026-10", "2026-10-25T03:00:00")  # after the 19/10 deadline: late, but sent
    await add_log(db, b, "2026-10-02", 4)
    await add_report(db, b, "2026-11", "2026-11-12T03:00:00")
    await add_log(db, b, "2026-11-03", 2)
    await add_log(db, d, "2026-11-10", 3)
    for key in MONTHS:  # the other province's commune is busy every month: never on the page
        await add_report(db, c, key, f"{key}-0{MONTHS.index(key) + 3}T03:00:00")
        await add_log(db, c, f"{key}-01", 50)
    if december_a:
        await add_report(db, a, "2026-12", "2026-12-09T03:00:00", status="done")
        await add_log(db, a, "2026-12-09", 12)
    return {"A": a, "B": b, "C": c, "D": d}
