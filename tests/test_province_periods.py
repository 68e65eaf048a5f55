"""The province view over several months at once (issue #19, the dashboard's months): every month gathered in
the same statements gives what each month's own ``province_traffic`` gives (the province office's /tinhtrang
tháng N), a plan chaired by "the villages" counts as with each commune's own queries, and the closed months'
activity-log figures read from the roll-up (``storage.log_rollup``) are the logs' own, in as many statements
once filled; on SQLite and PostgreSQL. (The writes through the chat: tests/test_log_rollup.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from storage.db import Database
from storage.log_rollup import bump
from storage.models import ActivityLog, Commune, Province
from storage.province import set_commune_province
from storage.traffic import commune_traffic, province_traffic, province_traffic_periods, rank_key
from storage.units import get_or_create_commune, get_or_create_unit
from tests.seed import add_person
from tests.test_province_scale import PROVINCE, _periods, _plan, world  # noqa: F401  (world: the fixture)

NOW = datetime(2026, 12, 20, 3, tzinfo=UTC)  # 20/12 local: the village period of 2026-12 (to 14/12) is closed
TODAY = date(2026, 12, 20)
MONTHS = ("2026-10", "2026-11", "2026-12")


async def _province(s: Any) -> Province:
    return (await s.exec(select(Province).where(Province.name == PROVINCE))).one()


async def test_months_at_once_equal_each_month(db: Database, world: dict) -> None:  # noqa: F811
    async with db.transaction() as s:  # a commune whose plan names "the villages" as chair: its lead's
        c = await get_or_create_commune(s, "Thôn Xóm")  # office owes no report (a chair is named)
        vp = (await get_or_create_unit(s, c, "Văn phòng HĐND và UBND xã", "office"))[0].id
        await get_or_create_unit(s, c, "Thôn Pác Bó", "village")
        await set_commune_province(s, c, PROVINCE)
        await _plan(s, c, "Các thôn trên địa bàn xã", "2026-12-31")
    await add_person(db, vp, "Lãnh đạo Thôn Xóm", "lead")  # type: ignore[arg-type]
    counted = [0]
    engine = db.engine.sync_engine

    def count(*_a: Any) -> None:
        counted[0] += 1

    async with db.session() as s:
        province = await _province(s)
        one_by_one = [await province_traffic(s, province, *_periods(key), NOW, TODAY) for key in MONTHS]
        event.listen(engine, "before_cursor_execute", count)
        try:
            at_once = await province_traffic_periods(s, province, [_periods(key) for key in MONTHS], NOW, TODAY)
            alone = counted[0]
            counted[0] = 0
            await province_traffic(s, province, *_periods("2026-12"), NOW, TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert at_once == one_by_one and alone == counted[0]  # three months: the statements of one
        up, vp = _periods("2026-12")
        own = [await commune_traffic(s, c, up, vp, NOW, TODAY) for c in (await s.exec(
            select(Commune).where(Commune.province_id == province.id))).all()]
    rows = {r["commune"]: r for r in at_once[-1]["communes"]}
    mine = {r["commune"]: r for r in own}
    for name, row in rows.items():  # each commune's own queries agree (the compiled report aside)
        assert {k: v for k, v in row.items() if k not in ("compiled_report", "colour")} == {
            k: v for k, v in mine[name].items() if k != "colour"}, name
    assert [r["commune"] for r in sorted(own, key=rank_key)]  # (ranked the same way)
    assert rows["Thôn Xóm"]["units"] == {"submitted": 0, "expected": 0}  # the villages chair: no office owes
    assert rows["Thôn Xóm"]["villages"] == {"submitted": 0, "expected": 1}
    assert rows["Thiện Tân"]["villages"] == {"submitted": 1, "expected": 2}  # Nà Pài logged on 3/12


async def test_closed_months_from_the_roll_up(db: Database, world: dict) -> None:  # noqa: F811
    """The months closed on 20/12 read from the roll-up: filled on the first read (one statement more and its
    writes), then in the statements of the logs' way; always the logs' figures, a log dated back included."""
    months = [_periods(key) for key in MONTHS]
    closed = date(2026, 12, 15)  # storage.log_rollup.closed_before on 20/12: October to December are closed
    counted = [0]
    engine = db.engine.sync_engine

    def count(*_a: Any) -> None:
        counted[0] += 1

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        async with db.session() as s:
            province = await _province(s)
            counted[0] = 0
            event.listen(engine, "before_cursor_execute", count)
            try:
                rolled = await province_traffic_periods(s, province, months, NOW, TODAY, closed)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            return rolled, await province_traffic_periods(s, province, months, NOW, TODAY), counted[0]

    filling, raw, first = await both()
    assert filling == raw and filling[1]["activities"] == {"vneid": 4, "skills": 30}  # November: Thiện Tân, Hữu Kiên
    rolled, raw, statements = await both()
    assert rolled == raw and statements < first
    ids = {c.name: c.id for c in (await _communes(db))}
    async with db.transaction() as s:  # Bình An's first village log, dated back into November (closed)
        commune = await s.get(Commune, ids["Bình An"])
        assert commune is not None
        village = (await get_or_create_unit(s, commune, "Thôn Mới", "village"))[0]
        s.add(ActivityLog(commune_id=commune.id, unit_id=village.id, on_date=date(2026, 11, 3),  # type: ignore[arg-type]
                          activity="vneid", count=5, created_at=datetime(2026, 12, 19, 2, tzinfo=UTC)))
        await bump(s, [commune.id])  # type: ignore[list-item]  # (as every writer of the app does)
    later, raw, again = await both()
    assert later == raw and later[1]["activities"] == {"vneid": 9, "skills": 30} and again > statements
    binh_an = next(r for r in later[1]["communes"] if r["commune"] == "Bình An")
    assert binh_an["villages"] == {"submitted": 1, "expected": 1}  # logged after November's deadline: late
    assert binh_an["missing_after_deadline"] == 0


async def _communes(db: Database) -> list[Commune]:
    async with db.session() as s:
        return list((await s.exec(select(Commune))).all())
