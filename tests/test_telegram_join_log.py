"""Full conversations through the fake Telegram server: joining, activity logs, cancel, restart, dedupe."""

from __future__ import annotations

from sqlmodel import select

from storage.blobs import BlobStore
from storage.db import Database
from storage.models import ActivityLog, Attachment, Identity, Invite, Person
from tests.harness import TelegramHarness, texts
from tests.seed import add_person, invite, make_org

MEMBER = 5001


async def test_unregistered_person_is_told_how_to_join(tg: TelegramHarness) -> None:
    sent = await tg.say(MEMBER, "xin chào")
    assert "mã mời" in sent[0].text
    assert sent[0].reply_markup["keyboard"][0][0]["request_contact"] is True
    sent = await tg.say(MEMBER, "/baocao")
    assert "mã mời" in sent[0].text


async def test_join_with_deep_link_then_log_and_confirm(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    code = await invite(db, org["napai"], "member")
    sent = await tg.say(MEMBER, f"/start {code}", first_name="Lò Văn Minh")
    assert "Thôn Nà Pài" in sent[0].text and "họ và tên" in sent[0].text
    sent = await tg.tap(MEMBER, "Lò Văn Minh")
    assert "Đồng ý" in sent[0].buttons[0]
    sent = await tg.tap(MEMBER, "yes", expect=2)
    assert "Chào mừng Lò Văn Minh" in sent[0].text
    assert "/ghinhan" in sent[1].text

    sent = await tg.say(MEMBER, "Hôm nay hỗ trợ 12 người kích hoạt VNeID mức 2, 3 hồ sơ DVC trực tuyến, "
                                "đến 20 hộ ở thôn Nà Pài")
    body = sent[0].text
    assert "12" in body and "3" in body and "20" in body and "Xác nhận" in sent[0].buttons[0]
    sent = await tg.tap(MEMBER, "ok")
    assert "Đã lưu" in sent[0].text
    async with db.session() as s:
        logs = {(r.activity, r.count) for r in (await s.exec(select(ActivityLog))).all()}
        inv = await s.get(Invite, code)
        person = (await s.exec(select(Person).where(Person.name == "Lò Văn Minh"))).one()
    assert logs == {("vneid", 12), ("dvc", 3), ("households", 20)}
    assert inv is not None and inv.uses_left == 0
    assert person.consent_at is not None and person.role == "member"

    # The code is used up now.
    sent = await tg.say(MEMBER + 1, f"/start {code}")
    assert "đã được sử dụng" in sent[0].text


async def test_declining_consent_stores_nothing(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    code = await invite(db, org["napai"], "member")
    await tg.say(MEMBER, code)  # a typed code works like the deep link
    await tg.say(MEMBER, "Nguyễn Thị Hoa")
    sent = await tg.tap(MEMBER, "no")
    assert "Không có thông tin nào" in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(Person))).all() == []
        assert (await s.exec(select(Identity))).all() == []


async def test_unparseable_log_goes_to_guided_flow_with_bad_input(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    sent = await tg.say(MEMBER, "đi họp thôn", expect=2)
    assert "từng bước" in sent[0].text
    assert any("VNeID" in b for row in sent[1].buttons for b in row)
    await tg.say(MEMBER, "1")  # typed number picks the first activity type (vneid)
    sent = await tg.say(MEMBER, "nhiều lắm")  # not a number
    assert "số" in sent[0].text and "Bao nhiêu" in sent[0].text
    sent = await tg.say(MEMBER, "-4")
    assert "âm" in sent[0].text
    sent = await tg.say(MEMBER, "mười hai")
    assert "Còn hoạt động nào" in sent[0].text
    sent = await tg.tap(MEMBER, "done")
    assert "12" in sent[0].text
    await tg.tap(MEMBER, "ok")
    async with db.session() as s:
        rows = (await s.exec(select(ActivityLog))).all()
    assert [(r.activity, r.count) for r in rows] == [("vneid", 12)]


async def test_cancel_discards_and_says_what(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    await tg.say(MEMBER, "hỗ trợ 5 người cài VNeID")
    sent = await tg.say(MEMBER, "/huy")
    assert "Đã hủy" in sent[0].text and "nhật ký" in sent[0].text
    sent = await tg.say(MEMBER, "hủy")
    assert "Không có gì để hủy" in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(ActivityLog))).all() == []


async def test_resume_after_restart_and_duplicate_update(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    await tg.say(MEMBER, "hỗ trợ 7 người cài VNeID")
    await tg.restart()
    sent = await tg.tap(MEMBER, "ok")
    assert "Đã lưu" in sent[0].text
    # Telegram redelivers the same update (same update_id): nothing is counted twice.
    update = tg.fake.message(MEMBER, "hỗ trợ 2 người cài VNeID")
    update["update_id"] = 999
    await tg.bot.dispatcher.handle(_incoming(tg, update), tg.bot.channels[0].caps)
    again = await tg.bot.dispatcher.handle(_incoming(tg, update), tg.bot.channels[0].caps)
    assert again == []
    async with db.session() as s:
        rows = (await s.exec(select(ActivityLog))).all()
    assert [(r.activity, r.count) for r in rows] == [("vneid", 7)]


async def test_photo_is_kept_as_evidence(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    tg.fake.add_file("photo-1", b"\xff\xd8\xff jpeg one")  # downloadable with getFile, as on Telegram
    tg.fake.add_file("photo-2", b"\xff\xd8\xff jpeg two")
    sent = await tg.send(tg.fake.photo(MEMBER, "photo-1", caption="hướng dẫn 4 hộ mở tài khoản ngân hàng"))
    assert "Xác nhận" in sent[0].buttons[0]
    await tg.tap(MEMBER, "ok")
    sent = await tg.send(tg.fake.photo(MEMBER, "photo-2"))
    assert "minh chứng" in sent[0].text
    async with db.session() as s:
        files = sorted((a.file_ref, a.kind, a.activity_log_id, a.file_key)
                       for a in (await s.exec(select(Attachment))).all())
        logs = (await s.exec(select(ActivityLog))).all()
    assert [(r.activity, r.count) for r in logs] == [("payment", 4)]
    assert [f[:3] for f in files] == [("photo-1", "photo", logs[0].id), ("photo-2", "photo", logs[0].id)]
    store = BlobStore(tg.files_dir)
    assert [store.read(f[3]) for f in files] == [b"\xff\xd8\xff jpeg one", b"\xff\xd8\xff jpeg two"]


async def test_group_chat_and_edits_are_declined(tg: TelegramHarness) -> None:
    sent = await tg.send(tg.fake.group_message(MEMBER, "hỗ trợ 5 người"))
    assert "riêng" in sent[0].text
    print(texts(sent))


def _incoming(tg: TelegramHarness, update: dict):  # noqa: ANN202
    from telegram import Update

    from bot.channels.telegram.convert import to_incoming

    inc = to_incoming(Update.de_json(update, tg.bot.channels[0].app.bot))
    assert inc is not None
    return inc


def test_every_flow_is_registered_before_the_first_update() -> None:
    """A fresh process must resume any saved flow: all flows are known once the dispatcher exists."""
    import subprocess
    import sys

    code = ("from handlers.dispatch import Dispatcher; from handlers.services import Services; "
            "from handlers import engine; Dispatcher(Services(db=None)); print(sorted(engine.registry))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(sorted(["announce", "ask", "ask_next", "assign", "invite", "join", "language", "log",
                                      "mylogs", "province_status", "province_status_again", "report",
                                      "report_period", "review", "schedule", "status", "status_again"]))


async def test_join_by_sharing_own_contact(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Vi Thị Mai", "member", phone="0912345678")
    sent = await tg.send(tg.fake.contact(MEMBER, "+84912345678", contact_user_id=MEMBER + 7))
    assert "của chính bạn" in sent[0].text or "chính" in sent[0].text  # someone else's contact is refused
    sent = await tg.send(tg.fake.contact(MEMBER, "+84 999 999 999", contact_user_id=MEMBER))
    assert "danh sách" in sent[0].text  # not on the commune's list
    sent = await tg.send(tg.fake.contact(MEMBER, "+84912345678", contact_user_id=MEMBER))
    assert sent[0].callback_data == ["yes", "no"]  # consent first
    await tg.tap(MEMBER, "yes", expect=2)
    async with db.session() as s:
        ident = (await s.exec(select(Identity))).one()
        person = await s.get(Person, ident.person_id)
    assert person is not None and person.name == "Vi Thị Mai" and ident.external_id == str(MEMBER)


async def test_idle_conversation_expires_after_a_day(tg: TelegramHarness, db: Database) -> None:
    from datetime import timedelta

    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    await tg.say(MEMBER, "hỗ trợ 5 người cài VNeID")
    tg.now += timedelta(hours=25)
    sent = await tg.say(MEMBER, "1", expect=3)  # the old question is gone: "1" is read afresh
    assert "24" in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(ActivityLog))).all() == []


async def test_language_switch_and_help_by_role(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=MEMBER + 1)
    sent = await tg.say(MEMBER, "/trogiup")
    assert "/ghinhan" in sent[0].text and "/tinhtrang" not in sent[0].text and "/baocao" not in sent[0].text
    sent = await tg.say(MEMBER + 1, "trợ giúp")
    assert "/tinhtrang" in sent[0].text and "/baocao" in sent[0].text and "/xuat" in sent[0].text
    sent = await tg.say(MEMBER, "/ngonngu")
    assert sent[0].callback_data == ["vi", "en"]
    sent = await tg.tap(MEMBER, "en")
    assert sent[0].text == "From now on I will speak English with you."
    sent = await tg.say(MEMBER, "/help")
    assert sent[0].text.startswith("Here is what you can do:")
    sent = await tg.say(MEMBER, "/language vi")
    assert "tiếng Việt" in sent[0].text


async def test_every_button_tap_is_answered(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    question = (await tg.say(MEMBER, "hỗ trợ 5 người cài VNeID"))[0]
    sent = await tg.tap(MEMBER, "ok")
    assert "Đã lưu" in sent[0].text
    await tg.send(tg.fake.callback(MEMBER, "ok", message_id=question.message_id))  # stale, answered too
    assert len(tg.fake.callback_answers) == 2
    assert all(a["callback_query_id"] for a in tg.fake.callback_answers)
