"""Choices shown outside a conversation (reminders, the digest, /xuat, /hanbaocao) picked by typing on Zalo,
where there are no buttons: the typed number or words act exactly like Telegram's tap."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.app import BotApp
from storage.db import Database
from storage.models import ActivityLog, Outbox, Report, ReportingPeriod
from tests.seed import add_person, make_org
from tests.zalo_harness import ZaloHarness, add_zalo_identity, vi

OFFICER, LEAD, MEMBER = "a1b2c3d4e5f6a7b8c9d0", "0f1e2d3c4b5a69788796", "77aa88bb99cc00dd11ee"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)



async def _people(db: Database) -> dict[str, int]:
    org = await make_org(db)
    ids = {"officer": await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer"),
           "lead": await add_person(db, org["vhxh"], "Trần Thị Lan", "lead"),
           "member": await add_person(db, org["napai"], "Lò Văn Minh", "member")}
    for key, user in (("officer", OFFICER), ("lead", LEAD), ("member", MEMBER)):
        await add_zalo_identity(db, ids[key], user)
    return ids


async def _sweep(zh: ZaloHarness, when: str) -> dict[str, str]:
    """Run the reminder sweep at ``when`` (the harness clock) and send the outbox; the texts per chat
    (several messages to one chat joined with a separator line)."""
    from reminders.sweep import run_sweep

    bot = zh.bot
    assert isinstance(bot, BotApp) and bot.outbox is not None
    zh.now = at(when)
    await run_sweep(bot, zh.now)
    await bot.outbox.run_once()
    texts: dict[str, str] = {}
    for m in zh.take_sent():
        texts[m["chat_id"]] = f"{texts[m['chat_id']]}\n---\n{m['text']}" if m["chat_id"] in texts else m["text"]
    return texts


async def _pending(db: Database, person_id: int) -> list[Outbox]:
    async with db.session() as s:
        return list((await s.exec(select(Outbox).where(Outbox.person_id == person_id, Outbox.status == "pending")
                                  .order_by(Outbox.id))).all())  # type: ignore[arg-type]


async def _reports(db: Database) -> list[tuple[str, str]]:
    async with db.session() as s:
        return sorted((await s.exec(select(ReportingPeriod.stream, ReportingPeriod.key).join(
            Report, Report.period_id == ReportingPeriod.id))).all())  # type: ignore[arg-type]


async def test_unit_reminder_snoozed_by_typed_number_and_label(zh: ZaloHarness, db: Database) -> None:
    ids = await _people(db)
    sent = await _sweep(zh, "2026-12-16T08:00+07:00")
    text = sent[OFFICER]
    assert "20/12/2026" in text
    assert ("1. " + vi("Remind me in 2 hours") + "\n2. " + vi("Remind me tomorrow")) in text
    assert vi("(type the number or the words of your choice)") in text
    assert await _pending(db, ids["officer"]) == []
    reply = await zh.say(OFFICER, "1")
    assert reply[0]["text"] == vi("All right, I will remind you again at {at}.", at="10:00 16/12/2026")
    rows = await _pending(db, ids["officer"])
    # the row a tap on "snooze:2h:unit_monthly:2026-12" queues (reminders/actions.py), same key and time
    assert [(r.key, r.next_attempt_at) for r in rows] == [
        (f"snooze:unit_monthly:2026-12:{ids['officer']}:{at('2026-12-16T10:00+07:00').isoformat()}",
         at("2026-12-16T10:00+07:00"))]
    reply = await zh.say(OFFICER, "nhac lai vao ngay mai")  # the second label, typed without diacritics
    assert reply[0]["text"] == vi("All right, I will remind you again at {at}.", at="08:00 17/12/2026")
    assert [r.next_attempt_at for r in await _pending(db, ids["officer"])] == [
        at("2026-12-16T10:00+07:00"), at("2026-12-17T08:00+07:00")]
    # The snoozed reminder, sent at 10:00, is what a typed number now answers: it has no choices, so
    # the earlier ones still apply until replaced; "3" is not one of them and is free text as before.
    reply = await zh.say(OFFICER, "3")
    assert reply[0]["text"] == vi("I did not understand that. Type /trogiup to see what I can do.")
    assert len(await _pending(db, ids["officer"])) == 2


async def test_member_log_after_a_reminder_is_still_a_log(zh: ZaloHarness, db: Database) -> None:
    ids = await _people(db)
    sent = await _sweep(zh, "2026-12-16T08:00+07:00")
    assert "1. " + vi("Remind me in 2 hours") in sent[MEMBER]
    reply = await zh.say(MEMBER, "hỗ trợ 1 người kích hoạt VNeID")
    assert "1. " in reply[0]["text"] and vi("Confirm") in reply[0]["text"]  # the log's own confirmation
    reply = await zh.say(MEMBER, "1")  # answers the log's question, not the reminder
    async with db.session() as s:
        logs = [(r.activity, r.count) for r in (await s.exec(select(ActivityLog))).all()]
    assert logs == [("vneid", 1)]
    assert await _pending(db, ids["member"]) == []  # nothing snoozed


async def test_lead_marks_compiled_report_sent_by_typing_after_xuat(zh: ZaloHarness, db: Database) -> None:
    await _people(db)
    sent = await zh.say(LEAD, "/xuat", expect=3)
    assert "1. " + vi("Mark as sent to {recipient}", recipient="UBND xã") in sent[2]["text"]
    reply = await zh.say(LEAD, "1")
    assert reply[0]["text"] == vi("Recorded: the compiled report for {period} was sent to {recipient}.",
                                  period="tháng 12/2026", recipient="UBND xã")
    assert await _reports(db) == [("lead_monthly", "2026-12")]
    reply = await zh.say(LEAD, "danh dau da gui ubnd xa")  # the label again: the same handler says so
    assert reply[0]["text"] == vi("Already recorded: the compiled report for {period} was sent.",
                                  period="tháng 12/2026")
    assert await _reports(db) == [("lead_monthly", "2026-12")]


async def test_choices_expire_politely(zh: ZaloHarness, db: Database) -> None:
    await _people(db)
    await zh.say(LEAD, "/xuat", expect=3)
    shown = zh.now
    zh.now = shown + timedelta(hours=49)
    reply = await zh.say(LEAD, "1")
    assert reply[0]["text"] == vi("The choices I sent you at {at} have expired, so nothing was recorded. Type "
                                  "/hanbaocao to see what you still owe.", at="10:00 10/12/2026")
    assert await _reports(db) == []
    # A sentence is never taken for a choice, expired or not.
    reply = await zh.say(LEAD, "Đánh dấu đã gửi UBND xã hôm nay nhé")
    assert vi("expired") not in reply[0]["text"]
    assert await _reports(db) == []


async def test_officer_cannot_use_the_lead_choice_by_typing(zh: ZaloHarness, db: Database) -> None:
    """Same authorisation as the tap: an officer who types a number after /hanbaocao gets no lead action."""
    await _people(db)
    zh.now = at("2026-12-16T10:00+07:00")
    sent = await zh.say(OFFICER, "/hanbaocao")
    assert "\n1. " not in sent[0]["text"]  # no steering choices for an officer
    reply = await zh.say(OFFICER, "1")
    assert reply[0]["text"] == vi("I did not understand that. Type /trogiup to see what I can do.")
    assert await _reports(db) == []


async def test_grouped_steering_reminder_answered_by_typing(zh: ZaloHarness, db: Database) -> None:
    await _people(db)
    sent = await _sweep(zh, "2026-12-04T08:00+07:00")  # month, quarter IV and year due 06/12: one message
    text = sent[LEAD]
    assert text.startswith("Nhắc việc: các báo cáo gửi Ban Chỉ đạo")
    for n, label in ((1, "tháng 11/2026"), (2, "quý IV/2026"), (3, "năm 2026")):
        assert f"\n{n}. " + vi("Sent — {period}", period=label) in text
    # "đã gửi" fits all three: the bot asks which, numbering only those
    reply = await zh.say(LEAD, "đã gửi")
    assert reply[0]["text"].startswith(vi("Which one do you mean?") + "\n\n1. ")
    assert await _reports(db) == []
    reply = await zh.say(LEAD, "2")
    assert reply[0]["text"] == vi("Recorded: the report to {recipient} for {period} was sent.", recipient="Ban Chỉ đạo",
                                  period="quý IV/2026")
    reply = await zh.say(LEAD, "da gui thang 11")  # unique words: recorded at once
    assert reply[0]["text"] == vi("Recorded: the report to {recipient} for {period} was sent.", recipient="Ban Chỉ đạo",
                                  period="tháng 11/2026")
    assert await _reports(db) == [("steering_monthly", "2026-11"), ("steering_quarterly", "2026-Q4")]
    # /hanbaocao offers the year report, still owed: its number records it
    sent = await zh.say(LEAD, "/hanbaocao")
    lines = [ln for ln in sent[0]["text"].splitlines() if ln.endswith(" năm 2026") and ln[:1].isdigit()
             and "6 tháng" not in ln]
    assert len(lines) == 1
    reply = await zh.say(LEAD, lines[0].split(".")[0])
    assert reply[0]["text"] == vi("Recorded: the report to {recipient} for {period} was sent.", recipient="Ban Chỉ đạo",
                                  period="năm 2026")
    assert ("steering_year", "2026") in await _reports(db)


async def test_digest_remind_again_by_typing(zh: ZaloHarness, db: Database) -> None:
    from storage.models import ReminderLog

    ids = await _people(db)
    sent = await _sweep(zh, "2026-12-21T08:00+07:00")  # after the 20th: the lead gets the digest
    digest = sent[LEAD]
    # Two digests (villages, then units) and the lead's own reminder after them, each with a list.
    assert digest.index(vi("Remind the villages again")) < digest.index(vi("Remind the units again"))
    assert vi("Remind the units again") not in digest.split("\n---\n")[-1]
    # Their number is not "1" any more, but their words still pick them (the last few lists are kept);
    # "nhắc lại" fits four choices of three messages: the bot asks which.
    reply = await zh.say(LEAD, "nhắc lại")
    assert reply[0]["text"].startswith(vi("Which one do you mean?") + "\n\n1. ")
    assert "\n4. " in reply[0]["text"] and vi("Remind the villages again") in reply[0]["text"]
    reply = await zh.say(LEAD, "nhac lai cac thon")
    assert reply[0]["text"].startswith(vi("Reminded {n} person(s) again.", n=1))
    reply = await zh.say(LEAD, "Nhắc lại các đơn vị")
    assert reply[0]["text"].startswith(vi("Reminded {n} person(s) again.", n=2))
    async with db.session() as s:
        again = sorted((await s.exec(select(ReminderLog.person_id).where(
            ReminderLog.stage.like("again-%")))).all())  # type: ignore[attr-defined]
    assert again == sorted([ids["member"], ids["officer"], ids["lead"]])  # the lead's own unit owes one too
