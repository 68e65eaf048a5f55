"""Every kind of answer through the fake platforms: a number in words, Đạt/Chưa đạt, a qualitative result
(status and short text), and numbers that are no count (exponents) refused in logs, on both channels."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import func, select

from handlers.exports.docx import build_docx
from handlers.exports.gather import gather_export
from handlers.exports.xlsx import build_xlsx
from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import ActivityLog, Commune, Indicator, Report, ReportItem
from storage.plan_import.parse import parse_plan_file
from storage.plan_store import save_plan
from tests.fakes.zalo_api import FakeZaloApi
from tests.harness import TelegramHarness
from tests.migration_support import downgrade_to
from tests.seed import add_person, make_org
from tests.zalo_harness import TOKEN, ZaloHarness, add_zalo_identity

PLAN = Path(__file__).resolve().parent / "data" / "plan_answer_kinds.txt"
OFFICER, LEAD, MEMBER = 9101, 9102, 9103
ZALO_OFFICER, ZALO_MEMBER = "a1b2c3d4e5f60718293a", "b1b2c3d4e5f60718293b"
RESULT = "Đã thí điểm trợ lý ảo tại bộ phận một cửa, 120 lượt hỏi đáp"
STATUSES = ["not_started", "in_progress", "done", "blocked"]


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


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def exponent(text: str) -> str:
    return vi("\"{text}\" is written as a power of ten, which I cannot count or store. "
              "Please write the number in full, e.g. 12 or 1.500.", text=text)


async def _setup(db: Database) -> dict[str, int]:
    """The org, then the small plan of tests/data through the real importer: a numeric indicator
    (≥80%), a yes/no one (Đạt) and a qualitative result, all chaired by the service centre."""
    org = await make_org(db)
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, parse_plan_file(PLAN), source_file=PLAN.name)
    async with db.session() as s:
        kinds = {i.code: i.answer_kind for i in (await s.exec(select(Indicator))).all()}
    assert kinds == {"1": "number", "2": "choice", "3": "status"}
    return org


async def _items(db: Database) -> list[tuple[str | None, Decimal | None, bool | None, str | None]]:
    async with db.session() as s:
        rows = (await s.exec(select(ReportItem, Indicator.code).join(Indicator, Indicator.id == ReportItem.ref_id)
                             .order_by(ReportItem.report_id, Indicator.code))).all()
    return [(it.status, it.value_num, it.value_bool, it.note) for it, _code in rows]


def _check_exports(xlsx: bytes, docx: bytes) -> None:
    """What the lead office files: 85,5; Đạt; the qualitative result's status and text, no number."""
    wb = load_workbook(io.BytesIO(xlsx))
    lines = {r[6]: r for r in wb["Báo cáo đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert (lines["1"][8], lines["1"][9]) == ("85,5%", 85.5)
    assert (lines["2"][8], lines["2"][9]) == ("Đạt", None)
    assert (lines["3"][8], lines["3"][9], lines["3"][13]) == ("Đang thực hiện", None, RESULT)
    inds = {r[1]: r for r in wb["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    assert (inds["1"][6], inds["1"][7], inds["1"][9]) == (85.5, "85,5%", "Đạt, đúng tiến độ")
    assert (inds["2"][6], inds["2"][7], inds["2"][9]) == (None, "Đạt", "Đạt, đúng tiến độ")
    assert (inds["3"][6], inds["3"][7]) == (None, f"Đang thực hiện: {RESULT}")
    assert inds["3"][9] == "Có nguy cơ chậm"  # still in progress with most of the year gone
    body = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "85,5%" in body and "Chỉ tiêu 2. Bộ phận một cửa hoạt động trên môi trường số: Đạt" in body
    qualitative = next(p for p in body.splitlines() if "Chỉ tiêu 3." in p)
    assert f"Đang thực hiện: {RESULT}" in qualitative and ": 1 " not in qualitative


async def test_every_answer_kind_on_telegram(tg: TelegramHarness, db: Database) -> None:
    org = await _setup(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    sent = await tg.say(OFFICER, "/baocao", expect=2)
    assert "(1/3)" in sent[1].text and vi("Current value in percent (0-100)?") in sent[1].text
    for bad in ("1e309", "10^12", "1,5e3", "2E5"):  # one token each: refused, never read as two numbers
        sent = await tg.say(OFFICER, bad)
        assert sent[0].text.startswith(exponent(bad)) and "(1/3)" in sent[0].text
    sent = await tg.say(OFFICER, "-5")
    assert sent[0].text.startswith(vi("The number cannot be negative.")) and "(1/3)" in sent[0].text
    sent = await tg.say(OFFICER, "tám mươi lăm phẩy năm")
    assert "(2/3)" in sent[0].text and sent[0].callback_data == ["yes", "no"]
    sent = await tg.tap(OFFICER, "yes")
    question = sent[0].text
    assert "(3/3)" in question and sent[0].callback_data == STATUSES
    assert vi("Expected result: {t}", t="Triển khai thí điểm tại bộ phận một cửa") in question
    assert "nhập số" not in question and vi("Current value (a number)?") not in question
    sent = await tg.say(OFFICER, "1")  # a number is a status here: the first one, not a value
    assert vi("What has been achieved so far? A short sentence (at most {max} characters), or choose None.",
              max=300) in sent[0].text and sent[0].callback_data == ["none"]
    await tg.say(OFFICER, "/huy")  # nothing stored yet; start again and answer properly
    assert await _items(db) == []
    await tg.say(OFFICER, "/baocao", expect=2)
    await tg.say(OFFICER, "tam muoi lam phay nam")  # without diacritics
    await tg.tap(OFFICER, "yes")
    sent = await tg.tap(OFFICER, "in_progress")
    sent = await tg.say(OFFICER, "ok")
    assert sent[0].text.startswith(vi("Please write a few words about the result, or choose None."))
    sent = await tg.say(OFFICER, "x " * 200)
    assert sent[0].text.startswith(vi("Please keep it short: at most {max} characters (you wrote {n}).",
                                      max=300, n=399))
    sent = await tg.say(OFFICER, RESULT)
    assert sent[0].callback_data == ["none"]  # difficulties
    await tg.tap(OFFICER, "none")
    sent = await tg.tap(OFFICER, "none")
    summary = sent[0].text
    assert "85,5%" in summary and vi("Achieved") in summary and vi("In progress") + ": Đã thí điểm" in summary
    sent = await tg.tap(OFFICER, "send")
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")
    assert await _items(db) == [(None, Decimal("85.5"), None, None), (None, None, True, None),
                                ("in_progress", None, None, RESULT)]

    sent = await tg.say(LEAD, "/chitieu")
    shown = {line.split(". ", 1)[0][-1]: line for line in sent[0].text.splitlines()[1:]}
    assert "85,5%" in shown["1"] and ": Đạt /" in shown["2"]
    assert f": Đang thực hiện: {RESULT} /" in shown["3"] and ": 1 /" not in shown["3"]
    xlsx, docx, _mark = await tg.say(LEAD, "/xuat", expect=3)
    _check_exports(xlsx.document_bytes, docx.document_bytes)

    # Next period: "Unchanged" carries the status and the text; no second question for the text.
    tg.now = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    sent = await tg.say(OFFICER, "/baocao", expect=2)
    assert "1/2027" in sent[0].text and "same" in sent[1].callback_data
    await tg.tap(OFFICER, "same")
    sent = await tg.tap(OFFICER, "same")
    assert "(3/3)" in sent[0].text and sent[0].callback_data == [*STATUSES, "same"]
    assert vi("Unchanged: {v}", v=vi("In progress")) in sent[0].buttons[-1][0]
    sent = await tg.tap(OFFICER, "same")
    assert sent[0].text == vi("Any difficulties or obstacles (khó khăn, vướng mắc)? Write them, or choose None.")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "none")
    await tg.tap(OFFICER, "send")
    items = await _items(db)
    assert len(items) == 6 and items[3:] == items[:3]


async def test_exponent_in_a_log_is_refused_on_telegram(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    for text, bad in (("hỗ trợ 1e309 người kích hoạt VNeID", "1e309"), ("hỗ trợ 10^12 người kích hoạt VNeID", "10^12")):
        sent = await tg.say(MEMBER, text, expect=2)
        assert sent[0].text == exponent(bad)  # refused politely, never summed (it was 310 and 22)
        assert "VNeID" in sent[1].text and "310" not in sent[1].text and "22" not in sent[1].text
        sent = await tg.say(MEMBER, "2E5")  # the question asks again
        assert sent[0].text.startswith(exponent("2E5"))
        await tg.say(MEMBER, "/huy")
    sent = await tg.say(MEMBER, "hỗ trợ tám mươi lăm phẩy năm người cài VNeID", expect=2)
    assert sent[0].text == vi("A count is a whole number, so I did not count: {x}", x="tám mươi lăm phẩy năm người")
    await tg.say(MEMBER, "/huy")
    async with db.session() as s:
        assert (await s.exec(select(func.count()).select_from(ActivityLog))).one() == 0


async def test_every_answer_kind_on_zalo(zh: ZaloHarness, db: Database) -> None:
    org = await _setup(db)
    await add_zalo_identity(db, await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer"), ZALO_OFFICER)
    await add_zalo_identity(db, await add_person(db, org["napai"], "Lò Văn Minh", "member"), ZALO_MEMBER)
    sent = await zh.say(ZALO_OFFICER, "/baocao", expect=2)
    assert "(1/3)" in sent[1]["text"]
    sent = await zh.say(ZALO_OFFICER, "10^12")
    assert sent[0]["text"].startswith(exponent("10^12")) and "(1/3)" in sent[0]["text"]
    sent = await zh.say(ZALO_OFFICER, "tám mươi lăm phẩy năm")
    assert "(2/3)" in sent[0]["text"]
    sent = await zh.say(ZALO_OFFICER, "dat")  # typed label without diacritics
    question = sent[0]["text"]
    assert "(3/3)" in question and "nhập số" not in question and "\n4. " in question
    await zh.say(ZALO_OFFICER, "2")  # in progress
    sent = await zh.say(ZALO_OFFICER, RESULT)
    assert "\n1. " in sent[0]["text"]  # difficulties
    await zh.say(ZALO_OFFICER, "1")
    sent = await zh.say(ZALO_OFFICER, "1")
    assert "85,5%" in sent[0]["text"] and f"{vi('In progress')}: Đã thí điểm" in sent[0]["text"]
    await zh.say(ZALO_OFFICER, "1")  # send
    assert await _items(db) == [(None, Decimal("85.5"), None, None), (None, None, True, None),
                                ("in_progress", None, None, RESULT)]
    async with db.session() as s:
        commune = (await s.exec(select(Commune))).one()
        report = (await s.exec(select(Report))).one()
        assert zh.bot is not None
        data = await gather_export(s, commune, None, zh.now, zh.bot.services.tz)
    assert report.late is False
    _check_exports(build_xlsx(data), build_docx(data))

    sent = await zh.say(ZALO_MEMBER, "hỗ trợ 1e309 người kích hoạt VNeID", expect=2)
    assert sent[0]["text"] == exponent("1e309") and "310" not in sent[1]["text"]
    await zh.say(ZALO_MEMBER, "huy")
    async with db.session() as s:
        assert (await s.exec(select(func.count()).select_from(ActivityLog))).one() == 0


async def test_migration_gives_imported_indicators_their_answer_kind(db: Database) -> None:
    """Plans imported before revision 0006 get the same kinds the importer now stores."""
    from sqlalchemy import text

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0003_update_inbox")
        now = datetime(2026, 11, 1, tzinfo=UTC)
        await conn.execute(text("INSERT INTO commune (id, name, key, created_at) VALUES (1, 'Xã Cũ', 'xa cu', :t)"),
                           {"t": now})
        await conn.execute(text("INSERT INTO plan (id, commune_id, title, key, year, imported_at) "
                                "VALUES (1, 1, 'KH', 'kh', 2026, :t)"), {"t": now})
        for n, (op, unit) in enumerate(((">=", "%"), ("bool", None), ("text", None), ("text", "hộ"), ("text", " "))):
            await conn.execute(text("INSERT INTO indicator (plan_id, position, code, name, unit, target_text, target_op) "
                                    "VALUES (1, :n, :code, 'x', :unit, '', :op)"),
                               {"n": n, "code": str(n + 1), "unit": unit, "op": op})
    await db.upgrade()
    async with db.session() as s:
        kinds = {i.code: i.answer_kind for i in (await s.exec(select(Indicator))).all()}
    assert kinds == {"1": "number", "2": "choice", "3": "status", "4": "number", "5": "status"}


SEEDS = Path(__file__).resolve().parent / "data" / "seeds"  # the tests carry their own copies


@pytest.mark.parametrize(("prefix", "qualitative"), [
    ("004", {"N1.KQ2", "N5.KQ3", "N9.KQ1", "N9.KQ2", "N9.KQ3", "N11.KQ1", "N11.KQ2", "N11.KQ3"}),
    ("001", {"V.23", "VIII.1", "IX.6", "IX.7"}),
])
def test_seed_plans_qualitative_results(prefix: str, qualitative: set[str]) -> None:
    """The results the issue names are asked as a status and text; every other one as before."""
    from storage.models_plan import answer_kind_for

    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert found, f"seed {prefix} not found in {SEEDS}"
    plan = parse_plan_file(found[0])
    kinds = {i.code: answer_kind_for(i.target.op, i.unit) for i in plan.indicators}
    assert {code for code, kind in kinds.items() if kind == "status"} == qualitative
