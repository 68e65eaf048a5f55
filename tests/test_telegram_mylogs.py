"""/nhatky through the fake Telegram server: own entries of the period, corrections, deletes, deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from handlers.activity.catalog import default_catalog
from storage.db import Database
from storage.models import ActivityLog, Attachment, AuditLog, ConversationState
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

MEMBER, OTHER, OFFICER = 6001, 6002, 6003
# The harness clock is 10/12/2026 10:00 in Hanoi: period "tháng 12/2026", data 15/11–14/12, due 19/12 23:59.
PERIOD, OFFICE = "tháng 12/2026", "Phòng Văn hóa - Xã hội"
LABEL = {t.code: t.label_vi for t in default_catalog()}


def vi(msgid: str, **kw: object) -> str:
    from locales.i18n import _, use_locale

    with use_locale("vi"):
        return _(msgid, **kw)


def line(n: int, on: date, code: str, count: int) -> str:
    from locales.i18n import fmt_date, fmt_number

    return f"{n}. {fmt_date(on, 'vi')} — {LABEL[code]}: {fmt_number(count, 'vi')}"


def total(code: str, count: int) -> str:
    from locales.i18n import fmt_number

    return f"• {LABEL[code]}: {fmt_number(count, 'vi')}"


async def _log(db: Database, commune: int, unit: int, person: int, on: date, code: str, count: int) -> int:
    async with db.transaction() as s:
        row = ActivityLog(commune_id=commune, unit_id=unit, person_id=person, on_date=on, activity=code,
                          count=count, created_at=datetime(2026, 12, 1, tzinfo=UTC))
        s.add(row)
        await s.flush()
        return row.id  # type: ignore[return-value]


async def _setup(db: Database) -> tuple[dict[str, int], int, int]:
    org = await make_org(db)
    me = await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    other = await add_person(db, org["napai"], "Lò Thị Mai", "member", telegram_id=OTHER)
    return org, me, other


async def _rows(db: Database) -> dict[int, int]:
    async with db.session() as s:
        return {r.id: r.count for r in (await s.exec(select(ActivityLog))).all()}  # type: ignore[misc]


async def _audit(db: Database) -> list[tuple[str, str | None, dict]]:
    async with db.session() as s:
        rows = (await s.exec(select(AuditLog).order_by(AuditLog.id))).all()  # type: ignore[arg-type]
    return [(a.action, a.target, a.detail) for a in rows]


async def test_lists_own_entries_newest_first_with_totals(tg: TelegramHarness, db: Database) -> None:
    org, me, other = await _setup(db)
    c, v = org["commune"], org["napai"]
    a = await _log(db, c, v, me, date(2026, 12, 1), "vneid", 5)
    b = await _log(db, c, v, me, date(2026, 12, 10), "vneid", 12)
    d = await _log(db, c, v, me, date(2026, 12, 8), "dvc", 3)
    await _log(db, c, v, me, date(2026, 11, 14), "vneid", 99)  # before the data window
    await _log(db, c, v, me, date(2026, 12, 15), "vneid", 77)  # next period's window
    theirs = await _log(db, c, v, other, date(2026, 12, 9), "payment", 4321)

    sent = await tg.say(MEMBER, "/nhatky")
    text = sent[0].text or ""
    assert sent[0].callback_data == [f"edit:{b}", f"edit:{d}", f"edit:{a}", "done"]
    assert sent[0].buttons[0][0] == vi("Edit {n}", n=1)
    listed = [line(1, date(2026, 12, 10), "vneid", 12), line(2, date(2026, 12, 8), "dvc", 3),
              line(3, date(2026, 12, 1), "vneid", 5)]
    positions = [text.index(x) for x in listed]
    assert positions == sorted(positions)
    assert vi("Totals for {period}:", period=PERIOD) in text
    assert total("vneid", 17) in text and total("dvc", 3) in text
    assert "99" not in text and "77" not in text and "4.321" not in text and LABEL["payment"] not in text

    # The other member sees only their own entry; the English alias works too.
    sent = await tg.say(OTHER, "/mylogs")
    assert sent[0].callback_data == [f"edit:{theirs}", "done"]
    assert line(1, date(2026, 12, 9), "payment", 4321) in (sent[0].text or "")
    assert LABEL["dvc"] not in (sent[0].text or "")

    # A forged button for someone else's entry is treated as stale and changes nothing.
    sent = await tg.send(tg.fake.callback(OTHER, f"edit:{b}", message_id=sent[0].message_id))
    assert vi("That button belongs to an earlier question.") in (sent[0].text or "")
    assert sent[0].callback_data == [f"edit:{theirs}", "done"]
    sent = await tg.say(OTHER, "1")  # a typed number picks the first shown entry: their own
    assert line(1, date(2026, 12, 9), "payment", 4321) in (sent[0].text or "")
    await tg.say(OTHER, "1")
    assert (await _rows(db))[b] == 12 and (await _rows(db))[theirs] == 1


async def test_more_than_fifteen_entries_says_how_many_more(tg: TelegramHarness, db: Database) -> None:
    org, me, _other = await _setup(db)
    for day in range(1, 19):
        await _log(db, org["commune"], org["napai"], me, date(2026, 11, 14) + timedelta(days=day), "outreach", day)
    sent = await tg.say(MEMBER, "nhật ký")
    text = sent[0].text or ""
    assert len(sent[0].callback_data) == 16 and sent[0].callback_data[-1] == "done"
    assert line(1, date(2026, 12, 2), "outreach", 18) in text and "15. " in text and "16. " not in text
    assert vi("…and {n} older entries not shown here.", n="3") in text
    assert total("outreach", sum(range(1, 19))) in text


async def test_correct_a_count_writes_audit_and_shows_list_again(tg: TelegramHarness, db: Database) -> None:
    org, me, _other = await _setup(db)
    first = await _log(db, org["commune"], org["napai"], me, date(2026, 12, 10), "vneid", 12)
    await _log(db, org["commune"], org["napai"], me, date(2026, 12, 9), "vneid", 4)
    await tg.say(MEMBER, "/nhatky")
    sent = await tg.tap(MEMBER, f"edit:{first}")
    assert line(1, date(2026, 12, 10), "vneid", 12) in (sent[0].text or "")
    assert vi("What is the right number? Type 0 to delete this entry.") in (sent[0].text or "")
    sent = await tg.say(MEMBER, "20")
    text = sent[0].text or ""
    assert vi("Corrected: {entry} → {n}", entry=line(1, date(2026, 12, 10), "vneid", 12), n="20") in text
    assert line(1, date(2026, 12, 10), "vneid", 20) in text and total("vneid", 24) in text
    assert sent[0].callback_data[-1] == "done" and len(sent[0].callback_data) == 3
    assert (await _rows(db))[first] == 20
    assert await _audit(db) == [("activitylog.edit", f"activitylog:{first}",
                                 {"activity": "vneid", "on_date": "2026-12-10", "old": 12, "new": 20})]
    sent = await tg.tap(MEMBER, "done")
    assert sent[0].text == vi("All right. Type /nhatky again whenever you want to check your entries.")
    assert not sent[0].callback_data
    async with db.session() as s:
        state = (await s.exec(select(ConversationState))).all()
    assert all(st.flow is None for st in state)


async def test_zero_deletes_entry_and_unlinks_photos(tg: TelegramHarness, db: Database) -> None:
    org, me, _other = await _setup(db)
    keep = await _log(db, org["commune"], org["napai"], me, date(2026, 12, 10), "dvc", 2)
    gone = await _log(db, org["commune"], org["napai"], me, date(2026, 12, 3), "vneid", 6)
    async with db.transaction() as s:
        s.add(Attachment(person_id=me, activity_log_id=gone, channel="telegram", file_ref="photo-9"))
    await tg.say(MEMBER, "/nhatky")
    await tg.tap(MEMBER, f"edit:{gone}")
    sent = await tg.say(MEMBER, "0")
    text = sent[0].text or ""
    assert vi("Deleted: {entry}", entry=line(2, date(2026, 12, 3), "vneid", 6)) in text
    assert sent[0].callback_data == [f"edit:{keep}", "done"] and total("vneid", 6) not in text
    assert await _rows(db) == {keep: 2}
    async with db.session() as s:
        photo = (await s.exec(select(Attachment))).one()
    assert photo.file_ref == "photo-9" and photo.activity_log_id is None

    # Deleting the last entry ends the conversation with a friendly note.
    await tg.tap(MEMBER, f"edit:{keep}")
    sent = await tg.say(MEMBER, "không")
    assert vi("You have no activity log entries left for {period}.", period=PERIOD) in (sent[0].text or "")
    assert not sent[0].callback_data and await _rows(db) == {}
    assert [(a, t) for a, t, _d in await _audit(db)] == [
        ("activitylog.delete", f"activitylog:{gone}"), ("activitylog.delete", f"activitylog:{keep}")]
    assert (await _audit(db))[0][2] == {"activity": "vneid", "on_date": "2026-12-03", "old": 6, "new": 0}


async def test_bad_numbers_reask_and_keep_the_entry(tg: TelegramHarness, db: Database) -> None:
    org, me, _other = await _setup(db)
    row = await _log(db, org["commune"], org["napai"], me, date(2026, 12, 5), "payment", 8)
    await tg.say(MEMBER, "/nhatky")
    await tg.tap(MEMBER, f"edit:{row}")
    entry = line(1, date(2026, 12, 5), "payment", 8)
    for bad, why in (("nhiều lắm", "Please write a number, e.g. 12."), ("-4", "The number cannot be negative."),
                     ("Infinity", "Please write a number, e.g. 12.")):
        sent = await tg.say(MEMBER, bad)
        assert (sent[0].text or "").startswith(vi(why)) and entry in (sent[0].text or ""), bad
    for bad, shown in (("2,5", "2,5"), ("tám mươi lăm phẩy năm", "85,5")):  # a count is a whole number
        sent = await tg.say(MEMBER, bad)
        why = vi("A count is a whole number; you wrote {n}. Please write e.g. 12.", n=shown)
        assert (sent[0].text or "").startswith(why) and entry in (sent[0].text or ""), bad
    for bad in ("1e309", "10^12", "1,5e3", "2E5"):  # one token, a power of ten: never a count
        sent = await tg.say(MEMBER, bad)
        assert (sent[0].text or "").startswith(vi(
            "\"{text}\" is written as a power of ten, which I cannot count or store. "
            "Please write the number in full, e.g. 12 or 1.500.", text=bad)), bad
    sent = await tg.say(MEMBER, "99999999999999999999999999")
    assert vi("{v} is too large; please check the number.", v="99999999999999999999999999") in (sent[0].text or "")
    sent = await tg.say(MEMBER, "2000000")
    assert vi("{n} looks too large for one day; please check the number.", n="2.000.000") in (sent[0].text or "")
    assert await _rows(db) == {row: 8} and await _audit(db) == []
    sent = await tg.say(MEMBER, "mười một")
    assert line(1, date(2026, 12, 5), "payment", 11) in (sent[0].text or "")
    assert await _rows(db) == {row: 11}


async def test_no_corrections_after_the_deadline(tg: TelegramHarness, db: Database) -> None:
    org, me, _other = await _setup(db)
    row = await _log(db, org["commune"], org["napai"], me, date(2026, 12, 14), "skills", 30)
    refusal = vi("The deadline for correcting entries of {period} has passed ({due}). "
                 "To change an entry now, please contact {office}.", period=PERIOD, due="19/12/2026", office=OFFICE)
    tg.now = datetime(2026, 12, 19, 16, 50, tzinfo=UTC)  # 23:50 on the last allowed day
    sent = await tg.say(MEMBER, "/nhatky")
    assert vi("To correct a number, tap its entry (or type the entry's number). "
              "Corrections are possible until {due}.", due="19/12/2026") in (sent[0].text or "")
    await tg.tap(MEMBER, f"edit:{row}")
    tg.now = datetime(2026, 12, 19, 17, 1, tzinfo=UTC)  # 00:01 the next day
    sent = await tg.say(MEMBER, "35")
    assert sent[0].text == refusal and not sent[0].callback_data
    assert await _rows(db) == {row: 30} and await _audit(db) == []

    # Tapping an entry of a list shown before the deadline is refused too.
    tg.now = datetime(2026, 12, 19, 16, 55, tzinfo=UTC)
    await tg.say(MEMBER, "/nhatky")
    tg.now = datetime(2026, 12, 19, 17, 5, tzinfo=UTC)
    sent = await tg.tap(MEMBER, f"edit:{row}")
    assert sent[0].text == refusal
    # After the deadline /nhatky shows the next period, where this entry no longer belongs.
    sent = await tg.say(MEMBER, "/nhatky")
    assert "tháng 1/2027" in (sent[0].text or "") and not sent[0].callback_data
    assert await _rows(db) == {row: 30}


async def test_nothing_logged_yet_suggests_how(tg: TelegramHarness, db: Database) -> None:
    await _setup(db)
    sent = await tg.say(MEMBER, "/nhatky")
    assert sent[0].text == (vi("You have no activity log entries for {period} yet.", period=PERIOD) + "\n" + vi(
        "To log, just write what you did, e.g. \"hỗ trợ 5 người cài VNeID\", or type /ghinhan to go step by step."))
    assert not sent[0].callback_data


async def test_officer_is_told_politely(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Nguyễn Văn An", "officer", telegram_id=OFFICER)
    sent = await tg.say(OFFICER, "/nhatky")
    assert sent[0].text == (vi("Activity logs are kept by village digital teams; your unit is not a village.")
                            + "\n" + vi("To report on your unit's tasks and indicators, type /baocao."))
    assert not sent[0].callback_data
