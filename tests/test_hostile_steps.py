"""Property-based (hypothesis) input at every question of every flow: the invariants of hostile_support."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.demo import seed_demo
from handlers.activity.counts import parse_count
from handlers.activity.parse import MAX_COUNT, parse_activity
from handlers.commands import parse_command
from handlers.dispatch import Dispatcher
from handlers.services import Services
from reminders.actions import BUTTON_ACTIONS
from storage.db import Database
from storage.errors import InputError
from tests.hostile_support import ENTRIES, NOW, Chat, Entry, Probe, check_replies, snapshot
from tests.test_hostile_inputs import CORPUS

# Each example is one message on a chat parked at the question (re-parked after an accepted answer).
# The PostgreSQL run adds nothing here that the corpus tests do not already check on both databases
# (what gets stored) and doubles the time, so these properties run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

_UNUSUAL = st.characters(categories=["Cf", "Cc", "Zs", "So", "Sk", "Mn", "Nd", "No", "Po", "Lo"])
TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=_UNUSUAL, max_size=12),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.integers(min_value=0, max_value=12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=2).map(str),
    st.floats().map(str),
    st.floats(min_value=-1000, max_value=1000).map(lambda f: f"{f:.2f}".replace(".", ",")),
    st.dates(min_value=date(1900, 1, 1)).map(lambda d: f"{d.day}/{d.month}/{d.year}"),
    st.tuples(st.integers(0, 40), st.integers(0, 14)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.sampled_from(CORPUS),
    st.tuples(st.integers(-5, 200), st.text(max_size=8)).map(lambda t: f"{t[0]} {t[1]}"),
)


@pytest.fixture
async def chat(db: Database) -> AsyncIterator[Chat]:
    await seed_demo(db, now=NOW)
    yield Chat(Dispatcher(Services(db=db, clock=lambda: NOW), actions=BUTTON_ACTIONS), db)


@SQLITE_ONLY
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=TEXTS)
async def test_any_text_at_every_question(chat: Chat, entry: Entry, text: str) -> None:
    """Refused: same question asked again, nothing changed or stored. Accepted: only where the flow goes
    next, nothing already entered lost. Always a clean reply in the person's language."""
    assume(parse_command(text) is None and not text.strip().startswith("/"))  # commands: see the corpus test
    chat.locale = ("en", "vi")[ENTRIES.index(entry) % 2]  # the corpus test uses the other language
    probe = chat.probes.setdefault(entry.id, Probe(chat, entry))
    await probe.send(text)


@SQLITE_ONLY
@pytest.mark.parametrize("persona", ["member", "officer", "stranger"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
async def test_any_free_message(chat: Chat, persona: str, text: str) -> None:
    """Outside any conversation: a member's text may open a log to confirm, a question its choices (handlers/ask),
    nothing else; nothing stored."""
    assume(parse_command(text) is None and not text.strip().startswith("/"))
    chat.locale = "vi"
    if "rows" not in chat.probes:
        await chat.send(persona, "/huy")  # first contact records the channel and last-seen time
        chat.probes["rows"] = await snapshot(chat.db)
    out = await chat.send(persona, text)
    check_replies(out, "vi", text, f"free text as {persona}: {text!r:.60}")
    flow, step, _data = await chat.state(persona)
    asked = {(None, None), ("ask", "pick")}
    assert (flow, step) in asked | {("log", "type"), ("log", "confirm")} if persona == "member" else \
        (flow, step) in asked, (persona, flow, step)
    assert await snapshot(chat.db) == chat.probes["rows"], f"free text as {persona} wrote to the database"
    if flow is not None:
        await chat.send(persona, "/huy")


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_number_and_log_parsers_never_crash(text: str) -> None:
    """The readers behind every count and free log: a value in range or a polite InputError, never more."""
    try:
        assert 0 <= parse_count(text) <= MAX_COUNT
    except InputError as exc:
        assert exc.message.strip()
    parsed = parse_activity(text, Services(db=None, clock=lambda: NOW).activity_catalog(), NOW.date())  # type: ignore[arg-type]
    assert all(0 < n <= MAX_COUNT for n in parsed.counts.values()), parsed.counts
