"""The province office asks in plain words (issue #19): the province corpus through the core call, and a
conversation through the fake Telegram and Zalo servers reading the numbers a province office reads
(commune ranks, activity totals with the previous period, off-track and overdue counts), nothing of
another province, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storage.db import Database
from tests.ask_corpus import check
from tests.ask_support import NOW
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.province_ask_support import (
    HCC,
    HOA_BINH,
    HUU_KIEN,
    PROV,
    PROVINCE,
    TAN_LAP,
    THIEN_TAN,
    Z_PROV,
    ask,
    counts,
    join_on_telegram,
    join_on_zalo,
    seed_province,
)
from tests.zalo_harness import ZaloHarness

CORPUS = json.loads((Path(__file__).resolve().parent / "data" / "ask_corpus_province.json").read_text("utf-8"))


async def run_province_core(db: Any) -> tuple[int, list[str]]:
    from bot.cli.ask import ask_once

    failures = []
    for case in CORPUS:
        out = await ask_once(db, None, "province", case["q"], now=NOW, locale=case.get("locale", "vi"),
                             province=PROVINCE)
        text = "\n".join([out["answer"], *out["choices"]])
        problems = check(case, out, text)
        if problems:
            failures.append(f"{case['q']!r}: {'; '.join(problems)} → {out['answer'][:200]!r}")
    return len(CORPUS), failures


async def test_province_corpus_core(db: Database) -> None:
    assert len(CORPUS) >= 40 and {c["role"] for c in CORPUS} == {"province"}
    await seed_province(db)
    total, failures = await run_province_core(db)
    rate = 1 - len(failures) / total
    print(f"\nprovince ask corpus: {total - len(failures)}/{total} passed ({rate:.1%})")
    for f in failures:
        print("  FAIL", f)
    assert rate >= 0.95, "\n".join(failures)


async def test_province_office_asks_on_telegram(tg: TelegramHarness, db: Database, db_url: str,
                                                monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_telegram(tg, db_url, monkeypatch, capsys)
    before = await counts(db)

    # the same figures as `cdsbot status --province --json` (the same functions)
    data = json.loads(await cli(monkeypatch, capsys, db_url, "status", "--province", PROVINCE, "--at",
                                tg.now.isoformat(), "--json"))
    rows = {r["commune"]: r for r in data["communes"]}
    assert [r["commune"] for r in data["communes"]] == [THIEN_TAN, TAN_LAP, HOA_BINH]
    assert {c: (r["overdue_tasks"], r["indicators"]["off_track"]) for c, r in rows.items()} == {
        THIEN_TAN: (2, 1), TAN_LAP: (1, 1), HOA_BINH: (0, 0)}
    assert rows[TAN_LAP]["activities"] == {"vneid": 20, "households": 15}
    assert rows[TAN_LAP]["activities_previous"] == {"vneid": 8}

    sent = await tg.say(PROV, "xã nào chậm nhất?")
    ranked = [ln for ln in sent[0].text.splitlines() if ln[:2] in ("1.", "2.", "3.")]
    assert [ln.split(": ")[0].rsplit(" ", 2)[-2:] for ln in ranked] == [
        ["Thiện", "Tân"], ["Tân", "Lập"], ["Hòa", "Bình"]]
    assert "🔴 Đỏ Thiện Tân: nhiệm vụ quá hạn 2" in ranked[0] and "🟢 Xanh Hòa Bình" in ranked[2]
    assert HUU_KIEN not in sent[0].text
    sent = await tg.tap(PROV, "1")  # the drill-down offered: Tân Lập, second of the list
    assert sent[0].text.startswith("Xã Tân Lập") and "0/1 đã báo cáo" in sent[0].text
    await tg.tap(PROV, "close")

    sent = await tg.say(PROV, "tổng số kích hoạt VNeID của tỉnh tháng 11")
    assert "Kích hoạt định danh điện tử (VNeID): 19 (0)" in sent[0].text  # 5 + 2 + 8 + 4; Hữu Kiên's 77 not
    assert "Tân Lập 8 (0), Thiện Tân 7 (0), Hòa Bình 4 (0)" in sent[0].text
    assert [b for row in sent[0].buttons for b in row] == ["Theo từng xã", "So với kỳ trước"]
    sent = await tg.tap(PROV, "1")
    assert "Kích hoạt định danh điện tử (VNeID): 19 (0, +19)" in sent[0].text  # October: nothing logged
    sent = await ask(tg, PROV, "tháng này so với tháng trước")
    assert "Kích hoạt định danh điện tử (VNeID): 39 (19, +20)" in sent[0].text  # 12 + 7 + 20 against 19
    sent = await tg.say(PROV, "chỉ tiêu nào chậm tiến độ")
    assert "2 chậm tiến độ" in sent[0].text and "• Thiện Tân: 1 / 0 / 1 / 2" in sent[0].text
    assert "• Tân Lập: 1 / 0 / 1 / 0 — 1. Tỷ lệ hồ sơ trực tuyến toàn trình" in sent[0].text
    sent = await ask(tg, PROV, "nhiệm vụ quá hạn theo xã")
    assert "(tổng cộng 3)" in sent[0].text and "• Thiện Tân: 2 — " in sent[0].text and "• Tân Lập: 1 — " in sent[0].text
    sent = await ask(tg, PROV, "xã nào chưa báo cáo tháng 11?")
    assert "(2/3)" in sent[0].text and "Tân Lập: đơn vị 1/1, tổ công nghệ số 1/2" in sent[0].text

    # a question typed at the commune list is answered, not refused
    await tg.say(PROV, "/tinhtrang")
    sent = await ask(tg, PROV, "xã nào chậm nhất")
    assert "1. 🔴 Đỏ Thiện Tân: nhiệm vụ quá hạn 2" in sent[0].text
    sent = await tg.say(PROV, "tình hình các xã tháng này")
    assert sent[0].text.startswith("Các xã của Tây Ninh, tháng 12/2026")
    sent = await tg.say(PROV, "xã Tân Lập thế nào")  # at the list: the name picks the commune
    assert sent[0].text.startswith("Xã Tân Lập")
    sent = await tg.say(PROV, "còn xã Hòa Bình thế nào?")  # at one commune's view: another commune
    assert sent[0].text.startswith("Xã Hòa Bình") and "1/1 đã báo cáo" in sent[0].text
    sent = await tg.say(PROV, "xã Tân Lập thế nào?")  # and back: the view opens again, buttons working
    assert sent[0].text.startswith("Xã Tân Lập") and sent[0].callback_data[:3] == ["units", "villages", "by_village"]
    sent = await tg.tap(PROV, "units")
    assert HCC in sent[0].text  # Tân Lập's office has not reported for December
    sent = await tg.say(PROV, "4")  # no view open any more: a bare number is no question
    assert sent[0].text.startswith("Bạn theo dõi các xã của tỉnh (chỉ xem).")

    # another province's commune: refused politely; writing: refused; nothing stored
    sent = await ask(tg, PROV, "xã Hữu Kiên thế nào?")
    assert "Hữu Kiên không thuộc Tây Ninh" in sent[0].text and "99" not in sent[0].text
    for said in ("nhắc các xã chưa báo cáo", "gửi biểu đồ"):
        sent = await ask(tg, PROV, said)
        assert "chỉ theo dõi (chỉ xem)" in sent[0].text, said
    sent = await tg.say(PROV, "hỗ trợ 12 người kích hoạt VNeID")  # no log from the province office
    assert sent[0].text.startswith("Bạn theo dõi các xã của tỉnh (chỉ xem).")
    assert await counts(db) == before


async def test_province_office_asks_on_zalo(zh: ZaloHarness, db: Database, db_url: str,
                                            monkeypatch, capsys) -> None:  # noqa: ANN001
    await seed_province(db)
    await join_on_zalo(zh, db, db_url, monkeypatch, capsys)  # a province office's account
    before = await counts(db)
    sent = await zh.say(Z_PROV, "xa nao cham nhat")
    text = sent[-1]["text"]
    assert "1. 🔴 Đỏ Thiện Tân" in text and "3. 🟢 Xanh Hòa Bình" in text
    assert "Tình hình xã Thiện Tân" in text  # the drill-down as a numbered list
    choice = next(ln.split(".")[0] for ln in text.splitlines() if ln.endswith("Tình hình xã Thiện Tân"))
    sent = await ask(zh, Z_PROV, choice.strip())
    assert sent[-1]["text"].startswith("Xã Thiện Tân") and "1/4 đã báo cáo" in sent[-1]["text"]
    sent = await ask(zh, Z_PROV, "tong so kich hoat vneid thang nay so voi thang truoc")
    assert "(VNeID): 39 (19, +20)" in sent[-1]["text"]
    sent = await zh.say(Z_PROV, "nv qua han theo xa")
    assert "Thiện Tân: 2" in sent[-1]["text"] and "Không có nhiệm vụ quá hạn: Hòa Bình" in sent[-1]["text"]
    sent = await zh.say(Z_PROV, "huu kien duoc bao nhieu vneid")
    assert "Hữu Kiên không thuộc Tây Ninh" in sent[-1]["text"] and "99" not in sent[-1]["text"]
    assert await counts(db) == before


async def test_cli_ask_as_province(db: Database, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    import asyncio

    from bot.cli import main

    await seed_province(db)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["ask", "--as", "province", "--province", PROVINCE, "--at",
                                          "2026-12-10T10:00+07:00", "nhiem vu qua han theo xa", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["intent"] == "p_overdue" and out["facts"]["by_commune"] == {
        HOA_BINH: 0, TAN_LAP: 1, THIEN_TAN: 2}
    for args in (["ask", "--as", "province", "hi"], ["ask", "--province", PROVINCE, "hi"],
                 ["ask", "--as", "province", "--province", "Nowhere", "hi"]):
        code = await asyncio.to_thread(main, args)
        assert code == 2 and capsys.readouterr().err.startswith("error: "), args


def test_may_is_a_month_only_when_said_so() -> None:
    """"mấy" typed without marks is "may": a month only as "in May" or "May 2026"."""
    from handlers.ask.entities import find_period

    assert find_period("xa thien tan co may nhiem vu qua han") is None
    assert find_period("how many in may") == "thang 5" and find_period("may 2026 vneid") == "thang 5 2026"


async def test_hostile_free_messages_as_province(db: Database) -> None:
    """Every hostile message and every corpus question as the province office (the demo commune in a
    province): a clean reply in its language, only read-only views opened, nothing stored."""
    from bot.demo import seed_demo
    from handlers.dispatch import Dispatcher
    from handlers.services import Services
    from reminders.actions import BUTTON_ACTIONS
    from tests.hostile_support import NOW as H_NOW
    from tests.hostile_support import Chat, _province_office, check_replies, snapshot
    from tests.test_hostile_inputs import CORPUS as HOSTILE

    await seed_demo(db, now=H_NOW)
    chat = Chat(Dispatcher(Services(db=db, clock=lambda: H_NOW), actions=BUTTON_ACTIONS), db)
    await _province_office(chat)
    await chat.send("province", "/huy")
    rows = await snapshot(db)
    views = {(None, None), ("ask", "pick"), ("province_status", "pick"), ("status", "pick")}
    for text in [t for t in HOSTILE if not t.strip().startswith("/")] + [c["q"] for c in CORPUS]:
        out = await chat.send("province", text)
        check_replies(out, "vi", text, f"province: {text!r:.60}")
        flow, step, _data = await chat.state("province")
        assert (flow, step) in views, (text, flow, step)
        if flow is not None:
            await chat.send("province", "/huy")
    assert await snapshot(db) == rows


async def test_a_large_province_is_summed_up(db: Database) -> None:
    """Thirty more communes owing their December report: lists stop at 24 communes and say how many more."""
    from bot.cli.ask import ask_once
    from storage.province import set_commune_province
    from storage.units import get_or_create_commune, get_or_create_unit
    from tests.seed import add_person

    await seed_province(db)
    for n in range(30):
        async with db.transaction() as s:
            c = await get_or_create_commune(s, f"Xã Số {n:02d}")
            office, _created = await get_or_create_unit(s, c, HCC, "office")
            await set_commune_province(s, c, PROVINCE)
        await add_person(db, office.id, f"Cán bộ {n:02d}", "officer")  # type: ignore[arg-type]
    out = await ask_once(db, None, "province", "xã nào chưa báo cáo?", now=NOW, province=PROVINCE)
    lines = out["answer"].splitlines()
    assert lines[0].endswith("(32/33):") and sum(ln.startswith("• ") for ln in lines) == 24
    assert lines[-1] == "… và 8 nơi khác"
    out = await ask_once(db, None, "province", "nhiệm vụ quá hạn theo xã", now=NOW, province=PROVINCE)
    assert "(tổng cộng 3)" in out["answer"] and "và 19 nơi khác" in out["answer"]  # 31 without, 12 named
