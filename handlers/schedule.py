"""/lich (/schedule): the commune's admin or lead office sees and changes its reporting streams."""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

from handlers import engine
from handlers.activity.vi_numbers import NumberError, parse_amount
from handlers.messages import Choice
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale
from locales.textnorm import commune_level
from storage.calendar.calendar import covering_stream, next_period, period_for
from storage.calendar.commune_streams import commune_streams, invalidate, save_stream
from storage.calendar.data_end import early_period, fit_month
from storage.calendar.streams import Stream, dump_streams, load_streams
from storage.errors import InputError
from storage.models import AuditLog, Commune
from storage.province_stream import PROVINCE_STREAM

__all__ = ["describe_stream", "schedule_cmd"]

_WHO = {"village_activity": N_("Village digital teams"), "unit_report": N_("Offices and units"),
        "lead_report": N_("The lead office"), "steering_report": N_("The lead office")}
_WHAT = {"village_activity": N_("activity log"), "unit_report": N_("report on the plan"),
         "lead_report": N_("compiled report"), "steering_report": N_("periodic report")}  # the line names to whom
_FREQ = {"weekly": N_("weekly"), "monthly": N_("monthly"), "quarterly": N_("quarterly"),
         "half_year": N_("every six months"), "year": N_("yearly")}
_WHEN = {"weekly": N_("of the following week"), "monthly": N_("of each month"),
         "quarterly": N_("of the quarter's last month"), "half_year": N_("of June and December"),
         "year": N_("of December")}
_MIN_DAY, _MAX_DAY = 1, 28


def _stream(cfg: dict[str, Any]) -> Stream:
    return load_streams([{k: v for k, v in cfg.items() if k != "enabled"}])[0]


def _title(cfg: dict[str, Any]) -> str:
    what = _(_WHAT.get(cfg["kind"], cfg["kind"]))
    return f"{what[:1].upper()}{what[1:]} ({_(_FREQ[cfg['frequency']])})"


def _rule(cfg: dict[str, Any]) -> str:
    """The due rule in words, e.g. "trước ngày 20 hằng tháng"."""
    day = f"{cfg['due_day']:02d}"
    rule = _("by the end of day {day}", day=day) if cfg["inclusive"] else _("before day {day}", day=day)
    frequency = cfg["frequency"]
    when = _(_WHEN[frequency])
    if frequency == "monthly" and cfg["due_month_offset"] == 1:
        when = _("of the following month")
    elif cfg["due_month_offset"] and cfg["frequency"] != "weekly":
        when += " " + _("(moved {n} month(s))", n=cfg["due_month_offset"])
    return f"{rule} {when}"


def _cutoff(cfg: dict[str, Any]) -> str:
    if cfg["cutoff"] == "nd09":
        return _("data from the 15th to the 14th (Decree 09/2019)")
    if cfg["cutoff"] == "calendar":
        return _("data by calendar month")
    n = int(cfg["cutoff"].removeprefix("day-"))
    return _("data from day {start} to day {end}", start=n, end=n - 1)


def describe_stream(cfg: dict[str, Any], ward: bool = False) -> str:
    """One stream in plain words: who reports what to whom, how often, due when, on or off (``ward``: a ward's
    village teams are those of its tổ dân phố)."""
    who = _("Digital teams of the residential groups") if ward and cfg["kind"] == "village_activity" else \
        _(_WHO.get(cfg["kind"], cfg["kind"]))
    lines = [_("{who} → {recipient}: {what}, {rule}.", who=who,
               recipient=cfg["recipient"], what=_(_WHAT.get(cfg["kind"], cfg["kind"])), rule=_rule(cfg))]
    extra = [_cutoff(cfg), _("reminders on") if cfg["enabled"] else _("switched off")]
    if cfg["kind"] == "village_activity":
        extra.append(_("reminders also at weekends") if cfg["weekend_reminders"] else _("no reminders at weekends"))
    lines.append("   " + "; ".join(extra))
    return "\n".join(lines)


async def schedule_cmd(turn: Turn, _args: str) -> None:
    assert turn.person is not None
    table = await commune_streams(turn.session, turn.services, turn.person.commune_id)
    rows = [d | {"enabled": table.is_enabled(d["name"])} for d in dump_streams(list(table.streams))
            if d["name"] != PROVINCE_STREAM]  # the compiled report to the province: its deadline is the province's
    commune = await turn.session.get(Commune, turn.person.commune_id)
    ward = commune is not None and commune_level(commune.name) == "phường"
    await engine.start(turn, "schedule", {"streams": rows, "ward": ward})


def _cfg(turn: Turn) -> dict[str, Any]:
    return turn.data["cfg"]


def _list_prompt(turn: Turn) -> engine.Prompt:
    rows = turn.data["streams"]
    ward = turn.data.get("ward", False)
    lines = [_("Reporting schedule of your ward:") if ward else _("Reporting schedule of your commune:")]
    for i, cfg in enumerate(rows, 1):
        lines.append(f"{i}. {_title(cfg)}\n   {describe_stream(cfg, ward)}")
    lines.append(_("Which one do you want to change?"))
    choices = tuple(Choice(_title(cfg) + ("" if cfg["enabled"] else " — " + _("off")), cfg["name"]) for cfg in rows)
    return engine.Prompt("\n".join(lines), (*choices, Choice(_("Close"), "close")))


def _parse_pick(turn: Turn, answer: engine.Answer) -> str:
    names = [cfg["name"] for cfg in turn.data["streams"]]
    if answer.choice == "close":
        return "close"
    if answer.choice not in names:
        raise InputError(_("Please pick one of the options below (type its number)."))
    cfg = next(c for c in turn.data["streams"] if c["name"] == answer.choice)
    turn.data["cfg"], turn.data["before"] = dict(cfg), dict(cfg)
    return answer.choice


def _edit_prompt(turn: Turn) -> engine.Prompt:
    cfg = _cfg(turn)
    stream = _stream(cfg)
    period = period_for(stream, turn.now, turn.tz)
    if covering_stream(period, [_stream(c) for c in turn.data["streams"] if c.get("enabled", True)]) is not None:
        period = next_period(period)  # the second half-year is reported by the year report
    loc = current_locale()
    text = "\n".join([
        _title(cfg), describe_stream(cfg, turn.data.get("ward", False)),
        _("Next deadline: {period}, {due}.", period=period.label_en if loc == "en" else period.label_vi,
          due=period.due_text_en if loc == "en" else period.due_text_vi),
        _("What do you want to change?")])
    choices = [Choice(_("Due day"), "day"), Choice(_("\"Before day N\" or \"by end of day N\""), "rule"),
               Choice(_("Data period"), "cutoff"),
               Choice(_("Switch off") if cfg["enabled"] else _("Switch on"), "toggle")]
    if cfg["kind"] == "village_activity":
        choices.append(Choice(_("No reminders at weekends") if cfg["weekend_reminders"]
                              else _("Reminders at weekends too"), "weekend"))
    choices += [Choice(_("Save"), "save"), Choice(_("Cancel"), "cancel")]
    if cfg["frequency"] == "weekly":
        choices = [c for c in choices if c.payload not in ("day", "cutoff")]
    return engine.Prompt(text, tuple(choices))


def _parse_edit(turn: Turn, answer: engine.Answer) -> str:
    allowed = [p for _label, p in turn.data.get("_choices", [])]
    if answer.choice not in allowed:
        raise InputError(_("Please pick one of the options below (type its number)."))
    cfg = _cfg(turn)
    if answer.choice == "toggle":
        cfg["enabled"] = not cfg["enabled"]
    elif answer.choice == "weekend":
        cfg["weekend_reminders"] = not cfg["weekend_reminders"]
    return answer.choice


def _after_edit(turn: Turn, value: str) -> str | None:
    if value == "cancel":
        return None
    return {"day": "day", "rule": "rule", "cutoff": "cutoff", "save": "confirm"}.get(value, "edit")


def _day_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Type the due day, a number from {min} to {max} (now: {day}).",
                           min=_MIN_DAY, max=_MAX_DAY, day=_cfg(turn)["due_day"]))


def _fit_month(turn: Turn, **change: Any) -> None:
    """Apply ``change`` to the stream being edited, a monthly report's month read by the one rule
    (``storage.calendar.data_end.fit_month``): a due day inside the data period (any day of a calendar month, up
    to the 15th for 15th–14th) is that day of the following month — seed 001's "trước ngày 06 hàng tháng" is the
    month just ended; the 20th stays the 20th of the same month for 15th–14th. When no month fits ("before day 1"
    of calendar months: the data's own last day) it is refused and nothing changes."""
    cfg = _cfg(turn)
    stream = fit_month(_stream(cfg | change))
    early = early_period(stream)
    if early is not None:
        loc = current_locale()
        raise InputError(_("Sorry, a report cannot be due before its data ends: the data for {period} runs to "
                           "{end}, and its last allowed day would be {last}. Please choose another due day or "
                           "reading.", period=early.label_en if loc == "en" else early.label_vi,
                           end=f"{early.end:%d/%m/%Y}", last=f"{early.last_day:%d/%m/%Y}"))
    cfg.update(change, due_month_offset=stream.due_month_offset)


def _parse_day(turn: Turn, answer: engine.Answer) -> int:
    text = answer.text.strip().removeprefix("ngày").removeprefix("ngay").strip()
    if any(c.isalpha() for c in text):  # "hai mươi": the one number parser reads the words
        with suppress(NumberError):
            amount = parse_amount(text)
            text = str(amount.value) if amount.whole and not amount.percent else text
    if not re.fullmatch(r"[0-9]{1,2}", text) or not _MIN_DAY <= int(text) <= _MAX_DAY:
        raise InputError(_("The due day must be a whole number from {min} to {max}, so it exists in every "
                           "month.", min=_MIN_DAY, max=_MAX_DAY))
    _fit_month(turn, due_day=int(text))
    return int(text)


def _rule_prompt(turn: Turn) -> engine.Prompt:
    day = _cfg(turn)["due_day"]
    return engine.Prompt(_("How should \"day {day}\" be read?", day=day), (
        Choice(_("Before day {day} (the last day is the day before)", day=day), "before"),
        Choice(_("By the end of day {day}", day=day), "by")))


def _parse_rule(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("before", "by"):
        raise InputError(_("Please pick one of the options below (type its number)."))
    _fit_month(turn, inclusive=answer.choice == "by")
    return answer.choice


def _cutoff_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("Which data period does a report cover?"), (
        Choice(_("Decree 09/2019: 15th of the previous month to the 14th"), "nd09"),
        Choice(_("Calendar month: 1st to the last day"), "calendar")))


def _parse_cutoff(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("nd09", "calendar"):
        raise InputError(_("Please pick one of the options below (type its number)."))
    _fit_month(turn, cutoff=answer.choice)
    return answer.choice


def _confirm_prompt(turn: Turn) -> engine.Prompt:
    before, after = turn.data["before"], _cfg(turn)
    ward = turn.data.get("ward", False)
    text = _("Save this schedule?") + "\n" + _("Before:") + "\n" + describe_stream(before, ward) + "\n" + \
        _("After:") + "\n" + describe_stream(after, ward)
    if before == after:
        text += "\n" + _("(nothing changed)")
    return engine.Prompt(text, (Choice(_("Save"), "save"), Choice(_("Change more"), "edit"),
                                Choice(_("Cancel"), "cancel")))


def _parse_confirm(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice not in ("save", "edit", "cancel"):
        raise InputError(_("Please choose Save, Change more or Cancel."))
    return answer.choice


async def _finish(turn: Turn) -> None:
    person = turn.person
    assert person is not None
    if turn.data.get("pick") == "close":
        turn.reply(_("OK."))
        return
    if turn.data.get("edit") == "cancel" or turn.data.get("confirm") != "save":
        turn.reply(_("Cancelled. The schedule was not changed."))
        return
    before, after = turn.data["before"], _cfg(turn)
    stream = _stream(after)
    stored = await save_stream(turn.session, turn.services, person.commune_id, stream, after["enabled"],
                               person.id)
    changed = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    turn.session.add(AuditLog(actor_person_id=person.id, action="streams.update",
                              target=f"commune:{person.commune_id}:{stream.name}",
                              detail={"source": "chat", "changed": changed, "stored": stored}))
    turn.after_commit.append(lambda: invalidate(turn.services, person.commune_id))
    turn.reply(_("Saved. {title}:", title=_title(after)) + "\n" + describe_stream(after, turn.data.get("ward", False)))


engine.register(engine.Flow(
    name="schedule",
    steps={
        "pick": engine.Step("pick", _list_prompt, _parse_pick, lambda t, v: None if v == "close" else "edit",
                            "pick"),
        "edit": engine.Step("edit", _edit_prompt, _parse_edit, _after_edit, "edit"),
        "day": engine.Step("day", _day_prompt, _parse_day, "edit"),
        "rule": engine.Step("rule", _rule_prompt, _parse_rule, "edit"),
        "cutoff": engine.Step("cutoff", _cutoff_prompt, _parse_cutoff, "edit"),
        "confirm": engine.Step("confirm", _confirm_prompt, _parse_confirm,
                               lambda t, v: "edit" if v == "edit" else None, "confirm"),
    },
    finish=_finish,
    summary_of=lambda t: _("changes to the reporting schedule, not saved"),
))
