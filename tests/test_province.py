"""The province view (issue #19) through the fake Telegram server: a province office joins by invite,
sees its communes ranked in the three colours (nothing of another province), drills into one commune,
and is refused politely everything that writes; `cdsbot status --province` has the same figures."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import Commune, Person, Unit
from storage.plan_import.model import Due, ParsedPlan, ParsedTask
from storage.plan_store import save_plan
from storage.units import get_or_create_commune, get_or_create_unit
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.migration_support import downgrade_to
from tests.province_ask_support import join_on_telegram
from tests.seed import add_person

PROVINCE, OTHER = "Tây Ninh", "Lạng Sơn"
A, B, D, C = "Thiện Tân", "Tân Lập", "Hòa Bình", "Hữu Kiên"  # A, B, D in Tây Ninh; C in Lạng Sơn
HCC, NAPAI = "Trung tâm Phục vụ hành chính công", "Thôn Nà Pài"
OFFICER_A, MEMBER_A, PROV = 8101, 8102, 8103
PLAN_IMPORTED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def _commune(db: Database, name: str, task_due: tuple[str, str] | None) -> dict[str, int]:
    """A commune with one office and one village; with ``task_due`` a plan whose one task the office chairs."""
    async with db.transaction() as s:
        c = await get_or_create_commune(s, name)
        hcc, _ = await get_or_create_unit(s, c, HCC, "office")
        village, _ = await get_or_create_unit(s, c, NAPAI, "village")
        if task_due is not None:
            plan = ParsedPlan(title=f"Kế hoạch {name}", year=2026, sections=["I"], tasks=[
                ParsedTask("1", "I", "Số hóa hồ sơ TTHC", [HCC], [],
                           Due(task_due[0], date.fromisoformat(task_due[1]), kind="dated"))])
            await save_plan(s, c, plan, now=PLAN_IMPORTED)
        return {"commune": c.id, "hcc": hcc.id, "village": village.id}  # type: ignore[dict-item]


@pytest.fixture
async def world(tg: TelegramHarness, db: Database, db_url: str, monkeypatch, capsys) -> dict:  # noqa: ANN001
    a = await _commune(db, A, ("Ngày 31/12/2026", "2026-12-31"))
    b = await _commune(db, B, ("Ngày 30/11/2026", "2026-11-30"))  # past due, never reported done
    d = await _commune(db, D, None)  # nothing sent yet, deadline ahead
    c = await _commune(db, C, ("Ngày 30/11/2026", "2026-11-30"))
    for commune, province in ((A, PROVINCE), (B, PROVINCE), (D, PROVINCE), (C, OTHER)):
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", province)
    await add_person(db, a["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_A)
    await add_person(db, a["village"], "Lò Thị Bích", "member", telegram_id=MEMBER_A)
    return {"A": a, "B": b, "C": c, "D": d}


async def _units_of_a_report(tg: TelegramHarness) -> None:
    sent = await tg.say(OFFICER_A, "/baocao", expect=2)
    await tg.tap(OFFICER_A, "done")
    await tg.say(OFFICER_A, "Không có")
    await tg.tap(OFFICER_A, "none")
    sent = await tg.tap(OFFICER_A, "send")
    assert "đúng hạn" in sent[0].text
    await tg.say(MEMBER_A, "Hôm nay hỗ trợ 12 người kích hoạt VNeID")
    sent = await tg.tap(MEMBER_A, "ok")
    assert "Đã lưu" in sent[0].text


async def _join_and_report(tg: TelegramHarness, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    """The province office joins; then commune A's office reports December and its village logs 12 VNeID."""
    await join_on_telegram(tg, db_url, monkeypatch, capsys, PROV)
    await _units_of_a_report(tg)


async def test_province_office_ranks_drills_and_reads_only(tg: TelegramHarness, db: Database, db_url: str,
                                                           world: dict, monkeypatch, capsys) -> None:  # noqa: ANN001
    out = await cli(monkeypatch, capsys, db_url, "province", "show", "--json")
    assert json.loads(out) == [{"province": OTHER, "communes": [C]},
                               {"province": PROVINCE, "communes": [D, B, A]}]
    await join_on_telegram(tg, db_url, monkeypatch, capsys, PROV)
    async with db.session() as s:
        person = (await s.exec(select(Person).where(Person.name == "Trần Văn Tỉnh"))).one()
    assert person.role == "province" and person.unit_id is None and person.province_id is not None
    await _units_of_a_report(tg)

    sent = await tg.say(PROV, "/tinhtrang")
    text = sent[0].text
    lines = text.splitlines()
    ranked = [ln for ln in lines if ln[:2] in ("1.", "2.", "3.")]
    assert [r.split(": ")[0].split(" ", 3)[-1] for r in ranked] == [B, D, A]  # laggards first
    assert "Đỏ" in ranked[0] and "Vàng" in ranked[1] and "Xanh" in ranked[2]
    assert "nhiệm vụ quá hạn 1" in ranked[0] and "đơn vị 1/1" in ranked[2] and "tổ công nghệ số 1/1" in ranked[2]
    assert C not in text and OTHER not in text  # nothing of the other province
    assert sent[0].callback_data[:3] == [f"commune:{world['B']['commune']}", f"commune:{world['D']['commune']}",
                                         f"commune:{world['A']['commune']}"]

    # The same figures from the command line (the same function).
    out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--at", tg.now.isoformat(),
                    "--json")
    data = json.loads(out)
    assert [r["commune"] for r in data["communes"]] == [B, D, A]
    assert [r["colour"] for r in data["communes"]] == ["red", "yellow", "green"]
    assert data["activities"] == {"vneid": 12} and data["activities_previous"] == {}
    assert "  • Kích hoạt định danh điện tử (VNeID): 12 (0)" in lines  # the province's village activities
    colours = {"red": "🔴 Đỏ", "yellow": "🟡 Vàng", "green": "🟢 Xanh"}
    for i, r in enumerate(data["communes"], 1):
        assert vi("{n}. {colour} {commune}: units {units_done}/{units}, village teams {villages_done}/"
                  "{villages}, overdue tasks {overdue}", n=i, colour=colours[r["colour"]], commune=r["commune"],
                  units_done=r["units"]["submitted"], units=r["units"]["expected"],
                  villages_done=r["villages"]["submitted"], villages=r["villages"]["expected"],
                  overdue=r["overdue_tasks"]) in lines

    # Drill-down: commune A's own /tinhtrang.
    sent = await tg.tap(PROV, f"commune:{world['A']['commune']}")
    body = sent[0].text
    assert body.startswith(vi("Commune {name}", name=A))
    assert "1/1" in body and sent[0].callback_data[:3] == ["units", "villages", "by_village"]
    sent = await tg.tap(PROV, "by_village")
    assert NAPAI in sent[0].text and "12" in sent[0].text

    # Typing a commune's number or name works too; another province's commune is not offered.
    await tg.say(PROV, "/tinhtrang")
    sent = await tg.say(PROV, "3")
    assert sent[0].text.startswith(vi("Commune {name}", name=A))
    outside = (await tg.say(PROV, C))[0].text  # asked without the list: not one of its communes
    assert outside == "Xin lỗi, Hữu Kiên không thuộc Tây Ninh: bạn chỉ có thể hỏi về các xã của tỉnh mình.", outside
    await tg.say(PROV, "/tinhtrang")
    sent = await tg.say(PROV, C)  # typed at the list: no pick, answered as without it (the list closes)
    assert sent[0].text == outside
    await tg.say(PROV, "/tinhtrang")
    for other in ("4", "xã"):
        sent = await tg.say(PROV, other)
        assert sent[0].text.startswith(vi("Please pick one of the communes below (type its number or name)."))
        assert C not in sent[0].text
    sent = await tg.say(PROV, "xã tan lap")
    assert sent[0].text.startswith(vi("Commune {name}", name=B))
    await tg.tap(PROV, "close")
    sent = await tg.say(PROV, "/tinhtrang tháng 11")  # another period
    assert sent[0].text.startswith(vi("Communes of {province} for {period}, laggards first:", province=PROVINCE,
                                      period="tháng 11/2026"))
    await tg.say(PROV, "/huy")

    # Read-only: every writing command and a log-like message get what the province office can ask
    # (questions in words are answered: tests/test_ask_province.py).
    explain = vi("You follow the communes of your province, read-only. You can ask:\n"
                 "/tinhtrang — every commune's reporting in the three colours (Green, Yellow, Red), laggards "
                 "first, then one commune's details\n"
                 "/tinhtrang tháng 11 — the same for another month\n"
                 "/chitieu — the province's shared indicators across the communes (/chitieu CT1 for one)\n"
                 "/xuat — the province workbook (.xlsx) and a draft report of the province office (.docx); "
                 "/xuat tháng 11 for another month\n"
                 "Or ask in words, for example: \"xã nào chưa báo cáo tháng 11?\", \"xã nào chậm nhất\", "
                 "\"tổng số kích hoạt VNeID của tỉnh tháng này\", \"so với tháng trước\", \"xã Tân Lập thế nào\", "
                 "\"chỉ tiêu nào chậm tiến độ\", \"nhiệm vụ quá hạn theo xã\".\n"
                 "/ngonngu — switch language, /trogiup — this help.\n"
                 "Reporting, reviewing, assigning and announcing are done by each commune's own offices.")
    for said in ("/baocao", "/duyet", "/giao 1 Công an xã", "/thongbao", "/moi", "/quahan",
                 "hỗ trợ 12 người kích hoạt VNeID", "xin chào", "/trogiup"):
        sent = await tg.say(PROV, said)
        assert sent[0].text == explain, said
    async with db.session() as s:
        units = (await s.exec(select(Unit))).all()
        communes = (await s.exec(select(Commune))).all()
    assert len(units) == 8 and len(communes) == 4  # nothing was created by the province office


async def test_province_cli(tg: TelegramHarness, db: Database, db_url: str, monkeypatch,  # noqa: ANN001
                            capsys, tmp_path) -> None:  # noqa: ANN001
    import asyncio

    from bot.cli import main

    org = tmp_path / "to-chuc.csv"
    org.write_text(f"Đơn vị,Loại,Họ tên,Vai trò\n{HCC},office,Nguyễn Thị Hoa,officer\n", encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(org), "--commune", B, "--province", "tỉnh Tây Ninh")
    await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", B, "--province", PROVINCE)  # idempotent
    out = await cli(monkeypatch, capsys, db_url, "province", "show", "--json")
    assert json.loads(out) == [{"province": "tỉnh Tây Ninh", "communes": [B]}]  # named as first given
    out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--at",
                    tg.now.isoformat(), "--json")
    assert [(r["commune"], r["colour"], r["units"]) for r in json.loads(out)["communes"]] == \
        [(B, "yellow", {"submitted": 0, "expected": 1})]  # the officer's unit owes a report, deadline ahead
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    for args in (["invite", "create", "--role", "province", "--province", "Nowhere"],
                 ["status", "--province", "Nowhere"],
                 ["province", "set", "--commune", "Nowhere", "--province", PROVINCE],
                 ["invite", "create", "--role", "province"]):
        capsys.readouterr()
        code = await asyncio.to_thread(main, args)
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: "), (args, err)


async def test_province_office_is_no_commune_audience_and_speaks_english(
        tg: TelegramHarness, db: Database, db_url: str, world: dict, monkeypatch, capsys) -> None:  # noqa: ANN001
    from storage.models import Outbox

    await join_on_telegram(tg, db_url, monkeypatch, capsys, PROV)  # anchored, technically, on the first commune (D)
    lead_d, member_d = 8111, 8112
    await add_person(db, world["D"]["hcc"], "Lê Văn Đạo", "lead", telegram_id=lead_d)
    await add_person(db, world["D"]["village"], "Hà Thị Mai", "member", telegram_id=member_d)
    await tg.say(lead_d, "/thongbao")
    await tg.tap(lead_d, "all")
    await tg.say(lead_d, "Ngày mai họp giao ban lúc 8 giờ.")
    await tg.tap(lead_d, "send")
    async with db.session() as s:
        rows = (await s.exec(select(Outbox).where(Outbox.key.like("announce:%")))).all()  # type: ignore[attr-defined]
        keys = [o.key for o in rows]
        member = (await s.exec(select(Person).where(Person.name == "Hà Thị Mai"))).one()
    assert [k.rsplit(":", 1)[1] for k in keys] == [str(member.id)]  # the village member only

    await tg.say(PROV, "/ngonngu en")
    sent = await tg.say(PROV, "/status")
    assert sent[0].text.startswith(f"Communes of {PROVINCE} for ") and "🔴 Red" in sent[0].text
    sent = await tg.say(PROV, "/report")
    assert sent[0].text.startswith("You follow the communes of your province, read-only.")


async def test_migration_0013_down_and_up(db: Database) -> None:

    from storage.invites import create_province_invite
    from storage.models import Invite
    from storage.province import set_commune_province

    a = await _commune(db, A, None)
    async with db.transaction() as s:
        commune = await s.get(Commune, a["commune"])
        assert commune is not None
        province = await set_commune_province(s, commune, PROVINCE)
        await create_province_invite(s, province)
        s.add(Person(commune_id=commune.id, name="Trần Văn Tỉnh", role="province", province_id=province.id))

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0012_partner_units")
    await db.upgrade()
    async with db.session() as s:
        commune = await s.get(Commune, a["commune"])
        invites = (await s.exec(select(Invite))).all()
        office = (await s.exec(select(Person))).one()
    assert commune is not None and commune.province_id is None and invites == []  # the province invite is gone
    assert office.anonymised_at is not None  # a bot without the province view does not let it in


async def test_the_colour_rule(db: Database) -> None:
    """Yellow for a task due within 7 days or a report owed before the deadline; green once reported
    done; a report returned and not back is yellow before the deadline and red after it."""
    from zoneinfo import ZoneInfo

    from handlers.periods import period_row
    from storage.calendar.calendar import period_by_key
    from storage.calendar.streams import default_streams
    from storage.models import Report, ReportItem, Task
    from storage.traffic import commune_traffic

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    x = await _commune(db, A, ("Ngày 12/12/2026", "2026-12-12"))
    await add_person(db, x["hcc"], "Hoàng Văn Nam", "officer")
    streams = {s.name: s for s in default_streams()}
    up = period_by_key(streams["unit_monthly"], "2026-12", tz)
    vp = period_by_key(streams["village_monthly"], "2026-12", tz)
    async with db.transaction() as s:  # villages are not part of this rule check
        await s.delete(await s.get(Unit, x["village"]))

    async def colour(at: str) -> tuple[str, int, int]:
        now = datetime.fromisoformat(at)
        async with db.session() as s:
            commune = await s.get(Commune, x["commune"])
            assert commune is not None
            r = await commune_traffic(s, commune, up, vp, now, now.astimezone(tz).date())
        return r["colour"], r["due_soon_tasks"], r["missing_after_deadline"]

    assert await colour("2026-12-10T10:00+07:00") == ("yellow", 1, 0)  # due in 2 days, report owed
    assert (await colour("2026-12-21T10:00+07:00"))[0] == "red"  # task past due (the 14th), report missing
    async with db.transaction() as s:
        row = await period_row(s, x["commune"], up)
        task = (await s.exec(select(Task))).one()
        report = Report(period_id=row.id, unit_id=x["hcc"], submitted_at=datetime(2026, 12, 11, 3, tzinfo=UTC))
        s.add(report)
        await s.flush()
        s.add(ReportItem(report_id=report.id, kind="task", ref_id=task.id, status="done"))
    assert await colour("2026-12-11T12:00+07:00") == ("green", 0, 0)
    async with db.transaction() as s:
        report = (await s.exec(select(Report))).one()
        report.status = "returned"
        s.add(report)
    assert await colour("2026-12-12T10:00+07:00") == ("yellow", 0, 0)  # returned, deadline ahead
    assert await colour("2026-12-21T10:00+07:00") == ("red", 0, 1)  # returned and not back after it
