"""A re-import that adds items after offices reported: each office that reported before an item it owes came (its own
or its group's) is reminded once, for those items only; /baocao asks only them and adds them to the report it sent
(before, the office counted as reported and was never asked for them: they stayed "Chưa báo cáo" for the month)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reminders.messages import reminder_outgoing
from storage.db import Database
from tests.audit_support import import_commune, join_tg, preview_at
from tests.first_month_support import Tg, at, cli, sheet
from tests.zalo_harness import ZaloHarness

COMMUNE = "Hòa An"
VHXH, PKT, CAX = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã"
LEAD, NAM, SON = 6601, 6602, 6603  # Telegram
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0916000001,lead
{PKT},office,,Lý Văn Nam,0916000002,officer
{CAX},office,,Triệu Văn Sơn,0916000003,officer
"""
HEAD = """KẾ HOẠCH
Chuyển đổi số xã Hòa An năm 2026

Phụ lục I: Các chỉ tiêu năm 2026

TT\tMục tiêu, nhiệm vụ, giải pháp\tNăm 2026\tCơ quan chủ trì\tCơ quan thực hiện/phối hợp
1\tTỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến\t≥80%\tPhòng Kinh tế\t

Phụ lục II: Danh mục các nhiệm vụ

STT\tTên nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện
1\tRà soát trang thiết bị phục vụ chuyển đổi số\tCác cơ quan, đơn vị\t\tQuý IV năm 2026
2\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý IV năm 2026
"""
ADDED = """3\tTập huấn kỹ năng số cho cán bộ\tCác cơ quan, đơn vị\t\tQuý IV năm 2026
4\tSố hóa sổ hộ kinh doanh\tPhòng Kinh tế\t\tQuý IV năm 2026
"""


def _new(planned: list[Any]) -> dict[str | None, tuple[str, ...]]:
    return {p.unit: p.items for p in planned if p.stage == "new_items"}


async def _report(tg: Tg, user: int, n: int, answers: list[str]) -> str:
    sent = await tg.say(user, "/baocao", expect=2)
    assert f"Có {n} nội dung cần trả lời" in sent[0].text, sent[0].text
    for a in answers:
        await tg.say(user, a)
    await tg.say(user, "không")
    summary = (await tg.say(user, "không"))[0]
    assert summary.callback_data == ["send", "fix", "cancel"], summary.text
    return (await tg.tap(user, "send"))[0].text


async def test_an_office_that_reported_is_asked_for_the_items_added_after(
        both: ZaloHarness, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: Any) -> None:
    tg = Tg(both)
    codes = (await import_commune(monkeypatch, capsys, db_url, tmp_path, COMMUNE, ORG_CSV, HEAD, (
        (VHXH, "lead"), (PKT, "officer"), (CAX, "officer")))).codes
    both.now = at("2026-12-01T09:00+07:00")
    for user, unit, typed in ((LEAD, VHXH, "Hoàng Văn Thái"), (NAM, PKT, "Lý Văn Nam"), (SON, CAX, "Triệu Văn Sơn")):
        await join_tg(tg, user, codes[unit], typed)
    # December's reports (due before 20/12): Phòng Kinh tế its 3 items on 15/12, Công an xã the group's task on 16/12
    both.now = at("2026-12-15T09:00+07:00")
    out = await _report(tg, NAM, 3, ["đang thực hiện", "hoàn thành", "85"])
    assert out == "Báo cáo tháng 12/2026 đã được gửi đúng hạn. Cảm ơn bạn!", out
    both.now = at("2026-12-16T09:00+07:00")
    assert "đúng hạn" in await _report(tg, SON, 1, ["đang thực hiện"])
    # the lead office accepts Phòng Kinh tế's report as it reads it on 16/12
    sent = await tg.say(LEAD, "/duyet")
    assert [b.split(" · ")[0] for row in sent[0].buttons for b in row] == [CAX, PKT], sent[0].buttons
    await tg.tap(LEAD, sent[0].callback_data[1])
    assert (await tg.tap(LEAD, "accept"))[0].text == "Đã chấp nhận báo cáo; đơn vị đã được thông báo."
    # 17/12: the plan is re-imported with task 3 (every office) and task 4 (Phòng Kinh tế)
    (tmp_path / "plan2.txt").write_text(HEAD + ADDED, encoding="utf-8")
    out = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "plan2.txt"), "--commune", COMMUNE,
                    "--year", "2026", "--at", "2026-12-17T09:00+07:00")
    assert "2 added, 0 changed, 0 removed" in out, out
    # Friday 18/12, the officers' last working day: the two offices that reported are asked for the new items
    # only (once: "new_items"), the lead office (owing the group's tasks, not reported) as before
    eve = await preview_at(both, "2026-12-18T08:00+07:00")
    assert _new(eve) == {PKT: ("3", "4"), CAX: ("3",)}
    assert {p.unit for p in eve if p.stream == "unit_monthly" and p.stage != "new_items"} == {VHXH}
    both.now = at("2026-12-18T08:00+07:00")
    text = reminder_outgoing(next(p for p in eve if p.unit == PKT), both.bot.services, both.now).text  # type: ignore[union-attr]
    assert text == ("Kế hoạch vừa bổ sung 2 nội dung đơn vị bạn cần báo cáo tháng 12/2026, sau khi bạn đã gửi báo cáo: "
                    "3, 4. Bạn gõ /baocao để trả lời; bot chỉ hỏi các nội dung này và bổ sung vào báo cáo đã gửi."), text
    # /baocao asks only the 2 new items and adds them to the report sent on 15/12 (still on time)
    both.now = at("2026-12-18T09:00+07:00")
    sent = await tg.say(NAM, "/baocao", expect=2)
    assert "Có 2 nội dung cần trả lời" in sent[0].text and "chỉ hỏi các nội dung này" in sent[0].text, sent[0].text
    assert "Nhiệm vụ 3. Tập huấn kỹ năng số cho cán bộ" in sent[1].text, sent[1].text
    await tg.say(NAM, "hoàn thành")
    await tg.say(NAM, "đang thực hiện")
    await tg.say(NAM, "không")
    summary = (await tg.say(NAM, "không"))[0]
    assert summary.callback_data == ["send", "fix", "cancel"], summary.text
    out = (await tg.tap(NAM, "send"))[0].text
    assert out == ("Đã bổ sung 2 nội dung vào báo cáo tháng 12/2026; cơ quan đầu mối đã chấp nhận báo cáo này và sẽ "
                   "xem lại cùng các nội dung mới. Cảm ơn bạn!"), out
    # accepted before the two answers came: the report waits for the lead office's review again, with all 5 answers
    # (before: it stayed "accepted", so the added answers were never looked at)
    sent = await tg.say(LEAD, "/duyet")
    assert [b.split(" · ")[0] for row in sent[0].buttons for b in row] == [CAX, PKT], sent[0].buttons
    review = (await tg.tap(LEAD, sent[0].callback_data[1]))[0]
    assert "Tập huấn kỹ năng số cho cán bộ" in review.text and "Số hóa sổ hộ kinh doanh" in review.text, review.text
    assert review.callback_data[:2] == ["accept", "return"], review.callback_data
    await tg.tap(LEAD, "accept")
    eve = await preview_at(both, "2026-12-18T16:00+07:00")
    assert _new(eve) == {CAX: ("3",)}  # Phòng Kinh tế has answered them
    # the lead office reads one report of Phòng Kinh tế with its 5 answers, on time
    both.now = at("2026-12-21T09:00+07:00")
    text = (await tg.say(LEAD, "phòng kinh tế báo cáo tháng 12 thế nào"))[0].text
    assert text.startswith(f"Báo cáo tháng 12/2026 của {PKT} (đúng hạn):"), text
    said = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(said) == 5, text  # tasks 1–4 and indicator 1 in one report
    assert [line.rsplit(": ", 1)[-1] for line in said if line.startswith(("• 3. ", "• 4. "))] == [
        "Hoàn thành", "Đang thực hiện"], text
    xlsx = (await tg.say(LEAD, "/xuat tháng 12", expect=3))[0]
    rows = [r for r in sheet(xlsx.document_bytes, "Báo cáo đơn vị") if r[0] == PKT]
    assert sorted(r[6] for r in rows) == ["1", "1", "2", "3", "4"] and {r[3] for r in rows} == {"Đúng hạn"}, rows
    tasks = {r[1]: r[6] for r in sheet(xlsx.document_bytes, "Nhiệm vụ")}
    assert (tasks["3"], tasks["4"]) == ("Đang thực hiện", "Đang thực hiện"), tasks  # 3: CAX and VHXH not yet


async def test_migration_0019_dates_no_existing_item(db: Database) -> None:
    """Down to 0018 (no created_at on task and indicator) and up again: the items already there stay undated,
    "in the plan from the start" (SQLite and PostgreSQL)."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from sqlmodel import select

    from storage.models import Indicator, Task
    from tests.migration_support import downgrade_to

    def columns(conn: Any) -> dict[str, set[str]]:
        return {t: {c["name"] for c in sa.inspect(conn).get_columns(t)} for t in ("task", "indicator")}

    t0 = sa.bindparam("t", type_=sa.DateTime(timezone=True))
    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0018_unit_created")
        assert all("created_at" not in cols for cols in (await conn.run_sync(columns)).values())
        await conn.execute(sa.text("INSERT INTO commune (name, key, created_at) VALUES ('Hòa An', 'hòa an', :t)")
                           .bindparams(t0), {"t": datetime(2026, 11, 1, tzinfo=UTC)})
        cid = (await conn.execute(sa.text("SELECT id FROM commune"))).scalar()
        await conn.execute(sa.text("INSERT INTO plan (commune_id, title, key, year, imported_at) "
                                   "VALUES (:c, 'KH', 'kh', 2026, :t)").bindparams(t0),
                           {"c": cid, "t": datetime(2026, 11, 1, tzinfo=UTC)})
        pid = (await conn.execute(sa.text("SELECT id FROM plan"))).scalar()
        await conn.execute(sa.text("INSERT INTO task (plan_id, position, code, title, due_text, due_recurring, "
                                   "due_kind, owners_assigned) VALUES (:p, 0, '1', 'Số hóa', '', :f, 'none', :f)"),
                           {"p": pid, "f": False})
        await conn.execute(sa.text("INSERT INTO indicator (plan_id, position, code, name, target_text, target_op, "
                                   "answer_kind, owners_assigned) VALUES (:p, 0, '1', 'Tỷ lệ', '80', '>=', 'number', "
                                   ":f)"), {"p": pid, "f": False})
    await db.upgrade()
    async with db.engine.begin() as conn:
        assert all("created_at" in cols for cols in (await conn.run_sync(columns)).values())
    async with db.session() as s:
        assert (await s.exec(select(Task.created_at))).all() == [None]
        assert (await s.exec(select(Indicator.created_at))).all() == [None]
