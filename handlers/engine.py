"""The flow engine: runs steps declared as data, re-asks politely on bad input, never loses answers."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.messages import Choice, Outgoing
from handlers.turn import Turn
from locales.i18n import _
from locales.textnorm import fold
from storage.errors import InputError

__all__ = ["Answer", "Flow", "Prompt", "Step", "close", "hand_over_with", "is_view", "matching_choices", "register",
           "registry", "resolve_choice", "summary"]

MAX_TEXT = 2000


@dataclass(frozen=True)
class Prompt:
    text: str
    choices: tuple[Choice, ...] = ()
    request_contact: bool = False


@dataclass(frozen=True)
class Answer:
    """What the person sent for a step: raw text and, if it picked a shown choice, its payload."""

    text: str
    choice: str | None
    has_media: bool = False


PromptFn = Callable[[Turn], Prompt | Awaitable[Prompt]]
ParseFn = Callable[[Turn, Answer], Any]
NextFn = Callable[[Turn, Any], str | None]


@dataclass(frozen=True)
class Step:
    """One question: how to ask it, how to read the answer, where it goes, and what comes next."""

    name: str
    prompt: PromptFn
    parse: ParseFn
    next: str | NextFn | None = None
    store: str | None = None  # key in the flow's answers; None when parse stores itself
    allow_empty: bool = False


@dataclass(frozen=True)
class Flow:
    name: str
    steps: dict[str, Step]
    finish: Callable[[Turn], Awaitable[None]]
    first: str | Callable[[Turn], str | Awaitable[str]] = ""
    summary_of: Callable[[Turn], str] | None = None  # what /huy says it discarded
    # accepts_media, forwarded_ok, read_only (a view: closes quietly, and hands over words it cannot read, see feed)
    meta: dict[str, Any] = field(default_factory=dict)


registry: dict[str, Flow] = {}
Reader = Callable[[Turn], Awaitable[bool]]
_readers: list[Reader] = []  # free text read as if no flow were open (handlers.routes: a question, a log)


def hand_over_with(fn: Reader) -> None:
    """Words a view cannot read go to ``fn`` (passed down by ``handlers.routes``): True if it handled them; when
    it returns False it must have changed nothing (the view is then put back and asks again)."""
    _readers[:] = [fn]


def register(flow: Flow) -> Flow:
    registry[flow.name] = flow
    return flow


def is_view(turn: Turn) -> bool:
    """Whether the person's open flow is a read-only view (``meta["read_only"]``: /tinhtrang and the drill-downs
    opened from its buttons, a question): it collects nothing, so nothing is lost when it ends."""
    flow = registry.get(turn.state.flow or "")
    return bool(flow and flow.meta.get("read_only"))


def summary(turn: Turn) -> str:
    """What ending the open flow drops, in words (``Flow.summary_of``)."""
    flow = registry.get(turn.state.flow or "")
    if flow and flow.summary_of:
        return flow.summary_of(turn)
    return _("an unfinished conversation")


def close(turn: Turn, *, expired: bool = False) -> None:
    """End the open flow because another command came (or, ``expired``, it waited a day for an answer). A view
    (``is_view``) closes quietly: the next command simply runs. A flow that was collecting answers says so — what
    it dropped, or that it expired — so a half-entered report is never lost without a word."""
    if not turn.state.flow:
        return
    quiet, what = is_view(turn), summary(turn)
    turn.end_flow()
    if quiet:
        return
    if expired:
        turn.reply(_("Your unfinished conversation expired after 24 hours without an answer; please start again."))
    else:
        turn.reply(_("I stopped what you were doing ({what}); nothing from it was saved.", what=what))


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _words(text: str) -> str:
    """Folded text with punctuation as spaces: "Đã gửi — tháng 11/2026" → "da gui thang 11 2026"."""
    return " ".join(re.findall(r"\w+", fold(text)))


def resolve_choice(text: str, choices: list[list[str]]) -> str | None:
    """Match a typed number ("2"), a label with or without diacritics, or a unique label prefix."""
    t = fold(text).rstrip(".)")
    if not t or not choices:
        return None
    if t.isdecimal():  # not isdigit(): "²" is a digit int() refuses; 5,000 digits are refused too
        i = int(t) if len(t) <= 4 else 0
        return choices[i - 1][1] if 1 <= i <= len(choices) else None
    exact = [p for label, p in choices if fold(label) == t] or [p for label, p in choices if _words(label) == _words(t)]
    if exact:
        return exact[0]
    prefix = matching_choices(text, choices)
    return prefix[0][1] if len(prefix) == 1 else None


def matching_choices(text: str, choices: list[list[str]]) -> list[list[str]]:
    """The choices whose label starts with the typed words (at least two letters), ignoring case,
    diacritics and punctuation: "đã gửi" fits every "Đã gửi — <period>"."""
    t = fold(text).rstrip(".)")
    w = _words(t)
    if len(w.replace(" ", "")) < 2:  # "<N" is one letter, not a prefix of "None"
        return []
    return [[label, p] for label, p in choices if fold(label).startswith(t) or _words(label).startswith(w)]


async def _hand_over(turn: Turn) -> bool:
    """A view's typed words that are none of its choices ("ai chưa báo cáo?" at /tinhtrang): the view closes
    quietly and they are read as if no flow were open (a question, a log), when that reading understands them.
    Otherwise (no letters, a stale button, words nothing reads) the view stays as it was and asks again."""
    msg = turn.incoming
    if not _readers or msg.payload is not None or not any(c.isalpha() for c in fold(msg.text or "")):
        return False
    saved, out = (turn.state.flow, turn.state.step, dict(turn.state.data)), len(turn.out)
    turn.end_flow()
    if "_asked" in saved[2]:  # the last question, kept without a flow too (handlers/ask/followup)
        turn.state.data["_asked"] = saved[2]["_asked"]
    if await _readers[0](turn):
        return True
    turn.state.flow, turn.state.step, turn.state.data = saved
    del turn.out[out:]
    return False


async def ask(turn: Turn, step: Step, note: str | None = None) -> None:
    """Show the step's prompt (after an optional note) and remember the choices shown."""
    prompt: Prompt = await _maybe(step.prompt(turn))
    turn.state.step = step.name
    turn.data["_choices"] = [[c.label, c.payload] for c in prompt.choices]
    text = f"{note}\n\n{prompt.text}" if note else prompt.text
    turn.reply(Outgoing(text=text, choices=prompt.choices, request_contact=prompt.request_contact))


async def start(turn: Turn, flow_name: str, data: dict[str, Any] | None = None) -> None:
    flow = registry[flow_name]
    turn.state.flow = flow_name
    turn.state.data = dict(data or {})
    turn.data["_attempts"] = 0
    first = flow.first or next(iter(flow.steps))
    first = first if isinstance(first, str) else await _maybe(first(turn))
    await goto(turn, first)


async def goto(turn: Turn, step_name: str | None, note: str | None = None) -> None:
    flow = registry[turn.state.flow or ""]
    if step_name is None:
        turn.data.pop("_choices", None)
        await flow.finish(turn)
        if turn.state.flow == flow.name:  # finish may have chained another flow
            turn.end_flow()
        return
    await ask(turn, flow.steps[step_name], note)


async def feed(turn: Turn) -> bool:
    """Give the current step the person's message. Returns False if no flow is active."""
    flow = registry.get(turn.state.flow or "")
    if flow is None or turn.state.step not in flow.steps:
        turn.end_flow()
        return False
    step = flow.steps[turn.state.step]
    msg = turn.incoming
    raw = (msg.text or "").strip()
    choice = msg.payload if msg.payload is not None else resolve_choice(raw, turn.data.get("_choices", []))
    if msg.payload is not None and msg.payload not in [p for _, p in turn.data.get("_choices", [])]:
        choice = None  # a stale button from an older question
        if not raw:
            await ask(turn, step, _("That button belongs to an earlier question."))
            return True
    answer = Answer(text=raw, choice=choice, has_media=bool(msg.media))
    try:
        if not raw and choice is None and not step.allow_empty:
            raise InputError(_("I need a written answer here.") if msg.media else
                             _("Your message arrived empty. Please type your answer to the question below."))
        if msg.forwarded and step.name not in flow.meta.get("forwarded_ok", ()):
            raise InputError(_("That is a forwarded message. Please type your own answer."))
        if len(raw) > MAX_TEXT:
            raise InputError(_("That message is too long ({n} characters); please keep it under {max}.",
                               n=len(raw), max=MAX_TEXT))
        value = await _maybe(step.parse(turn, answer))
    except InputError as exc:
        if flow.meta.get("read_only") and await _hand_over(turn):
            return True
        turn.data["_attempts"] = int(turn.data.get("_attempts", 0)) + 1
        hint = _("Type /huy to stop; nothing is saved until you confirm.") if turn.data["_attempts"] >= 3 else None
        await ask(turn, step, exc.message + (f"\n{hint}" if hint else ""))
        return True
    turn.data["_attempts"] = 0
    if step.store:
        turn.data[step.store] = value
    nxt = step.next(turn, value) if callable(step.next) else step.next
    await goto(turn, nxt)
    return True
