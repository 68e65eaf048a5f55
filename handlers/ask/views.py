"""Answers that are the lead office's views and actions: indicators, overdue tasks, exports, charts,
reminders (confirmed first), what I still owe, the status summary, and what to ask instead."""

from __future__ import annotations

from handlers.ask.base import Answer, PeriodError, commune_of, label, monthly
from handlers.ask.intents import Understood
from handlers.exports.data import ExportData, IndicatorRow
from handlers.exports.gather import gather_export
from handlers.turn import Turn
from locales.i18n import N_, _
from locales.textcut import shorten
from locales.textnorm import fold
from storage.calendar.commune_streams import commune_streams

__all__ = ["SUGGESTIONS", "answer_view", "export_data", "indicator_line", "indicator_names"]

SCREEN = 8


async def export_data(turn: Turn, u: Understood) -> ExportData:
    up, _vp = await monthly(turn, u.entities.period)
    commune = await commune_of(turn)
    configured = (await commune_streams(turn.session, turn.services, commune.id)).streams
    return await gather_export(turn.session, commune, up.key, turn.now, turn.tz, configured)


async def indicator_names(turn: Turn) -> list[tuple[str, str]]:
    """(code, name) of the commune's indicators, for reading "tỷ lệ hồ sơ trực tuyến" as one of them."""
    from sqlmodel import select

    from storage.models import Indicator, Plan

    if turn.person is None:
        return []
    rows = (await turn.session.exec(select(Indicator.code, Indicator.name).join(
        Plan, Plan.id == Indicator.plan_id).where(Plan.commune_id == turn.person.commune_id))).all()
    return [(c, n or "") for c, n in rows]


async def indicators(turn: Turn, u: Understood) -> Answer:
    from handlers.lead import _ICON, _ORDER, _STATUS, _value, missing_line

    data = await export_data(turn, u)
    rows = sorted(data.indicators, key=lambda r: (_ORDER.get(r.status, 9), r.plan, r.code))
    if not rows:
        return Answer(_("No indicators in the imported plans yet."))
    code = u.entities.indicator
    if code:
        one = [r for r in rows if fold(r.code) == fold(code)]
        if not one:
            return Answer(_("I found no indicator {code}. These are the ones furthest behind:", code=code) + "\n"
                          + "\n".join(_line(r, _ICON, _STATUS, _value) for r in rows[:3]))
        lines = [_line(r, _ICON, _STATUS, _value) for r in one]
        owners = sorted({x for r in one for x in r.owner_units})
        if owners:
            lines.append(_("Reported by: {units}", units=", ".join(owners)))
        lines += [missing_line(r) for r in one if r.missing_units]
        return Answer("\n".join(lines), facts={"codes": [r.code for r in one],
                                               "status": [r.status for r in one]})
    if u.entities.reached:
        ok = [r for r in rows if r.status == "on_track"]
        lines = [_("Indicators on track at {period} ({n}):", period=data.period_label, n=len(ok))]
        lines += [_line(r, _ICON, _STATUS, _value) for r in ok[:SCREEN]]
        return Answer("\n".join(lines), [(_("Which are behind?"), "chi tieu nao cham")],
                      facts={"codes": [r.code for r in ok]})
    if u.entities.slow:
        slow = [r for r in rows if r.status in ("off_track", "at_risk")]
        if not slow:
            return Answer(_("No indicator is behind at {period}. 👍", period=data.period_label),
                          facts={"codes": []})
        lines = [_("Indicators behind at {period} ({n}):", period=data.period_label, n=len(slow))]
        lines += [_line(r, _ICON, _STATUS, _value) for r in slow[:SCREEN]]
        return Answer("\n".join(lines), [(_("All indicators"), "chi tieu")],
                      facts={"codes": [r.code for r in slow]})
    counts = {k: sum(1 for r in rows if r.status == k) for k in _ORDER}
    lines = [_("Indicators at {period}: {off} off track, {risk} at risk, {none} without data, {ok} on track.",
               period=data.period_label, off=counts["off_track"], risk=counts["at_risk"],
               none=counts["no_data"], ok=counts["on_track"])]
    lines += [_line(r, _ICON, _STATUS, _value) for r in rows[:SCREEN]]
    return Answer("\n".join(lines), [(_("Which are behind?"), "chi tieu nao cham")],
                  facts={"codes": [r.code for r in rows]})


def _line(r, icon, status, value) -> str:  # noqa: ANN001
    return (f"{icon.get(r.status, '')} {r.code}. {shorten(r.name, 60)}: {value(r)} / {r.target_short or '—'} "
            f"({_(status[r.status])})")


def indicator_line(r: IndicatorRow) -> str:
    """One indicator as the questions show it: "🔴 IV.2. Name: 90% (…) / 100% (chậm tiến độ)"."""
    from handlers.lead import _ICON, _STATUS, _value

    return _line(r, _ICON, _STATUS, _value)


async def overdue(turn: Turn, u: Understood) -> Answer:
    data = await export_data(turn, u)
    from handlers.lead import behind, behind_lines, overdue_lines  # the same lines as /quahan

    late = [t for t in data.tasks if t.overdue]
    if u.entities.slow:  # "nhiệm vụ nào chậm": /quahan's overdue tasks and those reported delayed / blocked
        overdue_, blocked = behind(data.tasks)
        return Answer("\n".join(behind_lines(data.tasks)), facts={
            "codes": [t.code for t in overdue_], "blocked": [t.code for t in blocked]})
    return Answer("\n".join(overdue_lines(data.tasks)), facts={
        "codes": [t.code for t in late], "due_soon": [t.code for t in data.tasks if t.light == "yellow"]})


async def unit_tasks(turn: Turn, u: Understood) -> Answer:
    """The tasks a unit owes: its own and its groups' ("Các cơ quan, đơn vị", expanded as the reports are asked:
    ``storage.item_standing.owed_of``), each with the unit's own latest answer; a group's task also with how
    many of its units are done."""
    from handlers.exports.data import task_status_vi
    from handlers.lead import units_done

    data = await export_data(turn, u)
    unit = u.entities.units[0]
    tasks = [t for t in data.tasks if unit.name in t.owed_by or unit.name in t.lead_units]
    if not tasks:
        return Answer(_("{unit} chairs no task in the imported plans.", unit=unit.name), facts={"codes": []})
    lines = [_("Tasks chaired by {unit} ({n}):", unit=unit.name, n=len(tasks))]
    own: dict[str, str | None] = {}
    for t in tasks[:SCREEN]:
        status = t.said.get(unit.name) if t.units_owed > 1 else t.status  # a group's task: this unit's answer
        own[t.code] = status
        shown = task_status_vi(status) if current_vi() else status or "—"
        lines.append(f"• {t.code}. {shorten(t.title, 70)} — {shown}" + units_done(t)
                     + (" ⚠️" if t.overdue and status != "done" else ""))
    return Answer("\n".join(lines), facts={"codes": [t.code for t in tasks], "own": own})


def current_vi() -> bool:
    from locales.i18n import current_locale

    return current_locale() == "vi"


async def remind(turn: Turn, u: Understood) -> Answer:
    """Never sends at once: shows who would be reminded and offers the digest's "remind again" button."""
    from storage.status import status_data

    up, vp = await monthly(turn, u.entities.period)
    data = await status_data(turn.session, await commune_of(turn), up, vp, turn.now)
    names = [x.name for x in u.entities.units]
    scope = ("villages" if u.entities.units[0].kind == "village" else "offices") if names else (
        u.entities.scope or "villages")
    lines, choices, facts = [], [], {}
    for st in data["streams"]:
        if st["name"] != ("village_monthly" if scope == "villages" else "unit_monthly"):
            continue
        for x in st["units"]:
            if x["state"] == "returned" and (not names or x["name"] in names):
                lines.append(_("{unit}: the report was returned; I remind its officers every day until it comes "
                               "back.", unit=x["name"]))
        missing = list(st["missing"])  # the reminder goes to every one of them (reminders/again.py)
        if names and not set(names) & set(missing):
            if not lines:
                lines.append(_("{units}: nothing to remind for {period}.", units=", ".join(names),
                               period=label(up)))
            continue
        facts[st["name"]] = missing
        if not missing:
            lines.append(_("Nobody to remind: everyone has reported for {period}.", period=label(up)))
            continue
        unlisted = [m for m in missing if m in st["unlisted"]]  # not reported, but nobody on the org list
        missing = [m for m in missing if m not in unlisted]
        if unlisted:
            lines.append(_("Nobody on the org list yet, so nobody to remind (please add a person): {names}",
                           names=", ".join(unlisted)))
        if not missing:
            continue
        lines.append(_("Not reported for {period}: {names}.", period=label(up), names=", ".join(missing)))
        lines.append(_("Send them a reminder now? Nothing is sent until you choose below."))
        choices.append((_("Send the reminder"), f"remind:{st['name']}:{st['period']}"))
    return Answer("\n".join(lines), facts=facts, payload_choices=choices)


async def delegate(turn: Turn, u: Understood) -> Answer:
    """Actions and views that are exactly a command: the command's own handler answers."""
    from handlers.charts import charts_cmd
    from handlers.lead import export_cmd
    from handlers.status import due_cmd, status_cmd

    before = len(turn.out)
    if u.intent == "export":
        up, _vp = await monthly(turn, u.entities.period)
        await export_cmd(turn, up.key)
    elif u.intent == "chart":
        await charts_cmd(turn, "")
    elif u.intent == "my_due":
        await due_cmd(turn, "")
    else:
        up, _vp = await monthly(turn, u.entities.period)
        await status_cmd(turn, up.key)
    made = turn.out[before:]
    files = [o.document.name for o in made if o.document] + [o.photo.name for o in made if o.photo]
    return Answer("", facts={"files": files, "text": "\n".join(o.text for o in made)})


# What the bot can answer, offered when a question is not understood: (label, question, roles).
SUGGESTIONS = ((N_("Which villages have not reported?"), "thon nao chua bao cao", ("lead", "admin")),
               (N_("Which units have not reported?"), "don vi nao chua bao cao", ("lead", "admin")),
               (N_("Activities this month"), "thang nay duoc bao nhieu", ("lead", "admin", "member")),
               (N_("Which indicators are behind?"), "chi tieu nao cham", ("lead", "admin")),
               (N_("Which tasks are overdue?"), "nhiem vu nao qua han", ("lead", "admin")),
               (N_("Who has not joined the bot?"), "ai chua tham gia bot", ("lead", "admin")),
               (N_("What do I still have to report?"), "toi con phai nop gi", ("lead", "admin", "member", "officer")))


async def unknown(turn: Turn, u: Understood) -> Answer:
    """The two or three answerable questions closest to what was asked (shared words, named units)."""
    from handlers.ask.detect import words

    role = turn.person.role if turn.person else "none"
    asked = set(words(u.text).split())
    picks = [(label, q) for label, q, roles in SUGGESTIONS if role in roles]
    ranked = sorted(picks, key=lambda p: -len(asked & set(words(_(p[0]) + " " + p[1]).split())))
    follow = [(_(label), q) for label, q in ranked[:3]]
    if role in ("lead", "admin"):
        for unit in u.entities.units[:1]:
            follow.insert(0, (_("Has {unit} reported?", unit=unit.name), f"{unit.name} bao cao chua"))
    return Answer(_("I did not understand the question. Here is what I can answer:"), follow[:3], facts={})


async def answer_view(turn: Turn, u: Understood) -> Answer:
    fn = {"indicators": indicators, "overdue": overdue, "unit_tasks": unit_tasks, "remind": remind,
          "export": delegate, "chart": delegate, "my_due": delegate, "status": delegate}.get(u.intent, unknown)
    try:
        return await fn(turn, u)
    except PeriodError:
        raise
