"""/thongbao: the lead office announces to everyone, offices, village teams or one unit, via the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from handlers import engine
from handlers.messages import Choice, Outgoing
from handlers.outbox import enqueue_for_person
from handlers.textcheck import clean_text, has_words
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from locales.textnorm import match_unit_names
from storage.calendar.calendar import DEFAULT_QUIET, after_quiet_hours
from storage.errors import InputError
from storage.models import AuditLog, Commune, Outbox, Person, Unit

__all__ = ["announce_cmd", "delivery_counts"]

MAX_LEN = 1500
SHOWN_UNITS = 36


async def announce_cmd(turn: Turn, args: str) -> None:
    assert turn.person is not None
    last = (await turn.session.exec(select(AuditLog).where(
        AuditLog.actor_person_id == turn.person.id, AuditLog.action == "announce")
        .order_by(AuditLog.id.desc()))).first()  # type: ignore[union-attr]
    if last is not None:
        counts = await delivery_counts(turn.session, last.target or "")
        turn.reply(_("Your last announcement: {sent} delivered, {pending} waiting, {failed} failed, "
                     "{unreachable} not reachable.", unreachable=last.detail.get("unreachable", 0), **counts))
    units = (await turn.session.exec(select(Unit).where(Unit.commune_id == turn.person.commune_id,
                                                        Unit.kind.in_(("office", "village")))  # type: ignore[attr-defined]
                                     .order_by(Unit.kind, Unit.name))).all()
    commune = await turn.session.get(Commune, turn.person.commune_id)
    # Up to 36 units are shown as choices; any unit of the commune can be typed by name.
    await engine.start(turn, "announce", {"units": [[u.name, str(u.id)] for u in units],
                                          "commune": commune.key if commune is not None else None})


async def delivery_counts(session, announcement: str) -> dict[str, int]:  # noqa: ANN001
    rows = (await session.exec(select(Outbox.status, func.count()).where(
        Outbox.key.like(f"{announcement}:%")).group_by(Outbox.status))).all()  # type: ignore[union-attr]
    got = dict(rows)
    return {"sent": got.get("sent", 0), "pending": got.get("pending", 0), "failed": got.get("failed", 0)}


def _audience_prompt(turn: Turn) -> engine.Prompt:
    fixed = (Choice(_("Everyone"), "all"), Choice(_("All unit officers"), "office"),
             Choice(_("All village teams"), "village"))
    return engine.Prompt(_("Who should receive the announcement?"),
                         fixed + tuple(Choice(n, f"unit:{i}") for n, i in turn.data["units"][:SHOWN_UNITS]))


def _parse_audience(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice is not None:
        return answer.choice
    ids = {name: uid for name, uid in turn.data["units"]}
    hits = match_unit_names(answer.text, list(ids), turn.data.get("commune"))
    if len(hits) == 1:
        return f"unit:{ids[hits[0]]}"
    if hits:
        raise InputError(_("Which one do you mean: {names}? Please type the full name.",
                           names=_(" or ").join(hits[:3])))
    raise InputError(_("Please type the number of a group or unit in the list."))


def _text_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Write the announcement (up to {n} characters).", n=MAX_LEN))


def _parse_text(turn: Turn, answer: engine.Answer) -> str:
    if not has_words(answer.text, 5):
        raise InputError(_("The announcement is too short."))
    if len(answer.text) > MAX_LEN:
        raise InputError(_("The announcement is too long ({n} characters); please keep it under {max}.",
                           n=len(answer.text), max=MAX_LEN))
    return clean_text(answer.text)


def _held_until(turn: Turn) -> datetime:
    """When a non-urgent announcement goes out: now, or 07:00 local when it is quiet hours (21:00–07:00)."""
    return after_quiet_hours(turn.now, turn.tz)


def _confirm_prompt(turn: Turn) -> engine.Prompt:
    held = _held_until(turn)
    if held == turn.now:
        return engine.Prompt(_("Send this announcement?") + "\n\n" + turn.data["text"],
                             (Choice(_("Send"), "send"), Choice(_("Cancel"), "cancel")))
    start, end = (f"{t:%H:%M}" for t in DEFAULT_QUIET)
    note = _("It is quiet hours ({start}–{end}): the announcement will go out at {at}, unless it is urgent.",
             start=start, end=end, at=fmt_datetime(held, turn.tz))
    return engine.Prompt(_("Send this announcement?") + "\n\n" + turn.data["text"] + "\n\n" + note,
                         (Choice(_("Send at {time}", time=end), "send"), Choice(_("Urgent: send now"), "urgent"),
                          Choice(_("Cancel"), "cancel")))


def _parse_confirm(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("send", "urgent", "cancel"):
        raise InputError(_("Please choose Send or Cancel.") if _held_until(turn) == turn.now
                         else _("Please choose: send at {time}, urgent (send now), or cancel.",
                                time=f"{DEFAULT_QUIET[1]:%H:%M}"))
    return answer.choice


async def _finish(turn: Turn) -> None:
    lead = turn.person
    assert lead is not None
    if turn.data["confirm"] not in ("send", "urgent"):
        turn.reply(_("Cancelled. Nothing was sent."))
        return
    # Held announcements wait in the outbox (next_attempt_at), so a restart does not lose or hasten them.
    send_at = turn.now if turn.data["confirm"] == "urgent" else _held_until(turn)
    q = select(Person).join(Unit, Unit.id == Person.unit_id, isouter=True).where(
        Person.commune_id == lead.commune_id, Person.anonymised_at.is_(None), Person.id != lead.id,  # type: ignore[union-attr]
        Person.role != "province")  # the province office is no one's audience in a commune
    audience = turn.data["audience"]
    if audience in ("office", "village"):
        q = q.where(Unit.kind == audience)
    elif audience.startswith("unit:"):
        q = q.where(Person.unit_id == int(audience[5:]))
    people = (await turn.session.exec(q)).all()
    ann = f"announce:{uuid.uuid4().hex[:12]}"
    body = _("Announcement from {name}:", name=lead.name) + "\n" + turn.data["text"]
    queued = unreachable = 0
    for p in people:
        channel = await enqueue_for_person(turn.session, p, Outgoing(text=body), key=f"{ann}:{p.id}", now=send_at)
        queued += channel is not None
        unreachable += channel is None
    turn.session.add(AuditLog(actor_person_id=lead.id, action="announce", target=ann,
                              detail={"audience": audience, "queued": queued, "unreachable": unreachable,
                                      "send_at": send_at.isoformat(), "urgent": turn.data["confirm"] == "urgent"}))
    outbox = turn.services.extra.get("outbox")
    if outbox is not None:
        turn.after_commit.append(outbox.wake)
    if send_at > turn.now:
        turn.reply(_("Announcement for {n} person(s) held for quiet hours: it will go out at {at}. "
                     "{m} not reachable in chat yet. Type /thongbao later to see how many were delivered.",
                     n=queued, m=unreachable, at=fmt_datetime(send_at, turn.tz)))
        return
    turn.reply(_("Announcement queued for {n} person(s); {m} not reachable in chat yet. "
                 "Type /thongbao later to see how many were delivered.", n=queued, m=unreachable))


engine.register(engine.Flow(
    name="announce",
    steps={
        "audience": engine.Step("audience", _audience_prompt, _parse_audience, "text", "audience"),
        "text": engine.Step("text", _text_prompt, _parse_text, "confirm", "text"),
        "confirm": engine.Step("confirm", _confirm_prompt, _parse_confirm, None, "confirm"),
    },
    finish=_finish,
    summary_of=lambda t: _("an announcement not yet sent"),
    meta={"forwarded_ok": ("text",)},  # a notice from the People's Committee, forwarded as it is
))
