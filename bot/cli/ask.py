"""`cdsbot ask`: a question in plain words answered as in chat, without chat (read-only)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.common import moment

__all__ = ["add_ask_commands", "ask_once"]


async def ask_once(db: Any, commune_name: str | None, role: str, question: str, unit_name: str | None = None,
                   now: Any = None, locale: str = "vi", province: str | None = None) -> dict[str, Any]:
    """Understand and answer ``question`` as a person of ``role`` (of ``unit_name``) in the commune, or as
    the office of ``province`` (role "province"); nothing is stored (the session is rolled back)."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from handlers.ask.chat import ask
    from handlers.messages import Capabilities, Incoming
    from handlers.services import Services
    from handlers.turn import ChatState, Turn, UnitRef
    from locales.i18n import use_locale
    from storage.models import Person, Unit
    from storage.units import require_commune

    services = Services(db=db)
    when = now or datetime.now(UTC)
    async with db.session() as s:
        province_id = None
        if role == "province":  # anchored, as when it joins, on the province's first commune
            from storage.province import province_communes, require_province

            found = await require_province(s, province or "")
            province_id = found.id
            communes = await province_communes(s, found.id)  # type: ignore[arg-type]
            if not communes:
                raise LookupError(f"no commune in {found.name}")
            commune = communes[0]
        else:
            commune = await require_commune(s, commune_name or "")
        unit = None
        if unit_name:
            from handlers.ask.entities import UnitName, find_units

            units = {u.id: u for u in (await s.exec(select(Unit).where(Unit.commune_id == commune.id))).all()}
            named, _ambiguous = find_units(unit_name, [UnitName(u.id, u.name, u.kind) for u in units.values()],
                                           commune.name)  # type: ignore[arg-type]
            unit = units[named[0].id] if len(named) == 1 else None
            if unit is None:
                raise LookupError(f"no unit {unit_name!r} in {commune.name}")
        person = Person(id=0, commune_id=commune.id, unit_id=unit.id if unit else None, name="cli", role=role,
                        locale=locale, province_id=province_id)
        msg = Incoming(channel="cli", user_id="cli", chat_id="cli", update_id="cli", received_at=when,
                       text=question)
        turn = Turn(session=s, incoming=msg, state=ChatState("cli", "cli"), person=person, now=when,
                    services=services, caps=Capabilities(buttons=False, max_text=4000),
                    unit=UnitRef(unit.id, unit.kind, unit.name) if unit and unit.id else None)  # type: ignore[arg-type]
        with use_locale(locale):
            understood, answer = await ask(turn, question)
            made = [o.text for o in turn.out]
        await s.rollback()
    return understood.as_dict() | {"answer": answer.text or "\n".join(made),
                                   "choices": [label for label, _q in answer.follow + answer.payload_choices],
                                   "facts": answer.facts}


async def _ask(args: argparse.Namespace) -> int:
    from bot.cli.common import with_db
    from storage.errors import CdsbotError

    if (args.role == "province") != bool(args.province) or args.role != "province" and not args.commune:
        print("error: give --commune, or --as province with --province", file=sys.stderr)
        return 2
    if args.role in ("member", "officer") and not args.unit:
        print(f"error: --as {args.role} needs --unit (their village or office)", file=sys.stderr)
        return 2

    async def run(db: Any) -> int:
        try:
            out = await ask_once(db, args.commune, args.role, args.question, args.unit, now=args.at,
                                 locale=args.locale, province=args.province)
        except (LookupError, CdsbotError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(out, ensure_ascii=False, default=str))
        else:
            print(f"intent: {out['intent']}")
            print("entities: " + json.dumps({k: v for k, v in out["entities"].items() if v},
                                            ensure_ascii=False))
            print(out["answer"])
            for i, label in enumerate(out["choices"], 1):
                print(f"  {i}. {label}")
        return 0

    return await with_db(run)


def add_ask_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ask", help="answer a question in plain words, as the bot would in chat")
    p.add_argument("question")
    p.add_argument("--commune", help="the asker's commune (not for --as province)")
    p.add_argument("--as", dest="role", default="lead", choices=("member", "officer", "lead", "admin", "province"))
    p.add_argument("--province", help="with --as province: the province office asking")
    p.add_argument("--unit", help="the asker's unit (a member's village, an officer's office)")
    p.add_argument("--locale", default="vi", choices=("vi", "en"))
    p.add_argument("--at", type=moment, help="answer as at this moment (ISO, with its offset), default now")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=_ask)
