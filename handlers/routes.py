"""Routing: which handler answers a command or a free message, checked against the person's role."""

from __future__ import annotations

from handlers import engine
from handlers.commands import Command
from handlers.help import explain_joining, help_cmd, role_of
from handlers.messages import Choice
from handlers.turn import Turn
from locales.i18n import _, use_locale

__all__ = ["read_free_text", "route_command", "route_free_message"]


async def route_command(turn: Turn, cmd: Command, args: str) -> None:
    role = role_of(turn)
    if cmd.name == "huy":
        await cancel(turn)
        return
    if role not in cmd.roles:
        if role == "none":
            explain_joining(turn)
        elif role == "province":  # read-only over its communes: say what it can ask instead
            from handlers.province import explain_province

            explain_province(turn)
        else:
            turn.reply(_("Sorry, that command is not available for your role. Type /trogiup to see yours."))
        return
    engine.close(turn)  # a new command replaces an unfinished conversation, saying so (a view closes quietly)
    handler = HANDLERS.get(cmd.name)
    if handler is None:
        turn.reply(_("This part of the bot is not ready yet."))
        return
    await handler(turn, args)


async def route_free_message(turn: Turn) -> None:
    role = role_of(turn)
    if role == "none":
        from handlers.join import handle_unregistered

        await handle_unregistered(turn)
        return
    from handlers.activity.flow import handle_free_log
    from handlers.ask.chat import handle_question

    if role == "province":  # questions about its communes, read-only; never a log
        if not await handle_question(turn):
            from handlers.province import explain_province

            explain_province(turn)
        return

    if await handle_question(turn):  # "thôn nào chưa báo cáo?" is asked, never logged (handlers/ask)
        return
    if await handle_free_log(turn):
        return
    if not turn.incoming.text and not turn.incoming.media:
        turn.reply(_("Your message arrived empty. Type /trogiup to see what I can do."))
        return
    turn.reply(_("I did not understand that. Type /trogiup to see what I can do."))


async def read_free_text(turn: Turn) -> bool:
    """Words a read-only view could not read (``engine.hand_over_with``), as ``route_free_message`` reads them
    when they mean something: a question (handlers/ask), or a village team's log with counts. False, with nothing
    changed, for anything else: the view asks again."""
    from handlers.ask.chat import handle_question

    if await handle_question(turn):
        return True
    if role_of(turn) == "province" or not turn.incoming.text:
        return False
    from handlers.activity.flow import handle_free_log
    from handlers.activity.parse import parse_activity

    if not parse_activity(turn.incoming.text, turn.services.activity_catalog(), turn.today).counts:
        return False
    return await handle_free_log(turn)


engine.hand_over_with(read_free_text)


async def cancel(turn: Turn, _args: str = "") -> None:
    if not turn.state.flow:
        turn.end_flow()  # the last question is forgotten too: "so với tháng trước" next is read alone
        turn.reply(_("There is nothing to cancel."))
        return
    if engine.is_view(turn):
        turn.end_flow()
        turn.reply(_("OK."))
        return
    what = engine.summary(turn)
    turn.end_flow()
    turn.reply(_("Cancelled. Discarded: {what}. Nothing was saved.", what=what))


async def language_cmd(turn: Turn, args: str) -> None:
    from locales.textnorm import fold

    wanted = {"vi": "vi", "tieng viet": "vi", "viet": "vi", "en": "en", "english": "en",
              "tieng anh": "en"}.get(fold(args))
    if wanted is None:
        await engine.start(turn, "language", {k: v for k, v in turn.data.items() if k == "_locale"})
        return
    await _set_language(turn, wanted)


async def _set_language(turn: Turn, locale: str) -> None:
    if turn.person:
        turn.person.locale = locale
        turn.session.add(turn.person)
    else:
        turn.data["_locale"] = locale
    with use_locale(locale):
        turn.reply(_("From now on I will speak English with you.") if locale == "en"
                   else _("From now on I will speak Vietnamese with you."))


def _language_flow() -> engine.Flow:
    def prompt(turn: Turn) -> engine.Prompt:
        return engine.Prompt(_("Choose your language:"), (Choice("Tiếng Việt", "vi"), Choice("English", "en")))

    def parse(turn: Turn, answer: engine.Answer) -> str:
        if answer.choice not in ("vi", "en"):
            from storage.errors import InputError

            raise InputError(_("Please pick one of the languages below."))
        return answer.choice

    async def finish(turn: Turn) -> None:
        await _set_language(turn, turn.data["locale"])

    return engine.Flow("language", {"pick": engine.Step("pick", prompt, parse, None, "locale")}, finish,
                       summary_of=lambda t: _("choosing a language"))


engine.register(_language_flow())


async def _start(turn: Turn, args: str) -> None:
    from handlers.join import start_cmd

    await start_cmd(turn, args)


async def _lazy(module: str, name: str, turn: Turn, args: str) -> None:
    import importlib

    fn = getattr(importlib.import_module(module), name)
    await fn(turn, args)


def _bind(module: str, name: str):  # noqa: ANN202
    async def call(turn: Turn, args: str) -> None:
        await _lazy(module, name, turn, args)

    return call


HANDLERS = {
    "batdau": _start,
    "trogiup": help_cmd,
    "ngonngu": language_cmd,
    "baocao": _bind("handlers.report", "report_cmd"),
    "ghinhan": _bind("handlers.activity.flow", "guided_log_cmd"),
    "nhatky": _bind("handlers.activity.review", "my_logs_cmd"),
    "moi": _bind("handlers.join", "invite_cmd"),
    "tinhtrang": _bind("handlers.status", "status_cmd"),
    "hanbaocao": _bind("handlers.status", "due_cmd"),
    "dulieucuatoi": _bind("handlers.privacy", "my_data_cmd"),
    "duyet": _bind("handlers.review", "review_cmd"),
    "chitieu": _bind("handlers.lead", "indicators_cmd"),
    "quahan": _bind("handlers.lead", "overdue_cmd"),
    "giao": _bind("handlers.assign", "assign_cmd"),
    "xuat": _bind("handlers.lead", "export_cmd"),
    "bieudo": _bind("handlers.charts", "charts_cmd"),
    "thongbao": _bind("handlers.announce", "announce_cmd"),
    "lich": _bind("handlers.schedule", "schedule_cmd"),
    "lienket": _bind("handlers.link", "link_cmd"),
}
