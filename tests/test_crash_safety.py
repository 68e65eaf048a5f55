"""SIGKILL the real bot process mid-conversation and mid-fan-out, restart it, and count: every
report, log and reminder must exist exactly once, and no message may be lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import ActivityLog, Identity, InboxUpdate, Outbox
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.zalo_api import FakeZaloApi
from tests.seed import add_person, make_org

TOKEN = "123456:CRASH-token"
MEMBERS = 30


async def _spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()


async def _wait(cond, timeout: float, what: str) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}{_STATE.get('fake') and _describe(_STATE['fake'])}")
        await asyncio.sleep(0.05)


async def test_sigkill_during_conversations_and_fan_out(db_url: str, db: Database, tmp_path: Path) -> None:
    org = await make_org(db)
    users = list(range(6001, 6001 + MEMBERS))
    for i, uid in enumerate(users):
        await add_person(db, org["napai" if i % 2 else "khuoi"], f"Thành viên {i}", "member", telegram_id=uid)
    fake = FakeTelegramApi(token=TOKEN)
    base = await fake.start()
    _STATE["fake"] = fake
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base,
           "DATABASE_URL": db_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
           "CDSBOT_HTTP_PORT": "0", "CDSBOT_REPLY_GRACE_SECONDS": "5", "CDSBOT_OUTBOX_CLAIM_SECONDS": "5", "NO_PROXY": "127.0.0.1,localhost"}
    log = tmp_path / "bot.log"
    proc = await _spawn(env, log)
    try:
        # Every member logs a count and confirms by typing "1"; the process is killed half-way.
        for i, uid in enumerate(users):
            fake.queue(fake.message(uid, f"hỗ trợ {i + 1} người cài VNeID"))
            fake.queue(fake.message(uid, "1"))
        await _wait(lambda: _async(len(fake.sent) >= MEMBERS), 60, "half of the replies")
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        proc = await _spawn(env, log)
        await _wait(lambda: _async(len(fake.sent) >= 2 * MEMBERS and not fake.updates), 90, "all replies")

        async def logs_done() -> bool:
            async with db.session() as s:
                n = len((await s.exec(select(ActivityLog))).all())
                _STATE["note"] = f"logs={n}"
                return n >= MEMBERS
        try:
            await _wait(logs_done, 30, "all logs")
        except AssertionError:
            async with db.session() as s:
                have = {r.person_id for r in (await s.exec(select(ActivityLog))).all()}
            for m in fake.sent:
                print("SENT", m.chat_id, (m.text or "")[:80].replace("\n", " | "))
            print("HAVE", sorted(have))
            print(log.read_text()[-3000:])
            raise
        async def replies_delivered() -> bool:  # replies committed but not sent before the kill
            async with db.session() as s:
                rows = (await s.exec(select(Outbox).where(Outbox.key.like("reply:%")))).all()  # type: ignore[union-attr]
                _STATE["note"] = f"replies pending={sum(r.status != 'sent' for r in rows)}"
                return all(r.status == "sent" for r in rows)
        await _wait(replies_delivered, 60, "every reply delivered")
        async with db.session() as s:
            logs = Counter((r.person_id, r.count) for r in (await s.exec(select(ActivityLog))).all())
        assert len(logs) == MEMBERS and set(logs.values()) == {1}  # each log stored exactly once
        replies = Counter((m.chat_id, m.text) for m in fake.take_sent())
        assert {chat for chat, _ in replies} == set(users)  # nobody lost their replies
        confirmations = [k for k in replies if k[1].startswith(_saved_prefix())]
        assert len(confirmations) == MEMBERS

        # Reminder fan-out: queue one reminder per member, kill while sending, restart. January is due before
        # 20/01 (last day Tuesday 19/01); the village stream reminds at weekends, so "3 days before" is Saturday 16/01.
        sweep = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "reminders", "sweep", "--at", "2027-01-16T08:00+07:00", env=env,
            stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).resolve().parents[1])
        out, _ = await sweep.communicate()
        assert b"queued 30" in out, out
        await _wait(lambda: _async(len(fake.sent) >= 5), 60, "the first reminders")
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        log_before = len(log.read_bytes())
        proc = await _spawn(env, log)

        async def all_sent() -> bool:
            async with db.session() as s:
                rows = (await s.exec(select(Outbox).where(Outbox.key.like("reminder:%")))).all()  # type: ignore[union-attr]
                return len(rows) == MEMBERS and all(r.status == "sent" for r in rows)
        await _wait(all_sent, 120, "every reminder sent")
        reminders = Counter(m.chat_id for m in fake.take_sent() if "20/01/2027" in (m.text or ""))
        assert set(reminders) == set(users)  # none lost
        doubles = sum(n - 1 for n in reminders.values())
        in_doubt = log.read_bytes()[log_before:].decode(errors="replace").count(
            "was in flight when a worker stopped")
        print(f"crash test: {len(logs)} logs, {len(replies)} distinct replies, "
              f"{len(reminders)} reminded, {doubles} doubled, {in_doubt} in flight at the kill")
        # A double can only come from the one send cut between the platform's answer and our "sent"
        # mark; every such row is found and logged as in doubt by the restarted worker.
        assert doubles <= in_doubt <= 1, f"{doubles} reminders doubled, {in_doubt} in doubt"
    finally:
        await _stop(proc)
        await fake.stop()


async def test_sigkill_between_receiving_and_handling_a_zalo_update(db_url: str, db: Database, tmp_path: Path,
                                                                   aiohttp_server) -> None:  # noqa: ANN001
    """Zalo cannot hand an update out twice: one fetched but not yet handled at the kill must survive."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the kill point (update stored, its handling blocked) is held by a PostgreSQL table "
                    "lock; SQLite locks the whole file, so the same moment cannot be held there")
    import asyncpg

    org = await make_org(db)
    pid = await add_person(db, org["napai"], "Thành viên Zalo", "member")
    async with db.transaction() as s:
        s.add(Identity(person_id=pid, channel="zalo", external_id="zu1", chat_id="zu1"))
    fake = FakeZaloApi(token="777:crash-zalo")
    await fake.serve(aiohttp_server)
    plain_url = db_url.replace("+asyncpg", "")
    env = {**os.environ, "ZALO_BOT_TOKEN": fake.token, "ZALO_API_BASE_URL": fake.base_url,
           "DATABASE_URL": plain_url, "CDSBOT_HTTP_PORT": "0", "CDSBOT_INBOX_CLAIM_SECONDS": "1",
           "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    log = tmp_path / "bot.log"
    blocker = await asyncpg.connect(plain_url)
    lock = blocker.transaction()
    await lock.start()
    await blocker.execute("LOCK TABLE processedupdate IN EXCLUSIVE MODE")  # handling waits here
    fake.push_text("zu1", "hỗ trợ 5 người cài VNeID")
    proc = await _spawn(env, log)
    try:
        async def stored() -> bool:
            async with db.session() as s:
                return not fake.updates and bool((await s.exec(select(InboxUpdate))).all())
        await _wait(stored, 60, "the update fetched and stored")
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await lock.rollback()
        await blocker.close()
        assert not fake.sent_messages  # the update was never handled before the kill
        proc = await _spawn(env, log)
        await _wait(lambda: _async(bool(fake.sent_messages)), 60, "the stored update replayed and answered")
        fake.push_text("zu1", "1")  # confirm the count the bot read from the replayed message

        async def logged() -> bool:
            async with db.session() as s:
                return bool((await s.exec(select(ActivityLog))).all())
        await _wait(logged, 60, "the log saved")
        async with db.session() as s:
            logs = (await s.exec(select(ActivityLog))).all()
        assert [(r.person_id, r.count) for r in logs] == [(pid, 5)]
        assert "replaying zalo update" in log.read_text()

        async def inbox_empty() -> bool:
            async with db.session() as s:
                return not (await s.exec(select(InboxUpdate))).all()
        await _wait(inbox_empty, 10, "the inbox emptied once everything was handled")
    finally:
        if not blocker.is_closed():
            await blocker.close()
        await _stop(proc)


_STATE: dict = {}


def _describe(fake: FakeTelegramApi) -> str:
    return f" (sent={len(fake.sent)}, unacknowledged={len(fake.updates)}, {_STATE.get('note')})"


async def _async(value: bool) -> bool:
    return value


def _saved_prefix() -> str:
    from locales.i18n import _, use_locale

    with use_locale("vi"):
        return _("Saved. Thank you!")
