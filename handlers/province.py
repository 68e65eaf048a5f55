"""The province office in chat: /tinhtrang over the province's communes in the national colours, a
drill-down into one commune's own /tinhtrang, and a polite word for everything else (read-only)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from handlers import engine
from handlers.activity.flow import label_of
from handlers.ask.detect import question_score
from handlers.messages import Choice
from handlers.periods import period_arg, period_label, province_calendar, rollup_closed_before, stream_named
from handlers.province_stream import compiled_text
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale, fmt_number
from locales.textnorm import fold
from storage.calendar.calendar import period_by_key
from storage.errors import InputError
from storage.models import Commune, Province
from storage.traffic import province_traffic
from storage.units import commune_key

__all__ = ["FLOWS", "answer_questions_with", "answer_typed", "colour_text", "communes_known", "explain_province",
           "province_status_cmd", "typed_question"]

QuestionFn = Callable[[Turn, str], Awaitable[bool]]
_asked: list[QuestionFn] = []  # the question handler, passed down by handlers.ask.chat


def answer_questions_with(fn: QuestionFn) -> None:
    """Questions typed while the commune list is shown go to ``fn`` (handlers.ask.chat.handle_question)."""
    _asked[:] = [fn]


def typed_question(answer: engine.Answer) -> str | None:
    """"ask:<text>" when the answer to a view's choice is a question in words ("xã nào chậm nhất?")."""
    text = (answer.text or "").strip()
    if _asked and answer.choice is None and any(c.isalpha() for c in text) and question_score(text) == 2:
        return "ask:" + text
    return None


async def answer_typed(turn: Turn, picked: str) -> None:
    """Answer the question a view's choice was given instead (``typed_question``), or say what can be asked."""
    text = picked[4:]
    turn.incoming = dataclasses.replace(turn.incoming, text=text, payload=None)
    if not await _asked[0](turn, text):
        explain_province(turn)


_COLOURS = {"red": ("🔴", N_("Red")), "yellow": ("🟡", N_("Yellow")), "green": ("🟢", N_("Green"))}
_MAX_CHOICES = 40  # buttons; one further down the list is picked by typing its number or name


def explain_province(turn: Turn) -> None:
    """What the province office can ask here (everything else is refused with this)."""
    turn.reply(_("You follow the communes of your province, read-only. You can ask:\n"
                 "/tinhtrang — every commune's reporting in the three colours (Green, Yellow, Red), laggards "
                 "first, then one commune's details\n"
                 "/tinhtrang tháng 11 — the same for another month\n"
                 "/chitieu — the province's shared indicators across the communes (/chitieu CT1 for one)\n"
                 "/xuat — the province workbook (.xlsx) and a draft report of the province office (.docx); "
                 "/xuat tháng 11 for another month\n"
                 "Or ask in words, for example: \"xã nào chưa báo cáo tháng 11?\", \"xã nào chậm nhất\", "
                 "\"tổng số kích hoạt VNeID của tỉnh tháng này\", \"so với tháng trước\", \"xã Tân Lập thế nào\", "
                 "\"chỉ tiêu nào chậm tiến độ\", \"nhiệm vụ quá hạn theo xã\".\n"
                 "/ngonngu — switch language, /trogiup — this help.\n"
                 "Reporting, reviewing, assigning and announcing are done by each commune's own offices."))


async def _streams(turn: Turn) -> tuple:  # the deployment's streams: the province view's one calendar
    return (await stream_named(turn.session, turn.services, None, "unit_monthly"),
            await stream_named(turn.session, turn.services, None, "village_monthly"))


# The province's communes once read in this turn (the command's check, then the list's figures).
_SEEN: ContextVar[tuple[int, list[Commune]] | None] = ContextVar("province_communes", default=None)


@contextmanager
def communes_known(province_id: int, communes: list[Commune]) -> Iterator[None]:
    """Within the block, the province's communes are not read again (``_communes``)."""
    token = _SEEN.set((province_id, communes))
    try:
        yield
    finally:
        _SEEN.reset(token)


async def province_status_cmd(turn: Turn, args: str) -> None:
    assert turn.person is not None
    province = await turn.session.get(Province, turn.person.province_id) if turn.person.province_id else None
    if province is None:
        turn.reply(_("Your account is not tied to a province yet. Please ask the administrator for a new invite."))
        return
    unit_stream, _village, month = await province_calendar(turn, province.report_due_day)
    up = period_arg(turn, unit_stream, args, month, relative=True)
    if up is None:
        return
    communes = await _communes(turn)
    if not communes:
        turn.reply(_("No commune belongs to this province yet."))
        return
    with communes_known(province.id, communes):  # type: ignore[arg-type]
        await engine.start(turn, "province_status", {"period": up.key})


async def _traffic(turn: Turn) -> dict:
    assert turn.person is not None and turn.person.province_id is not None
    province = await turn.session.get(Province, turn.person.province_id)
    assert province is not None
    unit_stream, village_stream = await _streams(turn)
    up = period_by_key(unit_stream, turn.data["period"], turn.tz)
    vp = period_by_key(village_stream, up.key, turn.tz)
    data = await province_traffic(turn.session, province, up, vp, turn.now, turn.today,
                                  rollup_closed_before(turn.services, turn.now), await _communes(turn))
    data["_label"] = period_label(up, current_locale())
    return data


def colour_text(colour: str) -> str:
    icon, name = _COLOURS[colour]
    return f"{icon} {_(name)}"


async def _prompt(turn: Turn) -> engine.Prompt:
    data = await _traffic(turn)
    rows = data["communes"]
    lines = [_("Communes of {province} for {period}, laggards first:", province=data["province"],
               period=data["_label"])]
    for i, r in enumerate(rows, 1):
        lines.append(_("{n}. {colour} {commune}: units {units_done}/{units}, village teams {villages_done}/"
                       "{villages}, overdue tasks {overdue}", n=i, colour=colour_text(r["colour"]),
                       commune=r["commune"], units_done=r["units"]["submitted"], units=r["units"]["expected"],
                       villages_done=r["villages"]["submitted"], villages=r["villages"]["expected"],
                       overdue=r["overdue_tasks"]) + compiled_text(r.get("compiled_report"), turn.tz))
    now, before = data["activities"], data["activities_previous"]
    if now or before:
        lines.append(_("Village activities in the province (previous period in brackets):"))
        for code in sorted(set(now) | set(before), key=lambda c: (-now.get(c, 0), c)):
            lines.append(f"  • {label_of(turn, code)}: {fmt_number(now.get(code, 0))} "
                         f"({fmt_number(before.get(code, 0))})")
    lines.append(_("Red: a task past due and not done, or reports (or the commune's compiled report to the "
                   "province) missing after the deadline. Yellow: a task due within 7 days and not done, or "
                   "reports still missing before the deadline. Green: otherwise."))
    lines.append(_("Pick a commune to see its details."))
    turn.data["ranked"] = [r["commune_id"] for r in rows]  # "41" picks the 41st commune of the list
    return engine.Prompt("\n".join(lines), tuple(Choice(r["commune"], f"commune:{r['commune_id']}")
                                                 for r in rows[:_MAX_CHOICES]))


async def _communes(turn: Turn) -> list[Commune]:
    from storage.province import province_communes

    assert turn.person is not None and turn.person.province_id is not None
    seen = _SEEN.get()
    if seen is not None and seen[0] == turn.person.province_id:
        return seen[1]
    return await province_communes(turn.session, turn.person.province_id)


async def _parse(turn: Turn, answer: engine.Answer) -> str:
    assert turn.person is not None
    if answer.choice and answer.choice.startswith("commune:") and answer.choice[8:].isdecimal():
        tapped = await turn.session.get(Commune, int(answer.choice[8:]))  # one row, not the province's list
        if tapped is not None and tapped.province_id == turn.person.province_id:
            return answer.choice
    ranked, text = turn.data.get("ranked") or [], (answer.text or "").strip().rstrip(".)")
    if text.isdecimal() and len(text) <= 4 and 1 <= int(text) <= len(ranked):  # beyond the buttons
        return f"commune:{ranked[int(text) - 1]}"
    typed = commune_key(answer.text or "")  # a name beyond the buttons: "xã Tân Lập", "tan lap"
    found = [c for c in await _communes(turn) if typed and (c.key == typed or fold(c.key) == fold(typed))]
    if len(found) == 1:
        return f"commune:{found[0].id}"
    question = typed_question(answer)  # "xã nào chậm nhất?" asked at the list
    if question:
        return question
    raise InputError(_("Please pick one of the communes below (type its number or name)."))


async def _finish(turn: Turn) -> None:
    if turn.data["pick"].startswith("ask:"):  # a question typed instead of a commune: answered as one
        await answer_typed(turn, turn.data["pick"])
        return
    commune = await turn.session.get(Commune, int(turn.data["pick"][8:]))
    assert commune is not None and turn.person is not None and commune.province_id == turn.person.province_id
    # the commune's own /tinhtrang (handlers.status), read-only, with the commune swapped
    await engine.start(turn, "status", {"period": turn.data["period"], "commune_id": commune.id})


# Two names: a question typed at the list that asks for the list again opens it under the other name,
# so the engine's end of the first does not close the second.
FLOWS = ("province_status", "province_status_again")
for _name in FLOWS:
    engine.register(engine.Flow(
        name=_name,
        steps={"pick": engine.Step("pick", _prompt, _parse, None, "pick")},
        finish=_finish,
        summary_of=lambda t: _("looking at the province"),
        meta={"read_only": True},
    ))
