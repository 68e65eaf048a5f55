"""The province office's questions answered, read-only and only about its own province's communes: a unit
named (province_units), else the answer of its intent (province_reports, _activities, _plans, _help)."""

from __future__ import annotations

from sqlmodel import select

from handlers.ask.base import Answer, PeriodError
from handlers.ask.intents import Understood
from handlers.ask.province_activities import activities, by_commune
from handlers.ask.province_base import Ctx, activity_period, monthly
from handlers.ask.province_help import PROVINCE_SUGGESTIONS, export, outside, read_only, unknown
from handlers.ask.province_intents import CommuneName, understand_province
from handlers.ask.province_plans import indicators, overdue
from handlers.ask.province_reports import commune, compiled, late, not_reported, rank, reported, status
from handlers.ask.province_units import unit_question
from handlers.periods import unreadable_period
from handlers.turn import Turn
from locales.i18n import _
from storage.models import Commune, Province

__all__ = ["PROVINCE_SUGGESTIONS", "ask_province"]


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
    c = Ctx(province, await province_communes(turn.session, province.id), u, named)  # type: ignore[arg-type]
    if not c.communes:
        return u, Answer(_("No commune belongs to this province yet."))
    try:
        a = await unit_question(turn, province, c.communes, [x.id for x in named], u, monthly, activity_period)
        return u, a or await _ANSWERS.get(u.intent, unknown)(turn, c)  # a village team or an office named, or not
    except PeriodError as exc:
        return u, Answer(unreadable_period(str(exc)))
