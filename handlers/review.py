"""The lead office reviews unit reports: accept, or return with a comment; the sender is told at once."""

from __future__ import annotations

import contextlib

from sqlmodel import select

from handlers import engine
from handlers.messages import Choice, Outgoing
from handlers.outbox import enqueue_for_person
from handlers.periods import period_label, turn_period, turn_stream
from handlers.review_text import pages, review_lines
from handlers.textcheck import clean_text, has_words
from handlers.turn import Turn
from locales.i18n import _, current_locale, use_locale
from storage.calendar.calendar import after_quiet_hours, period_by_key
from storage.errors import InputError
from storage.models import AuditLog, Person, Report, ReportingPeriod, Unit

__all__ = ["review_cmd"]


async def review_cmd(turn: Turn, _args: str) -> None:
    person = turn.person
    assert person is not None
    period = await turn_period(turn, "unit_monthly")
    rows = (await turn.session.exec(
        select(Report, Unit, ReportingPeriod).join(Unit, Unit.id == Report.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .where(ReportingPeriod.commune_id == person.commune_id, Report.status == "submitted",
               ReportingPeriod.stream == "unit_monthly")
        .order_by(ReportingPeriod.start.desc(), Unit.name))).all()  # type: ignore[attr-defined]
    if not rows:
        turn.reply(_("No report is waiting for review ({period}).",
                     period=period_label(period, current_locale())))
        return
    reports = [[f"{u.name} · {rp.key}" + (" ⚠" if r.late else ""), str(r.id)] for r, u, rp in rows[:30]]
    await engine.start(turn, "review", {"reports": reports})


def _pick_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Which report do you want to review?"),
                         tuple(Choice(label, rid) for label, rid in turn.data["reports"]))


async def _parse_pick(turn: Turn, answer: engine.Answer) -> int:
    if answer.choice is None:
        raise InputError(_("Please type the number of a report in the list."))
    report = await turn.session.get(Report, int(answer.choice))
    if report is None:
        raise InputError(_("That report no longer exists."))
    rp = await turn.session.get(ReportingPeriod, report.period_id)
    label = rp.key if rp else ""
    with contextlib.suppress(KeyError, ValueError):
        if rp is not None:
            label = period_label(period_by_key(await turn_stream(turn, rp.stream), rp.key, turn.tz),
                                 current_locale())
    blocks = await review_lines(turn.session, report, label, turn.tz)
    turn.data["pages"] = pages(blocks, turn.caps.max_text)
    turn.data["page"] = 0
    return report.id  # type: ignore[return-value]


def _decide_prompt(turn: Turn) -> engine.Prompt:
    all_pages, n = turn.data.get("pages") or [turn.data.get("summary", "")], turn.data.get("page", 0)
    text = all_pages[n]
    choices = [Choice(_("Accept"), "accept"), Choice(_("Return with a comment"), "return")]
    if len(all_pages) > 1:
        text += "\n" + _("(page {n} of {total})", n=n + 1, total=len(all_pages))
        choices.append(Choice(_("Next page") if n + 1 < len(all_pages) else _("First page"), "next"))
    return engine.Prompt(text + "\n\n" + _("Accept this report or return it for correction?"), tuple(choices))


def _parse_decide(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice == "next" and len(turn.data.get("pages", ())) > 1:
        turn.data["page"] = (turn.data.get("page", 0) + 1) % len(turn.data["pages"])
        return "next"
    if answer.choice not in ("accept", "return"):
        raise InputError(_("Please choose Accept or Return with a comment."))
    return answer.choice


def _comment_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("What should the unit add or correct? (e.g. \"bổ sung số liệu chỉ tiêu 2\")"))


def _parse_comment(turn: Turn, answer: engine.Answer) -> str:
    if not has_words(answer.text, 3):
        raise InputError(_("Please write a short comment for the unit."))
    return clean_text(answer.text)


async def _finish(turn: Turn) -> None:
    s, lead = turn.session, turn.person
    assert lead is not None
    report = await s.get(Report, turn.data["report_id"])
    if report is None or report.status != "submitted":
        turn.reply(_("This report was changed meanwhile; nothing was done."))
        return
    returned = turn.data["decision"] == "return"
    report.status = "returned" if returned else "accepted"
    report.review_comment = turn.data.get("comment") if returned else None
    s.add(report)
    s.add(AuditLog(actor_person_id=lead.id, action=f"report.{report.status}", target=f"report:{report.id}",
                   detail={"comment": report.review_comment}))
    rp = await s.get(ReportingPeriod, report.period_id)
    period = None
    with contextlib.suppress(KeyError, ValueError):
        period = period_by_key(await turn_stream(turn, rp.stream), rp.key, turn.tz) if rp else None
    sender = await s.get(Person, report.person_id) if report.person_id else None
    if sender is not None and sender.anonymised_at is None:
        with use_locale(sender.locale):
            label = period_label(period, sender.locale) if period else (rp.key if rp else "")
            text = (_("The lead office returned your report for {period}: {comment}\nType /baocao to correct "
                      "and send it again.", period=label, comment=report.review_comment)
                    if returned else _("The lead office accepted your report for {period}. Thank you!",
                                       period=label))
        # Like announcements, the notice waits for the end of quiet hours (21:00–07:00 local).
        await enqueue_for_person(s, sender, Outgoing(text=text), key=f"review:{report.id}:{report.revision}",
                                 now=after_quiet_hours(turn.now, turn.tz))
        outbox = turn.services.extra.get("outbox")
        if outbox is not None:
            turn.after_commit.append(outbox.wake)
    turn.reply(_("Report returned; the unit has been told.") if returned
               else _("Report accepted; the unit has been told."))


engine.register(engine.Flow(
    name="review",
    steps={
        "pick": engine.Step("pick", _pick_prompt, _parse_pick, "decide", "report_id"),
        "decide": engine.Step("decide", _decide_prompt, _parse_decide,
                              lambda t, v: {"return": "comment", "next": "decide"}.get(v), "decision"),
        "comment": engine.Step("comment", _comment_prompt, _parse_comment, None, "comment"),
    },
    finish=_finish,
    summary_of=lambda t: _("reviewing a report"),
))
