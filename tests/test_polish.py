"""Small chat points of issue 13: shortened titles, channel-aware prompts, blank messages, help per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from locales.i18n import _, use_locale
from locales.textcut import shorten
from storage.db import Database
from storage.models import Commune
from tests.fakes.zalo_api import FakeZaloApi
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org
from tests.zalo_harness import TOKEN, ZaloHarness, add_zalo_identity

OFFICER, LEAD, MEMBER = 8101, 8102, 8103
LONG_TASK = ("Triển khai nền tảng số phục vụ người dân trong giải quyết thủ tục hành chính trên môi trường "
             "điện tử tại Trung tâm Phục vụ hành chính công xã")
LONG_IND = ("Tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận và giải quyết trực tuyến toàn trình trên Cổng "
            "dịch vụ công quốc gia")


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def assert_cut_at_word(shown: str, full: str) -> None:
    """``shown`` is ``full`` shortened: a prefix ending at a word boundary, then "…"."""
    assert shown.endswith("…") and len(shown) < len(full), shown
    head = shown[:-1]
    assert full.startswith(head) and full[len(head)] in " ,", (head, full[len(head):len(head) + 5])


def test_shorten_cuts_at_a_word_boundary() -> None:
    assert shorten("Số hóa hồ sơ", 40) == "Số hóa hồ sơ"
    assert shorten("  Số hóa\n hồ sơ ", 40) == "Số hóa hồ sơ"  # one line
    assert shorten("Nâng cao tỷ lệ hồ sơ dịch vụ công trực tuyến", 21) == "Nâng cao tỷ lệ hồ sơ…"
    assert shorten("Nâng cao tỷ lệ, hồ sơ dịch vụ", 16) == "Nâng cao tỷ lệ…"  # no dangling comma
    assert len(shorten(LONG_TASK, 45)) <= 45
    assert_cut_at_word(shorten(LONG_TASK, 45), LONG_TASK)
    assert shorten("https://example.org/" + "a" * 40, 20) == "https://example.org…"  # one long word


async def _long_plan(db: Database, unit: str) -> None:
    from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
    from storage.plan_store import save_plan

    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, ParsedPlan(title="Kế hoạch thử", year=2026, sections=["I"], tasks=[
            ParsedTask("1", "I", LONG_TASK, [unit], [], Due("Quý III năm 2026", date(2026, 9, 30))),
        ], indicators=[ParsedIndicator("1", "I", LONG_IND, "%", Target("≥80", ">=", Decimal(80), "%"), [unit])]))


async def test_long_titles_are_shortened_at_a_word(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await _long_plan(db, "Trung tâm Phục vụ hành chính công")
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    # /quahan: the overdue task's title, cut at a word with "…"
    sent = await tg.say(LEAD, "/quahan")
    line = next(x for x in sent[0].text.splitlines() if x.startswith("• 1. "))
    assert_cut_at_word(line.removeprefix("• 1. ").split(" — ")[0], LONG_TASK)
    # /baocao: the summary and the "which answer to change" buttons
    sent = await tg.say(OFFICER, "/baocao", expect=2)
    assert LONG_TASK in sent[1].text  # the question itself shows the whole title
    await tg.tap(OFFICER, "in_progress")
    await tg.say(OFFICER, "85")
    await tg.tap(OFFICER, "none")
    sent = await tg.tap(OFFICER, "none")
    lines = sent[0].text.splitlines()
    task_line = next(x for x in lines if x.startswith("• ") and "1." in x and "Triển khai" in x)
    ind_line = next(x for x in lines if x.startswith("• ") and "Tỷ lệ" in x)
    assert_cut_at_word(task_line.split(". ", 1)[1].rsplit(": ", 1)[0], LONG_TASK)
    assert_cut_at_word(ind_line.split(". ", 1)[1].rsplit(": ", 1)[0], LONG_IND)
    sent = await tg.tap(OFFICER, "fix")
    labels = [b for row in sent[0].buttons for b in row]
    assert_cut_at_word(labels[0].split(". ", 1)[1], LONG_TASK)
    assert_cut_at_word(labels[1].split(". ", 1)[1], LONG_IND)


# -- blank messages --------------------------------------------------------------------------------


async def test_blank_message_gets_a_polite_reply(tg: TelegramHarness, db: Database) -> None:
    from storage.models import ActivityLog

    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    for blank in ("\u200b", "\u200b \u2060", "\ufeff\n"):  # zero-width only: nothing to read
        sent = await tg.say(MEMBER, blank)
        assert sent[0].text == vi("Please write what you did, e.g. \"hỗ trợ 5 người cài VNeID\".")
        assert not sent[0].buttons  # no guided log started from nothing
        sent = await tg.say(OFFICER, blank)
        assert sent[0].text == vi("Your message arrived empty. Type /trogiup to see what I can do.")
    await tg.say(MEMBER, "/ghinhan")
    sent = await tg.say(MEMBER, "\u200b")
    assert sent[0].text.startswith(vi("Your message arrived empty. Please type your answer to the question below."))
    assert vi("I need a written answer here.") not in sent[0].text
    assert vi("What kind of activity? (tap or type its number)") in sent[0].text  # the question again
    async with db.session() as s:
        assert (await s.exec(select(ActivityLog))).all() == []


# -- help lists exactly what the role can use --------------------------------------------------------


async def test_help_lists_only_usable_commands(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    write_hint = vi("Or just write what you did, e.g. \"hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC\".")
    officer = (await tg.say(OFFICER, "/trogiup"))[0].text
    assert "/baocao" in officer and "/hanbaocao" in officer
    assert "/ghinhan" not in officer and "/nhatky" not in officer and "/tinhtrang" not in officer
    assert write_hint not in officer
    lead = (await tg.say(LEAD, "/trogiup"))[0].text
    assert "/tinhtrang" in lead and "/baocao" in lead and "/ghinhan" not in lead and write_hint not in lead
    member = (await tg.say(MEMBER, "/trogiup"))[0].text
    assert "/ghinhan" in member and "/nhatky" in member and "/baocao" not in member and write_hint in member
    # what help leaves out is indeed unusable for the officer
    not_village = vi("Activity logs are kept by village digital teams; your unit is not a village.")
    assert (await tg.say(OFFICER, "/ghinhan"))[0].text == not_village
    assert (await tg.say(OFFICER, "/nhatky"))[0].text.startswith(not_village)


# -- a read-only view is closed, not "stopped" ---------------------------------------------------------


async def test_a_command_after_a_view_does_not_claim_to_stop_it(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await _long_plan(db, "Trung tâm Phục vụ hành chính công")
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    stopped = vi("I stopped what you were doing ({what}); nothing from it was saved.", what="")[:20]
    await tg.say(LEAD, "/tinhtrang")
    sent = await tg.say(LEAD, "/bieudo", expect=2)  # the two charts, and no notice about stopping
    assert [m.method for m in sent] == ["sendPhoto", "sendPhoto"]
    assert all(stopped not in (m.caption or "") for m in sent)
    await tg.say(LEAD, "/tinhtrang")
    assert (await tg.say(LEAD, "/huy"))[0].text == vi("OK.")
    await tg.say(LEAD, "/thongbao")  # a real conversation is still said to be stopped
    sent = await tg.say(LEAD, "/chitieu", expect=2)
    assert sent[0].text.startswith(stopped)


# -- spreadsheet deadlines are real date cells ------------------------------------------------------


async def test_xlsx_deadlines_are_date_cells(tg: TelegramHarness, db: Database) -> None:
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    org = await make_org(db)
    await _long_plan(db, "Trung tâm Phục vụ hành chính công")
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    xlsx, _docx, _mark = await tg.say(LEAD, "/xuat", expect=3)
    wb = load_workbook(io.BytesIO(xlsx.document_bytes))
    summary = {r[0].value: r[1] for r in wb["Tổng hợp"].iter_rows() if r[0].value}
    due = summary["Hạn cuối (giờ địa phương)"]
    assert due.value == datetime(2026, 12, 19, 23, 59) and due.number_format == "DD/MM/YYYY HH:MM"
    made = summary["Thời điểm lập"]  # 03:00 UTC in the harness = 10:00 in Hanoi
    assert made.value == datetime(2026, 12, 10, 10, 0) and made.number_format == "DD/MM/YYYY HH:MM"
    missing = wb["Chưa báo cáo"]
    assert missing["E1"].value == "Hạn cuối"
    cells = [row[4] for row in missing.iter_rows(min_row=2)]
    assert cells and all(isinstance(c.value, datetime) and c.number_format == "DD/MM/YYYY HH:MM" for c in cells)


# -- Zalo has no buttons: its prompts never say "tap" ------------------------------------------------

ZALO_USER = "6ede9afa66b88fe6d6a9"


@pytest.fixture
async def zh(aiohttp_server: Any, db_url: str) -> AsyncIterator[ZaloHarness]:
    fake = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await fake.serve(aiohttp_server)
    h = ZaloHarness(fake, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_zalo_prompts_fit_a_numbered_list(zh: ZaloHarness, db: Database) -> None:
    from storage.models import ActivityLog

    org = await make_org(db)
    pid = await add_person(db, org["napai"], "Hà Văn Tùng", "member")
    await add_zalo_identity(db, pid, ZALO_USER)
    seen: list[str] = []
    sent = await zh.say(ZALO_USER, "/ghinhan")
    seen.append(sent[0]["text"])
    assert sent[0]["text"].startswith(vi("What kind of activity?") + "\n\n1. ")
    assert vi("(type the number or the words of your choice)") in sent[0]["text"]
    sent = await zh.say(ZALO_USER, " ")  # a blank message at a question
    seen.append(sent[0]["text"])
    assert sent[0]["text"].startswith(vi("Your message arrived empty. Please type your answer to the question below."))
    seen += [m["text"] for m in await zh.say(ZALO_USER, "1")]  # VNeID, typed by its number
    seen += [m["text"] for m in await zh.say(ZALO_USER, "7")]
    seen += [m["text"] for m in await zh.say(ZALO_USER, "2")]  # that's all
    seen += [m["text"] for m in await zh.say(ZALO_USER, "1")]  # confirm
    sent = await zh.say(ZALO_USER, "/nhatky")
    seen.append(sent[0]["text"])
    assert vi("To correct a number, type the number of its entry. Corrections are possible until {due}.",
              due="19/12/2026") in sent[0]["text"]
    sent = await zh.say(ZALO_USER, "abc")  # not an entry
    seen.append(sent[0]["text"])
    assert sent[0]["text"].startswith(vi("Please type the number of the entry you want to correct, or choose Done."))
    assert not any("bấm" in t or "Bấm" in t for t in seen), seen
    async with db.session() as s:
        assert [(r.activity, r.count) for r in (await s.exec(select(ActivityLog))).all()] == [("vneid", 7)]
