"""The lead office's "remind them again": one more reminder, at most once a day, to whoever is missing."""

from __future__ import annotations

from dataclasses import replace

from handlers.turn import Turn
from locales.i18n import _
from reminders.messages import reminder_outgoing
from reminders.send import claim_and_queue
from reminders.snooze import outside_quiet_hours
from storage.models import Commune

__all__ = ["remind_again"]


async def remind_again(turn: Turn, stream: str, period_key: str) -> None:
    from handlers.periods import turn_stream
    from reminders.sweep import _plan_period
    from storage.calendar.calendar import period_by_key

    person = turn.person
    assert person is not None
    if person.role not in ("lead", "admin"):
        turn.reply(_("Sorry, only the lead office can do that."))
        return
    try:
        period = period_by_key(await turn_stream(turn, stream), period_key, turn.tz)
    except (KeyError, ValueError):
        turn.reply(_("That reminder is no longer valid."))
        return
    commune = await turn.session.get(Commune, person.commune_id)
    assert commune is not None
    planned = await _plan_period(turn.session, commune, period.stream, period, turn.now, force_stage="again")
    send_at = outside_quiet_hours(turn.now, turn.tz)
    sent, unreachable = 0, []
    day = turn.now.astimezone(turn.tz).date().isoformat()
    for p in planned:
        if p.channel is None:
            unreachable.append(p.person)
            continue
        again = replace(p, stage=f"again-{day}")
        if await claim_and_queue(turn.session, again, reminder_outgoing(replace(again, stage="again"),
                                                                        turn.services, send_at), send_at):
            sent += 1
    outbox = turn.services.extra.get("outbox")
    if outbox is not None:
        turn.after_commit.append(outbox.wake)
    msg = _("Reminded {n} person(s) again.", n=sent)
    if unreachable:
        msg += "\n" + _("Not reachable in chat (not joined yet): {names}", names=", ".join(unreachable))
    turn.reply(msg)
