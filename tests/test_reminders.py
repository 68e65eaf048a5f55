"""Reminder sweeps: stages, exactly-once under restarts and concurrency, catch-up, quiet hours,
digest, snooze, and a sweep end to end through the fake Telegram server. Time is set, never slept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.cli import main
from bot.config import load_settings
from handlers.services import Services
from storage.db import Database
from storage.models import Outbox, Person, ReminderLog, Report, ReportingPeriod
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def setup_people(db: Database) -> dict[str, int]:
    org = await make_org(db)
    ids = dict(org)
    ids["officer"] = await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=9001)
    ids["lead"] = await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=9002)
    ids["member"] = await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=9003)
    ids["offline"] = await add_person(db, org["khuoi"], "Đinh Thị Ba", "member")  # never joined a channel
    return ids


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[BotApp]:
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None)
    db = Database(db_url)
    clock = {"now": at("2026-12-16T08:00+07:00")}
    services = Services(db=db, tz=HCM, clock=lambda: clock["now"])
    bot = BotApp.build(settings, db=db, services=services)
    bot.build_outbox()
    bot.services.extra["clock"] = clock
    try:
        yield bot
    finally:
        await db.dispose()


async def planned(bot: BotApp, when: str) -> list[dict]:
    from reminders.sweep import preview

    async with bot.db.session() as s:
        return [p.as_json() for p in await preview(s, bot.services, at(when))]


async def test_stages_and_unreachable(app: BotApp) -> None:
    await setup_people(app.db)
    got = await planned(app, "2026-12-16T08:00+07:00")
    by_person = {(p["person"], p["stream"]): p for p in got}
    assert by_person[("Hoàng Văn Nam", "unit_monthly")]["stage"] == "before_3d"
    assert by_person[("Trần Thị Lan", "unit_monthly")]["stage"] == "before_3d"  # lead office is a unit too
    assert by_person[("Lò Văn Minh", "village_monthly")]["channel"] == "telegram"
    assert by_person[("Đinh Thị Ba", "village_monthly")]["channel"] is None
    assert all(p["period"] == "2026-12" and p["due"] == "trước ngày 20/12/2026" for p in got)
    # 19/12/2026 is a Saturday: officers get the last-day reminder on Friday 18/12.
    fri = {p["person"]: p["stage"] for p in await planned(app, "2026-12-18T08:00+07:00")}
    assert fri["Hoàng Văn Nam"] == "last_day"
    assert fri["Lò Văn Minh"] == "before_1d"  # the village stream reminds at weekends: Saturday is its last day
    sat = {p["person"]: p["stage"] for p in await planned(app, "2026-12-19T08:00+07:00")}
    assert "Hoàng Văn Nam" not in sat and "Trần Thị Lan" not in sat
    assert sat["Lò Văn Minh"] == sat["Đinh Thị Ba"] == "last_day"
    assert await planned(app, "2026-12-16T22:00+07:00") == []  # quiet hours


async def test_person_asking_for_weekend_reminders(app: BotApp) -> None:
    """A person's own weekend_reminders flag extends the stream's rule (never narrows it): this officer asked to
    be reminded at weekends too, so his last day is Saturday 19/12 like the village teams'."""
    ids = await setup_people(app.db)
    async with app.db.transaction() as s:
        officer = await s.get(Person, ids["officer"])
        assert officer is not None
        officer.weekend_reminders = True
    fri = {(p["person"], p["stream"]): p["stage"] for p in await planned(app, "2026-12-18T08:00+07:00")}
    assert fri[("Hoàng Văn Nam", "unit_monthly")] == fri[("Lò Văn Minh", "village_monthly")] == "before_1d"
    assert fri[("Trần Thị Lan", "unit_monthly")] == "last_day"  # the lead did not ask: Friday is her last day
    sat = {(p["person"], p["stream"]): p["stage"] for p in await planned(app, "2026-12-19T08:00+07:00")}
    assert sat == {("Hoàng Văn Nam", "unit_monthly"): "last_day", ("Lò Văn Minh", "village_monthly"): "last_day",
                   ("Đinh Thị Ba", "village_monthly"): "last_day"}


async def test_exactly_once_across_restarts_and_concurrent_sweeps(app: BotApp) -> None:
    from reminders.sweep import run_sweep

    await setup_people(app.db)
    now = at("2026-12-16T08:00+07:00")
    first = await run_sweep(app, now)
    assert first == 3  # officer, lead (unit report), member (village); the offline member is skipped
    assert await run_sweep(app, now) == 0  # a restart or a second timer at the same moment
    later = await asyncio.gather(*(run_sweep(app, at("2026-12-17T16:00+07:00")) for _ in range(3)))
    # before_1d of the offices' December report (Thu 17/12, as 19/12 is a Saturday) for the officer and the
    # lead, and before_3d of the lead office's compiled report (due before the 22nd), each sent once whatever
    # the number of sweeps. The village stream reminds at weekends: the member's before_1d is Friday 18/12.
    assert sorted(later) == [0, 0, 3]
    results = await asyncio.gather(*(run_sweep(app, at("2026-12-18T08:00+07:00")) for _ in range(3)))
    # last_day (moved to Friday) for the officer and the lead, before_1d for the member and the lead's report
    assert sorted(results) == [0, 0, 4]
    saturday = await asyncio.gather(*(run_sweep(app, at("2026-12-19T08:00+07:00")) for _ in range(3)))
    assert sorted(saturday) == [0, 0, 1]  # Saturday 19/12, the last day: the village member only
    async with app.db.session() as s:
        keys = (await s.exec(select(ReminderLog.key))).all()
        outbox = (await s.exec(select(Outbox))).all()
    assert len(keys) == len(set(keys)) == 11
    assert len(outbox) == 11 and len({o.key for o in outbox}) == 11


async def test_catch_up_after_downtime_sends_only_latest_stage(app: BotApp) -> None:
    from reminders.sweep import run_sweep

    ids = await setup_people(app.db)
    # The bot was down on 16/12 and 17/12; the first sweep after is on Friday 18/12: the missed before_3d
    # (16/12) and, for the officers, before_1d (17/12) are dropped for the latest stage. Officers: last_day
    # (moved off Saturday 19/12); the village stream reminds at weekends, so its member's Friday is before_1d.
    await run_sweep(app, at("2026-12-18T08:00+07:00"))
    async with app.db.session() as s:
        stages = {(r.stream, r.person_id, r.stage) for r in (await s.exec(select(ReminderLog))).all()}
    december = {(p, st) for stream, p, st in stages if stream != "lead_monthly"}
    assert december == {(ids["officer"], "last_day"), (ids["lead"], "last_day"), (ids["member"], "before_1d")}
    assert {st for stream, _p, st in stages if stream == "lead_monthly"} == {"before_1d"}


async def test_overdue_digest_and_no_overdue_after_report(app: BotApp) -> None:
    from reminders.sweep import run_sweep

    ids = await setup_people(app.db)
    # The officer's unit reports late, on Sunday 20/12, before the overdue sweep on Monday 21/12.
    async with app.db.transaction() as s:
        rp = ReportingPeriod(commune_id=ids["commune"], stream="unit_monthly", key="2026-12",
                             start=datetime(2026, 11, 15).date(), end=datetime(2026, 12, 14).date(),
                             due=at("2026-12-19T23:59:59.999999+07:00"))
        s.add(rp)
        await s.flush()
        s.add(Report(period_id=rp.id, unit_id=ids["hcc"], person_id=ids["officer"],
                     submitted_at=at("2026-12-20T10:00+07:00"), late=True))
    got = await planned(app, "2026-12-21T08:00+07:00")
    overdue = {(p["person"], p["stream"]) for p in got if p["stage"] == "overdue"}
    assert ("Hoàng Văn Nam", "unit_monthly") not in overdue
    assert ("Trần Thị Lan", "unit_monthly") in overdue  # the lead office's own unit report is missing
    digest = next(p for p in got if p["stage"] == "digest" and p["stream"] == "unit_monthly")
    assert digest["person"] == "Trần Thị Lan"
    assert digest["late"] == ["Trung tâm Phục vụ hành chính công"]
    assert digest["missing"] == ["Phòng Văn hóa - Xã hội"]
    village = next(p for p in got if p["stage"] == "digest" and p["stream"] == "village_monthly")
    assert village["missing"] == ["Thôn Khuổi Luông", "Thôn Nà Pài"] and village["unreachable"] == ["Đinh Thị Ba"]
    # A reminder the platform refused on every channel also makes the person "not reachable".
    async with app.db.transaction() as s:
        s.add(Outbox(key=f"reminder:village_monthly:2026-12:{ids['member']}:last_day", person_id=ids["member"],
                     channel="zalo", chat_id="z1", payload={"text": "x"}, status="failed"))
    # Another commune of the same deployment: its member's reminder failed too (the key names no commune).
    other = await make_org(app.db, "Hòa An")
    far = await add_person(app.db, other["napai"], "Vi Văn Xa", "member", telegram_id=9101)
    async with app.db.transaction() as s:
        s.add(Outbox(key=f"reminder:village_monthly:2026-12:{far}:last_day", person_id=far,
                     channel="telegram", chat_id="9101", payload={"text": "x"}, status="failed"))
    got = await planned(app, "2026-12-21T08:00+07:00")
    village = next(p for p in got if p["stage"] == "digest" and p["stream"] == "village_monthly"
                   and p["person"] == "Trần Thị Lan")
    assert village["unreachable"] == ["Đinh Thị Ba"] and village["undelivered"] == ["Lò Văn Minh"]  # not Vi Văn Xa
    await run_sweep(app, at("2026-12-21T08:00+07:00"))
    assert await planned(app, "2026-12-21T16:00+07:00") == [
        p for p in await planned(app, "2026-12-21T16:00+07:00") if p["channel"] is None]


async def test_preview_cli(app: BotApp, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    await setup_people(app.db)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, ["reminders", "preview", "--at", "2026-12-17T08:00+07:00",
                                          "--commune", "Thiện Tân", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {tuple(sorted(r)) for r in rows} == {("channel", "due", "period", "person", "stage", "stream", "unit")}
    # 19/12/2026 is a Saturday, so Thursday 17/12 is already "one day before" for the officer; the village
    # stream reminds at weekends (its before_1d is Friday 18/12): its member still gets Wednesday's before_3d,
    # never claimed as she cannot be reached.
    assert {(r["person"], r["stage"]) for r in rows} >= {("Hoàng Văn Nam", "before_1d"), ("Đinh Thị Ba", "before_3d")}
    assert next(r for r in rows if r["person"] == "Đinh Thị Ba")["channel"] is None


async def test_sweep_end_to_end_with_snooze(tg: TelegramHarness, db: Database) -> None:
    from reminders.sweep import run_sweep

    await setup_people(db)
    bot = tg.bot
    assert bot is not None and bot.outbox is not None
    tg.now = at("2026-12-16T08:00+07:00")
    assert await run_sweep(bot, tg.now) == 3
    assert await bot.outbox.run_once() == 3
    sent = await tg.fake.wait_for_sent(3)
    tg.fake.take_sent()
    to_member = next(m for m in sent if m.chat_id == 9003)
    assert "20/12/2026" in to_member.text
    assert to_member.callback_data == ["snooze:2h:village_monthly:2026-12", "snooze:tomorrow:village_monthly:2026-12"]
    tg.last[9003] = to_member
    reply = await tg.tap(9003, "snooze:2h:village_monthly:2026-12")
    assert "10:00" in reply[0].text
    async with db.session() as s:
        pending = (await s.exec(select(Outbox).where(Outbox.status == "pending"))).all()
    assert len(pending) == 1 and pending[0].next_attempt_at == at("2026-12-16T10:00+07:00")
    assert await bot.outbox.run_once() == 0  # not yet
    tg.now = at("2026-12-16T10:00:01+07:00")
    assert await bot.outbox.run_once() == 1
    again = await tg.fake.wait_for_sent(1)
    assert again[0].chat_id == 9003 and "20/12/2026" in again[0].text
    tg.fake.take_sent()
    # Typed snooze: "nhắc lại sau 3 giờ" at 20:00 would land in quiet hours → 07:30 next morning.
    tg.now = at("2026-12-16T20:00+07:00")
    reply = await tg.say(9001, "nhắc lại sau 3 giờ")
    assert "07:30" in reply[0].text
    async with db.session() as s:
        officer = (await s.exec(select(Person).where(Person.name == "Hoàng Văn Nam"))).one()
        rows = (await s.exec(select(Outbox).where(Outbox.person_id == officer.id, Outbox.status == "pending"))).all()
    assert [r.next_attempt_at for r in rows] == [at("2026-12-17T07:30+07:00")]
    assert (datetime.now(UTC) - tg.now).days < 10_000  # clock is the test's, not the machine's


async def test_reminder_words_count_the_days_from_the_sweeps_moment(tg: TelegramHarness, db: Database) -> None:
    """A sweep run for another moment than the clock's (`cdsbot reminders sweep --at`, a late sweep) words the days
    left from that moment: the count, "tomorrow / today is the last day" and "the last working day before it"."""
    from reminders.sweep import run_sweep

    await setup_people(db)
    bot = tg.bot
    assert bot is not None and bot.outbox is not None
    tg.now = at("2026-12-10T10:00+07:00")  # the wall clock stays a week before the sweeps' moments
    got: dict[str, dict[int, str]] = {}
    for when in ("2026-12-17T08:00+07:00", "2026-12-18T08:00+07:00", "2026-12-19T08:00+07:00"):
        n = await run_sweep(bot, at(when))
        assert await bot.outbox.run_once() == n
        got[when[:10]] = {int(m.chat_id): m.text.splitlines()[0] for m in await tg.fake.wait_for_sent(n)}
        tg.fake.take_sent()
    officer, lead, member = 9001, 9002, 9003
    # Thursday 17/12. The lead office's report (before 22/12: Monday 21/12 is the last day) gets "3 days before"
    # on Thursday, as Friday 18/12 is its "1 day before" over the weekend: 4 days left. The village teams (last day
    # Saturday 19/12) missed theirs on Wednesday: caught up with 2 days left. Officers (not at weekends): Thursday
    # is the day before their last working day, Friday.
    day = got["2026-12-17"]
    assert day[lead].endswith("hạn nộp trước ngày 22/12/2026 — còn 4 ngày."), day
    assert day[member].endswith("hạn nộp trước ngày 20/12/2026 — còn 2 ngày."), day
    assert day[officer].endswith("hạn nộp trước ngày 20/12/2026 — ngày mai là ngày làm việc cuối cùng trước hạn."), day
    day = got["2026-12-18"]  # Friday
    assert day[member].endswith("— ngày mai là ngày cuối cùng."), day  # the villages' last day is Saturday
    assert day[officer].endswith("— hôm nay là ngày làm việc cuối cùng trước hạn."), day
    assert day[lead].endswith("— ngày mai là ngày làm việc cuối cùng trước hạn."), day  # Monday is the last day
    day = got["2026-12-19"]  # Saturday: the village teams only
    assert set(day) == {member} and day[member].startswith("Hôm nay là ngày cuối cùng để nộp "), day
