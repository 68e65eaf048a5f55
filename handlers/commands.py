"""Command names (Vietnamese first, English aliases), how they are typed, and who may use them."""

from __future__ import annotations

from dataclasses import dataclass

from locales.i18n import N_
from locales.textnorm import fold

__all__ = ["COMMANDS", "Command", "parse_command", "usable"]

ANYONE = ("none", "member", "officer", "lead", "admin", "province")
REGISTERED = ("member", "officer", "lead", "admin")
PROVINCE = "province"  # the province office: /tinhtrang over its communes, read-only


@dataclass(frozen=True)
class Command:
    name: str  # canonical Vietnamese name without diacritics, as registered with Telegram
    english: str
    spoken: tuple[str, ...]  # whole-message phrases that mean the command
    roles: tuple[str, ...]
    help_vi: str  # a msgid; translated at display time
    menu: bool = True
    village: bool = False  # only for people of a village team (the handler refuses others politely)


COMMANDS: tuple[Command, ...] = (
    Command("batdau", "start", ("bat dau",), ANYONE, N_("start or join with an invite code"), menu=False),
    Command("baocao", "report", ("bao cao", "nop bao cao"), ("officer", "lead", "admin"),
            N_("report on your unit's tasks and indicators for this period")),
    Command("ghinhan", "log", ("ghi nhan", "ghi nhat ky", "nhap ket qua"), REGISTERED,
            N_("log what your village team did, step by step"), village=True),
    Command("nhatky", "mylogs", ("nhat ky", "xem nhat ky"), REGISTERED,
            N_("see and correct your entries of this period"), village=True),
    Command("hanbaocao", "due", ("han bao cao",), REGISTERED, N_("what you still have to report, and when")),
    Command("tinhtrang", "status", ("tinh trang",), ("lead", "admin", PROVINCE),
            N_("who has reported and who is missing")),
    Command("chitieu", "indicators", ("chi tieu",), ("lead", "admin", PROVINCE),
            N_("indicators against their targets, worst first")),
    Command("giao", "assign", ("giao viec", "giao chi tieu", "giao nhiem vu"), ("lead", "admin"),
            N_("give a task or indicator of the plan to a unit, e.g. /giao N4.KQ1 Công an xã")),
    Command("quahan", "overdue", ("qua han",), ("lead", "admin"), N_("tasks past their due date")),
    Command("xuat", "export", ("xuat bao cao",), ("lead", "admin", PROVINCE),
            N_("the compiled report as a spreadsheet and a Word draft")),
    Command("bieudo", "charts", ("bieu do",), ("lead", "admin"), N_("charts of activities and indicators")),
    Command("duyet", "review", ("duyet bao cao",), ("lead", "admin"), N_("accept or return a unit's report")),
    Command("thongbao", "announce", ("thong bao",), ("lead", "admin"),
            N_("send an announcement to everyone, a unit or villages")),
    Command("lich", "schedule", ("lich bao cao", "lich nop bao cao"), ("lead", "admin"),
            N_("the commune's reporting schedule: deadlines, data periods, reminders on or off")),
    Command("moi", "invite", ("tao ma moi",), ("lead", "admin"), N_("create an invite code for a unit")),
    Command("lienket", "link", ("lien ket",), ANYONE, N_("link your Telegram and Zalo accounts")),
    Command("dulieucuatoi", "mydata", ("du lieu cua toi",), (*REGISTERED, PROVINCE),
            N_("see the personal data I store about you")),
    Command("ngonngu", "language", ("ngon ngu", "language"), ANYONE, N_("switch between Vietnamese and English")),
    Command("huy", "cancel", ("huy", "huy bo", "thoi", "cancel"), ANYONE, N_("cancel what you are doing")),
    Command("trogiup", "help", ("tro giup", "giup", "help", "huong dan"), ANYONE, N_("what I can do for you")),
)
_BY_WORD: dict[str, Command] = {}
for _c in COMMANDS:
    for _w in (_c.name, _c.english):
        _BY_WORD[_w] = _c
_SPOKEN: dict[str, Command] = {w: c for c in COMMANDS for w in c.spoken}
_SPOKEN.update({c.name: c for c in COMMANDS})


def usable(cmd: Command, role: str, unit_kind: str | None) -> bool:
    """Whether someone with ``role`` in a unit of ``unit_kind`` can use ``cmd`` (help lists exactly these)."""
    return role in cmd.roles and (not cmd.village or unit_kind == "village")


def parse_command(text: str | None, bot_username: str | None = None) -> tuple[Command, str] | None:
    """Return (command, argument text) if the message is a command, else None.

    "/baocao", "/baocao@bot", "/report", "báo cáo", "Bao cao" all name the same command; typed
    phrases must be the whole message so free text that merely contains the words is not hijacked."""
    if not text:
        return None
    s = text.strip()
    if s.startswith("/"):
        head, _, rest = s[1:].partition(" ")
        word, _, at = head.partition("@")
        if at and bot_username and at.lower() != bot_username.lower():
            return None
        cmd = _BY_WORD.get(fold(word).replace(" ", ""))
        if cmd is None and fold(word) == "start":
            cmd = _BY_WORD["start"]
        return (cmd, rest.strip()) if cmd else None
    folded = fold(s).rstrip("!?. ")
    cmd = _SPOKEN.get(folded)
    return (cmd, "") if cmd else None
