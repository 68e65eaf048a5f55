"""The commune → province stream (issue #19) through the fake Telegram server: the lead office of commune A
marks its compiled report sent to the province, B's does not; the sweeps remind only B's lead before the
province's deadline, the province office's digest after it names only B, the province's /tinhtrang and
`cdsbot status --province` show A received and B missing (red), and moving the deadline moves the reminders."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from locales.i18n import _, use_locale
from reminders.sweep import preview, run_sweep
from storage.db import Database
from storage.models import Person, Province, ReminderLog
from storage.units import get_or_create_commune, get_or_create_unit
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.migration_support import downgrade_to
from tests.seed import add_person

PROVINCE = "Tây Ninh"
A, B, C = "Thiện Tân", "Tân Lập", "Hữu Kiên"  # A and B in Tây Ninh, C in no province
VHXH = "Phòng Văn hóa - Xã hội"
LEAD_A, LEAD_B, LEAD_C, PROV = 8201, 8202, 8203, 8204


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _world(tg: TelegramHarness, db: Database, db_url: str, monkeypatch, capsys) -> dict[str, int]:  # noqa: ANN001
    ids: dict[str, int] = {}
    for name, lead, tid in ((A, "Hoàng Văn Nam", LEAD_A), (B, "Lê Thị Hoa", LEAD_B), (C, "Vi Văn Tú", LEAD_C)):
        async with db.transaction() as s:
            commune = await get_or_create_commune(s, name)
            unit, _new = await get_or_create_unit(s, commune, VHXH, "office")
            ids[name] = commune.id  # type: ignore[assignment]
        ids[lead] = await add_person(db, unit.id, lead, "lead", telegram_id=tid)  # type: ignore[arg-type]
    for name in (A, B):
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", name, "--province", PROVINCE)
    code = json.loads(await cli(monkeypatch, capsys, db_url, "invite", "create", "--role", "province",
                                "--province", PROVINCE, "--json"))["code"]
    await tg.say(PROV, f"/start {code}", first_name="Trần Văn Tỉnh")
    await tg.tap(PROV, "Trần Văn Tỉnh")
    await tg.tap(PROV, "yes", expect=2)
    async with db.session() as s:
        ids["office"] = (await s.exec(select(Person.id).where(Person.role == "province"))).one()  # type: ignore[assignment]
    return ids


async def _province_plans(tg: TelegramHarness, db: Database, when: str) -> list[tuple[str, str, tuple]]:
    """What a sweep at ``when`` would send for the province stream: (person, stage, communes missing)."""
    async with db.session() as s:
        planned = await preview(s, tg.bot.services, at(when))
    return sorted((p.person, p.stage, p.missing) for p in planned if p.stream == "province_monthly")


async def test_compiled_report_reaches_the_province(tg: TelegramHarness, db: Database, db_url: str,
                                                    monkeypatch, capsys) -> None:  # noqa: ANN001
    ids = await _world(tg, db, db_url, monkeypatch, capsys)

    # A's lead exports December and marks the compiled report sent to the province (after the People's
    # Committee's mark, a second one under /xuat); C, in no province, is not offered it.
    *_files, _ubnd, to_province = await tg.say(LEAD_A, "/xuat tháng 12", expect=4)
    assert to_province.callback_data == ["provsent:2026-12"]
    sent = await tg.tap(LEAD_A, "provsent:2026-12")
    assert sent[0].text == vi("Recorded: the compiled report for {period} was sent to the province.",
                              period="tháng 12/2026")
    assert len(await tg.say(LEAD_C, "/xuat tháng 12", expect=3)) == 3
    for forged in ("provsent:2026-12", "provsent:2026-99", "provsent:"):  # C is in no province; no such month
        sent = await tg.send(tg.fake.callback(LEAD_C, forged, message_id=tg.last[LEAD_C].message_id))
        assert sent[0].text == vi("That reminder is no longer valid."), forged

    # /hanbaocao: B's lead still owes it, with its deadline (the default: before the 25th); A's is received.
    sent = await tg.say(LEAD_B, "/hanbaocao")
    assert vi("compiled report to the province") in sent[0].text and "25/12/2026" in sent[0].text
    assert "provsent:2026-12" in sent[0].callback_data
    sent = await tg.say(LEAD_A, "/hanbaocao")
    assert "✅ " + vi("{what} for {period}: received", what=vi("compiled report to the province"),
                      period="tháng 12/2026") in sent[0].text

    # Before the deadline only B's lead is reminded (3 days before the last day, 24/12), nobody in C.
    assert await _province_plans(tg, db, "2026-12-21T08:00+07:00") == [("Lê Thị Hoa", "before_3d", ())]
    assert await _province_plans(tg, db, "2026-12-23T08:00+07:00") == [("Lê Thị Hoa", "before_1d", ())]

    # The morning after: B's lead gets the overdue reminder, the province office its digest naming B only.
    tg.now = at("2026-12-25T08:00+07:00")
    assert await run_sweep(tg.bot, tg.now) >= 2 and await run_sweep(tg.bot, tg.now) == 0
    async with db.session() as s:
        claimed = sorted((await s.exec(select(ReminderLog.person_id, ReminderLog.stage).where(
            ReminderLog.stream == "province_monthly"))).all())
    assert claimed == sorted([(ids["Lê Thị Hoa"], "overdue"), (ids["office"], "province_digest")])
    while await tg.bot.outbox.run_once():  # type: ignore[union-attr]
        pass
    out = tg.fake.take_sent()
    digest = "\n".join(m.text for m in out if int(m.chat_id) == PROV)
    assert digest == "\n".join([
        vi("Compiled reports of the communes for {period} ({due}):", period="tháng 12/2026",
           due="trước ngày 25/12/2026"),
        vi("Not received: {names}", names=B)])
    what = vi("the compiled report to the province")  # (the leads' other reports have their own reminders)
    to_b = [m for m in out if int(m.chat_id) == LEAD_B and what in m.text]
    assert len(to_b) == 1 and "tháng 12/2026" in to_b[0].text and to_b[0].callback_data == ["provsent:2026-12"]
    assert not [m for m in out if int(m.chat_id) in (LEAD_A, LEAD_C) and what in m.text]

    # The province's /tinhtrang and `cdsbot status --province`: A received, B missing and red.
    sent = await tg.say(PROV, "/tinhtrang tháng 12")  # (the month whose units' reports closed on the 20th)
    lines = sent[0].text.splitlines()
    line_a = next(ln for ln in lines if A in ln)
    line_b = next(ln for ln in lines if B in ln)
    assert line_a.endswith(", " + vi("compiled report: received {day}", day="10/12/2026"))
    assert line_b.endswith(", " + vi("compiled report: missing (last day {due})", due="24/12/2026"))
    assert "🔴" in line_b and lines.index(line_b) < lines.index(line_a)
    await tg.say(PROV, "/huy")
    # The same asked in words.
    sent = await tg.say(PROV, "xã nào chưa gửi báo cáo tổng hợp tháng 12?")
    assert sent[0].text.splitlines() == [
        vi("Communes' compiled reports to the province for {period} (last day {due}):", period="tháng 12/2026",
           due="24/12/2026"),
        f"• {vi('Received on time')} (1): {A}", f"• {vi('Not received, past the deadline')} (1): {B}"]
    data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--period",
                                "2026-12", "--at", tg.now.isoformat(), "--json"))
    rows = {r["commune"]: r for r in data["communes"]}
    assert rows[A]["compiled_report"]["state"] == "on_time" and rows[A]["compiled_report"]["sent_at"]
    assert rows[B]["compiled_report"] == {"state": "missing", "sent_at": None,
                                          "due": "2026-12-24T23:59:59.999999+07:00"}
    assert rows[B]["colour"] == "red" and set(rows) == {A, B}
    # The province workbook and draft report say the same.
    out_dir = Path(tempfile.mkdtemp())
    await cli(monkeypatch, capsys, db_url, "export", "--province", PROVINCE, "--period", "2026-12", "--at",
              tg.now.isoformat(), "--out", str(out_dir))
    sheet = load_workbook(out_dir / "bao-cao-nq57-tinh-2026-12.xlsx")["Tổng hợp"]
    head = [c.value for c in sheet[1]]
    col = head.index("Báo cáo tổng hợp của xã gửi tỉnh")
    by_commune = {row[1].value: row[col].value for row in sheet.iter_rows(min_row=2, max_row=3)}
    assert by_commune == {A: "Đã nhận", B: "Chưa nhận (quá hạn)"}
    text = "\n".join(p.text for p in Document(str(out_dir / "bao-cao-nq57-tinh-2026-12.docx")).paragraphs)
    assert f"Chưa gửi báo cáo tổng hợp về tỉnh khi đã quá hạn: {B}." in text

    # B's lead sends it late (from /hanbaocao): received late, no more reminders for it.
    sent = await tg.say(LEAD_B, "/hanbaocao")
    assert "⚠️ " + vi("{what} for {period}: overdue since {at}; please send it as soon as you can",
                      what=vi("compiled report to the province"), period="tháng 12/2026",
                      at="23:59 24/12/2026") in sent[0].text
    sent = await tg.tap(LEAD_B, "provsent:2026-12")
    assert sent[0].text == vi("Recorded: the compiled report for {period} was sent to the province.",
                              period="tháng 12/2026") + " " + vi("(after the deadline)")
    sent = await tg.say(PROV, "/tinhtrang tháng 12")
    assert vi("compiled report: received late, {day}", day="25/12/2026") in sent[0].text
    await tg.say(PROV, "/huy")
    assert await _province_plans(tg, db, "2026-12-28T08:00+07:00") == []


async def test_the_province_deadline_moves_the_reminders(tg: TelegramHarness, db: Database, db_url: str,
                                                         monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    await _world(tg, db, db_url, monkeypatch, capsys)
    both = [("Hoàng Văn Nam", "before_1d", ()), ("Lê Thị Hoa", "before_1d", ())]
    assert await _province_plans(tg, db, "2026-12-23T08:00+07:00") == both

    out = await cli(monkeypatch, capsys, db_url, "province", "set-deadline", "--province", PROVINCE, "--day", "28",
                    "--json")
    assert json.loads(out) == {"province": PROVINCE, "report_due_day": 28, "default": False}
    # Before the 28th: the last day is Sunday 27/12, so officers hear on the working days before it.
    assert await _province_plans(tg, db, "2026-12-23T08:00+07:00") == [
        ("Hoàng Văn Nam", "before_3d", ()), ("Lê Thị Hoa", "before_3d", ())]
    assert await _province_plans(tg, db, "2026-12-25T08:00+07:00") == [
        ("Hoàng Văn Nam", "last_day", ()), ("Lê Thị Hoa", "last_day", ())]  # no digest: not overdue yet
    # `streams show` lists it with the province's day; `streams set` leaves it to the province.
    shown = json.loads(await cli(monkeypatch, capsys, db_url, "streams", "show", "--commune", B, "--json"))
    mine = next(d for d in shown if d["name"] == "province_monthly")
    assert (mine["due_day"], mine["reporter_roles"], mine["enabled"]) == (28, ["lead"], True)
    (tmp_path / "s.json").write_text(json.dumps([mine | {"due_day": 10}]), encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "streams", "set", "--commune", B, str(tmp_path / "s.json"))
    assert next(d for d in json.loads(await cli(
        monkeypatch, capsys, db_url, "streams", "show", "--commune", B, "--json"))
        if d["name"] == "province_monthly")["due_day"] == 28
    assert "province_monthly" not in json.dumps(json.loads(await cli(
        monkeypatch, capsys, db_url, "streams", "show", "--commune", C, "--json")))  # C: in no province
    tg.now = at("2026-12-24T09:00+07:00")
    sent = await tg.say(LEAD_B, "/hanbaocao")
    assert "28/12/2026" in sent[0].text
    data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--at",
                                "2026-12-28T08:00+07:00", "--period", "2026-12", "--json"))
    assert {r["commune"]: r["compiled_report"]["state"] for r in data["communes"]} == {A: "missing", B: "missing"}
    out = await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--at", "2026-12-28T08:00+07:00",
                    "--period", "2026-12")
    assert out.count(", compiled report missing 2026-12-27") == 2  # the last allowed day
    digests = [p for p in await _province_plans(tg, db, "2026-12-28T08:00+07:00") if p[1] == "province_digest"]
    assert digests == [("Trần Văn Tỉnh", "province_digest", (B, A))]

    await cli(monkeypatch, capsys, db_url, "province", "set-deadline", "--province", PROVINCE, "--default")
    async with db.session() as s:
        assert (await s.exec(select(Province.report_due_day))).one() is None
    out = await cli(monkeypatch, capsys, db_url, "province", "show")
    assert "(compiled report before day 25)" in out
    import asyncio

    from bot.cli import main
    for args in (["province", "set-deadline", "--province", PROVINCE, "--day", "1"],
                 ["province", "set-deadline", "--province", PROVINCE],
                 ["province", "set-deadline", "--province", "Nowhere", "--day", "20"]):
        capsys.readouterr()
        code = await asyncio.to_thread(main, args)
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: "), (args, err)


async def test_migration_0014_down_and_up(db: Database) -> None:

    async with db.transaction() as s:
        s.add(Province(name=PROVINCE, key="tay ninh", report_due_day=27, created_at=datetime.now(UTC)))

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0013_province")
    await db.upgrade()
    async with db.session() as s:
        province = (await s.exec(select(Province))).one()
    assert province.name == PROVINCE and province.report_due_day is None  # back to the default


def test_the_compiled_report_in_the_colour_rule() -> None:
    """Missing after the deadline: red whatever else; owed before it: at least yellow; sent, not owed, or
    untracked (no lead office on the bot): the colour of the rest of the rule."""
    from storage.province_stream import CompiledReport, with_compiled_report

    due = at("2026-12-24T23:59:59.999999+07:00")
    cases = {("green", "pending"): "yellow", ("green", "missing"): "red", ("yellow", "missing"): "red",
             ("red", "pending"): "red", ("green", "on_time"): "green", ("yellow", "late"): "yellow",
             ("green", "no_lead"): "green", ("green", "not_owed"): "green"}
    for (colour, state), expected in cases.items():
        row = {"colour": colour}
        with_compiled_report(row, CompiledReport(state, None, due))
        assert (row["colour"], row["compiled_report"]["state"]) == (expected, state)
    row = {"colour": "green"}
    with_compiled_report(row, None)  # a commune that joined the province after the states were read
    assert row == {"colour": "green", "compiled_report": None}


async def test_one_compiled_report_per_commune_whichever_lead_unit_sends_it(
        tg: TelegramHarness, db: Database, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    """A commune whose lead role sits in two offices sends one compiled report: once one lead marks it,
    the other is neither reminded nor shown it as owed, for the province's report and the People's
    Committee's alike (storage.status.COMMUNE_REPORTS)."""
    await _world(tg, db, db_url, monkeypatch, capsys)
    second = 8209
    async with db.transaction() as s:
        commune = await get_or_create_commune(s, A)
        office, _new = await get_or_create_unit(s, commune, "Văn phòng HĐND và UBND", "office")
    await add_person(db, office.id, "Đinh Thị Thu", "lead", telegram_id=second)  # type: ignore[arg-type]
    before = await _province_plans(tg, db, "2026-12-21T08:00+07:00")
    assert ("Đinh Thị Thu", "before_3d", ()) in before and ("Hoàng Văn Nam", "before_3d", ()) in before

    await tg.say(LEAD_A, "/xuat tháng 12", expect=4)
    await tg.tap(LEAD_A, "provsent:2026-12")  # the People's Committee's mark is left unsent
    after = await _province_plans(tg, db, "2026-12-21T08:00+07:00")
    assert not [p for p in after if p[0] in ("Đinh Thị Thu", "Hoàng Văn Nam")], after
    sent = await tg.say(second, "/hanbaocao")
    assert "✅ " + vi("{what} for {period}: received", what=vi("compiled report to the province"),
                      period="tháng 12/2026") in sent[0].text
    async with db.session() as s:  # the People's Committee's report is still owed by both lead offices
        planned = [p for when in ("2026-12-18T08:00+07:00", "2026-12-20T08:00+07:00", "2026-12-21T08:00+07:00")
                   for p in await preview(s, tg.bot.services, at(when))]
    assert {p.person for p in planned if p.stream == "lead_monthly" and p.person not in ("Lê Thị Hoa", "Vi Văn Tú")} == {
        "Đinh Thị Thu", "Hoàng Văn Nam"}, [(p.person, p.stream, p.stage) for p in planned]
