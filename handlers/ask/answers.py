"""Answers to understood questions, from the same functions as /tinhtrang, /chitieu, /quahan and /xuat."""

from __future__ import annotations

from sqlmodel import select

from handlers.activity.flow import label_of
from handlers.ask.base import (
    SCREEN,
    Answer,
    PeriodError,
    commune_of,
    label,
    monthly,
    name_list,
    ref,
    village_period,
    year_before,
)
from handlers.ask.intents import Understood
from handlers.periods import unreadable_period
from handlers.turn import Turn
from locales.i18n import _, fmt_number
from locales.textcut import shorten
from locales.textnorm import commune_level
from storage.calendar.calendar import Period, previous_period
from storage.models import Identity, Person, Unit
from storage.status import activity_totals, status_data

__all__ = ["Answer", "answer", "state_sentence"]



def _streams(data: dict, scope: str | None) -> list[dict]:
    want = {"villages": ("village_monthly",), "offices": ("unit_monthly",)}.get(scope or "",
                                                                              ("unit_monthly", "village_monthly"))
    return [st for st in data["streams"] if st["name"] in want]


def _what(st: dict) -> str:
    return _("Village teams") if st["name"] == "village_monthly" else _("Units")


async def _status(turn: Turn, u: Understood) -> tuple[dict, Period, Period]:
    up, vp = await monthly(turn, u.entities.period)
    return await status_data(turn.session, await commune_of(turn), up, vp, turn.now), up, vp


async def not_reported(turn: Turn, u: Understood) -> Answer:
    data, up, _vp = await _status(turn, u)
    lines, facts, follow = [], {}, []
    for st in _streams(data, u.entities.scope):
        missing = st["missing"]
        facts[st["name"]] = missing
        if missing:
            lines.append(_("{what} not reported for {period} ({n}/{expected}): {names}", what=_what(st),
                           period=label(up), n=len(missing), expected=st["expected"], names=name_list(missing)))
            if st.get("unlisted"):  # counted as not reported; nobody of theirs can be reminded
                lines.append(_("Nobody on the org list yet, so nobody to remind (please add a person): {names}",
                               names=name_list(st["unlisted"])))
        else:
            lines.append(_("{what}: everyone has reported for {period}.", what=_what(st), period=label(up)))
        if missing:
            whom = _("villages") if st["name"] == "village_monthly" else _("units")
            follow.append((_("Remind the {whom} not reported", whom=whom),
                           f"nhac {'cac thon' if st['name'] == 'village_monthly' else 'cac don vi'} chua bao cao "
                           f"{ref(up)}"))
    return Answer("\n".join(lines), follow, facts)


async def reported(turn: Turn, u: Understood) -> Answer:
    data, up, _vp = await _status(turn, u)
    lines, facts = [], {}
    for st in _streams(data, u.entities.scope):
        done = [x["name"] for x in st["units"] if x["state"] in ("on_time", "late")]
        facts[st["name"]] = done
        lines.append(_("{what} reported for {period} ({n}/{expected}): {names}", what=_what(st),
                       period=label(up), n=len(done), expected=st["expected"], names=name_list(done) or "—"))
    return Answer("\n".join(lines), [(_("Who has not reported?"), f"ai chua bao cao {ref(up)}")], facts)


async def late(turn: Turn, u: Understood) -> Answer:
    data, up, _vp = await _status(turn, u)
    lines, facts = [], {}
    for st in _streams(data, u.entities.scope):
        names = [x["name"] for x in st["units"] if x["state"] == "late"]
        facts[st["name"]] = names
        lines.append(_("{what} reported late for {period}: {names}", what=_what(st), period=label(up),
                       names=name_list(names) or _("none")))
    return Answer("\n".join(lines), [(_("Who has not reported?"), f"ai chua bao cao {ref(up)}")], facts)


async def returned(turn: Turn, u: Understood) -> Answer:
    data, up, _vp = await _status(turn, u)
    back = [x for st in _streams(data, "offices") for x in st["units"] if x["state"] == "returned"]
    if not back:
        return Answer(_("No report for {period} is waiting to come back after a return.", period=label(up)),
                      facts={"returned": []})
    lines = [_("Returned for correction, not back yet ({n}):", n=len(back))]
    lines += [f"• {x['name']}: {x['comment'] or ''}".rstrip(": ") for x in back[:SCREEN]]
    return Answer("\n".join(lines), facts={"returned": [x["name"] for x in back]})


async def not_joined(turn: Turn, u: Understood) -> Answer:
    commune = await commune_of(turn)
    joined = select(Identity.person_id)
    q = (select(Person.name, Unit.name, Unit.kind).join(Unit, Unit.id == Person.unit_id)  # type: ignore[arg-type]
         .where(Person.commune_id == commune.id, Person.anonymised_at.is_(None),  # type: ignore[union-attr]
                Person.id.not_in(joined)).order_by(Unit.name, Person.name))  # type: ignore[union-attr]
    rows = (await turn.session.exec(q)).all()
    scope = u.entities.scope
    unit_ids = {x.name for x in u.entities.units}
    rows = [r for r in rows if (not unit_ids or r[1] in unit_ids)
            and (scope is None or (scope == "villages") == (r[2] == "village"))]
    if not rows:
        return Answer(_("Everyone on the list has joined the bot."), facts={"not_joined": []})
    lines = [_("Not joined the bot yet ({n}):", n=len(rows))]
    lines += [f"• {name} — {unit}" for name, unit, _k in rows[:SCREEN * 2]]
    return Answer("\n".join(lines), facts={"not_joined": [r[0] for r in rows]})


def state_sentence(state: str, unit: str, period: str) -> str:
    """Where one unit stands for a period, in a sentence (its state from ``storage.status``; "not_expected")."""
    text = {"on_time": _("{unit} reported for {period} on time."),
            "late": _("{unit} reported for {period}, late."),
            "returned": _("{unit}: the report for {period} was returned and has not come back yet."),
            "pending": _("{unit} has not reported for {period} yet (the deadline has not passed)."),
            "missing": _("{unit} has not reported for {period}; the deadline has passed."),
            "not_owed": _("{unit} owes nothing for {period} (before the commune's reporting started)."),
            }.get(state, _("{unit} is not expected to report for {period}."))
    return text.format(unit=unit, period=period)


async def unit_status(turn: Turn, u: Understood) -> Answer:
    data, up, _vp = await _status(turn, u)
    lines, facts, follow = [], {}, []
    states = {x["name"]: x for st in data["streams"] for x in st["units"]}
    for unit in u.entities.units:
        st = states.get(unit.name)
        state = st["state"] if st else "not_expected"
        facts[unit.name] = state
        lines.append(state_sentence(state, unit.name, label(up)))
        if state in ("on_time", "late", "returned") and unit.kind == "office":
            follow.append((_("What did {unit} report?", unit=unit.name), f"{unit.name} bao cao {ref(up)} the nao"))
        if unit.kind == "village":
            follow.append((_("Activities of {unit}", unit=unit.name), f"{unit.name} {ref(up)} duoc bao nhieu"))
    return Answer("\n".join(lines), follow[:3], facts)


async def unit_report(turn: Turn, u: Understood) -> Answer:
    data, up, vp = await _status(turn, u)
    unit = u.entities.units[0]
    if unit.kind == "village":
        return await activity_totals_answer(turn, u)
    report = next((r for r in data["reports"] if r["unit"] == unit.name), None)
    if report is None:
        return await unit_status(turn, u)
    state = {"on_time": _("on time"), "late": _("late"), "returned": _("returned")}.get(report["state"], "")
    lines = [_("Report of {unit} for {period} ({state}):", unit=unit.name, period=label(up), state=state)]
    from handlers.report_items import TASK_STATUSES

    for it in report["items"][:SCREEN]:
        if it["value"] is not None:  # with its unit, as /chitieu and the exports show it ("85,5%")
            unit = (it.get("unit") or "").strip()
            value = fmt_number(it["value"]) + ("%" if unit == "%" else f" {unit}" if unit else "")
        elif it["achieved"] is not None:
            value = _("Achieved") if it["achieved"] else _("Not achieved")
        else:
            value = _(TASK_STATUSES.get(it["status"] or "", "—")) if it["status"] else "—"
        lines.append(f"• {it['code']}. {shorten(it['title'], 50)}: {value}")
    if report["difficulties"]:
        lines.append(_("Difficulties: {text}", text=shorten(report["difficulties"], 200)))
    if report["proposals"]:
        lines.append(_("Proposals: {text}", text=shorten(report["proposals"], 200)))
    return Answer("\n".join(lines), facts={"state": report["state"], "items": len(report["items"])})


async def activity_totals_answer(turn: Turn, u: Understood) -> Answer:
    e = u.entities
    period = await village_period(turn, e.period)
    commune = await commune_of(turn)
    total, by_unit = await activity_totals(turn.session, commune.id, period)  # type: ignore[arg-type]
    villages = [x.name for x in e.units if x.kind == "village"]
    note = ""
    if turn.person is not None and turn.person.role == "member":
        own = turn.unit.name if turn.unit else None
        if own and (villages and villages != [own] or not villages and any(
                w in u.text.lower() for w in ("xã", "xa ", "phường", "các thôn", "cac thon", "các tổ dân phố", "các khu phố"))):
            note = _("You can see your own village's figures only; here are those of {village}.", village=own)
        if own is None:  # a member of no village: nothing of the commune's to show
            return Answer(_("Sorry, that question is answered for the lead office only; for your role I can tell "
                            "you what you still have to report."), [(_("What do I still have to report?"),
                                                                    "toi con phai nop gi")])
        villages = [own]
    if villages:
        counts: dict[str, int] = {}
        for v in villages:
            for code, n in by_unit.get(v, {}).items():
                counts[code] = counts.get(code, 0) + n
        where = ", ".join(villages)
    else:
        counts, where = total, commune.name
    compare: dict[str, int] | None = None
    if e.compare:
        before = previous_period(period) if e.compare == "previous" else year_before(period)
        ptotal, pby = await activity_totals(turn.session, commune.id, before)  # type: ignore[arg-type]
        compare = {}
        for code, n in (ptotal.items() if not villages else
                        ((c, n) for v in villages for c, n in pby.get(v, {}).items())):
            compare[code] = compare.get(code, 0) + n
    codes = e.kinds or sorted(set(counts) | set(compare or {}), key=lambda c: -counts.get(c, 0))
    lines = [note] if note else []
    lines.append(_("Activities of {where}, {period}:", where=where, period=label(period)))
    if not codes:
        lines.append(_("No village activities logged yet this period."))
    for code in codes:
        line = f"• {label_of(turn, code)}: {fmt_number(counts.get(code, 0))}"
        if compare is not None:
            line += " " + _("(before: {n})", n=fmt_number(compare.get(code, 0)))
        lines.append(line)
    follow = []
    if not villages and turn.person is not None and turn.person.role in ("lead", "admin"):
        follow.append((_("By village"), f"hoat dong theo thon {ref(period)}"))
    if not e.compare:
        follow.append((_("Compared with the previous period"), f"{u.text} so voi thang truoc"))
    if len(villages) > 1:  # "Nà Lẹng với Nà Pài": each village on its own line
        lines.append(_("By village: {list}", list=", ".join(
            f"{v} {_village_figure(turn, by_unit.get(v, {}), codes)}" for v in villages)))
    if e.kinds and len(by_unit) and not villages and turn.person is not None and turn.person.role != "member":
        per = sorted(by_unit.items(), key=lambda x: (-sum(x[1].get(k, 0) for k in e.kinds), x[0]))
        lines.append(_("By village: {list}", list=", ".join(
            f"{v} {_village_figure(turn, c, e.kinds)}" for v, c in per[:SCREEN])))
    facts = {code: counts.get(code, 0) for code in codes} | {"where": where, "period": period.key}
    return Answer("\n".join(lines), follow[:2], facts)


def _village_figure(turn: Turn, counts: dict[str, int], codes: list[str]) -> str:
    """A village's figure for the kinds asked: the count of one kind, or each kind's count in brackets
    (different activities are never added up: households and applications are not one number)."""
    if len(codes) == 1:
        return fmt_number(counts.get(codes[0], 0))
    return "(" + "; ".join(f"{label_of(turn, c)} {fmt_number(counts.get(c, 0))}" for c in codes) + ")"


async def by_village(turn: Turn, u: Understood) -> Answer:
    period = await village_period(turn, u.entities.period)
    commune = await commune_of(turn)
    _total, by_unit = await activity_totals(turn.session, commune.id, period)  # type: ignore[arg-type,union-attr]
    if not by_unit:
        return Answer(_("No village activities logged yet this period."))
    ward = commune is not None and commune_level(commune.name) == "phường"  # its villages are its tổ dân phố
    lines = [_("Activities by residential group, {period}:", period=label(period)) if ward else
             _("Activities by village, {period}:", period=label(period))]
    for village, counts in sorted(by_unit.items()):
        parts = ", ".join(f"{label_of(turn, c)} {fmt_number(n)}" for c, n in sorted(counts.items()))
        lines.append(f"• {village}: {parts}")
    return Answer("\n".join(lines), facts={"villages": sorted(by_unit)})


async def answer(turn: Turn, u: Understood) -> Answer:
    """The answer for an understood question (permission and period problems said politely)."""
    from handlers.ask import plan_items, views

    fn = {"task_detail": plan_items.task_detail, "plan_section": plan_items.plan_section,
          "task_list": plan_items.task_list, "not_reported": not_reported, "reported": reported, "late": late,
          "returned": returned, "not_joined": not_joined, "unit_status": unit_status, "unit_report": unit_report,
          "activity_totals": activity_totals_answer, "by_village": by_village}.get(u.intent)
    try:
        if fn is not None:
            return await fn(turn, u)
        return await views.answer_view(turn, u)
    except PeriodError as exc:
        return Answer(unreadable_period(str(exc)))
