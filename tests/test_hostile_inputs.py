"""Hostile and clumsy input at every question of every flow, and every command as every role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.demo import seed_demo
from handlers.commands import COMMANDS
from handlers.dispatch import Dispatcher
from handlers.messages import MediaIn
from handlers.services import Services
from locales.i18n import _, use_locale
from reminders.actions import BUTTON_ACTIONS
from storage.db import Database
from tests.hostile_support import ENTRIES, NOW, Chat, Entry, Probe, check_replies, registered_steps, snapshot

CORPUS = [
    "", " ", "\u200b\u200b", "\u200b" * 6, "x" * 10_000, "9" * 5000, "😀😀😀", "👍👍👍👍👍", "...",
    "ﷺ ข้อความ 文字 текст", "'; DROP TABLE person; --", "<script>alert(1)</script>",
    "*bold* _it_ [x](http://e.vn) `code`", "{name} %s {0}", "-5", "-0,5", "0", "1e9999", "99999999999999999999",
    "NaN", "Infinity", "31/02", "31/02/2026", "1.2.3", "²", "①", "１２", "\u202eevil", "a\x00b",
    "Z̵̡̢̛a̗̞l̟g̈́o", "K7P2QX", "None", "null", "Nguyễn\x00 Văn An ngày mai họp",
]
MEDIA = [MediaIn("sticker", "s1"), MediaIn("document", "d1", None, "a.pdf"), MediaIn("other", "")]
BAD_ARGS = ["31/02 tháng 13", "'; DROP TABLE person; --😀", "x" * 3000]


@pytest.fixture
async def chat(db: Database) -> AsyncIterator[Chat]:
    await seed_demo(db, now=NOW)
    yield Chat(Dispatcher(Services(db=db, clock=lambda: NOW), actions=BUTTON_ACTIONS), db)


def test_every_registered_question_is_in_the_table() -> None:
    """A flow added later must get its questions into tests/hostile_support.py ENTRIES."""
    registered = registered_steps()
    covered = {(e.flow, e.step) for e in ENTRIES}
    assert registered - covered == set(), f"questions with no hostile-input entry: {sorted(registered - covered)}"
    assert covered - registered == set(), f"entries for questions that no longer exist: {covered - registered}"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind != "choice"], ids=lambda e: e.id)
async def test_corpus_where_answers_are_typed(chat: Chat, entry: Entry) -> None:
    """Typed answers (numbers, names, comments) are what gets stored: both databases."""
    await _corpus(chat, entry)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # refusing a choice involves no storage:
@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "choice"], ids=lambda e: e.id)
async def test_corpus_where_answers_are_choices(chat: Chat, entry: Entry) -> None:  # SQLite keeps it fast
    await _corpus(chat, entry)


async def _corpus(chat: Chat, entry: Entry) -> None:
    chat.locale = ("vi", "en")[ENTRIES.index(entry) % 2]  # the other language in test_hostile_steps.py
    probe = Probe(chat, entry, strict_rows=False)  # rows compared before each accepted input and at the end
    for text in CORPUS:
        await probe.send(text)
    photo = [MediaIn("photo", "p1", "5")] if entry.flow != "log" else []  # a log keeps photos as evidence
    for media in MEDIA + photo:
        await probe.send(None, False, media=(media,))
    await probe.send(None, False, payload="a-button-from-an-older-question")
    await probe.send(entry.sample, False, reask=False, edited=True)  # told why, question unchanged
    await probe.send(entry.sample, False, reask=False, chat_type="group")
    await probe.send(entry.sample, entry.forwarded_ok, forwarded=True)
    await probe.check_rows()
    await probe.send(entry.sample, True)  # the question is live: its sample answer moves on


def _refusal() -> str:
    with use_locale("vi"):
        return _("Sorry, that command is not available for your role. Type /trogiup to see yours.")


async def test_every_command_as_every_role(chat: Chat) -> None:
    """One database for all commands (a fresh one per command would cost more than the commands)."""
    refusal = _refusal()
    for command in COMMANDS:
        if command.name in ("huy", "batdau"):
            continue
        for persona, role in (("member", "member"), ("officer", "officer"), ("lead", "lead")):
            out = await chat.send(persona, f"/{command.name}")
            assert out, (command.name, role)
            assert (out[0].text == refusal) == (role not in command.roles), (command.name, role, out[0].text[:80])
            await chat.send(persona, "/huy")
        out_text = check_replies(await chat.send("stranger", f"/{command.name}"), "vi", what=command.name)
        expected = {"ngonngu": "Tiếng Việt", "lienket": "/lienket"}.get(command.name, "mã mời")
        assert expected in out_text and refusal not in out_text, (command.name, out_text[:120])
        await chat.send("stranger", "/huy")


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_every_command_with_wrong_arguments(chat: Chat, locale: str) -> None:
    """Stray or hostile arguments never break a command, as any role or as a stranger."""
    chat.locale = locale
    personas = ("member", "officer", "lead", "stranger")
    for persona in personas:
        await chat.send(persona, f"/ngonngu {chat.locale}")
    for i, command in enumerate(COMMANDS):
        for persona in personas:  # a command replaces any conversation the previous one started
            arg = BAD_ARGS[(i + personas.index(persona) + (locale == "en")) % len(BAD_ARGS)]
            out = await chat.send(persona, f"/{command.name} {arg}")
            check_replies(out, chat.locale, arg, f"/{command.name} {arg[:20]} as {persona}")
    for persona in personas:
        await chat.send(persona, "/huy")
    rows = await snapshot(chat.db)
    for command in COMMANDS:
        for persona in personas:  # spoken words with trailing junk are free text, never the command
            await chat.send(persona, f"{command.spoken[0]} xyz")
            await chat.send(persona, "/huy")
    assert await snapshot(chat.db) == rows
