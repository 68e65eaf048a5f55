"""A calendar the deployment can correct (file, table, `cdsbot holidays`), no duplicate H2 report, and
the lead office's steering-committee reminders of one day arriving as one message."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from locales.i18n import _, use_locale
from storage.calendar import holiday_table
from storage.calendar.calendar import (
    Stage,
    covering_stream,
    is_working_day,
    period_by_key,
    stage_moments,
)
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import AuditLog, HolidayOverride, Outbox, ReminderLog
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

STREAMS = {s.name: s for s in default_streams()}
LEAD = 7302


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


@pytest.fixture(autouse=True)
def _clean_calendar() -> Iterator[None]:
    """Each test starts from the package's holidays and leaves no correction behind for other tests."""
    holiday_table.reset()
    yield
    holiday_table.reset()


async def _cli(monkeypatch: pytest.MonkeyPatch, capsys, db_url: str, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# --- the calendar itself --------------------------------------------------------------------------
def test_package_tet_2027_then_file_corrections() -> None:
    # The package's Tết Đinh Mùi: Thursday 4/2 to Wednesday 10/2/2027.
    assert not is_working_day(d("2027-02-04")) and not is_working_day(d("2027-02-10"))
    assert is_working_day(d("2027-02-03")) and is_working_day(d("2027-02-11"))
    holiday_table.set_file_overrides(holiday_table.parse_file([
        {"start": "2027-02-11", "end": "2027-02-12", "name": "Nghỉ thêm (ví dụ)"},
        {"date": "2027-02-04", "working": True, "name": "Đi làm (ví dụ)"},
        {"date": "2027-02-13", "working": True},  # a make-up Saturday
    ]))
    assert is_working_day(d("2027-02-04"))
    assert not is_working_day(d("2027-02-11")) and not is_working_day(d("2027-02-12"))
    assert is_working_day(d("2027-02-13"))
    rows = {r[0]: r for r in holiday_table.effective_year(2027)}
    assert rows[d("2027-02-04")][2:] == ("file", "working")
    assert rows[d("2027-02-11")][1:] == ("Nghỉ thêm (ví dụ)", "file", "holiday")
    assert rows[d("2027-02-05")][2:] == ("package", "holiday")
    holiday_table.set_file_overrides({})
    assert not is_working_day(d("2027-02-04"))


@pytest.mark.parametrize("bad, reason", [
    ({"date": "2027-02-30"}, "must be a date"),
    ({"start": "2027-02-10", "end": "2027-02-01"}, "before it starts"),
    ({"start": "2027-01-01", "end": "2027-03-01"}, "at most 31 days"),
    ({"day": "2027-02-01"}, "unknown field 'day'"),
    ({"name": "Tết"}, "needs 'date'"),
    ("2027-02-01", "must be an object"),
])
def test_holidays_file_errors_name_the_entry(bad: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        holiday_table.parse_file([{"date": "2027-01-01"}, bad])
    assert str(info.value).startswith("entry #2")


def test_h2_is_covered_by_the_year_report() -> None:
    h2, h1 = period_by_key(STREAMS["steering_half_year"], "2026-H2"), period_by_key(STREAMS["steering_half_year"],
                                                                                 "2026-H1")
    streams = list(STREAMS.values())
    assert covering_stream(h2, streams) is STREAMS["steering_year"]
    assert covering_stream(h1, streams) is None
    assert covering_stream(period_by_key(STREAMS["steering_quarterly"], "2026-Q4"), streams) is None
    no_year = [s for s in streams if s.name != "steering_year"]
    assert covering_stream(h2, no_year) is None  # without a year report the second half is owed itself


# --- the table and the CLI ------------------------------------------------------------------------
async def test_cli_corrects_tet_2027_and_moves_a_reminder_stage(db: Database, db_url: str, capsys,  # noqa: ANN001
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)

    async def steering_stage(when: str) -> str | None:
        code, out, _err = await _cli(monkeypatch, capsys, db_url, "reminders", "preview", "--at", when, "--json")
        assert code == 0
        return next((r["stage"] for r in json.loads(out) if (r["stream"], r["period"]) == (
            "steering_monthly", "2027-01")), None)

    jan = period_by_key(STREAMS["steering_monthly"], "2027-01")  # due before 06/02/2027: last day Fri 5/2
    assert jan.last_day == d("2027-02-05")
    assert stage_moments(jan)[Stage.LAST_DAY] == at("2027-02-03T08:00+07:00")  # 4–5/2 are Tết (package)
    assert await steering_stage("2027-02-03T08:00+07:00") == "last_day"
    # Suppose the Government's decision keeps Thursday 4/2 as a working day and gives 11–12/2 off
    # (made-up days for the test; the real ones are whatever the decision says).
    code, out, err = await _cli(monkeypatch, capsys, db_url, "holidays", "remove", "2027-02-04",
                                "--name", "Chính phủ điều chỉnh")
    assert (code, err) == (0, "") and "1 day(s) marked as working days" in out
    code, out, err = await _cli(monkeypatch, capsys, db_url, "holidays", "add", "11/02/2027", "12/02/2027",
                                "--name", "Tết Nguyên đán (điều chỉnh)")
    assert (code, err) == (0, "") and "2 day(s) added or changed" in out
    async with db.session() as s:
        rows = (await s.exec(select(HolidayOverride).order_by(HolidayOverride.day))).all()  # type: ignore[arg-type]
        audit = (await s.exec(select(AuditLog.action).where(AuditLog.action.like("holidays.%")))).all()  # type: ignore[attr-defined]
    assert [(r.day, r.kind) for r in rows] == [(d("2027-02-04"), "working"), (d("2027-02-11"), "holiday"),
                                               (d("2027-02-12"), "holiday")]
    assert sorted(audit) == ["holidays.add", "holidays.remove"]
    # This worker has not read the table yet; a sweep (or the TTL) does.
    assert not is_working_day(d("2027-02-04"))
    async with db.session() as s:
        await holiday_table.refresh(s, force=True)
    assert is_working_day(d("2027-02-04")) and not is_working_day(d("2027-02-11"))
    assert stage_moments(jan)[Stage.LAST_DAY] == at("2027-02-04T08:00+07:00")
    holiday_table.reset()  # a fresh worker: the sweep (here its preview) reads the corrections itself
    assert await steering_stage("2027-02-03T08:00+07:00") == "before_1d"
    assert await steering_stage("2027-02-04T08:00+07:00") == "last_day"
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "holidays", "list", "--year", "2027", "--json")
    listed = {r["date"]: r for r in json.loads(out)}
    assert code == 0
    assert listed["2027-02-04"] | {} == {"date": "2027-02-04", "name": "Chính phủ điều chỉnh",
                                          "source": "database", "kind": "working"}
    assert listed["2027-02-11"]["source"] == "database" and listed["2027-02-11"]["kind"] == "holiday"
    assert listed["2027-02-05"]["source"] == "package" and listed["2027-01-01"]["source"] == "package"
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "holidays", "list", "--year", "2027")
    assert "WORKING DAY  database  Chính phủ điều chỉnh" in out
    # Removing an added day deletes its row; removing a plain working day changes nothing.
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "holidays", "remove", "2027-02-12")
    assert code == 0 and "1 added day(s) removed, 0 day(s)" in out
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "holidays", "remove", "2027-03-03")
    assert code == 0 and "nothing changed" in out
    async with db.session() as s:
        assert len((await s.exec(select(HolidayOverride))).all()) == 2


@pytest.mark.parametrize("args, message", [
    (("add", "2027-02-31", "--name", "x"), "is not a date"),
    (("add", "2027-02-10", "2027-02-01", "--name", "Tết"), "before it starts"),
    (("add", "2027-02-01", "--name", "   "), "--name must not be empty"),
    (("remove", "2027-01-01", "2027-06-01"), "at most 31 days"),
])
async def test_cli_refuses_bad_input_and_changes_nothing(db: Database, db_url: str, capsys,  # noqa: ANN001
                                                         monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
                                                         message: str) -> None:
    code, out, err = await _cli(monkeypatch, capsys, db_url, "holidays", *args)
    assert code == 2 and message in err and out == ""
    async with db.session() as s:
        assert (await s.exec(select(HolidayOverride))).all() == []


async def test_holidays_file_setting(tmp_path: Path) -> None:
    from bot.app import load_holidays_file
    from bot.config import load_settings
    from storage.errors import ConfigError

    good = tmp_path / "holidays.json"
    good.write_text(json.dumps([{"date": "2026-12-21", "name": "Ngày nghỉ địa phương"}]), encoding="utf-8")
    settings = load_settings({"CDSBOT_HOLIDAYS_FILE": str(good)}, env_file=None)
    load_holidays_file(settings.holidays_file)
    assert not is_working_day(d("2026-12-21"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"date": "21/12/2026"}]), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^CDSBOT_HOLIDAYS_FILE: entry #1: field 'date'"):
        load_holidays_file(str(bad))
    with pytest.raises(ConfigError, match="CDSBOT_HOLIDAYS_FILE"):
        load_settings({"CDSBOT_HOLIDAYS_FILE": str(tmp_path / "missing.json")}, env_file=None)


# --- the lead office's steering reminders on 4/12 ------------------------------------------------
async def test_steering_reminders_of_one_day_come_as_one_message(tg: TelegramHarness, db: Database) -> None:
    from reminders.sweep import run_sweep

    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    bot = tg.bot
    assert bot is not None and bot.outbox is not None
    tg.now = at("2026-12-04T08:00+07:00")  # Friday: 6/12 is a Sunday, so 4/12 is the last working day
    assert await run_sweep(bot, tg.now) == 1
    assert await run_sweep(bot, tg.now) == 0  # claimed once
    async with db.session() as s:
        claims = (await s.exec(select(ReminderLog.stream, ReminderLog.period, ReminderLog.stage))).all()
        outbox = (await s.exec(select(Outbox).where(Outbox.key.like("reminder:%")))).all()  # type: ignore[attr-defined]
    # Month (November), quarter IV and year 2026 — each claimed once; no separate second half-year.
    assert sorted(claims) == [("steering_monthly", "2026-11", "last_day"), ("steering_quarterly", "2026-Q4", "last_day"),
                              ("steering_year", "2026", "last_day")]
    assert len(outbox) == 1
    assert await bot.outbox.run_once() == 1
    sent = await tg.fake.wait_for_sent(1)
    tg.fake.take_sent()
    assert len(sent) == 1 and sent[0].chat_id == LEAD
    text = sent[0].text
    assert text.startswith("Nhắc việc: các báo cáo gửi Ban Chỉ đạo")
    for what, label in (("báo cáo tháng gửi Ban Chỉ đạo", "tháng 11/2026"),
                        ("báo cáo quý gửi Ban Chỉ đạo", "quý IV/2026"),
                        ("báo cáo năm gửi Ban Chỉ đạo", "năm 2026")):
        assert f"• {vi(what)} — {label}: " + vi("due {due} — today is the last working day before it",
                                                due="trước ngày 06/12/2026") in text  # the last day is Saturday
    assert vi("báo cáo 6 tháng gửi Ban Chỉ đạo") not in text
    assert sent[0].callback_data == ["steersent:steering_monthly:2026-11", "steersent:steering_quarterly:2026-Q4",
                                     "steersent:steering_year:2026", "snooze:2h:steering:all",
                                     "snooze:tomorrow:steering:all"]
    # Each button records its own report; a snooze brings back only what is still owed, as one message.
    reminder = tg.last[LEAD] = sent[0]
    reply = await tg.tap(LEAD, "steersent:steering_quarterly:2026-Q4")
    assert reply[0].text == vi("Recorded: the report to {recipient} for {period} was sent.", recipient="Ban Chỉ đạo",
                               period="quý IV/2026")
    tg.last[LEAD] = reminder
    reply = await tg.tap(LEAD, "snooze:2h:steering:all")
    assert reply[0].text == vi("All right, I will remind you again at {at}.", at="10:00 4/12/2026")
    assert await bot.outbox.run_once() == 0
    tg.now = at("2026-12-04T10:00:01+07:00")
    assert await bot.outbox.run_once() == 1
    again = (await tg.fake.wait_for_sent(1))[0]
    tg.fake.take_sent()
    assert vi("báo cáo tháng gửi Ban Chỉ đạo") in again.text
    assert vi("báo cáo năm gửi Ban Chỉ đạo") in again.text
    assert vi("báo cáo quý gửi Ban Chỉ đạo") not in again.text
    assert again.callback_data == ["steersent:steering_monthly:2026-11", "steersent:steering_year:2026"]
    # The next working day only the two still owed are reminded (overdue), again as one message.
    tg.now = at("2026-12-07T08:00+07:00")
    assert await run_sweep(bot, tg.now) == 1
    async with db.session() as s:
        overdue = (await s.exec(select(ReminderLog.stream).where(ReminderLog.stage == "overdue"))).all()
    assert sorted(overdue) == ["steering_monthly", "steering_year"]
    # /hanbaocao owes no second-half report either (the next half-year report is H1 2027).
    sent = await tg.say(LEAD, "/hanbaocao")
    assert "6 tháng cuối năm 2026" not in sent[0].text and "6 tháng đầu năm 2027" in sent[0].text
    assert "năm 2026" in sent[0].text


async def test_h2_comes_back_when_the_year_stream_is_switched_off(db: Database) -> None:
    from tests.test_streams import ADMIN, Chat, _preview, two_communes

    await two_communes(db)
    chat = Chat(db, "2026-12-02T10:00+07:00")
    await chat.say(ADMIN, "/lich")
    out = await chat.say(ADMIN, payload="steering_half_year")
    assert vi("Next deadline: {period}, {due}.", period="6 tháng đầu năm 2027", due="trước ngày 06/06/2027") \
        in out[0].text
    await chat.say(ADMIN, payload="cancel")
    got = await _preview(chat.services, "2026-12-02T08:00+07:00")
    assert not [p for p in got if p["stream"] == "steering_half_year"]
    await chat.say(ADMIN, "/lich")
    await chat.say(ADMIN, payload="steering_year")
    await chat.say(ADMIN, payload="toggle")
    await chat.say(ADMIN, payload="save")
    await chat.say(ADMIN, payload="save")
    got = await _preview(chat.services, "2026-12-02T08:00+07:00")
    assert {(p["stream"], p["period"], p["stage"]) for p in got if p["stream"] == "steering_half_year"} == {
        ("steering_half_year", "2026-H2", "before_3d")}


async def test_typed_snooze_after_grouped_steering_reminders_snoozes_them_all(tg: TelegramHarness,
                                                                               db: Database) -> None:
    from reminders.sweep import run_sweep

    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    assert tg.bot is not None
    tg.now = at("2026-12-04T08:00+07:00")
    assert await run_sweep(tg.bot, tg.now) == 1
    tg.now = at("2026-12-04T09:00+07:00")
    reply = await tg.say(LEAD, "nhắc lại sau 2 giờ")
    assert reply[0].text == vi("All right, I will remind you again at {at}.", at="11:00 4/12/2026")
    async with db.session() as s:
        row = (await s.exec(select(Outbox).where(Outbox.key.like("snooze:%")))).one()  # type: ignore[attr-defined]
    assert row.next_attempt_at == at("2026-12-04T11:00+07:00")
    payload = json.dumps(row.payload)
    assert all(f"steersent:{k}" in payload for k in ("steering_monthly:2026-11", "steering_quarterly:2026-Q4",
                                                     "steering_year:2026"))
