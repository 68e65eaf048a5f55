"""storage.province_figures: a fixed number of queries for a whole province, and the same figures as the
commune's own views (/quahan and /chitieu through the export, the colours' overdue count)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import select

from storage.calendar.calendar import period_by_key, previous_period
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import Commune
from storage.plan_store import save_plan
from storage.province import province_communes, set_commune_province
from storage.units import get_or_create_commune, get_or_create_unit
from tests.province_ask_support import HCC, PROVINCE, TAN_LAP, THIEN_TAN, _plan, seed_province

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


def _periods(key: str = "2026-12"):  # noqa: ANN202
    streams = {s.name: s for s in default_streams()}
    up = period_by_key(streams["unit_monthly"], key, TZ)
    vp = period_by_key(streams["village_monthly"], key, TZ)
    return up, vp


async def _figures(db: Database) -> tuple[dict, int]:
    from storage.models import Province
    from storage.province_figures import province_figures

    up, vp = _periods()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        ids = [c.id for c in await province_communes(s, province.id)]  # type: ignore[arg-type]
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            figures = await province_figures(s, ids, up, vp, previous_period(vp), date(2026, 12, 10))  # type: ignore[arg-type]
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return figures, len(statements)


async def test_fixed_queries_and_the_communes_own_figures(db: Database) -> None:
    from handlers.exports.gather import gather_export
    from storage.traffic import commune_traffic

    ids = await seed_province(db)
    figures, queries = await _figures(db)
    assert queries == 6  # the answers per (item, unit) and who owes each item (storage.item_standing)
    up, vp = _periods()
    async with db.session() as s:
        for name in (THIEN_TAN, TAN_LAP):
            commune = await s.get(Commune, ids[name]["commune"])
            assert commune is not None
            own = await gather_export(s, commune, "2026-12", NOW, TZ)  # /quahan, /chitieu, the exports
            f = figures[commune.id]
            assert [t.code for t in own.tasks if t.overdue] == [code for code, _t, _d in f["overdue"]]
            for verdict in ("off_track", "at_risk", "no_data", "on_track"):
                assert sum(r.status == verdict for r in own.indicators) == f["indicators"][verdict], (name, verdict)
            colours = await commune_traffic(s, commune, up, vp, NOW, date(2026, 12, 10))
            assert colours["overdue_tasks"] == f["overdue_tasks"]
            assert colours["activities"] == f["activities"]
            assert colours["activities_previous"] == f["activities_previous"]
    assert figures[ids[THIEN_TAN]["commune"]]["indicators"] == {"off_track": 1, "at_risk": 0, "no_data": 1,
                                                                "on_track": 2}

    # Three more communes with plans: still six queries.
    async with db.transaction() as s:
        for n in range(3):
            c = await get_or_create_commune(s, f"Xã Mới {n}")
            await get_or_create_unit(s, c, HCC, "office")
            await set_commune_province(s, c, PROVINCE)
            await save_plan(s, c, _plan(c.name), now=NOW)
    more, queries = await _figures(db)
    assert len(more) == len(figures) + 3 and queries == 6
