"""Small chat points of issue 13: shortened titles, channel-aware prompts, blank messages, help per role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from locales.i18n import _, use_locale
from locales.textcut import shorten
from storage.db import Database
from storage.models import Commune
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

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
