"""The lead office in chat: review (accept / return), announcements with delivery counts, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import Outbox, Report
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org
from tests.test_province_stream import PROV, A, _world
from tests.test_telegram_report import _plan

OFFICER, LEAD, MEMBER, MEMBER2 = 8001, 8002, 8003, 8004


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def _people(db: Database) -> dict[str, int]:
    org = await make_org(db)
    await _plan(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, org["khuoi"], "Đinh Văn Hải", "member", telegram_id=MEMBER2)
    await add_person(db, org["khuoi"], "Nông Thị Bé", "member")  # not joined yet
    return org


async def _submit(tg: TelegramHarness) -> None:
    await tg.say(OFFICER, "/baocao", expect=2)
    await tg.tap(OFFICER, "done")
    await tg.tap(OFFICER, "in_progress")
    await tg.say(OFFICER, "70")
    await tg.tap(OFFICER, "no")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "send")


async def test_return_then_correct_after_deadline(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    await _submit(tg)
    sent = await tg.say(LEAD, "/duyet")
    assert sent[0].buttons[0][0].startswith("Trung tâm Phục vụ hành chính công · 2026-12")
    await tg.tap(LEAD, sent[0].callback_data[0])
    sent = await tg.tap(LEAD, "return")
    sent = await tg.say(LEAD, "bổ sung số liệu chỉ tiêu 2")
    assert sent[0].text == vi("Report returned; the unit has been told.")
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 1
    note = (await tg.fake.wait_for_sent(1))[0]
    tg.fake.take_sent()
    assert note.chat_id == OFFICER and "bổ sung số liệu chỉ tiêu 2" in note.text
    # After the deadline the returned report reopens (named, or picked among what is owed); the
    # correction arrives after the deadline, so it is late.
    tg.now = datetime(2026, 12, 22, 2, 0, tzinfo=UTC)
    sent = await tg.say(OFFICER, "/baocao")
    assert sent[0].callback_data == ["2026-12", "2027-01"] and "12/2026" in sent[0].buttons[0][0]
    sent = await tg.tap(OFFICER, "2026-12", expect=3)
    assert "bổ sung số liệu chỉ tiêu 2" in sent[0].text and "12/2026" in sent[1].text
    for _step in range(4):
        await tg.tap(OFFICER, "same")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "send")
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
    assert report.status == "submitted" and report.late is True and report.revision == 2
    sent = await tg.say(LEAD, "/duyet")
    await tg.tap(LEAD, sent[0].callback_data[0])
    sent = await tg.tap(LEAD, "accept")
    assert sent[0].text == vi("Report accepted; the unit has been told.")
    async with db.session() as s:
        assert (await s.exec(select(Report))).one().status == "accepted"


async def test_announcement_to_village_teams(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    await tg.say(LEAD, "/thongbao")
    await tg.tap(LEAD, "village")
    sent = await tg.say(LEAD, "Ngày 15/12 tập huấn Bình dân học vụ số tại hội trường xã.")
    assert sent[0].callback_data == ["send", "cancel"]
    sent = await tg.tap(LEAD, "send")
    assert "2" in sent[0].text and "1" in sent[0].text  # two reachable members, one not joined
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 2
    got = await tg.fake.wait_for_sent(2)
    tg.fake.take_sent()
    assert {m.chat_id for m in got} == {MEMBER, MEMBER2}
    assert all("Bình dân học vụ số" in m.text and "Trần Thị Lan" in m.text for m in got)
    sent = await tg.say(LEAD, "/thongbao", expect=2)
    assert sent[0].text.startswith(vi("Your last announcement: {sent} delivered, {pending} waiting, "
                                      "{failed} failed, {unreachable} not reachable.", sent=2, pending=0,
                                      failed=0, unreachable=1))
    async with db.session() as s:
        rows = (await s.exec(select(Outbox).where(Outbox.key.like("announce:%")))).all()  # type: ignore[union-attr]
        replies = (await s.exec(select(Outbox).where(Outbox.key.like("reply:%")))).all()  # type: ignore[union-attr]
    assert len(rows) == 2 and all(r.status == "sent" for r in rows)
    assert replies and all(r.status == "sent" for r in replies)  # every reply's durable copy was delivered


@pytest.mark.parametrize("command", ["/duyet", "/thongbao", "/tinhtrang", "/moi"])
async def test_lead_commands_refused_for_others(tg: TelegramHarness, db: Database, command: str) -> None:
    await _people(db)
    refusal = vi("Sorry, that command is not available for your role. Type /trogiup to see yours.")
    for user in (OFFICER, MEMBER):
        sent = await tg.say(user, command)
        assert sent[0].text == refusal
    sent = await tg.say(9999, command)  # not registered at all
    assert sent[0].reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_indicators_overdue_and_export_in_chat(tg: TelegramHarness, db: Database) -> None:
    import io
    from datetime import date
    from decimal import Decimal

    from docx import Document
    from openpyxl import load_workbook

    from storage.models import Commune
    from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
    from storage.plan_store import save_plan

    await _people(db)
    unit = "Phòng Văn hóa - Xã hội"
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, ParsedPlan("Kế hoạch bổ sung", 2026, [
            ParsedTask("9", None, "Triển khai ký số cho cán bộ", [unit], [], Due("Quý III năm 2026", date(2026, 9, 30))),
        ], [ParsedIndicator("9", None, "Tỷ lệ hồ sơ có ký số", "%", Target(">95", ">", Decimal(95), "%"), [unit])]))
    await _submit(tg)  # indicator 1 = 70 % against ≥80; indicator 2 not achieved; task 2 in progress
    sent = await tg.say(LEAD, "/chitieu")
    text = sent[0].text
    assert "70%" in text and text.index("🟠") < text.index("⚪")  # worst first
    sent = await tg.say(LEAD, "/quahan")
    assert "Triển khai ký số cho cán bộ" in sent[0].text and unit in sent[0].text
    sent = await tg.say(LEAD, "/xuat", expect=3)
    xlsx, docx, mark = sent
    assert mark.callback_data == ["leadsent:2026-12"]
    tg.last[LEAD] = mark
    sent = await tg.tap(LEAD, "leadsent:2026-12")
    assert sent[0].text == vi("Recorded: the compiled report for {period} was sent to {recipient}.",
                              period="tháng 12/2026", recipient="UBND xã")
    tg.last[LEAD] = mark  # a second tap on the same button
    sent = await tg.tap(LEAD, "leadsent:2026-12")
    assert sent[0].text == vi("Already recorded: the compiled report for {period} was sent.", period="tháng 12/2026")
    from reminders.sweep import preview

    async with db.session() as s:
        planned = await preview(s, tg.bot.services, datetime(2026, 12, 18, 1, 0, tzinfo=UTC))
    assert [p for p in planned if p.stream == "lead_monthly"] == []  # no reminder for a report already sent
    assert xlsx.method == docx.method == "sendDocument"
    assert xlsx.document_name == "bao-cao-cds-2026-12.xlsx" and docx.document_name == "bao-cao-cds-2026-12.docx"
    wb = load_workbook(io.BytesIO(xlsx.document_bytes))
    assert "Chỉ tiêu" in wb.sheetnames
    doc = Document(io.BytesIO(docx.document_bytes))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in body and "./." in body


async def test_status_summary_and_drill_down(tg: TelegramHarness, db: Database) -> None:
    from datetime import date

    from storage.models import ActivityLog

    org = await _people(db)
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], on_date=date(2026, 12, 1),
                          activity="vneid", count=12))
        s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], on_date=date(2026, 11, 1),
                          activity="vneid", count=5))  # previous period (15/10–14/11)
    sent = await tg.say(LEAD, "tình trạng")
    summary = sent[0].text
    # Units: the centre that chairs the plan's items has not reported (the lead's own office chairs
    # nothing, so it owes no unit report); villages: Nà Pài logged, Khuổi Luông did not.
    assert "0/1" in summary and "1/2" in summary
    assert "12 (5)" in summary
    assert sent[0].callback_data == ["units", "villages", "by_village", "close"]
    sent = await tg.tap(LEAD, "villages")
    assert "Thôn Khuổi Luông" in sent[0].text and "Thôn Nà Pài" not in sent[0].text
    await tg.say(LEAD, "/tinhtrang")
    sent = await tg.say(LEAD, "3")
    assert "Thôn Nà Pài" in sent[0].text and "12" in sent[0].text
    sent = await tg.say(LEAD, "/tinhtrang tháng 13")
    assert "tháng 13" in sent[0].text


async def test_charts_render_as_photos(tg: TelegramHarness, db: Database) -> None:
    import io
    from datetime import date

    from PIL import Image

    from storage.models import ActivityLog

    org = await _people(db)
    async with db.transaction() as s:
        for month, n in ((8, 3), (10, 7), (12, 12)):
            s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], on_date=date(2026, month, 1),
                              activity="vneid", count=n))
    await _submit(tg)
    sent = await tg.say(LEAD, "/bieudo", expect=2)
    assert [m.method for m in sent] == ["sendPhoto", "sendPhoto"]
    for m in sent:
        img = Image.open(io.BytesIO(m.photo.data if hasattr(m.photo, "data") else m.photo))
        assert img.format == "PNG" and img.size[0] > 400



async def test_announcement_to_a_unit_typed_loosely(tg: TelegramHarness, db: Database) -> None:
    """Any unit can be typed by name (no diacritics, no "Thôn"), even beyond the 36 shown as buttons;
    an ambiguous name gets a question, not a wrong audience."""
    from storage.units import get_or_create_commune, get_or_create_unit

    await _people(db)
    async with db.transaction() as s:
        commune = await get_or_create_commune(s, "Thiện Tân")
        for n in range(40):  # a large commune: more villages than buttons
            await get_or_create_unit(s, commune, f"Thôn Bản Xa {n + 1}", "village")
        await get_or_create_unit(s, commune, "Thôn Nà Lẹng", "village")
        far, _created = await get_or_create_unit(s, commune, "Thôn Pác Nặm", "village")
    await add_person(db, far.id, "Ma Văn Sinh", "member", telegram_id=4242)  # type: ignore[arg-type]
    sent = await tg.say(LEAD, "/thongbao")
    assert "Thôn Pác Nặm" not in [label for row in sent[0].buttons for label in row]
    sent = await tg.say(LEAD, "thon na")
    assert sent[0].text.startswith(vi("Which one do you mean: {names}? Please type the full name.",
                                      names=vi(" or ").join(["Thôn Nà Lẹng", "Thôn Nà Pài"])))
    sent = await tg.say(LEAD, "pac nam")
    assert sent[0].text.startswith(vi("Write the announcement (up to {n} characters).", n=1500))
    await tg.say(LEAD, "Họp thôn tối nay lúc 19 giờ.")
    await tg.tap(LEAD, "send")
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 1
    got = await tg.fake.wait_for_sent(1)
    assert [m.chat_id for m in got if "Họp thôn" in m.text] == [4242]


async def test_a_view_left_open_closes_quietly(tg: TelegramHarness, db: Database, db_url: str,
                                              monkeypatch, capsys) -> None:  # noqa: ANN001
    """/tinhtrang and the commune view a province office opens from its buttons are read-only: the next command
    simply runs, even a day later, with no "đã hủy" notice. A half-entered report still says it was dropped."""
    await _people(db)
    expired = vi("Your unfinished conversation expired after 24 hours without an answer; please start again.")
    not_village = vi("Activity logs are kept by village digital teams; your unit is not a village.")
    await tg.say(LEAD, "/tinhtrang")  # left open, its buttons untapped
    tg.now += timedelta(hours=25)
    sent = await tg.say(LEAD, "/nhatky")
    assert len(sent) == 1 and sent[0].text.startswith(not_village), sent  # the command's answer only
    # the province office's drill-down: /tinhtrang → a commune's own view, then the next command a day later
    ids = await _world(tg, db, db_url, monkeypatch, capsys)
    await tg.say(PROV, "/tinhtrang")
    sent = await tg.tap(PROV, f"commune:{ids[A]}")
    assert sent[0].text.startswith(vi("Commune {name}", name=A)), sent[0].text
    tg.now += timedelta(hours=25)
    sent = await tg.say(PROV, "/tinhtrang")
    assert len(sent) == 1 and expired not in sent[0].text and f"commune:{ids[A]}" in sent[0].callback_data, sent
    # a report half entered is still said to be dropped, at once or after a day
    await tg.say(OFFICER, "/baocao", expect=2)
    await tg.tap(OFFICER, "done")
    tg.now += timedelta(hours=25)
    sent = await tg.say(OFFICER, "/nhatky", expect=2)
    assert sent[0].text == expired and sent[1].text.startswith(not_village), sent
    await tg.say(OFFICER, "/baocao", expect=2)
    await tg.tap(OFFICER, "done")
    sent = await tg.say(OFFICER, "/nhatky", expect=2)
    assert sent[0].text.startswith(vi("I stopped what you were doing ({what}); nothing from it was saved.",
                                      what="X").split("X")[0]), sent
