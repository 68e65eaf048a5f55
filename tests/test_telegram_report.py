"""The unit officer's report through the fake Telegram server: every step, bad input, amend, late."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.cli import main
from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import AuditLog, Commune, Report, ReportItem, ReportRevision
from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
from storage.plan_store import save_plan
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

OFFICER, LEAD = 7001, 7002
PLAN_IMPORTED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def _plan(db: Database) -> None:
    unit = "Trung tâm Phục vụ hành chính công"
    plan = ParsedPlan(title="Kế hoạch thử", year=2026, sections=["I"], tasks=[
        ParsedTask("1", "I", "Số hóa hồ sơ TTHC", [unit], ["Phòng Văn hóa - Xã hội"],
                   Due("Quý II năm 2026", None, kind="dated")),
        ParsedTask("2", "I", "Tuyên truyền DVC trực tuyến", [unit], []),
    ], indicators=[
        ParsedIndicator("1", "I", "Tỷ lệ hồ sơ trực tuyến", "%", Target("≥80", ">=", Decimal(80), "%"), [unit]),
        ParsedIndicator("2", "I", "Có bộ phận một cửa số", None, Target("Đạt", "bool", boolean=True), [unit]),
    ])
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, plan, now=PLAN_IMPORTED)  # reporting starts 1/12: November is not owed


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def test_officer_report_end_to_end(tg: TelegramHarness, db: Database, db_url: str,
                                         monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    org = await make_org(db)
    await _plan(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    sent = await tg.say(OFFICER, "/baocao", expect=2)
    assert "Trung tâm Phục vụ hành chính công" in sent[0].text and "4" in sent[0].text
    assert "(1/4)" in sent[1].text and sent[1].callback_data == ["not_started", "in_progress", "done", "blocked"]
    await tg.tap(OFFICER, "in_progress")
    sent = await tg.say(OFFICER, "3")  # typed number = third choice (done)
    assert "(3/4)" in sent[0].text
    for bad in ("nhiều", "150", "-5", "😀"):
        sent = await tg.say(OFFICER, bad)
        assert "(3/4)" in sent[0].text  # the same step is asked again
    sent = await tg.say(OFFICER, "x" * 5000)
    assert "5000" in sent[0].text and "(3/4)" in sent[0].text
    sent = await tg.say(OFFICER, "85,5")
    assert "(4/4)" in sent[0].text and sent[0].callback_data == ["yes", "no"]
    sent = await tg.say(OFFICER, "dat")  # typed label without diacritics
    assert sent[0].callback_data == ["none"]
    await tg.say(OFFICER, "Thiếu máy quét tài liệu")
    sent = await tg.tap(OFFICER, "none")
    assert "85,5%" in sent[0].text and "Thiếu máy quét" in sent[0].text
    assert sent[0].callback_data == ["send", "fix", "cancel"]
    sent = await tg.tap(OFFICER, "send")
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")

    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        items = {(i.kind, i.status, i.value_num, i.value_bool) for i in
                 (await s.exec(select(ReportItem))).all()}
    assert report.late is False and report.revision == 1 and report.difficulties == "Thiếu máy quét tài liệu"
    assert report.proposals is None
    assert items == {("task", "in_progress", None, None), ("task", "done", None, None),
                     ("indicator", None, Decimal("85.5"), None), ("indicator", None, None, True)}

    # Status for scripts shows the report and the missing units.
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    import asyncio

    code = await asyncio.to_thread(main, ["status", "--commune", "Thiện Tân", "--at", tg.now.isoformat(),
                                          "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["period"]["start"] == "2026-11-15" and data["period"]["end"] == "2026-12-14"
    assert data["reports"][0]["unit"] == "Trung tâm Phục vụ hành chính công"
    assert data["reports"][0]["person"] == "Hoàng Văn Nam" and len(data["reports"][0]["items"]) == 4
    unit_stream = next(s for s in data["streams"] if s["name"] == "unit_monthly")
    assert unit_stream["on_time"] == 1 and unit_stream["expected"] == 1
    assert set(unit_stream) >= {"name", "period", "due", "expected", "submitted", "on_time", "late", "missing"}
    inds = {i["code"]: i for i in data["indicators"]}
    assert inds["1"]["latest"] == 85.5 and inds["1"]["status"] == "on_track"  # 85,5 % meets ≥ 80 %
    assert inds["2"]["latest"] is True and inds["2"]["status"] == "on_track"
    assert data["overdue_tasks"] == []
    code = await asyncio.to_thread(main, ["status", "--at", tg.now.isoformat(), "--json"])
    province = json.loads(capsys.readouterr().out)
    assert code == 0 and province["communes"][0]["commune"] == "Thiện Tân"
    assert {k: province["communes"][0]["streams"][0][k] for k in ("expected", "submitted", "on_time")} == \
        {k: unit_stream[k] for k in ("expected", "submitted", "on_time")}

    # Amend after the deadline: "unchanged" is offered, the report is stored as late, history kept.
    tg.now = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)  # 09:00 on the 20th: December's deadline passed
    sent = await tg.say(OFFICER, "báo cáo", expect=2)  # the period is now January 2027
    assert "1/2027" in sent[0].text
    assert "same" in sent[1].callback_data
    for _step in range(4):
        await tg.tap(OFFICER, "same")
    await tg.tap(OFFICER, "same")  # difficulties as last time
    await tg.tap(OFFICER, "none")
    sent = await tg.tap(OFFICER, "send")
    async with db.session() as s:
        reports = (await s.exec(select(Report).order_by(Report.id))).all()
        revisions = (await s.exec(select(ReportRevision))).all()
    assert len(reports) == 2 and reports[1].late is False and reports[1].difficulties == "Thiếu máy quét tài liệu"
    assert len(revisions) == 2


async def test_resubmission_amends_and_audits(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await _plan(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    for round_ in range(2):
        await tg.say(OFFICER, "/report", expect=2)
        await tg.tap(OFFICER, "done")
        await tg.tap(OFFICER, "done")
        await tg.say(OFFICER, "90" if round_ == 0 else "95")
        await tg.tap(OFFICER, "yes")
        await tg.tap(OFFICER, "none")
        await tg.tap(OFFICER, "none")
        sent = await tg.tap(OFFICER, "send")
    assert "2" in sent[0].text
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        values = [i.value_num for i in (await s.exec(select(ReportItem))).all() if i.value_num is not None]
        audits = (await s.exec(select(AuditLog).where(AuditLog.action == "report.amend"))).all()
    assert report.revision == 2 and values == [Decimal("95")] and len(audits) == 1


async def test_late_report_after_deadline(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await _plan(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    tg.now = datetime(2026, 12, 19, 9, 0, tzinfo=UTC)  # 16:00 on 19/12, the last day
    await tg.say(OFFICER, "/baocao", expect=2)
    tg.now = datetime(2026, 12, 19, 17, 30, tzinfo=UTC)  # 00:30 on 20/12 local: too late for December
    await tg.tap(OFFICER, "done")
    await tg.tap(OFFICER, "done")
    await tg.say(OFFICER, "100")
    await tg.tap(OFFICER, "no")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "none")
    sent = await tg.tap(OFFICER, "send")
    assert sent[0].text == vi("Report for {period} received after the deadline; it is recorded as late. "
                              "Thank you.", period="tháng 12/2026")
    async with db.session() as s:
        assert (await s.exec(select(Report))).one().late is True


async def test_member_cannot_open_unit_report(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=LEAD)
    sent = await tg.say(LEAD, "/baocao")
    assert sent[0].text == vi("Sorry, that command is not available for your role. Type /trogiup to see yours.")


async def test_two_officers_of_a_unit_send_at_the_same_moment(tg: TelegramHarness, db: Database,
                                                               db_url: str) -> None:
    """After a first report, both officers amend and send in parallel: revisions 2 and 3, no error reply.

    On PostgreSQL the test holds the report table until both transactions wait, so they really
    collide; SQLite serialises writers by itself."""
    org = await make_org(db)
    await _plan(db)
    second = OFFICER + 100
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["hcc"], "Vi Thị Hoa", "officer", telegram_id=second)

    async def fill(officer: int) -> None:
        await tg.say(officer, "/baocao", expect=2)
        for _ in range(4):  # tasks: done; percent: 100; yes/no: yes — or "unchanged" once there is one
            choices = tg.last[officer].callback_data
            if "same" in choices:
                await tg.tap(officer, "same")
            elif choices:
                await tg.tap(officer, "done" if "done" in choices else "yes")
            else:
                await tg.say(officer, "100")
        await tg.tap(officer, "none")
        await tg.tap(officer, "none")

    await fill(OFFICER)  # the first report (every item answered "done" / 100 %)
    await tg.tap(OFFICER, "send")
    await fill(OFFICER)
    await fill(second)
    blocker = None
    if db_url.startswith("postgresql"):
        import asyncpg

        blocker = await asyncpg.connect(db_url.replace("+asyncpg", ""))
        hold = blocker.transaction()
        await hold.start()
        await blocker.execute("LOCK TABLE report IN EXCLUSIVE MODE")  # reads pass, writes wait
    try:
        for officer in (OFFICER, second):
            msg = tg.last[officer]
            tg.fake.queue(tg.fake.callback(officer, "send", message_id=msg.message_id))
            tg.queued += 1
        if blocker is not None:
            waiting = 0
            for _ in range(500):
                waiting = await blocker.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if waiting == 2:
                    break
                await asyncio.sleep(0.01)
            assert waiting == 2, "both sends should be waiting (on the table or on each other)"
            await hold.rollback()
    finally:
        if blocker is not None:
            await blocker.close()
    sent = await tg.fake.wait_for_sent(2)
    await tg.settle()
    texts_sent = sorted(m.text for m in sent)
    assert texts_sent == sorted(vi("Your corrected report for {period} replaces the earlier one (revision {r}); "
                                   "it is on time. Thank you.", period="tháng 12/2026", r=r) for r in (2, 3))
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        revisions = sorted(r.revision for r in (await s.exec(select(ReportRevision))).all())
    assert report.revision == 3 and revisions == [1, 2, 3]
