"""A monthly report is due after the data it covers: `cdsbot streams set` and CDSBOT_STREAMS_FILE refuse one due
on or before its data's last day, /lich reads a day inside the data month as that day of the following month (and
refuses what no month fits), and a province's day inside the data window is that day of the following month."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.cli import main
from bot.config import load_settings
from locales.i18n import _, use_locale
from storage.calendar.calendar import period_by_key
from storage.calendar.streams import default_streams, dump_streams
from storage.db import Database
from storage.errors import ConfigError
from storage.models import StreamSetting
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

OFFICER, LEAD = 7301, 7302
EARLY = ("stream 'unit_monthly': a monthly report is due after the data it covers, but its data for 2027-01 runs "
         "to {end} and its last allowed day would be 14/01/2027")


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def rule(day: str, when: str) -> str:
    """A due rule as /lich words it, e.g. "trước ngày 15 của tháng sau"."""
    return vi("before day {day}", day=day) + " " + vi(when)


async def _set(monkeypatch: pytest.MonkeyPatch, capsys, db_url: str, f: Path, content: list) -> tuple[int, str]:  # noqa: ANN001
    f.write_text(json.dumps(content), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["streams", "set", "--commune", "Thiện Tân", str(f)])
    out = capsys.readouterr()
    assert out.out == "" or code == 0, out
    return code, out.err


async def test_streams_set_refuses_a_report_due_before_its_data_ends(db: Database, db_url: str, capsys,  # noqa: ANN001
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    await make_org(db)
    f = tmp_path / "streams.json"
    # the unit report "before the 15th" of the calendar month it covers: due half-way through its data
    code, err = await _set(monkeypatch, capsys, db_url, f, [{"name": "unit_monthly", "due_day": 15,
                                                              "cutoff": "calendar"}])
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"error: {f}: "), err
    assert EARLY.format(end="31/01/2027") in err and "\"due_month_offset\": 1" in err, err
    # 15th–14th data: "before the 15th" of the same month is due the data's own last day, refused too
    code, err = await _set(monkeypatch, capsys, db_url, f, [{"name": "unit_monthly", "due_day": 15}])
    assert code == 2 and EARLY.format(end="14/01/2027") in err, err
    async with db.session() as s:
        assert (await s.exec(select(StreamSetting))).all() == []  # nothing saved
    # the same days a month later, and "before the 16th" of the 15th–14th month, are after the data: saved
    for ok in ({"name": "unit_monthly", "due_day": 15, "cutoff": "calendar", "due_month_offset": 1},
               {"name": "unit_monthly", "due_day": 16}):
        code, err = await _set(monkeypatch, capsys, db_url, f, [ok])
        assert (code, err) == (0, ""), err
    async with db.session() as s:
        assert (await s.exec(select(StreamSetting.config))).one() == {"due_day": 16}


def test_streams_file_refuses_a_report_due_before_its_data_ends(tmp_path: Path) -> None:
    data = dump_streams(default_streams()[:2])
    data[1] |= {"due_day": 15, "cutoff": "calendar"}
    f = tmp_path / "streams.json"
    f.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="^CDSBOT_STREAMS_FILE: " + EARLY.format(end="31/01/2027")):
        BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(f)}, env_file=None))
    data[1]["due_month_offset"] = 1  # that day of the following month: accepted
    f.write_text(json.dumps(data))
    unit = BotApp.build(load_settings({"CDSBOT_STREAMS_FILE": str(f)}, env_file=None)).services.extra["streams"][1]
    assert period_by_key(unit, "2026-12").due_text_vi == "trước ngày 15/01/2027"


async def test_schedule_reads_a_day_inside_the_data_as_the_following_month(tg: TelegramHarness,
                                                                           db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await tg.say(LEAD, "/lich")
    await tg.tap(LEAD, "unit_monthly")
    await tg.tap(LEAD, "day")
    # 15th–14th data: the 15th is inside it (the last allowed day, the 14th, is the data's last day) …
    sent = await tg.say(LEAD, "15")
    assert rule("15", "of the following month") in sent[0].text and "trước ngày 15/12/2026" in sent[0].text
    await tg.tap(LEAD, "day")
    sent = await tg.say(LEAD, "16")  # … the 16th is after it: the same month
    assert rule("16", "of each month") in sent[0].text and "trước ngày 16/12/2026" in sent[0].text
    await tg.tap(LEAD, "cutoff")
    sent = await tg.tap(LEAD, "calendar")  # a calendar month: every day is inside it
    assert rule("16", "of the following month") in sent[0].text
    await tg.tap(LEAD, "day")
    sent = await tg.say(LEAD, "1")  # "before the 1st" of the following month: due on the data's last day
    assert sent[0].text.startswith(vi(
        "Sorry, a report cannot be due before its data ends: the data for {period} runs to {end}, and its last "
        "allowed day would be {last}. Please choose another due day or reading.",
        period="tháng 1/2027", end="31/01/2027", last="31/01/2027"))
    assert sent[0].text.endswith(vi("Type the due day, a number from {min} to {max} (now: {day}).",
                                    min=1, max=28, day=16))
    sent = await tg.say(LEAD, "2")
    assert rule("02", "of the following month") in sent[0].text
    await tg.tap(LEAD, "save")
    await tg.tap(LEAD, "save")
    async with db.session() as s:
        row = (await s.exec(select(StreamSetting))).one()
    assert row.config == {"due_day": 2, "cutoff": "calendar", "due_month_offset": 1}
    sent = await tg.say(OFFICER, "/hanbaocao")  # November's report was due before the 2nd of December: overdue
    assert sent[0].text.splitlines() == [
        "⚠️ Báo cáo của đơn vị (/baocao) tháng 11/2026: đã quá hạn từ 23:59 1/12/2026; bạn vui lòng gửi sớm nhất có thể",
        "⏳ Báo cáo của đơn vị (/baocao) tháng 12/2026: hạn nộp trước ngày 02/01/2027 (hạn chót 23:59 1/1/2027)"]


async def test_a_province_day_inside_the_data_window_is_the_following_month(db: Database, db_url: str,  # noqa: ANN001
                                                                           monkeypatch, capsys) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", "Thiện Tân", "--province", "Tây Ninh")
    out = await cli(monkeypatch, capsys, db_url, "province", "set-deadline", "--province", "Tây Ninh", "--day", "15")
    assert "before day 15 of the following month" in out
    # November's data runs to 14/11: its compiled report is due before 15/12, not before 15/11
    data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--province", "Tây Ninh", "--at",
                                "2026-12-05T08:00+07:00", "--period", "2026-11", "--json"))
    (row,) = data["communes"]
    assert row["compiled_report"]["state"] == "pending", row
    assert row["compiled_report"]["due"].startswith("2026-12-14T23:59:59"), row
    out = await cli(monkeypatch, capsys, db_url, "province", "set-deadline", "--province", "Tây Ninh", "--day", "16")
    assert "before day 16 of each month" in out  # the 16th is after the data: the same month
    data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--province", "Tây Ninh", "--at",
                                "2026-12-05T08:00+07:00", "--period", "2026-11", "--json"))
    assert data["communes"][0]["compiled_report"]["due"].startswith("2026-11-15T23:59:59")
