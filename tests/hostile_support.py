"""Machinery for the hostile-input tests: the table of every question, the chat driver, invariants."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from sqlmodel import SQLModel, select

from bot.demo import PERSONAS
from handlers import engine
from handlers.activity.parse import MAX_COUNT
from handlers.dispatch import Dispatcher
from handlers.messages import Capabilities, Incoming, Outgoing
from locales.textnorm import fold
from storage.db import Database
from storage.invites import create_invite
from storage.models import ConversationState, Person, Unit

CAPS = Capabilities(buttons=False, max_text=2000)
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)
END = (None, None)
Where = tuple[str | None, str | None]

# ---- driving one chat --------------------------------------------------------------------------


@dataclass
class Chat:
    """The demo commune's people talking to one Dispatcher; ``stranger`` is an unregistered account."""

    bot: Dispatcher
    db: Database
    locale: str = "vi"
    strangers: int = 0
    ctx: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Any] = field(default_factory=dict)  # one Probe per question, kept across examples

    def uid(self, persona: str) -> str:
        if persona == "stranger":
            return f"stranger-{self.strangers}"
        return PERSONAS.get(persona) or f"hostile-{persona}"  # "province": made by _province_office

    def msg(self, persona: str, text: str | None = None, **kw: Any) -> Incoming:
        uid = self.uid(persona)
        return Incoming(channel="web", user_id=uid, chat_id=uid, update_id=str(uuid.uuid4()), received_at=NOW,
                        text=text, **kw)

    async def send(self, persona: str, text: str | None = None, **kw: Any) -> list[Outgoing]:
        return await self.bot.handle(self.msg(persona, text, **kw), CAPS)

    async def state(self, persona: str) -> tuple[str | None, str | None, dict[str, Any]]:
        async with self.db.session() as s:
            row = (await s.exec(select(ConversationState).where(
                ConversationState.chat_id == self.uid(persona)))).first()
        if row is None or row.flow is None:
            return None, None, {}
        return row.flow, row.step, {k: v for k, v in (row.data or {}).items() if k != "_attempts"}


# ---- the table of questions ----------------------------------------------------------------------

Prep = Callable[[Chat], Awaitable[None]]
OFFICER_REPORT = ("/baocao", "1", "1", "50", "1", "khong", "khong")


async def _new_stranger(chat: Chat) -> None:
    """A fresh unregistered account and an invite code with plenty of uses."""
    chat.strangers += 1
    if "invite" in chat.ctx:
        return
    async with chat.db.transaction() as s:
        unit = (await s.exec(select(Unit).where(Unit.name == "Thôn Khuổi Luông"))).one()
        invite = await create_invite(s, unit, "member", uses=10_000, days=30, now=NOW)
        chat.ctx["invite"] = invite.code


async def _listed_stranger(chat: Chat) -> None:
    """A fresh account whose name is on Thôn Khuổi Luông's list (not joined yet)."""
    await _new_stranger(chat)
    async with chat.db.transaction() as s:
        unit = (await s.exec(select(Unit).where(Unit.name == "Thôn Khuổi Luông"))).one()
        if not (await s.exec(select(Person).where(Person.name == "Lò Thị Bích"))).first():
            s.add(Person(commune_id=unit.commune_id, unit_id=unit.id, name="Lò Thị Bích", phone="0912000002"))


async def _member_logs(chat: Chat) -> None:
    for text in ("/huy", "hỗ trợ 5 người cài VNeID", "1"):
        await chat.send("member", text)


async def _owes_two_months(chat: Chat) -> None:
    """The demo commune's reporting started 1/11: November is overdue and December due, so /baocao asks."""
    from datetime import date

    from storage.models import Commune

    async with chat.db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        commune.reporting_start = date(2026, 11, 1)
        s.add(commune)


async def _officer_reports(chat: Chat) -> None:
    await chat.send("officer", "/huy")
    for text in (*OFFICER_REPORT, "1"):
        await chat.send("officer", text)


async def _province_office(chat: Chat) -> None:
    """The demo commune in a province, and a province office person on the web channel."""
    from storage.models import Commune, Identity
    from storage.province import set_commune_province

    uid = chat.uid("province")
    async with chat.db.transaction() as s:
        if (await s.exec(select(Identity).where(Identity.external_id == uid))).first():
            return
        commune = (await s.exec(select(Commune))).one()
        province = await set_commune_province(s, commune, "Tỉnh Demo")
        p = Person(commune_id=commune.id, unit_id=None, name="Trần Văn Tỉnh", role="province",  # type: ignore[arg-type]
                   province_id=province.id, consent_at=NOW)
        s.add(p)
        await s.flush()
        s.add(Identity(person_id=p.id, channel="web", external_id=uid, chat_id=uid))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Entry:
    """How to reach one question, what a valid answer looks like, and where an accepted answer leads."""

    flow: str
    step: str
    persona: str
    script: tuple[str, ...]
    kind: str  # choice | count | percent | day | name | text | remark (text, or a "none" word)
    sample: str  # a valid answer
    then: frozenset[Where]
    prep: Prep | None = None
    variant: str = ""
    min_len: int = 0
    max_len: int = engine.MAX_TEXT
    forwarded_ok: bool = False

    @property
    def id(self) -> str:
        return f"{self.flow}.{self.step}" + (f"[{self.variant}]" if self.variant else "")


def _e(flow: str, step: str, persona: str, script: tuple[str, ...], kind: str, sample: str,
       then: set[Where], **kw: Any) -> Entry:
    return Entry(flow, step, persona, script, kind, sample, frozenset(then), **kw)


_ASKED = {END, ("ask", "pick"), ("ask_next", "pick"), ("status", "pick")}
_PROVINCE_ASKED = {END, ("ask", "pick"), ("province_status", "pick"), ("province_status_again", "pick"),
                   ("status_again", "pick")}
ENTRIES: tuple[Entry, ...] = (
    _e("log", "type", "member", ("/ghinhan",), "choice", "1", {("log", "count")}),
    _e("log", "count", "member", ("/ghinhan", "1"), "count", "5", {("log", "more")}),
    _e("log", "more", "member", ("/ghinhan", "1", "5"), "choice", "2", {("log", "type"), ("log", "confirm")}),
    _e("log", "confirm", "member", ("hỗ trợ 5 người cài VNeID",), "choice", "3",
       {END, ("log", "type"), ("log", "confirm")}),
    _e("report", "item", "officer", ("/baocao",), "choice", "2", {("report", "item")}, variant="task"),
    _e("report", "item", "officer", ("/baocao", "1", "1"), "percent", "85,5", {("report", "item")},
       variant="percent"),
    _e("report", "item", "officer", ("/baocao", "1", "1", "50"), "choice", "1", {("report", "difficulties")},
       variant="bool"),
    _e("report", "item", "lead", ("/baocao", "1", "75"), "choice", "2", {("report", "result")}, variant="status"),
    _e("report", "result", "lead", ("/baocao", "1", "75", "2"), "remark", "Đã tham gia hội thảo chuyển đổi số của tỉnh",
       {("report", "difficulties")}, min_len=3, max_len=300),
    _e("report", "difficulties", "officer", OFFICER_REPORT[:5], "remark", "Thiếu máy quét tài liệu",
       {("report", "proposals")}, min_len=3),
    _e("report", "proposals", "officer", OFFICER_REPORT[:6], "remark", "Cấp thêm máy tính",
       {("report", "confirm")}, min_len=3),
    _e("report", "confirm", "officer", OFFICER_REPORT, "choice", "2", {END, ("report", "fix")}),
    _e("report", "fix", "officer", (*OFFICER_REPORT, "2"), "choice", "5",
       {("report", "item"), ("report", "difficulties"), ("report", "proposals")}),
    _e("report_period", "pick", "officer", ("/baocao",), "choice", "1", {("report", "item")},
       prep=_owes_two_months),
    _e("language", "pick", "member", ("/ngonngu",), "choice", "1", {END}),
    _e("assign", "item", "lead", ("/giao 1 thôn",), "choice", "2", {("assign", "unit")}),
    _e("assign", "unit", "lead", ("/giao 1 thôn", "2"), "choice", "1", {END}),
    _e("invite", "unit", "lead", ("/moi",), "choice", "3", {("invite", "role")}),
    _e("invite", "role", "lead", ("/moi", "3"), "choice", "1", {END}),
    _e("join", "name", "stranger", ("{invite}",), "name", "Nguyễn Văn An", {("join", "consent"), ("join", "match")},
       prep=_new_stranger, min_len=2, max_len=80),
    _e("join", "match", "stranger", ("{invite}", "Lò Thị Bích"), "choice", "2", {("join", "consent")},
       prep=_listed_stranger),
    _e("join", "consent", "stranger", ("{invite}", "Nguyễn Văn An"), "choice", "2", {END}, prep=_new_stranger),
    _e("mylogs", "pick", "member", ("/nhatky",), "choice", "1", {("mylogs", "count"), END}, prep=_member_logs),
    _e("mylogs", "count", "member", ("/nhatky", "1"), "count", "7", {("mylogs", "pick"), END},
       prep=_member_logs),
    _e("review", "pick", "lead", ("/duyet",), "choice", "1", {("review", "decide")}, prep=_officer_reports),
    _e("review", "decide", "lead", ("/duyet", "1"), "choice", "2", {("review", "comment"), END},
       prep=_officer_reports),
    _e("review", "comment", "lead", ("/duyet", "1", "2"), "text", "Bổ sung số liệu chỉ tiêu 2", {END},
       prep=_officer_reports, min_len=3),
    _e("announce", "audience", "lead", ("/thongbao",), "choice", "1", {("announce", "text")}),
    _e("announce", "text", "lead", ("/thongbao", "1"), "text", "Ngày mai họp giao ban lúc 8 giờ.",
       {("announce", "confirm")}, min_len=5, max_len=1500, forwarded_ok=True),
    _e("announce", "confirm", "lead", ("/thongbao", "1", "Ngày mai họp giao ban lúc 8 giờ."), "choice", "2",
       {END}),
    # /tinhtrang: a pick closes it; a question in words is answered as without it (handlers.engine._hand_over)
    _e("status", "pick", "lead", ("/tinhtrang",), "choice", "4", _ASKED),
    # the province office's views: a pick drills down; a question in words is answered (handlers/ask)
    _e("province_status", "pick", "province", ("/tinhtrang",), "choice", "1", {("status", "pick")} | _PROVINCE_ASKED,
       prep=_province_office),
    _e("province_status_again", "pick", "province", ("/tinhtrang", "tình hình các xã thế nào?"), "choice", "1",
       {("status", "pick")} | _PROVINCE_ASKED, prep=_province_office),
    _e("status_again", "pick", "province", ("/tinhtrang", "1", "xã Demo thế nào?"), "choice", "4",
       {("status", "pick")} | _PROVINCE_ASKED, prep=_province_office),
    # a question's drill-down choices (handlers/ask): a pick answers it, any other text is a new message
    _e("ask", "pick", "lead", ("thời tiết thế nào?",), "choice", "1", _ASKED),
    _e("ask_next", "pick", "lead", ("thời tiết thế nào?", "giá lúa bao nhiêu?"), "choice", "1", _ASKED),
    # /lich on the first stream (village activity: day, rule, data period, on/off, weekends, save, cancel)
    _e("schedule", "pick", "lead", ("/lich",), "choice", "1", {("schedule", "edit"), END}),
    _e("schedule", "edit", "lead", ("/lich", "1"), "choice", "4", {
        ("schedule", s) for s in ("edit", "day", "rule", "cutoff", "confirm")} | {END}),
    _e("schedule", "day", "lead", ("/lich", "1", "1"), "day", "15", {("schedule", "edit")}),
    _e("schedule", "rule", "lead", ("/lich", "1", "2"), "choice", "2", {("schedule", "edit")}),
    _e("schedule", "cutoff", "lead", ("/lich", "1", "3"), "choice", "2", {("schedule", "edit")}),
    _e("schedule", "confirm", "lead", ("/lich", "1", "6"), "choice", "3", {END, ("schedule", "edit")}),
)


def registered_steps() -> set[tuple[str, str]]:
    """Every (flow, step) the engine knows, once every flow module is imported."""
    import handlers.flows  # noqa: F401

    return {(f.name, s) for f in engine.registry.values() for s in f.steps}


async def reach(chat: Chat, e: Entry) -> list[Outgoing]:
    """Bring the entry's persona to its question (preparing data when needed); the question's replies."""
    for attempt in range(2):
        if e.prep is not None and (attempt or not chat.ctx.get(f"prepared:{e.id}")):
            await e.prep(chat)
            chat.ctx[f"prepared:{e.id}"] = "1"
        if (await chat.state(e.persona))[0] is not None:
            await chat.send(e.persona, "/huy")
        if chat.ctx.get(f"locale:{chat.uid(e.persona)}") != chat.locale:
            await chat.send(e.persona, f"/ngonngu {chat.locale}")
            chat.ctx[f"locale:{chat.uid(e.persona)}"] = chat.locale
        out: list[Outgoing] = []
        for text in e.script:
            out = await chat.send(e.persona, text.format(**chat.ctx))
        if (await chat.state(e.persona))[:2] == (e.flow, e.step):
            return out
    raise AssertionError(f"could not reach {e.id}")


# ---- invariants ----------------------------------------------------------------------------------

# Not compared: the conversation itself (checked separately), processed ids, the imported plan and org
# tree, which no chat flow writes, and the activity-log roll-up (storage.log_rollup: closed months' figures
# kept by the province view's reads, the logs' own figures; tests/test_log_rollup.py).
_SKIP_TABLES = {"conversationstate", "processedupdate", "commune", "unit", "plan", "plansection", "task", "taskunit",
                "indicator", "indicatorunit", "logrollup"}


async def snapshot(db: Database) -> dict[str, list[str]]:
    """Every stored row except conversation state, processed ids and replies' durable copies."""
    out: dict[str, list[str]] = {}
    async with db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in _SKIP_TABLES:
                continue
            rows = [r for r in (await (await s.connection()).execute(table.select())).all()
                    if not (table.name == "outbox" and str(r.key).startswith("reply:"))]
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


@cache
def _fragments() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """Pieces (12+ characters) of the Vietnamese and English texts that differ between the catalogs,
    and the whole texts (for short replies such as "OK.")."""
    po = Path(__file__).resolve().parent.parent / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        cat = read_po(f, locale="vi")
    vi: set[str] = set()
    en: set[str] = set()
    vi_full: set[str] = set()
    en_full: set[str] = set()
    for m in cat:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strs = m.string if isinstance(m.string, tuple) else (m.string,)
        for s_en, s_vi in zip(ids, strs, strict=False):
            if s_en and s_vi and s_en != s_vi:
                en |= _pieces(s_en)
                vi |= _pieces(s_vi)
                en_full.add(s_en)
                vi_full.add(s_vi)
    english = "\n".join(en_full)  # Vietnamese quoted in English texts, e.g. "(khó khăn, vướng mắc)"
    vi, en = {p for p in vi - en if p not in english}, {p for p in en - vi if p.isascii()}
    return frozenset(vi), frozenset(en), frozenset(vi_full - en_full), frozenset(en_full - vi_full)


@cache
def _data_names() -> tuple[str, ...]:
    from bot.demo import HCC, VHXH, demo_plan

    plan = demo_plan()
    names = [t.title for t in plan.tasks] + [i.name for i in plan.indicators] + list(plan.sections)
    names += [VHXH, HCC, "Thôn Nà Pài", "Thôn Khuổi Luông", plan.title]
    return tuple(sorted(names, key=len, reverse=True))


def _pieces(s: str) -> set[str]:
    return {p.strip() for p in re.split(r"\{[^}]*\}|\n|\(|\)", s) if len(p.strip()) >= 12}


def languages_in(text: str) -> set[str]:
    vi, en, vi_full, en_full = _fragments()
    lines = {line.strip() for line in text.split("\n")}
    found = set()
    if any(f in text for f in vi) or lines & vi_full:
        found.add("vi")
    if any(f in text for f in en) or lines & en_full:
        found.add("en")
    return found


_BAD = re.compile(r"Traceback|Exception|\w*Error\b|object at 0x|NoneType|<class |\{[a-z_]+\}|\{'|\['")


def check_replies(out: list[Outgoing], locale: str, sent: str | None = None, what: str = "") -> str:
    """A non-empty, clean reply in ``locale``; returns the joined text."""
    assert out, f"no reply: {what}"
    text = "\n".join(o.text for o in out)
    assert all(o.text.strip() for o in out), f"empty reply part: {what}"
    assert all(len(o.text) <= CAPS.max_text for o in out), what
    shown = text
    for name in _data_names():  # the commune's own names (tasks, units) are not the bot's language
        shown = shown.replace(name, "")
    for echo in {e for e in (sent or "", (sent or "")[:40], (sent or "").strip()[:40]) if len(e.strip()) >= 3}:
        shown = shown.replace(echo, "")
    assert not _BAD.search(shown), f"{what}: internal text in reply: {_BAD.search(shown)!r} in {text[:300]!r}"
    # Text the catalogs do not know yet (a new msgid) counts as neither; tests/test_catalogs.py fails for it.
    assert languages_in(shown) <= {locale}, f"{what}: expected {locale}, found {languages_in(shown)}: {text[:300]!r}"
    return text


# ---- what each kind of question must accept or refuse -------------------------------------------

_NONE_WORDS = {"khong", "khong co", "none", "no", "khong co gi", "-", "k", "ko"}


def _visible(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c)[0] in "LNPSM")


def verdict(e: Entry, text: str, n_choices: int) -> bool | None:
    """True: must be accepted; False: must be refused (nothing changes); None: either is fine."""
    raw = text.strip()
    if not raw or len(raw) > engine.MAX_TEXT:
        return False
    words = any(unicodedata.category(c)[0] in "LN" for c in raw)
    if e.kind == "choice":
        t = fold(raw).rstrip(".)")
        if t.isdecimal():
            return len(t) <= 4 and 1 <= int(t) <= n_choices
        return None if any(c.isalpha() for c in t) else False
    if e.kind in ("count", "percent"):
        top = MAX_COUNT if e.kind == "count" else 100
        if re.fullmatch(r"\d{1,7}", raw, re.ASCII):
            return int(raw) <= top
        if re.fullmatch(r"-\d*[1-9]\d*([.,]\d+)?|\d{8,}|\d{1,2}/\d{1,2}(/\d{2,4})?|\d+e\d+", raw, re.ASCII):
            return False
        return None if words else False
    if e.kind == "day":  # a due day that exists in every month
        t = raw.removeprefix("ngày").removeprefix("ngay").strip()
        if re.fullmatch(r"[0-9]{1,2}", t):
            return 1 <= int(t) <= 28
        return None if any(c.isalpha() for c in t) else False
    if e.kind == "name":
        name = " ".join("".join(c for c in unicodedata.normalize("NFC", raw)
                                if unicodedata.category(c) not in ("Cf", "Cc")).split())
        ok_chars = all(unicodedata.category(c)[0] in "LM" or c in " '’-." for c in name)
        return ok_chars and e.min_len <= len(name) <= e.max_len and sum(c.isalpha() for c in name) >= 2
    number = fold(raw).rstrip(".)")
    if e.kind == "remark" and (fold(raw) in _NONE_WORDS or number.isdecimal() and len(number) <= 4
                               and 1 <= int(number) <= n_choices):  # "1": the "None" button
        return True
    return words and len(_visible(raw)) >= e.min_len and len(raw) <= e.max_len


# ---- one input at one question ------------------------------------------------------------------

def _tail(out: list[Outgoing]) -> str:
    """The end of a question as shown (a long one arrives in parts): what asking it again repeats."""
    return out[-1].text[-400:]


_TRANSIENT = {"fixing", "note", "entry", "summary", "shown", "end"}  # bookkeeping a step may drop


@dataclass
class Probe:
    """A chat parked at one question, with the stored rows as they were when it got there."""

    chat: Chat
    entry: Entry
    rows: dict[str, list[str]] = field(default_factory=dict)
    question: str = ""
    strict_rows: bool = True  # compare stored rows after every refused input, not only in batches
    unchecked: list[str] = field(default_factory=list)  # refused inputs whose rows are not compared yet

    async def check_rows(self) -> None:
        if self.unchecked:
            assert await snapshot(self.chat.db) == self.rows, \
                f"{self.entry.id}: a refused input wrote to the database, one of {self.unchecked}"
            self.unchecked.clear()

    async def park(self) -> None:
        if (await self.chat.state(self.entry.persona))[:2] != (self.entry.flow, self.entry.step):
            self.question = _tail(await reach(self.chat, self.entry))
            self.rows = await snapshot(self.chat.db)

    async def send(self, text: str | None, expect: bool | None | str = "verdict", reask: bool = True,
                   **kw: Any) -> bool:
        """Send one input and check every invariant; returns True when the question accepted it.

        A refused input keeps the conversation and the stored rows as they were, and (``reask``) the
        reply asks the same question again."""
        e, chat = self.entry, self.chat
        await self.park()
        before = await chat.state(e.persona)
        if expect == "verdict":
            expect = verdict(e, text or "", len(before[2].get("_choices", [])))
        if expect is not False:  # it may be accepted and write: compare what the refused ones left first
            await self.check_rows()
        what = f"{e.id} [{chat.locale}] {text!r:.60} {kw}"
        out = await chat.send(e.persona, text, **kw)
        after = await chat.state(e.persona)
        moved = after != before
        shown = check_replies(out, chat.locale, text, what) if not (moved and e.flow == "language") else ""
        assert moved or expect is not True, f"{what}: a valid answer was refused: {out[0].text[:200]!r}"
        assert not moved or expect is not False, f"{what}: refused input changed the conversation {before[:2]} → {after[:2]}"
        if not moved:
            self.unchecked.append(what)
            if self.strict_rows:
                await self.check_rows()
            assert not reask or self.question in shown, f"{what}: question not asked again: {shown[-300:]!r}"
            return False
        assert after[:2] in e.then, f"{what}: accepted into {after[:2]}, expected one of {set(e.then)}"
        if e.flow == "language":
            chat.ctx.pop(f"locale:{chat.uid(e.persona)}", None)
        if after[0] == e.flow:  # nothing already entered is lost
            for k, v in before[2].items():
                if k.startswith("_") or k in _TRANSIENT:
                    continue
                assert k in after[2], f"{what}: lost {k}"
                if isinstance(v, dict) and isinstance(after[2][k], dict):
                    assert set(v) <= set(after[2][k]), f"{what}: lost part of {k}"
        self.question = _tail(await reach(chat, e))
        self.rows = await snapshot(chat.db)
        return True

