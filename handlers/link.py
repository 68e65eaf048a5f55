"""/lienket: one person on both channels (one-time link codes) and where reminders should go."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from handlers.turn import Turn
from locales.i18n import _, use_locale
from locales.textnorm import fold
from storage.invites import create_link_code, normalize_code
from storage.models import AuditLog, Identity, LinkCode, Person

__all__ = ["CHANNELS", "LINK_TTL", "link_cmd", "try_link_code"]

LINK_TTL = timedelta(minutes=15)
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo"}
_CHANNEL_WORDS = {"telegram": "telegram", "tg": "telegram", "tele": "telegram", "zalo": "zalo"}
CODE_LENGTH = 6


def _label(channel: str) -> str:
    return CHANNELS.get(channel, channel)


def _other(channel: str) -> str:
    return next((c for c in CHANNELS if c != channel), channel)


async def link_cmd(turn: Turn, args: str) -> None:
    """``/lienket``: a code for the other channel; ``/lienket CODE``: use one; ``/lienket zalo``: reminders."""
    arg = args.strip()
    wanted = _CHANNEL_WORDS.get(fold(arg))
    if turn.person is None:
        if arg and wanted is None:
            if not await try_link_code(turn, arg):
                turn.reply(
                    _(
                        "I could not find the link code {code}. Send /lienket on the channel where you "
                        "are already registered to get a new one.",
                        code=normalize_code(arg),
                    )
                )
            return
        turn.reply(
            _(
                "To link this account: send /lienket to the bot on the channel where you are already "
                "registered, then send the code you get here, like this: /lienket CODE"
            )
        )
        return
    if wanted is not None:
        await _prefer(turn, wanted)
        return
    if arg:
        turn.reply(
            _(
                "This {channel} account is already registered as {name}, so there is nothing to link "
                "here. Send the code from your other account instead.",
                channel=_label(turn.incoming.channel),
                name=turn.person.name,
            )
        )
        return
    await _new_code(turn)


async def _new_code(turn: Turn) -> None:
    person = turn.person
    assert person is not None
    link = await create_link_code(turn.session, person, minutes=int(LINK_TTL.total_seconds() // 60))
    link.expires_at = turn.now + LINK_TTL  # the turn's clock is the one codes are checked against
    turn.session.add(link)
    other = _label(_other(turn.incoming.channel))
    lines = [
        _(
            "Your link code is {code}. It works once, for {minutes} minutes.",
            code=link.code,
            minutes=int(LINK_TTL.total_seconds() // 60),
        ),
        _("Open the bot on {other} and send: /lienket {code}", other=other, code=link.code),
        _("(On Zalo you can also just send the code.)"),
    ]
    idents = await _identities(turn, person)
    if len({i.channel for i in idents}) > 1:
        lines.append(
            _(
                "You are already on both channels. To choose where reminders go, send /lienket "
                "telegram or /lienket zalo."
            )
        )
    turn.reply("\n".join(lines))


async def _identities(turn: Turn, person: Person) -> list[Identity]:
    return list((await turn.session.exec(select(Identity).where(Identity.person_id == person.id))).all())


async def _prefer(turn: Turn, channel: str) -> None:
    person = turn.person
    assert person is not None
    if channel not in {i.channel for i in await _identities(turn, person)}:
        turn.reply(
            _(
                "You are not linked on {channel} yet. Send /lienket here to get a code, then send it to "
                "the bot on {channel}.",
                channel=_label(channel),
            )
        )
        return
    if person.preferred_channel != channel:
        turn.session.add(
            AuditLog(
                actor_person_id=person.id,
                action="person.preferred_channel",
                target=f"person:{person.id}",
                detail={"from": person.preferred_channel, "to": channel},
            )
        )
    person.preferred_channel = channel
    turn.session.add(person)
    turn.reply(_("Done: from now on I will send your reminders on {channel}.", channel=_label(channel)))


async def try_link_code(turn: Turn, text: str) -> bool:
    """Use ``text`` as a link code for this unregistered identity; False if no such code exists."""
    code = normalize_code(text)
    if len(code) != CODE_LENGTH:
        return False
    s, msg = turn.session, turn.incoming
    link = await s.get(LinkCode, code)
    if link is None:
        return False
    person = await s.get(Person, link.person_id)
    if person is None or person.anonymised_at is not None:
        return False
    if link.used_at is not None:
        turn.reply(
            _(
                "This link code has already been used. Send /lienket on your registered account to get "
                "a new one."
            )
        )
        return True
    if link.expires_at <= turn.now:
        turn.reply(
            _(
                "This link code has expired (codes work for {minutes} minutes). Send /lienket on your "
                "registered account to get a new one.",
                minutes=int(LINK_TTL.total_seconds() // 60),
            )
        )
        return True
    if any(i.channel == msg.channel for i in await _identities(turn, person)):
        turn.reply(
            _(
                "This code is for linking your other channel: you are already registered on {channel} "
                "with another account.",
                channel=_label(msg.channel),
            )
        )
        return True
    claimed = await s.exec(
        update(LinkCode)
        .where(  # type: ignore[call-overload]
            LinkCode.code == code, LinkCode.used_at.is_(None)
        )
        .values(used_at=turn.now)
    )  # type: ignore[union-attr]
    if not claimed.rowcount:  # someone used it a moment ago
        turn.reply(
            _(
                "This link code has already been used. Send /lienket on your registered account to get "
                "a new one."
            )
        )
        return True
    stale = (
        await s.exec(
            select(Identity).where(Identity.channel == msg.channel, Identity.external_id == msg.user_id)
        )
    ).first()
    if stale is not None:  # left behind by an anonymised person
        await s.delete(stale)
        await s.flush()
    s.add(
        Identity(
            person_id=person.id,
            channel=msg.channel,
            external_id=msg.user_id,  # type: ignore[arg-type]
            chat_id=msg.chat_id,
            display_name=(msg.display_name or "")[:120] or None,
            created_at=turn.now,
            last_seen_at=turn.now,
        )
    )
    person.last_channel = msg.channel
    s.add(person)
    s.add(
        AuditLog(
            actor_person_id=person.id,
            action="identity.link",
            target=f"{msg.channel}:{msg.user_id}",
            detail={"channel": msg.channel, "via": "link_code"},
        )
    )
    turn.person = person
    turn.state.data.pop("_locale", None)
    with use_locale(person.locale):
        turn.reply(
            _(
                "Welcome, {name}! This {channel} account is now linked to your registration; "
                "everything you send here counts for you as before. Type /trogiup to see what you "
                "can do.",
                name=person.name,
                channel=_label(msg.channel),
            )
        )
    return True
