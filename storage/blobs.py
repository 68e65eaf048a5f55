"""The evidence file store: received photos and documents on disk, named by their content's SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

__all__ = ["DEFAULT_DIR", "DEFAULT_MAX_BYTES", "BlobStore", "is_key"]

DEFAULT_DIR = "./data/files"
DEFAULT_MAX_BYTES = 10 << 20  # 10 MB per file (Telegram bots cannot download more than 20 MB)
_KEY = re.compile(r"[0-9a-f]{64}")


def is_key(value: str) -> bool:
    """True for a store key: 64 lowercase hex digits (a SHA-256)."""
    return bool(_KEY.fullmatch(value or ""))


class BlobStore:
    """Files live at ``root/ab/cd/<sha256>``: the same bytes are kept once, and no name a sender chose
    (file name, extension, path) ever reaches the file system. Writes are atomic (temp file, rename)."""

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        if not is_key(key):
            raise ValueError("not a file store key")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its key. ValueError above ``max_bytes``."""
        if len(data) > self.max_bytes:
            raise ValueError(f"file of {len(data)} bytes exceeds the limit of {self.max_bytes}")
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if target.is_file() and target.stat().st_size == len(data):
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def exists(self, key: str) -> bool:
        return is_key(key) and self.path(key).is_file()

    def read(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError when missing, ValueError when they no longer match the key."""
        data = self.path(key).read_bytes()
        if hashlib.sha256(data).hexdigest() != key:
            raise ValueError(f"stored file {key[:12]}… is damaged")
        return data

    def keys(self) -> list[str]:
        """Every stored key (sorted)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob("??/??/*") if p.is_file() and is_key(p.name)
                      and p.parent.name == p.name[2:4] and p.parent.parent.name == p.name[:2])
