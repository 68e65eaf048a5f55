"""The province office's questions on village activities (``storage.province_figures``): the province's or
the named communes' totals against the previous period or a year before, and commune by commune."""

from __future__ import annotations

from typing import Any

from handlers.activity.flow import label_of
from handlers.ask.base import SCREEN, Answer, ref, year_before
from handlers.ask.province_base import Ctx, activity_period, more, period_text
from handlers.turn import Turn
from locales.i18n import _, fmt_number
from storage.calendar.calendar import previous_period
from storage.province_figures import activities_by_commune

__all__ = ["activities", "by_commune"]


def _sum(rows: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in rows:
        for code, n in counts.items():
            out[code] = out.get(code, 0) + n
    return out


async def activities(turn: Turn, c: Ctx) -> Answer:
    e = c.u.entities
    period = await activity_period(turn, e.period, c.province)
    before = year_before(period) if e.compare == "last_year" else previous_period(period)
    ids = [x.id for x in c.named] or [x.id for x in c.communes]
    now = await activities_by_commune(turn.session, ids, period)  # type: ignore[arg-type]
    then = await activities_by_commune(turn.session, ids, before)  # type: ignore[arg-type]
    total, previous = _sum(list(now.values())), _sum(list(then.values()))
    where = ", ".join(x.name for x in c.named) or c.province.name
    codes = e.kinds or sorted(set(total) | set(previous), key=lambda k: (-total.get(k, 0), k))
    lines = [_("Village activities of {where}, {period} ({before} in brackets):", where=where,
               period=period_text(period), before=period_text(before))]
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


async def by_commune(turn: Turn, c: Ctx) -> Answer:
    period = await activity_period(turn, c.u.entities.period, c.province)
    ids = [x.id for x in c.communes]
    now = await activities_by_commune(turn.session, ids, period)  # type: ignore[arg-type]
    then = await activities_by_commune(turn.session, ids, previous_period(period))  # type: ignore[arg-type]
    kinds = c.u.entities.kinds
    lines = [_("Village activities by commune, {period} (previous period in brackets):", period=period_text(period))]
    facts: dict[str, Any] = {}
    for x in c.communes:
        counts, before = now.get(x.id, {}), then.get(x.id, {})  # type: ignore[arg-type]
        codes = kinds or sorted(set(counts) | set(before))
        facts[x.name] = {k: counts.get(k, 0) for k in codes}
        parts = ", ".join(f"{label_of(turn, k)} {fmt_number(counts.get(k, 0))} ({fmt_number(before.get(k, 0))})"
                          for k in codes)
        lines.append(f"• {x.name}: {parts or _('nothing logged')}")
    return Answer("\n".join(more(lines[:SCREEN * 4 + 1], len(c.communes), SCREEN * 4)), facts=facts)
