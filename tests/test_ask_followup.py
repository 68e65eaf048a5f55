"""A follow-up typed alone ("so với tháng trước", "còn tháng 12 thì sao?") asks the last question again with that
comparison or month, as the "Compared with the previous period" button does: its activity kinds, its commune,
its intent; for the province office and the commune lead, on Telegram and Zalo, SQLite and PostgreSQL. The last
question is kept an hour in the chat state, then a follow-up alone is read on its own."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from tests.ask_support import LEAD
from tests.harness import TelegramHarness
from tests.province_ask_support import PROV, Z_PROV, counts, join_on_telegram, join_on_zalo, seed_province
from tests.zalo_harness import ZaloHarness

VNEID = "Kích hoạt định danh điện tử (VNeID)"


async def test_province_follow_ups_typed_alone(tg: TelegramHarness, db: Database, db_url: str,
                                               monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_telegram(tg, db_url, monkeypatch, capsys)
    before = await counts(db)

    sent = await tg.say(PROV, "tổng số kích hoạt VNeID của tỉnh tháng 11")
    assert sent[0].text.splitlines()[1:] == [f"• {VNEID}: 19 (0)",
                                             "Theo xã: Tân Lập 8 (0), Thiện Tân 7 (0), Hòa Bình 4 (0)"]
    sent = await tg.say(PROV, "so với tháng trước")  # typed, not tapped: the same question, compared
    assert sent[0].text.splitlines() == [
        "Hoạt động của các Tổ công nghệ số cộng đồng, Tây Ninh, tháng 11/2026 (trong ngoặc là số liệu tháng 10/2026):",
        f"• {VNEID}: 19 (0, +19)", "Theo xã: Tân Lập 8 (0), Thiện Tân 7 (0), Hòa Bình 4 (0)"]
    sent = await tg.say(PROV, "còn tháng 12 thì sao?")  # another month, still VNeID compared
    assert sent[0].text.splitlines()[1:] == [f"• {VNEID}: 39 (19, +20)",
                                             "Theo xã: Tân Lập 20 (8), Thiện Tân 19 (7), Hòa Bình 0 (4)"]
    assert sent[0].text.startswith("Hoạt động của các Tổ công nghệ số cộng đồng, Tây Ninh, tháng 12/2026")

    sent = await tg.say(PROV, "xã Tân Lập được bao nhiêu VNeID tháng 12")  # one commune: its scope is kept
    assert sent[0].text.splitlines()[1:] == [f"• {VNEID}: 20 (8)"]
    sent = await tg.say(PROV, "so với tháng trước")
    assert sent[0].text.splitlines() == [
        "Hoạt động của các Tổ công nghệ số cộng đồng, Tân Lập, tháng 12/2026 (trong ngoặc là số liệu tháng 11/2026):",
        f"• {VNEID}: 20 (8, +12)"]

    await tg.say(PROV, "/huy")  # forgets the last question: "so với tháng trước" is then read alone
    sent = await tg.say(PROV, "so với tháng trước")
    lines = sent[0].text.splitlines()
    assert lines[0].startswith("Hoạt động của các Tổ công nghệ số cộng đồng, Tây Ninh, tháng 12/2026")
    assert f"• {VNEID}: 39 (19, +20)" in lines and "• Tuyên truyền: 0 (2, −2)" in lines  # every kind

    sent = await tg.say(PROV, "chỉ tiêu nào chậm tiến độ tháng 11")  # an answer without choices is kept too
    assert sent[0].text.startswith("Chỉ tiêu của Tây Ninh, tháng 11/2026: 2 chậm tiến độ")
    sent = await tg.say(PROV, "còn tháng 12?")
    assert sent[0].text.startswith("Chỉ tiêu của Tây Ninh, tháng 12/2026: 2 chậm tiến độ")
    assert "• Tân Lập: 1 / 0 / 1 / 0 — 1. Tỷ lệ hồ sơ trực tuyến toàn trình" in sent[0].text.splitlines()

    tg.now += timedelta(hours=2)  # an hour later the old question is forgotten: read alone, province-wide
    sent = await tg.say(PROV, "so với tháng trước")
    lines = sent[0].text.splitlines()
    assert lines[0].startswith("Hoạt động của các Tổ công nghệ số cộng đồng, Tây Ninh, tháng 12/2026")
    assert f"• {VNEID}: 39 (19, +20)" in lines and "• Tuyên truyền: 0 (2, −2)" in lines  # every kind
    assert await counts(db) == before


async def test_commune_lead_follow_ups_typed_alone(tg: TelegramHarness, db: Database) -> None:
    await seed_province(db)  # Thiện Tân's lead office
    sent = await tg.say(LEAD, "thôn Nà Pài được bao nhiêu VNeID tháng 12")
    assert sent[0].text.splitlines() == ["Hoạt động của Thôn Nà Pài, tháng 12/2026:", f"• {VNEID}: 12"]
    sent = await tg.say(LEAD, "so với tháng trước")
    assert sent[0].text.splitlines() == ["Hoạt động của Thôn Nà Pài, tháng 12/2026:", f"• {VNEID}: 12 (kỳ so sánh: 5)"]
    sent = await tg.say(LEAD, "còn tháng 11?")
    assert sent[0].text.splitlines() == ["Hoạt động của Thôn Nà Pài, tháng 11/2026:", f"• {VNEID}: 5 (kỳ so sánh: 0)"]
    sent = await tg.say(LEAD, "thôn nào chưa báo cáo")
    assert sent[0].text.startswith("Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 12/2026 (1/4): Thôn Khuổi Luông")
    sent = await tg.say(LEAD, "còn tháng 11 thì sao")
    assert sent[0].text.startswith("Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 11/2026 (1/4): Thôn Bản Chang")


async def test_province_follow_up_on_zalo(zh: ZaloHarness, db: Database, db_url: str,
                                          monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_zalo(zh, db, db_url, monkeypatch, capsys)
    sent = await zh.say(Z_PROV, "xa tan lap duoc bao nhieu vneid thang 12")
    assert f"• {VNEID}: 20 (8)" in sent[-1]["text"].splitlines()
    sent = await zh.say(Z_PROV, "so voi thang truoc")
    assert f"• {VNEID}: 20 (8, +12)" in sent[-1]["text"].splitlines()
    assert "Tân Lập, tháng 12/2026" in sent[-1]["text"]
