"""Support for the first-month audit: the commune, joining, a report in chat, the dashboard JSON, hand figures."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlmodel import select

from bot.web.dashboard import Dashboard, make_token
from reminders.sweep import preview
from storage.db import Database
from storage.models import Commune, Person
from tests.first_month_support import Tg, at, cli, cli_with_err
from tests.zalo_harness import ZaloHarness, texts

SEED = Path(__file__).resolve().parent / "data" / "seeds" / "000_fbe0021516ef53e6.txt"
COMMUNE = "Vĩnh Thông"
VHXH, HCC, PKT = "Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công", "Phòng Kinh tế"
CAX, TYT = "Công an xã", "Trạm y tế xã"
LANG, NAHIN, BANCHANG = "Xóm Làng Mới", "Xóm Nà Hin", "Xóm Bản Chang"

ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0913000001,lead
{HCC},office,,Nguyễn Thị Hoa,0913000010,officer
{PKT},office,,Lý Văn Nam,0913000011,officer
{CAX},office,,Triệu Văn Sơn,0913000012,officer
{TYT},office,,Ma Thị Lan,0913000013,officer
{LANG},village,,Lò Thị Bích,0913000002,member
{LANG},village,,Đinh Văn Hùng,0913000003,member
{NAHIN},village,,Hà Văn Tùng,0913000004,member
{BANCHANG},village,,Nông Văn Dũng,0913000005,member
"""

LEAD, HOA, SON, HUNG = 6301, 6302, 6303, 6304  # Telegram users
BICH, TUNG, DUNG, NAM = ("7c1b2c3d4e5f60718201", "7c1b2c3d4e5f60718202", "7c1b2c3d4e5f60718203",
                         "7c1b2c3d4e5f60718204")  # Zalo users


@dataclass
class Imported:
    """What ``import_commune`` did: the invite code of each unit, the two imports' outputs, the plan shown."""

    codes: dict[str, str]
    org_out: str
    plan_out: str
    plan: dict[str, Any]
    plan_err: str = ""  # the plan import's warnings (stderr)

    @property
    def targets(self) -> dict[str, Any]:
        return {i["code"]: i["target"] for i in self.plan["indicators"]}


async def import_commune(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path, commune: str,
                         org_csv: str, plan: Path | str, invites: Sequence[tuple[str, str]], *,
                         start: str = "2026-12-01", before_invites: Callable[[], Awaitable[None]] | None = None,
                         uses: int = 5) -> Imported:
    """A commune as an operator sets it up through the CLI: its org list, a plan (a seed file or the text of
    one), reporting from ``start``, then (after ``before_invites``, e.g. its streams) one invite per
    (unit, role)."""
    (tmp_path / "org.csv").write_text(org_csv, encoding="utf-8")
    org_out = await cli(mp, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", commune)
    if isinstance(plan, str):
        (tmp_path / "plan.txt").write_text(plan, encoding="utf-8")
        plan = tmp_path / "plan.txt"
    plan_out, plan_err = await cli_with_err(mp, capsys, db_url, "plan", "import", str(plan), "--commune", commune,
                                            "--year", "2026")
    await cli(mp, capsys, db_url, "commune", "set-start", "--commune", commune, start)
    if before_invites is not None:
        await before_invites()
    codes = {}
    for unit, role in invites:
        out = await cli(mp, capsys, db_url, "invite", "create", "--unit", unit, "--role", role, "--commune", commune,
                        "--uses", str(uses), "--days", "60", "--json")
        codes[unit] = json.loads(out)["code"]
    shown = json.loads(await cli(mp, capsys, db_url, "plan", "show", "--commune", commune, "--json"))
    (one,) = shown.get("plans", [shown])
    return Imported(codes, org_out, plan_out, one, plan_err)


async def setup_commune(mp: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    """The org list and the real seed plan through the CLI; reporting starts on 1/12; one invite per unit."""
    done = await import_commune(mp, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, SEED, (
        (LANG, "member"), (NAHIN, "member"), (BANCHANG, "member"), (HCC, "officer"), (PKT, "officer"),
        (CAX, "officer"), (VHXH, "lead")))
    assert "9 new people" in done.org_out, done.org_out
    assert len(done.plan["tasks"]) == 12 and len(done.plan["indicators"]) == 17
    return done.codes


async def join_zalo(h: ZaloHarness, user: str, code: str, typed: str) -> None:
    await h.say(user, code)
    await h.say(user, typed)
    await h.say(user, "1")
    sent = await h.say(user, "1", expect=2)
    assert "Chào mừng" in sent[0]["text"], texts(sent)


async def join_tg(tg: Tg, user: int, code: str, typed: str) -> None:
    await tg.say(user, code)
    await tg.say(user, typed)
    await tg.say(user, "1")
    sent = await tg.tap(user, "yes", expect=2)
    assert "Chào mừng" in sent[0].text, sent[0].text


async def join_all(both: ZaloHarness, tg: Tg, db: Database, codes: dict[str, str]) -> None:
    """Listed people join as themselves (typed names with and without diacritics); Lan (TYT) never joins."""
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((BICH, LANG, "Lo Thi Bich"), (TUNG, NAHIN, "ha van tung"),
                              (DUNG, BANCHANG, "Nông Văn Dũng"), (NAM, PKT, "Ly Van Nam")):
        await join_zalo(both, user, codes[unit], typed)
    for user, unit, typed in ((HUNG, LANG, "Đinh Văn Hùng"), (HOA, HCC, "Nguyen Thi Hoa"),
                              (SON, CAX, "Triệu Văn Sơn"), (LEAD, VHXH, "hoang van thai")):
        await join_tg(tg, user, codes[unit], typed)
    async with db.session() as s:
        people = (await s.exec(select(Person))).all()
    assert len(people) == 9  # nobody twice


def zt(sent: list[dict[str, Any]]) -> str:
    return texts(sent)


async def tg_report(tg: Tg, user: int, answers: list[str], difficulties: str, proposals: str,
                     pick: str | None = None) -> str:
    sent = await tg.say(user, "/baocao", expect=1 if pick else 2)
    if pick:
        assert sent[0].callback_data == ["2026-12", "2027-01"], sent[0].callback_data
        sent = await tg.tap(user, pick, expect=2)
    assert "tháng 12/2026" in sent[0].text
    for a in answers:
        await tg.say(user, a)
    await tg.say(user, difficulties)
    summary = (await tg.say(user, proposals))[0]
    assert summary.callback_data == ["send", "fix", "cancel"], summary.text
    return (await tg.tap(user, "send"))[0].text


def owing(planned: list[Any]) -> set[tuple[str, str | None, str]]:
    return {(p.stream, p.unit, p.person) for p in planned
            if p.stream in ("village_monthly", "unit_monthly") and p.stage != "digest"}


@dataclass
class Run:
    both: ZaloHarness
    tg: Tg
    db_url: str
    monkeypatch: pytest.MonkeyPatch
    capsys: Any
    aiohttp_client: Any


async def dashboard_summary(h: ZaloHarness, aiohttp_client: Any, key: str | None,
                            commune: str = COMMUNE) -> dict[str, Any]:
    """The dashboard's summary JSON for period ``key`` (None: the page's own month), through a signed login link."""
    assert h.bot is not None
    secret = b"audit-dashboard-secret-0123456789"
    app = web.Application()
    Dashboard(h.bot.services, secret=secret).mount(app)
    client = await aiohttp_client(app)
    async with h.bot.db.session() as s:
        cid = (await s.exec(select(Commune.id).where(Commune.name == commune))).one()
    resp = await client.get(f"/dashboard?t={make_token(secret, cid, h.now + timedelta(days=1))}",
                            allow_redirects=False)
    assert resp.status == 303
    resp = await client.get("/dashboard/api/summary" + (f"?period={key}" if key else ""))
    assert resp.status == 200
    return await resp.json()


def _num(v: float) -> str:
    return (f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))).replace(".", ",")


def answer_item(prompt: str, own: dict[str, str], targets: dict[str, Any]) -> str:
    """What a unit types at a /baocao question: its own answer for the item's code (or "Nhiệm vụ 1", "Chỉ tiêu 1"
    when a plan numbers tasks and indicators alike), else a task "đang thực hiện",
    a yes/no target "đạt", a number its target (``targets``: code → the plan's target), a result in words
    "đang thực hiện" then what it has achieved."""
    if "Đến nay đã đạt được gì?" in prompt:  # a qualitative result: what it has achieved so far
        return "Đang xây dựng kế hoạch triển khai"
    code = re.search(r"\) (Nhiệm vụ|Chỉ tiêu) (\S+?)\. ", prompt)
    assert code, prompt
    if code.group(0)[2:-2] in own:  # "Nhiệm vụ 1" / "Chỉ tiêu 1": a plan numbering both from 1 (seed 002)
        return own[code.group(0)[2:-2]]
    if code.group(2) in own:
        return own[code.group(2)]
    if code.group(1) == "Nhiệm vụ":
        return "đang thực hiện"
    if "có đạt không" in prompt:
        return "đạt"
    t = targets[code.group(2)]
    return "đang thực hiện" if t["value"] is None else _num(float(t["value"]))


async def report_tg(tg: Tg, user: int, own: dict[str, str], targets: dict[str, Any], n: int, parts: int = 1,
                    pick: str | None = None, notice: bool = False) -> str:
    """A whole /baocao on Telegram (``n`` items; ``parts``: messages of the summary; ``pick``: the period picked
    when several are owed; ``notice``: a flow left open over a day is closed first, with a notice)."""
    sent = await tg.say(user, "/baocao", expect=1 + notice + (pick is None))
    if notice:
        assert "không có trả lời sau 24 giờ" in sent.pop(0).text
    if pick:
        assert pick in sent[0].callback_data, sent[0].callback_data
        sent = await tg.tap(user, pick, expect=2)
    assert f"Có {n} nội dung cần trả lời" in sent[0].text, sent[0].text
    prompt = sent[1].text
    while "khó khăn" not in prompt:
        prompt = (await tg.say(user, answer_item(prompt, own, targets)))[0].text
    await tg.say(user, "Chưa có kinh phí nâng cấp mạng")
    summary = (await tg.say(user, "Đề nghị tỉnh hỗ trợ thiết bị", expect=parts))[-1]  # a long summary: 2 messages
    assert summary.callback_data == ["send", "fix", "cancel"], summary.text
    return (await tg.tap(user, "send"))[0].text


async def report_zalo(h: ZaloHarness, user: str, own: dict[str, str], targets: dict[str, Any], n: int,
                      pick: str | None = None) -> str:
    """A whole /baocao on Zalo, no difficulties nor proposals (``pick``: the period typed when several are owed)."""
    sent = await h.say(user, "/baocao", expect=1 if pick else 2)
    if pick:
        assert "Bạn muốn làm báo cáo kỳ nào trước?" in zt(sent), zt(sent)
        sent = await h.say(user, pick, expect=2)
    assert f"Có {n} nội dung cần trả lời" in zt(sent), zt(sent)
    prompt = sent[1]["text"]
    while "khó khăn" not in prompt:
        prompt = zt(await h.say(user, answer_item(prompt, own, targets)))
    await h.say(user, "không")
    await h.say(user, "không có")
    return zt(await h.say(user, "1"))


async def preview_at(h: ZaloHarness, when: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.session() as s:
        return await preview(s, h.bot.services, at(when))


# ---- the expected figures, computed by hand from what was sent ---------------------------------------------------
# December (window 15/11–14/12): Làng Mới VNeID 10 (12 corrected) + 21 ("hai chục" corrected) + 3 (14/12 23:59);
# DVC 3; households 15; outreach 1.200. Nà Hin (logged 22/12, dated 13/12): VNeID 6, DVC 2.
DEC_BY_VILLAGE = {LANG: {"vneid": 34, "dvc": 3, "households": 15, "outreach": 1200}, NAHIN: {"vneid": 6, "dvc": 2}}
DEC_TOTAL = {"vneid": 40, "dvc": 5, "households": 15, "outreach": 1200}
NOV_TOTAL = {"vneid": 7}  # Nà Hin's log dated 12/11
JAN_TOTAL = {"vneid": 9, "dvc": 2, "ehealth": 4}  # 15/12 00:01 (5), Bản Chang 17/12 (4), 20/12 23:59, 21/12 00:01
# Unit reports: 5 offices owe (all chair "Các cơ quan, đơn vị" items); villages: 3.
UNITS = {"expected": 5, "submitted": 3, "on_time": 2, "late": 1, "missing": [VHXH, TYT]}
VILLAGES = {"expected": 3, "submitted": 2, "on_time": 1, "late": 1, "missing": [BANCHANG]}
# Indicators judged on 14/12 (the window's end): share of 2026 = 348/365 = 0,9534, so a target of 100 is on
# track at 100, at risk from 95,34, off track below; target 80: 80 is met. 4 and 6 are owed by every office ("Các cơ
# quan, đơn vị": 5 offices): each stands at its worst-off unit's answer — 4: HCC 95, PKT 100, CAX 80 → CAX's 80; 6: HCC
# 90, PKT 60, CAX 75 → PKT's 60 (storage.item_standing; before, whichever unit answered last: CAX's 80 and 75).
LATEST = {"4": 80.0, "6": 60.0, "8": 100.0, "9": 80.0, "10": 98.0, "11": 99.5, "12": 100.0, "13": 90.0, "14": 85.0,
          "15": 96.0, "17": 85.5}  # 15: 70 amended to 96 on 17/12
GROUP_NOTES = {"4": f"thấp nhất: {CAX}; 3/5 đơn vị; chưa báo cáo: {VHXH}, {TYT}",
               "6": f"thấp nhất: {PKT}; 3/5 đơn vị; chưa báo cáo: {VHXH}, {TYT}"}
VERDICT = {"4": "off_track", "6": "off_track", "8": "on_track", "9": "on_track", "10": "at_risk", "11": "at_risk",
           "12": "on_track", "13": "off_track", "14": "off_track", "15": "at_risk", "17": "off_track"}
VERDICT |= {code: "no_data" for code in ("1", "2", "3", "5", "7", "16")}
VERDICT_COUNTS = {"on_track": 3, "at_risk": 3, "off_track": 5, "no_data": 6}
# Tasks: Q2/Q3 2026 overdue unless done: 1 (owed by the 5 offices: HCC in progress, PKT and CAX done, VHXH and TYT
# never answered: in progress, 2/5 done — before, CAX's "done" stood as it came last), 2, 3 (VHXH, no report), 4 (in
# progress), 5 (blocked); 6 and 9 done; the rest are due 31/12/2026.
OVERDUE, DONE = ["1", "2", "3", "4", "5"], ["6", "9"]
TASK1_UNITS = "2/5 đơn vị hoàn thành"
VI_VERDICT = {"on_track": "đạt, đúng tiến độ", "at_risk": "có nguy cơ chậm", "off_track": "chậm tiến độ",
              "no_data": "chưa có số liệu"}


async def january_and_late(both: ZaloHarness, tg: Tg) -> None:
    """Logs on the 20th at 23:59 and the 21st at 00:01 (January's window), then Nà Hin's late log dated 13/12."""
    both.now = at("2026-12-20T23:59+07:00")
    assert "ngày 20/12/2026" in (await tg.say(HUNG, "hỗ trợ 2 hồ sơ dịch vụ công"))[0].text
    await tg.tap(HUNG, "ok")
    both.now = at("2026-12-21T00:01+07:00")
    assert "ngày 21/12/2026" in zt(await both.say(BICH, "hướng dẫn 4 người dùng sổ sức khỏe điện tử"))
    await both.say(BICH, "1")
    both.now = at("2026-12-22T10:00+07:00")
    sent = await both.say(TUNG, "ngày 13/12 hỗ trợ 6 người kích hoạt VNeID, 2 hồ sơ DVC")
    assert "ngày 13/12/2026" in zt(sent)
    assert "Đã lưu" in zt(await both.say(TUNG, "1"))
