"""Recording that the lead office sent its compiled report (to the People's Committee, the province or the
steering committee), so its reminders stop."""

from __future__ import annotations

from sqlmodel import select

from handlers.periods import period_label, period_row, turn_stream
from handlers.report_words import steering_recipient
from handlers.turn import Turn
from locales.i18n import _, current_locale
from storage.calendar.calendar import period_by_key
from storage.models import AuditLog, Report
from storage.province_stream import PROVINCE_STREAM

__all__ = ["LEAD_STREAM", "STEERING_PREFIX", "mark_lead_report_sent"]

LEAD_STREAM = "lead_monthly"
STEERING_PREFIX = "steering_"


async def mark_lead_report_sent(turn: Turn, period_key: str, stream_name: str = LEAD_STREAM) -> None:
    """Record the lead office's report of ``stream_name`` for the period as sent (once; audited)."""
    person = turn.person
    assert person is not None
    if person.role not in ("lead", "admin") or person.unit_id is None:
        turn.reply(_("Sorry, only the lead office can do that."))
        return
    steering = stream_name.startswith(STEERING_PREFIX)
    province = stream_name == PROVINCE_STREAM
    try:
        if stream_name != LEAD_STREAM and not steering and not province:
            raise KeyError(stream_name)  # (the province stream: KeyError below when not in a province)
        period = period_by_key(await turn_stream(turn, stream_name), period_key, turn.tz)
    except (KeyError, ValueError):
        turn.reply(_("That reminder is no longer valid."))
        return
    prow = await period_row(turn.session, person.commune_id, period)
    existing = (await turn.session.exec(select(Report).where(
        Report.period_id == prow.id, Report.unit_id == person.unit_id))).first()
    label = period_label(period, current_locale())
    if existing is not None:
        turn.reply(_("Already recorded: the report to {recipient} for {period} was sent.", period=label,
                     recipient=steering_recipient(period.stream.recipient))
                   if steering else _("Already recorded: the compiled report for {period} was sent to the "
                                      "province.", period=label) if province
                   else _("Already recorded: the compiled report for {period} was sent.", period=label))
        return
    late = turn.now > period.due
    turn.session.add(Report(period_id=prow.id, unit_id=person.unit_id, person_id=person.id,  # type: ignore[arg-type]
                            submitted_at=turn.now, late=late))
    turn.session.add(AuditLog(actor_person_id=person.id, action="steering_report.sent" if steering
                              else "province_report.sent" if province else "lead_report.sent",
                              target=f"{stream_name}:{period.key}" if steering else period.key,
                              detail={"late": late}))
    text = (_("Recorded: the report to {recipient} for {period} was sent.", period=label,
              recipient=steering_recipient(period.stream.recipient)) if steering
            else _("Recorded: the compiled report for {period} was sent to the province.", period=label)
            if province
            else _("Recorded: the compiled report for {period} was sent to {recipient}.", period=label,
                   recipient=period.stream.recipient))
    turn.reply(text + (" " + _("(after the deadline)") if late else ""))
