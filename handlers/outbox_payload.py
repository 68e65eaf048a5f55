"""How an Outgoing message is stored in an outbox row and read back (a file as its key in the file store)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.messages import Choice, FileOut, Outgoing
from storage.blobs import BlobStore

__all__ = ["from_payload", "to_payload"]


def _file(f: FileOut, files: BlobStore | None) -> dict[str, Any]:
    key = f.key or (files.put(f.data) if files is not None else None)
    if key is None:
        raise ValueError("a file reply needs the file store to be kept in the outbox")
    return {"name": f.name, "mime": f.mime, "key": key}


def to_payload(out: Outgoing, files: BlobStore | None = None) -> dict[str, Any]:
    """The row's JSON. A document or photo is put in ``files`` (kept once per content) and named by its
    key; ValueError when it cannot be kept (no store, or above the store's size limit)."""
    data: dict[str, Any] = {"text": out.text, "choices": [[c.label, c.payload] for c in out.choices]}
    if out.request_contact:
        data["request_contact"] = True
    for kind in ("document", "photo"):
        f = getattr(out, kind)
        if f is not None:
            data[kind] = _file(f, files)
    return data


def from_payload(payload: dict[str, Any], files: BlobStore | None = None) -> Outgoing:
    """The Outgoing a row holds; with ``files`` its document or photo is read back from the store
    (FileNotFoundError / ValueError when it is gone or damaged), without it only its key is carried."""
    out = Outgoing(text=payload.get("text", ""),
                   choices=tuple(Choice(label, p) for label, p in payload.get("choices", [])),
                   request_contact=bool(payload.get("request_contact")))
    for kind in ("document", "photo"):
        f = payload.get(kind)
        if f:
            data = files.read(f["key"]) if files is not None else b""
            out = replace(out, **{kind: FileOut(f["name"], data, f.get("mime") or "application/octet-stream",
                                                key=f["key"])})
    return out
