"""The dispatcher's per-update statements, built once as Core statements with bound parameters.

Profiled, building a statement (coercions, cache keys) and the ORM's unit of work cost more than
running it; these are compiled once per dialect and executed on the session's connection, so the
update's claim, state, replies and CAS save stay in the session's one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ConversationState, Identity, Outbox, ProcessedUpdate

__all__ = ["begin_turn", "claim_update", "insert_replies", "insert_state", "load_state", "mark_sent", "reply_backlog",
           "touch_identity", "update_state"]

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
_MARK_SENT = (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
                                    _OUTBOX.c.status == "pending")
              .values(status="sent", sent_at=bindparam("now"), attempts=_OUTBOX.c.attempts + 1))
# Is an earlier reply to this chat waiting for the worker (it failed, or is due)? A reply still in its
# grace period with no attempt is being sent right now by some worker: not a backlog (a fast user's next
# message, handled by another process before that send is marked, must not be held up by it).
# Uses ix_outbox_chat_status.
_REPLY_BACKLOG = (select(_OUTBOX.c.id).where(_OUTBOX.c.channel == bindparam("channel"),
                                             _OUTBOX.c.chat_id == bindparam("chat_id"),
                                             _OUTBOX.c.status == "pending", _OUTBOX.c.key.like("reply:%"),
                                             or_(_OUTBOX.c.attempts > 0, _OUTBOX.c.next_attempt_at <= bindparam("now")))
                  .limit(1))
_TOUCH_IDENTITY = (update(_IDENTITY).where(_IDENTITY.c.id == bindparam("row_id"))
                   .values(last_seen_at=bindparam("seen"), chat_id=bindparam("chat")))
_REPLY_DEFAULTS = {"person_id": None, "status": "pending", "attempts": 0, "sent_at": None, "error": None}
_BY_DIALECT: dict[str, tuple[Any, Any]] = {}


def _inserts(dialect: str) -> tuple[Any, Any]:
    """(claim an update id, insert a state row), each INSERT … ON CONFLICT DO NOTHING."""
    if dialect not in _BY_DIALECT:
        ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _BY_DIALECT[dialect] = (ins(_PROCESSED).on_conflict_do_nothing(),
                                ins(_STATE).on_conflict_do_nothing())
    return _BY_DIALECT[dialect]


_ONE = select(literal(1).label("one")).subquery("one")
# The chat's state row (or NULLs) and whether an earlier reply to the chat waits for the worker.
_STATE_AND_BACKLOG = (select(_REPLY_BACKLOG.exists().label("backlog"), _STATE.c.id, _STATE.c.flow, _STATE.c.step,
                             _STATE.c.data, _STATE.c.version, _STATE.c.updated_at)
                      .select_from(_ONE.outerjoin(_STATE, and_(_STATE.c.channel == bindparam("channel"),
                                                               _STATE.c.chat_id == bindparam("chat_id")))))


def _begin_turn_pg() -> Any:
    """PostgreSQL: the update's claim (a CTE), the chat's state and the backlog flag in one round trip."""
    if "turn" not in _BY_DIALECT:
        claim = (postgresql.insert(_PROCESSED).values(channel=bindparam("channel"), update_key=bindparam("update_key"),
                                                      processed_at=bindparam("now"))
                 .on_conflict_do_nothing().returning(_PROCESSED.c.update_key).cte("claim"))
        claimed = select(func.count()).select_from(claim).scalar_subquery().label("claimed")
        _BY_DIALECT["turn"] = (_STATE_AND_BACKLOG.add_columns(claimed).add_cte(claim), None)
    return _BY_DIALECT["turn"][0]


async def begin_turn(conn: AsyncConnection, channel: str, key: str, chat_id: str, now: datetime
                     ) -> tuple[bool, Any, bool]:
    """Claim the update; if it is new, also the chat's state row (or None) and whether a reply to the chat
    waits for the worker (``reply_backlog``, asked at the start of the turn). One statement on PostgreSQL
    (a CTE: a network round trip each), two on SQLite (the claim must take the write lock first)."""
    params = {"channel": channel, "chat_id": chat_id, "now": now}
    if conn.dialect.name == "postgresql":
        row = (await conn.execute(_begin_turn_pg(), params | {"update_key": key})).one()
        if not row.claimed:
            return False, None, False
    else:
        if not await claim_update(conn, channel, key, now):
            return False, None, False
        row = (await conn.execute(_STATE_AND_BACKLOG, params)).one()
    return True, (row if row.id is not None else None), bool(row.backlog)


async def claim_update(conn: AsyncConnection, channel: str, key: str, now: datetime) -> bool:
    """Record the update id; False if it was already recorded (a redelivery)."""
    result = await conn.execute(_inserts(conn.dialect.name)[0],
                                {"channel": channel, "update_key": key, "processed_at": now})
    return bool(result.rowcount)


async def load_state(conn: AsyncConnection, channel: str, chat_id: str) -> Any:
    """The chat's state row (id, flow, step, data, version, updated_at), or None."""
    return (await conn.execute(_LOAD_STATE, {"channel": channel, "chat_id": chat_id})).first()


async def insert_state(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    result = await conn.execute(_inserts(conn.dialect.name)[1], values)
    return bool(result.rowcount)


async def update_state(conn: AsyncConnection, row_id: int, version: int, flow: str | None, step: str | None,
                       data: dict[str, Any], now: datetime) -> bool:
    """Compare-and-swap: write only if the row still has ``version``; False if someone else won."""
    result = await conn.execute(_UPDATE_STATE, {"row_id": row_id, "old": version, "new": version + 1,
                                                "flow": flow, "step": step, "data": data, "now": now})
    return bool(result.rowcount)


async def insert_replies(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert pending outbox rows (key, channel, chat_id, payload, next_attempt_at, created_at); their ids."""
    return [(await conn.execute(_INSERT_REPLY, {**_REPLY_DEFAULTS, **row})).scalar_one() for row in rows]


async def mark_sent(conn: AsyncConnection, ids: list[int], now: datetime) -> None:
    await conn.execute(_MARK_SENT, {"ids": ids, "now": now})


async def reply_backlog(conn: AsyncConnection, channel: str, chat_id: str, now: datetime) -> bool:
    """True if a reply to this chat waits for the worker: new replies must go out after it."""
    return (await conn.execute(_REPLY_BACKLOG, {"channel": channel, "chat_id": chat_id, "now": now})
            ).first() is not None


async def touch_identity(conn: AsyncConnection, identity_id: int, last_seen_at: datetime, chat_id: str) -> None:
    """Record when a person was last seen on a channel and the chat to answer them in."""
    await conn.execute(_TOUCH_IDENTITY, {"row_id": identity_id, "seen": last_seen_at, "chat": chat_id})
