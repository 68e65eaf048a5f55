"""One case per bug the hostile-input tests found, so each stays fixed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.demo import seed_demo
from handlers.dispatch import Dispatcher
from handlers.engine import resolve_choice
from handlers.messages import MediaIn
from handlers.services import Services
from handlers.textcheck import clean_name, has_words
from locales.i18n import _, use_locale
from reminders.actions import BUTTON_ACTIONS
from storage.db import Database
from storage.models import ActivityLog, Identity, Invite, Person, Unit
from tests.hostile_support import ENTRIES, NOW, Chat, Probe, reach

CHOICES = [["Tiếng Việt", "vi"], ["English", "en"]]


def _entry(entry_id: str):  # noqa: ANN202
    return next(e for e in ENTRIES if e.id == entry_id)


@pytest.fixture
async def chat(db: Database) -> AsyncIterator[Chat]:
    await seed_demo(db, now=NOW)
    yield Chat(Dispatcher(Services(db=db, clock=lambda: NOW), actions=BUTTON_ACTIONS), db)


def test_choice_numbers_int_cannot_read_are_no_choice() -> None:
    """engine.resolve_choice: "²" passed isdigit() and crashed int(); 5,000 digits crashed it too."""
    for text in ("²", "①", "9" * 5000, "0", "3"):
        assert resolve_choice(text, CHOICES) is None, text
    assert resolve_choice("2", CHOICES) == resolve_choice("２", CHOICES) == "en"


def test_one_letter_with_punctuation_is_no_label_prefix() -> None:
    """"<N" at a free-text question picked the "None" button: one letter is not a prefix of a label."""
    none = [["None", "none"], ["Same as last time", "same"]]
    for text in ("<N", "N.", "(n)", "s!"):
        assert resolve_choice(text, none) is None, text
    assert resolve_choice("no", none) == "none" and resolve_choice("Same", none) == "same"


def test_names_are_letters_and_answers_need_words() -> None:
    """join: an invite code, markup or SQL was taken as a name; review/announce/report took invisible text."""
    for bad in ("K7P2QX", "'; DROP TABLE person; --", "<b>An</b>", "An 2", "a\u200b", "😀😀", "x" * 81):
        assert clean_name(bad) is None, bad
    assert clean_name(" Nguyễn\u200b  Văn An ") == "Nguyễn Văn An"
    assert clean_name("H'Hen Niê") == "H'Hen Niê" and clean_name("Lò Văn Minh") == "Lò Văn Minh"
    for bad in ("\u200b" * 6, "😀😀😀😀😀", ".....", "   "):
        assert not has_words(bad, 3), repr(bad)
    assert has_words("Thiếu máy", 3) and has_words("Cần 22", 5) and not has_words("ab", 3)


async def test_numbered_choices_are_explained_in_english(chat: Chat) -> None:
    """dispatch: "(reply with a number)" was rendered outside the person's locale, so always Vietnamese."""
    chat.locale = "en"
    out = await reach(chat, _entry("log.type"))
    with use_locale("en"):
        assert _("(type the number or the words of your choice)") in out[-1].text
    with use_locale("vi"):
        assert _("(type the number or the words of your choice)") not in out[-1].text


async def test_sticker_or_file_in_a_log_is_not_called_a_photo(chat: Chat) -> None:
    """dispatch: a sticker or document during a log was answered "Photo kept", though nothing was kept."""
    with use_locale("vi"):
        kept = _("Photo kept; it will be saved with this log.")
    probe = Probe(chat, _entry("log.count"))
    for media in (MediaIn("sticker", "s1"), MediaIn("document", "d1", None, "a.pdf")):
        await probe.send(None, False, media=(media,))
        assert kept not in (await chat.send("member", None, media=(media,)))[0].text
    key = "ab" * 32  # a photo the adapter fetched into the file store is kept
    out = await chat.send("member", None, media=(MediaIn("photo", "p1", key=key, size=9),))
    assert out[0].text == kept
    assert [(m["kind"], m["key"], m["ref"]) for m in (await chat.state("member"))[2]["media"]] == [("photo", key, "p1")]
    out = await chat.send("member", None, media=(MediaIn("photo", "p2"),))  # one it could not fetch is not
    assert kept not in out[0].text


async def test_a_strangers_language_survives_joining(chat: Chat, db: Database) -> None:
    """join: engine.start dropped the "_locale" a stranger chose, so joining fell back to Vietnamese."""
    chat.locale = "en"
    await reach(chat, _entry("join.consent"))  # /ngonngu en, the code, a name: all in English
    out = await chat.send("stranger", "1")
    with use_locale("en"):
        assert out[0].text.startswith(_("Welcome, {name}! You are now registered with {unit}.",
                                         name="Nguyễn Văn An", unit="Thôn Khuổi Luông"))
    async with db.session() as s:
        ident = (await s.exec(select(Identity).where(Identity.external_id == chat.uid("stranger")))).one()
        assert (await s.get(Person, ident.person_id)).locale == "en"  # type: ignore[union-attr]


async def test_invite_code_is_not_a_name(chat: Chat, db: Database) -> None:
    """join: the code sent again at the name question became the name when it had no digit (1 in 10)."""
    async with db.transaction() as s:
        unit = (await s.exec(select(Unit).where(Unit.name == "Thôn Khuổi Luông"))).one()
        s.add(Invite(code="KXPQRTAB", commune_id=unit.commune_id, unit_id=unit.id, role="member", uses_left=5,
                     expires_at=NOW + timedelta(days=7), created_at=NOW))
    chat.ctx["invite"] = "KXPQRTAB"
    probe = Probe(chat, _entry("join.name"))
    for again in ("KXPQRTAB", "kxpq rtab", "K7P2QX"):
        await probe.send(again, False)
    await probe.send("Lò Thị Hoa", True)


@pytest.mark.parametrize("entry_id", ["review.comment", "announce.text", "report.difficulties"])
async def test_invisible_text_is_not_an_answer(chat: Chat, entry_id: str) -> None:
    probe = Probe(chat, _entry(entry_id))
    for text in ("\u200b" * 6, "😀😀😀😀😀", "....."):
        await probe.send(text, False)
    await probe.send(probe.entry.sample, True)


async def test_forwarded_messages(chat: Chat, db: Database) -> None:
    """engine/activity: a forwarded "5" was taken as one's own answer; a forwarded log was counted."""
    probe = Probe(chat, _entry("log.count"))
    await probe.send("5", False, forwarded=True)
    with use_locale("vi"):
        assert _("That is a forwarded message. Please type your own answer.") in (
            await chat.send("member", "5", forwarded=True))[0].text
    await chat.send("member", "/huy")
    out = await chat.send("member", "hỗ trợ 12 người cài VNeID", forwarded=True)
    with use_locale("vi"):
        assert out[0].text == _("That is a forwarded message, so I did not log it. If it is your own work, "
                                "please type it yourself, e.g. \"hỗ trợ 5 người cài VNeID\".")
    assert (await chat.state("member"))[0] is None
    async with db.session() as s:
        assert (await s.exec(select(ActivityLog))).all() == []
    await Probe(chat, _entry("announce.text")).send("Công văn số 12/UBND về chuyển đổi số", True, forwarded=True)
    await Probe(chat, _entry("join.name")).send("Nguyễn Văn An", False, forwarded=True)
    chat.strangers += 1  # a stranger forwarding the lead's message with the invite code still joins
    await chat.send("stranger", chat.ctx["invite"], forwarded=True)
    assert (await chat.state("stranger"))[:2] == ("join", "name")


async def test_forged_reminder_buttons(chat: Chat) -> None:
    for payload in ("snooze:x", "remind:x", "steersent:a", "leadsent:", "snooze:x:y:z", "remind:a:b:c"):
        out = await chat.send("lead", None, payload=payload)
        assert out and out[0].text.strip()
