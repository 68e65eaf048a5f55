"""The province office's questions answered, read-only and only about its own province's communes:
from ``storage.traffic.province_traffic`` (as its /tinhtrang) and ``storage.province_figures``."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlmodel import select

import handlers.status  # the commune's own view (its "status" flow) the drill-down opens
from handlers import engine
from handlers.activity.flow import label_of
from handlers.ask.base import SCREEN, Answer, PeriodError, name_list, ref, year_before
from handlers.ask.intents import Understood
from handlers.ask.province_intents import CommuneName, understand_province
from handlers.ask.province_units import unit_question
from handlers.periods import (
    period_label,
    province_calendar,
    relative_month,
    rollup_closed_before,
    unreadable_period,
)
from handlers.province import colour_text
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale, fmt_date, fmt_number
from locales.textcut import shorten
from locales.textnorm import fold
from storage.calendar.calendar import Frequency, Period, period_by_key, previous_period
from storage.calendar.period_ref import parse_period_ref
from storage.models import Commune, Province
from storage.province_figures import activities_by_commune, plan_figures
from storage.traffic import province_traffic

__all__ = ["PROVINCE_SUGGESTIONS", "ask_province"]


@dataclasses.dataclass
class _Ctx:
    province: Province
    communes: list[Commune]  # the asker's province's, alphabetical
    u: Understood
    named: list[CommuneName]


def _label(p: Period) -> str:
    return period_label(p, current_locale())


async def _monthly(turn: Turn, phrase: str | None, province: Province) -> tuple[Period, Period]:
    """(unit period, village period) of one month in the deployment's streams (the province view's calendar;
    by default the month its /tinhtrang opens on)."""
    unit_stream, village_stream, month = await province_calendar(turn, province.report_due_day)
    up = (relative_month(phrase, month) or parse_period_ref(phrase, unit_stream, turn.today, turn.tz)) if phrase else month
    if up is None:
        raise PeriodError(phrase)
    return up, period_by_key(village_stream, up.key, turn.tz)


async def _activity_period(turn: Turn, phrase: str | None, province: Province) -> Period:
    """A month, quarter, half-year or year of village activity (default: the month of /tinhtrang)."""
    _unit, stream, month = await province_calendar(turn, province.report_due_day)
    up = relative_month(phrase, month) if phrase else month  # "tháng này", "tháng trước": from the view's month
    if up is not None:
        return period_by_key(stream, up.key, turn.tz)
    for freq in (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEAR, Frequency.YEAR):
        p = parse_period_ref(phrase, dataclasses.replace(stream, frequency=freq), turn.today, turn.tz)
        if p is not None:
            return p
    raise PeriodError(phrase)


async def _traffic(turn: Turn, c: _Ctx) -> tuple[dict[str, Any], Period]:
    up, vp = await _monthly(turn, c.u.entities.period, c.province)
    return await province_traffic(turn.session, c.province, up, vp, turn.now, turn.today,
                                  rollup_closed_before(turn.services, turn.now), c.communes), up


def _drill(name: str, up: Period) -> tuple[str, str]:
    return _("How is {commune} doing?", commune=name), f"xa {name} {ref(up)} the nao"


def _owed(r: dict[str, Any], scope: str | None) -> tuple[int, int]:
    """(reports in, reports expected) of a commune's row for the scope asked (villages, offices or both)."""
    keys = {"villages": ("villages",), "offices": ("units",)}.get(scope or "", ("units", "villages"))
    return sum(r[k]["submitted"] for k in keys), sum(r[k]["expected"] for k in keys)


def _more(lines: list[str], total: int, shown: int) -> list[str]:
    """``lines`` with "… and N more" when only ``shown`` of ``total`` communes are listed."""
    return lines + ([f"…{_(' and {n} more', n=total - shown)}"] if total > shown else [])


def _row_line(r: dict[str, Any]) -> str:
    return _("{commune}: units {units_done}/{units}, village teams {villages_done}/{villages}",
             commune=r["commune"], units_done=r["units"]["submitted"], units=r["units"]["expected"],
             villages_done=r["villages"]["submitted"], villages=r["villages"]["expected"])


async def not_reported(turn: Turn, c: _Ctx) -> Answer:
    data, up = await _traffic(turn, c)
    rows = [r for r in data["communes"] if _owed(r, c.u.entities.scope)[0] < _owed(r, c.u.entities.scope)[1]]
    if not rows:
        return Answer(_("Every commune of {province} has reported for {period}.", province=data["province"],
                        period=_label(up)), facts={"communes": []})
    lines = [_("Communes not fully reported for {period} ({n}/{total}):", period=_label(up), n=len(rows),
               total=len(data["communes"]))]
    lines = _more(lines + [f"• {_row_line(r)}" for r in rows[:SCREEN * 2]], len(rows), SCREEN * 2)
    return Answer("\n".join(lines), [_drill(r["commune"], up) for r in rows[:2]],
                  {"communes": [r["commune"] for r in rows]})


async def reported(turn: Turn, c: _Ctx) -> Answer:
    data, up = await _traffic(turn, c)
    done = [r["commune"] for r in data["communes"] if _owed(r, c.u.entities.scope)[0] >= _owed(
        r, c.u.entities.scope)[1]]
    text = _("Communes fully reported for {period} ({n}/{total}): {names}", period=_label(up), n=len(done),
             total=len(data["communes"]), names=name_list(done) or "—")
    return Answer(text, [(_("Which communes have not reported?"), f"xa nao chua bao cao {ref(up)}")],
                  {"communes": done})


async def late(turn: Turn, c: _Ctx) -> Answer:
    data, up = await _traffic(turn, c)
    rows = [r for r in data["communes"] if r["missing_after_deadline"]]
    if not rows:
        return Answer(_("No commune has reports missing after the deadline for {period}.", period=_label(up)),
                      facts={"communes": []})
    lines = [_("Communes with reports missing after the deadline for {period} ({n}):", period=_label(up),
               n=len(rows))]
    lines = _more(lines + [_("• {commune}: {n} report(s) missing", commune=r["commune"],
                             n=r["missing_after_deadline"]) for r in rows[:SCREEN * 2]], len(rows), SCREEN * 2)
    return Answer("\n".join(lines), [_drill(r["commune"], up) for r in rows[:2]],
                  {"communes": [r["commune"] for r in rows]})


_COMPILED = (("on_time", N_("Received on time")), ("late", N_("Received late")),
             ("missing", N_("Not received, past the deadline")), ("pending", N_("Not received yet, before the deadline")),
             ("no_lead", N_("Not tracked (nobody of the commune's lead office is on the bot)")))


async def compiled(turn: Turn, c: _Ctx) -> Answer:
    """Whose compiled report reached the province (``storage.province_stream``, as /tinhtrang shows it)."""
    data, up = await _traffic(turn, c)
    named = {x.id for x in c.named}
    rows = [r for r in data["communes"] if r.get("compiled_report") and r["compiled_report"]["state"] != "not_owed"
            and (not named or r["commune_id"] in named)]
    if not rows:
        return Answer(_("No compiled report to the province is owed for {period}.", period=_label(up)),
                      facts={"compiled": {}})
    due = fmt_date(datetime.fromisoformat(rows[0]["compiled_report"]["due"]).astimezone(turn.tz).date())
    lines = [_("Communes' compiled reports to the province for {period} (last day {due}):", period=_label(up),
               due=due)]
    facts: dict[str, list[str]] = {}
    for state, label in _COMPILED:
        names = sorted((r["commune"] for r in rows if r["compiled_report"]["state"] == state), key=fold)
        if names:
            facts[state] = names
            lines.append(f"• {_(label)} ({len(names)}): {name_list(names[:SCREEN * 2])}"
                         + (_(" and {n} more", n=len(names) - SCREEN * 2) if len(names) > SCREEN * 2 else ""))
    return Answer("\n".join(lines), [_drill(n, up) for n in (facts.get("missing") or [])[:2]], {"compiled": facts})


async def rank(turn: Turn, c: _Ctx) -> Answer:
    data, up = await _traffic(turn, c)
    rows = data["communes"]
    lines = [_("Communes of {province} for {period}, laggards first:", province=data["province"],
               period=_label(up)),
             " · ".join(f"{colour_text(k)} {sum(r['colour'] == k for r in rows)}" for k in ("red", "yellow", "green"))]
    for i, r in enumerate(rows[:SCREEN], 1):
        lines.append(_("{n}. {colour} {commune}: overdue tasks {overdue}, reports missing after the deadline "
                       "{missing}, reported {done}/{expected}", n=i, colour=colour_text(r["colour"]),
                       commune=r["commune"], overdue=r["overdue_tasks"], missing=r["missing_after_deadline"],
                       done=_owed(r, None)[0], expected=_owed(r, None)[1]))
    if len(rows) > SCREEN:
        lines.append(_("… and {n} more (/tinhtrang lists them all).", n=len(rows) - SCREEN))
    return Answer("\n".join(lines), [_drill(r["commune"], up) for r in rows[:2]],
                  {"ranked": [r["commune"] for r in rows], "colours": [r["colour"] for r in rows]})


async def status(turn: Turn, c: _Ctx) -> Answer:
    up, _vp = await _monthly(turn, c.u.entities.period, c.province)  # the province's /tinhtrang itself, with its drill-down
    before = len(turn.out)
    from handlers.province import FLOWS, communes_known

    with communes_known(c.province.id, c.communes):  # type: ignore[arg-type]
        await engine.start(turn, FLOWS[1] if turn.state.flow == FLOWS[0] else FLOWS[0], {"period": up.key})
    return Answer("", facts={"text": "\n".join(o.text for o in turn.out[before:])})


async def commune(turn: Turn, c: _Ctx) -> Answer:
    up, _vp = await _monthly(turn, c.u.entities.period, c.province)  # the commune's own /tinhtrang, read-only
    before = len(turn.out)
    name = handlers.status.FLOWS[1] if turn.state.flow == handlers.status.FLOWS[0] else handlers.status.FLOWS[0]
    await engine.start(turn, name, {"period": up.key, "commune_id": c.named[0].id})
    return Answer("", facts={"commune": c.named[0].name, "text": "\n".join(o.text for o in turn.out[before:])})


def _sum(rows: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in rows:
        for code, n in counts.items():
            out[code] = out.get(code, 0) + n
    return out


async def activities(turn: Turn, c: _Ctx) -> Answer:
    e = c.u.entities
    period = await _activity_period(turn, e.period, c.province)
    before = year_before(period) if e.compare == "last_year" else previous_period(period)
    ids = [x.id for x in c.named] or [x.id for x in c.communes]
    now = await activities_by_commune(turn.session, ids, period)  # type: ignore[arg-type]
    then = await activities_by_commune(turn.session, ids, before)  # type: ignore[arg-type]
    total, previous = _sum(list(now.values())), _sum(list(then.values()))
    where = ", ".join(x.name for x in c.named) or c.province.name
    codes = e.kinds or sorted(set(total) | set(previous), key=lambda k: (-total.get(k, 0), k))
    lines = [_("Village activities of {where}, {period} ({before} in brackets):", where=where,
               period=_label(period), before=_label(before))]
    if not codes:
        lines.append(_("No village activities logged yet this period."))
    for code in codes:
        n, m = total.get(code, 0), previous.get(code, 0)
        change = f", {'+' if n >= m else '−'}{fmt_number(abs(n - m))}" if e.compare else ""
        lines.append(f"• {label_of(turn, code)}: {fmt_number(n)} ({fmt_number(m)}{change})")
    names = {x.id: x.name for x in c.communes}
    per: list[tuple[str, int, int]] = []
    if e.kinds and not c.named:  # the kinds asked, commune by commune, most first
        per = sorted(((names[cid], sum(now.get(cid, {}).get(k, 0) for k in codes),
                       sum(then.get(cid, {}).get(k, 0) for k in codes)) for cid in ids),
                     key=lambda x: (-x[1], x[0]))
        lines.append(_("By commune: {list}", list=", ".join(f"{name} {fmt_number(n)} ({fmt_number(m)})"
                                                            for name, n, m in per[:SCREEN * 2])))
    follow = [] if c.named else [(_("By commune"), f"hoat dong theo xa {ref(period)}")]
    if not e.compare:  # the change against the previous period, for the same question
        follow.append((_("Compared with the previous period"), f"{c.u.text} so voi thang truoc"))
    facts = {code: total.get(code, 0) for code in codes} | {
        "previous": {code: previous.get(code, 0) for code in codes}, "where": where, "period": period.key,
        "before": before.key, "by_commune": {name: n for name, n, _m in per}}
    return Answer("\n".join(lines), follow, facts)


async def by_commune(turn: Turn, c: _Ctx) -> Answer:
    period = await _activity_period(turn, c.u.entities.period, c.province)
    ids = [x.id for x in c.communes]
    now = await activities_by_commune(turn.session, ids, period)  # type: ignore[arg-type]
    then = await activities_by_commune(turn.session, ids, previous_period(period))  # type: ignore[arg-type]
    kinds = c.u.entities.kinds
    lines = [_("Village activities by commune, {period} (previous period in brackets):", period=_label(period))]
    facts: dict[str, Any] = {}
    for x in c.communes:
        counts, before = now.get(x.id, {}), then.get(x.id, {})  # type: ignore[arg-type]
        codes = kinds or sorted(set(counts) | set(before))
        facts[x.name] = {k: counts.get(k, 0) for k in codes}
        parts = ", ".join(f"{label_of(turn, k)} {fmt_number(counts.get(k, 0))} ({fmt_number(before.get(k, 0))})"
                          for k in codes)
        lines.append(f"• {x.name}: {parts or _('nothing logged')}")
    return Answer("\n".join(_more(lines[:SCREEN * 4 + 1], len(c.communes), SCREEN * 4)), facts=facts)


_STANDING = {"off_track": N_("off track"), "at_risk": N_("at risk"), "no_data": N_("without data"),
             "on_track": N_("on track")}


async def _plans(turn: Turn, c: _Ctx) -> tuple[dict[int, dict[str, Any]], Period, list[Commune]]:
    up, _vp = await _monthly(turn, c.u.entities.period, c.province)
    chosen = [x for x in c.communes if not c.named or x.id in {n.id for n in c.named}]
    figures = await plan_figures(turn.session, [x.id for x in chosen], up,  # type: ignore[misc]
                                 min(turn.today, up.end))
    return figures, up, chosen


async def indicators(turn: Turn, c: _Ctx) -> Answer:
    figures, up, chosen = await _plans(turn, c)
    counts = {k: sum(f["indicators"][k] for f in figures.values()) for k in _STANDING}
    if not any(counts.values()):
        return Answer(_("{where}: no indicators in the imported plans yet.",
                        where=", ".join(x.name for x in c.named) or c.province.name), facts={"counts": counts})
    lines = [_("Indicators of {where} at {period}: {off} off track, {risk} at risk, {none} without data, "
               "{ok} on track.", where=", ".join(x.name for x in c.named) or c.province.name, period=_label(up),
               off=counts["off_track"], risk=counts["at_risk"], none=counts["no_data"], ok=counts["on_track"])]
    if c.named:
        f = figures[chosen[0].id]  # type: ignore[index]
        for kind in ("off_track", "at_risk"):
            lines += [f"• {code}. {shorten(name, 60)} ({_(_STANDING[kind])})" for code, name in f[kind][:SCREEN]]
    else:
        rows = sorted(chosen, key=lambda x: (-figures[x.id]["indicators"]["off_track"],  # type: ignore[index]
                                             -figures[x.id]["indicators"]["at_risk"], x.name))  # type: ignore[index]
        lines.append(_("By commune (off track / at risk / without data / on track):"))
        for x in rows[:SCREEN * 2]:  # the worst first; the rest summed up in the first line
            f = figures[x.id]  # type: ignore[index]
            worst = ", ".join(f"{code}. {shorten(name, 40)}" for code, name in f["off_track"][:2])
            lines.append(f"• {x.name}: " + " / ".join(str(f["indicators"][k]) for k in _STANDING)
                         + (f" — {worst}" if worst else ""))
        lines = _more(lines, len(rows), SCREEN * 2)
    facts = {"counts": counts, "by_commune": {x.name: figures[x.id]["indicators"]["off_track"]  # type: ignore[index]
                                              for x in chosen}}
    return Answer("\n".join(lines), facts=facts)


async def overdue(turn: Turn, c: _Ctx) -> Answer:
    figures, up, chosen = await _plans(turn, c)
    total = sum(f["overdue_tasks"] for f in figures.values())
    if c.named:
        f = figures[chosen[0].id]  # type: ignore[index]
        lines = [_("{commune}: {n} task(s) past their due date and not done at {period}.", commune=chosen[0].name,
                   n=f["overdue_tasks"], period=_label(up))]
        lines += [f"• {code}. {shorten(title, 70)}" for code, title, _due in f["overdue"][:SCREEN]]
        return Answer("\n".join(lines), [_drill(chosen[0].name, up)],
                      {"by_commune": {chosen[0].name: f["overdue_tasks"]}})
    late_rows = sorted((x for x in chosen if figures[x.id]["overdue_tasks"]),  # type: ignore[index]
                       key=lambda x: (-figures[x.id]["overdue_tasks"], x.name))  # type: ignore[index]
    lines = [_("Overdue tasks by commune at {period} ({n} in all):", period=_label(up), n=total)]
    lines += [_("• {commune}: {n} — {tasks}", commune=x.name, n=figures[x.id]["overdue_tasks"],  # type: ignore[index]
                tasks="; ".join(f"{code}. {shorten(title, 40)}"
                                for code, title, _d in figures[x.id]["overdue"][:2]))  # type: ignore[index]
              for x in late_rows[:SCREEN * 2]]
    lines = _more(lines, len(late_rows), SCREEN * 2)
    clear = [x.name for x in chosen if not figures[x.id]["overdue_tasks"]]  # type: ignore[index]
    if clear:
        lines.append(_("No overdue task: {names}", names=name_list(clear)))
    return Answer("\n".join(lines), [_drill(x.name, up) for x in late_rows[:2]],
                  {"by_commune": {x.name: figures[x.id]["overdue_tasks"] for x in chosen}})  # type: ignore[index]


# What the province office can ask, offered when a question is not understood or cannot be answered.
PROVINCE_SUGGESTIONS = ((N_("How are the communes doing?"), "tinh hinh cac xa thang nay"),
                        (N_("Which communes have not reported?"), "xa nao chua bao cao"),
                        (N_("Which communes lag most?"), "xa nao cham nhat"),
                        (N_("Village activities of the province"), "hoat dong cua tinh thang nay so voi thang truoc"),
                        (N_("Off-track indicators by commune"), "chi tieu nao cham tien do"),
                        (N_("Overdue tasks by commune"), "nhiem vu qua han theo xa"))


def _suggest(c: _Ctx, n: int = 3) -> list[tuple[str, str]]:
    from handlers.ask.detect import words

    asked = set(words(c.u.text).split())
    ranked = sorted(PROVINCE_SUGGESTIONS, key=lambda p: -len(asked & set(words(_(p[0]) + " " + p[1]).split())))
    return [(_(label), q) for label, q in ranked[:n]]


async def outside(turn: Turn, c: _Ctx) -> Answer:
    names = [x.name for x in c.named if x.province_id != c.province.id]
    return Answer(_("Sorry, {communes} is not a commune of {province}: you can ask about the communes of your "
                    "province only.", communes=", ".join(names), province=c.province.name),
                  _suggest(c), {"refused": "outside", "communes": names})


async def read_only(turn: Turn, c: _Ctx) -> Answer:
    return Answer(_("The province office follows its communes read-only: reminders, reports and reviews are done "
                    "by each commune's own offices. You can ask, for example:"), _suggest(c), {"refused": "write"})


async def export(turn: Turn, c: _Ctx) -> Answer:
    """"xuất báo cáo tháng 11": /xuat itself where the province office has it (its province files),
    otherwise what it can ask."""
    from handlers.commands import COMMANDS

    if not any(cmd.name == "xuat" and "province" in cmd.roles for cmd in COMMANDS):
        return await read_only(turn, c)
    from handlers.lead import export_cmd

    up, _vp = await _monthly(turn, c.u.entities.period, c.province)
    before = len(turn.out)
    await export_cmd(turn, up.key)
    made = turn.out[before:]
    return Answer("", facts={"files": [o.document.name for o in made if o.document],
                             "text": "\n".join(o.text for o in made)})


async def unknown(turn: Turn, c: _Ctx) -> Answer:
    return Answer(_("I did not understand the question. Here is what I can answer:"), _suggest(c), {})


_ANSWERS = {"p_not_reported": not_reported, "p_reported": reported, "p_late": late, "p_rank": rank,
            "p_status": status, "p_commune": commune, "p_activities": activities, "p_by_commune": by_commune,
            "p_indicators": indicators, "p_overdue": overdue, "p_outside": outside, "p_export": export,
            "p_read_only": read_only, "p_compiled": compiled}


async def ask_province(turn: Turn, text: str) -> tuple[Understood, Answer]:
    """Understand and answer ``text`` for a province office (nothing is written)."""
    from storage.province import province_communes

    assert turn.person is not None
    province = await turn.session.get(Province, turn.person.province_id) if turn.person.province_id else None
    if province is None:
        return Understood("unknown", text=text), Answer(
            _("Your account is not tied to a province yet. Please ask the administrator for a new invite."))
    everywhere = [CommuneName(i, n, p) for i, n, p in (await turn.session.exec(
        select(Commune.id, Commune.name, Commune.province_id))).all()]  # type: ignore[arg-type]
    u, named = understand_province(text, everywhere, turn.services.activity_catalog(), province.id)  # type: ignore[arg-type]
    if u.entities.ambiguous and not named:
        names = [x.name for x in u.entities.ambiguous]
        return u, Answer(_("Do you mean {names}?", names=_(" or ").join(names)),
                         [(n, f"{text} {n}") for n in names], {"ambiguous": names})
    c = _Ctx(province, await province_communes(turn.session, province.id), u, named)  # type: ignore[arg-type]
    if not c.communes:
        return u, Answer(_("No commune belongs to this province yet."))
    try:
        a = await unit_question(turn, province, c.communes, [x.id for x in named], u, _monthly, _activity_period)
        return u, a or await _ANSWERS.get(u.intent, unknown)(turn, c)  # a village team or an office named, or not
    except PeriodError as exc:
        return u, Answer(unreadable_period(str(exc)))
