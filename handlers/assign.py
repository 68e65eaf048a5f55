"""/giao: the lead office gives a plan item to another unit (the same function as `cdsbot plan assign`)."""

from __future__ import annotations

from handlers import engine
from handlers.messages import Choice
from handlers.turn import Turn
from locales.i18n import _
from locales.textcut import shorten
from storage.errors import InputError
from storage.models import Commune, Indicator, Task, Unit
from storage.plan_owners import find_items, set_owners
from storage.units import match_units

__all__ = ["assign_cmd"]


def _usage() -> str:
    return _("Type /giao CODE UNIT, for example: /giao N4.KQ1 Công an xã. The codes are shown in /chitieu "
             "and in the plan.")


async def assign_cmd(turn: Turn, args: str) -> None:
    assert turn.person is not None
    parts = args.split(maxsplit=1)
    if not parts:
        turn.reply(_usage())
        return
    code = parts[0].strip(" .,;:")
    commune = await turn.session.get(Commune, turn.person.commune_id)
    assert commune is not None
    items = await find_items(turn.session, commune.id, code)  # type: ignore[arg-type]
    if not items:
        turn.reply(_("There is no task or indicator with the code {code} in the commune's plans. Please check "
                     "the code in /chitieu or in the plan.", code=shorten(code, 20)))
        return
    if len(parts) < 2 or not parts[1].strip():
        turn.reply(_("Which unit should report {code}? For example: /giao {code} Công an xã", code=items[0][1].code))
        return
    typed = parts[1].strip()
    units = await match_units(turn.session, commune, typed)
    if not units:
        turn.reply(_("I found no unit called \"{name}\" in the commune's org list. Please check the name; a new "
                     "unit is added with the org list (cdsbot org import).", name=shorten(typed, 40)))
        return
    data = {"typed": shorten(typed, 40),
            "items": [[_item_label(kind, item, plan.title), f"{kind}:{item.id}"] for kind, item, plan in items],
            "units": [[u.name, str(u.id)] for u in units]}
    if len(items) == 1:
        data["item"] = data["items"][0][1]
    if len(units) == 1:
        data["unit_id"] = units[0].id
    if "item" in data and "unit_id" in data:
        await _apply(turn, str(data["item"]), int(data["unit_id"]))  # type: ignore[call-overload]
        return
    await engine.start(turn, "assign", data)


def _item_label(kind: str, item: Task | Indicator, plan: str) -> str:
    name = item.title if isinstance(item, Task) else item.name
    what = _("task") if kind == "task" else _("indicator")
    return f"{what} {item.code}: {shorten(name, 40)} ({shorten(plan, 30)})"


def _first(turn: Turn) -> str:
    return "item" if "item" not in turn.data else "unit"


def _item_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("This code is used by more than one item. Which one?"),
                         tuple(Choice(label, payload) for label, payload in turn.data["items"]))


def _parse_item(turn: Turn, answer: engine.Answer) -> str:
    if answer.choice in {p for _l, p in turn.data["items"]}:
        return answer.choice  # type: ignore[return-value]
    raise InputError(_("Please pick one of the items below."))


def _after_item(turn: Turn, _value: object) -> str | None:
    return None if "unit_id" in turn.data else "unit"


def _unit_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(_("More than one unit matches \"{name}\". Which one?", name=turn.data["typed"]),
                         tuple(Choice(name, uid) for name, uid in turn.data["units"]))


def _parse_unit(turn: Turn, answer: engine.Answer) -> int:
    if answer.choice in {i for _n, i in turn.data["units"]}:
        return int(answer.choice)  # type: ignore[arg-type]
    raise InputError(_("Please pick one of the units below."))


async def _finish(turn: Turn) -> None:
    await _apply(turn, str(turn.data["item"]), int(turn.data["unit_id"]))


async def _apply(turn: Turn, item_ref: str, unit_id: int) -> None:
    assert turn.person is not None
    kind, _sep, ref = item_ref.partition(":")
    item = await turn.session.get(Task if kind == "task" else Indicator, int(ref))
    unit = await turn.session.get(Unit, unit_id)
    if item is None or unit is None or unit.commune_id != turn.person.commune_id:
        turn.reply(_("That item or unit is no longer in the plan. Nothing was changed."))
        return
    await set_owners(turn.session, kind, item, [unit], source="chat", actor_person_id=turn.person.id)
    if kind == "task":
        turn.reply(_("Done: task {code} is now led by {unit}. Its officers will be asked for it in their report.",
                     code=item.code, unit=unit.name))
    else:
        turn.reply(_("Done: indicator {code} is now reported by {unit}. Its officers will be asked for it in "
                     "their report.", code=item.code, unit=unit.name))


engine.register(engine.Flow(
    name="assign",
    steps={
        "item": engine.Step("item", _item_prompt, _parse_item, _after_item, "item"),
        "unit": engine.Step("unit", _unit_prompt, _parse_unit, None, "unit_id"),
    },
    finish=_finish,
    first=_first,
    summary_of=lambda t: _("giving a plan item to a unit"),
))
