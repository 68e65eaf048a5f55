"""Send faults on Telegram (real PTB against the fake Bot API): replies, files and outbox rows recover
with nothing lost, doubles only where the platform delivered and its answer went missing (at-least-once),
a poison row ends failed after MAX_ATTEMPTS while the rest of its batch goes out, and replies keep
their order. Time moves on the test clock (the harness's virtual sleep), never by long sleeps.

Each case prints one ``FIGURES`` line (sent, lost, doubled, time to recover); the README's reliability
table is taken from them (``pytest -s -k send_faults``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main as cli_main
from handlers.messages import Outgoing
from handlers.outbox import BACKOFF, MAX_ATTEMPTS, enqueue
from storage.db import Database
from storage.models import Outbox
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org

ERR500 = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
GARBAGE = "<html><body>upstream reset</body></html>"
BLOCKED = ("Forbidden: bot was blocked by the user",)
# The fault on the next send, as fake.fault_next / fake.fail_next arguments.
FAULTS: dict[str, dict[str, Any]] = {
    "429 retry_after 1": {"fail": (429, "Too Many Requests: retry after 1"), "retry_after": 1},
    "500 once": {"status": 500, "body": ERR500},
    "500 twice": {"status": 500, "body": ERR500, "times": 2},
    "timeout, not delivered": {"delay": 1.0},
    "timeout, delivered": {"delay": 1.0, "deliver": True},
    "200 without result, delivered": {"body": {"ok": True}, "deliver": True},
    "200 garbage, not delivered": {"body": GARBAGE},
    "200 garbage, delivered": {"body": GARBAGE, "deliver": True},
}
# A delivered message whose answer was lost is sent again: the person gets it twice (at-least-once).
DOUBLES = {"timeout, delivered", "200 garbage, delivered"}
# (attempts recorded on the row, HTTP calls the fake received) for a reply; PTB's limiter waits out
# a 429 itself (one attempt, two calls); an answer saying ok is never resent.
ATTEMPTS = {"429 retry_after 1": (1, 2), "500 twice": (3, 3), "200 without result, delivered": (1, 1)}


def _inject(tg: TelegramHarness, method: str, name: str, chat: int | None = None, times: int | None = None) -> None:
    kw = dict(FAULTS[name])
    if times is not None:
        kw["times"] = times
    if "fail" in kw:
        status, text = kw.pop("fail")
        tg.fake.fail_next(method, status, text, retry_after=kw.get("retry_after"), times=kw.get("times", 1))
    else:
        tg.fake.fault_next(method, chat_id=chat, **kw)


async def _members(db: Database, n: int, first: int = 7101) -> list[int]:
    org = await make_org(db)
    for i in range(n):
        await add_person(db, org["napai"], f"Người nhận {i}", "member", telegram_id=first + i)
    return list(range(first, first + n))


async def _ask(tg: TelegramHarness, user: int, text: str) -> None:
    """Send ``text`` as ``user`` and wait until it has been handled."""
    tg.fake.queue(tg.fake.message(user, text))
    tg.queued += 1
    await tg.settle(timeout=15)


def _figures(what: str, fault: str, sent: int, lost: int, doubled: int, seconds: float) -> None:
    """``seconds``: what the retry schedule waited on the test clock (a fault's own wait — the client
    timeout, a retry_after the rate limiter honours — comes on top)."""
    print(f"\nFIGURES telegram | {what} | {fault} | sent {sent} | lost {lost} | doubled {doubled} | "
          f"retry waits {seconds:.0f} s")


async def _rows(db: Database, like: str) -> list[Outbox]:
    async with db.session() as s:
        return list((await s.exec(select(Outbox).where(Outbox.key.like(like)).order_by(Outbox.id))).all())  # type: ignore[union-attr]


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_reply_recovers_from_a_send_fault(tg: TelegramHarness, db: Database, fault: str) -> None:
    [user] = await _members(db, 1)
    assert tg.bot is not None
    tg.bot.channels[0].send_timeout = 0.3
    _inject(tg, "sendMessage", fault)
    await _ask(tg, user, "/trogiup")
    got = [m for m in tg.fake.take_sent() if m.chat_id == user]
    [row] = await _rows(db, "reply:%")
    copies = 2 if fault in DOUBLES else 1
    assert len(got) == copies and len({m.text for m in got}) == 1 and got[0].text == row.payload["text"]
    assert row.status == "sent"
    assert (row.attempts, len(tg.fake.calls("sendMessage"))) == ATTEMPTS.get(fault, (2, 2))
    _figures("reply", fault, 1, 0, copies - 1, tg.waited)


async def test_reply_refused_for_good_is_failed_not_retried(tg: TelegramHarness, db: Database) -> None:
    [user] = await _members(db, 1)
    tg.fake.fail_next("sendMessage", 403, *BLOCKED)
    await _ask(tg, user, "/trogiup")
    [row] = await _rows(db, "reply:%")
    assert tg.fake.take_sent() == [] and len(tg.fake.calls("sendMessage")) == 1 and tg.waited == 0
    assert row.status == "failed" and row.attempts == 1 and "blocked" in (row.error or "")
    _figures("reply", "403 bot blocked (failed at once, listed)", 0, 1, 0, 0.0)


async def test_reply_answer_with_a_markup_ptb_cannot_read_counts_as_delivered(tg: TelegramHarness,
                                                                               db: Database) -> None:
    """The platform created the message (HTTP 200) but PTB chokes on ``reply_markup: {}`` in the
    answer: recorded as delivered once, never resent (it used to be resent every claim period)."""
    [user] = await _members(db, 1)
    answer = {"ok": True, "result": {"message_id": 99, "date": 0, "chat": {"id": user, "type": "private"},
                                     "text": "x", "reply_markup": {}}}
    tg.fake.fault_next("sendMessage", body=answer, deliver=True)
    await _ask(tg, user, "/trogiup")
    [row] = await _rows(db, "reply:%")
    assert len(tg.fake.take_sent()) == 1 and len(tg.fake.calls("sendMessage")) == 1
    assert row.status == "sent" and (row.error or "").startswith("delivered; telegram: sendMessage accepted")
    _figures("reply", "200 with a reply_markup PTB cannot parse, delivered", 1, 0, 0, tg.waited)


async def test_reply_failing_three_times_goes_to_the_worker_and_arrives(tg: TelegramHarness,
                                                                        db: Database) -> None:
    [user] = await _members(db, 1)
    assert tg.bot is not None and tg.bot.outbox is not None
    _inject(tg, "sendMessage", "500 once", times=3)
    await _ask(tg, user, "/trogiup")
    [row] = await _rows(db, "reply:%")
    assert tg.fake.sent == [] and row.status == "pending" and row.attempts == 3 and "500" in (row.error or "")
    assert row.next_attempt_at == tg.now + timedelta(seconds=BACKOFF[2])  # 10 s after 1 s and 3 s inline
    assert await tg.bot.outbox.run_once() == 0  # not yet due
    tg.now = row.next_attempt_at
    assert await tg.bot.outbox.run_once() == 1
    [row] = await _rows(db, "reply:%")
    assert row.status == "sent" and row.attempts == 4 and len(tg.fake.take_sent()) == 1
    _figures("reply", "500 three times (worker after 10 s)", 1, 0, 0, tg.waited + BACKOFF[2])


async def test_replies_keep_their_order_after_a_500(tg: TelegramHarness, db: Database) -> None:
    """A reply deferred after failures is not overtaken: the next replies to the chat wait behind it."""
    [user, other] = await _members(db, 2)
    assert tg.bot is not None and tg.bot.outbox is not None
    _inject(tg, "sendMessage", "500 once", chat=user, times=3)
    await _ask(tg, user, "/trogiup")
    await _ask(tg, user, "/hanbaocao")
    await _ask(tg, other, "/trogiup")  # another chat is not held back
    assert [m.chat_id for m in tg.fake.take_sent()] == [other]
    mine = [r for r in await _rows(db, "reply:%") if r.chat_id == str(user)]
    assert [r.status for r in mine] == ["pending", "pending"] and mine[1].next_attempt_at <= tg.now
    assert await tg.bot.outbox.run_once() == 0  # the later reply is due but waits behind the first
    tg.now = mine[0].next_attempt_at
    while await tg.bot.outbox.run_once():
        pass
    got = tg.fake.take_sent()
    assert [m.text for m in got] == [r.payload["text"] for r in mine]  # in the order they were written
    assert {r.status for r in await _rows(db, "reply:%")} == {"sent"}


@pytest.mark.parametrize("fault", ["429 retry_after 1", "500 once", "timeout, not delivered", "timeout, delivered",
                                   "200 without result, delivered", "200 garbage, not delivered"])
@pytest.mark.parametrize("method", ["sendDocument", "sendPhoto"])
async def test_files_recover_from_a_send_fault(tg: TelegramHarness, db: Database, method: str,
                                               fault: str) -> None:
    from datetime import date

    from storage.models import ActivityLog
    from tests.test_lead_office import LEAD, _people, _submit

    org = await _people(db)
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], on_date=date(2026, 12, 1),
                          activity="vneid", count=5))
    await _submit(tg)
    tg.fake.take_sent()
    assert tg.bot is not None
    tg.bot.channels[0].send_timeout = 0.3
    _inject(tg, method, fault)
    command, names = ("/xuat", ["sendDocument", "sendDocument", "sendMessage"]) if method == "sendDocument" \
        else ("/bieudo", ["sendPhoto", "sendPhoto"])
    await _ask(tg, LEAD, command)
    got = [m.method for m in tg.fake.take_sent()]
    expected = [names[0], *names] if fault in DOUBLES else names  # the first file went out twice
    assert got == expected
    _figures(method, fault, len(names), 0, len(got) - len(names), tg.waited)


@pytest.mark.parametrize("fault", [*FAULTS, "403 bot blocked"])
async def test_fan_out_row_fault_is_isolated(tg: TelegramHarness, db: Database, fault: str) -> None:
    """Six reminders, the third one faulty: the other five go out in the same batch; it recovers."""
    users = await _members(db, 6)
    assert tg.bot is not None and tg.bot.outbox is not None
    tg.bot.channels[0].send_timeout = 0.3
    async with db.transaction() as s:
        for uid in users:
            await enqueue(s, channel="telegram", chat_id=str(uid), out=Outgoing(text=f"Nhắc hạn {uid}"),
                          key=f"t:{uid}", now=tg.now)
    bad = users[2]
    if fault == "403 bot blocked":
        tg.fake.fault_next("sendMessage", status=403, chat_id=bad, body={
            "ok": False, "error_code": 403, "description": BLOCKED[0]})
    elif "fail" in FAULTS[fault]:
        _inject(tg, "sendMessage", fault)  # a 429 holds every send: the first row takes it
        bad = users[0]
    else:
        _inject(tg, "sendMessage", fault, chat=bad)
    start = tg.now
    assert await tg.bot.outbox.run_once() == 6
    first = [m.chat_id for m in tg.fake.sent]
    assert set(first) >= set(users) - {bad}
    for _ in range(MAX_ATTEMPTS):  # let the retries run on the test clock
        pending = [r for r in await _rows(db, "t:%") if r.status == "pending"]
        if not pending:
            break
        tg.now = max(tg.now, min(r.next_attempt_at for r in pending))
        await tg.bot.outbox.run_once()
    rows = {r.chat_id: r for r in await _rows(db, "t:%")}
    copies = {uid: sum(1 for m in tg.fake.sent if m.chat_id == uid) for uid in users}
    if fault == "403 bot blocked":
        assert rows[str(bad)].status == "failed" and rows[str(bad)].attempts == 1 and copies[bad] == 0
    else:
        assert {r.status for r in rows.values()} == {"sent"}
        assert copies == {uid: 2 if uid == bad and fault in DOUBLES else 1 for uid in users}
    delivered = sum(1 for c in copies.values() if c)
    _figures("reminder fan-out (6 rows)", fault, delivered, 6 - delivered, sum(copies.values()) - delivered,
             (tg.now - start).total_seconds())


async def test_poison_row_fails_after_max_attempts_and_is_listed(tg: TelegramHarness, db: Database,
                                                                 db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import json

    users = await _members(db, 6)
    assert tg.bot is not None and tg.bot.outbox is not None
    async with db.transaction() as s:
        for uid in users:
            await enqueue(s, channel="telegram", chat_id=str(uid), out=Outgoing(text=f"Nhắc hạn {uid}"),
                          key=f"t:{uid}", now=tg.now)
    bad = users[2]
    tg.fake.fault_next("sendMessage", body=GARBAGE, chat_id=bad, times=1000)  # every answer unreadable
    start = tg.now
    assert await tg.bot.outbox.run_once() == 6
    assert sorted(m.chat_id for m in tg.fake.sent) == sorted(set(users) - {bad})  # the batch went on
    rounds = 1
    while True:
        [row] = [r for r in await _rows(db, "t:%") if r.chat_id == str(bad)]
        if row.status != "pending":
            break
        tg.now = row.next_attempt_at
        assert await tg.bot.outbox.run_once() == 1
        rounds += 1
    calls = [c for c in tg.fake.calls("sendMessage") if c["chat_id"] == str(bad)]
    assert row.status == "failed" and row.attempts == rounds == len(calls) == MAX_ATTEMPTS
    assert "cannot be read" in (row.error or "")
    assert (tg.now - start).total_seconds() == sum(BACKOFF)  # 1 s, 3 s, 10 s … 20 min: 38 min 44 s
    assert [m.chat_id for m in tg.fake.sent].count(bad) == 0
    _figures("poison row (every answer garbage)", f"failed after {MAX_ATTEMPTS} attempts", 5, 1, 0,
             (tg.now - start).total_seconds())
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    assert await asyncio.to_thread(cli_main, ["outbox", "failed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["chat_id"], r["attempts"]) for r in listed] == [(row.id, str(bad), MAX_ATTEMPTS)]
    assert await asyncio.to_thread(cli_main, ["outbox", "retry", str(row.id)]) == 0
    assert f"#{row.id}" in capsys.readouterr().out
    tg.fake.clear_faults()
    tg.now += timedelta(days=1)  # the CLI makes it due at the wall-clock time of the command
    assert await tg.bot.outbox.run_once() == 1
    [row] = [r for r in await _rows(db, "t:%") if r.chat_id == str(bad)]
    assert row.status == "sent" and [m.chat_id for m in tg.fake.sent].count(bad) == 1


async def test_dead_lettered_reminder_is_in_the_lead_office_digest(tg: TelegramHarness, db: Database) -> None:
    """A reminder given up on after its retries names the person in the lead office's digest."""
    from datetime import datetime

    from reminders.sweep import run_sweep
    from tests.test_reminders import setup_people
    from tests.zalo_harness import vi

    ids = await setup_people(db)
    assert tg.bot is not None and tg.bot.outbox is not None
    tg.now = datetime.fromisoformat("2026-12-17T08:00+07:00")  # a reminder stage for everyone who owes
    await run_sweep(tg.bot, tg.now)
    tg.fake.fault_next("sendMessage", body=GARBAGE, chat_id=9003, times=1000)  # the member's chat
    while True:
        pending = [r for r in await _rows(db, "reminder:%") if r.status == "pending"]
        if not pending:
            break
        tg.now = max(tg.now, min(r.next_attempt_at for r in pending))
        await tg.bot.outbox.run_once()
    rows = {r.person_id: r for r in await _rows(db, "reminder:%")}
    assert rows[ids["member"]].status == "failed" and rows[ids["member"]].attempts == MAX_ATTEMPTS
    tg.fake.take_sent()
    tg.now = datetime.fromisoformat("2026-12-21T08:00+07:00")  # Monday after the deadline: digests
    await run_sweep(tg.bot, tg.now)
    while await tg.bot.outbox.run_once():
        pass
    digests = [m.text or "" for m in tg.fake.take_sent() if m.chat_id == 9002 and "Lò Văn Minh" in (m.text or "")]
    line = vi("Reminders could not be delivered (the chat platform refused or failed): {names}",
              names="Lò Văn Minh")
    assert len(digests) == 1 and line in digests[0]
    assert vi("Not reachable in chat (not joined yet): {names}", names="Đinh Thị Ba") in digests[0]


async def test_row_that_cannot_be_read_back_fails_alone(tg: TelegramHarness, db: Database) -> None:
    """A stored payload the code cannot turn into a message (here a choice without its payload, as an
    older version or a hand edit could leave): an unexpected error in the worker is an attempt like any
    other; the rest of the batch goes out and the row ends failed, nothing sent for it."""
    from sqlalchemy import update

    users = await _members(db, 3)
    assert tg.bot is not None and tg.bot.outbox is not None
    async with db.transaction() as s:
        for uid in users:
            await enqueue(s, channel="telegram", chat_id=str(uid), out=Outgoing(text=f"Nhắc hạn {uid}"),
                          key=f"t:{uid}", now=tg.now)
        await s.exec(update(Outbox).where(Outbox.key == f"t:{users[1]}").values(  # type: ignore[call-overload]
            payload={"text": "Nhắc hạn", "choices": [["Nhắc lại sau 2 giờ"]]}))
    assert await tg.bot.outbox.run_once() == 3
    assert sorted(m.chat_id for m in tg.fake.sent) == [users[0], users[2]]
    while True:
        [row] = [r for r in await _rows(db, "t:%") if r.chat_id == str(users[1])]
        if row.status != "pending":
            break
        tg.now = row.next_attempt_at
        assert await tg.bot.outbox.run_once() == 1
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert (row.error or "").startswith("unexpected ValueError") and len(tg.fake.sent) == 2


async def test_export_file_failing_three_times_is_sent_by_the_worker(tg: TelegramHarness, db: Database) -> None:
    """/xuat while Telegram fails the upload: the workbook is kept in the file store with its row, the
    worker sends it with the rest in order, and the lead gets the very same bytes."""
    from io import BytesIO

    from openpyxl import load_workbook

    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=7301)
    assert tg.bot is not None and tg.bot.outbox is not None
    _inject(tg, "sendDocument", "500 once", times=3)
    await _ask(tg, 7301, "/xuat")
    rows = await _rows(db, "reply:%")
    assert [r.status for r in rows] == ["pending", "pending", "pending"]  # the workbook, then two behind it
    assert rows[0].payload["document"]["name"].endswith(".xlsx") and rows[0].attempts == 3
    assert tg.fake.take_sent() == []
    tg.now = rows[0].next_attempt_at
    sent = [await tg.bot.outbox.run_once() for _ in range(4)]  # one row of a chat at a time, in order
    assert sent == [1, 1, 1, 0]
    xlsx, docx, mark = tg.fake.take_sent()
    assert (xlsx.document_name, docx.document_name) == (rows[0].payload["document"]["name"],
                                                        rows[1].payload["document"]["name"])
    assert "Chỉ tiêu" in load_workbook(BytesIO(xlsx.document_bytes)).sheetnames
    assert mark.callback_data == [rows[2].payload["choices"][0][1]]
    assert [r.status for r in await _rows(db, "reply:%")] == ["sent", "sent", "sent"]
    _figures("reply", "500 three times on a file (worker after 10 s)", 1, 0, 0, tg.waited + BACKOFF[2])
