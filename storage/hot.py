"""The dispatcher's per-update statements, built once as Core statements with bound parameters.

Profiled, building a statement (coercions, cache keys) and the ORM's unit of work cost more than
running it; these are compiled once per dialect and executed on the turn's connection, so the
update's claim, state, replies and CAS save stay in its one transaction (SQLite; on PostgreSQL the
dispatcher writes them in one statement: storage.hot_pg)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    any_,
    bindparam,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import make_transient_to_detached

from storage.hot_raw import Prepared, run, run_many
from storage.models import ConversationState, Identity, Outbox, Person, ProcessedUpdate, Unit
from storage.sqlutil import dialect_insert, pg_int_array

__all__ = ["TURN", "begin_turn", "claim_update", "insert_replies", "insert_state", "load_state", "mark_sent", "person_from", "reply_backlog",
           "touch_identity", "turn_params", "update_state"]

_STATE = ConversationState.__table__  # type: ignore[attr-defined]
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedUpdate.__table__  # type: ignore[attr-defined]
_IDENTITY = Identity.__table__  # type: ignore[attr-defined]

_LOAD_STATE = select(_STATE.c.id, _STATE.c.flow, _STATE.c.step, _STATE.c.data, _STATE.c.version,
                     _STATE.c.updated_at).where(_STATE.c.channel == bindparam("channel"),
                                                _STATE.c.chat_id == bindparam("chat_id"))
_UPDATE_STATE = (update(_STATE).where(_STATE.c.id == bindparam("row_id"), _STATE.c.version == bindparam("old"))
                 .values(flow=bindparam("flow"), step=bindparam("step"), data=bindparam("data"),
                         version=bindparam("new"), updated_at=bindparam("now")))
_INSERT_REPLY = insert(_OUTBOX).returning(_OUTBOX.c.id)


@functools.cache
def _mark_sent() -> Prepared:
    """PostgreSQL: any number of rows in one prepared statement (the ids as one array parameter)."""
    return Prepared(update(_OUTBOX).where(_OUTBOX.c.id == any_(bindparam("ids", type_=pg_int_array())),
                                          _OUTBOX.c.status == "pending")
                    .values(status="sent", sent_at=bindparam("now"), attempts=_OUTBOX.c.attempts + 1))


# Is an earlier reply to this chat waiting for the worker (it failed, or is due)? A reply still in its
# grace period with no attempt is being sent right now by some worker: not a backlog (a fast user's next
# message, handled by another process before that send is marked, must not be held up by it).
# Uses ix_outbox_chat_status. The LIKE pattern is written into the SQL: SQLite prepares a statement again
# for every run when a LIKE pattern is a bound parameter (its LIKE optimisation depends on the value),
# which made the turn's first statement ~7x slower (~150 us).
_REPLY_KEYS_LIKE = literal_column("'reply:%'")
_REPLY_BACKLOG = (select(_OUTBOX.c.id).where(_OUTBOX.c.channel == bindparam("channel"),
                                             _OUTBOX.c.chat_id == bindparam("chat_id"),
                                             _OUTBOX.c.status == "pending", _OUTBOX.c.key.like(_REPLY_KEYS_LIKE),
                                             or_(_OUTBOX.c.attempts > 0, _OUTBOX.c.next_attempt_at <= bindparam("now")))
                  .limit(1))
_TOUCH_IDENTITY = (update(_IDENTITY).where(_IDENTITY.c.id == bindparam("row_id"))
                   .values(last_seen_at=bindparam("seen"), chat_id=bindparam("chat")))
_MARK_ONE = Prepared(update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.status == "pending")
                     .values(status="sent", sent_at=bindparam("now"), attempts=_OUTBOX.c.attempts + 1))
_REPLY_DEFAULTS = {"person_id": None, "status": "pending", "attempts": 0, "sent_at": None, "error": None}
_REPLY_KEYS = ("key", "channel", "chat_id", "payload", "next_attempt_at", "created_at", *_REPLY_DEFAULTS)
_P_INSERT_REPLY = Prepared(_INSERT_REPLY, _REPLY_KEYS)
_P_UPDATE_STATE = Prepared(_UPDATE_STATE)
_P_LOAD_STATE = Prepared(_LOAD_STATE)
_P_REPLY_BACKLOG = Prepared(_REPLY_BACKLOG)
_P_TOUCH_IDENTITY = Prepared(_TOUCH_IDENTITY)
_STATE_KEYS = ("channel", "chat_id", "version", "flow", "step", "data", "updated_at")
_BY_DIALECT: dict[str, tuple[Prepared, Prepared]] = {}


def _inserts(dialect: str) -> tuple[Prepared, Prepared]:
    """(claim an update id, insert a state row), each INSERT … ON CONFLICT DO NOTHING."""
    if dialect not in _BY_DIALECT:
        ins = dialect_insert(dialect)
        _BY_DIALECT[dialect] = (Prepared(ins(_PROCESSED).on_conflict_do_nothing(),
                                         ("channel", "update_key", "processed_at")),
                                Prepared(ins(_STATE).on_conflict_do_nothing(), _STATE_KEYS))
    return _BY_DIALECT[dialect]


_ONE = select(literal(1).label("one")).subquery("one")
_PERSON_T = Person.__table__  # type: ignore[attr-defined]
_UNIT = Unit.__table__  # type: ignore[attr-defined]
_PERSON_KEYS = tuple(c.key for c in _PERSON_T.c)
# The chat's state row, whether an earlier reply to the chat waits for the worker, and the sender (person,
# their identity on this channel, their unit): one row, NULLs where there is no state or no person. The
# person's columns come as plain values (``person_from`` makes the ORM object without the ORM's loading).
_TURN = (select(_REPLY_BACKLOG.exists().label("backlog"), _STATE.c.id, _STATE.c.flow, _STATE.c.step,
                _STATE.c.data, _STATE.c.version, _STATE.c.updated_at,
                *(c.label(f"person_{c.key}") for c in _PERSON_T.c),
                _IDENTITY.c.id.label("identity_id"), _IDENTITY.c.last_seen_at.label("identity_last_seen_at"),
                _IDENTITY.c.chat_id.label("identity_chat_id"), _UNIT.c.id.label("unit_ref_id"),
                _UNIT.c.kind.label("unit_kind"), _UNIT.c.name.label("unit_name"))
         .select_from(_ONE.outerjoin(_STATE, and_(_STATE.c.channel == bindparam("channel"),
                                                  _STATE.c.chat_id == bindparam("chat_id")))
                      .outerjoin(_IDENTITY, and_(_IDENTITY.c.channel == bindparam("channel"),
                                                 _IDENTITY.c.external_id == bindparam("user_id")))
                      .outerjoin(_PERSON_T, _PERSON_T.c.id == _IDENTITY.c.person_id)
                      .outerjoin(_UNIT, _UNIT.c.id == _PERSON_T.c.unit_id)))
_P_TURN = Prepared(_TURN)
TURN = _TURN  # storage.hot_pg reads it with more columns
_PERSON_AT = 7  # where the person's columns start in a _TURN row
_new_person = Person.__mapper__.class_manager.new_instance  # type: ignore[attr-defined]


async def begin_turn(conn: AsyncConnection, channel: str, key: str, chat_id: str, user_id: str, now: datetime
                     ) -> Any:
    """Claim the update; None if it was already claimed (a redelivery). Else one row: the chat's state
    (``id`` None when the chat has none), ``backlog`` (a reply to the chat waits for the worker, asked at
    the start of the turn) and the sender's person, identity and unit columns (``person_id`` None when
    the sender is nobody known: see ``person_from``). Two statements (on SQLite the claim takes the write
    lock first); PostgreSQL's dispatcher reads the turn with ``storage.hot_pg.read_turn`` instead."""
    params = turn_params(channel, chat_id, user_id, now)
    if not await claim_update(conn, channel, key, now):
        return None
    return (await run(conn, _P_TURN, params)).rows[0]


def turn_params(channel: str, chat_id: str, user_id: str, now: datetime) -> dict[str, Any]:
    return {"channel": channel, "chat_id": chat_id, "user_id": user_id, "now": now}


def person_from(row: Any) -> Person | None:
    """The sender of a ``begin_turn`` row as a persistent-to-be ORM ``Person`` (``session.add`` it): built from
    the row's values as the ORM's loading would, at a fraction of its cost; None if there is no person."""
    if row.person_id is None:
        return None
    person = _new_person()
    person.__dict__.update(zip(_PERSON_KEYS, row[_PERSON_AT:_PERSON_AT + len(_PERSON_KEYS)], strict=True))
    make_transient_to_detached(person)
    return person


async def claim_update(conn: AsyncConnection, channel: str, key: str, now: datetime) -> bool:
    """Record the update id; False if it was already recorded (a redelivery)."""
    result = await run(conn, _inserts(conn.dialect.name)[0], {"channel": channel, "update_key": key, "processed_at": now})
    return bool(result.rowcount)


async def load_state(conn: AsyncConnection, channel: str, chat_id: str) -> Any:
    """The chat's state row (id, flow, step, data, version, updated_at), or None."""
    return (await run(conn, _P_LOAD_STATE, {"channel": channel, "chat_id": chat_id})).first()


async def insert_state(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    result = await run(conn, _inserts(conn.dialect.name)[1], values)
    return bool(result.rowcount)


async def update_state(conn: AsyncConnection, row_id: int, version: int, flow: str | None, step: str | None,
                       data: dict[str, Any], now: datetime) -> bool:
    """Compare-and-swap: write only if the row still has ``version``; False if someone else won."""
    result = await run(conn, _P_UPDATE_STATE, {"row_id": row_id, "old": version, "new": version + 1,
                                                "flow": flow, "step": step, "data": data, "now": now})
    return bool(result.rowcount)


async def insert_replies(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert pending outbox rows (key, channel, chat_id, payload, next_attempt_at, created_at); their ids."""
    return [(await run(conn, _P_INSERT_REPLY, {**_REPLY_DEFAULTS, **row})).rows[0][0] for row in rows]


async def mark_sent(conn: AsyncConnection, ids: list[int], now: datetime) -> None:
    """Mark pending outbox rows sent (idempotent: rows no longer pending are left as they are)."""
    if conn.dialect.name == "postgresql":
        await run(conn, _mark_sent() if len(ids) > 1 else _MARK_ONE,
                  {"ids": ids, "now": now} if len(ids) > 1 else {"row_id": ids[0], "now": now})
    elif len(ids) == 1:
        await run(conn, _MARK_ONE, {"row_id": ids[0], "now": now})
    else:  # one executemany on SQLite
        await run_many(conn, _MARK_ONE, [{"row_id": row_id, "now": now} for row_id in ids])


async def reply_backlog(conn: AsyncConnection, channel: str, chat_id: str, now: datetime) -> bool:
    """True if a reply to this chat waits for the worker: new replies must go out after it."""
    return (await run(conn, _P_REPLY_BACKLOG, {"channel": channel, "chat_id": chat_id, "now": now})
            ).first() is not None


async def touch_identity(conn: AsyncConnection, identity_id: int, last_seen_at: datetime, chat_id: str) -> None:
    """Record when a person was last seen on a channel and the chat to answer them in."""
    await run(conn, _P_TOUCH_IDENTITY, {"row_id": identity_id, "seen": last_seen_at, "chat": chat_id})
