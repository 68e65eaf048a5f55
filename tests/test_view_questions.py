"""A question typed at a read-only view (/tinhtrang's menu, the province's commune list) is answered as the bare
question is, the view closing quietly; what the view can read as one of its choices (a number, a label, a
commune's name) still picks it, gibberish is asked again, and a report being entered keeps its answers and its
question. Telegram and Zalo, SQLite and PostgreSQL (handlers.engine: a view hands over words it cannot read)."""

from __future__ import annotations

from sqlmodel import select

from storage.db import Database
from storage.models import Person
from tests.ask_support import LEAD, OFFICER, seed_commune
from tests.harness import TelegramHarness
from tests.province_ask_support import PROV, Z_PROV, join_on_telegram, join_on_zalo, seed_province
from tests.zalo_harness import ZaloHarness, add_zalo_identity

NOT_REPORTED = ["Các đơn vị chưa báo cáo tháng 12/2026 (2/4): Phòng Văn hóa - Xã hội, Văn phòng HĐND và UBND",
                "Các Tổ công nghệ số cộng đồng chưa báo cáo tháng 12/2026 (1/4): Thôn Khuổi Luông"]
SLOW = ["Chỉ tiêu chậm tiến độ, tháng 12/2026 (1):",
        "🔴 4. Tỷ lệ người dân có tài khoản định danh điện tử: 60% / ≥90% (chậm tiến độ)"]
STATUS = "Tình hình báo cáo tháng 12/2026 (đơn vị nộp trước ngày 20/12/2026):"
PICK = "Bạn vui lòng chọn một mục bên dưới (gõ số thứ tự)."


async def test_lead_asks_at_the_status_menu(tg: TelegramHarness, db: Database) -> None:
    await seed_commune(db)
    bare = (await tg.say(LEAD, "ai chưa báo cáo"))[0]
    assert bare.text.splitlines() == NOT_REPORTED

    assert (await tg.say(LEAD, "/tinhtrang"))[0].text.startswith(STATUS)
    sent = await tg.say(LEAD, "ai chưa báo cáo")  # typed at the menu: the same answer, no menu again
    assert len(sent) == 1 and sent[0].text == bare.text and sent[0].callback_data == bare.callback_data

    await tg.say(LEAD, "/tinhtrang")
    sent = await tg.say(LEAD, "chỉ tiêu nào chậm")
    assert len(sent) == 1 and sent[0].text.splitlines() == SLOW

    await tg.say(LEAD, "/tinhtrang")  # words no reader understands: the view asks again, politely
    sent = await tg.say(LEAD, "asdf qwer")
    assert sent[0].text.startswith(PICK + "\n\n" + STATUS), sent[0].text
    assert sent[0].callback_data == ["units", "villages", "by_village", "close"]
    sent = await tg.say(LEAD, "2")  # and a number is still its choice
    assert sent[0].text.splitlines() == ["Chưa báo cáo (1):", "• Thôn Khuổi Luông"]

    await tg.say(LEAD, "/tinhtrang")
    sent = await tg.say(LEAD, "đơn vị chưa báo cáo")  # a choice's label typed: the view's own answer
    assert sent[0].text.splitlines()[:3] == ["Chưa báo cáo (2):", "• Phòng Văn hóa - Xã hội",
                                             "• Văn phòng HĐND và UBND"]


async def test_lead_asks_at_the_status_menu_on_zalo(zh: ZaloHarness, db: Database) -> None:
    await seed_commune(db)
    async with db.session() as s:
        lead = (await s.exec(select(Person).where(Person.name == "Trần Thị Lan"))).one()
    await add_zalo_identity(db, lead.id, "z-lead")  # type: ignore[arg-type]
    sent = await zh.say("z-lead", "/tinhtrang")
    assert sent[-1]["text"].startswith(STATUS) and "\n1. Đơn vị chưa báo cáo\n" in sent[-1]["text"]
    sent = await zh.say("z-lead", "ai chưa báo cáo tháng này?")  # typed, as on Zalo everything is
    assert sent[-1]["text"].splitlines()[:2] == NOT_REPORTED
    sent = await zh.say("z-lead", "2")  # the view closed: "2" is the answer's own first choice now
    assert STATUS not in sent[-1]["text"]

    await zh.say("z-lead", "/tinhtrang")
    sent = await zh.say("z-lead", "chi tieu nao cham")  # without diacritics
    assert sent[-1]["text"].splitlines()[:2] == SLOW
    await zh.say("z-lead", "/tinhtrang")
    sent = await zh.say("z-lead", "xyz")
    assert sent[-1]["text"].startswith(PICK + "\n\n" + STATUS)
    sent = await zh.say("z-lead", "2")
    assert sent[-1]["text"].splitlines() == ["Chưa báo cáo (1):", "• Thôn Khuổi Luông"]


HOA_BINH_ASKED = "xã Hòa Bình đã báo cáo chưa"  # "… chưa": a question by its tail only


async def test_province_picks_a_commune_by_name_then_asks(tg: TelegramHarness, db: Database, db_url: str,
                                                          monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_telegram(tg, db_url, monkeypatch, capsys)
    bare = (await tg.say(PROV, HOA_BINH_ASKED))[0]
    assert bare.text.splitlines()[:3] == [
        "Xã Hòa Bình", STATUS,
        "Báo cáo của các đơn vị: 1/1 đã báo cáo — 1 đúng hạn, 0 trễ hạn, 0 bị trả lại, 0 chưa báo cáo"]

    sent = await tg.say(PROV, "/tinhtrang")
    assert "2. 🔴 Đỏ Tân Lập: đơn vị 0/1, tổ công nghệ số 2/2, nhiệm vụ quá hạn 1" in sent[0].text.splitlines()
    sent = await tg.say(PROV, "tan lap")  # the commune typed by name: the list's own pick
    assert sent[0].text.splitlines()[:3] == [
        "Xã Tân Lập", STATUS,
        "Báo cáo của các đơn vị: 0/1 đã báo cáo — 0 đúng hạn, 0 trễ hạn, 0 bị trả lại, 1 chưa báo cáo"]
    sent = await tg.say(PROV, HOA_BINH_ASKED)  # at Tân Lập's view: answered as the bare question
    assert len(sent) == 1 and sent[0].text == bare.text
    sent = await tg.say(PROV, "zzz qqq")  # gibberish at Hòa Bình's view: asked again
    assert sent[0].text.startswith(PICK + "\n\nXã Hòa Bình\n" + STATUS)
    sent = await tg.say(PROV, "1")
    assert sent[0].text.splitlines() == ["Chưa báo cáo (0):", "không có — tất cả đã báo cáo."]


async def test_province_asks_at_the_list_on_zalo(zh: ZaloHarness, db: Database, db_url: str,
                                                 monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_zalo(zh, db, db_url, monkeypatch, capsys)
    await zh.say(Z_PROV, "/tinhtrang")
    sent = await zh.say(Z_PROV, "xã Tân Lập")
    assert sent[-1]["text"].startswith("Xã Tân Lập\n" + STATUS)
    sent = await zh.say(Z_PROV, "xa hoa binh da bao cao chua")
    assert sent[-1]["text"].startswith("Xã Hòa Bình\n" + STATUS)
    assert "Báo cáo của các đơn vị: 1/1 đã báo cáo" in sent[-1]["text"]


async def test_officer_mid_report_keeps_the_report(tg: TelegramHarness, db: Database) -> None:
    """A report is collecting data: a question typed at its question is refused as before (the question asked
    again), nothing entered is lost, and the report goes on where it was."""
    await seed_commune(db)
    await tg.say(OFFICER, "/baocao", expect=2)
    await tg.say(OFFICER, "2")  # task 1: in progress
    percent = "(2/3) Chỉ tiêu 1. Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\nChỉ tiêu: ≥80%\n" \
              "Kết quả hiện tại, tính theo % (từ 0 đến 100)?"
    for asked in ("ai chưa báo cáo", "đơn vị mình còn phải nộp gì?"):
        sent = await tg.say(OFFICER, asked)
        assert sent[0].text == f"“{asked}” không phải là số. Bạn vui lòng nhập số, ví dụ 12 hoặc 8,5.\n\n{percent}"
    await tg.say(OFFICER, "85")
    sent = await tg.say(OFFICER, "chỉ tiêu nào chậm?")  # at a yes/no question: asked again too
    assert sent[0].text.endswith("(3/3) Chỉ tiêu 2. Bộ phận một cửa hoạt động trên môi trường số\nChỉ tiêu: Đạt\n"
                                 "Kỳ này có đạt không?") and sent[0].callback_data == ["yes", "no"]
    for answer in ("1", "không"):
        await tg.say(OFFICER, answer)
    sent = await tg.say(OFFICER, "không")
    assert sent[0].text.splitlines() == [
        "Tóm tắt báo cáo của Trung tâm Phục vụ hành chính công:",
        "• Nhiệm vụ 1. Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính: Đang thực hiện",
        "• Chỉ tiêu 1. Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến: 85%",
        "• Chỉ tiêu 2. Bộ phận một cửa hoạt động trên môi trường số: Đạt",
        "Khó khăn, vướng mắc: không có", "Kiến nghị, đề xuất: không có"]
