"""Joining: invite codes (deep link or typed), phone-contact matching, consent, and /moi."""

from __future__ import annotations

import re

from sqlmodel import select

from handlers import engine
from handlers.help import explain_joining, help_cmd
from handlers.messages import Choice
from handlers.textcheck import clean_name
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from locales.textcut import shorten
from locales.textnorm import fold, unit_key
from storage.errors import InputError
from storage.invites import InviteProblem, check_invite, create_invite, normalize_code
from storage.models import ROLES, AuditLog, Commune, Identity, Invite, Person, Province, Unit
from storage.org_import import clean_phone
from storage.people import listed_candidates, move_post, name_key
from storage.units import created_moment

__all__ = ["handle_unregistered", "invite_cmd", "start_cmd"]

CONSENT_VERSION = "2026-01"
_CODE_RE = re.compile(r"^[A-Za-z0-9]{6,12}$")


async def start_cmd(turn: Turn, args: str) -> None:
    if args and turn.person is None:
        await _try_code(turn, args)
        return
    if turn.person is None:
        explain_joining(turn)
        return
    turn.reply(_("Welcome back, {name}! Type /trogiup to see what you can do.", name=turn.person.name))


async def handle_unregistered(turn: Turn) -> None:
    msg = turn.incoming
    if msg.contact_phone:
        await _try_contact(turn)
        return
    text = (msg.text or "").strip()
    if len(text) == 6 and _CODE_RE.match(text):  # a link code from the person's other channel?
        from handlers.link import try_link_code

        if await try_link_code(turn, text):
            return
    if _CODE_RE.match(text):
        known = await turn.session.get(Invite, normalize_code(text))
        if known is not None or any(c.isdigit() for c in text):
            await _try_code(turn, text)
            return
    explain_joining(turn)


async def _try_code(turn: Turn, code: str) -> None:
    try:
        invite = await check_invite(turn.session, code, turn.now)
    except InviteProblem as p:
        turn.reply({
            "unknown": _("I could not find the invite code {code}. Please check it with the lead office.",
                         code=normalize_code(code)),
            "expired": _("This invite code has expired. Please ask the lead office for a new one."),
            "used": _("This invite code has already been used. Please ask the lead office for a new one."),
        }[p.reason])
        return
    unit = await turn.session.get(Unit, invite.unit_id) if invite.unit_id else None
    province = await turn.session.get(Province, invite.province_id) if invite.province_id else None
    where = unit.name if unit else province.name if province else ""
    await engine.start(turn, "join", {"invite": invite.code, "unit_name": where,
                                      "unit_id": invite.unit_id,
                                      "role": invite.role, "display_name": turn.incoming.display_name,
                                      **_chosen_locale(turn)})


async def _try_contact(turn: Turn) -> None:
    msg = turn.incoming
    if msg.contact_user_id and msg.contact_user_id != msg.user_id:
        turn.reply(_("Please share your own contact, not someone else's."))
        return
    phone = clean_phone(msg.contact_phone or "")
    people = (await turn.session.exec(select(Person).where(
        Person.phone == phone, Person.anonymised_at.is_(None)))).all() if phone else []  # type: ignore[union-attr]
    if len(people) > 1:  # the same human listed twice, or a family sharing one phone
        joined = set((await turn.session.exec(select(Identity.person_id).where(
            Identity.person_id.in_([p.id for p in people])))).all())  # type: ignore[attr-defined]
        free = [p for p in people if p.id not in joined]
        if len(free) > 1 and len({name_key(p.name) for p in free}) > 1:
            turn.reply(_("Several people on the commune's list share this phone number, so I cannot tell "
                         "which one you are. Please ask the lead office for an invite code."))
            return
        people = free[:1]
    if len(people) != 1:
        turn.reply(_("Your phone number is not on the commune's list. Please ask the lead office for an "
                     "invite code."))
        return
    person = people[0]
    unit = await turn.session.get(Unit, person.unit_id) if person.unit_id else None
    await engine.start(turn, "join", {"person_id": person.id, "name": person.name,
                                      "unit_name": unit.name if unit else "", "role": person.role,
                                      **_chosen_locale(turn)})


def _chosen_locale(turn: Turn) -> dict[str, str]:
    """The language a stranger picked with /ngonngu, kept through joining (engine.start resets data)."""
    return {"_locale": turn.data["_locale"]} if turn.data.get("_locale") else {}


def _role_label(role: str) -> str:
    return {"member": _("village team member"), "officer": _("unit officer"),
            "lead": _("lead office"), "admin": _("administrator"),
            "province": _("province office (read-only)")}.get(role, role)


def _name_prompt(turn: Turn) -> engine.Prompt:
    name = clean_name(turn.data.get("display_name") or "")
    choices = (Choice(shorten(name, 60), "__display__"),) if name else ()
    return engine.Prompt(_("This code lets you join {unit} as {role}. What is your full name?",
                           unit=turn.data["unit_name"], role=_role_label(turn.data["role"])), choices)


# Answers to other questions that are not names ("đồng ý" typed at the name question).
_NOT_NAMES = frozenset((
    "dong y", "toi dong y", "khong dong y", "toi khong dong y", "co", "khong", "khong co", "ok", "oke",
    "okay", "yes", "no", "vang", "da", "u", "uh", "um", "dung", "dung roi", "sai", "chua", "roi", "xong",
    "xac nhan", "huy", "chap nhan", "tu choi", "bo qua", "tiep tuc", "xin chao", "chao", "chao ban",
    "hello", "hi", "cam on", "i agree", "i do not agree", "agree", "thanh vien", "can bo", "lanh dao",
    "ten toi", "ho ten", "ho va ten", "khong biet", "test", "thu",
))


def _is_name(name: str) -> bool:
    from handlers.commands import parse_command

    key = name_key(name)
    return key not in _NOT_NAMES and parse_command(name) is None and parse_command("/" + key) is None


async def _parse_name(turn: Turn, answer: engine.Answer) -> str:
    for key in ("match_id", "candidates", "phone_proven"):
        turn.data.pop(key, None)
    if turn.incoming.contact_phone and (listed := await _listed_by_contact(turn)):
        turn.data["match_id"] = listed.id  # the phone on the list: no need to ask who they are
        turn.data["phone_proven"] = True
        return listed.name
    text = turn.data.get("display_name") if answer.choice == "__display__" else answer.text
    name = clean_name(text or "")  # letters only: not a number or markup
    if name is None or normalize_code(name) == turn.data.get("invite"):  # nor the code sent again
        raise InputError(_("Please write your full name (2 to 80 letters), e.g. Nguyễn Văn An."))
    if not _is_name(name):
        raise InputError(_("“{text}” does not look like a name. Please write your full name, "
                           "e.g. Nguyễn Văn An.", text=name))
    if unit_id := turn.data.get("unit_id"):
        found = await listed_candidates(turn.session, unit_id, name)
        turn.data["candidates"] = [[p.name, str(p.id)] for p, _exact in found[:8]]
    return name


async def _listed_by_contact(turn: Turn) -> Person | None:
    """The listed, not yet joined person of the invite's unit whose phone was just shared."""
    msg = turn.incoming
    phone = clean_phone(msg.contact_phone or "")
    if not phone or (msg.contact_user_id and msg.contact_user_id != msg.user_id) or not turn.data.get("unit_id"):
        return None
    people = (await turn.session.exec(select(Person).where(
        Person.unit_id == turn.data["unit_id"], Person.phone == phone,
        Person.anonymised_at.is_(None)))).all()  # type: ignore[union-attr]
    free = [p for p in people if not (await turn.session.exec(
        select(Identity.id).where(Identity.person_id == p.id))).first()]
    return free[0] if len(free) == 1 else None


def _match_prompt(turn: Turn) -> engine.Prompt:
    cands = turn.data.get("candidates") or []
    unit = turn.data["unit_name"]
    if len(cands) == 1:
        return engine.Prompt(
            _("{unit}'s list has someone with this name. Are you {name}, {unit}?", name=cands[0][0], unit=unit),
            (Choice(_("Yes, that is me"), cands[0][1]), Choice(_("No, I am someone else"), "new")))
    return engine.Prompt(
        _("{unit}'s list has several people with a name like this. Which one are you?", unit=unit),
        (*(Choice(n, i) for n, i in cands), Choice(_("None of these"), "new")))


def _parse_match(turn: Turn, answer: engine.Answer) -> int | None:
    ids = [i for _n, i in turn.data.get("candidates") or []]
    if answer.choice == "new":
        return None
    if answer.choice not in ids:
        raise InputError(_("Please answer with one of the options below."))
    return int(answer.choice)


def _consent_prompt(turn: Turn) -> engine.Prompt:
    return engine.Prompt(
        _("Before you join: I store your name, phone number (if given), unit, role and your chat account "
          "so the commune can compile its digital-transformation reports (Law 91/2025/QH15 on personal "
          "data protection). Only the lead office sees your details; other members never see your phone "
          "number. You can ask for your data with /dulieucuatoi and leave at any time. Do you agree?"),
        (Choice(_("I agree"), "yes"), Choice(_("I do not agree"), "no")))


def _parse_consent(turn: Turn, answer: engine.Answer) -> bool:
    if answer.choice not in ("yes", "no"):
        raise InputError(_("Please answer with one of the options below."))
    return answer.choice == "yes"


async def _finish_join(turn: Turn) -> None:
    if not turn.data.get("consent"):
        turn.reply(_("Understood. Nothing about you was stored. You can join later with the same code."))
        return
    s, msg = turn.session, turn.incoming
    if turn.data.get("person_id"):
        person = await s.get(Person, turn.data["person_id"])
    else:
        invite = await s.get(Invite, turn.data["invite"])
        if invite is None or invite.uses_left <= 0 or invite.expires_at <= turn.now:
            turn.reply(_("This invite code can no longer be used. Please ask the lead office for a new one."))
            return
        invite.uses_left -= 1
        person = await _still_listed(turn, invite)
        commune = await s.get(Commune, invite.commune_id)
        assert commune is not None
        if person is not None:  # the listed record becomes this human's one record: no twin
            move_post(s, commune, person, person.unit_id,
                      _joined_role(person.role, invite.role, bool(turn.data.get("phone_proven"))), turn.now)
        else:  # on the unit's staff from now, if the commune already reports (``storage.people.staff``)
            person = Person(commune_id=invite.commune_id, unit_id=invite.unit_id, name=turn.data["name"],
                            role=invite.role, province_id=invite.province_id,
                            joined_at=created_moment(commune, turn.now) if invite.unit_id is not None else None)
            s.add(person)
        person.locale = "en" if (msg.language_code or "").startswith("en") else "vi"
    assert person is not None
    person.consent_at, person.consent_version = turn.now, CONSENT_VERSION
    person.last_channel = msg.channel
    if locale := turn.data.get("_locale"):
        person.locale = locale
    await s.flush()
    s.add(Identity(person_id=person.id, channel=msg.channel, external_id=msg.user_id,  # type: ignore[arg-type]
                   chat_id=msg.chat_id, display_name=(msg.display_name or "")[:120] or None))
    s.add(AuditLog(actor_person_id=person.id, action="join", target=f"{msg.channel}:{msg.user_id}",
                   detail={"via": "invite" if turn.data.get("invite") else "contact", "role": person.role,
                           "listed": bool(turn.data.get("match_id") or turn.data.get("person_id"))}))
    turn.person = person
    turn.reply(_("Welcome, {name}! You are now registered with {unit}.", name=person.name,
                 unit=turn.data["unit_name"]))
    await help_cmd(turn)


def _joined_role(listed: str, invited: str, phone_proven: bool) -> str:
    """The higher of the two roles, except that a lead or admin role on the list is only taken up
    with an invite of that rank (the admin's) or a shared contact proving the listed phone: claiming
    a listed name must not grant privileges."""
    rank = {r: i for i, r in enumerate(ROLES)}
    role = max((listed, invited), key=lambda r: rank.get(r, 0))
    privileged = role in ("lead", "admin") and rank.get(invited, 0) < rank[role]
    return invited if privileged and not phone_proven else role


async def _still_listed(turn: Turn, invite: Invite) -> Person | None:
    """The listed person this human said they are, if still on the invite's unit and not joined."""
    pid = turn.data.get("match_id")
    person = await turn.session.get(Person, pid) if pid else None
    if person is None or person.unit_id != invite.unit_id or person.anonymised_at is not None:
        return None
    joined = (await turn.session.exec(select(Identity.id).where(Identity.person_id == person.id))).first()
    return None if joined else person


engine.register(engine.Flow(
    name="join",
    first=lambda t: "consent" if t.data.get("person_id") else "name",
    steps={
        "name": engine.Step("name", _name_prompt, _parse_name,
                            lambda t, _v: "match" if t.data.get("candidates") else "consent", "name",
                            allow_empty=True),
        "match": engine.Step("match", _match_prompt, _parse_match, "consent", "match_id"),
        "consent": engine.Step("consent", _consent_prompt, _parse_consent, None, "consent"),
    },
    finish=_finish_join,
    summary_of=lambda t: _("joining"),
))


async def invite_cmd(turn: Turn, args: str) -> None:
    """/moi: a lead picks a unit and gets a code plus, on Telegram, a deep link."""
    assert turn.person is not None
    units = (await turn.session.exec(select(Unit).where(Unit.commune_id == turn.person.commune_id)
                                     .where(Unit.kind.in_(("office", "village")))  # type: ignore[attr-defined]
                                     .order_by(Unit.kind, Unit.name))).all()
    if not units:
        turn.reply(_("There are no units yet. Import the org list first (cdsbot org import)."))
        return
    await engine.start(turn, "invite", {"units": [[u.name, str(u.id), u.kind] for u in units]})


def _unit_prompt(turn: Turn) -> engine.Prompt:
    units = turn.data["units"]
    return engine.Prompt(_("Which unit is the invite for? (type its number or name)"),
                         tuple(Choice(n, i) for n, i, _k in units[:40]))


def _parse_unit(turn: Turn, answer: engine.Answer) -> int:
    if answer.choice is not None:
        return int(answer.choice)
    key = unit_key(answer.text)  # any spelling of the name: "Phòng VH-XH", "phòng văn hoá – xã hội"
    found = [i for n, i, _k in turn.data["units"] if key and unit_key(n) == key]
    if len(found) != 1:
        raise InputError(_("I could not find that unit in the list. Please type its number."))
    return int(found[0])


def allowed_invite_roles(inviter_role: str, unit_kind: str) -> tuple[str, ...]:
    """Roles an inviter may hand out for a unit: members for villages, officers for offices; lead
    office invites only from the administrator, and only for an office."""
    if unit_kind == "village":
        return ("member",)
    if unit_kind != "office":
        return ()
    return ("officer", "lead") if inviter_role == "admin" else ("officer",)


def _unit_kind(turn: Turn) -> str:
    return next((k for _n, i, k in turn.data["units"] if int(i) == turn.data["unit_id"]), "office")


def _role_prompt(turn: Turn) -> engine.Prompt:
    roles = allowed_invite_roles(turn.person.role if turn.person else "", _unit_kind(turn))
    return engine.Prompt(_("Which role?"), tuple(Choice(_role_label(r), r) for r in roles))


def _parse_role(turn: Turn, answer: engine.Answer) -> str:
    roles = allowed_invite_roles(turn.person.role if turn.person else "", _unit_kind(turn))
    if answer.choice in roles:
        return answer.choice
    typed = fold(answer.text)
    asked = next((r for r in ROLES if typed and typed in (fold(_role_label(r)), r)), None)
    if asked in ("lead", "admin"):
        raise InputError(_("Sorry, only the administrator can create invites for the lead office, and only "
                           "for an office. Please pick one of the roles below."))
    if asked is not None:
        raise InputError(_("Sorry, that role does not fit this unit: village teams have members, offices "
                           "have officers. Please pick one of the roles below."))
    raise InputError(_("Please pick one of the roles below."))


async def _finish_invite(turn: Turn) -> None:
    unit = await turn.session.get(Unit, turn.data["unit_id"])
    assert unit is not None and turn.person is not None
    uses = 10 if turn.data["role"] == "member" else 1
    invite = await create_invite(turn.session, unit, turn.data["role"], uses=uses, days=7,
                                 created_by=turn.person.id, now=turn.now)
    turn.session.add(AuditLog(actor_person_id=turn.person.id, action="invite.create", target=invite.code,
                              detail={"unit": unit.name, "role": invite.role, "uses": uses}))
    lines = [_("Invite code for {unit} ({role}): {code}", unit=unit.name, role=_role_label(invite.role),
               code=invite.code),
             _("It can be used {uses} time(s) until {until}.", uses=uses,
               until=fmt_datetime(invite.expires_at, turn.tz))]
    bot_name = turn.services.bot_usernames.get("telegram")
    if bot_name:
        lines.append(_("Telegram link: {link}", link=f"https://t.me/{bot_name}?start={invite.code}"))
    lines.append(_("On Zalo, the person just sends the code to the bot."))
    turn.reply("\n".join(lines))


engine.register(engine.Flow(
    name="invite",
    steps={
        "unit": engine.Step("unit", _unit_prompt, _parse_unit, "role", "unit_id"),
        "role": engine.Step("role", _role_prompt, _parse_role, None, "role"),
    },
    finish=_finish_invite,
    summary_of=lambda t: _("creating an invite"),
))


async def existing_identity(turn: Turn) -> Identity | None:
    msg = turn.incoming
    return (await turn.session.exec(select(Identity).where(
        Identity.channel == msg.channel, Identity.external_id == msg.user_id))).first()
