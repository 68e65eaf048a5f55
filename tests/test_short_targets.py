"""Targets written as sentences are shown short ("≥ 5 sáng kiến", "> 90%"), the sentence kept in full."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from locales.i18n import use_locale
from locales.targets import short_target
from storage.db import Database
from storage.models import Commune
from storage.plan_import.model import ParsedIndicator, ParsedPlan
from storage.plan_import.phrases import parse_target
from storage.plan_store import save_plan
from tests.seed import add_person, make_org

SENTENCE = "Có ít nhất 5 sáng kiến được công nhận đánh giá hiệu quả áp dụng, khả năng nhân rộng"
HOUSEHOLDS = "Trên 90% hộ gia đình có đường truyền cáp quang băng rộng"


@pytest.mark.parametrize(("text", "short"), [
    (SENTENCE, "≥ 5 sáng kiến"),
    (HOUSEHOLDS, "> 90%"),
    ("100% thủ tục hành chính đủ điều kiện được cung cấp trực tuyến toàn trình", "100%"),
    ("Tối thiểu 85,5% hồ sơ được số hóa", "≥ 85,5%"),
    ("≥80", "≥80"),  # a short cell is shown as written
    ("Đạt", "Đạt"),
    ("Tổ chức hội nghị sơ kết việc thực hiện", "Tổ chức hội nghị sơ kết việc thực hiện"),  # nothing to measure
])
def test_short_target(text: str, short: str) -> None:
    t = parse_target(text)
    with use_locale("vi"):
        assert short_target(text, t.op, t.value, t.unit, t.boolean) == short


async def test_chat_shows_the_short_target_and_the_sentence(tg, db: Database) -> None:  # noqa: ANN001
    org = await make_org(db)
    unit = "Phòng Văn hóa - Xã hội"
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, ParsedPlan("Kế hoạch thử", 2026, indicators=[
            ParsedIndicator("1", None, "Sáng kiến về chuyển đổi số", "sáng kiến được công nhận đánh giá hiệu quả",
                            parse_target(SENTENCE, "sáng kiến được công nhận đánh giá hiệu quả"), [unit]),
            ParsedIndicator("2", None, "Hộ gia đình có cáp quang", "%", parse_target(HOUSEHOLDS, "%"), [unit]),
        ]), now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    await add_person(db, org["vhxh"], "Lê Văn Hòa", "officer", telegram_id=7201)
    await add_person(db, org["hcc"], "Trần Thị Lan", "lead", telegram_id=7202)
    sent = await tg.say(7201, "/baocao", expect=2)
    assert "(1/2)" in sent[1].text
    assert "≥ 5 sáng kiến" in sent[1].text and SENTENCE in sent[1].text  # short, and the sentence in full
    sent = await tg.say(7202, "/chitieu")
    assert ": — / ≥ 5 sáng kiến (" in sent[0].text and ": — / > 90% (" in sent[0].text
    assert SENTENCE not in sent[0].text
    assert Decimal(5) == parse_target(SENTENCE).value
