"""The one entry point every channel calls: dedupe, load state, route, save state, render replies."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from bot.errors import ChannelError
from handlers import engine
from handlers.commands import parse_command
from handlers.messages import Capabilities, Choice, Incoming, Outgoing
from handlers.outbox_payload import to_payload
from handlers.routes import route_command, route_free_message
from handlers.services import Services
from handlers.turn import Turn
from locales.i18n import _, use_locale
from storage.models import ConversationState, Identity, Outbox, Person, ProcessedUpdate
from storage.sqlutil import insert_ignore, update_if_version

__all__ = ["Dispatcher", "render"]

log = logging.getLogger(__name__)
IDLE_EXPIRY = timedelta(hours=24)
# How long a reply's durable copy waits for the direct send before the outbox worker takes over.
REPLY_GRACE = timedelta(seconds=float(os.environ.get("CDSBOT_REPLY_GRACE_SECONDS", "120")))


class StaleState(Exception):
    """Another worker saved this chat's state first; the turn is retried."""


class Dispatcher:
    def __init__(self, services: Services) -> None:
        import handlers.flows  # noqa: F401  (every flow registered before the first update)

        self.services = services

    async def handle(self, msg: Incoming, caps: Capabilities) -> list[Outgoing]:
        """Handle one update exactly once and return what to send back (already rendered)."""
        for _attempt in range(5):
            try:
                return await self._handle_once(msg, caps)
            except StaleState:
                continue
        log.warning("giving up on update %s after repeated state conflicts", msg.update_id)
        return []

    async def _handle_once(self, msg: Incoming, caps: Capabilities) -> list[Outgoing]:
        db = self.services.db
        async with db.transaction() as s:
            if not await insert_ignore(s, ProcessedUpdate, {
                    "channel": msg.channel, "update_key": msg.update_id, "processed_at": self.services.now()}):
                return []  # redelivered update: already handled
            person = await _person_for(s, msg)
            state = (await s.exec(select(ConversationState).where(
                ConversationState.channel == msg.channel, ConversationState.chat_id == msg.chat_id))).first()
            if state is None:
                state = ConversationState(channel=msg.channel, chat_id=msg.chat_id, data={}, version=0)
            else:
                s.expunge(state)
            version = state.version
            state.data = dict(state.data or {})
            turn = Turn(session=s, incoming=msg, state=state, person=person, now=self.services.now(),
                        services=self.services, caps=caps)
            locale = person.locale if person else (
                state.data.get("_locale")
                or ("en" if (msg.language_code or "").startswith("en") else self.services.default_locale))
            with use_locale(locale):
                await self._route(turn)
            await _save_state(s, state, version, turn)
            out = await _to_outbox(s, msg, render(turn.out, caps), turn.now)
        for callback in turn.after_commit:
            callback()
        return out

    async def respond(self, msg: Incoming, caps: Capabilities,
                      send: Callable[[str, Outgoing], Awaitable[str]]) -> None:
        """Handle ``msg`` and send the replies with the adapter's ``send``, marking each delivered.

        A reply that fails to send stays in the outbox, where the worker retries it."""
        delivered: list[int] = []
        try:
            for out in await self.handle(msg, caps):
                await send(out.chat_id or msg.chat_id, out)
                if out.outbox_id is not None:
                    delivered.append(out.outbox_id)
        except ChannelError as exc:
            log.warning("%s reply to update %s not sent now: %s", msg.channel, msg.update_id, exc)
        finally:
            await self.delivered(delivered)

    async def delivered(self, outbox_ids: list[int]) -> None:
        """Mark replies sent; called by adapters right after a successful send."""
        if not outbox_ids:
            return
        async with self.services.db.transaction() as s:
            await s.exec(update(Outbox).where(Outbox.id.in_(outbox_ids), Outbox.status == "pending")  # type: ignore[call-overload,union-attr]
                         .values(status="sent", sent_at=self.services.now()))


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
            turn.end_flow()
            turn.reply(_("Your unfinished conversation expired after 24 hours without an answer; "
                         "please start again."))
        parsed = parse_command(msg.text, self.services.bot_usernames.get(msg.channel))
        if parsed is None and (msg.text or "").startswith("/"):
            turn.reply(_("I do not know that command. Type /trogiup to see what I can do."))
            return
        if parsed is not None:
            await route_command(turn, parsed[0], parsed[1])
            return
        from reminders.actions import handle_reminder_action

        if await handle_reminder_action(turn):
            return
        flow = engine.registry.get(state.flow or "")
        if flow and msg.media and not msg.text and flow.meta.get("accepts_media"):
            state.data.setdefault("media", []).extend(
                [m.kind, m.ref, m.caption] for m in msg.media if m.kind == "photo")
            turn.reply(_("Photo kept; it will be saved with this log."))
            return
        if state.flow and await engine.feed(turn):
            return
        await route_free_message(turn)


async def _to_outbox(session, msg: Incoming, outs: list[Outgoing], now: datetime) -> list[Outgoing]:  # noqa: ANN001
    """Keep a durable copy of each text reply, in the same transaction as the change that caused it.

    The adapter sends at once and marks it delivered; if the process dies first, the outbox worker
    sends it after REPLY_GRACE. File replies are not kept (they can be asked for again)."""
    result = []
    for i, o in enumerate(outs):
        if o.document is not None or o.photo is not None:
            result.append(o)
            continue
        row = Outbox(key=f"reply:{msg.channel}:{msg.update_id}:{i}", channel=msg.channel,
                     chat_id=o.chat_id or msg.chat_id, payload=to_payload(o), status="pending",
                     next_attempt_at=now + REPLY_GRACE, created_at=now)
        session.add(row)
        await session.flush()
        result.append(replace(o, outbox_id=row.id))
    return result

async def _person_for(session, msg: Incoming) -> Person | None:  # noqa: ANN001
    row = (await session.exec(select(Person, Identity).join(Identity, Identity.person_id == Person.id).where(
        Identity.channel == msg.channel, Identity.external_id == msg.user_id))).first()
    if row is None:
        return None
    person, identity = row
    if person.anonymised_at is not None:
        return None
    if person.last_channel != msg.channel:
        person.last_channel = msg.channel
    if msg.received_at - identity.last_seen_at > timedelta(hours=1):  # avoid a write on every message
        identity.last_seen_at = msg.received_at
    if identity.chat_id != msg.chat_id:
        identity.chat_id = msg.chat_id
    return person


async def _save_state(session, state: ConversationState, version: int, turn: Turn) -> None:  # noqa: ANN001
    data = state.data if state.flow else {k: v for k, v in state.data.items() if k == "_locale"}
    values = {"flow": state.flow, "step": state.step, "data": data,
              "updated_at": turn.now}
    if state.id is None:
        ok = await insert_ignore(session, ConversationState, {
            "channel": state.channel, "chat_id": state.chat_id, "version": 1, **values})
    else:
        ok = await update_if_version(session, ConversationState, state.id, version, values)
    if not ok:
        raise StaleState()


def render(out: list[Outgoing], caps: Capabilities) -> list[Outgoing]:
    """Adapt replies to a channel: numbered choices where there are no buttons; split long text."""
    rendered: list[Outgoing] = []
    for o in out:
        text, choices = o.text, o.choices
        if choices and not caps.buttons:
            lines = [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
            text = f"{text}\n\n" + "\n".join(lines) + "\n" + _("(reply with a number)")
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
