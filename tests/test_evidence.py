"""Evidence that lasts: photos and documents in /baocao and logs, fetched into the file store through the
fake Telegram and Zalo servers; voice, video and location named and refused; size limits."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.demo import seed_demo
from handlers.dispatch import Dispatcher
from handlers.messages import MediaIn
from handlers.services import Services
from reminders.actions import BUTTON_ACTIONS
from storage.blobs import BlobStore
from storage.db import Database
from storage.models import Attachment, Report, Task
from tests.fakes.zalo_api import FakeZaloApi, image_update
from tests.harness import TelegramHarness
from tests.hostile_support import ENTRIES, NOW, Chat, reach, snapshot
from tests.seed import add_person, make_org
from tests.test_telegram_report import _plan
from tests.zalo_harness import TOKEN, ZaloHarness, add_zalo_identity, vi

OFFICER, LEAD, MEMBER = 7101, 7102, 7103
ZUSER = "6ede9afa66b88fe6d6a9"
STATUSES = ["not_started", "in_progress", "done", "blocked"]
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF evidence: lop hoc VNeID" * 20
PDF = b"%PDF-1.4\n% bien ban nghiem thu\n" * 10


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stored(files_dir: str) -> list[str]:
    """Every file name under the store: only content keys, whatever the senders called their files."""
    return sorted(p.name for p in Path(files_dir).rglob("*") if p.is_file())


async def _people(db: Database) -> dict[str, int]:
    org = await make_org(db)
    await _plan(db)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER)
    return org


async def test_report_keeps_a_photo_for_the_item_and_a_document_for_the_report(
        tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    tg.fake.add_file("photo-lop-hoc", PHOTO)
    tg.fake.add_file("doc-bien-ban", PDF)
    await tg.say(OFFICER, "/baocao", expect=2)
    sent = await tg.send(tg.fake.photo(OFFICER, "photo-lop-hoc"))  # at "(1/4) Task 1": status?
    assert sent[0].text.startswith(vi("Photo received; it is attached to {where}.", where=vi("Task {code}", code="1")))
    assert "(1/4)" in sent[0].text and sent[0].callback_data == STATUSES  # the question stays
    assert [c["file_id"] for c in tg.fake.calls("getFile")] == ["photo-lop-hoc"]
    assert _stored(tg.files_dir) == [_sha(PHOTO)] and BlobStore(tg.files_dir).read(_sha(PHOTO)) == PHOTO
    await tg.tap(OFFICER, "done")
    await tg.tap(OFFICER, "in_progress")
    await tg.say(OFFICER, "85")
    sent = await tg.tap(OFFICER, "yes")  # now at "difficulties"
    sent = await tg.send(tg.fake.document(OFFICER, "doc-bien-ban", "../../etc/Biên bản.pdf", caption="nghiệm thu"))
    assert sent[0].text.startswith(vi("File received; it is attached to {where}.",
                                      where=vi("the report as a whole")))
    assert sent[0].callback_data == ["none"]  # the difficulties question again
    await tg.tap(OFFICER, "none")
    sent = await tg.tap(OFFICER, "none")
    assert vi("Evidence attached: {n} file(s)", n=2) in sent[0].text
    await tg.tap(OFFICER, "send")

    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        task1 = (await s.exec(select(Task).where(Task.code == "1"))).one()
        rows = sorted((await s.exec(select(Attachment))).all(), key=lambda a: a.kind, reverse=True)
    assert [(a.report_id, a.item_kind, a.item_ref_id, a.kind, a.file_key, a.size) for a in rows] == [
        (report.id, "task", task1.id, "photo", _sha(PHOTO), len(PHOTO)),
        (report.id, None, None, "document", _sha(PDF), len(PDF))]
    assert rows[1].file_name == "Biên bản.pdf" and rows[1].caption == "nghiệm thu"
    assert rows[0].activity_log_id is None and rows[0].channel == "telegram"
    assert _stored(tg.files_dir) == sorted([_sha(PHOTO), _sha(PDF)])  # no sender's name on disk

    sent = await tg.say(LEAD, "/duyet")
    sent = await tg.tap(LEAD, sent[0].callback_data[0])
    assert vi("Evidence: {n} file(s)", n=2) in sent[0].text  # the lead sees how much evidence came


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no storage involved: nothing is written
async def test_voice_video_and_location_are_named_never_called_photos(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    kinds = [(tg.fake.voice, "I cannot keep voice messages. Please write your answer; photos and documents are "
                             "kept as evidence."),
             (tg.fake.audio, "I cannot keep audio files. Please write your answer; photos and documents are kept "
                             "as evidence."),
             (tg.fake.video, "I cannot keep videos. Please send a photo instead; photos and documents are kept as "
                             "evidence."),
             (tg.fake.video_note, "I cannot keep videos. Please send a photo instead; photos and documents are "
                                  "kept as evidence."),
             (tg.fake.location, "Thank you, but I do not keep locations. If the place matters, write it in words, "
                                "e.g. \"tại nhà văn hóa thôn\".")]
    photo_said = vi("Photo kept as evidence. Now write what you did, e.g. \"hỗ trợ 5 người cài VNeID\".")
    for make, expected in kinds:  # a village member, no conversation going on
        sent = await tg.send(make(MEMBER))
        assert sent[0].text == vi(expected) and "Đã lưu ảnh" not in sent[0].text and sent[0].text != photo_said
    await tg.say(OFFICER, "/baocao", expect=2)
    for make, expected in kinds:  # in the middle of a report: named, and the question asked again
        sent = await tg.send(make(OFFICER))
        assert sent[0].text.startswith(vi(expected)) and "(1/4)" in sent[0].text
        assert sent[0].callback_data == STATUSES
    sent = await tg.tap(OFFICER, "done")
    assert "(2/4)" in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(Attachment))).all() == []
    assert tg.fake.calls("getFile") == [] and _stored(tg.files_dir) == []


async def test_oversize_files_are_refused_politely(tg: TelegramHarness, db: Database) -> None:
    await _people(db)
    tg.env["CDSBOT_MAX_FILE_MB"] = "1"
    await tg.restart()
    tg.fake.add_file("huge-photo", b"\xff\xd8" + b"x" * (3 << 19))  # 1.5 MB
    tg.fake.add_file("small-photo", PHOTO)
    await tg.say(OFFICER, "/baocao", expect=2)
    sent = await tg.send(tg.fake.photo(OFFICER, "huge-photo"))
    assert "1,5 MB" in sent[0].text and "1 MB" in sent[0].text and "(1/4)" in sent[0].text
    assert tg.fake.calls("getFile") == []  # Telegram told the size: not even fetched
    sent = await tg.send(tg.fake.photo(OFFICER, "small-photo"))  # the question is still there and takes one
    assert "(1/4)" in sent[0].text and vi("Task {code}", code="1") in sent[0].text
    sent = await tg.send(tg.fake.photo(OFFICER, "never-uploaded"))  # getFile fails: ask again
    assert sent[0].text.startswith(vi("I could not receive this photo. Please send it again."))
    assert _stored(tg.files_dir) == [_sha(PHOTO)]
    tg.fake.add_file("stranger-photo", b"\xff\xd8 not ours to keep")
    calls = len(tg.fake.calls("getFile"))
    await tg.send(tg.fake.photo(9999, "stranger-photo"))  # someone who has not joined: told how to join
    assert len(tg.fake.calls("getFile")) == calls and _stored(tg.files_dir) == [_sha(PHOTO)]


# -- Zalo ------------------------------------------------------------------------------------------


@pytest.fixture
async def zfake(aiohttp_server: Any) -> FakeZaloApi:
    api = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await api.serve(aiohttp_server)
    return api


@pytest.fixture
async def zh(zfake: FakeZaloApi, db_url: str) -> AsyncIterator[ZaloHarness]:
    h = ZaloHarness(zfake, db_url)
    h.env["CDSBOT_MAX_FILE_MB"] = "1"
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status


async def test_zalo_photo_is_downloaded_when_received(zh: ZaloHarness, zfake: FakeZaloApi, db: Database) -> None:
    org = await make_org(db)
    pid = await add_person(db, org["napai"], "Hà Văn Tùng", "member")
    await add_zalo_identity(db, pid, ZUSER)
    url = zfake.add_photo(PHOTO)
    sent = await zh.push(image_update(ZUSER, url))
    assert sent[0]["text"] == vi("Photo kept as evidence. Now write what you did, e.g. \"hỗ trợ 5 người cài VNeID\".")
    zfake.expire_photo(url)  # Zalo's link dies ...
    assert await _status(url) == 404
    async with db.session() as s:
        row = (await s.exec(select(Attachment))).one()
    assert (row.file_ref, row.file_key, row.kind, row.channel) == (url, _sha(PHOTO), "photo", "zalo")
    assert BlobStore(zh.files_dir).read(_sha(PHOTO)) == PHOTO  # ... the evidence stays
    late = zfake.add_photo(b"\xff\xd8 another")
    zfake.expire_photo(late)
    sent = await zh.push(image_update(ZUSER, late))
    assert sent[0]["text"] == vi("I could not receive this photo. Please send it again.")
    big = zfake.add_photo(b"\xff\xd8" + b"y" * (3 << 19))  # 1.5 MB; Zalo does not say the size
    sent = await zh.push(image_update(ZUSER, big))
    assert sent[0]["text"] == vi("This photo is too large; I accept files up to {limit} MB. Please send a "
                                 "smaller one.", limit="1")
    async with db.session() as s:
        assert len((await s.exec(select(Attachment))).all()) == 1
    assert _stored(zh.files_dir) == [_sha(PHOTO)]


async def test_zalo_voice_is_named_not_kept(zh: ZaloHarness, zfake: FakeZaloApi, db: Database) -> None:
    org = await make_org(db)
    pid = await add_person(db, org["napai"], "Hà Văn Tùng", "member")
    await add_zalo_identity(db, pid, ZUSER)
    voice = {"event_name": "message.voice.received",  # listed by one client, not by the docs
             "message": {"message_id": "b" * 20, "date": 1765335600000, "chat": {"id": ZUSER, "chat_type": "PRIVATE"},
                         "from": {"id": ZUSER, "display_name": "Tùng", "is_bot": False},
                         "url": "https://voice-stal.zdn.vn/v/abc.aac"}}
    sent = await zh.push(voice)
    assert sent[0]["text"] == vi("I cannot keep voice messages. Please write your answer; photos and documents "
                                 "are kept as evidence.")
    async with db.session() as s:
        assert (await s.exec(select(Attachment))).all() == []


async def test_zalo_photo_during_report_goes_with_the_item(zh: ZaloHarness, zfake: FakeZaloApi,
                                                          db: Database) -> None:
    org = await make_org(db)
    await _plan(db)
    pid = await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer")
    await add_zalo_identity(db, pid, ZUSER)
    await zh.say(ZUSER, "/baocao", expect=2)
    url = zfake.add_photo(PHOTO)
    sent = await zh.push(image_update(ZUSER, url))
    assert sent[0]["text"].startswith(vi("Photo received; it is attached to {where}.",
                                         where=vi("Task {code}", code="1")))
    assert "(1/4)" in sent[0]["text"]
    zfake.expire_photo(url)
    for answer in ("3", "2", "85", "1", "1", "1"):
        await zh.say(ZUSER, answer)
    await zh.say(ZUSER, "1")  # send
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        row = (await s.exec(select(Attachment))).one()
    assert (row.report_id, row.item_kind, row.file_key) == (report.id, "task", _sha(PHOTO))
    assert BlobStore(zh.files_dir).read(_sha(PHOTO)) == PHOTO


# -- every question of the report takes a stored photo in place ------------------------------------


@pytest.fixture
async def chat(db: Database) -> AsyncIterator[Chat]:
    await seed_demo(db)
    yield Chat(Dispatcher(Services(db=db, clock=lambda: NOW), actions=BUTTON_ACTIONS), db)


async def test_a_stored_photo_is_accepted_at_every_report_question(chat: Chat) -> None:
    key = _sha(PHOTO)
    for n, entry in enumerate(e for e in ENTRIES if e.flow == "report"):
        shown = (await reach(chat, entry))[-1].text
        question = (shown.split("\n")[0], shown[-70:])  # its head and its choices (a summary gains a line)
        rows = await snapshot(chat.db)
        flow, step, before = await chat.state(entry.persona)
        out = await chat.send(entry.persona, None, media=(MediaIn("photo", f"p{n}", key=key, size=len(PHOTO)),))
        flow2, step2, after = await chat.state(entry.persona)
        assert (flow2, step2) == (flow, step) and all(q in out[-1].text for q in question), entry.id  # again
        assert {k: v for k, v in after.items() if k not in ("evidence", "_choices")} == \
            {k: v for k, v in before.items() if k not in ("evidence", "_choices")}, entry.id  # nothing lost
        assert len(after["evidence"]) == len(before.get("evidence", [])) + 1, entry.id
        assert await snapshot(chat.db) == rows, entry.id  # kept with the answers until the report is sent


async def test_files_prune_deletes_only_what_no_report_or_open_conversation_uses(
        tg: TelegramHarness, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """A photo sent in a /baocao that was then cancelled stays on disk with no row: `cdsbot files prune`
    deletes it; the evidence of a sent report and a photo in a conversation still open are kept."""
    import asyncio
    import os
    import time

    from bot.cli import main

    await _people(db)
    kept, dropped, pending = PHOTO, PHOTO + b" cancelled", PHOTO + b" still open"
    for name, data in (("kept", kept), ("dropped", dropped), ("pending", pending)):
        tg.fake.add_file(name, data)
    await tg.say(OFFICER, "/baocao", expect=2)  # a report with one photo, sent
    await tg.send(tg.fake.photo(OFFICER, "kept"))
    for step in ("done", "in_progress"):
        await tg.tap(OFFICER, step)
    await tg.say(OFFICER, "85")
    for step in ("yes", "none", "none", "send"):
        await tg.tap(OFFICER, step)
    await tg.say(OFFICER, "/baocao", expect=2)  # a correction started with a photo, then cancelled
    await tg.send(tg.fake.photo(OFFICER, "dropped"))
    await tg.say(OFFICER, "/huy")
    await tg.say(OFFICER, "/baocao", expect=2)  # ... and a third one, still open, with a photo
    await tg.send(tg.fake.photo(OFFICER, "pending"))
    waiting = b"PK\x03\x04 an export still waiting in the outbox"
    store = BlobStore(tg.files_dir)
    store.put(waiting)
    async with db.transaction() as s:  # a file reply the worker has yet to send names its file
        from storage.models import Outbox

        s.add(Outbox(key="reply:telegram:99:0", channel="telegram", chat_id=str(OFFICER), status="pending",
                     payload={"text": "", "choices": [], "document": {"name": "bao-cao.xlsx", "key": _sha(waiting),
                                                                      "mime": "application/zip"}}))
    assert _stored(tg.files_dir) == sorted(_sha(d) for d in (kept, dropped, pending, waiting))
    old = time.time() - 4 * 24 * 3600  # all four arrived four days ago
    for data in (kept, dropped, pending, waiting):
        os.utime(BlobStore(tg.files_dir).path(_sha(data)), (old, old))

    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    monkeypatch.setenv("CDSBOT_FILES_DIR", tg.files_dir)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["files", "prune", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(f"would delete 1 unused file(s), {len(dropped)} bytes; 3 file(s) kept")
    assert len(_stored(tg.files_dir)) == 4
    assert await asyncio.to_thread(main, ["files", "prune"]) == 0
    assert capsys.readouterr().out.startswith(f"deleted 1 unused file(s), {len(dropped)} bytes")
    assert _stored(tg.files_dir) == sorted(_sha(d) for d in (kept, pending, waiting))
    assert await asyncio.to_thread(main, ["files", "prune", "--older-than-hours", "0"]) == 2
