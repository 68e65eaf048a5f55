"""What the province office is offered or told besides figures: suggestions, the polite refusals (another
province's commune, anything written), the export, a question not understood."""

from __future__ import annotations

from handlers.ask.base import Answer
from handlers.ask.province_base import Ctx, monthly
from handlers.turn import Turn
from locales.i18n import N_, _

__all__ = ["PROVINCE_SUGGESTIONS", "export", "outside", "read_only", "unknown"]


# What the province office can ask, offered when a question is not understood or cannot be answered.
PROVINCE_SUGGESTIONS = ((N_("How are the communes doing?"), "tinh hinh cac xa thang nay"),
                        (N_("Which communes have not reported?"), "xa nao chua bao cao"),
                        (N_("Which communes lag most?"), "xa nao cham nhat"),
                        (N_("Village activities of the province"), "hoat dong cua tinh thang nay so voi thang truoc"),
                        (N_("Off-track indicators by commune"), "chi tieu nao cham tien do"),
                        (N_("Overdue tasks by commune"), "nhiem vu qua han theo xa"))


def _suggest(c: Ctx, n: int = 3) -> list[tuple[str, str]]:
    from handlers.ask.detect import words

    asked = set(words(c.u.text).split())
    ranked = sorted(PROVINCE_SUGGESTIONS, key=lambda p: -len(asked & set(words(_(p[0]) + " " + p[1]).split())))
    return [(_(label), q) for label, q in ranked[:n]]


async def outside(turn: Turn, c: Ctx) -> Answer:
    names = [x.name for x in c.named if x.province_id != c.province.id]
    return Answer(_("Sorry, {communes} is not a commune of {province}: you can ask about the communes of your "
                    "province only.", communes=", ".join(names), province=c.province.name),
                  _suggest(c), {"refused": "outside", "communes": names})


async def read_only(turn: Turn, c: Ctx) -> Answer:
    return Answer(_("The province office follows its communes read-only: reminders, reports and reviews are done "
                    "by each commune's own offices. You can ask, for example:"), _suggest(c), {"refused": "write"})


async def export(turn: Turn, c: Ctx) -> Answer:
    """"xuất báo cáo tháng 11": /xuat itself where the province office has it (its province files),
    otherwise what it can ask."""
    from handlers.commands import COMMANDS

    if not any(cmd.name == "xuat" and "province" in cmd.roles for cmd in COMMANDS):
        return await read_only(turn, c)
    from handlers.lead import export_cmd

    up, _vp = await monthly(turn, c.u.entities.period, c.province)
    before = len(turn.out)
    await export_cmd(turn, up.key)
    made = turn.out[before:]
    return Answer("", facts={"files": [o.document.name for o in made if o.document],
                             "text": "\n".join(o.text for o in made)})


async def unknown(turn: Turn, c: Ctx) -> Answer:
    return Answer(_("I did not understand the question. Here is what I can answer:"), _suggest(c), {})
