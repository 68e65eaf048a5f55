"""The words of each reminder stage and of the lead office's digest, in the person's language."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from handlers.messages import Choice, Outgoing
from handlers.report_words import report_phrase, steering_recipient
from handlers.services import Services
from locales.i18n import _, fmt_date, ngettext, use_locale

if TYPE_CHECKING:
    from reminders.planned import Planned
    from storage.calendar.calendar import Period

__all__ = ["reminder_outgoing", "reminders_outgoing"]


def _period(p: Planned, services: Services) -> Period:
    from storage.calendar.calendar import period_by_key
    from storage.calendar.commune_streams import base_streams

    return p.ref or period_by_key(next(s for s in base_streams(services) if s.name == p.stream), p.period,
                                  services.tz)


def _days_left(period: Period, at: datetime, services: Services) -> int:
    """Days from the day of ``at`` (local: the moment the sweep runs for, or a snoozed reminder goes out) to the
    period's last allowed day: a stage moved off a weekend or holiday comes before its day ("last day" on Friday
    for a Saturday deadline) and must not say today is the last day; "3 days before" moved to a Friday is 4."""
    return (period.last_day - at.astimezone(services.tz).date()).days


def _stage(stage: str, left: int) -> str:
    """The words a pre-deadline stage needs by the days actually left: a "1 day before" caught up on the last
    day itself says that today is the last day."""
    return "last_day" if stage == "before_1d" and left <= 0 else stage


def reminders_outgoing(items: list[Planned], services: Services, at: datetime) -> Outgoing:
    """Several steering-committee reminders for one person in one message: a line and a "sent" button each;
    the days left are counted from ``at``, the moment the sweep runs for (or the snoozed message goes out)."""
    with use_locale(items[0].locale):
        en = items[0].locale == "en"
        periods = [_period(p, services) for p in items]
        to = list(dict.fromkeys(steering_recipient(period.stream.recipient) for period in periods))
        lines = [_("Reminders: reports to {recipient}", recipient=", ".join(to))]
        choices = []
        for p, period in zip(items, periods, strict=True):
            label = period.label_en if en else period.label_vi
            due = period.due_text_en if en else period.due_text_vi
            left = _days_left(period, at, services)
            when = {"before_3d": ngettext("due {due} — {n} day left", "due {due} — {n} days left", left, due=due),
                    "before_1d": _("due {due} — tomorrow is the last day", due=due) if left <= 1 else
                    _("due {due} — tomorrow is the last working day before it", due=due),
                    "last_day": _("today is the last day ({due})", due=due) if left <= 0 else
                    _("due {due} — today is the last working day before it", due=due),
                    "snoozed": _("due {due}", due=due)}.get(
                _stage(p.stage, left), _("overdue ({due}) — please send it as soon as you can", due=due))
            lines.append(f"• {report_phrase(p.stream, period.stream.recipient)} — {label}: {when}")
            choices.append(Choice(_("Sent — {period}", period=label), f"steersent:{p.stream}:{p.period}"))
        lines.append(_("When one has been sent, choose it below and its reminders stop."))
        if any(p.stage not in ("overdue", "snoozed") for p in items):  # as for one reminder: no snooze after
            choices += [Choice(_("Remind me in 2 hours"), "snooze:2h:steering:all"),
                        Choice(_("Remind me tomorrow"), "snooze:tomorrow:steering:all")]
        return Outgoing(text="\n".join(lines), choices=tuple(choices))


def reminder_outgoing(p: Planned, services: Services, at: datetime) -> Outgoing:
    """One reminder's message; the days left are counted from ``at``, the moment the sweep runs for (``cdsbot
    reminders sweep --at``, or the sweep's own time), or the moment a snoozed or repeated reminder goes out."""
    period = _period(p, services)
    with use_locale(p.locale):
        label = period.label_en if p.locale == "en" else period.label_vi
        due = period.due_text_en if p.locale == "en" else period.due_text_vi
        what = report_phrase(p.stream, period.stream.recipient)
        if p.stage == "province_digest":  # to the province office: the communes, no button (read-only)
            lines = [_("Compiled reports of the communes for {period} ({due}):", period=label, due=due)]
            lines.append(_("Not received: {names}", names=", ".join(p.missing) or _("none")))
            if p.late:
                lines.append(_("Received late: {names}", names=", ".join(p.late)))
            if p.unreachable:
                lines.append(_("Not received, and the commune's lead office is not on the bot: {names}",
                               names=", ".join(p.unreachable)))
            return Outgoing(text="\n".join(lines))
        if p.stage == "digest":
            lines = [_("Reporting for {period} closed ({due}).", period=label, due=due)]
            reachable = [m for m in p.missing if m not in p.unlisted]  # the others have nobody to remind
            if reachable or not p.unlisted:
                lines.append(_("Missing: {names}", names=", ".join(reachable) or _("nobody")))
            if p.unlisted:
                lines.append(_("Nobody on the org list yet, so nobody to remind (please add a person): {names}",
                               names=", ".join(p.unlisted)))
            if p.no_unit:
                lines.append(ngettext("{n} task/indicator has no unit to report it: {items}",
                                      "{n} tasks/indicators have no unit to report them: {items}", len(p.no_unit),
                                      items=", ".join(p.no_unit)))
            if p.late:
                lines.append(_("Late: {names}", names=", ".join(p.late)))
            if p.returned:
                lines.append(_("Returned for correction, not back yet: {names}", names="; ".join(p.returned)))
            if p.unreachable:
                lines.append(_("Not reachable in chat (not joined yet): {names}", names=", ".join(p.unreachable)))
            if p.undelivered:
                lines.append(_("Reminders could not be delivered (the chat platform refused or failed): {names}",
                               names=", ".join(p.undelivered)))
            again = {"village_monthly": _("Remind the villages again"),  # distinct words: two digests can
                     "unit_monthly": _("Remind the units again")}.get(p.stream, _("Remind them again"))  # come together
            choices = (Choice(again, f"remind:{p.stream}:{p.period}"),) if reachable else ()
            return Outgoing(text="\n".join(lines), choices=choices)
        if p.stage == "new_items":  # once: the office reported before the plan grew (storage.item_standing)
            return Outgoing(text=_("The plan now has {n} more item(s) for your unit to report for {period}, added after "
                                   "you sent the report: {codes}. Type /baocao to answer them; only they are asked, "
                                   "and they are added to the report you sent.", n=len(p.items), period=label,
                                   codes=", ".join(p.items)))
        if p.stage.startswith("returned"):
            text = _("The lead office returned {what} for {period} and is waiting for it to come back: "
                     "{comment}\nType /baocao to correct it and send it again.", what=what, period=label,
                     comment=p.comment or "")
            return Outgoing(text=text)
        left = _days_left(period, at, services)
        text = {
            "before_3d": ngettext("Reminder: {what} for {period} is due {due} — {n} day left.",
                                  "Reminder: {what} for {period} is due {due} — {n} days left.", left,
                                  what=what, period=label, due=due),
            "before_1d": _("Reminder: {what} for {period} is due {due} — tomorrow is the last day.",
                           what=what, period=label, due=due) if left <= 1 else
            _("Reminder: {what} for {period} is due {due} — tomorrow is the last working day before it.",
              what=what, period=label, due=due),
            "last_day": _("Today is the last day for {what} for {period} ({due}).",
                          what=what, period=label, due=due) if left <= 0 else
            _("Reminder: {what} for {period} is due {due} — today is the last working day before it.",
              what=what, period=label, due=due),
            "overdue": _("Overdue: {what} for {period} has not arrived and the deadline has passed ({due}). "
                         "Please send it as soon as you can.", what=what, period=label, due=due),
            "snoozed": _("As you asked, a reminder: {what} for {period} is due {due}.",
                         what=what, period=label, due=due),
            "again": _("The lead office reminds you: {what} for {period} is still missing ({due}).",
                       what=what, period=label, due=due),
        }[_stage(p.stage, left)]
        if period.stream.kind == "village_activity":  # a log counts by the day of the work, not of the message:
            # from the 15th, today's work is next period's, so a reminder alone would never clear this one
            text += "\n" + _("Only activities from {start} to {end} count for {period}: when you log them now, "
                             "say the day, e.g. \"ngày {day} hỗ trợ 5 người cài VNeID\".", start=fmt_date(period.start),
                             end=fmt_date(period.end), period=label, day=f"{period.end.day}/{period.end.month}")
        snooze = (Choice(_("Remind me in 2 hours"), f"snooze:2h:{p.stream}:{p.period}"),
                  Choice(_("Remind me tomorrow"), f"snooze:tomorrow:{p.stream}:{p.period}"))
        choices = snooze if p.stage not in ("overdue", "snoozed") else ()
        if p.stream.startswith("steering_"):
            choices = (Choice(_("Sent — stop reminding"), f"steersent:{p.stream}:{p.period}"), *choices)
        elif p.stream == "province_monthly":
            choices = (Choice(_("Sent to the province — stop reminding"), f"provsent:{p.period}"), *choices)
        return Outgoing(text=text, choices=choices)
