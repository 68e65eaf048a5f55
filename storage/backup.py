"""Backups that hold everything: one archive with the database dump and the evidence file store."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import admin
from storage.blobs import BlobStore, is_key
from storage.errors import CdsbotError

__all__ = ["BackupSummary", "backup", "restore"]

FORMAT = "cdsbot-backup"
VERSION = 1
_DB_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class BackupSummary:
    size: int  # bytes of the archive (backup) or of the database part (restore)
    files: int  # evidence files written (backup) or restored (restore)
    reanonymised: tuple[int, ...] = ()  # restore: people anonymised again (recorded after the backup)
    problem: str | None = None  # restore: why the replaced database's audit log could not be read


def _backend(url: str) -> str:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


async def backup(url: str, target: Path, files_dir: Path) -> BackupSummary:
    """Write ``target``: a tar.gz with ``manifest.json``, the database (SQLite online backup or
    pg_dump custom format) and ``files/`` (the file store as it is on disk). Written beside the target
    and renamed at the end, so a failed backup never leaves half an archive under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = _backend(url)
    with tempfile.TemporaryDirectory(prefix="cdsbot-backup-") as tmp:
        dump = Path(tmp) / _DB_MEMBER[backend]
        await admin.backup(url, dump)
        partial = target.with_name(target.name + ".partial")
        count = await asyncio.to_thread(_write_archive, partial, dump, BlobStore(files_dir), backend)
    partial.replace(target)
    return BackupSummary(target.stat().st_size, count)


def _write_archive(path: Path, dump: Path, blobs: BlobStore, backend: str) -> int:
    keys = blobs.keys()
    manifest = {"format": FORMAT, "version": VERSION, "database": backend, "files": len(keys),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        raw = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mtime = len(raw), int(datetime.now(UTC).timestamp())
        tar.addfile(info, io.BytesIO(raw))
        tar.add(dump, arcname=dump.name)
        for key in keys:
            tar.add(blobs.path(key), arcname=f"files/{key[:2]}/{key[2:4]}/{key}")
    return len(keys)


async def restore(url: str, source: Path, files_dir: Path) -> BackupSummary:
    """Put back what ``backup`` wrote: the files first (each checked against its name, added to the
    store), then the database, replacing its content. A bare database file from an older version
    (SQLite copy or pg_dump) is restored as before."""
    if not source.is_file():
        raise CdsbotError(f"restore: {source} not found")
    if not await asyncio.to_thread(tarfile.is_tarfile, source):
        again, problem = await admin.restore(url, source)
        return BackupSummary(source.stat().st_size, 0, tuple(again), problem)
    with tempfile.TemporaryDirectory(prefix="cdsbot-restore-") as tmp:
        dump, count = await asyncio.to_thread(_read_archive, source, Path(tmp), _backend(url), files_dir)
        again, problem = await admin.restore(url, dump)
        return BackupSummary(dump.stat().st_size, count, tuple(again), problem)


def _read_archive(source: Path, tmp: Path, backend: str, files_dir: Path) -> tuple[Path, int]:
    """Check the manifest, store the files, extract the database dump into ``tmp``; never writes
    outside the file store and ``tmp`` whatever the archive's member names say."""
    store = BlobStore(files_dir, max_bytes=1 << 40)  # what was kept once is restored whatever the limit now
    try:
        with tarfile.open(source, "r:*") as tar:
            return _from_archive(tar, source, tmp, backend, store)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:  # CdsbotError passes through
        raise CdsbotError(f"restore: {source} is not a readable backup ({exc.__class__.__name__})") from None


def _from_archive(tar: tarfile.TarFile, source: Path, tmp: Path, backend: str,
                  store: BlobStore) -> tuple[Path, int]:
    member = _member(tar, "manifest.json")
    manifest = json.loads(_read(tar, member)) if member else {}
    if manifest.get("format") != FORMAT:
        raise CdsbotError(f"restore: {source} is not a cdsbot backup")
    if manifest.get("database") != backend:
        raise CdsbotError(f"restore: the backup holds a {manifest.get('database')} database, "
                          f"DATABASE_URL is {backend}")
    count = 0
    for m in tar.getmembers():
        parts = m.name.split("/")
        if not (m.isfile() and len(parts) == 4 and parts[0] == "files" and is_key(parts[3])
                and parts[1] == parts[3][:2] and parts[2] == parts[3][2:4]):
            continue
        data = _read(tar, m)
        if hashlib.sha256(data).hexdigest() != parts[3]:
            raise CdsbotError(f"restore: file {parts[3][:12]}… in the backup is damaged")
        store.put(data)
        count += 1
    db_member = _member(tar, _DB_MEMBER[backend])
    if db_member is None:
        raise CdsbotError(f"restore: {source} holds no database")
    dump = tmp / _DB_MEMBER[backend]
    src = tar.extractfile(db_member)
    if src is None:
        raise CdsbotError(f"restore: {source} holds no readable database")
    with src, dump.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return dump, count


def _member(tar: tarfile.TarFile, name: str) -> tarfile.TarInfo | None:
    try:
        m = tar.getmember(name)
    except KeyError:
        return None
    return m if m.isfile() else None


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    if f is None:
        raise CdsbotError(f"restore: {member.name} cannot be read")
    return f.read()
