"""Snoozing the lead office's steering-committee reminders that arrived together as one message."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.outbox import enqueue
from handlers.periods import turn_stream
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from storage.calendar.calendar import period_by_key
from storage.models import ReminderLog, Report, ReportingPeriod

__all__ = ["GROUP", "snooze_group"]

GROUP = "steering"  # snooze:<how>:steering:all — every steering reminder of the last 24 hours still owed


async def snooze_group(turn: Turn, how: str) -> None:
    """Send the person's steering reminders of the last day again later, as one message, leaving out
    the reports recorded as sent since."""
    from reminders.messages import reminders_outgoing
    from reminders.planned import SWEPT_STREAMS, Planned
    from reminders.snooze import snooze_until

    person = turn.person
    assert person is not None
    rows = (await turn.session.exec(select(ReminderLog.stream, ReminderLog.period).where(
        ReminderLog.person_id == person.id, ReminderLog.created_at >= turn.now - timedelta(hours=24),
        ReminderLog.stream.like(f"{GROUP}\\_%", escape="\\"),  # type: ignore[attr-defined]
        ReminderLog.stage != "digest"))).all()
    order = {name: i for i, name in enumerate(SWEPT_STREAMS)}  # month, quarter, half-year, year
    items: list[Planned] = []
    for stream_name, key in sorted(set(rows), key=lambda r: (order.get(r[0], len(order)), r[0], r[1])):
        try:
            period = period_by_key(await turn_stream(turn, stream_name), key, turn.tz)
        except (KeyError, ValueError):
            continue
        sent = (await turn.session.exec(select(Report.id).join(ReportingPeriod).where(
            ReportingPeriod.commune_id == person.commune_id, ReportingPeriod.stream == stream_name,
            ReportingPeriod.key == key, Report.unit_id == person.unit_id))).first()
        if sent is None:
            items.append(Planned(person.id, person.name, None, turn.incoming.channel, turn.incoming.chat_id,
                                 person.locale, stream_name, key, "snoozed", period.due_text_vi, ref=period))
    if not items:
        turn.reply(_("That reminder is no longer valid."))
        return
    at = snooze_until(turn.now, turn.tz, how)
    await enqueue(turn.session, channel=turn.incoming.channel, chat_id=turn.incoming.chat_id,
                  out=reminders_outgoing(items, turn.services, at), person_id=person.id, now=at,
                  key=f"snooze:{GROUP}:{person.id}:{at.isoformat()}")
    turn.reply(_("All right, I will remind you again at {at}.", at=fmt_datetime(at, turn.tz)))
