"""Who was on a unit's staff when a period was due decides what it owed: an office that gets its first officer on 5
January, and a village team member who leaves that day, leave December, closed and compiled, exactly as it was
(/tinhtrang, the xlsx and docx of /xuat, the dashboard, `cdsbot status`, the province's lights, December's
reminders); January counts the office and reminds the team without her. Migrations 0020 and 0021 down and up."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from storage.calendar import calendar as cal
from storage.calendar.streams import default_streams
from storage.db import Database
from storage.models import Commune, Person, PersonPost, Province
from storage.people import on_staff, on_staff_by_unit
from storage.traffic import province_traffic_periods
from tests.audit_support import COMMUNE, dashboard_summary, join_tg, join_zalo, preview_at, tg_report
from tests.first_month_support import Tg, at, cli, docx_text, sheet, summary_counts
from tests.migration_support import downgrade_to
from tests.zalo_harness import ZaloHarness, texts

VHXH, PKT, CAX, VP = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã", "Văn phòng HĐND và UBND"
NAPAI, KHUOI = "Thôn Nà Pài", "Thôn Khuổi Luông"
LEAD, NAM, TU = 6701, 6702, 6703  # Telegram
SON, BICH, HUNG = "7c1b2c3d4e5f60718501", "7c1b2c3d4e5f60718502", "7c1b2c3d4e5f60718503"  # Zalo
HEAD = "Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
ORG_CSV = HEAD + f"""{VHXH},office,,Hoàng Văn Thái,0917000001,lead
{PKT},office,,Lý Văn Nam,0917000002,officer
{CAX},office,,Triệu Văn Sơn,0917000003,officer
{VP},office,,,,
{NAPAI},village,,Lò Thị Bích,0917000004,member
{NAPAI},village,,Đinh Văn Hùng,0917000005,member
{KHUOI},village,,Hà Văn Tùng,0917000006,member
"""
PLAN = """KẾ HOẠCH
Chuyển đổi số xã Vĩnh Thông năm 2026

Phụ lục I: Các chỉ tiêu năm 2026

TT\tMục tiêu, nhiệm vụ, giải pháp\tNăm 2026\tCơ quan chủ trì\tCơ quan thực hiện/phối hợp
1\tTỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\t≥80%\tPhòng Kinh tế\t

Phụ lục II: Danh mục các nhiệm vụ

STT\tTên nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện
1\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý III năm 2026
2\tBảo đảm an ninh mạng\tCông an xã\t\tQuý III năm 2026
3\tSố hóa hồ sơ lưu trữ\tVăn phòng HĐND và UBND\t\tQuý III năm 2026
"""
PROVINCE = "Tỉnh Thử Nghiệm"
TZ = cal.DEFAULT_TZ
JAN5 = "2027-01-05T10:00+07:00"


async def _setup(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    out = await cli(mp, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE,
                    "--province", PROVINCE)
    assert "6 new people" in out, out
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    await cli(mp, capsys, db_url, "plan", "import", str(tmp_path / "plan.txt"), "--commune", COMMUNE, "--year", "2026")
    await cli(mp, capsys, db_url, "commune", "set-start", "--commune", COMMUNE, "2026-12-01")
    return {unit: json.loads(await cli(mp, capsys, db_url, "invite", "create", "--unit", unit, "--role", role,
                                       "--days", "90", "--uses", "3", "--json"))["code"]
            for unit, role in ((PKT, "officer"), (CAX, "officer"), (VHXH, "lead"), (NAPAI, "member"))}


async def _status_all(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, key: str, when: str) -> list[Any]:
    """`cdsbot status` of the commune, of every commune and of the province."""
    return [json.loads(await cli(mp, capsys, db_url, *args, "--period", key, "--at", when, "--json"))
            for args in (("status", "--commune", COMMUNE), ("status",), ("status", "--province", PROVINCE))]


async def _province(db: Database, keys: tuple[str, ...], when: str) -> list[dict[str, Any]]:
    """The province's traffic lights for the months ``keys``, from the logs and from the roll-up (which agree)."""
    streams = {st.name: st for st in default_streams()}
    months = [(cal.period_by_key(streams["unit_monthly"], k, TZ), cal.period_by_key(streams["village_monthly"], k, TZ))
              for k in keys]
    now = at(when)
    found = []
    for closed in (None, date(2027, 1, 1)):
        async with db.session() as s:
            province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
            found.append(await province_traffic_periods(s, province, months, now, now.astimezone(TZ).date(), closed))
    assert found[0] == found[1]
    return [month["communes"][0] for month in found[0]]


async def _exported(tg: Tg, key: str) -> tuple[Any, ...]:
    """The lead's /xuat of month ``key``: the xlsx's summary and unit sheets, the docx's text."""
    xlsx, docx, *_marks = await tg.say(LEAD, f"/xuat {key}", expect=4)  # (and the two "sent" buttons)
    return (summary_counts(xlsx.document_bytes), sheet(xlsx.document_bytes, "Báo cáo đơn vị"),
            sheet(xlsx.document_bytes, "Chưa báo cáo"), docx_text(docx.document_bytes))


async def _december(both: ZaloHarness, tg: Tg, db: Database, mp: pytest.MonkeyPatch, capsys: Any, db_url: str,
                    aiohttp_client: Any) -> tuple[Any, ...]:
    """Everything December reads at 5 January 10:00."""
    status = "\n".join(m.text for m in await tg.say(LEAD, "/tinhtrang tháng 12"))
    await tg.say(LEAD, "/huy")
    reminders = sorted((p.stream, p.unit or "", p.person, p.stage) for p in await preview_at(both, JAN5)
                       if p.period == "2026-12")
    return (await _status_all(mp, capsys, db_url, "2026-12", JAN5), status, await _exported(tg, "tháng 12"),
            await dashboard_summary(both, aiohttp_client, "2026-12"), await _province(db, ("2026-12",), JAN5),
            reminders)


async def test_people_who_come_or_leave_in_january_leave_december_as_it_was(
        both: ZaloHarness, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: Any, aiohttp_client: Any) -> None:
    tg = Tg(both)
    codes = await _setup(monkeypatch, capsys, db_url, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((NAM, PKT, "Lý Văn Nam"), (LEAD, VHXH, "Hoàng Văn Thái")):
        await join_tg(tg, user, codes[unit], typed)
    await join_zalo(both, SON, codes[CAX], "Triệu Văn Sơn")
    await join_zalo(both, BICH, codes[NAPAI], "Lò Thị Bích")
    await join_zalo(both, HUNG, codes[NAPAI], "Đinh Văn Hùng")

    # December: Nà Pài logs, both staffed offices report; the office with nobody owes nothing
    both.now = at("2026-12-14T09:00+07:00")
    assert "14/12/2026" in texts(await both.say(BICH, "hướng dẫn 4 người dùng sổ sức khỏe điện tử"))
    await both.say(BICH, "1")
    assert "gửi" in await tg_report(tg, NAM, ["hoàn thành", "85"], "không", "không")
    sent = texts(await both.say(SON, "/baocao", expect=2))
    for answer in ("hoàn thành", "không", "không"):
        sent = texts(await both.say(SON, answer))
    assert "gửi" in texts(await both.say(SON, "1")), sent

    both.now = at(JAN5)
    before = await _december(both, tg, db, monkeypatch, capsys, db_url, aiohttp_client)
    # 5 January: the office gets its first officer (an invite, in chat); a village team member leaves
    code = json.loads(await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", VP, "--role", "officer",
                                "--days", "90", "--json"))["code"]
    await tg.say(TU, code)
    await tg.say(TU, "Vi Văn Tú")  # nobody of that name on the list: straight to the consent
    assert "Chào mừng" in (await tg.tap(TU, "yes", expect=2))[0].text
    out = await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--name", "Đinh Văn Hùng", "--at", JAN5)
    assert "anonymised" in out, out
    async with db.session() as s:
        tu = (await s.exec(select(Person).where(Person.name == "Vi Văn Tú"))).one()
        hung = (await s.exec(select(Person).where(Person.phone.is_(None), Person.role == "member"))).one()  # type: ignore[union-attr]
        assert (tu.joined_at, tu.left_at, hung.joined_at, hung.left_at) == (at(JAN5), None, None, at(JAN5))
        commune = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
        dec_due = cal.period_by_key({st.name: st for st in default_streams()}["unit_monthly"], "2026-12", TZ).due
        assert await on_staff(s, commune.id, tu.unit_id, dec_due) == []  # type: ignore[arg-type]
        assert await on_staff(s, commune.id, tu.unit_id, None) == [(tu.id, "officer")]  # type: ignore[arg-type]
        assert (hung.id, "member") in (await on_staff_by_unit(s, [commune.id], dec_due))[hung.unit_id]  # type: ignore[arg-type,index]
        assert (hung.id, "member") not in (await on_staff_by_unit(s, [commune.id], None))[hung.unit_id]  # type: ignore[index]
    after = await _december(both, tg, db, monkeypatch, capsys, db_url, aiohttp_client)
    assert after == before

    (data, _every, _colours), status, (summary, _units, owed, _docx), dash, province, reminders = after
    streams = {st["name"]: st for st in data["streams"]}
    # the Văn phòng chairs a task, so it owes December's report, with nobody on the list then (and still so)
    assert (streams["unit_monthly"]["expected"], streams["unit_monthly"]["on_time"],
            streams["unit_monthly"]["missing"], streams["unit_monthly"]["unlisted"]) == (3, 2, [VP], [VP])
    assert (streams["village_monthly"]["expected"], streams["village_monthly"]["missing"]) == (2, [KHUOI])
    assert "Chưa có người trên danh sách" in status and VP in {row[1] for row in owed}, (status, owed)
    assert (summary["Báo cáo của các cơ quan, đơn vị"]["Phải báo cáo"],
            summary["Báo cáo của các cơ quan, đơn vị"]["Đúng hạn"]) == (3, 2), summary
    assert {st["name"]: st["expected"] for st in dash["streams"]}["unit_monthly"] == 3, dash["streams"]
    assert (province[0]["units"], province[0]["villages"]) == ({"submitted": 2, "expected": 3},
                                                               {"submitted": 1, "expected": 2}), province
    assert all(unit != VP for _s, unit, _p, _st in reminders), reminders

    # January: the office owes it and its officer is reminded; Nà Pài's reminders go to Bích alone
    both.now = at("2027-01-21T09:00+07:00")
    january, every, _colours = await _status_all(monkeypatch, capsys, db_url, "2027-01", both.now.isoformat())
    streams = {st["name"]: st for st in january["streams"]}
    assert (streams["unit_monthly"]["expected"], sorted(streams["unit_monthly"]["missing"])) == (
        3, sorted([CAX, PKT, VP]))
    assert [(st["name"], st["expected"]) for st in every["communes"][0]["streams"]] == [
        ("unit_monthly", 3), ("village_monthly", 2)]
    (jan,) = await _province(db, ("2027-01",), both.now.isoformat())
    assert jan["units"] == {"submitted": 0, "expected": 3}, jan
    eve = {(p.stream, p.unit, p.person) for p in await preview_at(both, "2027-01-19T08:00+07:00")
           if p.period == "2027-01" and p.stage != "digest"}
    assert ("unit_monthly", VP, "Vi Văn Tú") in eve, eve
    assert {person for stream, unit, person in eve if unit == NAPAI} == {"Lò Thị Bích"}, eve


async def test_a_move_keeps_the_post_held_until_then(
        db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Công an xã's officer moves to the Văn phòng on 5 January (the org list imported again, ``--at``): December
    has nobody listed for the Văn phòng, January nobody for Công an xã; his earlier post is a ``PersonPost``."""
    await _setup(monkeypatch, capsys, db_url, tmp_path)
    (tmp_path / "moved.csv").write_text(HEAD + f"{VP},office,,Triệu Văn Sơn,0917000003,officer\n", encoding="utf-8")
    out = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "moved.csv"), "--commune", COMMUNE,
                    "--at", JAN5)
    assert "0 new people, 1 updated" in out, out

    async def unlisted(key: str) -> list[str]:  # the offices owing the month with nobody on the list then
        data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--commune", COMMUNE, "--period", key,
                                    "--at", "2027-02-21T09:00+07:00", "--json"))
        return next(s for s in data["streams"] if s["name"] == "unit_monthly")["unlisted"]

    assert await unlisted("2026-12") == [VP]
    assert await unlisted("2027-01") == [CAX]
    async with db.session() as s:
        son = (await s.exec(select(Person).where(Person.name == "Triệu Văn Sơn"))).one()
        (post,) = (await s.exec(select(PersonPost))).all()
    assert (post.person_id, post.role, post.since, post.until, son.joined_at) == (
        son.id, "officer", None, at(JAN5), at(JAN5))


async def test_migration_0020_down_and_up(db: Database, db_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Down to 0018 (the columns and the table go, the people stay) and up again: nobody dated, everyone there."""
    from sqlalchemy import inspect

    await _setup(monkeypatch, capsys, db_url, tmp_path)

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0019_item_created")
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("person")})
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "joined_at" not in columns and "left_at" not in columns and "personpost" not in tables
    await db.upgrade()
    async with db.session() as s:
        people = (await s.exec(select(Person))).all()
        commune = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
        staffed = await on_staff_by_unit(s, [commune.id], at(JAN5))  # type: ignore[list-item]
    assert len(people) == 6 and all(p.joined_at is None and p.left_at is None for p in people)
    assert sum(len(v) for v in staffed.values()) == 6



async def test_migration_0021_staff_by_role_index(db: Database, db_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """0021 adds the index the province view reads a commune's staff by role through; down to 0020 and up again,
    the staff read with and without it are the same."""
    from sqlalchemy import inspect

    await _setup(monkeypatch, capsys, db_url, tmp_path)

    async def indexes() -> dict[str, list[str]]:
        async with db.engine.connect() as conn:
            found = await conn.run_sync(lambda c: inspect(c).get_indexes("person"))
        return {ix["name"]: ix["column_names"] for ix in found}

    async def staffed() -> dict[int, list[tuple[int, str]]]:
        async with db.session() as s:
            commune = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
            return await on_staff_by_unit(s, [commune.id], at(JAN5), ("officer", "lead"))  # type: ignore[list-item]

    assert (await indexes())["ix_person_commune_id_role"] == ["commune_id", "role"]
    with_index = await staffed()

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0020_person_joined")
    assert "ix_person_commune_id_role" not in await indexes()
    assert await staffed() == with_index and sum(map(len, with_index.values())) == 3
    await db.upgrade()
    assert (await indexes())["ix_person_commune_id_role"] == ["commune_id", "role"]

async def test_a_restore_keeps_when_a_leaver_left(db: Database, db_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Anonymised after the backup, anonymised again by the restore: still gone since she left, not since the
    restore (December, due before, still counts her)."""
    await _setup(monkeypatch, capsys, db_url, tmp_path)
    monkeypatch.setenv("CDSBOT_FILES_DIR", str(tmp_path / "files"))
    await cli(monkeypatch, capsys, db_url, "backup", str(tmp_path / "backup.bin"))
    await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--name", "Đinh Văn Hùng", "--at", JAN5)
    await db.dispose()
    await cli(monkeypatch, capsys, db_url, "restore", str(tmp_path / "backup.bin"))
    async with db.session() as s:
        (gone,) = (await s.exec(select(Person).where(Person.anonymised_at.is_not(None)))).all()  # type: ignore[union-attr]
    assert gone.name.startswith("(ẩn danh") and gone.left_at == at(JAN5)
