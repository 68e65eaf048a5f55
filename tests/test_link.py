"""One person on Telegram and Zalo: link codes, preferred channel, and the outbox falling back between them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.messages import Outgoing
from handlers.outbox import enqueue_for_person
from storage.db import Database
from storage.models import AuditLog, Identity, LinkCode, Outbox, Person
from tests.seed import add_person, make_org
from tests.zalo_harness import ZaloHarness, add_zalo_identity, vi

TG_USER = 5101
ZALO_USER = "6ede9afa66b88fe6d6a9"
ZALO_OTHER = "0a1b2c3d4e5f60718293"
NAME = "Hà Văn Tùng"




async def _tg_member(db: Database) -> int:
    org = await make_org(db)
    return await add_person(db, org["napai"], NAME, "member", telegram_id=TG_USER)


async def _code_for(both: ZaloHarness, db: Database, pid: int) -> str:
    sent = await both.tg_say(TG_USER, "/lienket")
    async with db.session() as s:
        link = (await s.exec(select(LinkCode).where(LinkCode.person_id == pid))).all()[-1]
    assert len(link.code) == 6 and link.used_at is None
    assert link.expires_at == both.now + timedelta(minutes=15)
    assert (
        vi("Open the bot on {other} and send: /lienket {code}", other="Zalo", code=link.code) in sent[0].text
    )
    return link.code


async def test_link_telegram_person_on_zalo(both: ZaloHarness, db: Database) -> None:
    pid = await _tg_member(db)
    code = await _code_for(both, db, pid)
    sent = await both.say(ZALO_USER, f"/lienket {code.lower()}")
    assert sent[0]["text"].startswith(
        vi(
            "Welcome, {name}! This {channel} account is now linked to your "
            "registration; everything you send here counts for you as before. "
            "Type /trogiup to see what you can do.",
            name=NAME,
            channel="Zalo",
        )
    )
    async with db.session() as s:
        idents = {(i.channel, i.external_id): i.person_id for i in (await s.exec(select(Identity))).all()}
        link = await s.get(LinkCode, code)
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "identity.link"))).one()
        person = await s.get(Person, pid)
    assert idents == {("telegram", str(TG_USER)): pid, ("zalo", ZALO_USER): pid}
    assert link is not None and link.used_at == both.now
    assert (
        audit.actor_person_id == pid and audit.target == f"zalo:{ZALO_USER}" and code not in str(audit.detail)
    )
    assert person is not None and person.last_channel == "zalo"
    # Zalo now speaks to the same person: a village log goes straight to confirmation.
    sent = await both.say(ZALO_USER, "hỗ trợ 6 người cài VNeID")
    assert "6" in sent[0]["text"] and f"1. {vi('Confirm')}" in sent[0]["text"]
    # The same code cannot link anyone else.
    sent = await both.say(ZALO_OTHER, code)
    assert sent[0]["text"] == vi(
        "This link code has already been used. Send /lienket on your registered account to get a new one."
    )
    async with db.session() as s:
        assert len((await s.exec(select(Identity))).all()) == 2


async def test_bare_code_typed_on_zalo_links_too(both: ZaloHarness, db: Database) -> None:
    pid = await _tg_member(db)
    code = await _code_for(both, db, pid)
    sent = await both.say(ZALO_USER, code)  # no command: an unregistered person just sends the code
    assert NAME in sent[0]["text"]
    async with db.session() as s:
        ident = (await s.exec(select(Identity).where(Identity.channel == "zalo"))).one()
    assert ident.person_id == pid and ident.chat_id == ZALO_USER


async def test_expired_unknown_and_already_registered(both: ZaloHarness, db: Database) -> None:
    pid = await _tg_member(db)
    code = await _code_for(both, db, pid)
    both.now += timedelta(minutes=16)
    sent = await both.say(ZALO_USER, f"/lienket {code}")
    assert sent[0]["text"] == vi(
        "This link code has expired (codes work for {minutes} minutes). Send /lienket "
        "on your registered account to get a new one.",
        minutes=15,
    )
    sent = await both.say(ZALO_USER, "/lienket ZZZZZZ")
    assert sent[0]["text"] == vi(
        "I could not find the link code {code}. Send /lienket on the channel where you "
        "are already registered to get a new one.",
        code="ZZZZZZ",
    )
    sent = await both.say(ZALO_USER, "/lienket")
    assert sent[0]["text"].startswith(
        vi(
            "To link this account: send /lienket to the bot on the channel where "
            "you are already registered, then send the code you get here, like "
            "this: /lienket CODE"
        )
    )
    async with db.session() as s:
        assert (await s.get(LinkCode, code)).used_at is None  # type: ignore[union-attr]
        assert len((await s.exec(select(Identity))).all()) == 1
    # On Telegram, where the person is registered, a code makes no sense.
    fresh = await _code_for(both, db, pid)
    sent = await both.tg_say(TG_USER, f"/lienket {fresh}")
    assert sent[0].text == vi(
        "This {channel} account is already registered as {name}, so there is nothing to "
        "link here. Send the code from your other account instead.",
        channel="Telegram",
        name=NAME,
    )


async def test_preferred_channel_switch(both: ZaloHarness, db: Database) -> None:
    pid = await _tg_member(db)
    sent = await both.tg_say(TG_USER, "/lienket zalo")
    assert sent[0].text == vi(
        "You are not linked on {channel} yet. Send /lienket here to get a code, then "
        "send it to the bot on {channel}.",
        channel="Zalo",
    )
    code = await _code_for(both, db, pid)
    await both.say(ZALO_USER, code)
    sent = await both.say(ZALO_USER, "/lienket zalo")
    assert sent[0]["text"] == vi("Done: from now on I will send your reminders on {channel}.", channel="Zalo")
    async with db.session() as s:
        assert (await s.get(Person, pid)).preferred_channel == "zalo"  # type: ignore[union-attr]
    sent = await both.tg_say(TG_USER, "/link Telegram")
    async with db.session() as s:
        assert (await s.get(Person, pid)).preferred_channel == "telegram"  # type: ignore[union-attr]
        changes = (await s.exec(select(AuditLog).where(AuditLog.action == "person.preferred_channel"))).all()
    assert [c.detail["to"] for c in changes] == ["zalo", "telegram"]
    sent = await both.tg_say(TG_USER, "/lienket")  # on both channels: the code reply says how to choose
    assert (
        vi(
            "You are already on both channels. To choose where reminders go, send /lienket telegram or "
            "/lienket zalo."
        )
        in sent[0].text
    )


async def test_outbox_falls_back_to_telegram(both: ZaloHarness, db: Database) -> None:
    pid = await _tg_member(db)
    await add_zalo_identity(db, pid, ZALO_USER)
    async with db.transaction() as s:
        person = await s.get(Person, pid)
        assert person is not None
        person.preferred_channel = "zalo"
        s.add(person)
        channel = await enqueue_for_person(
            s, person, Outgoing(text="Nhắc: hạn nộp báo cáo là 15/12"), key="remind:1", now=both.now
        )
    assert channel == "zalo"
    both.fake.fail_next("sendMessage", 400)  # refused for good (not retried)
    assert both.bot is not None and both.bot.outbox is not None
    assert await both.bot.outbox.run_once() == 1
    assert await both.bot.outbox.run_once() == 1
    sent = await both.tg_fake.wait_for_sent(1)  # type: ignore[union-attr]
    assert sent[0].text == "Nhắc: hạn nộp báo cáo là 15/12" and str(sent[0].chat_id) == str(TG_USER)
    async with db.session() as s:
        rows = {(r.channel, r.status, r.key) for r in (await s.exec(select(Outbox))).all()}
    assert rows == {("zalo", "failed", "remind:1"), ("telegram", "sent", "remind:1:via:telegram")}
    assert both.fake.sent_messages == []


async def test_unreachable_person_is_audited(both: ZaloHarness, db: Database) -> None:
    org = await make_org(db)
    pid = await add_person(db, org["napai"], NAME, "member")
    await add_zalo_identity(db, pid, ZALO_USER)
    async with db.transaction() as s:
        person = await s.get(Person, pid)
        assert person is not None
        assert (
            await enqueue_for_person(s, person, Outgoing(text="Nhắc"), key="remind:2", now=both.now) == "zalo"
        )
    both.fake.fail_next("sendMessage", 400)
    assert both.bot is not None and both.bot.outbox is not None
    assert await both.bot.outbox.run_once() == 1
    assert await both.bot.outbox.run_once() == 0
    async with db.session() as s:
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "delivery.unreachable"))).one()
        row = (await s.exec(select(Outbox))).one()
    assert audit.target == f"person:{pid}" and audit.detail["channel"] == "zalo" and row.status == "failed"
