"""Questions in chat: the free-text hook, roles, choices ("Ý bạn là … hay …?"), and the one core call."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import replace

from handlers import engine
from handlers.ask.answers import Answer, answer
from handlers.ask.detect import detect, question_score, words
from handlers.ask.entities import UnitName
from handlers.ask.followup import follow_up, recalled, remember
from handlers.ask.intents import Understood, understand
from handlers.ask.plan_words import plan_names
from handlers.messages import Choice, Outgoing
from handlers.province import answer_questions_with
from handlers.turn import Turn
from locales.i18n import _
from storage.errors import InputError
from storage.models import Commune, Unit

__all__ = ["ask", "handle_question", "present"]

LEAD_ONLY = {"not_reported", "reported", "late", "returned", "not_joined", "indicators", "overdue",
             "unit_tasks", "export", "chart", "remind", "status", "by_village", "unit_report", "task_detail",
             "plan_section", "task_list"}
PLAN_ITEMS = ("task_detail", "plan_section", "task_list")  # an officer reads its own unit's items of them
_Q, _LOG = "?q", "?log"


async def _units(turn: Turn) -> tuple[list[UnitName], str | None]:
    from sqlmodel import select

    assert turn.person is not None
    commune = await turn.session.get(Commune, turn.person.commune_id)
    rows = (await turn.session.exec(select(Unit.id, Unit.name, Unit.kind).where(
        Unit.commune_id == turn.person.commune_id).order_by(Unit.name))).all()
    return [UnitName(i, n, k) for i, n, k in rows], commune.key if commune else None


async def ask(turn: Turn, text: str) -> tuple[Understood, Answer]:
    """Understand ``text`` and answer it for the turn's person (nothing is sent or stored here)."""
    from handlers.ask.views import indicator_names, unknown

    if turn.person is not None and turn.person.role == "province":  # its communes, read-only
        from handlers.ask.province_answers import ask_province

        return await ask_province(turn, text)
    units, commune = await _units(turn)
    u = understand(text, units, turn.services.activity_catalog(), commune, await indicator_names(turn),
                   await plan_names(turn))
    if u.entities.ambiguous and not u.entities.units:
        names = [x.name for x in u.entities.ambiguous]
        return u, Answer(_("Do you mean {names}?", names=_(" or ").join(names)),
                         [(n, f"{text} {n}") for n in names], {"ambiguous": names})
    if u.intent == "unknown":
        return u, await unknown(turn, u)
    refusal = await _scope(turn, u)
    if refusal is not None:
        return u, refusal
    return u, await answer(turn, u)


async def _scope(turn: Turn, u: Understood) -> Answer | None:
    """What this role may ask; a member or officer gets their own figures, said politely."""
    role = turn.person.role if turn.person else "none"
    if role in ("lead", "admin"):
        return None
    own = turn.unit
    mine = re.search(r"\b(minh|toi|chung toi|chung em|em|my|our)\b", words(u.text)) is not None
    named_own = own is not None and [x.id for x in u.entities.units] == [own.id]
    if u.intent in ("unit_status", "not_reported", "reported", "late", "returned", "status") and (
            named_own or mine and not u.entities.units):
        u.intent, u.entities.units = "my_due", []
        return None
    if u.intent in ("unit_tasks", "overdue") and role == "officer" and own is not None and own.kind == "office" and (
            named_own or mine and not u.entities.units):  # "đơn vị mình có nhiệm vụ gì": its own and its groups'
        u.intent, u.entities.units = "unit_tasks", [UnitName(own.id, own.name, own.kind)]  # type: ignore[arg-type]
        return None
    if u.intent in PLAN_ITEMS and role == "officer" and own is not None and own.kind == "office":
        u.own = own.name  # "nhiệm vụ N5.6 thế nào", "nhóm 4", "nhiệm vụ nào chưa xong": its own items only
        return None
    if u.intent == "activity_totals" and role == "member":
        return None
    if u.intent == "my_due":
        return None
    if u.intent in LEAD_ONLY or u.intent in ("unit_status", "activity_totals"):
        text = _("Sorry, that question is answered for the lead office only; for your role I can tell you "
                 "what you still have to report.")
        follow = [(_("What do I still have to report?"), "toi con phai nop gi")]
        if role == "member":
            follow.append((_("My village this month"), "thon minh thang nay duoc bao nhieu"))
        return Answer(text, follow, {"refused": u.intent})
    return None


def present(turn: Turn, a: Answer, asked: str | None = None) -> None:
    """Show an answer: drill-down questions as choices (a small read-only flow), or plain text; ``asked``, the
    question answered, is kept for a follow-up typed alone (``handlers.ask.followup``)."""
    if not a.text:
        return  # a command's own handler has replied
    if a.follow:
        turn.state.data = {k: v for k, v in turn.state.data.items() if k == "_locale"} | {
            "text": a.text, "options": [[label, q] for label, q in a.follow[:4]], "_attempts": 0}
        if asked:
            remember(turn.state.data, asked, turn.now)
        _start(turn)
        return
    if asked and turn.state.flow is None:  # kept beside "_locale" until the next flow starts
        remember(turn.state.data, asked, turn.now)
    turn.reply(Outgoing(text=a.text, choices=tuple(Choice(label, p) for label, p in a.payload_choices)))


_FINISHING: ContextVar[str | None] = ContextVar("ask_finishing", default=None)
FLOWS = ("ask", "ask_next")  # two names: a choice offered while one is finishing must survive its end


def _start(turn: Turn) -> None:
    turn.state.flow = FLOWS[1] if _FINISHING.get() == FLOWS[0] else FLOWS[0]
    turn.state.step = "pick"
    options = turn.data["options"]
    turn.data["_choices"] = [[label, str(i)] for i, (label, _q) in enumerate(options)]
    turn.reply(Outgoing(text=turn.data["text"], choices=tuple(Choice(label, str(i))
                                                              for i, (label, _q) in enumerate(options))))


async def _village_member(turn: Turn) -> bool:
    from handlers.activity.flow import _village

    return await _village(turn) is not None


async def handle_question(turn: Turn, text: str | None = None, asked: str | None = None) -> bool:
    """Answer a free message that asks something. False: not a question (a log, or nothing to do).
    ``asked``: the question answered last (else the one kept in the chat state), which a follow-up typed alone
    ("so với tháng trước") asks again."""
    msg = turn.incoming
    text = text if text is not None else (msg.text or "").strip()
    if turn.person is None or not text or msg.media or msg.forwarded or len(text) > 300:
        return False
    province = turn.person.role == "province"  # never logs: counts said without a question are no question
    previous = recalled(turn.state.data, turn.now) if asked is None else asked
    again = follow_up(previous, text) if previous else None  # "so với tháng trước" alone: the last question's
    if again is not None:
        u, a = await ask(turn, again)
        present(turn, a, u.text)
        return True
    member = province or await _village_member(turn)
    kind = detect(text, turn.services.activity_catalog(), turn.today, member)
    if kind == "log" or kind == "unsure" and province or kind == "other" and not province:
        return False
    if kind == "unsure":
        turn.state.data = {k: v for k, v in turn.state.data.items() if k == "_locale"} | {
            "text": _("Is this a question, or a log of what you did?"), "original": text,
            "options": [[_("A question: answer it"), _Q], [_("A log: record it"), _LOG]], "_attempts": 0}
        _start(turn)
        return True
    u, a = await ask(turn, text)
    if u.intent == "unknown" and not u.entities.ambiguous and question_score(text) == 0:
        return False  # "3", "xin chào": not asked, so the usual "I did not understand" applies
    present(turn, a, u.text)
    return True


def _parse(turn: Turn, ans: engine.Answer) -> str:
    options = turn.data.get("options") or []
    if ans.choice is not None and ans.choice.isdecimal() and int(ans.choice) < len(options):
        return options[int(ans.choice)][1]
    if not any(c.isalpha() for c in ans.text):  # an emoji, a number not listed: the same choice again
        raise InputError(_("Please pick one of the options below (type its number), or ask another question."))
    return "\x00" + ans.text  # a new message: read afresh


def _finisher(name: str):  # noqa: ANN202
    async def finish(turn: Turn) -> None:
        token = _FINISHING.set(name)
        try:
            await _finish(turn)
        finally:
            _FINISHING.reset(token)

    return finish


async def _finish(turn: Turn) -> None:
    value: str = turn.data.get("picked", "")
    original = turn.data.get("original", "")
    asked = recalled(turn.data, turn.now)
    turn.end_flow()
    if value == _LOG or value.startswith("\x00"):
        text = original if value == _LOG else value[1:]
        turn.incoming = replace(turn.incoming, text=text, payload=None)
        if value != _LOG and await handle_question(turn, text, asked):
            return
        from handlers.activity.flow import handle_free_log

        if await handle_free_log(turn):
            return
        turn.reply(_("I did not understand that. Type /trogiup to see what I can do."))
        return
    text = original if value == _Q else value
    u, a = await ask(turn, text)
    present(turn, a, u.text)


def _prompt(turn: Turn) -> engine.Prompt:
    options = turn.data.get("options") or []
    return engine.Prompt(turn.data.get("text", ""), tuple(Choice(label, str(i)) for i, (label, _q)
                                                          in enumerate(options)))


for _name in FLOWS:
    engine.register(engine.Flow(
        name=_name,
        steps={"pick": engine.Step("pick", _prompt, _parse, None, "picked")},
        finish=_finisher(_name),
        summary_of=lambda t: _("a question"),
        meta={"read_only": True},
    ))

answer_questions_with(handle_question)  # a question typed at the province's commune list is answered
