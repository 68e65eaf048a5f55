"""The province view at scale (issue #19): ``province_traffic`` gathers every commune's figures in a
fixed number of queries, and gives exactly what each commune's own ``commune_traffic`` gives, for a
world of communes in different states (group chairs, returned and late reports, a task done then
reopened, a commune not yet reporting, an empty one), before and after the deadline; the province
office reads those figures by chat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage.calendar.calendar import Period, period_by_key
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import (
    ActivityLog,
    Commune,
    Identity,
    Person,
    Plan,
    Province,
    Report,
    ReportItem,
    Task,
)
from storage.plan_import.model import Due, ParsedPlan, ParsedTask
from storage.plan_store import save_plan
from storage.province import set_commune_province
from storage.province_stream import compiled_report_states, with_compiled_report
from storage.traffic import commune_traffic, province_traffic, rank_key
from storage.unit_groups import LEAD_GROUP
from storage.units import get_or_create_commune, get_or_create_unit
from tests.harness import TelegramHarness
from tests.seed import add_person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCE, OTHER = "Tây Ninh", "Lạng Sơn"
HCC, KT, VP = "Trung tâm Phục vụ hành chính công", "Phòng Kinh tế", "Văn phòng HĐND và UBND xã"
OFFICES_GROUP = "Các phòng, ban chuyên môn thuộc UBND xã"
PLAN_AT = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
PROV_TG = 8301


def _periods(key: str) -> tuple[Period, Period]:
    streams = {s.name: s for s in default_streams()}
    return period_by_key(streams["unit_monthly"], key, TZ), period_by_key(streams["village_monthly"], key, TZ)


async def _plan(s: Any, commune: Commune, chair: str, due: str) -> None:
    d = date.fromisoformat(due)
    await save_plan(s, commune, ParsedPlan(title=f"Kế hoạch {commune.name}", year=2026, sections=["I"], tasks=[
        ParsedTask("1", "I", "Số hóa hồ sơ TTHC", [chair], [], Due(f"Ngày {d:%d/%m/%Y}", d, kind="dated")),
        ParsedTask("2", "I", "Tuyên truyền kỹ năng số", [chair], [], Due("Năm 2027", date(2027, 12, 31)))]),
        now=PLAN_AT)


async def _report(s: Any, commune_id: int, unit_id: int, period: Period, at: datetime, *, status: str = "submitted",
                  done: bool | None = None) -> None:
    """A unit report for ``period``; with ``done`` its answer on the commune's task 1 (done or in progress)."""
    from handlers.periods import period_row

    row = await period_row(s, commune_id, period)
    report = Report(period_id=row.id, unit_id=unit_id, submitted_at=at, status=status,  # type: ignore[arg-type]
                    review_comment="Bổ sung số liệu" if status == "returned" else None)
    s.add(report)
    await s.flush()
    if done is not None:
        task = (await s.exec(select(Task).join(Plan, Plan.id == Task.plan_id).where(
            Plan.commune_id == commune_id, Task.code == "1"))).one()
        s.add(ReportItem(report_id=report.id, kind="task", ref_id=task.id,  # type: ignore[arg-type]
                         status="done" if done else "in_progress"))


async def _logs(s: Any, commune_id: int, unit_id: int, day: date, counts: dict[str, int]) -> None:
    for activity, n in counts.items():
        s.add(ActivityLog(commune_id=commune_id, unit_id=unit_id, on_date=day, activity=activity, count=n,
                          created_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC)))


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    """Eight communes of Tây Ninh in different states, and one of Lạng Sơn."""
    dec, nov = _periods("2026-12")[0], _periods("2026-11")[0]
    ids: dict[str, Any] = {}
    async with db.transaction() as s:
        for name in ("Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên", "Bình An", "Nà Hang", "Yên Bình", "Lạc Dương",
                     "Cao Lộc"):
            c = await get_or_create_commune(s, name)
            units = {}
            if name != "Bình An":  # Bình An: a commune with nothing yet
                for short, unit, kind in (("hcc", HCC, "office"), ("kt", KT, "office"), ("vp", VP, "office"),
                                          ("napai", "Thôn Nà Pài", "village"), ("khuoi", "Thôn Khuổi Luông", "village")):
                    units[short] = (await get_or_create_unit(s, c, unit, kind))[0].id
            ids[name] = {"commune": c.id, **units}
            await set_commune_province(s, c, OTHER if name == "Cao Lộc" else PROVINCE)
        thien, tan, hoa, huu = [await s.get(Commune, ids[n]["commune"]) for n in (
            "Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên")]
        await _plan(s, thien, HCC, "2026-11-30")  # past due, never reported done: red
        await _plan(s, tan, OFFICES_GROUP, "2026-12-31")  # a group chairs: every office owes a report
        await _plan(s, huu, KT, "2026-12-15")  # due soon; done in November, reopened in December
        await _plan(s, (await s.get(Commune, ids["Nà Hang"]["commune"])), "Thôn Nà Pài", "2027-03-31")
        # the lead's office follows up (a group for the lead office), and the schools (a group for them)
        await _plan(s, (await s.get(Commune, ids["Yên Bình"]["commune"])), LEAD_GROUP, "2026-12-31")
        lac = await s.get(Commune, ids["Lạc Dương"]["commune"])
        ids["Lạc Dương"]["school"] = (await get_or_create_unit(s, lac, "Trường THCS Lạc Dương", "office"))[0].id
        await _plan(s, lac, "Các trường học trên địa bàn xã", "2026-12-31")
        hoa.reporting_start = date(2027, 1, 1)  # nothing owed yet
        s.add(hoa)
        t, h = ids["Tân Lập"], ids["Hữu Kiên"]
        await _report(s, t["commune"], t["hcc"], dec, datetime(2026, 12, 8, 2, tzinfo=UTC), done=True)
        await _report(s, t["commune"], t["kt"], dec, datetime(2026, 12, 9, 2, tzinfo=UTC), status="returned")
        await _report(s, h["commune"], h["kt"], nov, datetime(2026, 11, 25, 2, tzinfo=UTC), done=True)  # late
        await _report(s, h["commune"], h["kt"], dec, datetime(2026, 12, 9, 2, tzinfo=UTC), done=False)
        for name, unit, day, counts in (("Thiện Tân", "napai", date(2026, 12, 3), {"vneid": 12, "dvc": 3}),
                                        ("Thiện Tân", "napai", date(2026, 11, 5), {"vneid": 4}),
                                        ("Tân Lập", "napai", date(2026, 12, 5), {"vneid": 7, "payment": 2}),
                                        ("Tân Lập", "vp", date(2026, 12, 6), {"dvc": 1}),  # an office logged
                                        ("Hữu Kiên", "napai", date(2026, 11, 2), {"skills": 30}),
                                        ("Cao Lộc", "napai", date(2026, 12, 4), {"vneid": 999})):
            await _logs(s, ids[name]["commune"], ids[name][unit], day, counts)
    for name, unit, role in (("Thiện Tân", "hcc", "officer"), ("Tân Lập", "vp", "lead"), ("Hòa Bình", "hcc", "officer"),
                             ("Hòa Bình", "vp", "lead"), ("Hữu Kiên", "hcc", "officer"), ("Nà Hang", "vp", "lead"),
                             ("Nà Hang", "kt", "officer"), ("Yên Bình", "vp", "lead"), ("Yên Bình", "kt", "officer"),
                             ("Lạc Dương", "hcc", "lead"), ("Lạc Dương", "kt", "officer")):
        await add_person(db, ids[name][unit], f"Cán bộ {name} {unit}", role)
    gone = await add_person(db, ids["Hữu Kiên"]["vp"], "Người đã rời", "officer")
    async with db.transaction() as s:  # an officer who left (anonymised) makes no office owe a report
        person = await s.get(Person, gone)
        assert person is not None
        person.anonymised_at = datetime(2026, 11, 1, tzinfo=UTC)
        s.add(person)
    return ids


async def _both(db: Database, key: str, now: datetime, province: str = PROVINCE
                ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The batched province result, and each of its communes' own commune_traffic, for period ``key``."""
    up, vp = _periods(key)
    today = now.astimezone(TZ).date()
    async with db.session() as s:
        prov = (await s.exec(select(Province).where(Province.name == province))).one()
        batched = await province_traffic(s, prov, up, vp, now, today)
        communes = (await s.exec(select(Commune).where(Commune.province_id == prov.id))).all()
        one_by_one = [await commune_traffic(s, c, up, vp, now, today) for c in communes]
        compiled = await compiled_report_states(s, prov, up.key, now, TZ)  # as province_traffic adds it
        for row in one_by_one:
            with_compiled_report(row, compiled.get(row["commune_id"]))
    return batched, sorted(one_by_one, key=rank_key)


@pytest.mark.parametrize(("key", "at"), [("2026-12", "2026-12-10T10:00+07:00"), ("2026-12", "2026-12-25T10:00+07:00"),
                                         ("2026-11", "2026-12-10T10:00+07:00")])
async def test_batched_province_equals_each_commune(db: Database, world: dict, key: str, at: str) -> None:
    batched, one_by_one = await _both(db, key, datetime.fromisoformat(at))
    assert batched["communes"] == one_by_one  # the same rows, the same order
    for field in ("activities", "activities_previous"):
        summed: dict[str, int] = {}
        for row in one_by_one:
            for code, n in row[field].items():
                summed[code] = summed.get(code, 0) + n
        assert batched[field] == summed
    # the world really has the states it is meant to compare
    rows = {r["commune"]: r for r in batched["communes"]}
    assert "Cao Lộc" not in rows and len(rows) == 8 and rows["Bình An"]["units"] == {"submitted": 0, "expected": 0}
    if key == "2026-12":
        assert rows["Thiện Tân"]["colour"] == "red" and rows["Thiện Tân"]["overdue_tasks"] == 1
        assert rows["Tân Lập"]["units"] == {"submitted": 1, "expected": 3}  # the group: all three offices
        assert rows["Tân Lập"]["villages"] == {"submitted": 1, "expected": 2}  # VP's log is no village report
        assert rows["Hòa Bình"]["units"]["expected"] == 0 and rows["Hòa Bình"]["colour"] == "green"  # not owed yet
        assert rows["Hữu Kiên"]["due_soon_tasks"] == 1  # done in November, reopened; due 15/12 (counted to the 14th)
        # an office chairing no plan item owes no report, staffed or not (storage.status.expected_units)
        assert rows["Hữu Kiên"]["units"] == {"submitted": 1, "expected": 1}  # KT chairs; HCC staffed only, VP not
        assert rows["Nà Hang"]["units"]["expected"] == 0  # a village chairs: neither KT's officer nor VP's lead
        assert rows["Yên Bình"]["units"]["expected"] == 1  # the lead's office (the group), not KT's officer
        assert rows["Lạc Dương"]["units"]["expected"] == 1  # the school (the group), not KT's officer
        assert rows["Thiện Tân"]["activities"] == {"vneid": 12, "dvc": 3}
        assert rows["Thiện Tân"]["activities_previous"] == {"vneid": 4}
        assert batched["activities"] == {"vneid": 19, "dvc": 4, "payment": 2}  # not Cao Lộc's 999
    if key == "2026-11":  # long past its deadline
        assert rows["Tân Lập"]["missing_after_deadline"] == 5 and rows["Hòa Bình"]["colour"] == "green"
        assert rows["Hữu Kiên"]["units"] == {"submitted": 1, "expected": 1}  # KT's late report counts as sent
    elif at.startswith("2026-12-25"):
        assert rows["Tân Lập"]["missing_after_deadline"] == 3  # VP missing, KT returned and not back, a village
    else:
        assert rows["Tân Lập"]["missing_before_deadline"] == 3 and rows["Tân Lập"]["colour"] == "yellow"


async def test_queries_do_not_grow_with_communes(db: Database, world: dict) -> None:
    """Eight communes or one: the same number of SQL statements (a fixed set of batched queries)."""
    counted: list[int] = []
    engine = db.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        if not statement.startswith("SET LOCAL"):  # (each pooled connection's plan setting: not a query)
            counted[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for province in (PROVINCE, OTHER):
            counted.append(0)
            batched, one_by_one = await _both(db, "2026-12", datetime(2026, 12, 10, 3, tzinfo=UTC), province)
            assert batched["communes"] == one_by_one
            counted[-1] = 0  # only the province call below is counted
            up, vp = _periods("2026-12")
            async with db.session() as s:
                prov = (await s.exec(select(Province).where(Province.name == province))).one()
                await province_traffic(s, prov, up, vp, datetime(2026, 12, 10, 3, tzinfo=UTC), date(2026, 12, 10))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counted[0] == counted[1] <= 8, counted


def _compiled(row: dict[str, Any]) -> str:
    """The line's tail on the commune's compiled report to the province (handlers.province_stream)."""
    from handlers.province_stream import compiled_text
    from locales.i18n import use_locale

    with use_locale("vi"):
        return compiled_text(row.get("compiled_report"), TZ)


async def test_province_office_reads_the_batched_figures(tg: TelegramHarness, db: Database, world: dict) -> None:
    """The province office's /tinhtrang lists each commune with the figures of its own computation,
    laggards first, and a number typed beyond the buttons opens that commune's own /tinhtrang."""
    async with db.transaction() as s:
        prov = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        person = Person(commune_id=world["Thiện Tân"]["commune"], name="Trần Văn Tỉnh", role="province",
                        province_id=prov.id, locale="vi", consent_at=tg.now)
        s.add(person)
        await s.flush()
        s.add(Identity(person_id=person.id, channel="telegram", external_id=str(PROV_TG),  # type: ignore[arg-type]
                       chat_id=str(PROV_TG)))
    _batched, expected = await _both(db, "2026-12", tg.now)
    sent = await tg.say(PROV_TG, "/tinhtrang")
    lines = sent[0].text.splitlines()
    ranked = [ln for ln in lines if ln[:2] in {f"{i}." for i in range(1, 9)}]
    assert len(ranked) == 8 and "Cao Lộc" not in sent[0].text
    colours = {"red": "🔴 Đỏ", "yellow": "🟡 Vàng", "green": "🟢 Xanh"}
    for i, (line, r) in enumerate(zip(ranked, expected, strict=True), 1):
        assert line == (f"{i}. {colours[r['colour']]} {r['commune']}: đơn vị {r['units']['submitted']}/"
                        f"{r['units']['expected']}, tổ công nghệ số {r['villages']['submitted']}/"
                        f"{r['villages']['expected']}, nhiệm vụ quá hạn {r['overdue_tasks']}" + _compiled(r)), line
    assert ranked[0].startswith("1. 🔴 Đỏ Thiện Tân")
    assert any(ln.endswith(": 19 (4)") for ln in lines)  # VNeID in the province, November in brackets
    fifth = expected[4]["commune"]
    sent = await tg.say(PROV_TG, "5")
    assert fifth in sent[0].text
    tg.now += timedelta(days=15)  # past December's deadline: more communes red
    _batched, later = await _both(db, "2026-12", tg.now)
    sent = await tg.say(PROV_TG, "/tinhtrang tháng 12")  # the drill-down left open a day ago closes quietly
    assert "tháng 12/2026" in sent[0].text
    assert f"1. 🔴 Đỏ {later[0]['commune']}" in sent[0].text
    assert sum(r["colour"] == "red" for r in later) > sum(r["colour"] == "red" for r in expected)
