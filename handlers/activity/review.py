"""/nhatky: a village team member reviews this period's own activity logs and corrects or deletes them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from handlers import engine
from handlers.activity.counts import parse_count
from handlers.activity.flow import label_of
from handlers.messages import Choice
from handlers.periods import period_label, rollup_open_from, turn_period, turn_stream
from handlers.turn import Turn
from locales.i18n import _, current_locale, fmt_date, fmt_number
from storage.calendar.calendar import Period, next_period, period_by_key
from storage.errors import InputError
from storage.log_rollup import note_logs
from storage.models import ActivityLog, Attachment, AuditLog, Unit

__all__ = ["MAX_SHOWN", "STREAM", "my_logs_cmd"]

STREAM = "village_monthly"
MAX_SHOWN = 15


async def my_logs_cmd(turn: Turn, _args: str) -> None:
    """Show the person's entries of the period being reported and offer to correct them."""
    person = turn.person
    unit = await turn.session.get(Unit, person.unit_id) if person and person.unit_id else None
    if person is None or unit is None or unit.kind != "village":
        lines = [_("Activity logs are kept by village digital teams; your unit is not a village.")]
        if person is not None and person.role in ("officer", "lead", "admin"):
            lines.append(_("To report on your unit's tasks and indicators, type /baocao."))
        turn.reply("\n".join(lines))
        return
    period = await turn_period(turn, STREAM)
    if turn.now > period.due:
        turn.reply(_closed_text(period))
        return
    if not await _entries(turn, period):
        label = period_label(period, current_locale())
        newer = await _newer_note(turn, period)
        turn.reply(_("You have no activity log entries for {period} yet.", period=label) + "\n"
                   + (newer or _("To log, just write what you did, e.g. \"hỗ trợ 5 người cài VNeID\", "
                                 "or type /ghinhan to go step by step.")))
        return
    await engine.start(turn, "mylogs", {"period": period.key})


# ---- reading ---------------------------------------------------------------------------------


async def _newer_note(turn: Turn, period: Period) -> str | None:
    """From the day after the period's data window until its deadline, the person's new entries belong to the
    next period (they are not in this list): say how many, and from when they can be corrected here."""
    if turn.person is None or turn.today <= period.end:
        return None
    following = next_period(period)
    n = (await turn.session.exec(select(func.count()).select_from(ActivityLog).where(
        ActivityLog.person_id == turn.person.id, ActivityLog.on_date >= following.start,
        ActivityLog.on_date <= following.end))).one()
    if not n:
        return None
    return _("{n} newer entries, from {start} on, count for {period}; you can see and correct them here "
             "from {day}.", n=fmt_number(n), start=fmt_date(following.start),
             period=period_label(following, current_locale()), day=fmt_date(period.last_day + timedelta(days=1)))


async def _period(turn: Turn) -> Period:
    return period_by_key(await turn_stream(turn, STREAM), turn.data["period"], turn.tz)


async def _closed(turn: Turn) -> bool:
    """The period's due moment has passed: no more corrections (the flow may have waited past it)."""
    if turn.now > (await _period(turn)).due:
        turn.data["end"] = "closed"
        return True
    return False


def _closed_text(period: Period) -> str:
    return _("The deadline for correcting entries of {period} has passed ({due}). "
             "To change an entry now, please contact {office}.",
             period=period_label(period, current_locale()), due=fmt_date(period.last_day),
             office=period.stream.recipient)


def _own(turn: Turn, period: Period) -> Any:
    """The person's entries in the period's data window, newest first (the WHERE every read uses)."""
    assert turn.person is not None
    return (select(ActivityLog).where(
        ActivityLog.person_id == turn.person.id, ActivityLog.on_date >= period.start,
        ActivityLog.on_date <= period.end)
        .order_by(col(ActivityLog.on_date).desc(), col(ActivityLog.id).desc()))


async def _entries(turn: Turn, period: Period) -> list[ActivityLog]:
    return list((await turn.session.exec(_own(turn, period))).all())


async def _own_log(turn: Turn, log_id: int) -> ActivityLog | None:
    """One of the person's entries of this period by id; None for anything else (gone, someone else's)."""
    return (await turn.session.exec(_own(turn, await _period(turn)).where(ActivityLog.id == log_id))).first()


def _entry_line(turn: Turn, n: int, on_date: date, activity: str, count: int) -> str:
    return f"{n}. {fmt_date(on_date)} — {label_of(turn, activity)}: {fmt_number(count)}"


# ---- the "mylogs" flow: pick an entry, type its new number, see the list again ---------------


async def _pick_prompt(turn: Turn) -> engine.Prompt:
    period = await _period(turn)
    logs = await _entries(turn, period)
    shown = logs[:MAX_SHOWN]
    lines = [turn.data.pop("note")] if turn.data.get("note") else []
    if lines:
        lines.append("")
    label = period_label(period, current_locale())
    lines.append(_("Your activity log for {period} ({start} – {end}):", period=label,
                   start=fmt_date(period.start), end=fmt_date(period.end)))
    lines += [_entry_line(turn, i, r.on_date, r.activity, r.count) for i, r in enumerate(shown, 1)]
    if len(logs) > len(shown):
        lines.append(_("…and {n} older entries not shown here.", n=fmt_number(len(logs) - len(shown))))
    totals: Counter[str] = Counter()
    for r in logs:
        totals[r.activity] += r.count
    lines += ["", _("Totals for {period}:", period=label)]
    order = [t.code for t in turn.services.activity_catalog()]
    for code in sorted(totals, key=lambda c: (order.index(c) if c in order else len(order), c)):
        lines.append(f"• {label_of(turn, code)}: {fmt_number(totals[code])}")
    how = _("To correct a number, tap its entry (or type the entry's number). Corrections are possible "
            "until {due}.", due=fmt_date(period.last_day)) if turn.caps.buttons else \
        _("To correct a number, type the number of its entry. Corrections are possible until {due}.",
          due=fmt_date(period.last_day))
    lines += ["", how]
    if newer := await _newer_note(turn, period):
        lines.append(newer)
    turn.data["shown"] = {str(r.id): i for i, r in enumerate(shown, 1)}
    choices = tuple(Choice(_("Edit {n}", n=i), f"edit:{r.id}") for i, r in enumerate(shown, 1))
    return engine.Prompt("\n".join(lines), (*choices, Choice(_("Done"), "done")))


async def _parse_pick(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice == "done":
        turn.data["end"] = "done"
        return "done"
    if not (answer.choice or "").startswith("edit:"):
        raise InputError(_("Please tap the entry you want to correct (or type its number), or Done.")
                         if turn.caps.buttons else _("Please type the number of the entry you want to correct, "
                                                     "or choose Done."))
    if await _closed(turn):
        return "closed"
    log_id = int(answer.choice.removeprefix("edit:"))  # type: ignore[union-attr]
    log = await _own_log(turn, log_id)
    if log is None:
        raise InputError(_("That entry no longer exists; here is the current list."))
    turn.data["entry"] = {"id": log_id, "n": turn.data.get("shown", {}).get(str(log_id), 1),
                          "on_date": log.on_date.isoformat(), "activity": log.activity, "count": log.count}
    return "edit"


def _count_prompt(turn: Turn) -> engine.Prompt:
    e = turn.data["entry"]
    line = _entry_line(turn, e["n"], date.fromisoformat(e["on_date"]), e["activity"], e["count"])
    return engine.Prompt(line + "\n\n" + _("What is the right number? Type 0 to delete this entry."))


async def _parse_count(turn: Turn, answer: engine.Answer) -> str:
    if await _closed(turn):
        return "closed"
    value = parse_count(answer.text)
    log_id = int(turn.data["entry"]["id"])
    log = await _own_log(turn, log_id)
    if log is None:
        turn.data["note"] = _("That entry no longer exists; here is the current list.")
        return "saved"
    old = log.count
    line = _entry_line(turn, turn.data["entry"]["n"], log.on_date, log.activity, old)
    if value == old:
        turn.data["note"] = _("Nothing changed: the number was already {n}.", n=fmt_number(old))
        return "saved"
    assert turn.person is not None
    person_id = turn.person.id
    detail = {"activity": log.activity, "on_date": log.on_date.isoformat(), "old": old, "new": value}
    await note_logs(turn.session, log.commune_id, [log.on_date], rollup_open_from(turn.services, turn.now))
    if value == 0:
        await turn.session.exec(update(Attachment).where(  # type: ignore[call-overload]
            Attachment.activity_log_id == log_id).values(activity_log_id=None))
        result = await turn.session.exec(delete(ActivityLog).where(  # type: ignore[call-overload]
            ActivityLog.id == log_id, ActivityLog.person_id == person_id))
        action, note = "activitylog.delete", _("Deleted: {entry}", entry=line)
    else:
        result = await turn.session.exec(update(ActivityLog).where(  # type: ignore[call-overload]
            ActivityLog.id == log_id, ActivityLog.person_id == person_id).values(count=value))
        action = "activitylog.edit"
        note = _("Corrected: {entry} → {n}", entry=line, n=fmt_number(value))
    if not result.rowcount:  # removed between the read and the write
        turn.data["note"] = _("That entry no longer exists; here is the current list.")
        return "saved"
    turn.session.add(AuditLog(at=turn.now, actor_person_id=person_id, action=action,
                              target=f"activitylog:{log_id}", detail=detail))
    turn.data["note"] = note
    if not await _count_left(turn):
        turn.data["end"] = "empty"
        return "empty"
    return "saved"


async def _count_left(turn: Turn) -> int:
    assert turn.person is not None
    period = await _period(turn)
    return (await turn.session.exec(select(func.count()).select_from(ActivityLog).where(
        ActivityLog.person_id == turn.person.id, ActivityLog.on_date >= period.start,
        ActivityLog.on_date <= period.end))).one()


async def _finish(turn: Turn) -> None:
    end = turn.data.get("end")
    if end == "closed":
        turn.reply(_closed_text(await _period(turn)))
    elif end == "empty":
        turn.reply(turn.data.get("note", "") + "\n\n" + _(
            "You have no activity log entries left for {period}.",
            period=period_label(await _period(turn), current_locale())))
    else:
        turn.reply(_("All right. Type /nhatky again whenever you want to check your entries."))


engine.register(engine.Flow(
    name="mylogs",
    steps={
        "pick": engine.Step("pick", _pick_prompt, _parse_pick, lambda t, v: "count" if v == "edit" else None),
        "count": engine.Step("count", _count_prompt, _parse_count,
                             lambda t, v: "pick" if v == "saved" else None),
    },
    finish=_finish,
    summary_of=lambda t: _("correcting your activity log entries"),
))
