"""Evidence in chat: photos and documents kept with logs and reports; other media named and politely refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from handlers import engine
from handlers.messages import MediaIn
from handlers.turn import Turn
from locales.i18n import _, fmt_number
from storage.blobs import DEFAULT_MAX_BYTES, is_key
from storage.models import Attachment

__all__ = ["KEPT", "add_to_flow", "as_data", "attachment_row", "handle_media", "save_report_evidence", "usable"]

KEPT = ("photo", "document")
_ATTACHMENT = Attachment.__table__  # type: ignore[attr-defined]
_MB = 1 << 20


def usable(m: MediaIn) -> bool:
    """A photo or document that is safely in the file store."""
    return m.kind in KEPT and m.problem is None and is_key(m.key or "")


def _clean(text: str | None, limit: int) -> str | None:
    kept = "".join(c for c in (text or "") if c.isprintable()).strip()
    return kept[:limit] or None


def as_data(m: MediaIn, channel: str) -> dict[str, Any]:
    """What a conversation keeps about a stored file until its log or report is saved (JSON-safe)."""
    name = (m.file_name or "").replace("\\", "/").rsplit("/", 1)[-1]  # a name, never a path
    return {"kind": m.kind, "key": m.key, "size": m.size, "mime": _clean(m.mime, 100), "name": _clean(name, 120),
            "caption": _clean(m.caption, 500), "ref": (m.ref or "")[:500], "channel": channel}


def attachment_row(f: dict[str, Any] | list[Any], *, person_id: int | None, now: datetime, channel: str,
                   activity_log_id: int | None = None, report_id: int | None = None) -> dict[str, Any]:
    """An ``attachment`` row for a kept file (older conversations kept ``[kind, ref, caption]`` lists)."""
    if isinstance(f, list):  # saved by a version without the file store
        f = {"kind": f[0], "ref": f[1], "caption": f[2] if len(f) > 2 else None}
    item_kind, _sep, item_id = str(f.get("item") or "").partition(":")
    return {"person_id": person_id, "activity_log_id": activity_log_id, "report_id": report_id,
            "item_kind": item_kind or None, "item_ref_id": int(item_id) if item_id.isdigit() else None,
            "channel": f.get("channel") or channel, "kind": f.get("kind") or "photo", "file_ref": f.get("ref") or "",
            "file_key": f.get("key"), "size": f.get("size"), "mime": f.get("mime"), "file_name": f.get("name"),
            "caption": f.get("caption"), "created_at": now}


async def save_report_evidence(turn: Turn, report_id: int) -> int:
    """Store the files sent during /baocao with the report (and the item each was sent for)."""
    files = turn.data.get("evidence") or []
    if files:
        assert turn.person is not None
        conn = await turn.session.connection()
        await conn.execute(insert(_ATTACHMENT), [
            attachment_row(f, person_id=turn.person.id, now=turn.now, channel=turn.incoming.channel,
                           report_id=report_id) for f in files])
    return len(files)


def _refusal(m: MediaIn, limit: int) -> str:
    if m.problem == "too_large":
        size = fmt_number(round(m.size / _MB, 1)) if m.size else None
        args = {"limit": fmt_number(round(limit / _MB, 1)), "size": size}
        if m.kind == "photo":
            return (_("This photo is too large ({size} MB); I accept files up to {limit} MB. Please send a "
                      "smaller one.", **args) if size else
                    _("This photo is too large; I accept files up to {limit} MB. Please send a smaller one.", **args))
        return (_("This file is too large ({size} MB); I accept files up to {limit} MB. Please send a smaller "
                  "one, or a photo of the page.", **args) if size else
                _("This file is too large; I accept files up to {limit} MB. Please send a smaller one, or a "
                  "photo of the page.", **args))
    if m.kind == "photo":
        return _("I could not receive this photo. Please send it again.")
    if m.kind == "document":
        return _("I could not receive this file. Please send it again.")
    if m.kind == "voice":
        return _("I cannot keep voice messages. Please write your answer; photos and documents are kept as "
                 "evidence.")
    if m.kind == "audio":
        return _("I cannot keep audio files. Please write your answer; photos and documents are kept as evidence.")
    if m.kind == "video":
        return _("I cannot keep videos. Please send a photo instead; photos and documents are kept as evidence.")
    if m.kind == "location":
        return _("Thank you, but I do not keep locations. If the place matters, write it in words, e.g. "
                 "\"tại nhà văn hóa thôn\".")
    return _("I cannot keep this kind of message. Please send text, a photo or a document.")


async def handle_media(turn: Turn) -> bool:
    """A message carrying media: refuse what cannot be kept (saying what it is, asking the question
    again), hand kept files to a flow that takes them (``meta["on_media"]``). False: not for here."""
    msg = turn.incoming
    if not msg.media or msg.text or turn.person is None:
        return False
    flow = engine.registry.get(turn.state.flow or "")
    step = flow.steps.get(turn.state.step or "") if flow else None
    hook = flow.meta.get("on_media") if flow and step else None
    if msg.forwarded and hook is None:
        return False  # a forwarded message is refused where it stands, as before
    unkept = [m for m in msg.media if m.kind != "sticker" and not usable(m)]
    if unkept:
        limit = getattr(turn.services.extra.get("blobs"), "max_bytes", DEFAULT_MAX_BYTES)
        note = _refusal(unkept[0], limit)
        if step is not None:
            await engine.ask(turn, step, note)  # the question stays
        else:
            turn.reply(note)
        return True
    files = [as_data(m, msg.channel) for m in msg.media if usable(m)]
    if not files:
        return False  # stickers: as before
    if hook is not None:
        await hook(turn, files)
        return True
    if flow is None and turn.person.role in ("officer", "lead") and (turn.unit is None or turn.unit.kind != "village"):
        turn.reply(_("To attach a photo or a document to your unit's report, send it while answering /baocao: "
                     "it goes with the question being asked."))
        return True
    return False


def add_to_flow(turn: Turn, files: list[dict[str, Any]], item: str | None) -> int:
    """Keep ``files`` in the conversation for ``item`` ("task:12", None: the whole report); returns how
    many were new (the same file sent twice for the same item is kept once)."""
    kept = turn.data.setdefault("evidence", [])
    seen = {(f.get("key"), f.get("item")) for f in kept}
    added = 0
    for f in files:
        if (f["key"], item) not in seen:
            kept.append({**f, "item": item})
            seen.add((f["key"], item))
            added += 1
    return added

