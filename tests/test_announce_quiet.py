"""Announcements respect quiet hours (21:00–07:00): held in the outbox until 07:00, unless marked urgent."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import AuditLog, Outbox
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

LEAD, MEMBER, MEMBER2 = 8102, 8103, 8104
TEXT = "Sáng mai 7 giờ 30 họp giao ban tại hội trường xã."


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def _people(db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, org["khuoi"], "Đinh Văn Hải", "member", telegram_id=MEMBER2)


async def _compose(tg: TelegramHarness) -> list:
    await tg.say(LEAD, "/thongbao")
    await tg.tap(LEAD, "village")
    return await tg.say(LEAD, TEXT)


async def test_announcement_at_night_is_held_until_seven_and_survives_a_restart(tg: TelegramHarness,
                                                                                db: Database) -> None:
    await _people(db)
    tg.now = at("2026-12-10T23:00+07:00")
    sent = await _compose(tg)
    assert sent[0].callback_data == ["send", "urgent", "cancel"]
    assert vi("It is quiet hours ({start}–{end}): the announcement will go out at {at}, unless it is urgent.",
              start="21:00", end="07:00", at="07:00 11/12/2026") in sent[0].text
    sent = await tg.tap(LEAD, "send")
    assert sent[0].text == vi("Announcement for {n} person(s) held for quiet hours: it will go out at {at}. "
                              "{m} not reachable in chat yet. Type /thongbao later to see how many were delivered.",
                              n=2, m=0, at="07:00 11/12/2026")
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 0  # 23:00: nothing goes out
    async with db.session() as s:
        rows = (await s.exec(select(Outbox).where(Outbox.key.like("announce:%")))).all()  # type: ignore[attr-defined]
    assert len(rows) == 2 and {r.next_attempt_at for r in rows} == {at("2026-12-11T07:00+07:00")}
    await tg.restart()  # the held announcement lives in the database, not in the process
    tg.now = at("2026-12-11T04:41+07:00")
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 0
    assert tg.fake.take_sent() == []
    tg.now = at("2026-12-11T07:00+07:00")
    assert await tg.bot.outbox.run_once() == 2
    got = await tg.fake.wait_for_sent(2)
    tg.fake.take_sent()
    assert {m.chat_id for m in got} == {MEMBER, MEMBER2} and all(TEXT in m.text for m in got)


async def test_urgent_announcement_goes_out_at_once(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    tg.now = at("2026-12-10T23:00+07:00")
    await _compose(tg)
    sent = await tg.tap(LEAD, "urgent")
    assert sent[0].text == vi("Announcement queued for {n} person(s); {m} not reachable in chat yet. "
                              "Type /thongbao later to see how many were delivered.", n=2, m=0)
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 2
    got = await tg.fake.wait_for_sent(2)
    tg.fake.take_sent()
    assert {m.chat_id for m in got} == {MEMBER, MEMBER2}
    async with db.session() as s:
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "announce"))).one()
    assert audit.detail["urgent"] is True


async def test_daytime_announcement_has_no_urgent_choice_and_goes_at_once(tg: TelegramHarness,
                                                                          db: Database) -> None:
    await _people(db)
    tg.now = at("2026-12-10T07:00+07:00")  # quiet hours end at 07:00 sharp
    sent = await _compose(tg)
    assert sent[0].callback_data == ["send", "cancel"]
    await tg.tap(LEAD, "send")
    assert tg.bot is not None and tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 2


async def test_stale_urgent_choice_is_refused_politely_at_night(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    tg.now = at("2026-12-10T21:30+07:00")
    await _compose(tg)
    sent = await tg.say(LEAD, "gửi luôn đi")
    assert vi("Please choose: send at {time}, urgent (send now), or cancel.", time="07:00") in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(Outbox).where(Outbox.key.like("announce:%")))).all() == []  # type: ignore[attr-defined]


def test_quiet_hours_are_one_definition() -> None:
    from zoneinfo import ZoneInfo

    from reminders.snooze import QUIET_END, QUIET_START
    from storage.calendar.calendar import DEFAULT_QUIET, after_quiet_hours

    assert (QUIET_START, QUIET_END) == DEFAULT_QUIET
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    for when, expected in (("2026-12-10T20:59+07:00", "2026-12-10T20:59+07:00"),
                           ("2026-12-10T21:00+07:00", "2026-12-11T07:00+07:00"),
                           ("2026-12-10T23:59+07:00", "2026-12-11T07:00+07:00"),
                           ("2026-12-11T04:41+07:00", "2026-12-11T07:00+07:00"),
                           ("2026-12-11T07:00+07:00", "2026-12-11T07:00+07:00"),
                           ("2026-12-10T16:30+00:00", "2026-12-11T07:00+07:00")):  # 23:30 local, given in UTC
        assert after_quiet_hours(at(when), tz) == at(expected), when
