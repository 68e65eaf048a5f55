"""A seeded province for the province office's questions: the corpus commune (Thiện Tân) and two more
communes of Tây Ninh with their own plans, reports and village logs, and one commune of another
province whose figures must never show; the province office joining on Telegram or Zalo and asking."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import func, select

from storage.db import Database
from storage.models import ActivityLog, Commune, Indicator, Invite, Person, Report, ReportItem, Task, Unit
from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
from storage.plan_store import save_plan
from storage.province import set_commune_province
from storage.units import get_or_create_commune, get_or_create_unit
from tests.ask_support import _report, seed_commune
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.seed import add_person
from tests.zalo_harness import ZaloHarness

PROVINCE, OTHER = "Tây Ninh", "Lạng Sơn"
PROV, Z_PROV, OFFICE = 8201, "z-prov", "Trần Văn Tỉnh"  # the province office on Telegram and on Zalo
THIEN_TAN, TAN_LAP, HOA_BINH, HUU_KIEN = "Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên"
HCC = "Trung tâm Phục vụ hành chính công"
PHO, NGAM, SUOI, KHAU = "Thôn Bản Phố", "Thôn Nà Ngầm", "Thôn Suối Cát", "Thôn Khau Ràng"

# (commune, village, on_date, activity, count): Tân Lập and Hòa Bình; Thiện Tân's are tests.ask_support.LOGS
LOGS = (
    (TAN_LAP, PHO, date(2026, 12, 2), "vneid", 20), (TAN_LAP, NGAM, date(2026, 12, 4), "households", 15),
    (TAN_LAP, PHO, date(2026, 11, 5), "vneid", 8),
    (HOA_BINH, SUOI, date(2026, 12, 3), "dvc", 5), (HOA_BINH, SUOI, date(2026, 11, 6), "vneid", 4),
    (HUU_KIEN, KHAU, date(2026, 12, 2), "vneid", 99), (HUU_KIEN, KHAU, date(2026, 11, 2), "vneid", 77),
)


def _plan(name: str) -> ParsedPlan:
    """Tân Lập's plan: one task overdue (November), one ahead; one indicator far behind, one never reported."""
    return ParsedPlan(title=f"Kế hoạch chuyển đổi số xã {name} năm 2026", year=2026, sections=["I"], tasks=[
        ParsedTask("1", "I", "Triển khai thanh toán không dùng tiền mặt tại chợ", [HCC], [],
                   Due("Tháng 11/2026", date(2026, 11, 30))),
        ParsedTask("2", "I", "Tổng kết chuyển đổi số năm 2026", [HCC], [], Due("Tháng 12/2026", date(2026, 12, 31))),
    ], indicators=[
        ParsedIndicator("1", "I", "Tỷ lệ hồ sơ trực tuyến toàn trình", "%", Target("≥70%", ">=", Decimal(70), "%"),
                        [HCC]),
        ParsedIndicator("2", "I", "Tỷ lệ hộ gia đình có người biết dùng dịch vụ công", "%",
                        Target("≥50%", ">=", Decimal(50), "%"), [HCC]),
    ])


async def _commune(db: Database, name: str, villages: tuple[str, ...], province: str) -> dict[str, int]:
    async with db.transaction() as s:
        c = await get_or_create_commune(s, name)
        ids = {"commune": c.id, HCC: (await get_or_create_unit(s, c, HCC, "office"))[0].id}
        for v in villages:
            ids[v] = (await get_or_create_unit(s, c, v, "village"))[0].id
        await set_commune_province(s, c, province)
    return ids  # type: ignore[return-value]


async def seed_province(db: Database) -> dict[str, dict[str, int]]:
    """Thiện Tân (the corpus commune), Tân Lập and Hòa Bình in Tây Ninh; Hữu Kiên in Lạng Sơn."""
    thien_tan = await seed_commune(db)
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune).where(Commune.name == THIEN_TAN))).one()
        await set_commune_province(s, commune, PROVINCE)
        thien_tan["commune"] = commune.id  # type: ignore[assignment]
    tan_lap = await _commune(db, TAN_LAP, (PHO, NGAM), PROVINCE)
    hoa_binh = await _commune(db, HOA_BINH, (SUOI,), PROVINCE)
    huu_kien = await _commune(db, HUU_KIEN, (KHAU,), OTHER)
    await add_person(db, tan_lap[HCC], "Phạm Văn Lập", "officer")
    await add_person(db, hoa_binh[HCC], "Đỗ Thị Bình", "officer")
    await add_person(db, huu_kien[HCC], "Hoàng Văn Kiên", "officer")
    ids = {TAN_LAP: tan_lap, HOA_BINH: hoa_binh, HUU_KIEN: huu_kien}
    async with db.transaction() as s:
        lap = await s.get(Commune, tan_lap["commune"])
        assert lap is not None
        await save_plan(s, lap, _plan(TAN_LAP), now=datetime(2026, 10, 1, 3, 0, tzinfo=UTC))
        ind = {i.code: i.id for i in (await s.exec(select(Indicator).where(Indicator.name.like("%toàn trình%")))).all()}  # type: ignore[attr-defined]
        tasks = (await s.exec(select(Task).where(Task.title.like("Triển khai thanh toán%")))).all()  # type: ignore[attr-defined]
        assert len(ind) == 1 and len(tasks) == 1
        # Tân Lập reported November (30 % against ≥70 %: off track) and not December
        await _report(s, lap, tan_lap[HCC], "2026-11", datetime(2026, 11, 18, 3, tzinfo=UTC),
                      items=(("task", tasks[0].id, "in_progress", None, None),
                             ("indicator", ind["1"], None, "30", None)))
        hoa = await s.get(Commune, hoa_binh["commune"])
        assert hoa is not None
        await _report(s, hoa, hoa_binh[HCC], "2026-11", datetime(2026, 11, 16, 3, tzinfo=UTC))
        await _report(s, hoa, hoa_binh[HCC], "2026-12", datetime(2026, 12, 9, 3, tzinfo=UTC))
        for name, village, on, activity, n in LOGS:
            s.add(ActivityLog(commune_id=ids[name]["commune"], unit_id=ids[name][village], on_date=on,
                              activity=activity, count=n, created_at=datetime(on.year, on.month, on.day, 5, tzinfo=UTC)))
    return {THIEN_TAN: thien_tan, **ids}


async def province_invite(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str) -> str:
    """A fresh province-office invite code for Tây Ninh (``cdsbot invite create --role province``)."""
    out = await cli(monkeypatch, capsys, db_url, "invite", "create", "--role", "province", "--province", PROVINCE,
                    "--json")
    return json.loads(out)["code"]


async def join_on_telegram(tg: TelegramHarness, db_url: str, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str], user: int = PROV) -> None:
    """The province office joins on Telegram: /start with the invite, its offered name, consent."""
    code = await province_invite(monkeypatch, capsys, db_url)
    sent = await tg.say(user, f"/start {code}", first_name=OFFICE)
    assert PROVINCE in sent[0].text and "tỉnh" in sent[0].text
    await tg.tap(user, OFFICE)
    sent = await tg.tap(user, "yes", expect=2)
    assert OFFICE in sent[0].text and "/tinhtrang" in sent[1].text


async def join_on_zalo(zh: ZaloHarness, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str], user: str = Z_PROV) -> None:
    """The province office joins on Zalo: the invite code typed, the offered name (1), consent (1)."""
    code = await province_invite(monkeypatch, capsys, db_url)
    await zh.say(user, code, display_name=OFFICE)
    await zh.say(user, "1")
    await zh.say(user, "1", expect=2)
    async with db.session() as s:
        assert (await s.exec(select(Person).where(Person.name == OFFICE))).one().role == "province"


async def ask(h: TelegramHarness | ZaloHarness, user: Any, text: str) -> list[Any]:
    """The replies to ``text``, the view it opened then closed (/huy) so the next question starts afresh."""
    sent = await h.say(user, text)
    await h.say(user, "/huy")
    return sent


async def counts(db: Database) -> tuple[int, ...]:
    """Rows of what a question must never write: logs, reports and their items, units, communes, invites."""
    async with db.session() as s:
        return tuple([(await s.exec(select(func.count()).select_from(m))).one()  # type: ignore[arg-type]
                      for m in (ActivityLog, Report, ReportItem, Unit, Commune, Invite)])
