"""Personal data: /dulieucuatoi, anonymising a person who leaves; backup and restore round trip."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import tarfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.cli import main
from storage.admin import backup as admin_backup
from storage.blobs import BlobStore
from storage.db import Database
from storage.models import ActivityLog, Attachment, AuditLog, Identity, Person
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org


async def _with_log(db: Database) -> int:
    org = await make_org(db)
    pid = await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=31, phone="0987654321")
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], person_id=pid,
                          on_date=date(2026, 12, 1), activity="vneid", count=12))
    return pid


async def test_my_data_is_sent_at_once(tg: TelegramHarness, db: Database) -> None:
    pid = await _with_log(db)
    async with db.transaction() as s:  # a stored photo with a log, as the log flow records it
        log = (await s.exec(select(ActivityLog))).one()
        s.add(Attachment(person_id=pid, activity_log_id=log.id, channel="telegram", file_ref="anh-lop-hoc",
                         file_key="ab" * 32, size=20, kind="photo", file_name=None, caption="lớp học"))
    sent = await tg.say(31, "/dulieucuatoi")
    assert sent[0].method == "sendDocument" and sent[0].document_name == "du-lieu-ca-nhan.json"
    data = json.loads(sent[0].document_bytes)
    assert data["person"]["name"] == "Lò Văn Minh" and data["person"]["phone"] == "0987654321"
    assert data["activity_logs"] == [{"date": "2026-12-01", "activity": "vneid", "count": 12, "note": None}]
    assert data["chat_accounts"][0]["channel"] == "telegram"
    assert [{k: f[k] for k in ("kind", "size", "stored_as", "platform_ref", "caption")}
            for f in data["evidence_files"]] == [
        {"kind": "photo", "size": 20, "stored_as": "ab" * 32, "platform_ref": "anh-lop-hoc", "caption": "lớp học"}]
    assert "0987654321" in sent[0].caption


def _env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))


async def test_anonymise_keeps_reports_removes_identity(tg: TelegramHarness, db: Database, db_url: str,
                                                      monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    pid = await _with_log(db)
    _env(monkeypatch, db_url)
    from bot.quarantine import list_quarantined, quarantine

    # Unreadable updates kept raw: one from the person's chat (their name and words), one from another chat.
    theirs = {"update_id": 501, "message": {"message_id": 9, "date": "garbled",
                                            "from": {"id": 31, "first_name": "Minh"}, "chat": {"id": 31},
                                            "text": "Lò Văn Minh, thôn Nà Pài"}}
    other = {"update_id": 502, "message": {"message_id": 3, "date": "garbled", "chat": {"id": 310}}}
    for raw in (theirs, other):
        assert await quarantine(db, "telegram", raw, "TypeError: date", key=raw["update_id"])
    code = await asyncio.to_thread(main, ["person", "anonymise", "--phone", "0987 654 321"])
    assert code == 0, capsys.readouterr().err
    async with db.session() as s:
        p = await s.get(Person, pid)
        assert p is not None and p.phone is None and "Lò" not in p.name and p.anonymised_at is not None
        assert (await s.exec(select(Identity))).all() == []
        assert len((await s.exec(select(ActivityLog))).all()) == 1
        assert (await s.exec(select(AuditLog).where(AuditLog.action == "person.anonymise"))).one()
    assert [r.update_key for r in await list_quarantined(db)] == ["502"]  # chat 310 is not chat 31
    sent = await tg.say(31, "hỗ trợ 3 người cài VNeID")  # the chat account no longer belongs to anyone
    assert sent[0].reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_backup_restore_round_trip(db: Database, db_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    pid = await _with_log(db)
    _env(monkeypatch, db_url)
    files = tmp_path / "files"
    monkeypatch.setenv("CDSBOT_FILES_DIR", str(files))
    photo = b"\xff\xd8\xff evidence photo of the VNeID class"
    key = BlobStore(files).put(photo)
    async with db.transaction() as s:
        log = (await s.exec(select(ActivityLog))).one()
        s.add(Attachment(person_id=pid, activity_log_id=log.id, channel="zalo", file_ref="https://cdn/expired.jpg",
                         file_key=key, size=len(photo), kind="photo"))
    target = tmp_path / "backup.bin"
    assert await asyncio.to_thread(main, ["backup", str(target)]) == 0
    assert target.stat().st_size > 0 and "1 evidence files" in capsys.readouterr().out
    async with db.transaction() as s:  # lose data after the backup: rows, and the file on disk
        for model in (Attachment, ActivityLog):
            for row in (await s.exec(select(model))).all():
                await s.delete(row)
        s.add(ActivityLog(commune_id=1, unit_id=1, on_date=date(2026, 12, 2), activity="dvc", count=99,
                          created_at=datetime.now(UTC)))
    shutil.rmtree(files)
    await db.dispose()
    assert await asyncio.to_thread(main, ["restore", str(target)]) == 0, capsys.readouterr().err
    async with db.session() as s:
        rows = (await s.exec(select(ActivityLog))).all()
        people = (await s.exec(select(func.count()).select_from(Person))).one()
        kept = (await s.exec(select(Attachment))).one()
    assert [(r.activity, r.count) for r in rows] == [("vneid", 12)] and people == 1
    assert kept.file_key == key and BlobStore(files).read(key) == photo  # the evidence came back with its row
    code = await asyncio.to_thread(main, ["restore", str(tmp_path / "nope.bin")])
    assert code == 2 and "not found" in capsys.readouterr().err


async def test_restore_takes_old_backups_and_refuses_strange_archives(
        db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    await _with_log(db)
    _env(monkeypatch, db_url)
    monkeypatch.setenv("CDSBOT_FILES_DIR", str(tmp_path / "files"))
    old = tmp_path / "old-format.bin"  # a bare database copy, as backups were made before the file store
    await admin_backup(db.url, old)
    async with db.transaction() as s:
        for row in (await s.exec(select(ActivityLog))).all():
            await s.delete(row)
    await db.dispose()
    assert await asyncio.to_thread(main, ["restore", str(old)]) == 0, capsys.readouterr().err
    async with db.session() as s:
        assert len((await s.exec(select(ActivityLog))).all()) == 1
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in (("manifest.json", b'{"format": "something-else"}'), ("../escape.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert await asyncio.to_thread(main, ["restore", str(evil)]) == 2
    assert "not a cdsbot backup" in capsys.readouterr().err and not (tmp_path / "escape.txt").exists()
