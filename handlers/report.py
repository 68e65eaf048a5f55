"""The unit officer's periodic report: each chaired task and indicator, difficulties, proposals, send."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from handlers import engine
from handlers.evidence import add_to_flow, save_report_evidence
from handlers.messages import Choice
from handlers.periods import period_label, period_row, turn_stream
from handlers.report_items import (
    RESULT_TEXT_MAX,
    TASK_STATUSES,
    answer_kind,
    fits,
    parse_indicator_value,
    parse_result_text,
    show_value,
)
from handlers.report_period import STREAM, choose_period, open_report
from handlers.textcheck import clean_text, has_words
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale
from locales.textcut import shorten
from locales.textnorm import fold
from storage.calendar.calendar import classify, period_by_key
from storage.errors import InputError
from storage.models import AuditLog, Report, ReportItem, ReportRevision, Unit
from storage.sqlutil import insert_ignore

__all__ = ["report_cmd"]

_NONE_WORDS = {"khong", "khong co", "none", "no", "khong co gi", "-", "k", "ko"}


async def report_cmd(turn: Turn, args: str) -> None:
    person = turn.person
    assert person is not None
    unit = await turn.session.get(Unit, person.unit_id) if person.unit_id else None
    if unit is None:
        turn.reply(_("You are not attached to a unit, so there is no report to fill in. "
                     "Please ask the lead office."))
        return
    period = await choose_period(turn, STREAM, unit, args)
    if period is not None:
        await open_report(turn, unit, period)


def _item(turn: Turn) -> dict[str, Any]:
    return turn.data["items"][turn.data["idx"]]


def _item_label(item: dict[str, Any]) -> str:
    """"NV 1" for a task, "CT 1" for an indicator: plans number both lists from 1."""
    return (_("Task {code}", code=item["code"]) if item["kind"] == "task"
            else _("Indicator {code}", code=item["code"]))


def _key(item: dict[str, Any]) -> str:
    return f"{item['kind']}:{item['id']}"


def _item_prompt(turn: Turn) -> engine.Prompt:
    item = _item(turn)
    n, total = turn.data["idx"] + 1, len(turn.data["items"])
    prev = turn.data["prev"].get(_key(item))
    head = f"({n}/{total}) {_item_label(item)}. {item['title']}"
    unchanged = (Choice(shorten(_("Unchanged: {v}", v=show_value(item, prev, 30)), 60), "same"),) \
        if fits(item, prev) else ()
    kind = answer_kind(item)
    if kind == "task":
        choices = tuple(Choice(_(label), code) for code, label in TASK_STATUSES.items()) + unchanged
        output = "\n" + _("Expected output: {t}", t=item["output"]) if item.get("output") else ""  # "Sản phẩm"
        return engine.Prompt(head + output + "\n" + _("Status of this task?"), choices)
    target = _("Target: {t}", t=item.get("target_short") or item["target"]) if item.get("target") else ""
    if item.get("target_short") and item["target_short"] != item.get("target"):  # the sentence, in full
        target += "\n" + _("Expected result: {t}", t=item["target"])
    if kind == "choice":
        return engine.Prompt(f"{head}\n{target}\n" + _("Achieved this period?"),
                             (Choice(_("Achieved"), "yes"), Choice(_("Not achieved"), "no")) + unchanged)
    if kind == "status":  # a qualitative result: nothing to count, a status and a short text
        same = fold(item.get("target") or "") in ("", fold(item["title"]))  # prose plans: the title is the target
        expected = "" if same else _("Expected result: {t}", t=item["target"])
        choices = tuple(Choice(_(label), code) for code, label in TASK_STATUSES.items()) + unchanged
        return engine.Prompt("\n".join(x for x in (head, expected, _("Where does this result stand?")) if x),
                             choices)
    ask = _("Current value in percent (0-100)?") if item.get("percent") else \
        _("Current value ({unit})?", unit=item["unit"]) if item.get("unit") else _("Current value (a number)?")
    return engine.Prompt(f"{head}\n{target}\n{ask}", unchanged)


def _parse_item(turn: Turn, answer: engine.Answer) -> dict[str, Any]:
    item = _item(turn)
    if answer.choice == "same":
        return {"text": None, **turn.data["prev"][_key(item)]}
    if item["kind"] == "task":
        if answer.choice not in TASK_STATUSES:
            raise InputError(_("Please pick one of the statuses below (type its number)."))
        return {"status": answer.choice}
    return parse_indicator_value(item, answer.text, answer.choice)


def _after_item(turn: Turn, value: dict[str, Any]) -> str:
    item = _item(turn)
    turn.data["answers"][_key(item)] = value
    if answer_kind(item) == "status" and "text" not in value:
        return "result"  # the short text of a qualitative result (keeps "fixing" for after it)
    return _next_item(turn)


def _next_item(turn: Turn) -> str:
    if turn.data.pop("fixing", False):
        return "confirm"
    turn.data["idx"] += 1
    return "item" if turn.data["idx"] < len(turn.data["items"]) else "difficulties"


def _result_prompt(turn: Turn) -> engine.Prompt:
    item = _item(turn)
    n, total = turn.data["idx"] + 1, len(turn.data["items"])
    status = _(TASK_STATUSES.get(turn.data["answers"][_key(item)].get("status") or "", ""))
    choices = [Choice(_("None"), "none")]
    if (turn.data["prev"].get(_key(item)) or {}).get("text"):
        choices.append(Choice(_("Same as last time"), "same"))
    return engine.Prompt(f"({n}/{total}) {_item_label(item)}: {status}\n" + _(
        "What has been achieved so far? A short sentence (at most {max} characters), or choose None.",
        max=RESULT_TEXT_MAX), tuple(choices))


def _parse_result(turn: Turn, answer: engine.Answer) -> str | None:
    if answer.choice == "none" or fold(answer.text) in _NONE_WORDS:
        return None
    if answer.choice == "same":
        return (turn.data["prev"].get(_key(_item(turn))) or {}).get("text")
    return parse_result_text(answer.text)


def _after_result(turn: Turn, text: str | None) -> str:
    turn.data["answers"][_key(_item(turn))]["text"] = text
    return _next_item(turn)


def _first(turn: Turn) -> str:
    return "item" if turn.data["items"] else "difficulties"


def _text_prompt(question: str, prev_key: str):  # noqa: ANN202
    def prompt(turn: Turn) -> engine.Prompt:
        choices = [Choice(_("None"), "none")]
        if turn.data["prev"].get(prev_key):
            choices.append(Choice(_("Same as last time"), "same"))
        return engine.Prompt(_(question), tuple(choices))

    return prompt


def _text_parser(prev_key: str):  # noqa: ANN202
    def parse(turn: Turn, answer: engine.Answer) -> str | None:
        if answer.choice == "none" or fold(answer.text) in _NONE_WORDS:
            return None
        if answer.choice == "same":
            return turn.data["prev"].get(prev_key)
        if not has_words(answer.text, 3):
            raise InputError(_("Please write a few words, or choose None."))
        return clean_text(answer.text)

    return parse


def _confirm_prompt(turn: Turn) -> engine.Prompt:
    d = turn.data
    lines = [_("Summary of the report of {unit}:", unit=d["unit_name"])]
    for item in d["items"]:
        lines.append(f"• {_item_label(item)}. {shorten(item['title'], 60)}: {show_value(item, d['answers'].get(_key(item)))}")
    lines.append(_("Difficulties: {t}", t=d.get("difficulties") or _("none")))
    lines.append(_("Proposals: {t}", t=d.get("proposals") or _("none")))
    if d.get("evidence"):
        lines.append(_("Evidence attached: {n} file(s)", n=len(d["evidence"])))
    return engine.Prompt("\n".join(lines), (Choice(_("Send report"), "send"), Choice(_("Change an answer"), "fix"),
                                            Choice(_("Cancel"), "cancel")))


def _parse_confirm(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("send", "fix", "cancel"):
        raise InputError(_("Please choose Send report, Change an answer or Cancel."))
    return answer.choice


def _fix_prompt(turn: Turn) -> engine.Prompt:
    choices = [Choice(f"{_item_label(it)}. {shorten(it['title'], 40)}", str(i)) for i, it in enumerate(turn.data["items"])]
    choices += [Choice(_("Difficulties"), "difficulties"), Choice(_("Proposals"), "proposals")]
    return engine.Prompt(_("Which answer do you want to change?"), tuple(choices))


def _parse_fix(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice is None:
        raise InputError(_("Please type the number of the answer to change."))
    turn.data["fixing"] = True
    if answer.choice.isdigit():
        turn.data["idx"] = int(answer.choice)
        return "item"
    return answer.choice


def _after_text(next_step: str):  # noqa: ANN202
    def nxt(turn: Turn, _value: Any) -> str:
        return "confirm" if turn.data.pop("fixing", False) else next_step

    return nxt


async def _finish(turn: Turn) -> None:
    d = turn.data
    if d.get("confirm") == "cancel":
        turn.reply(_("Cancelled. The report was not sent."))
        return
    assert turn.person is not None
    s = turn.session
    period = period_by_key(await turn_stream(turn, STREAM), d["period"], turn.tz)
    prow = await period_row(s, turn.person.commune_id, period)
    # Two officers of a unit may send at the same moment: the row is created if missing, then locked
    # (PostgreSQL), so the second waits and becomes the next revision instead of a duplicate.
    created = await insert_ignore(s, Report, {
        "period_id": prow.id, "unit_id": d["unit_id"], "person_id": turn.person.id, "status": "submitted",
        "submitted_at": turn.now, "late": False, "revision": 0})
    report = (await s.exec(select(Report).where(Report.period_id == prow.id, Report.unit_id == d["unit_id"])
                           .with_for_update())).one()
    amended = not created
    addendum = amended and d.get("addendum")  # only the items the plan added since: the report keeps the rest
    # Late by the one state rule: a (re)submission after the deadline is late, returned before or not. An addendum
    # keeps the report's own moment and verdict: the items came after it was sent.
    late = report.late if addendum else classify(period, turn.now, turn.now) == "late"
    report.revision += 1
    reopened = addendum and report.status == "accepted"  # accepted as read: the added answers await a review too
    if not addendum or reopened:
        report.status, report.review_comment = "submitted", None
    if not addendum:
        report.person_id, report.submitted_at, report.late = turn.person.id, turn.now, late
    report.difficulties = d.get("difficulties") or (report.difficulties if addendum else None)
    report.proposals = d.get("proposals") or (report.proposals if addendum else None)
    s.add(report)
    await s.flush()
    gone = delete(ReportItem).where(ReportItem.report_id == report.id)  # type: ignore[arg-type]
    if addendum:
        for kind in ("task", "indicator"):
            await s.exec(gone.where(ReportItem.kind == kind, col(ReportItem.ref_id).in_(  # type: ignore[call-overload]
                [it["id"] for it in d["items"] if it["kind"] == kind])))
    else:
        await s.exec(gone)  # type: ignore[call-overload]
    for item in d["items"]:
        ans = d["answers"].get(_key(item)) or {}
        s.add(ReportItem(report_id=report.id, kind=item["kind"], ref_id=item["id"],  # type: ignore[arg-type]
                         status=ans.get("status"), value_bool=ans.get("bool"), note=ans.get("text"),
                         value_num=Decimal(ans["value"]) if ans.get("value") is not None else None))
    s.add(ReportRevision(report_id=report.id, revision=report.revision, person_id=turn.person.id,  # type: ignore[arg-type]
                         submitted_at=turn.now, late=late,
                         data={"answers": d["answers"], "difficulties": d.get("difficulties"),
                               "proposals": d.get("proposals")}))
    await save_report_evidence(turn, report.id)  # type: ignore[arg-type]
    if amended:
        s.add(AuditLog(actor_person_id=turn.person.id, action="report.addendum" if addendum else "report.amend",
                       target=f"report:{report.id}", detail={"revision": report.revision, "late": late}))
    label = period_label(period, current_locale())
    if reopened:
        turn.reply(_("The {n} new item(s) are added to your report for {period}; the lead office had accepted it "
                     "and will review it again with them. Thank you!", n=len(d["items"]), period=label))
    elif addendum:
        turn.reply(_("The {n} new item(s) are added to your report for {period}. Thank you!", n=len(d["items"]),
                     period=label))
    elif late:
        turn.reply(_("Report for {period} received after the deadline; it is recorded as late. Thank you.",
                     period=label))
    elif amended:
        turn.reply(_("Your corrected report for {period} replaces the earlier one (revision {r}); it is "
                     "on time. Thank you.", period=label, r=report.revision))
    else:
        turn.reply(_("Report for {period} sent on time. Thank you!", period=label))


async def _on_media(turn: Turn, files: list[dict[str, Any]]) -> None:
    """A photo or document sent during the report: kept for the item being asked (else the whole
    report), acknowledged, and the same question asked again."""
    item = _item(turn) if turn.state.step == "item" else None
    add_to_flow(turn, files, _key(item) if item else None)
    where = _item_label(item) if item else _("the report as a whole")
    note = (_("Photo received; it is attached to {where}.", where=where) if all(f["kind"] == "photo" for f in files)
            else _("File received; it is attached to {where}.", where=where))
    await engine.ask(turn, engine.registry["report"].steps[turn.state.step or ""], note)


engine.register(engine.Flow(
    name="report",
    first=_first,
    steps={
        "item": engine.Step("item", _item_prompt, _parse_item, _after_item),
        "result": engine.Step("result", _result_prompt, _parse_result, _after_result),
        "difficulties": engine.Step("difficulties", _text_prompt(N_(
            "Any difficulties or obstacles (khó khăn, vướng mắc)? Write them, or choose None."), "_difficulties"),
            _text_parser("_difficulties"), _after_text("proposals"), "difficulties"),
        "proposals": engine.Step("proposals", _text_prompt(N_(
            "Any proposals (kiến nghị, đề xuất)? Write them, or choose None."), "_proposals"),
            _text_parser("_proposals"), _after_text("confirm"), "proposals"),
        "confirm": engine.Step("confirm", _confirm_prompt, _parse_confirm,
                               lambda t, v: "fix" if v == "fix" else None, "confirm"),
        "fix": engine.Step("fix", _fix_prompt, _parse_fix, lambda t, v: v),
    },
    finish=_finish,
    summary_of=lambda t: _("the report of {unit} ({n} answers)", unit=t.data.get("unit_name", ""),
                           n=len(t.data.get("answers", {}))),
    meta={"on_media": _on_media},
))
