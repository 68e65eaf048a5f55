"""The province office names a village team or an office (issue #19): answered for that unit when it is one of
the province's (its report for the month, a village's activities), asked back when several communes have it,
a polite word otherwise; never a figure or a name of another province. Through the fake Telegram and Zalo
servers, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from storage.db import Database
from tests.harness import TelegramHarness
from tests.province_ask_support import (
    HCC,
    HUU_KIEN,
    PROV,
    Z_PROV,
    ask,
    counts,
    join_on_telegram,
    join_on_zalo,
    seed_province,
)
from tests.zalo_harness import ZaloHarness

NOT_FOUND = ("Tôi không tìm thấy thôn hay cơ quan, đơn vị nào có tên như vậy trong các xã của tỉnh. Câu hỏi về một "
             "đơn vị được trả lời qua xã của đơn vị đó: hãy hỏi về xã, ví dụ \"xã {commune} thế nào\", rồi mở danh "
             "sách đơn vị của xã.")


async def test_province_office_asks_about_one_unit_on_telegram(tg: TelegramHarness, db: Database, db_url: str,
                                                                monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_telegram(tg, db_url, monkeypatch, capsys)
    before = await counts(db)

    sent = await tg.say(PROV, "thôn Bản Phố đã báo cáo chưa?")  # a village of Tân Lập: its log of 2/12
    assert sent[0].text == "Thôn Bản Phố, xã Tân Lập đã báo cáo tháng 12/2026, đúng hạn."
    assert [b for row in sent[0].buttons for b in row] == ["Tình hình xã Tân Lập", "Hoạt động của Thôn Bản Phố"]
    sent = await tg.tap(PROV, "1")
    assert sent[0].text.splitlines() == [
        "Hoạt động của Thôn Bản Phố, xã Tân Lập, tháng 12/2026 (trong ngoặc là tháng 11/2026):",
        "• Kích hoạt định danh điện tử (VNeID): 20 (8)"]
    sent = await tg.tap(PROV, "0")  # and on into its commune
    assert sent[0].text.startswith("Xã Tân Lập") and "0/1 đã báo cáo" in sent[0].text
    await tg.say(PROV, "/huy")

    sent = await ask(tg, PROV, "thôn Nà Ngầm được bao nhiêu hộ")
    assert sent[0].text.splitlines() == [
        "Hoạt động của Thôn Nà Ngầm, xã Tân Lập, tháng 12/2026 (trong ngoặc là tháng 11/2026):",
        "• Hộ gia đình được đến hỗ trợ: 15 (0)"]

    sent = await ask(tg, PROV, "phòng văn hóa xã Thiện Tân đã báo cáo chưa")  # the office's name begun
    assert sent[0].text == "Phòng Văn hóa - Xã hội, xã Thiện Tân chưa báo cáo tháng 12/2026 (chưa đến hạn)."

    sent = await tg.say(PROV, "Trung tâm Phục vụ hành chính công đã báo cáo chưa")  # in every commune: which one?
    assert sent[0].text.startswith("Có nhiều đơn vị trong tỉnh khớp với câu hỏi: ")
    assert [b for row in sent[0].buttons for b in row] == [f"{HCC}, xã {c}" for c in ("Hòa Bình", "Tân Lập", "Thiện Tân")]
    assert HUU_KIEN not in sent[0].text
    sent = await tg.tap(PROV, "1")
    assert sent[0].text == f"{HCC}, xã Tân Lập chưa báo cáo tháng 12/2026 (chưa đến hạn)."
    await tg.say(PROV, "/huy")
    sent = await ask(tg, PROV, "trung tâm phục vụ hành chính công xã Hòa Bình nộp chưa")
    assert sent[0].text == f"{HCC}, xã Hòa Bình đã báo cáo tháng 12/2026, đúng hạn."

    # a village of another province, an office a commune does not have: a polite word, nothing of theirs
    for asked, commune in (("thôn Khau Ràng được bao nhiêu VNeID tháng này?", "Hòa Bình"),
                           ("phòng Văn hóa xã Hòa Bình đã báo cáo chưa", "Hòa Bình")):
        sent = await ask(tg, PROV, asked)
        assert sent[0].text == NOT_FOUND.format(commune=commune), asked
        assert "99" not in sent[0].text and HUU_KIEN not in sent[0].text
    sent = await ask(tg, PROV, "thôn Khau Ràng xã Hữu Kiên đã báo cáo chưa")  # its commune named: outside
    assert "Hữu Kiên không thuộc Tây Ninh" in sent[0].text
    sent = await tg.say(PROV, "thôn nào chưa báo cáo?")  # no unit named: the communes, as before
    assert sent[0].text.splitlines()[:2] == ["Các xã chưa báo cáo đủ tháng 12/2026 (1/3):",
                                             "• Thiện Tân: đơn vị 1/4, tổ công nghệ số 3/4"]
    assert await counts(db) == before


async def test_province_office_asks_about_one_unit_on_zalo(zh: ZaloHarness, db: Database, db_url: str,
                                                           monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_zalo(zh, db, db_url, monkeypatch, capsys)
    sent = await ask(zh, Z_PROV, "thon ban pho da bao cao chua")
    assert sent[-1]["text"].startswith("Thôn Bản Phố, xã Tân Lập đã báo cáo tháng 12/2026, đúng hạn.")
    sent = await zh.say(Z_PROV, "thon khau rang duoc bao nhieu vneid")
    assert sent[-1]["text"].startswith(NOT_FOUND.format(commune="Hòa Bình")) and "99" not in sent[-1]["text"]


async def test_an_office_every_commune_has_in_a_large_province(db: Database) -> None:
    """Six communes with the same office: four offered by name, the rest counted; naming the commune answers."""
    from bot.cli.ask import ask_once
    from storage.province import set_commune_province
    from storage.units import get_or_create_commune, get_or_create_unit
    from tests.ask_support import NOW
    from tests.province_ask_support import PROVINCE

    await seed_province(db)
    for n in range(3):
        async with db.transaction() as s:
            c = await get_or_create_commune(s, f"Vĩnh An {n}")
            await get_or_create_unit(s, c, HCC, "office")
            await set_commune_province(s, c, PROVINCE)
    out = await ask_once(db, None, "province", "trung tâm phục vụ hành chính công đã báo cáo chưa", now=NOW,
                         province=PROVINCE)
    assert out["intent"] == "p_unit" and out["answer"].endswith("và 2 nơi khác. Ý bạn là đơn vị nào?")
    assert out["choices"] == [f"{HCC}, xã {c}" for c in ("Hòa Bình", "Tân Lập", "Thiện Tân", "Vĩnh An 0")]
    out = await ask_once(db, None, "province", "trung tâm phục vụ hành chính công xã Vĩnh An 2 đã báo cáo chưa", now=NOW,
                         province=PROVINCE)
    assert out["answer"] == f"{HCC}, xã Vĩnh An 2 không phải báo cáo tháng 12/2026."


async def _offices_named_with_their_commune(db: Database) -> None:
    """Two more offices of Thiện Tân as the plans name them ("UBND xã", "Trạm Y tế xã", each chairing a task of a
    second plan: an office chairing nothing owes no report): the health station reported December on the 6th,
    the committee not yet."""
    from datetime import UTC, datetime

    from storage.models import Commune
    from storage.plan_import.model import ParsedPlan, ParsedTask
    from storage.plan_store import save_plan
    from storage.units import get_or_create_unit
    from tests.ask_support import COMMUNE, _report
    from tests.seed import add_person

    async with db.transaction() as s:
        c = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
        ubnd = (await get_or_create_unit(s, c, "UBND xã", "office"))[0].id
        health = (await get_or_create_unit(s, c, "Trạm Y tế xã", "office"))[0].id
        await save_plan(s, c, ParsedPlan(title="Kế hoạch y tế số", year=2026, sections=["I"], tasks=[
            ParsedTask("1", "I", "Hồ sơ sức khỏe điện tử", ["Trạm Y tế xã"], []),
            ParsedTask("2", "I", "Chỉ đạo chuyển đổi số", ["UBND xã"], [])]), now=datetime(2026, 12, 1, tzinfo=UTC))
        await _report(s, c, health, "2026-12", datetime(2026, 12, 6, 3, tzinfo=UTC))  # type: ignore[arg-type]
    await add_person(db, ubnd, "Lý Văn Ủy", "officer")  # type: ignore[arg-type]
    await add_person(db, health, "Nông Thị Y", "officer")  # type: ignore[arg-type]


async def test_an_office_named_with_xa_and_its_commune(tg: TelegramHarness, db: Database, db_url: str,
                                                       monkeypatch, capsys) -> None:  # noqa: ANN001
    """"công an xã Thiện Tân" is the police office of Thiện Tân ("xã" is part of its name), "xã Thiện Tân"
    alone the commune; the commune's own lead still reads "công an xã" as its police office."""
    from tests.ask_support import LEAD

    await seed_province(db)
    await _offices_named_with_their_commune(db)
    await join_on_telegram(tg, db_url, monkeypatch, capsys)
    before = await counts(db)

    for asked, answer in (
            ("công an xã Thiện Tân đã báo cáo chưa?",  # returned on 5/12 for more ID figures
             "Công an xã, xã Thiện Tân: báo cáo tháng 12/2026 đã bị trả lại, chưa nộp lại."),
            ("cong an xa thien tan thang 11 nop chua", "Công an xã, xã Thiện Tân đã báo cáo tháng 11/2026, trễ hạn."),
            ("UBND xã Thiện Tân đã báo cáo chưa", "UBND xã, xã Thiện Tân chưa báo cáo tháng 12/2026 (chưa đến hạn)."),
            ("Văn phòng HĐND và UBND xã Thiện Tân đã báo cáo chưa",
             "Văn phòng HĐND và UBND, xã Thiện Tân chưa báo cáo tháng 12/2026 (chưa đến hạn)."),
            ("trạm y tế xã Thiện Tân nộp báo cáo chưa",
             "Trạm Y tế xã, xã Thiện Tân đã báo cáo tháng 12/2026, đúng hạn."),
            ("thôn Nà Pài xã Thiện Tân đã báo cáo chưa",
             "Thôn Nà Pài, xã Thiện Tân đã báo cáo tháng 12/2026, đúng hạn."),
            ("công an xã Hòa Bình đã báo cáo chưa", NOT_FOUND.format(commune="Hòa Bình"))):  # Hòa Bình has none
        sent = await ask(tg, PROV, asked)
        assert sent[0].text == answer, asked
    sent = await ask(tg, PROV, "xã Thiện Tân thế nào")  # the commune itself: 2 of its 6 offices in
    assert sent[0].text.startswith("Xã Thiện Tân") and "Báo cáo của các đơn vị: 2/6 đã báo cáo" in sent[0].text
    sent = await tg.say(PROV, "UBND xã Hòa Bình đã báo cáo chưa")  # no such office there: the commune itself
    assert sent[0].text.startswith("Xã Hòa Bình") and "1/1 đã báo cáo" in sent[0].text
    assert await counts(db) == before

    sent = await tg.say(LEAD, "công an xã đã báo cáo chưa")  # the commune's own lead: its police office
    assert sent[0].text == "Công an xã: báo cáo tháng 12/2026 đã bị trả lại, chưa nộp lại."


async def test_an_office_named_with_xa_and_its_commune_on_zalo(zh: ZaloHarness, db: Database, db_url: str,
                                                               monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await _offices_named_with_their_commune(db)
    await join_on_zalo(zh, db, db_url, monkeypatch, capsys)
    sent = await ask(zh, Z_PROV, "cong an xa thien tan da bao cao chua")
    assert sent[-1]["text"].startswith("Công an xã, xã Thiện Tân: báo cáo tháng 12/2026 đã bị trả lại, chưa nộp lại.")
    sent = await zh.say(Z_PROV, "tram y te xa thien tan nop chua")
    assert sent[-1]["text"].startswith("Trạm Y tế xã, xã Thiện Tân đã báo cáo tháng 12/2026, đúng hạn.")
