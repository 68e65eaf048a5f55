"""Full conversations through the fake Zalo Bot API: typed choices, reports, dedupe, faults and the webhook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import func, select

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.parse import parse_update, to_incoming
from handlers.messages import FileOut, Outgoing
from storage.db import Database
from storage.errors import ConfigError
from storage.models import (
    ActivityLog,
    Attachment,
    Identity,
    Invite,
    Person,
    ProcessedUpdate,
    Report,
    ReportItem,
)
from tests.fakes.zalo_api import (
    HTML_502,
    FakeZaloApi,
    image_update,
    post_webhook,
    sticker_update,
    text_update,
    unsupported_update,
)
from tests.seed import add_person, invite, make_org
from tests.test_telegram_report import _plan
from tests.zalo_harness import TOKEN, WEBHOOK_SECRET, WEBHOOK_URL, ZaloHarness, add_zalo_identity, vi

USER = "6ede9afa66b88fe6d6a9"
OTHER = "0a1b2c3d4e5f60718293"



async def _member(db: Database, user: str = USER, unit: str = "napai", role: str = "member") -> int:
    org = await make_org(db)
    pid = await add_person(db, org[unit], "Hà Văn Tùng", role)
    await add_zalo_identity(db, pid, user)
    return pid


async def _count(db: Database, model: Any) -> int:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


# -- joining and logging -------------------------------------------------------------------------


async def test_join_with_typed_code_and_typed_answers(zh: ZaloHarness, db: Database) -> None:
    org = await make_org(db)
    code = await invite(db, org["napai"], "member")
    sent = await zh.say(USER, "xin chào")
    assert "\n1. " not in sent[0]["text"]  # no choices: just how to join
    sent = await zh.say(USER, code.lower(), display_name="Minh Zalo")
    prompt = vi(
        "This code lets you join {unit} as {role}. What is your full name?",
        unit="Thôn Nà Pài",
        role=vi("village team member"),
    )
    assert sent[0]["text"].startswith(prompt)
    assert "\n1. Minh Zalo\n" in sent[0]["text"] and vi("(type the number or the words of your choice)") in sent[0]["text"]
    sent = await zh.say(USER, "Lò Văn Minh", display_name="Minh Zalo")
    assert f"1. {vi('I agree')}" in sent[0]["text"] and f"2. {vi('I do not agree')}" in sent[0]["text"]
    sent = await zh.say(USER, "dong y", expect=2, display_name="Minh Zalo")  # label without diacritics
    assert sent[0]["text"] == vi(
        "Welcome, {name}! You are now registered with {unit}.", name="Lò Văn Minh", unit="Thôn Nà Pài"
    )
    assert all(m["chat_id"] == USER for m in sent)
    async with db.session() as s:
        person = (await s.exec(select(Person))).one()
        ident = (await s.exec(select(Identity))).one()
        inv = await s.get(Invite, code)
    assert person.name == "Lò Văn Minh" and person.role == "member" and person.consent_at is not None
    assert (ident.channel, ident.external_id, ident.chat_id) == ("zalo", USER, USER)
    assert ident.display_name == "Minh Zalo"
    assert person.last_channel == "zalo" and inv is not None and inv.uses_left == 0


async def test_pick_display_name_by_number_and_decline(zh: ZaloHarness, db: Database) -> None:
    org = await make_org(db)
    code = await invite(db, org["napai"], "member")
    await zh.say(USER, code, display_name="Nguyễn Thị Hoa")
    await zh.say(USER, "1")  # the offered display name
    sent = await zh.say(USER, "2")
    assert sent[0]["text"] == vi(
        "Understood. Nothing about you was stored. You can join later with the same code."
    )
    assert await _count(db, Person) == 0 and await _count(db, Identity) == 0


async def test_village_log_confirmed_by_typed_number(zh: ZaloHarness, db: Database) -> None:
    await _member(db)
    sent = await zh.say(USER, "Hôm nay hỗ trợ 12 người kích hoạt VNeID mức 2, 3 hồ sơ DVC trực tuyến")
    body = sent[0]["text"]
    assert "12" in body and ": 3" in body and f"1. {vi('Confirm')}" in body and f"3. {vi('Cancel')}" in body
    sent = await zh.say(USER, "1")
    assert "12" in sent[0]["text"]
    async with db.session() as s:
        logs = {(r.activity, r.count) for r in (await s.exec(select(ActivityLog))).all()}
    assert logs == {("vneid", 12), ("dvc", 3)}


async def test_unparseable_log_goes_to_guided_flow(zh: ZaloHarness, db: Database) -> None:
    await _member(db)
    sent = await zh.say(USER, "đi họp thôn", expect=2)
    assert sent[0]["text"] == vi(
        "I could not find an activity and a number in your message. Let's log it step by step."
    )
    assert "\n1. " in sent[1]["text"] and "\n8. " in sent[1]["text"]
    first = await zh.say(USER, "1")  # the first activity type (VNeID)
    again = await zh.say(USER, "nhiều lắm")  # not a number: the same question again, after a note
    assert again[0]["text"].endswith(first[0]["text"]) and again[0]["text"] != first[0]["text"]
    sent = await zh.say(USER, "mười hai")
    assert f"2. {vi('That' + chr(39) + 's all')}" in sent[0]["text"]
    sent = await zh.say(USER, "2")
    assert "12" in sent[0]["text"] and f"1. {vi('Confirm')}" in sent[0]["text"]
    await zh.say(USER, "1")
    async with db.session() as s:
        rows = (await s.exec(select(ActivityLog))).all()
    assert [(r.activity, r.count) for r in rows] == [("vneid", 12)]


async def test_cancel_with_typed_huy(zh: ZaloHarness, db: Database) -> None:
    await _member(db)
    await zh.say(USER, "hỗ trợ 5 người cài VNeID")
    sent = await zh.say(USER, "huy")
    assert sent[0]["text"].startswith(
        vi("Cancelled. Discarded: {what}. Nothing was saved.", what="@").split("@")[0]
    )
    sent = await zh.say(USER, "Hủy")
    assert sent[0]["text"] == vi("There is nothing to cancel.")
    assert await _count(db, ActivityLog) == 0


async def test_photo_sticker_and_unsupported(zh: ZaloHarness, fake: FakeZaloApi, db: Database) -> None:
    await _member(db)
    url = fake.add_photo(b"\xff\xd8\xff zalo photo")
    sent = await zh.push(image_update(USER, url, caption="hướng dẫn 4 hộ mở tài khoản ngân hàng"))
    assert "4" in sent[0]["text"] and f"1. {vi('Confirm')}" in sent[0]["text"]
    await zh.say(USER, "1")
    sticker = to_incoming(parse_update(sticker_update(USER)))
    assert sticker is not None and sticker.media[0].kind == "sticker" and sticker.text is None
    await zh.push(text_update("7420517352185846210", "echo of our own send"), expect=0)  # the bot itself
    update = unsupported_update(USER)
    sent = await zh.push(update)
    assert sent[0]["text"] == vi("Sorry, I cannot read this kind of message. Please send text or a photo.")
    await zh.push(update, expect=0)  # the same content-less update again: answered once
    async with db.session() as s:
        refs = [a.file_ref for a in (await s.exec(select(Attachment))).all()]
    assert refs == [url]


async def test_officer_report_by_typed_numbers(zh: ZaloHarness, db: Database) -> None:
    org = await make_org(db)
    await _plan(db)
    pid = await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer")
    await add_zalo_identity(db, pid, USER)
    sent = await zh.say(USER, "/baocao", expect=2)
    assert "Trung tâm Phục vụ hành chính công" in sent[0]["text"] and "4" in sent[0]["text"]
    assert "(1/4)" in sent[1]["text"] and "\n4. " in sent[1]["text"] and "\n5. " not in sent[1]["text"]
    sent = await zh.say(USER, "2")  # in progress
    assert "(2/4)" in sent[0]["text"]
    sent = await zh.say(USER, "3")  # done
    assert "(3/4)" in sent[0]["text"]
    for bad in ("nhiều", "150", "-5", "😀"):
        sent = await zh.say(USER, bad)
        assert "(3/4)" in sent[0]["text"]
    sent = await zh.say(USER, "85,5")
    assert "(4/4)" in sent[0]["text"] and "\n2. " in sent[0]["text"]
    sent = await zh.say(USER, "dat")  # typed label without diacritics
    assert "\n1. " in sent[0]["text"]
    await zh.say(USER, "Thiếu máy quét tài liệu")
    sent = await zh.say(USER, "1")  # no proposals
    assert "85,5%" in sent[0]["text"] and "Thiếu máy quét" in sent[0]["text"] and "\n3. " in sent[0]["text"]
    sent = await zh.say(USER, "1")  # send
    assert sent[0]["text"] == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        items = {
            (i.kind, i.status, i.value_num, i.value_bool) for i in (await s.exec(select(ReportItem))).all()
        }
    assert (
        report.late is False and report.difficulties == "Thiếu máy quét tài liệu" and report.proposals is None
    )
    assert items == {
        ("task", "in_progress", None, None),
        ("task", "done", None, None),
        ("indicator", None, Decimal("85.5"), None),
        ("indicator", None, None, True),
    }


# -- delivery: dedupe, splitting, files, platform errors -------------------------------------------


async def test_redelivered_update_is_counted_once(zh: ZaloHarness, fake: FakeZaloApi, db: Database) -> None:
    await _member(db)
    # getUpdates hands out the same update four times (one reading of the docs). The number of
    # deliveries is fixed in advance: switching replaying off after some were handled raced with a
    # getUpdates already in flight, whose extra copy then counted as the reply to the next message.
    fake.replay = 3
    fake.push_text(USER, "hỗ trợ 5 người cài VNeID", msg_id="aaaabbbbccccddddeeee")
    await zh.wait_processed(4)
    assert not fake.updates and fake.replay == 0  # every copy handed out: nothing else in flight
    sent = zh.take_sent()
    assert len(sent) == 1 and "5" in sent[0]["text"]
    await zh.say(USER, "1")
    await zh.say(USER, "1", msg_id="aaaabbbbccccddddeeee", expect=0)  # an old message id again: ignored
    async with db.session() as s:
        rows = (await s.exec(select(ActivityLog))).all()
        keys = (
            await s.exec(select(ProcessedUpdate.update_key).where(ProcessedUpdate.channel == "zalo"))
        ).all()
    assert [(r.activity, r.count) for r in rows] == [("vneid", 5)]
    assert keys.count("aaaabbbbccccddddeeee") == 1


async def test_long_reply_is_split_on_a_line_boundary(zh: ZaloHarness, fake: FakeZaloApi) -> None:
    lines = [f"{i:02d} " + "x" * 97 for i in range(25)]  # 25 lines of 100 chars: 2,524 chars in all
    message_id = await zh.zalo.send(USER, Outgoing(text="\n".join(lines)))
    sent = zh.take_sent()
    assert len(sent) == 2 and all(len(m["text"]) <= 2000 for m in sent)
    assert sent[0]["text"].split("\n") + sent[1]["text"].split("\n") == lines
    assert message_id == sent[1]["message_id"]


async def test_file_goes_as_a_signed_link(fake: FakeZaloApi, db_url: str, aiohttp_client: Any) -> None:
    h = ZaloHarness(fake, db_url, public_url="https://cdsbot.example.org")
    await h.start()
    try:
        doc = FileOut(
            "Báo cáo tháng 12.docx",
            b"PK\x03\x04docx-bytes",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        await h.zalo.send(USER, Outgoing(text="Báo cáo của bạn", document=doc))
        text = h.take_sent()[0]["text"]
        assert text.startswith("Báo cáo của bạn\n\n")
        url = next(w for w in text.split() if w.startswith("https://cdsbot.example.org/files/"))
        client = await aiohttp_client(h.bot.web)
        path = url.removeprefix("https://cdsbot.example.org")
        async with client.get(path) as resp:
            assert resp.status == 200 and await resp.read() == doc.data
            assert resp.headers["Content-Type"] == doc.mime
            assert "attachment" in resp.headers["Content-Disposition"]
            assert "B%C3%A1o%20c%C3%A1o" in resp.headers["Content-Disposition"]
        file_id, expires, sig = path.rsplit("/", 1)[1].split(".")
        for bad in (f"{file_id}.{int(expires) + 10}.{sig}", f"{file_id}.{expires}.{sig[:-2]}AA", "nope"):
            async with client.get(f"/files/{bad}") as resp:
                assert resp.status == 404
        h.zalo.files.clock = lambda: float(int(expires) + 1)  # a day later
        async with client.get(path) as resp:
            assert resp.status == 404
    finally:
        await h.stop()


async def test_file_without_public_url_points_elsewhere(zh: ZaloHarness) -> None:
    await zh.zalo.send(USER, Outgoing(text="Ảnh", photo=FileOut("chart.png", b"\x89PNG", "image/png")))
    text = zh.take_sent()[0]["text"]
    assert text == "Ảnh\n\n" + vi(
        "The file {name} cannot be sent on Zalo. Please download it from Telegram or the commune's web page.",
        name="chart.png",
    )


@pytest.mark.parametrize("fault", ["400", "401", "403", "429", "html502", "slow"])
async def test_send_errors_do_not_stop_the_poller(
    zh: ZaloHarness, fake: FakeZaloApi, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    kinds: dict[str, dict[str, Any]] = {  # permanent errors are tried once; the others again after 1 s, 3 s
        "400": {"status": 400},
        "401": {"status": 401},
        "403": {"status": 403, "times": 2},
        "429": {"status": 429, "times": 2},
        "html502": {"status": 502, "body": HTML_502, "http_status": 502, "times": 2},
        "slow": {"status": None, "delay": 1.3, "times": 2},
    }
    fake.fail_next("sendMessage", **kinds[fault])
    permanent = fault in ("400", "401")
    await zh.say(USER, "xin chào", expect=0 if permanent else 1)  # the third try gets through
    assert len(fake.method_calls("sendMessage")) == (1 if permanent else 3)
    sent = await zh.say(USER, "xin chào lần nữa")
    assert "\n1. " not in sent[0]["text"]
    assert zh.zalo._poller is not None and not zh.zalo._poller.done()
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert "zalo reply" in caplog.text.lower()


async def test_polling_errors_are_retried(
    zh: ZaloHarness, fake: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("getUpdates", 502, body=HTML_502, http_status=502, times=3)
    fake.fail_next("getUpdates", 401, times=2)
    sent = await zh.say(USER, "xin chào")
    assert len(sent) == 1 and "Zalo polling failed" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_one_poller_per_token_and_clean_stop(zh: ZaloHarness, fake: FakeZaloApi) -> None:
    assert fake.method_calls("deleteWebhook") and fake.method_calls("getMe")
    assert zh.bot is not None and zh.bot.services.bot_usernames["zalo"] == "bot.cdsbot"
    second = ZaloChannel(TOKEN, zh.bot.dispatcher, base_url=fake.base_url, poll_timeout=1)
    with pytest.raises(ConfigError):
        await second.start()
    await second.stop()
    await zh.zalo.start()  # starting again does not add a poller
    poller = zh.zalo._poller
    assert poller is not None
    await zh.zalo.stop()
    assert poller.cancelled() and zh.zalo._poller is None
    calls = len(fake.calls)
    await asyncio.sleep(0.3)
    assert len(fake.calls) == calls  # nothing polls any more


# -- webhook mode ----------------------------------------------------------------------------------


@pytest.fixture
async def hook(fake: FakeZaloApi, db_url: str, aiohttp_client: Any) -> AsyncIterator[tuple[ZaloHarness, Any]]:
    h = ZaloHarness(fake, db_url, webhook=True)
    await h.start()
    assert h.bot is not None
    client = await aiohttp_client(h.bot.web)
    try:
        yield h, client
    finally:
        await h.stop()


async def test_webhook_rejects_missing_or_wrong_secret(
    hook: tuple[ZaloHarness, Any], fake: FakeZaloApi, db: Database
) -> None:
    h, client = hook
    assert (fake.webhook_url, fake.webhook_secret) == (WEBHOOK_URL, WEBHOOK_SECRET)
    update = text_update(USER, "xin chào")
    for secret in (None, "", "wrong-secret-value", WEBHOOK_SECRET[:-1]):
        status, _body = await post_webhook(client, update, secret, path="/zalo/webhook")
        assert status == 403
    await h.zalo.drain()
    assert await _count(db, ProcessedUpdate) == 0 and fake.sent_messages == []


async def test_webhook_accepts_bare_and_wrapped_updates_once(
    hook: tuple[ZaloHarness, Any], fake: FakeZaloApi, db: Database
) -> None:
    h, client = hook
    first, second = text_update(USER, "xin chào"), text_update(OTHER, "chào bạn")
    assert (await post_webhook(client, first, WEBHOOK_SECRET, path="/zalo/webhook"))[0] == 200
    assert (await post_webhook(client, second, WEBHOOK_SECRET, path="/zalo/webhook", wrapped=True))[0] == 200
    assert (await post_webhook(client, first, WEBHOOK_SECRET, path="/zalo/webhook", wrapped=True))[0] == 200
    await h.zalo.drain()
    assert sorted(m["chat_id"] for m in fake.sent_messages) == sorted([USER, OTHER])
    assert await _count(db, ProcessedUpdate) == 2


async def test_webhook_rejects_bad_bodies(hook: tuple[ZaloHarness, Any], db: Database) -> None:
    h, client = hook
    headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    for body, status in (
        (b"{not json", 400),
        (b'{"ok": true}', 400),
        (b"[1, 2]", 400),
        (b'{"event_name": "message.text.received"}', 200),  # an update we cannot read: quarantined
        (b"x" * ((1 << 20) + 10), 413),
    ):
        async with client.post("/zalo/webhook", data=body, headers=headers) as resp:
            assert resp.status == status
    await h.zalo.drain()
    assert await _count(db, ProcessedUpdate) == 0
