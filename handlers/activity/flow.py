"""Village team activity logs: free-text logs with confirmation, a guided fallback, photo evidence."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import select

from handlers import engine
from handlers.activity.counts import exponent_refusal, parse_count
from handlers.evidence import as_data, attachment_row, usable
from handlers.messages import Choice
from handlers.periods import rollup_open_from
from handlers.textcheck import clean_text
from handlers.turn import Turn, UnitRef
from locales.i18n import _, current_locale, fmt_date, fmt_number
from storage.errors import InputError
from storage.hot_raw import Prepared, run, run_many
from storage.log_rollup import note_logs
from storage.models import ActivityLog, Attachment, Unit

__all__ = ["guided_log_cmd", "handle_free_log", "label_of", "refusals"]

EVIDENCE_WINDOW = timedelta(minutes=30)
_LOG = ActivityLog.__table__  # type: ignore[attr-defined]
_ATTACHMENT = Attachment.__table__  # type: ignore[attr-defined]
_INSERT_LOG = insert(_LOG).returning(_LOG.c.id)
_INSERT_LOG_MANY = insert(_LOG)
_INSERT_LOGS = insert(_LOG).returning(_LOG.c.id, sort_by_parameter_order=True)  # one statement on PostgreSQL
_INSERT_ATTACHMENT = insert(_ATTACHMENT)
# photos sent without a recent log (kept waiting by _keep_media) go to the log now confirmed
_CLAIM_ORPHANS = (update(_ATTACHMENT).where(_ATTACHMENT.c.person_id == bindparam("who"),
                                            _ATTACHMENT.c.activity_log_id.is_(None),
                                            _ATTACHMENT.c.report_id.is_(None),
                                            _ATTACHMENT.c.created_at >= bindparam("since"))
                  .values(activity_log_id=bindparam("log_id")))
_LOG_KEYS = ("commune_id", "unit_id", "person_id", "on_date", "activity", "count", "note", "created_at")
_P_INSERT_LOG = Prepared(_INSERT_LOG, _LOG_KEYS)
_P_INSERT_LOG_MANY = Prepared(_INSERT_LOG_MANY, _LOG_KEYS)
_P_CLAIM_ORPHANS = Prepared(_CLAIM_ORPHANS)
def label_of(turn: Turn, code: str) -> str:
    for t in turn.services.activity_catalog():
        if t.code == code:
            return t.label_en if current_locale() == "en" else t.label_vi
    return code


async def _village(turn: Turn) -> UnitRef | None:
    person = turn.person
    if person is None or person.unit_id is None:
        return None
    unit = turn.unit  # loaded with the person by the dispatcher
    if unit is None or unit.id != person.unit_id:
        row = await turn.session.get(Unit, person.unit_id)
        unit = UnitRef(row.id, row.kind, row.name) if row is not None and row.id is not None else None
    return unit if unit and unit.kind == "village" else None


async def handle_free_log(turn: Turn) -> bool:
    """A member's free message: a log to confirm, a photo to keep, or the guided flow. False if n/a."""
    unit = await _village(turn)
    if unit is None:
        return False
    msg = turn.incoming
    text = (msg.text or "").strip() or " ".join(m.caption or "" for m in msg.media).strip()
    if msg.forwarded:  # someone else's words or photo: counting it could count their work twice
        turn.reply(_("That is a forwarded message, so I did not log it. If it is your own work, "
                     "please type it yourself, e.g. \"hỗ trợ 5 người cài VNeID\"."))
        return True
    if any(m.kind == "sticker" for m in msg.media):
        turn.reply(_("Nice sticker! To log your work, write what you did, e.g. \"hỗ trợ 5 người cài VNeID\"."))
        return True
    if msg.media and not text:
        await _keep_media(turn)
        return True
    if not text:
        turn.reply(_("Please write what you did, e.g. \"hỗ trợ 5 người cài VNeID\"."))
        return True
    if len(text) > engine.MAX_TEXT:
        turn.reply(_("That message is too long ({n} characters); please keep it under {max}.",
                     n=len(text), max=engine.MAX_TEXT))
        return True
    from handlers.activity.parse import parse_activity

    parsed = parse_activity(text, turn.services.activity_catalog(), turn.today)
    media = [as_data(m, msg.channel) for m in msg.media if usable(m)]
    data = {"unit_id": unit.id, "unit_name": unit.name, "note": clean_text(text)[:500], "media": media,
            "on_date": parsed.on_date.isoformat(), "counts": dict(parsed.counts)}
    first = len(turn.out)  # notes go before the question, after anything said earlier in this turn
    notes = refusals(parsed.refused)
    if parsed.counts:
        await engine.start(turn, "log", data)  # starts at "confirm" since counts were found
        if parsed.unknown:
            notes.append(_("I left out numbers I could not place: {x}", x=", ".join(parsed.unknown[:5])))
    elif parsed.refused and parsed.uncounted:  # "hỗ trợ 1e309 người kích hoạt VNeID": ask how many
        await engine.start(turn, "log", {**data, "type": parsed.uncounted[0]})
    else:
        await engine.start(turn, "log", data)
        notes.append(_("I could not find an activity and a number in your message. "
                       "Let's log it step by step."))
    for note in reversed(notes):
        turn.out.insert(first, _outgoing_note(note))
    return True


def refusals(refused: list[tuple[str, str]]) -> list[str]:
    """Polite notes for numbers that are no count: powers of ten and decimals, never stored."""
    notes = [exponent_refusal(x) for reason, x in refused if reason == "exponent"][:3]
    decimals = [x for reason, x in refused if reason == "decimal"]
    if decimals:
        notes.append(_("A count is a whole number, so I did not count: {x}", x=", ".join(decimals[:5])))
    return notes


def _outgoing_note(text: str):  # noqa: ANN202
    from handlers.messages import Outgoing

    return Outgoing(text=text)


async def guided_log_cmd(turn: Turn, _args: str) -> None:
    unit = await _village(turn)
    if unit is None:
        turn.reply(_("Activity logs are kept by village digital teams; your unit is not a village."))
        return
    await engine.start(turn, "log", {"unit_id": unit.id, "unit_name": unit.name, "note": "",
                                     "media": [], "on_date": turn.today.isoformat(), "counts": {}})


async def _keep_media(turn: Turn) -> None:
    """A photo without text: attach to the person's log from the last 30 minutes, or keep it waiting."""
    assert turn.person is not None
    recent = (await turn.session.exec(select(ActivityLog).where(
        ActivityLog.person_id == turn.person.id, ActivityLog.created_at >= turn.now - EVIDENCE_WINDOW)
        .order_by(ActivityLog.id.desc()))).first()  # type: ignore[union-attr]
    msg = turn.incoming
    rows = [attachment_row(as_data(m, msg.channel), person_id=turn.person.id, now=turn.now, channel=msg.channel,
                           activity_log_id=recent.id if recent else None) for m in msg.media if usable(m)]
    if not rows:
        turn.reply(_("Please write what you did, e.g. \"hỗ trợ 5 người cài VNeID\"."))
        return
    await (await turn.session.connection()).execute(_INSERT_ATTACHMENT, rows)
    photos = all(r["kind"] == "photo" for r in rows)
    if recent:
        turn.reply(_("Photo kept as evidence for your last log.") if photos
                   else _("File kept as evidence for your last log."))
    else:
        turn.reply(_("Photo kept as evidence. Now write what you did, e.g. \"hỗ trợ 5 người cài VNeID\".") if photos
                   else _("File kept as evidence. Now write what you did, e.g. \"hỗ trợ 5 người cài VNeID\"."))


# ---- the "log" flow -------------------------------------------------------------------------


def _type_prompt(turn: Turn) -> engine.Prompt:
    choices = tuple(Choice(label_of(turn, t.code), t.code) for t in turn.services.activity_catalog())
    ask = _("What kind of activity? (tap or type its number)") if turn.caps.buttons else _("What kind of activity?")
    return engine.Prompt(ask, choices)


def _parse_type(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice is None:
        raise InputError(_("Please pick one of the activity types below (type its number)."))
    return answer.choice


def _count_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("How many for \"{label}\"? (a number, e.g. 12)",
                           label=label_of(turn, turn.data["type"])))


def _parse_count(turn: Turn, answer: engine.Answer) -> int:
    value = parse_count(answer.text)
    turn.data["counts"][turn.data["type"]] = value
    return value


def _more_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Anything else to log for the same day?"),
                         (Choice(_("Add another activity"), "more"), Choice(_("That's all"), "done")))


def _parse_more(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("more", "done"):
        raise InputError(_("Please answer with one of the options below."))
    return answer.choice


def _summary(turn: Turn) -> str:
    d = date.fromisoformat(turn.data["on_date"])
    lines = [_("Log for {village}, {day}:", village=turn.data["unit_name"], day=fmt_date(d))]
    for code, n in turn.data["counts"].items():
        if n:
            lines.append(f"• {label_of(turn, code)}: {fmt_number(n)}")
    if turn.data.get("media"):
        lines.append(_("• {n} photo(s) as evidence", n=len(turn.data["media"])))
    return "\n".join(lines)


def _confirm_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_summary(turn) + "\n\n" + _("Is this right?"),
                         (Choice(_("Confirm"), "ok"), Choice(_("Correct a number"), "fix"),
                          Choice(_("Cancel"), "cancel")))


def _parse_confirm(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice in ("ok", "fix", "cancel"):
        if answer.choice == "ok" and not any(turn.data["counts"].values()):
            raise InputError(_("There is nothing to save: every number is 0. Correct a number or cancel."))
        return answer.choice
    from handlers.activity.parse import parse_activity

    parsed = parse_activity(answer.text, turn.services.activity_catalog(), turn.today)
    if parsed.counts and not parsed.refused:  # a corrected log typed again: take it
        turn.data["counts"] = dict(parsed.counts)
        turn.data["on_date"] = parsed.on_date.isoformat()
        return "retyped"
    raise InputError("\n".join([*refusals(parsed.refused), _("Please confirm, correct a number, or cancel.")]))


def _after_confirm(turn: Turn, value: str) -> str | None:
    return {"ok": None, "cancel": None, "fix": "type", "retyped": "confirm"}[value]


async def _finish(turn: Turn) -> None:
    if turn.data.get("confirm") == "cancel":
        turn.reply(_("Cancelled. Nothing was saved."))
        return
    assert turn.person is not None
    on_date = date.fromisoformat(turn.data["on_date"])
    rows = [{"commune_id": turn.person.commune_id, "unit_id": turn.data["unit_id"], "person_id": turn.person.id,
             "on_date": on_date, "activity": code, "count": int(n), "note": turn.data.get("note") or None,
             "created_at": turn.now} for code, n in turn.data["counts"].items() if n]
    if rows:  # Core statements (no ORM objects or flush); the first log's id carries the photos
        conn = turn.conn or await turn.session.connection()
        since = turn.now - EVIDENCE_WINDOW
        if on_date < turn.today:  # dated back: into a rolled-up period, its commune's version goes up
            await note_logs(conn, turn.person.commune_id, [on_date], rollup_open_from(turn.services, turn.now))
        if turn.final is not None and not turn.data.get("media") and len(rows) <= 10:
            turn.final.logs_and_photos(rows, turn.person.id, since)  # written with the turn (storage.hot_pg)
            _saved(turn)
            return
        if conn.dialect.name == "postgresql" and len(rows) > 1:
            first_id = (await conn.execute(_INSERT_LOGS, rows)).scalars().first()
        else:  # SQLite would send the rows of _INSERT_LOGS one by one to keep their order
            first_id = (await run(conn, _P_INSERT_LOG, rows[0])).rows[0][0]
            await run_many(conn, _P_INSERT_LOG_MANY, rows[1:])
        if turn.data.get("media"):
            await conn.execute(_INSERT_ATTACHMENT, [
                attachment_row(f, person_id=turn.person.id, now=turn.now, channel=turn.incoming.channel,
                               activity_log_id=first_id) for f in turn.data["media"]])
        await run(conn, _P_CLAIM_ORPHANS, {"log_id": first_id, "who": turn.person.id, "since": since})
    _saved(turn)


def _saved(turn: Turn) -> None:
    turn.reply(_("Saved. Thank you!") + "\n" + _summary(turn).split("\n", 1)[1] +
               "\n" + _("Type /nhatky to see or correct your entries."))


async def _media_in_flow(turn: Turn, files: list[dict[str, Any]]) -> None:
    """Photos and documents sent while a log is being confirmed go with that log."""
    turn.data.setdefault("media", []).extend(files)
    turn.reply(_("Photo kept; it will be saved with this log.") if all(f["kind"] == "photo" for f in files)
               else _("File kept; it will be saved with this log."))


def _first_step(turn: Turn) -> str:
    return "confirm" if turn.data.get("counts") else "count" if turn.data.get("type") else "type"


engine.register(engine.Flow(
    name="log",
    first=_first_step,
    steps={
        "type": engine.Step("type", _type_prompt, _parse_type, "count", "type"),
        "count": engine.Step("count", _count_prompt, _parse_count, "more"),
        "more": engine.Step("more", _more_prompt, _parse_more, lambda t, v: "type" if v == "more" else "confirm"),
        "confirm": engine.Step("confirm", _confirm_prompt, _parse_confirm, _after_confirm, "confirm"),
    },
    finish=_finish,
    summary_of=lambda t: _("an activity log not yet confirmed"),
    meta={"on_media": _media_in_flow},
))
