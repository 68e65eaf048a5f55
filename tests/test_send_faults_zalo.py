"""Send faults on Zalo (the real Zalo client against the fake Bot API): replies and outbox rows recover
with nothing lost, doubles only where Zalo delivered and its answer went missing (at-least-once), a
poison row ends failed after MAX_ATTEMPTS while the rest of its batch goes out, replies keep their
order. Files reach Zalo as links inside a text, so the text cases cover them. Prints ``FIGURES`` lines
like tests/test_send_faults.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from handlers.messages import Outgoing
from handlers.outbox import BACKOFF, MAX_ATTEMPTS, enqueue
from storage.db import Database
from storage.models import Outbox
from tests.fakes.zalo_api import HTML_502, FakeZaloApi, text_update
from tests.zalo_harness import ZaloHarness

USER = "6ede9afa66b88fe6d6a9"
FAULTS: dict[str, dict[str, Any]] = {
    "429 quota exceeded": {"status": 429},
    "429 with retry_after 2": {"status": None, "body": {"ok": False, "error_code": 429, "description": "Quota exceeded",
                                                        "parameters": {"retry_after": 2}}},
    "500 once": {"status": 500},
    "500 twice": {"status": 500, "times": 2},
    "403 (Zalo: internal server error)": {"status": 403},
    "HTTP 502 with an HTML page": {"status": 502, "body": HTML_502, "http_status": 502},
    "timeout, not delivered": {"status": None, "delay": 1.3},
    "timeout, delivered": {"status": None, "delay": 1.3, "deliver": True},
    "200 without result, delivered": {"status": None, "body": {"ok": True}, "deliver": True},
    "200 garbage, not delivered": {"status": None, "body": HTML_502, "http_status": 200},
    "200 garbage, delivered": {"status": None, "body": HTML_502, "http_status": 200, "deliver": True},
}
DOUBLES = {"timeout, delivered", "200 garbage, delivered"}
ATTEMPTS = {"500 twice": 3, "200 without result, delivered": 1}  # attempts = calls; 2 for the others



async def _say(zh: ZaloHarness, user: str, text: str) -> None:
    target = zh.zalo.processed + 1
    zh.fake.queue_update(text_update(user, text))
    await zh.wait_processed(target, timeout=15)


async def _rows(db: Database, like: str) -> list[Outbox]:
    async with db.session() as s:
        return list((await s.exec(select(Outbox).where(Outbox.key.like(like)).order_by(Outbox.id))).all())  # type: ignore[union-attr]


def _figures(what: str, fault: str, sent: int, lost: int, doubled: int, seconds: float) -> None:
    print(f"\nFIGURES zalo | {what} | {fault} | sent {sent} | lost {lost} | doubled {doubled} | "
          f"retry waits {seconds:.0f} s")


def _inject(fake: FakeZaloApi, fault: str, chat: str | None = None, times: int | None = None) -> None:
    kw = dict(FAULTS[fault])
    if times is not None:
        kw["times"] = times
    fake.fail_next("sendMessage", chat_id=chat, **kw)


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_reply_recovers_from_a_send_fault(zh: ZaloHarness, fake: FakeZaloApi, db: Database,
                                                fault: str) -> None:
    _inject(fake, fault)
    await _say(zh, USER, "xin chào")
    got = [m for m in zh.take_sent() if m["chat_id"] == USER]
    [row] = await _rows(db, "reply:zalo:%")
    copies = 2 if fault in DOUBLES else 1
    assert len(got) == copies and {m["text"] for m in got} == {row.payload["text"]}
    assert row.status == "sent"
    assert row.attempts == len(fake.method_calls("sendMessage")) == ATTEMPTS.get(fault, 2)
    _figures("reply", fault, 1, 0, copies - 1, zh.waited)


async def test_reply_refused_for_good_is_failed_not_retried(zh: ZaloHarness, fake: FakeZaloApi,
                                                            db: Database) -> None:
    fake.fail_next("sendMessage", 400)
    await _say(zh, USER, "xin chào")
    [row] = await _rows(db, "reply:zalo:%")
    assert zh.take_sent() == [] and len(fake.method_calls("sendMessage")) == 1 and zh.waited == 0
    assert row.status == "failed" and row.attempts == 1 and "400" in (row.error or "")
    _figures("reply", "400 bad request (failed at once, listed)", 0, 1, 0, 0)


async def test_replies_keep_their_order_after_a_500(zh: ZaloHarness, fake: FakeZaloApi, db: Database) -> None:
    assert zh.bot is not None and zh.bot.outbox is not None
    _inject(fake, "500 once", times=3)
    await _say(zh, USER, "xin chào")
    await _say(zh, USER, "/trogiup")
    assert zh.take_sent() == []  # the second reply did not overtake the first
    rows = await _rows(db, "reply:zalo:%")
    assert [(r.status, r.attempts) for r in rows] == [("pending", 3), ("pending", 0)]
    zh.now = rows[0].next_attempt_at
    while await zh.bot.outbox.run_once():
        pass
    assert [m["text"] for m in zh.take_sent()] == [r.payload["text"] for r in rows]
    assert {r.status for r in await _rows(db, "reply:zalo:%")} == {"sent"}
    _figures("reply", "500 three times, then a second message (worker, in order)", 2, 0, 0,
             zh.waited + BACKOFF[2])


@pytest.mark.parametrize("fault", ["500 twice", "timeout, delivered", "200 garbage, not delivered",
                                   "200 without result, delivered"])
async def test_fan_out_row_fault_is_isolated(zh: ZaloHarness, fake: FakeZaloApi, db: Database, fault: str) -> None:
    users = [f"{i:020x}" for i in range(1, 5)]
    assert zh.bot is not None and zh.bot.outbox is not None
    async with db.transaction() as s:
        for u in users:
            await enqueue(s, channel="zalo", chat_id=u, out=Outgoing(text=f"Nhắc hạn {u}"), key=f"z:{u}", now=zh.now)
    bad = users[1]
    _inject(fake, fault, chat=bad)
    start = zh.now
    assert await zh.bot.outbox.run_once() == 4
    assert {m["chat_id"] for m in fake.sent_messages} >= set(users) - {bad}
    for _ in range(MAX_ATTEMPTS):
        pending = [r for r in await _rows(db, "z:%") if r.status == "pending"]
        if not pending:
            break
        zh.now = max(zh.now, min(r.next_attempt_at for r in pending))
        await zh.bot.outbox.run_once()
    copies = {u: sum(1 for m in fake.sent_messages if m["chat_id"] == u) for u in users}
    assert {r.status for r in await _rows(db, "z:%")} == {"sent"}
    assert copies == {u: 2 if u == bad and fault in DOUBLES else 1 for u in users}
    _figures("reminder fan-out (4 rows)", fault, 4, 0, sum(copies.values()) - 4, (zh.now - start).total_seconds())


async def test_poison_row_fails_after_max_attempts(zh: ZaloHarness, fake: FakeZaloApi, db: Database) -> None:
    users = [f"{i:020x}" for i in range(1, 5)]
    assert zh.bot is not None and zh.bot.outbox is not None
    async with db.transaction() as s:
        for u in users:
            await enqueue(s, channel="zalo", chat_id=u, out=Outgoing(text=f"Nhắc hạn {u}"), key=f"z:{u}", now=zh.now)
    bad = users[1]
    fake.fail_next("sendMessage", None, body=HTML_502, http_status=200, chat_id=bad, times=1000)
    start = zh.now
    assert await zh.bot.outbox.run_once() == 4
    assert sorted(m["chat_id"] for m in fake.sent_messages) == sorted(set(users) - {bad})
    while True:
        [row] = [r for r in await _rows(db, "z:%") if r.chat_id == bad]
        if row.status != "pending":
            break
        zh.now = row.next_attempt_at
        assert await zh.bot.outbox.run_once() == 1
    calls = [c for c in fake.method_calls("sendMessage") if c["chat_id"] == bad]
    assert row.status == "failed" and row.attempts == len(calls) == MAX_ATTEMPTS
    assert "cannot be read" in (row.error or "") and (zh.now - start).total_seconds() == sum(BACKOFF)
    _figures("poison row (every answer garbage)", f"failed after {MAX_ATTEMPTS} attempts", 3, 1, 0,
             (zh.now - start).total_seconds())
