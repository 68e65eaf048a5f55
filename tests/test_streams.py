"""Reporting streams per commune: overrides in previews and status, the CLI, /lich, steering reports."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.cli import main
from handlers.dispatch import Dispatcher
from handlers.messages import Capabilities, Incoming, Outgoing
from handlers.services import Services
from locales.i18n import _, use_locale
from reminders.actions import BUTTON_ACTIONS
from reminders.sweep import preview
from storage.calendar.commune_streams import (
    commune_streams,
    invalidate,
    merge,
    parse_settings,
    save_stream,
)
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import AuditLog, Commune, ReminderLog, Report, StreamSetting
from tests.seed import add_person, make_org

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAPS = Capabilities(buttons=True, max_text=4096)
OFFICER, LEAD, MEMBER, OTHER_OFFICER, ADMIN = 7101, 7102, 7103, 7201, 7104


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def rule(day: str, when: str = "of each month", by_end: bool = False) -> str:
    """A due rule as /lich words it, e.g. "trước ngày 20 hằng tháng"."""
    return vi("by the end of day {day}" if by_end else "before day {day}", day=day) + " " + vi(when)


async def two_communes(db: Database) -> dict[str, int]:
    org = await make_org(db)
    other = await make_org(db, "Tiêu Cần")
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    await add_person(db, org["vhxh"], "Vi Văn Quản", "admin", telegram_id=ADMIN)
    await add_person(db, other["hcc"], "Lê Thị Hoa", "officer", telegram_id=OTHER_OFFICER)
    return {"commune": org["commune"], "other": other["commune"]}


class Chat:
    """One Dispatcher with a settable clock; people talk over the Telegram identities of tests.seed."""

    def __init__(self, db: Database, now: str) -> None:
        self.now = at(now)
        self.services = Services(db=db, tz=HCM, clock=lambda: self.now)
        self.bot = Dispatcher(self.services, actions=BUTTON_ACTIONS)
        self.last: list[Outgoing] = []

    async def say(self, user: int, text: str | None = None, payload: str | None = None) -> list[Outgoing]:
        msg = Incoming(channel="telegram", user_id=str(user), chat_id=str(user), update_id=uuid.uuid4().hex,
                       received_at=self.now, text=text, payload=payload)
        self.last = await self.bot.handle(msg, CAPS)
        return self.last

    def payloads(self) -> list[str]:
        return [c.payload for o in self.last for c in o.choices]


async def _preview(services: Services, when: str, commune: int | None = None) -> list[dict]:
    async with services.db.session() as s:
        c = await s.get(Commune, commune) if commune else None
        return [p.as_json() | {"key": p.key} for p in await preview(s, services, at(when), c)]


# --- pure merging and validation -------------------------------------------------------------
def test_merge_overrides_adds_and_switches_off() -> None:
    base = default_streams()
    table = merge(base, {"unit_monthly": {"due_day": 18, "inclusive": True}, "steering_year": {"enabled": False},
                         "weekly_hcc": {"kind": "unit_report", "reporter_roles": ["officer"], "frequency": "weekly",
                                        "recipient": "UBND xã", "due_day": 1}})
    unit = table.named("unit_monthly")
    assert (unit.due_day, unit.inclusive, unit.reporter_roles) == (18, True, ("officer",))
    assert not table.is_enabled("steering_year") and "steering_year" not in [s.name for s in table.enabled]
    assert table.named("weekly_hcc").frequency == "weekly"
    assert table.overridden == {"unit_monthly", "steering_year", "weekly_hcc"}
    # A stored row that no longer validates falls back to the default instead of breaking the commune.
    assert merge(base, {"unit_monthly": {"due_day": 99}}).named("unit_monthly").due_day == 20


def test_parse_settings_errors_name_the_entry() -> None:
    base = default_streams()
    with pytest.raises(ValueError, match=r"stream #1 \('unit_monthly'\): field 'due_day'"):
        parse_settings([{"name": "unit_monthly", "due_day": 40}], base)
    with pytest.raises(ValueError, match="cannot be changed"):
        parse_settings([{"name": "unit_monthly", "kind": "lead_report"}], base)
    with pytest.raises(ValueError, match="field 'enabled'"):
        parse_settings([{"name": "unit_monthly", "enabled": "no"}], base)
    with pytest.raises(ValueError, match="missing field 'kind'"):
        parse_settings([{"name": "brand_new", "due_day": 3}], base)


# --- a commune's override changes its own deadlines only -------------------------------------
async def test_override_changes_preview_and_status_for_that_commune_only(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    ids = await two_communes(db)
    services = Services(db=db, tz=HCM)
    # Before any setting both communes' officers get "3 days before" on Wednesday 16/12.
    got = await _preview(services, "2026-12-16T08:00+07:00")
    assert {(p["person"], p["stage"]) for p in got if p["stream"] == "unit_monthly"} >= {
        ("Hoàng Văn Nam", "before_3d"), ("Lê Thị Hoa", "before_3d")}
    async with db.transaction() as s:
        unit = (await commune_streams(s, services, ids["commune"])).named("unit_monthly")
        await save_stream(s, services, ids["commune"], unit.__class__(**{**unit.__dict__, "due_day": 18}), True)
        village = (await commune_streams(s, services, ids["commune"])).named("village_monthly")
        await save_stream(s, services, ids["commune"], village, False)
    got = await _preview(services, "2026-12-14T08:00+07:00")
    unit_rows = {p["person"]: p for p in got if p["stream"] == "unit_monthly"}
    assert unit_rows["Hoàng Văn Nam"]["stage"] == "before_3d"
    assert unit_rows["Hoàng Văn Nam"]["due"] == "trước ngày 18/12/2026"
    assert "Lê Thị Hoa" not in unit_rows  # Tiêu Cần keeps "before the 20th"
    got = await _preview(services, "2026-12-16T08:00+07:00")
    assert not [p for p in got if p["stream"] == "village_monthly" and p["person"] == "Lò Văn Minh"]  # switched off
    assert {p["due"] for p in got if p["person"] == "Lê Thị Hoa"} == {"trước ngày 20/12/2026"}

    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    dues = {}
    for name in ("Thiện Tân", "Tiêu Cần"):
        code = await asyncio.to_thread(main, ["status", "--commune", name, "--at", "2026-12-10T10:00+07:00",
                                              "--json"])
        assert code == 0
        data = json.loads(capsys.readouterr().out)
        dues[name] = next(st["due"] for st in data["streams"] if st["name"] == "unit_monthly")
    assert dues == {"Thiện Tân": "2026-12-17T23:59:59.999999+07:00", "Tiêu Cần": "2026-12-19T23:59:59.999999+07:00"}


# --- the CLI ----------------------------------------------------------------------------------
async def _cli(monkeypatch: pytest.MonkeyPatch, capsys, db_url: str, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_cli_set_show_reset(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys,  # noqa: ANN001
                                  tmp_path: Path) -> None:
    await two_communes(db)
    good = tmp_path / "streams.json"
    good.write_text(json.dumps([{"name": "unit_monthly", "due_day": 18, "inclusive": True},
                                {"name": "steering_year", "enabled": False}]), encoding="utf-8")
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", "Thiện Tân", str(good))
    assert code == 0 and "2 stream setting(s)" in out
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "show", "--commune", "Thiện Tân", "--json")
    shown = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and (shown["unit_monthly"]["due_day"], shown["unit_monthly"]["inclusive"]) == (18, True)
    assert shown["steering_year"]["enabled"] is False and shown["lead_monthly"]["enabled"] is True
    # `show --json` output is a valid `set` file: setting it again changes nothing.
    again = tmp_path / "again.json"
    again.write_text(out, encoding="utf-8")
    assert (await _cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", "Thiện Tân", str(again)))[0] == 0
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "show", "--commune", "Tiêu Cần")
    assert code == 0 and "unit_monthly" in out and "customised" not in out
    async with db.session() as s:
        before = [(r.name, r.config) for r in (await s.exec(select(StreamSetting).order_by(StreamSetting.name))).all()]
    assert before == [("steering_year", {"enabled": False}), ("unit_monthly", {"due_day": 18, "inclusive": True})]

    bad = tmp_path / "bad.json"
    for content in ('[{"name": "unit_monthly", "due_day": 18}, {"name": "lead_monthly", "due_day": 40}]',
                    '{"name": "unit_monthly"}', "[{not json", '[{"name": "unit_monthly", "kind": "lead_report"}]'):
        bad.write_text(content, encoding="utf-8")
        code, out, err = await _cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", "Thiện Tân", str(bad))
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    # seed 001's quarterly unit report: a stream the bot does not collect is refused, not saved to do nothing
    bad.write_text(json.dumps([{"name": "unit_quarterly", "kind": "unit_report", "reporter_roles": ["officer"],
                                "recipient": "Văn phòng Đảng ủy", "frequency": "quarterly", "due_day": 6}]),
                   encoding="utf-8")
    code, out, err = await _cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", "Thiện Tân", str(bad))
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "'unit_quarterly': the bot does not collect such a report" in err and "unit_monthly" in err, err
    code, _out, err = await _cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", "Nowhere", str(good))
    assert code == 2 and err.startswith("error: ")
    async with db.session() as s:
        after = [(r.name, r.config) for r in (await s.exec(select(StreamSetting).order_by(StreamSetting.name))).all()]
    assert after == before  # nothing written by a bad file

    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "reset", "--commune", "Thiện Tân",
                                 "--stream", "unit_monthly")
    assert code == 0 and "1 setting(s) removed" in out
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "show", "--commune", "Thiện Tân", "--json")
    shown = {r["name"]: r for r in json.loads(out)}
    assert shown["unit_monthly"]["due_day"] == 20 and shown["steering_year"]["enabled"] is False
    code, out, _err = await _cli(monkeypatch, capsys, db_url, "streams", "reset", "--commune", "Thiện Tân")
    assert code == 0 and "1 setting(s) removed" in out
    async with db.session() as s:
        assert (await s.exec(select(StreamSetting))).all() == []
        actions = [a.action for a in (await s.exec(select(AuditLog).order_by(AuditLog.id))).all()]
    assert actions == ["streams.update", "streams.update", "streams.reset", "streams.reset"]


# --- /lich in chat ----------------------------------------------------------------------------
@pytest.fixture
async def chat(db: Database) -> AsyncIterator[Chat]:
    await two_communes(db)
    yield Chat(db, "2026-12-10T10:00+07:00")


async def test_schedule_conversation_end_to_end(chat: Chat, db: Database) -> None:
    out = await chat.say(LEAD, "/lịch")
    assert out[0].text.startswith(vi("Reporting schedule of your commune:"))
    assert rule("20") in out[0].text and rule("06", "of the following month") in out[0].text
    assert "unit_monthly" in chat.payloads() and "close" in chat.payloads()
    out = await chat.say(LEAD, payload="unit_monthly")
    assert "trước ngày 20/12/2026" in out[0].text
    await chat.say(LEAD, payload="day")
    for wrong in ("31", "0", "ba mươi mốt", "mười tám phẩy năm", "18.5", "１８", "²", "-5", "1e1"):
        out = await chat.say(LEAD, wrong)
        assert out[0].text.startswith(vi("The due day must be a whole number from {min} to {max}, so it exists in "
                                         "every month.", min=1, max=28))
    out = await chat.say(LEAD, "ngày mười tám")  # words, as everywhere a number is asked
    assert rule("18") in out[0].text and "trước ngày 18/12/2026" in out[0].text
    await chat.say(LEAD, payload="rule")
    out = await chat.say(LEAD, "2")  # "by the end of day 18", typed as its number
    assert rule("18", by_end=True) in out[0].text
    await chat.say(LEAD, payload="cutoff")
    out = await chat.say(LEAD, payload="calendar")
    assert vi("data by calendar month") in out[0].text
    out = await chat.say(LEAD, payload="save")
    assert out[0].text.startswith(vi("Save this schedule?")) and rule("20") in out[0].text
    out = await chat.say(LEAD, payload="save")
    assert out[0].text.startswith(vi("Saved. {title}:", title="X").split("X")[0])
    async with db.session() as s:
        row = (await s.exec(select(StreamSetting))).one()
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "streams.update"))).one()
    # a calendar month's report is due after the month: by the end of the 18th of the following month
    assert row.name == "unit_monthly" and row.config == {"due_day": 18, "inclusive": True, "cutoff": "calendar",
                                                         "due_month_offset": 1}
    assert audit.detail["changed"]["due_day"] == [20, 18] and audit.target.endswith(":unit_monthly")
    # The officer's /hanbaocao follows at once: by the end of 18/12, in calendar months.
    out = await chat.say(OFFICER, "/hanbaocao")
    assert "chậm nhất ngày 18/12/2026" in out[0].text
    # The other commune is untouched.
    out = await chat.say(OTHER_OFFICER, "/hanbaocao")
    assert "trước ngày 20/12/2026" in out[0].text


async def test_schedule_switch_off_weekends_cancel_and_refusal(chat: Chat, db: Database) -> None:
    for user in (OFFICER, MEMBER):
        out = await chat.say(user, "/schedule")
        assert out[0].text == vi("Sorry, that command is not available for your role. Type /trogiup to see yours.")
    await chat.say(ADMIN, "lich bao cao")  # typed without slash or diacritics
    await chat.say(ADMIN, payload="village_monthly")
    assert "weekend" in chat.payloads()
    await chat.say(ADMIN, payload="weekend")
    out = await chat.say(ADMIN, payload="toggle")
    assert vi("switched off") in out[0].text and vi("no reminders at weekends") in out[0].text
    out = await chat.say(ADMIN, "/huy")
    assert out[0].text == vi("Cancelled. Discarded: {what}. Nothing was saved.",
                             what=vi("changes to the reporting schedule, not saved"))
    await chat.say(ADMIN, "/lich")
    await chat.say(ADMIN, payload="steering_monthly")
    assert "weekend" not in chat.payloads()
    await chat.say(ADMIN, payload="toggle")
    await chat.say(ADMIN, payload="cancel")
    assert chat.last[0].text == vi("Cancelled. The schedule was not changed.")
    async with db.session() as s:
        assert (await s.exec(select(StreamSetting))).all() == []
        assert (await s.exec(select(AuditLog))).all() == []
    # And a real switch-off: the steering year report, saved from the confirm screen.
    await chat.say(ADMIN, "/lich")
    await chat.say(ADMIN, payload="steering_year")
    await chat.say(ADMIN, payload="toggle")
    await chat.say(ADMIN, payload="save")
    await chat.say(ADMIN, payload="save")
    async with db.session() as s:
        assert (await s.exec(select(StreamSetting))).one().config == {"enabled": False}
    out = await chat.say(ADMIN, "/lich")
    assert f"— {vi('off')}" in " ".join(c.label for o in out for c in o.choices)


# --- steering-committee reports ----------------------------------------------------------------
async def test_steering_reminded_then_stopped_once_recorded(chat: Chat, db: Database) -> None:
    services = chat.services
    # The November report to the steering committee is due before 06/12/2026 (Sunday), with Q4 and the
    # year (which covers the second half): Wednesday 2/12 is "3 days before" for the lead office only.
    got = await _preview(services, "2026-12-02T08:00+07:00")
    steering = [p for p in got if p["stream"].startswith("steering_")]
    assert {(p["person"], p["stream"], p["period"], p["stage"]) for p in steering} == {
        ("Trần Thị Lan", "steering_monthly", "2026-11", "before_3d"),
        ("Trần Thị Lan", "steering_quarterly", "2026-Q4", "before_3d"),
        ("Trần Thị Lan", "steering_year", "2026", "before_3d")}
    assert {p["due"] for p in steering} == {"trước ngày 06/12/2026"}
    # The sweep claims it once; the reminder carries a "sent" button.
    from bot.app import BotApp
    from bot.config import load_settings
    from reminders.sweep import run_sweep

    bot = BotApp.build(load_settings({"DATABASE_URL": "sqlite:///unused.db"}, env_file=None), db=db,
                       services=services)
    chat.now = at("2026-12-02T08:00+07:00")
    first = await run_sweep(bot, chat.now)
    assert first >= 1 and await run_sweep(bot, chat.now) == 0  # exactly once
    async with db.session() as s:
        keys = set((await s.exec(select(ReminderLog.key))).all())
    assert any(k.startswith("steering_monthly:2026-11:") for k in keys)
    async with db.session() as s:
        from storage.models import Outbox

        queued = (await s.exec(select(Outbox).where(Outbox.key.like("reminder:steering_monthly:%")))).one()  # type: ignore[attr-defined]
    assert "steersent:steering_monthly:2026-11" in json.dumps(queued.payload)
    # /hanbaocao lists it for the lead, with a button to record it.
    out = await chat.say(LEAD, "/hanbaocao")
    assert "Báo cáo tháng gửi Ban Chỉ đạo" in out[0].text
    assert "steersent:steering_monthly:2026-11" in chat.payloads()
    out = await chat.say(OFFICER, payload="steersent:steering_monthly:2026-11")
    assert out[0].text == vi("Sorry, only the lead office can do that.")
    out = await chat.say(LEAD, payload="steersent:steering_monthly:2026-11")
    assert out[0].text == vi("Recorded: the report to {recipient} for {period} was sent.", recipient="Ban Chỉ đạo",
                             period="tháng 11/2026")
    out = await chat.say(LEAD, payload="steersent:steering_monthly:2026-11")
    assert out[0].text.startswith(vi("Already recorded: the report to {recipient} for {period} was sent.",
                                     recipient="Ban Chỉ đạo", period="tháng 11/2026"))
    async with db.session() as s:
        assert len((await s.exec(select(Report))).all()) == 1
        assert (await s.exec(select(AuditLog).where(AuditLog.action == "steering_report.sent"))).one()
    got = await _preview(services, "2026-12-03T08:00+07:00")
    assert {p["stream"] for p in got if p["stream"].startswith("steering_")} == {
        "steering_quarterly", "steering_year"}  # the monthly one is recorded: stopped
    out = await chat.say(LEAD, "/hanbaocao")
    assert "✅ " + vi("{what} for {period}: received", what="Báo cáo tháng gửi Ban Chỉ đạo",
                      period="tháng 11/2026") in out[0].text


async def test_steering_half_year_and_digest_to_admin(chat: Chat, db: Database) -> None:
    services = chat.services
    got = await _preview(services, "2026-06-03T08:00+07:00")  # Wed: H1, Q2 and May all due before 06/06
    assert {(p["stream"], p["period"], p["stage"]) for p in got if p["person"] == "Trần Thị Lan"
            and p["stream"].startswith("steering_")} == {("steering_monthly", "2026-05", "before_3d"),
                                                         ("steering_quarterly", "2026-Q2", "before_3d"),
                                                         ("steering_half_year", "2026-H1", "before_3d")}
    got = await _preview(services, "2026-06-08T08:00+07:00")  # Monday after: overdue + digest to the admin
    digests = [p for p in got if p["stage"] == "digest" and p["stream"] == "steering_half_year"]
    assert [(p["person"], p["missing"]) for p in digests] == [("Vi Văn Quản", ["Phòng Văn hóa - Xã hội"])]


async def test_cache_is_per_commune_and_invalidated_on_write(db: Database) -> None:
    ids = await two_communes(db)
    services = Services(db=db, tz=HCM)
    async with db.transaction() as s:
        a = await commune_streams(s, services, ids["commune"])
        assert a is await commune_streams(s, services, ids["commune"])  # cached
        unit = a.named("unit_monthly")
        await save_stream(s, services, ids["commune"], unit.__class__(**{**unit.__dict__, "due_day": 15}), True)
    async with db.session() as s:
        assert (await commune_streams(s, services, ids["commune"])).named("unit_monthly").due_day == 15
        assert (await commune_streams(s, services, ids["other"])).named("unit_monthly").due_day == 20
    other = Services(db=db, tz=HCM)  # another worker: its own cache, stale until it expires or is dropped
    async with db.session() as s:
        assert (await commune_streams(s, other, ids["commune"])).named("unit_monthly").due_day == 15
        async with db.transaction() as w:
            await save_stream(w, services, ids["commune"], unit, True)  # back to the default: row removed
        assert (await commune_streams(s, other, ids["commune"])).named("unit_monthly").due_day == 15
        invalidate(other)
        assert (await commune_streams(s, other, ids["commune"])).named("unit_monthly").due_day == 20


async def test_due_list_keeps_an_overdue_report_until_it_is_sent(chat: Chat) -> None:
    """After 20/12 the current period is January; December's unsent report must still be listed."""
    what = vi("unit report (/baocao)")
    chat.now = at("2026-12-21T09:00+07:00")
    out = await chat.say(OFFICER, "/hanbaocao")
    overdue = "⚠️ " + vi("{what} for {period}: overdue since {at}; please send it as soon as you can",
                         what=what, period="tháng 12/2026", at="23:59 19/12/2026")
    assert overdue in out[0].text
    assert "⏳ " + vi("{what} for {period}: due {due} (deadline {at})", what=what, period="tháng 1/2027",
                     due="trước ngày 20/01/2027", at="23:59 19/1/2027") in out[0].text
    chat.now = at("2026-12-10T09:00+07:00")  # before December's deadline: December pending, November owed
    out = await chat.say(OFFICER, "/hanbaocao")
    lines = out[0].text.split("\n")
    owed = [line for line in lines if what in line]
    assert len(owed) == 2 and owed[0].startswith("⚠️") and owed[1].startswith("⏳")
    assert "tháng 11/2026" in owed[0] and "tháng 12/2026" in owed[1]
