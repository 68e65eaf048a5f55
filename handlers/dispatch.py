"""The one entry point every channel calls: dedupe, load state, route, save state, render replies."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import engine
from handlers import offered as offered_mod
from handlers.commands import parse_command
from handlers.messages import Capabilities, Choice, Incoming, Outgoing
from handlers.outbox import mark_sent, send_replies
from handlers.outbox_payload import to_payload
from handlers.routes import route_command, route_free_message
from handlers.services import Services
from handlers.textcheck import is_blank
from handlers.turn import ChatState, Turn, UnitRef
from locales.i18n import _, use_locale
from storage import hot, hot_pg
from storage.blobs import BlobStore
from storage.db import is_disconnect
from storage.hot_pg import Final
from storage.models import Identity, Person

__all__ = ["ButtonAction", "Dispatcher", "render"]

log = logging.getLogger(__name__)
IDLE_EXPIRY = timedelta(hours=24)
# How long a reply's durable copy waits for the direct send before the outbox worker takes over.
REPLY_GRACE = timedelta(seconds=float(os.environ.get("CDSBOT_REPLY_GRACE_SECONDS", "120")))


class StaleState(Exception):
    """Another worker saved this chat's state first; the turn is retried."""


# A button or typed answer handled by a layer above (e.g. reminders' "sent"/"later" buttons): True if it was.
ButtonAction = Callable[[Turn], Awaitable[bool]]


class Dispatcher:
    def __init__(self, services: Services,
                 actions: Sequence[ButtonAction] | Callable[[], Sequence[ButtonAction]] = (), *,
                 lazy: bool = False) -> None:
        """``lazy``: the flows' modules, and ``actions`` given as a function, are loaded by ``prepare()``
        (bot.app calls it once the first poll is out) or else by the first update."""
        self.services = services
        self._actions_of = actions if callable(actions) else None
        # wired by bot.app: the layers above pass their handlers down
        self.actions: tuple[ButtonAction, ...] = () if callable(actions) else tuple(actions)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # the replies' inline retry waits
        self._prepared = False
        if not lazy:
            self.prepare()

    def prepare(self) -> None:
        """Register every flow (a saved state names its flow) and get the actions: before any update."""
        if not self._prepared:
            import handlers.flows  # noqa: F401

            if self._actions_of is not None:
                self.actions = tuple(self._actions_of())
            self._prepared = True

    async def handle(self, msg: Incoming, caps: Capabilities) -> list[Outgoing]:
        """Handle one update exactly once and return what to send back (already rendered)."""
        return (await self._handle_turn(msg, caps))[0]

    async def _handle_turn(self, msg: Incoming, caps: Capabilities) -> tuple[list[Outgoing], bool]:
        """The replies, and whether they must wait behind an earlier reply to the chat still pending."""
        if not self._prepared:  # an update before bot.app prepared the dispatcher
            self.prepare()
        reconnected = False
        for _attempt in range(5):
            try:
                return await self._handle_once(msg, caps)
            except StaleState:
                continue
            except Exception as exc:
                if reconnected or not is_disconnect(exc):
                    raise
                # A pooled connection had died (no pre-ping, see storage.db.is_disconnect): the turn's
                # transaction, update claim included, was rolled back; do it once more on a new one.
                log.warning("database connection lost during update %s; handling it again", msg.update_id)
                reconnected = True
        log.warning("giving up on update %s after repeated state conflicts", msg.update_id)
        return [], False

    async def _handle_once(self, msg: Incoming, caps: Capabilities) -> tuple[list[Outgoing], bool]:
        now = self.services.now()
        async with self.services.db.hot_connection() as conn:
            final = Final(msg.channel, msg.update_id, now) if conn.dialect.name == "postgresql" else None
            if final is None:
                row = await hot.begin_turn(conn, msg.channel, msg.update_id, msg.chat_id, msg.user_id, now)
            else:  # a read now, every write in one statement at the end (storage.hot_pg)
                row = await hot_pg.read_turn(conn, msg.channel, msg.update_id, msg.chat_id, msg.user_id, now)
            if row is None:
                return [], False  # redelivered update: already handled
            backlog = bool(row.backlog)
            person, unit = await _person_for(conn, msg, row, final)
            state = ChatState(channel=msg.channel, chat_id=msg.chat_id) if row.id is None else ChatState(
                channel=msg.channel, chat_id=msg.chat_id, flow=row.flow, step=row.step, data=dict(row.data or {}),
                version=row.version, updated_at=row.updated_at, id=row.id)
            version = state.version
            offered = state.data.pop(offered_mod.KEY, None)  # kept beside the flow's answers, not in them
            sessions = _TurnSession(conn)
            sessions.person = person
            turn = Turn(session=None, incoming=msg, state=state, person=person, now=now,  # type: ignore[arg-type]
                        services=self.services, caps=caps, unit=unit, offered=offered, conn=conn,
                        open_session=sessions.open, final=final)
            try:
                locale = person.locale if person else (
                    state.data.get("_locale")
                    or ("en" if (msg.language_code or "").startswith("en") else self.services.default_locale))
                with use_locale(locale):
                    await self._route(turn)
                with use_locale(turn.person.locale if turn.person else state.data.get("_locale", locale)):
                    parts = [render([o], caps) for o in turn.out]  # "(reply with a number)" in the person's language
                rendered = [p for group in parts for p in group]
                held = bool(rendered) and backlog
                await sessions.flush(turn.person)  # before the turn's last writes (their one statement on PostgreSQL)
                rows, kept = _reply_rows(msg, rendered, turn.now, held, self.services.extra.get("blobs"))
                if final is None:
                    ids = await hot.insert_replies(conn, rows)
                else:  # the ids are known before the write: the offered choices name their reply
                    ids = [row.reply_id, *await hot_pg.reply_ids(conn, len(rows) - 1)][:len(rows)]
                    final.replies = [{**r, "id": i, "status": "pending", "attempts": 0}
                                     for r, i in zip(rows, ids, strict=True)]
                by_index = dict(zip(kept, ids, strict=True))
                out = [replace(o, outbox_id=by_index[i]) if i in by_index else o for i, o in enumerate(rendered)]
                _remember_offer(turn, parts, out)
                await _save_state(conn, state, version, turn)
            finally:
                await sessions.close()
        for callback in turn.after_commit:
            callback()
        return out, held

    async def respond(self, msg: Incoming, caps: Capabilities,
                      send: Callable[[str, Outgoing], Awaitable[str]]) -> None:
        """Handle ``msg`` and send the replies with the adapter's ``send``, marking each delivered.

        A failed send is retried after 1 s and 3 s; then it and the replies after it are left to the
        outbox worker, in order. Replies of a chat whose earlier reply is still waiting go after it."""
        outs, held = await self._handle_turn(msg, caps)
        worker = self.services.extra.get("outbox")
        if held:
            log.info("%s replies to update %s wait behind an earlier reply to the chat", msg.channel, msg.update_id)
            outs = [o for o in outs if o.outbox_id is None]  # files are not stored: they are sent now
        if outs:
            await send_replies(self.services.db, outs, msg.chat_id, send, self.services.now, self.sleep,
                               f"{msg.channel} reply to update {msg.update_id}")
        if worker is not None and (held or any(o.outbox_id is not None for o in outs)):
            worker.wake()

    async def delivered(self, outbox_ids: list[int]) -> None:
        """Mark replies sent; called by adapters right after a successful send."""
        if not outbox_ids:
            return
        await mark_sent(self.services.db, outbox_ids, self.services.now())


    async def has_joined(self, msg: Incoming) -> bool:
        """True when the sender is a person of some commune: adapters fetch files only for them, so an
        unknown account cannot fill the file store."""
        async with self.services.db.session() as s:
            row = (await s.exec(select(Identity.id).join(Person, Person.id == Identity.person_id).where(  # type: ignore[arg-type]
                Identity.channel == msg.channel, Identity.external_id == msg.user_id,
                Person.anonymised_at.is_(None)))).first()  # type: ignore[union-attr]
        return row is not None

    async def _route(self, turn: Turn) -> None:
        msg = turn.incoming
        if msg.chat_type != "private":
            turn.reply(_("I only work in private chats. Please message me directly."))
            return
        if msg.edited:
            turn.reply(_("I do not read edited messages. Please send the correction as a new message."))
            return
        state = turn.state
        if state.flow and state.updated_at and turn.now - state.updated_at > IDLE_EXPIRY:
            engine.close(turn, expired=True)  # a view left open closes quietly; a flow collecting data says so
        if msg.text is not None and is_blank(msg.text):  # spaces or zero-width characters only
            msg = turn.incoming = replace(msg, text=None)
        parsed = parse_command(msg.text, self.services.bot_usernames.get(msg.channel))
        if parsed is None and (msg.text or "").startswith("/"):
            turn.reply(_("I do not know that command. Type /trogiup to see what I can do."))
            return
        if parsed is not None:
            await route_command(turn, parsed[0], parsed[1])
            return
        if await offered_mod.typed_offer(turn):  # "1" or "đã gửi" after a reminder: as the button's tap
            return
        for action in self.actions:
            if await action(turn):
                return
        from handlers.evidence import handle_media

        if await handle_media(turn):  # photos and documents kept where a flow takes them; the rest named
            return
        if state.flow and await engine.feed(turn):
            return
        await route_free_message(turn)


def _reply_rows(msg: Incoming, outs: list[Outgoing], now: datetime, held: bool = False,
                files: BlobStore | None = None) -> tuple[list[dict[str, Any]], list[int]]:
    """The outbox rows keeping a durable copy of each reply (written in the same transaction, or the same
    statement, as the change that caused it), and the indexes in ``outs`` of the replies they keep.

    The adapter sends at once and marks it delivered; if the process dies first, the outbox worker
    sends it after REPLY_GRACE. ``held`` (an earlier reply to the chat is still waiting): due at once, the
    worker sends them after it. A file reply (an export, a chart) is kept in the file store ``files``
    and its row names it; one that cannot be kept (no store, too large) is sent without a row."""
    rows: list[dict[str, Any]] = []
    kept: list[int] = []
    for i, o in enumerate(outs):
        try:
            payload = to_payload(o, files)
        except ValueError as exc:
            log.warning("reply file not kept for the outbox (%s); sent without a durable copy", exc)
            continue
        kept.append(i)
        rows.append({"key": f"reply:{msg.channel}:{msg.update_id}:{i}", "channel": msg.channel,
                     "chat_id": o.chat_id or msg.chat_id, "payload": payload,
                     "next_attempt_at": now if held else now + REPLY_GRACE, "created_at": now})
    return rows, kept


class _TurnSession:
    """The turn's ORM session, made on first use, bound to the turn's connection (it joins the turn's
    transaction: the dispatcher commits the connection). The sender's ``Person`` goes into it when it is
    made, or at the end of the turn if a flow changed the person without using the session."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.session: AsyncSession | None = None
        self.person: Person | None = None

    def open(self) -> AsyncSession:
        if self.session is None:
            self.session = AsyncSession(bind=self.conn, expire_on_commit=False)
            if self.person is not None:
                self.session.add(self.person)
        return self.session

    async def flush(self, person: Person | None) -> None:
        if self.session is None and person is not None and inspect(person).modified:
            self.open()
        if self.session is not None:
            if person is not None and person is not self.person and inspect(person).modified:
                self.session.add(person)
            await self.session.flush()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


async def _person_for(conn: AsyncConnection, msg: Incoming, row: Any, final: Final | None
                      ) -> tuple[Person | None, UnitRef | None]:
    """The sender from the turn's first row (storage.hot.begin_turn): the person is the only ORM object
    (flows read and change it; it joins the turn's session, see ``_TurnSession``); the identity's and
    unit's few columns are plain values: the unit's go to ``turn.unit``, the identity's last-seen time and
    chat id are updated with a Core statement only when they changed (hourly last-seen, new chat; on
    PostgreSQL in the turn's last statement, ``final``)."""
    person = hot.person_from(row)
    if person is None or person.anonymised_at is not None:
        return None, None
    if person.last_channel != msg.channel:
        person.last_channel = msg.channel
    last_seen_at = row.identity_last_seen_at
    seen = msg.received_at if msg.received_at - last_seen_at > timedelta(hours=1) else None  # not every message
    if seen is not None or row.identity_chat_id != msg.chat_id:
        if final is not None:  # written with the rest of the turn
            final.identity(row.identity_id, seen or last_seen_at, msg.chat_id)
        else:
            await hot.touch_identity(conn, row.identity_id, seen or last_seen_at, msg.chat_id)
    unit = UnitRef(row.unit_ref_id, row.unit_kind, row.unit_name) if row.unit_ref_id is not None else None
    return person, unit


def _remember_offer(turn: Turn, parts: list[list[Outgoing]], sent: list[Outgoing]) -> None:
    """The last message of this turn that shows choices decides what a typed number means next."""
    last = max((i for i, o in enumerate(turn.out) if o.choices), default=None)
    if last is None:
        return  # no choices shown: earlier ones still apply
    index = sum(len(group) for group in parts[:last + 1]) - 1  # its last part carries the choices
    ref = f"outbox:{sent[index].outbox_id}" if sent[index].outbox_id is not None else f"reply:{turn.incoming.update_id}"
    turn.offered = offered_mod.add_offer(turn.offered, turn.out[last], turn.now, ref)


async def _save_state(conn: AsyncConnection, state: ChatState, version: int, turn: Turn) -> None:
    # without a flow: the language chosen, and the last question for a follow-up typed alone (handlers/ask/followup)
    data = state.data if state.flow else {k: v for k, v in state.data.items() if k in ("_locale", "_asked")}
    if turn.offered is not None:
        data = {**data, offered_mod.KEY: turn.offered}
    if turn.final is not None:  # PostgreSQL: the state, the claim, the replies and the rest in one statement
        turn.final.state(state.id, version, {"flow": state.flow, "step": state.step, "data": data,
                                             "updated_at": turn.now}, state.chat_id)
        ok = await hot_pg.finish_turn(conn, turn.final)
    elif state.id is None:
        ok = await hot.insert_state(conn, {"channel": state.channel, "chat_id": state.chat_id, "version": 1,
                                           "flow": state.flow, "step": state.step, "data": data,
                                           "updated_at": turn.now})
    else:
        ok = await hot.update_state(conn, state.id, version, state.flow, state.step, data, turn.now)
    if not ok:
        raise StaleState()


def render(out: list[Outgoing], caps: Capabilities) -> list[Outgoing]:
    """Adapt replies to a channel: numbered choices where there are no buttons; split long text."""
    rendered: list[Outgoing] = []
    for o in out:
        text, choices = o.text, o.choices
        if choices and not caps.buttons:
            lines = [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
            text = f"{text}\n\n" + "\n".join(lines) + "\n" + _("(type the number or the words of your choice)")
            choices = ()
        parts = split_text(text, caps.max_text)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            rendered.append(Outgoing(text=part, choices=choices if last else (),
                                     document=o.document if last else None, photo=o.photo if last else None,
                                     request_contact=o.request_contact and last, chat_id=o.chat_id,
                                     outbox_id=o.outbox_id))
    return rendered


def split_text(text: str, limit: int) -> list[str]:
    """Split at line boundaries, then at spaces, then hard, so no part exceeds ``limit``."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def choice_list(pairs: list[tuple[str, str]]) -> tuple[Choice, ...]:
    return tuple(Choice(label, payload) for label, payload in pairs)
