"""The province office's questions on its communes' plans (``storage.province_figures.plan_figures``):
indicators off track or at risk, tasks past their due date."""

from __future__ import annotations

from typing import Any

from handlers.ask.base import SCREEN, Answer, name_list
from handlers.ask.province_base import Ctx, drill, monthly, more, period_text
from handlers.turn import Turn
from locales.i18n import N_, _
from locales.textcut import shorten
from storage.calendar.calendar import Period
from storage.models import Commune
from storage.province_figures import plan_figures

__all__ = ["indicators", "overdue"]


_STANDING = {"off_track": N_("off track"), "at_risk": N_("at risk"), "no_data": N_("without data"),
             "on_track": N_("on track")}


async def _plans(turn: Turn, c: Ctx) -> tuple[dict[int, dict[str, Any]], Period, list[Commune]]:
    up, _vp = await monthly(turn, c.u.entities.period, c.province)
    chosen = [x for x in c.communes if not c.named or x.id in {n.id for n in c.named}]
    figures = await plan_figures(turn.session, [x.id for x in chosen], up,  # type: ignore[misc]
                                 min(turn.today, up.end))
    return figures, up, chosen


async def indicators(turn: Turn, c: Ctx) -> Answer:
    figures, up, chosen = await _plans(turn, c)
    counts = {k: sum(f["indicators"][k] for f in figures.values()) for k in _STANDING}
    if not any(counts.values()):
        return Answer(_("{where}: no indicators in the imported plans yet.",
                        where=", ".join(x.name for x in c.named) or c.province.name), facts={"counts": counts})
    lines = [_("Indicators of {where} at {period}: {off} off track, {risk} at risk, {none} without data, "
               "{ok} on track.", where=", ".join(x.name for x in c.named) or c.province.name, period=period_text(up),
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
        lines = more(lines, len(rows), SCREEN * 2)
    facts = {"counts": counts, "by_commune": {x.name: figures[x.id]["indicators"]["off_track"]  # type: ignore[index]
                                              for x in chosen}}
    return Answer("\n".join(lines), facts=facts)


async def overdue(turn: Turn, c: Ctx) -> Answer:
    figures, up, chosen = await _plans(turn, c)
    total = sum(f["overdue_tasks"] for f in figures.values())
    if c.named:
        f = figures[chosen[0].id]  # type: ignore[index]
        lines = [_("{commune}: {n} task(s) past their due date and not done at {period}.", commune=chosen[0].name,
                   n=f["overdue_tasks"], period=period_text(up))]
        lines += [f"• {code}. {shorten(title, 70)}" for code, title, _due in f["overdue"][:SCREEN]]
        return Answer("\n".join(lines), [drill(chosen[0].name, up)],
                      {"by_commune": {chosen[0].name: f["overdue_tasks"]}})
    late_rows = sorted((x for x in chosen if figures[x.id]["overdue_tasks"]),  # type: ignore[index]
                       key=lambda x: (-figures[x.id]["overdue_tasks"], x.name))  # type: ignore[index]
    lines = [_("Overdue tasks by commune at {period} ({n} in all):", period=period_text(up), n=total)]
    lines += [_("• {commune}: {n} — {tasks}", commune=x.name, n=figures[x.id]["overdue_tasks"],  # type: ignore[index]
                tasks="; ".join(f"{code}. {shorten(title, 40)}"
                                for code, title, _d in figures[x.id]["overdue"][:2]))  # type: ignore[index]
              for x in late_rows[:SCREEN * 2]]
    lines = more(lines, len(late_rows), SCREEN * 2)
    clear = [x.name for x in chosen if not figures[x.id]["overdue_tasks"]]  # type: ignore[index]
    if clear:
        lines.append(_("No overdue task: {names}", names=name_list(clear)))
    return Answer("\n".join(lines), [drill(x.name, up) for x in late_rows[:2]],
                  {"by_commune": {x.name: figures[x.id]["overdue_tasks"] for x in chosen}})  # type: ignore[index]
