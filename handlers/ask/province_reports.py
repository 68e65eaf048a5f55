"""The province office's questions on its communes' reports, from ``storage.traffic.province_traffic`` (as
its /tinhtrang): not reported, reported, late, compiled reports to the province, the ranking, the views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import handlers.status  # the commune's own view (its "status" flow) the drill-down opens
from handlers import engine
from handlers.ask.base import SCREEN, Answer, name_list, ref
from handlers.ask.province_base import Ctx, drill, monthly, more, period_text, traffic
from handlers.province import colour_text
from handlers.turn import Turn
from locales.i18n import N_, _, fmt_date
from locales.textnorm import fold

__all__ = ["commune", "compiled", "late", "not_reported", "rank", "reported", "status"]


def _owed(r: dict[str, Any], scope: str | None) -> tuple[int, int]:
    """(reports in, reports expected) of a commune's row for the scope asked (villages, offices or both)."""
    keys = {"villages": ("villages",), "offices": ("units",)}.get(scope or "", ("units", "villages"))
    return sum(r[k]["submitted"] for k in keys), sum(r[k]["expected"] for k in keys)



def _row_line(r: dict[str, Any]) -> str:
    return _("{commune}: units {units_done}/{units}, village teams {villages_done}/{villages}",
             commune=r["commune"], units_done=r["units"]["submitted"], units=r["units"]["expected"],
             villages_done=r["villages"]["submitted"], villages=r["villages"]["expected"])


async def not_reported(turn: Turn, c: Ctx) -> Answer:
    data, up = await traffic(turn, c)
    rows = [r for r in data["communes"] if _owed(r, c.u.entities.scope)[0] < _owed(r, c.u.entities.scope)[1]]
    if not rows:
        return Answer(_("Every commune of {province} has reported for {period}.", province=data["province"],
                        period=period_text(up)), facts={"communes": []})
    lines = [_("Communes not fully reported for {period} ({n}/{total}):", period=period_text(up), n=len(rows),
               total=len(data["communes"]))]
    lines = more(lines + [f"• {_row_line(r)}" for r in rows[:SCREEN * 2]], len(rows), SCREEN * 2)
    return Answer("\n".join(lines), [drill(r["commune"], up) for r in rows[:2]],
                  {"communes": [r["commune"] for r in rows]})


async def reported(turn: Turn, c: Ctx) -> Answer:
    data, up = await traffic(turn, c)
    done = [r["commune"] for r in data["communes"] if _owed(r, c.u.entities.scope)[0] >= _owed(
        r, c.u.entities.scope)[1]]
    text = _("Communes fully reported for {period} ({n}/{total}): {names}", period=period_text(up), n=len(done),
             total=len(data["communes"]), names=name_list(done) or "—")
    return Answer(text, [(_("Which communes have not reported?"), f"xa nao chua bao cao {ref(up)}")],
                  {"communes": done})


async def late(turn: Turn, c: Ctx) -> Answer:
    data, up = await traffic(turn, c)
    rows = [r for r in data["communes"] if r["missing_after_deadline"]]
    if not rows:
        return Answer(_("No commune has reports missing after the deadline for {period}.", period=period_text(up)),
                      facts={"communes": []})
    lines = [_("Communes with reports missing after the deadline for {period} ({n}):", period=period_text(up),
               n=len(rows))]
    lines = more(lines + [_("• {commune}: {n} report(s) missing", commune=r["commune"],
                             n=r["missing_after_deadline"]) for r in rows[:SCREEN * 2]], len(rows), SCREEN * 2)
    return Answer("\n".join(lines), [drill(r["commune"], up) for r in rows[:2]],
                  {"communes": [r["commune"] for r in rows]})


_COMPILED = (("on_time", N_("Received on time")), ("late", N_("Received late")),
             ("missing", N_("Not received, past the deadline")), ("pending", N_("Not received yet, before the deadline")),
             ("no_lead", N_("Not tracked (nobody of the commune's lead office is on the bot)")))


async def compiled(turn: Turn, c: Ctx) -> Answer:
    """Whose compiled report reached the province (``storage.province_stream``, as /tinhtrang shows it)."""
    data, up = await traffic(turn, c)
    named = {x.id for x in c.named}
    rows = [r for r in data["communes"] if r.get("compiled_report") and r["compiled_report"]["state"] != "not_owed"
            and (not named or r["commune_id"] in named)]
    if not rows:
        return Answer(_("No compiled report to the province is owed for {period}.", period=period_text(up)),
                      facts={"compiled": {}})
    due = fmt_date(datetime.fromisoformat(rows[0]["compiled_report"]["due"]).astimezone(turn.tz).date())
    lines = [_("Communes' compiled reports to the province for {period} (last day {due}):", period=period_text(up),
               due=due)]
    facts: dict[str, list[str]] = {}
    for state, label in _COMPILED:
        names = sorted((r["commune"] for r in rows if r["compiled_report"]["state"] == state), key=fold)
        if names:
            facts[state] = names
            lines.append(f"• {_(label)} ({len(names)}): {name_list(names[:SCREEN * 2])}"
                         + (_(" and {n} more", n=len(names) - SCREEN * 2) if len(names) > SCREEN * 2 else ""))
    return Answer("\n".join(lines), [drill(n, up) for n in (facts.get("missing") or [])[:2]], {"compiled": facts})


async def rank(turn: Turn, c: Ctx) -> Answer:
    data, up = await traffic(turn, c)
    rows = data["communes"]
    lines = [_("Communes of {province} for {period}, laggards first:", province=data["province"],
               period=period_text(up)),
             " · ".join(f"{colour_text(k)} {sum(r['colour'] == k for r in rows)}" for k in ("red", "yellow", "green"))]
    for i, r in enumerate(rows[:SCREEN], 1):
        lines.append(_("{n}. {colour} {commune}: overdue tasks {overdue}, reports missing after the deadline "
                       "{missing}, reported {done}/{expected}", n=i, colour=colour_text(r["colour"]),
                       commune=r["commune"], overdue=r["overdue_tasks"], missing=r["missing_after_deadline"],
                       done=_owed(r, None)[0], expected=_owed(r, None)[1]))
    if len(rows) > SCREEN:
        lines.append(_("… and {n} more (/tinhtrang lists them all).", n=len(rows) - SCREEN))
    return Answer("\n".join(lines), [drill(r["commune"], up) for r in rows[:2]],
                  {"ranked": [r["commune"] for r in rows], "colours": [r["colour"] for r in rows]})


async def status(turn: Turn, c: Ctx) -> Answer:
    up, _vp = await monthly(turn, c.u.entities.period, c.province)  # the province's /tinhtrang itself, with its drill-down
    before = len(turn.out)
    from handlers.province import FLOWS, communes_known

    with communes_known(c.province.id, c.communes):  # type: ignore[arg-type]
        await engine.start(turn, FLOWS[1] if turn.state.flow == FLOWS[0] else FLOWS[0], {"period": up.key})
    return Answer("", facts={"text": "\n".join(o.text for o in turn.out[before:])})


async def commune(turn: Turn, c: Ctx) -> Answer:
    up, _vp = await monthly(turn, c.u.entities.period, c.province)  # the commune's own /tinhtrang, read-only
    before = len(turn.out)
    name = handlers.status.FLOWS[1] if turn.state.flow == handlers.status.FLOWS[0] else handlers.status.FLOWS[0]
    await engine.start(turn, name, {"period": up.key, "commune_id": c.named[0].id})
    return Answer("", facts={"commune": c.named[0].name, "text": "\n".join(o.text for o in turn.out[before:])})
