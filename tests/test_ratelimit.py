"""Send pacing: overall and bulk budgets, 1 s per chat for bulk, replies never queued behind a fan-out,
RetryAfter handled (replies retried, bulk rows rescheduled) — on a virtual clock and through the real
PTB stack against the fake Telegram server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.channels.ratelimit import PacedRateLimiter, Pacer, TokenBucket
from handlers.messages import Outgoing
from handlers.outbox import enqueue
from storage.db import Database
from storage.models import Outbox
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org


class VirtualClock:
    """Time that moves only when someone sleeps; fine for one sender at a time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def test_token_bucket_spends_its_burst_then_keeps_the_rate() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(25):
        await bucket.acquire()
        times.append(clock.now)
    assert times[:5] == [1000.0] * 5  # the burst goes at once
    assert times[-1] - 1000.0 == pytest.approx(2.0)  # then 10 per second: 20 more take 2 s


async def test_bulk_sends_stay_under_the_bulk_rate_and_every_one_second_window_under_30() -> None:
    clock = VirtualClock()
    pacer = Pacer(overall_rate=30, bulk_rate=25, clock=clock, sleep=clock.sleep)
    stamps = []
    for chat in range(200):
        await pacer.before_send(chat, bulk=True)
        pacer.sent(chat)
        stamps.append(clock.now)
    assert stamps[-1] - stamps[0] == pytest.approx(199 / 25)
    assert max(sum(1 for t in stamps if s <= t < s + 1 - 1e-6) for s in stamps) <= 25


async def test_bulk_to_one_chat_is_spaced_one_second_but_replies_are_not() -> None:
    clock = VirtualClock()
    pacer = Pacer(overall_rate=30, bulk_rate=25, chat_interval=1.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(3):
        await pacer.before_send(42, bulk=True)
        pacer.sent(42)
        stamps.append(clock.now)
    assert [b - a for a, b in zip(stamps, stamps[1:], strict=False)] == [pytest.approx(1.0)] * 2
    before = clock.now
    for _ in range(3):  # a reply with two follow-up messages goes out at once
        await pacer.before_send(42, bulk=False)
        pacer.sent(42)
    assert clock.now == before


async def test_replies_keep_their_reserve_while_bulk_runs_at_full_speed() -> None:
    clock = VirtualClock()
    pacer = Pacer(overall_rate=30, bulk_rate=25, clock=clock, sleep=clock.sleep)
    for chat in range(100):  # the fan-out has been running for 4 s
        await pacer.before_send(chat, bulk=True)
        pacer.sent(chat)
    before = clock.now
    for user in range(5):  # five replies in the same second are not held back
        await pacer.before_send(10_000 + user, bulk=False)
        pacer.sent(10_000 + user)
    assert clock.now == before


async def test_a_pause_holds_every_send() -> None:
    clock = VirtualClock()
    pacer = Pacer(overall_rate=30, bulk_rate=25, clock=clock, sleep=clock.sleep)
    pacer.pause(7.5)
    await pacer.before_send(1, bulk=False)
    assert clock.now == pytest.approx(1007.5)


def test_bulk_rate_must_fit_under_the_overall_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(overall_rate=10, bulk_rate=20)
    with pytest.raises(ValueError):
        PacedRateLimiter(overall_rate=30, bulk_rate=0)


async def _people(db: Database, n: int, first: int = 7001) -> list[int]:
    org = await make_org(db)
    ids = list(range(first, first + n))
    for i, uid in enumerate(ids):
        await add_person(db, org["napai"], f"Người nhận {i}", "member", telegram_id=uid)
    return ids


async def test_a_reply_overtakes_a_running_fan_out(tg: TelegramHarness, db: Database) -> None:
    users = await _people(db, 40)
    bot = tg.bot
    assert bot is not None and bot.outbox is not None
    async with db.transaction() as s:
        for uid in users:
            await enqueue(s, channel="telegram", chat_id=str(uid), out=Outgoing(text=f"Thông báo {uid}"),
                          key=f"test:{uid}", now=tg.now - timedelta(minutes=1))
    fan_out = asyncio.create_task(bot.outbox.run_once())
    await tg.fake.wait_for_sent(3)
    tg.fake.queue(tg.fake.message(users[0], "/trogiup"))
    tg.queued += 1
    assert await fan_out == 40
    await tg.settle()
    order = [(m.chat_id, (m.text or "").startswith("Thông báo")) for m in tg.fake.take_sent()]
    reply_at = next(i for i, (_chat, bulk) in enumerate(order) if not bulk)
    assert sum(1 for _chat, bulk in order[reply_at:] if bulk) >= 20  # the reply did not wait for the fan-out
    assert sum(1 for _chat, bulk in order if bulk) == 40


async def test_retry_after_on_a_bulk_send_reschedules_the_row(tg: TelegramHarness, db: Database) -> None:
    users = await _people(db, 1)
    bot = tg.bot
    assert bot is not None and bot.outbox is not None
    async with db.transaction() as s:
        await enqueue(s, channel="telegram", chat_id=str(users[0]), out=Outgoing(text="Nhắc hạn"), key="t:ra",
                      now=tg.now)
    tg.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 9", retry_after=9)
    assert await bot.outbox.run_once() == 1
    assert len(tg.fake.calls("sendMessage")) == 1  # not retried inside the limiter: the outbox owns it
    async with db.session() as s:
        row = (await s.exec(select(Outbox).where(Outbox.key == "t:ra"))).one()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == tg.now + timedelta(seconds=9)


async def test_retry_after_on_a_reply_is_waited_out_and_the_reply_arrives(tg: TelegramHarness,
                                                                          db: Database) -> None:
    users = await _people(db, 1)
    tg.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sent = await tg.say(users[0], "/trogiup")
    assert sent and sent[0].chat_id == users[0]
    assert len(tg.fake.calls("sendMessage")) == 2  # refused once, sent after the pause
