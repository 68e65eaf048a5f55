"""A shared target across communes, as the province office reads it (issue #19), through the fake
Telegram and Zalo servers: officers of Vĩnh Thông and Tiêu Cần report their own indicators (worded differently
in each plan), the province office's /chitieu shows each province target across both communes with the
on-track count, and `cdsbot province indicators show` gives the same figures."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from locales.i18n import _, use_locale
from locales.textcut import shorten
from storage.db import Database
from storage.models import Commune, Unit
from tests.fakes.zalo_api import FakeZaloApi
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.seed import add_person
from tests.zalo_harness import TOKEN, ZaloHarness, add_zalo_identity

DATA = Path(__file__).parent / "data" / "shared"
PROVINCE, A, B, C = "Thái Nguyên", "Vĩnh Thông", "Tiêu Cần", "Hòa Bình"  # C: in the province, no plan yet
HCC = "Trung tâm Phục vụ hành chính công"
OFFICER_A, OFFICER_B, PROV = 9101, 9102, 9103


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def _world(tg: TelegramHarness, db: Database, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    for plan, commune in (("ke-hoach-vinh-thong.csv", A), ("ke-hoach-tieu-can.csv", B)):
        await cli(monkeypatch, capsys, db_url, "plan", "import", str(DATA / plan), "--commune", commune,
                  "--year", "2026", "--title", f"Kế hoạch chuyển đổi số năm 2026 xã {commune}")
    async with db.transaction() as s:
        from storage.units import get_or_create_commune

        await get_or_create_commune(s, C)
    for commune in (A, B, C):
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", PROVINCE)
    async with db.session() as s:
        units = {c.name: u.id for u, c in (await s.exec(select(Unit, Commune).join(Commune).where(Unit.name == HCC))).all()}
    await add_person(db, units[A], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_A)  # type: ignore[arg-type]
    await add_person(db, units[B], "Lý Thị Hồng", "officer", telegram_id=OFFICER_B)  # type: ignore[arg-type]
    out = await cli(monkeypatch, capsys, db_url, "invite", "create", "--role", "province", "--province",
                    PROVINCE, "--json")
    await tg.say(PROV, f"/start {json.loads(out)['code']}", first_name="Trần Văn Tỉnh")
    await tg.tap(PROV, "Trần Văn Tỉnh")
    await tg.tap(PROV, "yes", expect=2)


async def _report(tg: TelegramHarness, officer: int, values: list[str]) -> None:
    sent = await tg.say(officer, "/baocao", expect=2)
    assert sent[1].text.startswith(f"(1/{len(values)}) Chỉ tiêu ")
    for v in values:
        await tg.say(officer, v)
    await tg.tap(officer, "none")
    await tg.tap(officer, "none")
    sent = await tg.tap(officer, "send")
    assert "đúng hạn" in sent[0].text


async def test_province_reads_shared_targets_across_communes(tg: TelegramHarness, db: Database, db_url: str,
                                                             monkeypatch, capsys) -> None:  # noqa: ANN001
    await _world(tg, db, db_url, monkeypatch, capsys)
    sent = await tg.say(PROV, "/chitieu")  # nothing to show yet: said politely
    assert sent[0].text == vi("The province has no shared indicator list yet. The administrator imports it with "
                              "`cdsbot province indicators import`.")
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(DATA / "chi-tieu-tinh.csv"),
              "--province", PROVINCE)
    out = json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province",
                               PROVINCE, "--json"))
    suggested = {(r["indicator"], r["province_code"]) for r in out["suggestions"]}
    assert {(f"{A}:12", "CT1"), (f"{B}:V.4", "CT1"), (f"{A}:11", "CT2"), (f"{B}:V.1", "CT2"),
            (f"{A}:15", "CT3")} <= suggested and (f"{A}:1", "CT6") not in suggested  # 4G is not 5G
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province", PROVINCE,
              *[arg for pair in (f"{A}:12=CT1", f"{B}:V.4=CT1", f"{A}:11=CT2", f"{B}:V.1=CT2", f"{A}:15=CT3")
                for arg in ("--confirm", pair)])

    # Each commune's officer reports its own indicators, as worded in its own plan.
    await _report(tg, OFFICER_A, ["100", "95", "80"])  # 11 (DVC toàn trình), 12 (hồ sơ trực tuyến), 15 (thanh toán)
    await _report(tg, OFFICER_B, ["100", "60"])  # V.1 (DVC toàn trình), V.4 (hồ sơ trực tuyến)

    sent = await tg.say(PROV, "/chitieu")
    lines = sent[0].text.splitlines()
    assert lines[0] == vi("Shared indicators of {province} at {period} (each commune's latest figure against the "
                          "province's target):", province=PROVINCE, period="tháng 12/2026")
    name1 = "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến toàn trình"
    at = lines.index(vi("{code}. {name} (province target {target}): {on} of {n} communes on track", code="CT1",
                        name=name1, target="≥ 90%", on=1, n=2))
    assert lines[at + 1:at + 4] == [f"  🔴 {B}: 60%", f"  🟢 {A}: 95%",  # laggards first
                                    "  " + vi("Not matched: {communes}", communes=C)]
    assert vi("{code}. {name} (province target {target}): {on} of {n} communes on track", code="CT2",
              name="Tỷ lệ dịch vụ công trực tuyến toàn trình trên tổng số TTHC đủ điều kiện", target="100%",
              on=2, n=2) in lines
    assert vi("{code}. {name} (province target {target}): {on} of {n} communes on track", code="CT3",
              name="Tỷ lệ thanh toán trực tuyến trong giải quyết TTHC", target="≥ 80%", on=1, n=1) in lines
    assert "  " + vi("Not matched: {communes}", communes=f"{C}, {B}") in lines  # CT3: no such indicator in B
    assert "  " + vi("Not matched: {communes}", communes=f"{C}, {B}, {A}") in lines  # CT4–CT6: none confirmed

    # One target in full: each commune's own indicator, its own target and its own assessment.
    sent = await tg.say(PROV, "/chitieu ct1")
    lines = sent[0].text.splitlines()
    assert lines[2:4] == [
        vi("{icon} {commune} ({code}: {name}): {value}; own target {target} ({status})", icon="🔴", commune=B,
           code="V.4", name=shorten("Tỷ lệ hồ sơ TTHC được xử lý hoàn toàn trực tuyến, người dân chỉ phải nhập "
                                         "dữ liệu một lần.", 60),
           value="60%", target="98%", status=vi("off track")),
        vi("{icon} {commune} ({code}: {name}): {value}; own target {target} ({status})", icon="🟢", commune=A,
           code="12", name="Hồ sơ thủ tục hành chính xử lý trực tuyến", value="95%", target="100%",
           status=vi("at risk"))]  # on track for the province (≥ 90), at risk against its own 100
    sent = await tg.say(PROV, "/chitieu tháng 11")  # an earlier month: nothing was reported yet then
    assert vi("{code}. {name} (province target {target}): {on} of {n} communes on track", code="CT1",
              name=name1, target="≥ 90%", on=0, n=2) in sent[0].text.splitlines()
    assert f"  ⚪ {A}: —" in sent[0].text.splitlines()
    sent = await tg.say(PROV, "/chitieu tháng 13")
    assert sent[0].text == vi("I could not read the period \"{text}\". Try e.g. \"tháng 10\" or \"tháng 10/2026\".",
                              text="tháng 13")

    # The same figures from the command line (the same function).
    out = json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "show", "--province",
                               PROVINCE, "--period", "2026-12", "--at", tg.now.isoformat(), "--json"))
    rows = {r["code"]: r for r in out["indicators"]}
    assert [(c["commune"], c["code"], c["value"], c["province_assessment"], c["assessment"])
            for c in rows["CT1"]["communes"]] == [(B, "V.4", 60.0, "off_track", "off_track"),  # by name
                                                  (A, "12", 95.0, "on_track", "at_risk")]
    assert [(r["code"], r["on_track"], r["off_track"], len(r["communes"]), r["unmatched"]) for r in rows.values()] == [
        ("CT1", 1, 1, 2, [C]), ("CT2", 2, 0, 2, [C]), ("CT3", 1, 0, 1, [C, B]), ("CT4", 0, 0, 0, [C, B, A]),
        ("CT5", 0, 0, 0, [C, B, A]), ("CT6", 0, 0, 0, [C, B, A])]
    assert all(c["reported_in"] == "2026-12" for r in rows.values() for c in r["communes"])

    # The province workbook's "Chỉ tiêu dùng chung" sheet: the same figures, the same assessments.
    out_dir = Path(tempfile.mkdtemp())
    await cli(monkeypatch, capsys, db_url, "export", "--province", PROVINCE, "--period", "2026-12", "--at",
              tg.now.isoformat(), "--out", str(out_dir))
    sheet = load_workbook(out_dir / "bao-cao-nq57-tinh-2026-12.xlsx")["Chỉ tiêu dùng chung"]
    ct1 = [[c.value for c in row] for row in sheet.iter_rows(min_row=2) if str(row[0].value).startswith("CT1.")]
    assert [(r[1], r[2].split(".")[0], r[5], r[6], r[7]) for r in ct1] == [
        (B, "V", 60, "2026-12", "Chậm tiến độ"), (A, "12", 95, "2026-12", "Đạt, đúng tiến độ"),
        (C, "—", None, None, "Chưa ghép chỉ tiêu của xã")]


async def test_province_office_in_english_and_commune_lead_unchanged(tg: TelegramHarness, db: Database,
                                                                     db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    await _world(tg, db, db_url, monkeypatch, capsys)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(DATA / "chi-tieu-tinh.csv"),
              "--province", PROVINCE)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province", PROVINCE,
              "--confirm", f"{A}:12=CT1")
    other, elsewhere = "Lạng Sơn", "Hữu Kiên"  # another province with the same list: none of it is shown
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(DATA / "ke-hoach-vinh-thong.csv"), "--commune",
              elsewhere, "--year", "2026", "--title", "Kế hoạch chuyển đổi số năm 2026 xã Hữu Kiên")
    await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", elsewhere, "--province", other)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(DATA / "chi-tieu-tinh.csv"),
              "--province", other)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province", other,
              "--confirm", f"{elsewhere}:12=CT1")
    await tg.say(PROV, "/ngonngu en")
    sent = await tg.say(PROV, "/indicators")
    text = sent[0].text
    assert text.startswith(f"Shared indicators of {PROVINCE} at ") and \
        "CT1. Tỷ lệ hồ sơ TTHC được xử lý trực tuyến toàn trình (province target ≥ 90%): 0 of 1 communes on track" \
        in text and f"  ⚪ {A}: —" in text and elsewhere not in text and other not in text
    lead = 9104
    async with db.session() as s:
        unit = (await s.exec(select(Unit).join(Commune).where(Unit.name == HCC, Commune.name == A))).one()
    await add_person(db, unit.id, "Lê Văn Đạo", "lead", telegram_id=lead)  # type: ignore[arg-type]
    sent = await tg.say(lead, "/chitieu")  # a commune's lead office still sees its own plan's indicators
    assert sent[0].text.startswith(vi("Indicators at {period}: {off} off track, {risk} at risk, {none} without "
                                      "data, {ok} on track.", period="tháng 12/2026", off=0, risk=0, none=5, ok=0))


@pytest.fixture
async def zh(aiohttp_server: Any, db_url: str) -> AsyncIterator[ZaloHarness]:
    fake = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await fake.serve(aiohttp_server)
    h = ZaloHarness(fake, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_on_zalo_officers_report_and_the_province_reads(zh: ZaloHarness, db: Database, db_url: str,
                                                              monkeypatch, capsys) -> None:  # noqa: ANN001
    """The same on Zalo (numbered choices, a command typed without its slash)."""
    from storage.models import Person
    from storage.province import get_province

    for plan, commune in (("ke-hoach-vinh-thong.csv", A), ("ke-hoach-tieu-can.csv", B)):
        await cli(monkeypatch, capsys, db_url, "plan", "import", str(DATA / plan), "--commune", commune,
                  "--year", "2026", "--title", f"Kế hoạch chuyển đổi số năm 2026 xã {commune}")
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", PROVINCE)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(DATA / "chi-tieu-tinh.csv"),
              "--province", PROVINCE)
    await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province", PROVINCE,
              "--confirm", f"{A}:11=CT2", "--confirm", f"{B}:V.1=CT2")
    async with db.transaction() as s:
        units = {c.name: u.id for u, c in (await s.exec(select(Unit, Commune).join(Commune)
                                                        .where(Unit.name == HCC))).all()}
        province = await get_province(s, PROVINCE)
        assert province is not None
        office = Person(commune_id=(await s.exec(select(Commune).where(Commune.name == A))).one().id,
                        name="Trần Văn Tỉnh", role="province", province_id=province.id)
        s.add(office)
        await s.flush()
        office_id = office.id
    await add_zalo_identity(db, office_id, "zp-prov")  # type: ignore[arg-type]
    for commune, user, values in ((A, "zp-a", ["100", "90", "70"]), (B, "zp-b", ["85", "98"])):
        await add_zalo_identity(db, await add_person(db, units[commune], f"Cán bộ {commune}", "officer"), user)
        sent = await zh.say(user, "/baocao", expect=2)
        assert f"(1/{len(values)})" in sent[1]["text"]
        for v in values:
            await zh.say(user, v)
        await zh.say(user, "1")  # no difficulties
        await zh.say(user, "1")  # no proposals
        sent = await zh.say(user, "1")  # send
        assert "đúng hạn" in sent[0]["text"]
    sent = await zh.say("zp-prov", "chỉ tiêu")
    lines = sent[0]["text"].splitlines()
    at = lines.index(vi("{code}. {name} (province target {target}): {on} of {n} communes on track", code="CT2",
                        name="Tỷ lệ dịch vụ công trực tuyến toàn trình trên tổng số TTHC đủ điều kiện",
                        target="100%", on=1, n=2))
    assert lines[at + 1:at + 3] == [f"  🔴 {B}: 85%", f"  🟢 {A}: 100%"]
