"""/trogiup and the first words to someone not registered yet: what this person can do here."""

from __future__ import annotations

from handlers.commands import COMMANDS, usable
from handlers.messages import Outgoing
from handlers.turn import Turn
from locales.i18n import _

__all__ = ["explain_joining", "help_cmd", "role_of"]


def role_of(turn: Turn) -> str:
    return turn.person.role if turn.person else "none"


def explain_joining(turn: Turn) -> None:
    turn.reply(Outgoing(
        text=_("Hello! I help the commune's units and village digital teams report their digital-"
               "transformation work.\n\nTo join, send the invite code you received from the lead office "
               "(Phòng Văn hóa - Xã hội), or open the invite link. If your phone number is on the commune's "
               "list, you can also share your contact with me.\n\nAlready registered on Telegram or Zalo? Send "
               "/lienket there to get a code, then send that code here."),
        request_contact=turn.caps.contact_request))


async def help_cmd(turn: Turn, _args: str = "") -> None:
    role = role_of(turn)
    if role == "none":
        explain_joining(turn)
        return
    if role == "province":
        from handlers.province import explain_province

        explain_province(turn)
        return
    person, kind = turn.person, turn.unit.kind if turn.unit else None
    if person and person.unit_id and (turn.unit is None or turn.unit.id != person.unit_id):
        from storage.models import Unit

        row = await turn.session.get(Unit, person.unit_id)
        kind = row.kind if row else None
    lines = [_("Here is what you can do:")]
    for c in COMMANDS:
        if c.menu and usable(c, role, kind):
            lines.append(f"/{c.name} — {_(c.help_vi)}")
    if kind == "village":
        lines.append(_("Or just write what you did, e.g. \"hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC\"."))
    turn.reply("\n".join(lines))
