"""Report states that are true everywhere: returned counts as returned (chat, status JSON, xlsx, docx,
reminders, digest) until resubmitted; any open period can be reported; nothing before the commune's
reporting start is owed."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main
from locales.i18n import _, use_locale
from reminders.sweep import preview
from storage.db import Database
from storage.models import Commune, Report, ReportingPeriod
from storage.plan_import.model import ParsedPlan, ParsedTask
from storage.plan_store import save_plan
from tests.harness import TelegramHarness
from tests.migration_support import downgrade_to
from tests.seed import add_person, make_org
from tests.test_telegram_report import PLAN_IMPORTED, _plan

OFFICER, LEAD = 8101, 8102
HCC, VHXH = "Trung tâm Phục vụ hành chính công", "Phòng Văn hóa - Xã hội"
COMMENT = "bổ sung số liệu chỉ tiêu 2"


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _people(db: Database) -> dict[str, int]:
    org = await make_org(db)
    await _plan(db)  # imported 1/12/2026: the commune's reporting starts that day
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    # The lead's office owes a unit report because it chairs a task of its own (a second plan), not because of
    # the lead nor of its officer (not yet joined): an office chairing nothing owes none (tests/test_owing_offices.py).
    await add_person(db, org["vhxh"], "Phạm Thu Hà", "officer")
    async with db.transaction() as s:
        await save_plan(s, (await s.exec(select(Commune))).one(), ParsedPlan(
            title="Kế hoạch tuyên truyền", year=2026, sections=["I"],
            tasks=[ParsedTask("1", "I", "Tuyên truyền chuyển đổi số", [VHXH], [])]), now=PLAN_IMPORTED)
    return org


async def _fill(tg: TelegramHarness, first: list[Any] | None = None) -> list[Any]:
    """Answer the four items of the open /baocao and send it; the bot's last reply."""
    await tg.tap(OFFICER, "done")
    await tg.tap(OFFICER, "in_progress")
    await tg.say(OFFICER, "70")
    await tg.tap(OFFICER, "no")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "none")
    return await tg.tap(OFFICER, "send")


async def _status_json(tg: TelegramHarness, monkeypatch: pytest.MonkeyPatch, capsys: Any, db_url: str,
                       period: str = "2026-12") -> dict[str, Any]:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["status", "--commune", "Thiện Tân", "--period", period,
                                          "--at", tg.now.isoformat(), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    return next(s for s in data["streams"] if s["name"] == "unit_monthly")


async def _return(tg: TelegramHarness) -> str:
    """The lead returns the only waiting report with COMMENT; the review text the lead read."""
    sent = await tg.say(LEAD, "/duyet")
    sent = await tg.tap(LEAD, sent[0].callback_data[0])
    review = sent[0].text
    await tg.tap(LEAD, "return")
    sent = await tg.say(LEAD, COMMENT)
    assert sent[0].text == vi("Report returned; the unit has been told.")
    return review


async def test_returned_report_is_returned_everywhere_until_resubmitted(
        tg: TelegramHarness, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _people(db)
    await tg.say(OFFICER, "/baocao", expect=2)
    sent = await _fill(tg)
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")
    review = await _return(tg)
    # /duyet reads like a report: codes, titles, statuses, value against target and unit, evidence
    for part in ("Nhiệm vụ 1. Số hóa hồ sơ TTHC", vi("Status: {s}", s=vi("Completed")),
                 "Nhiệm vụ 2. Tuyên truyền DVC trực tuyến", "Chỉ tiêu 1. Tỷ lệ hồ sơ trực tuyến",
                 vi("Result: {value} — target {target}{unit}", value="70%", target="≥80%", unit=""),
                 "Chỉ tiêu 2. Có bộ phận một cửa số", vi("Evidence: {n} file(s)", n=0)):
        assert part in review, part
    assert "• 70" not in review

    # chat: returned, not reported
    sent = await tg.say(LEAD, "/tinhtrang")
    summary = sent[0].text
    assert vi("{what}: {done}/{expected} reported — {on_time} on time, {late} late, {returned} returned, "
              "{missing} not reported", what=vi("Unit reports"), done=0, expected=2, on_time=0, late=0,
              returned=1, missing=1) in summary
    sent = await tg.tap(LEAD, "units")
    assert f"• {VHXH}" in sent[0].text and f"• {HCC}: {COMMENT}" in sent[0].text
    assert vi("Returned for correction, not back yet ({n}):", n=1) in sent[0].text
    # status JSON
    st = await _status_json(tg, monkeypatch, capsys, db_url)
    assert (st["expected"], st["submitted"], st["on_time"], st["late"]) == (2, 0, 0, 0)
    assert st["returned"] == [HCC] and st["missing"] == [VHXH]
    assert {u["name"]: (u["state"], u["comment"]) for u in st["units"]}[HCC] == ("returned", COMMENT)
    # xlsx and docx
    sent = await tg.say(LEAD, "/xuat", expect=3)
    wb = load_workbook(io.BytesIO(sent[0].document_bytes))
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    head = next(r for r in rows if r[0] == "Tình hình báo cáo")
    unit_row = next(r for r in rows if r[0] == "Báo cáo của các cơ quan, đơn vị")
    shown = dict(zip(head, unit_row, strict=True))
    assert (shown["Phải báo cáo"], shown["Đã báo cáo"], shown["Đúng hạn"], shown["Trễ hạn"],
            shown["Chưa báo cáo"], shown["Trả lại, chờ gửi lại"]) == (2, 0, 0, 0, 1, 1)
    reports = list(wb["Báo cáo đơn vị"].iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in reports if r[0] == HCC} == {"Trả lại, chờ gửi lại"}
    owed = {r[1]: r[5] for r in wb["Chưa báo cáo"].iter_rows(min_row=2, values_only=True)}
    assert owed[HCC] == f"Trả lại: {COMMENT}" and owed[VHXH] == "Chưa báo cáo"
    body = "\n".join(p.text for p in Document(io.BytesIO(sent[1].document_bytes)).paragraphs)
    assert "0/2 đơn vị đã gửi (0 đúng hạn, 0 trễ hạn)" in body
    assert f"trả lại để bổ sung, chưa gửi lại: {HCC} ({COMMENT})" in body
    # reminders: the unit's officer is reminded at the next sweep, and daily, even after the deadline
    assert tg.bot is not None
    async with db.session() as s:
        friday = await preview(s, tg.bot.services, at("2026-12-11T08:00+07:00"))
        monday = await preview(s, tg.bot.services, at("2026-12-21T08:00+07:00"))
    back = [p for p in friday if p.stage.startswith("returned")]
    assert [(p.person, p.unit, p.period, p.stage, p.comment) for p in back] == [
        ("Hoàng Văn Nam", HCC, "2026-12", "returned-2026-12-11", COMMENT)]
    assert not [p for p in friday if p.unit == HCC and not p.stage.startswith("returned")]
    assert [p.stage for p in monday if p.person == "Hoàng Văn Nam"] == ["returned-2026-12-21"]
    [digest] = [p for p in monday if p.stage == "digest" and p.stream == "unit_monthly"]
    assert digest.returned == (f"{HCC}: {COMMENT}",) and digest.missing == (VHXH,)
    assert digest.as_json()["returned"] == [f"{HCC}: {COMMENT}"]
    from reminders.messages import reminder_outgoing

    assert COMMENT in reminder_outgoing(back[0], tg.bot.services, tg.now).text
    assert COMMENT in reminder_outgoing(digest, tg.bot.services, tg.now).text

    # the officer resubmits after the deadline: submitted again, late
    tg.now = at("2026-12-21T09:00+07:00")
    sent = await tg.say(OFFICER, "/hanbaocao")
    assert "↩️" in sent[0].text and COMMENT in sent[0].text
    sent = await tg.say(OFFICER, "/baocao")
    assert sent[0].callback_data == ["2026-12", "2027-01"]
    await tg.tap(OFFICER, "2026-12", expect=3)
    sent = await _fill(tg)
    assert sent[0].text == vi("Report for {period} received after the deadline; it is recorded as late. "
                              "Thank you.", period="tháng 12/2026")
    st = await _status_json(tg, monkeypatch, capsys, db_url)
    assert (st["submitted"], st["on_time"], st["late"], st["returned"]) == (1, 0, 1, [])
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        later = await preview(s, tg.bot.services, at("2026-12-22T08:00+07:00"))
    assert (report.status, report.late, report.revision) == ("submitted", True, 2)
    assert not [p for p in later if p.stage.startswith("returned")]


async def test_resubmission_before_the_deadline_is_on_time(tg: TelegramHarness, db: Database, db_url: str,
                                                           monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _people(db)
    await tg.say(OFFICER, "/baocao", expect=2)
    await _fill(tg)
    await _return(tg)
    tg.now = at("2026-12-15T09:00+07:00")
    sent = await tg.say(OFFICER, "/baocao", expect=3)  # only December is owed: it opens at once
    assert COMMENT in sent[0].text and "12/2026" in sent[1].text
    await _fill(tg)
    st = await _status_json(tg, monkeypatch, capsys, db_url)
    assert (st["submitted"], st["on_time"], st["late"], st["returned"]) == (1, 1, 0, [])


async def test_overdue_month_can_be_reported_and_is_late(tg: TelegramHarness, db: Database, db_url: str,
                                                         monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _people(db)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, ["commune", "set-start", "--commune", "Thiện Tân", "2026-11-01"])
    assert code == 0
    sent = await tg.say(OFFICER, "/hanbaocao")
    assert "⚠️" in sent[0].text and "tháng 11/2026" in sent[0].text
    sent = await tg.say(OFFICER, "/baocao")  # November overdue and December due: a choice
    assert sent[0].callback_data == ["2026-11", "2026-12"]
    await tg.say(OFFICER, "/huy")
    for words in ("tháng 13", "tháng 1/2027"):
        sent = await tg.say(OFFICER, f"/baocao {words}")
        assert sent[0].callback_data == []  # refused politely, nothing opened
    sent = await tg.say(OFFICER, "/baocao tháng 11", expect=2)
    assert "tháng 11/2026" in sent[0].text and "(1/4)" in sent[1].text
    sent = await _fill(tg)
    assert sent[0].text == vi("Report for {period} received after the deadline; it is recorded as late. "
                              "Thank you.", period="tháng 11/2026")
    async with db.session() as s:
        report, rp = (await s.exec(select(Report, ReportingPeriod).join(ReportingPeriod))).one()
    assert rp.key == "2026-11" and report.late is True
    st = await _status_json(tg, monkeypatch, capsys, db_url, "2026-11")
    assert (st["expected"], st["submitted"], st["late"], st["missing"]) == (2, 1, 1, [VHXH])
    sent = await tg.say(OFFICER, "/baocao 11/2026")  # already received: not reopened
    assert sent[0].text == vi("The report for {period} was already received. If it needs correcting, the lead "
                              "office can return it to you (/duyet).", period="tháng 11/2026")
    sent = await tg.say(OFFICER, "/baocao", expect=2)  # only December is owed now
    assert "tháng 12/2026" in sent[0].text


async def test_nothing_before_the_reporting_start_is_owed(tg: TelegramHarness, db: Database, db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _people(db)
    async with db.session() as s:
        assert (await s.exec(select(Commune))).one().reporting_start.isoformat() == "2026-12-01"
    sent = await tg.say(OFFICER, "/hanbaocao")
    assert "tháng 11/2026" not in sent[0].text and "⚠️" not in sent[0].text and "tháng 12/2026" in sent[0].text
    sent = await tg.say(OFFICER, "/baocao tháng trước")
    assert sent[0].text == vi("{period} is before your commune's reporting started ({start}); nothing is owed "
                              "for it.", period="tháng 11/2026", start="1/12/2026")
    st = await _status_json(tg, monkeypatch, capsys, db_url, "2026-11")
    assert (st["expected"], st["missing"], st["returned"]) == (0, [], [])
    sent = await tg.say(LEAD, "/xuat tháng 11", expect=3)
    wb = load_workbook(io.BytesIO(sent[0].document_bytes))
    assert list(wb["Chưa báo cáo"].iter_rows(min_row=2, values_only=True)) == []
    assert tg.bot is not None
    async with db.session() as s:  # November's overdue moment and its digest: nobody owes it
        planned = await preview(s, tg.bot.services, at("2026-11-20T08:00+07:00"))
    assert not [p for p in planned if p.period == "2026-11"]
    # an operator can move the start back: then November is owed (and overdue)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, ["commune", "set-start", "--commune", "Thiện Tân", "2026-10-15"])
    assert code == 0
    st = await _status_json(tg, monkeypatch, capsys, db_url, "2026-11")
    assert st["expected"] == 2 and sorted(st["missing"]) == sorted([HCC, VHXH])


async def test_reporting_start_migration_fills_from_first_plan(db_url: str) -> None:
    """The data migration: each commune with plans starts on its first plan's local import day."""
    from sqlalchemy import text

    database = Database(db_url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(downgrade_to, "0005_reporting_start-1")
            made = datetime(2026, 11, 1, tzinfo=UTC)
            for cid, name in ((1, "Xã A"), (2, "Xã B")):
                await conn.execute(text("INSERT INTO commune (id, name, key, created_at) VALUES (:i, :n, :k, :c)"),
                                   {"i": cid, "n": name, "k": name.lower(), "c": made})
            for key, imported in (("a", datetime(2026, 11, 20, 20, 30, tzinfo=UTC)),  # 21/11 03:30 in Hanoi
                                  ("b", datetime(2026, 11, 25, 3, 0, tzinfo=UTC))):
                await conn.execute(text("INSERT INTO plan (commune_id, title, key, year, imported_at) "
                                        "VALUES (1, :t, :k, 2026, :at)"), {"t": key, "k": key, "at": imported})
        await database.upgrade()
        async with database.session() as s:
            starts = {c.name: c.reporting_start for c in (await s.exec(select(Commune))).all()}
    finally:
        await database.dispose()
    assert starts == {"Xã A": datetime(2026, 11, 21).date(), "Xã B": None}


# -- /duyet on Zalo: a long report read page by page, within Zalo's 2,000 characters, typed choices --------

@pytest.fixture
async def fake(aiohttp_server: Any) -> Any:
    from tests.fakes.zalo_api import FakeZaloApi
    from tests.zalo_harness import TOKEN

    api = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await api.serve(aiohttp_server)
    return api


@pytest.fixture
async def zh(fake: Any, db_url: str) -> Any:
    from tests.zalo_harness import ZaloHarness

    h = ZaloHarness(fake, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_long_report_is_reviewed_page_by_page_on_zalo(zh: Any, db: Database) -> None:
    from decimal import Decimal

    from storage.plan_import.model import ParsedIndicator, ParsedPlan, Target
    from storage.plan_store import save_plan
    from tests.test_telegram_report import PLAN_IMPORTED
    from tests.zalo_harness import add_zalo_identity

    officer, lead = "1111aaaa2222bbbb3333", "4444cccc5555dddd6666"
    org = await make_org(db)
    n = 18
    plan = ParsedPlan(title="Kế hoạch dài", year=2026, sections=["I"], indicators=[
        ParsedIndicator(str(k), "I", f"Tỷ lệ hồ sơ thủ tục hành chính lĩnh vực số {k} được tiếp nhận và giải quyết "
                        "trực tuyến toàn trình trên Cổng dịch vụ công quốc gia", "%",
                        Target("≥80", ">=", Decimal(80), "%"), [HCC]) for k in range(1, n + 1)])
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, plan, now=PLAN_IMPORTED)
    await add_zalo_identity(db, await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer"), officer)
    await add_zalo_identity(db, await add_person(db, org["vhxh"], "Trần Thị Lan", "lead"), lead)
    await zh.say(officer, "/baocao", expect=2)
    for k in range(n):
        await zh.say(officer, str(50 + k))
    await zh.say(officer, "khong")
    await zh.say(officer, "khong")
    sent = await zh.say(officer, "1")  # send
    assert "12/2026" in sent[0]["text"]
    await zh.say(lead, "/duyet")
    sent = await zh.say(lead, "1")
    pages = [sent[0]["text"]]
    while vi("Next page") in pages[-1]:
        sent = await zh.say(lead, "3")  # typed number of "Trang sau": Zalo has no buttons
        pages.append(sent[0]["text"])
    assert len(pages) >= 2
    assert all(len(p) <= 2000 for p in pages)
    assert vi("(page {n} of {total})", n=1, total=len(pages)) in pages[0]
    assert vi("(page {n} of {total})", n=len(pages), total=len(pages)) in pages[-1]
    text = "\n".join(pages)
    for k in range(1, n + 1):
        assert text.count(f"Chỉ tiêu {k}. Tỷ lệ hồ sơ thủ tục hành chính lĩnh vực số {k} ") == 1, k
        assert vi("Result: {value} — target {target}{unit}", value=f"{50 + k - 1}%", target="≥80%",
                  unit="") in text
    assert vi("Evidence: {n} file(s)", n=0) in pages[-1]
    sent = await zh.say(lead, "3")  # "Về trang đầu" wraps around
    assert sent[0]["text"].startswith(pages[0].split("\n")[0])
    await zh.say(lead, "2")
    sent = await zh.say(lead, COMMENT)
    assert sent[0]["text"] == vi("Report returned; the unit has been told.")
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
    assert report.status == "returned" and report.review_comment == COMMENT


async def test_late_older_month_is_not_offered_a_later_months_answers(
        tg: TelegramHarness, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _people(db)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    assert await asyncio.to_thread(main, ["commune", "set-start", "--commune", "Thiện Tân", "2026-11-01"]) == 0
    sent = await tg.say(OFFICER, "/baocao tháng 12", expect=2)
    assert "tháng 12/2026" in sent[0].text
    await _fill(tg)
    # November, overdue, reported after December: "Unchanged" would copy December's answers into
    # November's report; nothing was reported on or before November, so nothing is offered.
    sent = await tg.say(OFFICER, "/baocao tháng 11", expect=2)
    assert "tháng 11/2026" in sent[0].text and "(1/4)" in sent[1].text
    assert "same" not in sent[1].callback_data
    await _fill(tg)
    # January is offered the latest month before it: December's answers.
    tg.now = at("2026-12-21T09:00+07:00")
    sent = await tg.say(OFFICER, "/baocao", expect=2)
    assert "tháng 1/2027" in sent[0].text and "same" in sent[1].callback_data


async def test_returned_notice_waits_for_the_end_of_quiet_hours(tg: TelegramHarness, db: Database) -> None:
    from storage.models import Outbox

    await _people(db)
    await tg.say(OFFICER, "/baocao", expect=2)
    await _fill(tg)
    tg.now = at("2026-12-16T22:30+07:00")  # the lead reviews late in the evening
    await _return(tg)
    assert tg.bot is not None and tg.bot.outbox is not None
    async with db.session() as s:
        notice = (await s.exec(select(Outbox).where(Outbox.key.like("review:%")))).one()  # type: ignore[union-attr]
    assert notice.status == "pending"
    held = notice.next_attempt_at if notice.next_attempt_at.tzinfo else notice.next_attempt_at.replace(tzinfo=UTC)
    assert held == at("2026-12-17T07:00+07:00")  # not at 22:30: the officer hears at seven
    tg.fake.take_sent()
    assert await tg.bot.outbox.run_once() == 0  # nothing due yet at 22:30 (the bot's clock)
