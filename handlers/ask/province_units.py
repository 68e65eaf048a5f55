"""A village team or an office named in the province office's question ("thôn Nà Pài đã báo cáo chưa"): answered
for that unit when it is one of the province's, asked back when several communes have it, otherwise a polite
word on where such questions go; only the province's own units are ever looked at."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.activity.flow import label_of
from handlers.ask.answers import state_sentence
from handlers.ask.base import Answer, ref
from handlers.ask.detect import words
from handlers.ask.entities import UnitName, expand, find_units
from handlers.ask.intents import Understood
from handlers.periods import period_label
from handlers.turn import Turn
from locales.i18n import _, current_locale, fmt_number
from locales.textnorm import VILLAGE_KIND_RE, VILLAGE_KINDS, fold
from storage.calendar.calendar import Period, previous_period
from storage.models import Commune, Province, Unit
from storage.status import activity_totals, status_data

__all__ = ["names_a_unit", "unit_question"]

# A unit's kind word followed by a word of its name ("thôn Nà Pài", "phòng Văn hóa", "trung tâm phục vụ");
# "các thôn", "phòng ban nào", "bạn ơi" are no unit.
_KIND = rf"{VILLAGE_KIND_RE}|phong|van phong|trung tam|bo phan|cong an|tram y te"
_NAMED = re.compile(rf"\b(?=(?P<kind>{_KIND}) (?P<word>\w+))")  # overlapping: "thôn Bản Phố"
_STRONG = set(VILLAGE_KINDS) - {"ban"} | {"phong", "van phong", "trung tam"}  # surely a unit, even unknown
_GENERIC = {"nao", "ban", "cac", "chua", "da", "co", "khong", "nay", "do", "oi", "minh", "toi", "cua", "va", "xa",
            "tinh", "bao", "nop", "gui", "duoc", "thi", "con", "the", "tren", "trong", "o", "voi", "hay", "nhe"}
# An office named by its kind alone and then its commune, as the plans call them ("Công an xã", "UBND xã",
# "Trạm Y tế xã"): in "công an xã Thiện Tân" the "xã Thiện Tân" is part of the office's name, not the commune asked.
_OWN = re.compile(r"\b(?P<kind>cong an|tram y te|ubnd|uy ban nhan dan|van phong)(?= (?:xa|phuong) (?P<rest>.*))")
_COMMUNE_ITSELF = {"ubnd", "uy ban nhan dan"}  # "UBND xã X" with no such office: the commune itself

Months = Callable[[Turn, str | None, Province], Awaitable[tuple[Period, Period]]]
Span = Callable[[Turn, str | None, Province], Awaitable[Period]]
# asked about a whole commune when one is named too ("nhiệm vụ quá hạn của phòng Văn hóa xã Tân Lập"), or refused
_NOT_HERE = ("p_outside", "p_read_only", "p_export")
_COMMUNE_WIDE = ("p_indicators", "p_overdue", "p_compiled")


def names_a_unit(text: str) -> str | None:
    """The kind word of a unit ``text`` seems to name ("thon", "phong", …), or None."""
    m = _named(expand(words(text)))
    return m.group("kind") if m else None


def _named(w: str) -> re.Match | None:
    return next((m for m in _NAMED.finditer(w) if m.group("word") not in _GENERIC
                 and not m.group("word").isdecimal()), None)


def _office_of(w: str, communes: Sequence[str]) -> str | None:
    """The kind word of an office named by its kind and one of ``communes`` (folded words): "cong an" for
    "cong an xa thien tan da bao cao chua" when Thiện Tân is named; None otherwise ("xa thien tan" alone)."""
    return next((m.group("kind") for m in _OWN.finditer(w)
                 if any(f"{m.group('rest')} ".startswith(f"{c} ") for c in communes)), None)


def _starting(w: str, units: Sequence[UnitName]) -> list[UnitName]:
    """Units whose name starts with the words typed after the kind word ("phòng Văn hóa" → "Phòng Văn hóa - Xã
    hội", "công an xã" → "Công an xã"): the typed words up to the first that is no part of a name."""
    m = _named(w) or _OWN.search(w)
    if m is None:
        return []
    typed = []
    for t in w[m.start():].split()[len(m.group("kind").split()):]:
        if t in _GENERIC or t in ("the", "nao", "duoc", "bao", "thang", "hom", "tuan", "quy", "nam"):
            break
        typed.append(t)
    phrase = " ".join([m.group("kind"), *typed])
    return [u for u in units if " ".join(re.findall(r"\w+", fold(u.name))).startswith(phrase)]


async def _units(session: AsyncSession, province_id: int) -> list[tuple[UnitName, int]]:
    rows = (await session.exec(select(Unit.id, Unit.name, Unit.kind, Unit.commune_id).join(
        Commune, Commune.id == Unit.commune_id).where(Commune.province_id == province_id))).all()
    return [(UnitName(i, n, k), cid) for i, n, k, cid in rows]  # type: ignore[arg-type]


def _where(unit: str, commune: str) -> str:
    return _("{unit}, commune {commune}", unit=unit, commune=commune)


async def unit_question(turn: Turn, province: Province, communes: Sequence[Commune], named: Sequence[int],
                        u: Understood, months: Months, activity_period: Span) -> Answer | None:
    """The answer to a question naming one of the province's units (``named``: the communes it names too), its
    intent then "p_unit"; None when it names none (a weak kind word such as "ban" that fits no unit)."""
    text, period = u.text, u.entities.period
    kind = names_a_unit(text)
    own = _office_of(expand(words(text)), [words(c.key) for c in communes if c.id in named])
    if (kind or own) is None or u.intent in _NOT_HERE or named and u.intent in _COMMUNE_WIDE:
        return None
    sure = kind in _STRONG or own is not None and own not in _COMMUNE_ITSELF  # surely a unit, even unknown
    answer = await _answer(turn, province, communes, named, u.intent, text, period, sure, months, activity_period)
    if answer is not None:
        u.intent = "p_unit"
    return answer


async def _answer(turn: Turn, province: Province, communes: Sequence[Commune], named: Sequence[int], intent: str,
                  text: str, period: str | None, sure: bool, months: Months, activity_period: Span) -> Answer | None:
    by_id = {c.id: c for c in communes}
    pool = await _units(turn.session, province.id)  # type: ignore[arg-type]
    if named and any(cid in named for _u, cid in pool):  # "phòng Văn hóa xã Tân Lập": that commune's units
        pool = [(u, cid) for u, cid in pool if cid in named]
    commune_of = {u.id: cid for u, cid in pool}
    found, ambiguous = find_units(expand(words(text)), [u for u, _cid in pool])
    found = found or ambiguous or _starting(expand(words(text)), [u for u, _cid in pool])
    if not found:
        if not sure:
            return None
        return Answer(_("I found no village team or office by that name in the communes of your province. "
                        "Questions about one unit go through its commune: ask about the commune, for example "
                        "\"{example}\", and open its units there.", example=_example(communes, named)),
                      [(_("How are the communes doing?"), "tinh hinh cac xa")], {"unit": None})
    if len(found) > 1:  # the province's communes in their usual order (alphabetical)
        found.sort(key=lambda x: (fold(by_id[commune_of[x.id]].name), fold(x.name), x.id))
        names = [_where(u.name, by_id[commune_of[u.id]].name) for u in found[:4]]
        return Answer(_("Several units of the province fit: {names}. Which one do you mean?",
                        names=_(" or ").join(names) + (_(" and {n} more", n=len(found) - 4) if len(found) > 4 else "")),
                      [(n, f"{u.name} xa {by_id[commune_of[u.id]].name} {text}") for n, u in zip(names, found, strict=False)],
                      {"ambiguous": names})
    unit, commune = found[0], by_id[commune_of[found[0].id]]
    if intent in ("p_activities", "p_by_commune") and unit.kind == "village":
        return await _activities(turn, unit, commune, await activity_period(turn, period, province))
    up, vp = await months(turn, period, province)
    data = await status_data(turn.session, commune, up, vp, turn.now)
    states = {x["name"]: x["state"] for st in data["streams"] for x in st["units"]
              if st["name"] == ("village_monthly" if unit.kind == "village" else "unit_monthly")}
    state = states.get(unit.name, "not_expected")
    p = vp if unit.kind == "village" else up
    follow = [(_("How is {commune} doing?", commune=commune.name), f"xa {commune.name} {ref(up)} the nao")]
    if unit.kind == "village":
        follow.append((_("Activities of {unit}", unit=unit.name), f"{unit.name} xa {commune.name} {ref(vp)} duoc bao nhieu"))
    return Answer(state_sentence(state, _where(unit.name, commune.name), period_label(p, current_locale())),
                  follow, {"unit": unit.name, "commune": commune.name, "state": state, "period": p.key})


async def _activities(turn: Turn, unit: UnitName, commune: Commune, period: Period) -> Answer:
    before = previous_period(period)
    now = (await activity_totals(turn.session, commune.id, period))[1].get(unit.name, {})  # type: ignore[arg-type]
    then = (await activity_totals(turn.session, commune.id, before))[1].get(unit.name, {})  # type: ignore[arg-type]
    loc = current_locale()
    lines = [_("Activities of {where}, {period} ({before} in brackets):", where=_where(unit.name, commune.name),
               period=period_label(period, loc), before=period_label(before, loc))]
    codes = sorted(set(now) | set(then), key=lambda k: (-now.get(k, 0), k))
    if not codes:
        lines.append(_("No village activities logged yet this period."))
    lines += [f"• {label_of(turn, k)}: {fmt_number(now.get(k, 0))} ({fmt_number(then.get(k, 0))})" for k in codes]
    return Answer("\n".join(lines), [(_("How is {commune} doing?", commune=commune.name),
                                      f"xa {commune.name} {ref(period)} the nao")],
                  {"unit": unit.name, "commune": commune.name, "period": period.key} | {k: now.get(k, 0) for k in codes})


def _example(communes: Sequence[Commune], named: Sequence[int]) -> str:
    name = next((c.name for c in communes if c.id in named), communes[0].name if communes else "")
    return f"xã {name} thế nào"
