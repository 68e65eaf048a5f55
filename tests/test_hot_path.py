"""The per-update path without an ORM session (issue #17): what a member does is stored as before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from storage.db import Database
from storage.models import ActivityLog, Attachment, ConversationState, Outbox, Person, ProcessedUpdate
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


def _once(write):  # noqa: ANN001, ANN202
    """A button action (the dispatcher's hook for the layers above) that runs ``write`` from another
    connection in the middle of the first turn it sees, as a second worker would, and then lets it go on."""
    done: list[int] = []

    async def action(turn) -> bool:  # noqa: ANN001
        if not done:
            done.append(1)
            await write(turn)
        return False

    return action, done


async def test_postgresql_state_moved_on_mid_turn_the_update_is_handled_again_once(
        tg: TelegramHarness, db: Database) -> None:
    """PostgreSQL writes a turn in one statement: when another worker moved the chat's state on while the
    turn ran, nothing of the turn is written and it is handled again: one reply, the log stored once."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite's turn holds the write lock from its first statement")
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    sent = await tg.say(MEMBER, "hỗ trợ 12 người kích hoạt VNeID")
    assert "Xác nhận" in sent[0].buttons[0]

    async def bump(turn) -> None:  # noqa: ANN001
        async with db.transaction() as s:
            await s.exec(update(ConversationState).values(version=ConversationState.version + 1))  # type: ignore[call-overload]

    action, done = _once(bump)
    assert tg.bot is not None
    tg.bot.dispatcher.actions = (action, *tg.bot.dispatcher.actions)
    sent = await tg.say(MEMBER, "1")
    assert done == [1]
    assert [m.text.split("\n")[0] for m in sent] == ["Đã lưu. Cảm ơn bạn!"]
    async with db.session() as s:
        logs = (await s.exec(select(ActivityLog))).all()
        replies = (await s.exec(select(Outbox).where(Outbox.key.like("reply:%")))).all()  # type: ignore[union-attr]
        claims = (await s.exec(select(ProcessedUpdate))).all()
        state = (await s.exec(select(ConversationState))).one()
    assert [(r.activity, r.count) for r in logs] == [("vneid", 12)]
    assert len(replies) == 2 and {r.status for r in replies} == {"sent"}
    assert len(claims) == 2
    assert state.flow is None and state.version == 3  # inserted 1, the bump 2, the confirmation (again) 3


async def test_postgresql_update_claimed_mid_turn_writes_nothing(tg: TelegramHarness, db: Database) -> None:
    """Another worker handled the same update while this turn ran (its claim is there when the turn writes):
    the turn's one statement writes nothing — no log, no reply, the state as it was — and no reply is sent."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite's turn claims the update in its first statement")
    org = await make_org(db)
    await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=MEMBER)
    await tg.say(MEMBER, "hỗ trợ 12 người kích hoạt VNeID")

    async def claim(turn) -> None:  # noqa: ANN001
        async with db.transaction() as s:
            s.add(ProcessedUpdate(channel=turn.incoming.channel, update_key=turn.incoming.update_id))

    action, done = _once(claim)
    assert tg.bot is not None
    tg.bot.dispatcher.actions = (action, *tg.bot.dispatcher.actions)
    sent = await tg.say(MEMBER, "1", expect=0)
    assert done == [1] and sent == []
    async with db.session() as s:
        logs = (await s.exec(select(ActivityLog))).all()
        replies = (await s.exec(select(Outbox))).all()
        state = (await s.exec(select(ConversationState))).one()
    assert logs == [] and len(replies) == 1  # the first message's reply only
    assert state.flow == "log" and state.version == 1


async def test_replies_to_many_chats_at_once_are_each_marked_sent_once(tg: TelegramHarness, db: Database) -> None:
    """Delivered marks asked for at the same time are written together (handlers.outbox.mark_sent): 24
    members writing at once each get their one reply, and every reply row is marked sent, once, with one
    attempt — in fewer mark statements than replies when they coincide, never more."""
    org = await make_org(db)
    users = list(range(5200, 5224))
    for i, uid in enumerate(users):
        await add_person(db, org["napai"], f"Thành viên {i}", "member", telegram_id=uid)
    assert tg.bot is not None
    marks: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001 - observes, changes nothing
        if statement.startswith("UPDATE outbox SET status"):
            marks.append(statement)

    event.listen(tg.bot.db.hot_engine.sync_engine, "before_cursor_execute", seen)
    for uid in users:
        tg.fake.queue(tg.fake.message(uid, f"hỗ trợ {uid % 50 + 1} người cài VNeID"))
    tg.queued += len(users)
    sent = await tg._collect(len(users))
    assert sorted(int(m.chat_id) for m in sent) == users
    async with db.session() as s:
        rows = (await s.exec(select(Outbox))).all()
    assert len(rows) == len(users)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert 1 <= len(marks) <= len(users)
