"""Every plan task in the national colours (storage.deadlines.task_light): Đỏ past its last allowed day and
not done, Vàng due within 7 days, Xanh otherwise — the same in /quahan, the workbook and the dashboard."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.web.dashboard import make_token
from locales.i18n import _, use_locale
from storage.db import Database
from storage.deadlines import SOON_DAYS, task_light
from storage.models import Commune
from storage.plan_import.model import Due, ParsedPlan, ParsedTask
from storage.plan_store import save_plan
from tests.harness import TelegramHarness
from tests.test_lead_office import LEAD, _people, _submit

UNIT = "Phòng Văn hóa - Xã hội"


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


def test_the_rule_at_its_edges() -> None:
    today = date(2026, 12, 10)
    assert task_light(date(2026, 12, 9), False, today) == "red"  # its last allowed day is over
    assert task_light(date(2026, 12, 10), False, today) == "yellow"  # today is still on time
    assert task_light(today + timedelta(days=SOON_DAYS), False, today) == "yellow"
    assert task_light(today + timedelta(days=SOON_DAYS + 1), False, today) == "green"
    assert task_light(date(2026, 11, 1), True, today) == "green"  # done: never late
    assert task_light(None, False, today) == "green"  # "Thường xuyên": no deadline


async def test_tasks_in_colour_in_chat_workbook_and_dashboard(tg: TelegramHarness, db: Database, aiohttp_client: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    await _people(db)
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, ParsedPlan("Kế hoạch bổ sung", 2026, [  # the harness's day: 10/12/2026
            ParsedTask("21", None, "Số hóa sổ hộ tịch", [UNIT], [], Due("Trước ngày 01/12/2026", date(2026, 11, 30))),
            ParsedTask("22", None, "Tập huấn kỹ năng số", [UNIT], [], Due("Ngày 15/12/2026", date(2026, 12, 15))),
            ParsedTask("23", None, "Lắp camera an ninh", [UNIT], [], Due("Ngày 31/12/2026", date(2026, 12, 31))),
        ], []))
    await _submit(tg)  # the officer's report of the first plan: its task 1 done, task 2 in progress

    # The lead office's /quahan: red first, then the tasks due within the week.
    text = (await tg.say(LEAD, "/quahan"))[0].text
    lines = text.splitlines()
    red_at = next(i for i, ln in enumerate(lines) if ln.startswith("🔴 "))
    yellow_at = lines.index(vi("🟡 {n} task(s) due within 7 days:", n=1))
    assert any(ln.startswith("• 21. Số hóa sổ hộ tịch — Trước ngày 01/12/2026") for ln in lines[red_at:yellow_at])
    assert lines[yellow_at + 1] == f"• 22. Tập huấn kỹ năng số — 15/12/2026 — {UNIT}"
    assert "Lắp camera" not in text  # due in three weeks: green, not listed

    # The workbook's task sheet: the colour of every task, as a word on its fill.
    xlsx = (await tg.say(LEAD, "/xuat", expect=3))[0]
    sheet = load_workbook(io.BytesIO(xlsx.document_bytes))["Nhiệm vụ"]
    head = [c.value for c in sheet[1]]
    col = head.index("Mức độ")
    lights = {row[1].value: row[col].value for row in sheet.iter_rows(min_row=2)}
    assert (lights["21"], lights["22"], lights["23"]) == ("Đỏ", "Vàng", "Xanh")
    fills = {row[1].value: row[col].fill.fgColor.rgb[-6:] for row in sheet.iter_rows(min_row=2)}
    assert (fills["21"], fills["22"], fills["23"]) == ("FFC7CE", "FFEB9C", "C6EFCE")

    # The dashboard: the same counts from the same rows.
    monkeypatch.setenv("CDSBOT_WEB_SECRET", "task-lights-secret-0123456789")
    assert tg.bot is not None
    client = await aiohttp_client(tg.bot.web)  # the web app, the dashboard with it, is built on first use
    dashboard = tg.bot.services.extra["dashboard"]
    async with db.session() as s:
        cid = (await s.exec(select(Commune.id))).one()
    token = make_token(dashboard.secret, cid, tg.now + timedelta(days=1))
    assert (await client.get(f"/dashboard?t={token}", allow_redirects=False)).status == 303
    data = await (await client.get("/dashboard/api/summary?period=2026-12")).json()
    assert data["tasks"]["lights"]["yellow"] == 1 and [t["code"] for t in data["due_soon_tasks"]] == ["22"]
    assert data["tasks"]["lights"]["red"] == data["tasks"]["overdue"] == sum(v == "Đỏ" for v in lights.values())
    assert sum(data["tasks"]["lights"].values()) == data["tasks"]["total"] == len(lights)
