"""The per-update path without an ORM session (issue #17): what a member does is stored as before."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from storage.db import Database
from storage.models import ActivityLog, Attachment, Person, ProcessedUpdate
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

MEMBER = 5101


async def test_photo_first_then_a_two_activity_log_goes_with_its_first_row(tg: TelegramHarness,
                                                                           db: Database) -> None:
    """A photo sent alone waits; the log confirmed next (two activities, one statement on PostgreSQL)
    takes it, on its first row; the month's figures a lead office reads count both activities."""
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    tg.fake.add_file("photo-a", b"\xff\xd8\xff jpeg a")
    await tg.send(tg.fake.photo(MEMBER, "photo-a"))
    sent = await tg.say(MEMBER, "hỗ trợ 12 người kích hoạt VNeID, mở 3 tài khoản ngân hàng")
    assert "Xác nhận" in sent[0].buttons[0]
    sent = await tg.say(MEMBER, "1")
    assert sent[0].text.startswith("Đã lưu")
    async with db.session() as s:
        logs = (await s.exec(select(ActivityLog).order_by(ActivityLog.id))).all()  # type: ignore[arg-type]
        files = (await s.exec(select(Attachment))).all()
    assert sorted((r.activity, r.count) for r in logs) == [("payment", 3), ("vneid", 12)]
    assert [f.activity_log_id for f in files] == [logs[0].id]
    assert {r.person_id for r in logs} == {logs[0].person_id} and logs[0].person_id is not None


async def test_a_person_changed_without_the_session_is_saved(tg: TelegramHarness, db: Database) -> None:
    """The channel a person last wrote on is set by the dispatcher outside any flow's session."""
    org = await make_org(db)
    person_id = await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    async with db.transaction() as s:
        await s.exec(update(Person).where(Person.id == person_id).values(last_channel="zalo"))  # type: ignore[call-overload]
    sent = await tg.say(MEMBER, "hỗ trợ 5 người cài VNeID")
    assert "Xác nhận" in sent[0].buttons[0]
    async with db.session() as s:
        again = await s.get(Person, person_id)
        claimed = (await s.exec(select(ProcessedUpdate))).all()
    assert again is not None and again.last_channel == "telegram"
    assert len(claimed) == 1
