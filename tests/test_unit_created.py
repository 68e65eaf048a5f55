"""A unit owes a period only if it existed when the period was due: an office and a village team added on 5
January leave December, closed and compiled, exactly as it was (/tinhtrang, `cdsbot status`, the group task's
"n/m đơn vị", the dashboard, the province's traffic lights), and owe January like every other unit."""

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
from storage.models import Province, Unit
from storage.traffic import province_traffic_periods
from tests.audit_support import COMMUNE, dashboard_summary, join_tg, join_zalo, owing, preview_at, tg_report
from tests.first_month_support import Tg, at, cli
from tests.zalo_harness import ZaloHarness, texts

VHXH, PKT, CAX, VP = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã", "Văn phòng HĐND và UBND"
NAPAI, KHUOI = "Thôn Nà Pài", "Thôn Khuổi Luông"
LEAD, NAM, TU = 6601, 6602, 6603  # Telegram
SON, BICH, TUNG = "7c1b2c3d4e5f60718401", "7c1b2c3d4e5f60718402", "7c1b2c3d4e5f60718403"  # Zalo
HEAD = "Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
ORG_CSV = HEAD + f"""{VHXH},office,,Hoàng Văn Thái,0916000001,lead
{PKT},office,,Lý Văn Nam,0916000002,officer
{CAX},office,,Triệu Văn Sơn,0916000003,officer
{NAPAI},village,,Lò Thị Bích,0916000004,member
"""
ADDED_CSV = HEAD + f"""{VP},office,,Vi Văn Tú,0916000005,officer
{KHUOI},village,,Hà Văn Tùng,0916000006,member
"""
PLAN = """KẾ HOẠCH
Chuyển đổi số xã Vĩnh Thông năm 2026

Phụ lục I: Các chỉ tiêu năm 2026

TT\tMục tiêu, nhiệm vụ, giải pháp\tNăm 2026\tCơ quan chủ trì\tCơ quan thực hiện/phối hợp
1\tTỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\t≥80%\tPhòng Kinh tế\t

Phụ lục II: Danh mục các nhiệm vụ

STT\tTên nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện
1\tRà soát trang thiết bị phục vụ chuyển đổi số\tCác cơ quan, đơn vị\t\tQuý III năm 2026
2\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý III năm 2026
"""
PROVINCE = "Tỉnh Thử Nghiệm"
TZ = cal.DEFAULT_TZ


async def _setup(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    await cli(mp, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE,
              "--province", PROVINCE)
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    await cli(mp, capsys, db_url, "plan", "import", str(tmp_path / "plan.txt"), "--commune", COMMUNE, "--year", "2026")
    await cli(mp, capsys, db_url, "commune", "set-start", "--commune", COMMUNE, "2026-12-01")
    return {unit: json.loads(await cli(mp, capsys, db_url, "invite", "create", "--unit", unit, "--role", role,
                                       "--days", "90", "--json"))["code"]
            for unit, role in ((PKT, "officer"), (CAX, "officer"), (VHXH, "lead"), (NAPAI, "member"))}


async def _status(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, key: str, when: str) -> dict[str, Any]:
    out = await cli(mp, capsys, db_url, "status", "--commune", COMMUNE, "--period", key, "--at", when, "--json")
    return json.loads(out)


async def _status_all(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, key: str, when: str) -> list[Any]:
    """`cdsbot status` of the commune, of every commune (one line each) and of the province (its colours)."""
    return [await _status(mp, capsys, db_url, key, when),
            json.loads(await cli(mp, capsys, db_url, "status", "--period", key, "--at", when, "--json")),
            json.loads(await cli(mp, capsys, db_url, "status", "--province", PROVINCE, "--period", key, "--at", when,
                                 "--json"))]


async def _province(db: Database, keys: tuple[str, ...], when: str) -> list[dict[str, Any]]:
    """The province's traffic lights for the months ``keys`` (the dashboard's grid), from the logs and from
    the roll-up (closed months), which must agree."""
    streams = {st.name: st for st in default_streams()}
    months = [(cal.period_by_key(streams["unit_monthly"], k, TZ), cal.period_by_key(streams["village_monthly"], k, TZ))
              for k in keys]
    now = at(when)
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        raw = await province_traffic_periods(s, province, months, now, now.astimezone(TZ).date())
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        rolled = await province_traffic_periods(s, province, months, now, now.astimezone(TZ).date(), date(2027, 1, 1))
    assert rolled == raw
    return [month["communes"][0] for month in raw]


async def _lead_reads(tg: Tg, key: str) -> tuple[str, str]:
    """What the lead reads of month ``key`` (``tháng 12``): /tinhtrang, and the group task's count."""
    status = "\n".join(m.text for m in await tg.say(LEAD, f"/tinhtrang {key}"))
    await tg.say(LEAD, "/huy")  # (it offers what to read next)
    tasks = (await tg.say(LEAD, f"{PKT} có những nhiệm vụ gì {key}?"))[0].text
    await tg.say(LEAD, "/huy")
    return status, tasks


async def test_units_added_in_january_leave_december_as_it_was(
        both: ZaloHarness, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: Any, aiohttp_client: Any) -> None:
    tg = Tg(both)
    codes = await _setup(monkeypatch, capsys, db_url, tmp_path)
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((NAM, PKT, "Lý Văn Nam"), (LEAD, VHXH, "Hoàng Văn Thái")):
        await join_tg(tg, user, codes[unit], typed)
    await join_zalo(both, SON, codes[CAX], "Triệu Văn Sơn")
    await join_zalo(both, BICH, codes[NAPAI], "Lò Thị Bích")

    # December, in full: the village logs, every office reports the group's task 1 done
    both.now = at("2026-12-14T09:00+07:00")
    assert "14/12/2026" in texts(await both.say(BICH, "hướng dẫn 4 người dùng sổ sức khỏe điện tử"))
    await both.say(BICH, "1")
    assert "gửi" in await tg_report(tg, NAM, ["hoàn thành", "hoàn thành", "85"], "không", "không")
    assert "gửi" in await tg_report(tg, LEAD, ["hoàn thành"], "không", "không")
    sent = texts(await both.say(SON, "/baocao", expect=2))
    for answer in ("hoàn thành", "không", "không"):
        sent = texts(await both.say(SON, answer))
    assert "gửi" in texts(await both.say(SON, "1")), sent

    # 5 January, before and after the office and the village team are added: December reads the same
    both.now = at("2027-01-05T10:00+07:00")
    when = both.now.isoformat()
    before = (await _status_all(monkeypatch, capsys, db_url, "2026-12", when), await _lead_reads(tg, "tháng 12"),
              await dashboard_summary(both, aiohttp_client, "2026-12"), await _province(db, ("2026-12",), when))
    (tmp_path / "added.csv").write_text(ADDED_CSV, encoding="utf-8")
    out = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "added.csv"), "--commune", COMMUNE,
                    "--at", "2027-01-05T09:30+07:00")
    assert "2 new units" in out, out
    async with db.session() as s:  # dated: the commune reports; its first tree always existed
        created = dict((await s.exec(select(Unit.name, Unit.created_at))).all())
    assert created[VP] == created[KHUOI] == at("2027-01-05T09:30+07:00")
    assert created[PKT] is None and created[NAPAI] is None and created["Các cơ quan, đơn vị"] is None
    after = (await _status_all(monkeypatch, capsys, db_url, "2026-12", when), await _lead_reads(tg, "tháng 12"),
             await dashboard_summary(both, aiohttp_client, "2026-12"), await _province(db, ("2026-12",), when))
    assert after == before

    (data, every, _colours), (status, tasks), dash, province = after  # the exact figures of December
    streams = {st["name"]: st for st in data["streams"]}
    assert [(st["name"], st["submitted"], st["expected"], st["missing"]) for st in every["communes"][0]["streams"]] == [
        ("unit_monthly", 3, 3, []), ("village_monthly", 1, 1, [])]
    assert (streams["unit_monthly"]["expected"], streams["unit_monthly"]["on_time"],
            streams["unit_monthly"]["missing"]) == (3, 3, [])
    assert (streams["village_monthly"]["expected"], streams["village_monthly"]["on_time"],
            streams["village_monthly"]["missing"]) == (1, 1, [])
    assert "Chưa báo cáo" not in status and VP not in status and KHUOI not in status, status
    assert tasks.splitlines()[1] == "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Hoàn thành — 3/3 đơn vị " \
                                    "hoàn thành", tasks
    assert (dash["tasks"]["done"], dash["tasks"]["overdue"], dash["overdue_tasks"]) == (2, 0, [])
    row = province[0]  # (red: its compiled report has not reached the province)
    assert (row["units"], row["villages"], row["overdue_tasks"], row["missing_after_deadline"]) == (
        {"submitted": 3, "expected": 3}, {"submitted": 1, "expected": 1}, 0, 0), row

    # the new office's officer joins: December is not his office's to report
    code = json.loads(await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", VP, "--role", "officer",
                                "--days", "90", "--json"))["code"]
    both.now = at("2027-01-06T09:00+07:00")
    await join_tg(tg, TU, code, "Vi Văn Tú")
    text = (await tg.say(TU, "/baocao tháng 12"))[0].text
    assert text == f"tháng 12/2026 đã hết hạn trước khi {VP} được thêm vào danh sách của xã; đơn vị không phải báo " \
                   "cáo kỳ này.", text

    # January: the new office and village team owe it, and the office owes the group's task (3 of 4 done)
    both.now = at("2027-01-21T09:00+07:00")
    when = both.now.isoformat()
    january, every, _colours = await _status_all(monkeypatch, capsys, db_url, "2027-01", when)
    streams = {st["name"]: st for st in january["streams"]}
    assert [(st["name"], st["expected"]) for st in every["communes"][0]["streams"]] == [
        ("unit_monthly", 4), ("village_monthly", 2)]
    assert (streams["unit_monthly"]["expected"], sorted(streams["unit_monthly"]["missing"])) == (
        4, sorted([CAX, PKT, VHXH, VP]))
    assert (streams["village_monthly"]["expected"], sorted(streams["village_monthly"]["missing"])) == (
        2, sorted([KHUOI, NAPAI]))
    _status_text, tasks = await _lead_reads(tg, "tháng 1")
    assert tasks.splitlines()[1] == "• 1. Rà soát trang thiết bị phục vụ chuyển đổi số — Hoàn thành — 3/4 đơn vị " \
                                    "hoàn thành", tasks  # (its own answer, and the group's count)
    dash = await dashboard_summary(both, aiohttp_client, "2027-01")
    assert [(t["code"], t["units"]) for t in dash["overdue_tasks"]] == [("1", {"owed": 4, "done": 3})]
    december, jan = await _province(db, ("2026-12", "2027-01"), when)
    assert december == province[0]  # the grid's December, gathered with January
    assert (jan["units"], jan["villages"], jan["overdue_tasks"]) == (
        {"submitted": 0, "expected": 4}, {"submitted": 0, "expected": 2}, 1), jan
    # January's reminders reach them; December's expected offices are still its three
    eve = await preview_at(both, "2027-01-19T08:00+07:00")
    assert {u for s, u, _p in owing(eve) if s in ("unit_monthly", "village_monthly")} == {
        CAX, PKT, VHXH, VP, NAPAI, KHUOI}
    async with db.session() as s:
        assert {u.name for u in await _expected(s, "2026-12")} == {CAX, PKT, VHXH}


async def _expected(s: Any, key: str) -> list[Unit]:
    from storage.models import Commune
    from storage.status import expected_units

    streams = {st.name: st for st in default_streams()}
    period = cal.period_by_key(streams["unit_monthly"], key, TZ)
    commune = (await s.exec(select(Commune).where(Commune.name == COMMUNE))).one()
    return await expected_units(s, commune.id, "office", period.due)


async def test_a_merged_unit_existed_since_the_earlier_of_its_two_records(
        db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Công an xã typed again in January ("Cong an xa", dated) and merged into by the original: the unit that stays
    existed all along, and still owes December (as the original did), wherever its reports come from."""
    (tmp_path / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    (tmp_path / "typo.csv").write_text(HEAD + "Cong an xa,office,,Ma Văn Hải,0916000007,officer\n", encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE)
    await cli(monkeypatch, capsys, db_url, "commune", "set-start", "--commune", COMMUNE, "2026-12-01")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "typo.csv"), "--commune", COMMUNE,
              "--at", "2027-01-05T09:30+07:00")
    when = "2027-01-05T10:00+07:00"

    async def december() -> list[str]:  # before any plan item, every staffed office owes, the lead's included
        data = await _status(monkeypatch, capsys, db_url, "2026-12", when)
        return sorted(u["name"] for u in next(s for s in data["streams"] if s["name"] == "unit_monthly")["units"])

    assert await december() == [CAX, PKT, VHXH]  # the January record owes nothing of December
    await cli(monkeypatch, capsys, db_url, "unit", "merge", "--commune", COMMUNE, "--keep", "Cong an xa",
              "--drop", CAX)
    async with db.session() as s:
        assert (await s.exec(select(Unit.created_at).where(Unit.name == "Cong an xa"))).one() is None
    assert await december() == ["Cong an xa", PKT, VHXH]
