"""A seeded commune for the question tests: offices, villages, people, a plan, reports and village logs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import select

from handlers.periods import period_row
from storage.calendar.calendar import period_by_key
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import ActivityLog, Commune, Indicator, Report, ReportItem, Task, Unit
from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
from storage.plan_store import save_plan
from storage.units import get_or_create_commune, get_or_create_unit
from tests.seed import add_person

COMMUNE = "Thiện Tân"
VHXH, HCC, CA, VP = ("Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công", "Công an xã",
                     "Văn phòng HĐND và UBND")
NAPAI, NALENG, KHUOI, BANCHANG = "Thôn Nà Pài", "Thôn Nà Lẹng", "Thôn Khuổi Luông", "Thôn Bản Chang"
LEAD, OFFICER, POLICE, MEMBER, MEMBER2, MEMBER3 = 9001, 9002, 9003, 9004, 9005, 9006
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # the harnesses' clock: 10:00 in Hanoi

# village logs: (village, on_date, activity, count)
LOGS = (
    (NAPAI, date(2026, 12, 1), "vneid", 12), (NAPAI, date(2026, 12, 1), "dvc", 3),
    (NALENG, date(2026, 12, 3), "vneid", 7), (NALENG, date(2026, 12, 3), "payment", 4),
    (BANCHANG, date(2026, 11, 20), "households", 20),
    (NAPAI, date(2026, 11, 1), "vneid", 5), (NALENG, date(2026, 11, 2), "vneid", 2),
    (KHUOI, date(2026, 11, 3), "outreach", 2),
    (NAPAI, date(2025, 12, 1), "vneid", 3),
)


def _plan() -> ParsedPlan:
    return ParsedPlan(title="Kế hoạch chuyển đổi số năm 2026", year=2026, sections=["I"], tasks=[
        ParsedTask("1", "I", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", [HCC], [VHXH],
                   Due("Quý III năm 2026", date(2026, 9, 30))),
        ParsedTask("2", "I", "Tuyên truyền về chuyển đổi số trên loa truyền thanh", [VHXH], [],
                   Due("Tháng 11/2026", date(2026, 11, 30))),
        ParsedTask("3", "I", "Làm sạch dữ liệu dân cư", [CA], [], Due("Tháng 12/2026", date(2026, 12, 31))),
    ], indicators=[
        ParsedIndicator("1", "I", "Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến", "%",
                        Target("≥80%", ">=", Decimal(80), "%"), [HCC]),
        ParsedIndicator("2", "I", "Bộ phận một cửa hoạt động trên môi trường số", None,
                        Target("Đạt", "bool", boolean=True), [HCC]),
        ParsedIndicator("3", "I", "Tỷ lệ văn bản đi được ký số", "%", Target("≥95%", ">=", Decimal(95), "%"), [VP]),
        ParsedIndicator("4", "I", "Tỷ lệ người dân có tài khoản định danh điện tử", "%",
                        Target("≥90%", ">=", Decimal(90), "%"), [CA]),
    ])


async def seed_commune(db: Database) -> dict[str, int]:
    """The commune of the corpus; returns unit ids by name."""
    ids: dict[str, int] = {}
    async with db.transaction() as s:
        c = await get_or_create_commune(s, COMMUNE)
        for name in (VHXH, HCC, CA, VP):
            ids[name] = (await get_or_create_unit(s, c, name, "office"))[0].id  # type: ignore[assignment]
        for name in (NAPAI, NALENG, KHUOI, BANCHANG):
            ids[name] = (await get_or_create_unit(s, c, name, "village"))[0].id  # type: ignore[assignment]
        await save_plan(s, c, _plan(), now=datetime(2026, 10, 1, 3, 0, tzinfo=UTC))
    await add_person(db, ids[VHXH], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, ids[HCC], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, ids[CA], "Vi Văn Tú", "officer", telegram_id=POLICE)
    await add_person(db, ids[VP], "Lương Thị Hà", "officer")  # never joined
    await add_person(db, ids[NAPAI], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, ids[NALENG], "Đinh Văn Hải", "member", telegram_id=MEMBER2)
    await add_person(db, ids[BANCHANG], "Hà Thị Mai", "member", telegram_id=MEMBER3)
    await add_person(db, ids[KHUOI], "Nông Thị Bé", "member")  # never joined
    await _data(db, ids)
    return ids


async def _report(s, commune: Commune, unit_id: int, key: str, at: datetime, status: str = "submitted",  # noqa: ANN001
                  comment: str | None = None, items: tuple = ()) -> None:
    stream = next(x for x in default_streams() if x.name == "unit_monthly")
    row = await period_row(s, commune.id, period_by_key(stream, key))  # type: ignore[arg-type]
    report = Report(period_id=row.id, unit_id=unit_id, status=status, submitted_at=at,  # type: ignore[arg-type]
                    late=at > period_by_key(stream, key).due, review_comment=comment,
                    difficulties="Thiếu máy quét" if items else None)
    s.add(report)
    await s.flush()
    for kind, ref, status_, value, ok in items:
        s.add(ReportItem(report_id=report.id, kind=kind, ref_id=ref, status=status_,  # type: ignore[arg-type]
                         value_num=Decimal(value) if value is not None else None, value_bool=ok))


async def _data(db: Database, ids: dict[str, int]) -> None:
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        task = {t.code: t.id for t in (await s.exec(select(Task))).all()}
        ind = {i.code: i.id for i in (await s.exec(select(Indicator))).all()}
        for village, on, activity, n in LOGS:
            s.add(ActivityLog(commune_id=commune.id, unit_id=ids[village], on_date=on, activity=activity,  # type: ignore[arg-type]
                              count=n, created_at=datetime(on.year, on.month, on.day, 5, tzinfo=UTC)))
        nov_hcc = (("task", task["1"], "in_progress", None, None), ("indicator", ind["1"], None, "85", None),
                   ("indicator", ind["2"], None, None, True))
        await _report(s, commune, ids[HCC], "2026-11", datetime(2026, 11, 18, 3, tzinfo=UTC), items=nov_hcc)
        await _report(s, commune, ids[CA], "2026-11", datetime(2026, 11, 25, 3, tzinfo=UTC),
                      items=(("task", task["3"], "in_progress", None, None), ("indicator", ind["4"], None, "60", None)))
        await _report(s, commune, ids[VHXH], "2026-11", datetime(2026, 11, 15, 3, tzinfo=UTC),
                      items=(("task", task["2"], "in_progress", None, None),))
        await _report(s, commune, ids[HCC], "2026-12", datetime(2026, 12, 8, 3, tzinfo=UTC), items=nov_hcc)
        await _report(s, commune, ids[CA], "2026-12", datetime(2026, 12, 5, 3, tzinfo=UTC), status="returned",
                      comment="Bổ sung số liệu định danh")
    async with db.session() as s:
        assert (await s.exec(select(Unit))).all()
