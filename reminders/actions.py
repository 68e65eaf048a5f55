"""What people do with reminders: snooze one ("nhắc lại sau 2 giờ", "mai") and, for the lead
office, "remind them again" from the digest."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from handlers.offered import STANDALONE
from handlers.outbox import enqueue
from handlers.periods import turn_stream
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from locales.textnorm import fold
from reminders.group_snooze import GROUP, snooze_group
from reminders.snooze import snooze_until
from storage.calendar.calendar import period_by_key
from storage.models import ReminderLog
from storage.province_stream import PROVINCE_STREAM

__all__ = ["BUTTON_ACTIONS", "handle_reminder_action"]

_SNOOZE_RE = re.compile(r"^(?:nhac(?: lai| toi)?(?: sau)?\s*)?(?:(\d{1,2})\s*(?:gio|tieng|h)(?: nua)?|(mai|ngay mai))$")
async def handle_reminder_action(turn: Turn) -> bool:
    """Handle a snooze / remind-again button or a typed snooze phrase. False when not one."""
    msg, person = turn.incoming, turn.person
    if person is None:
        return False
    payload = msg.payload or ""
    kind, _sep, rest = payload.partition(":")
    if kind in STANDALONE:  # a tap, or typed words the dispatcher matched to one (handlers/offered.py)
        parts = rest.split(":")
        if not rest or len(parts) != {"snooze": 3, "leadsent": 1, "provsent": 1, "steersent": 2, "remind": 2}[kind] \
                or not all(parts):  # a forged or cut-off button
            turn.reply(_("That reminder is no longer valid."))
            return True
        if kind == "snooze" and parts[1:] == [GROUP, "all"]:
            await snooze_group(turn, "tomorrow" if parts[0] == "tomorrow" else "2h")
        elif kind == "snooze":
            await _snooze(turn, parts[0], parts[1], parts[2])
        elif kind == "remind":
            from reminders.again import remind_again

            await remind_again(turn, parts[0], parts[1])
        else:
            from reminders.lead_report import mark_lead_report_sent

            if kind == "leadsent":
                await mark_lead_report_sent(turn, parts[0])
            elif kind == "provsent":  # the compiled report to the province
                await mark_lead_report_sent(turn, parts[0], PROVINCE_STREAM)
            else:
                await mark_lead_report_sent(turn, parts[1], parts[0])
        return True
    m = _SNOOZE_RE.match(fold(msg.text or ""))
    if m and not turn.state.flow:
        last = (await turn.session.exec(select(ReminderLog).where(
            ReminderLog.person_id == person.id, ReminderLog.created_at >= turn.now - timedelta(hours=24),
            ReminderLog.stage.notin_(("digest", "province_digest"))).order_by(ReminderLog.created_at.desc()))).first()  # type: ignore[attr-defined]
        if last is None:
            return False
        how = f"{m.group(1)}h" if m.group(1) else "tomorrow"
        if last.stream.startswith(f"{GROUP}_"):  # steering reminders come together: snooze them together
            await snooze_group(turn, how)
            return True
        await _snooze(turn, f"{m.group(1)}h" if m.group(1) else "tomorrow", last.stream, last.period)
        return True
    return False


async def _snooze(turn: Turn, how: str, stream: str, period_key: str) -> None:
    from reminders.messages import reminder_outgoing
    from reminders.planned import Planned

    assert turn.person is not None
    try:
        period = period_by_key(await turn_stream(turn, stream), period_key, turn.tz)
    except (KeyError, ValueError):
        turn.reply(_("That reminder is no longer valid."))
        return
    if how != "tomorrow" and not re.fullmatch(r"\d{1,2}h", how):
        how = "2h"
    at = snooze_until(turn.now, turn.tz, how)
    p = Planned(turn.person.id, turn.person.name, None, turn.incoming.channel, turn.incoming.chat_id,
                turn.person.locale, stream, period.key, "snoozed", period.due_text_vi, ref=period)
    await enqueue(turn.session, channel=turn.incoming.channel, chat_id=turn.incoming.chat_id,
                  out=reminder_outgoing(p, turn.services, at), person_id=turn.person.id, now=at,
                  key=f"snooze:{stream}:{period.key}:{turn.person.id}:{at.isoformat()}")
    turn.reply(_("All right, I will remind you again at {at}.", at=fmt_datetime(at, turn.tz)))


# What bot.app passes down to handlers.dispatch.Dispatcher: the reminder buttons and their typed forms.
BUTTON_ACTIONS = (handle_reminder_action,)
