"""PostgreSQL: a chat update as one read and one writing statement (issue #17: round trips).

The turn's first statement only reads (no BEGIN: it runs outside a transaction): whether the update was
handled already, the chat's state, the reply backlog, the sender, and an outbox id for the first reply
(``nextval``: the state's offered choices name the reply that shows them). Everything the turn writes
then goes in one statement (data-modifying CTEs): the state's compare-and-set (or its first insert), the
update's claim, the reply rows, a confirmed log's rows with the orphan-photo claim, the identity's last
seen time. A single statement is atomic: when the state had moved on (another turn of the chat won), the
update was claimed meanwhile (another worker handled it) or a reply row was not written (its key exists),
the statement divides by zero, so none of it is written, and the dispatcher handles the update again
(its first statement then finds the claim, or the new state). When a flow opened a transaction (its
ORM session or its own statements), the statement runs inside it and the dispatcher's commit ends it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, literal, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.hot import TURN, turn_params
from storage.hot_raw import Prepared, run
from storage.models import ActivityLog, Attachment, ConversationState, Identity, Outbox, ProcessedUpdate
from storage.sqlutil import dialect_insert

__all__ = ["LOG_KEYS", "REPLY_KEYS", "Final", "finish_turn", "read_turn", "reply_ids"]

_STATE = ConversationState.__table__  # type: ignore[attr-defined]
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedUpdate.__table__  # type: ignore[attr-defined]
_IDENTITY = Identity.__table__  # type: ignore[attr-defined]
_LOG = ActivityLog.__table__  # type: ignore[attr-defined]
_ATTACHMENT = Attachment.__table__  # type: ignore[attr-defined]
_NEXT_ID = func.nextval(func.pg_get_serial_sequence("outbox", "id"))
_DONE = exists().where(_PROCESSED.c.channel == bindparam("channel"), _PROCESSED.c.update_key == bindparam("update_key"))
_READ = Prepared(TURN.add_columns(_DONE.label("done"), _NEXT_ID.label("reply_id")))
_MORE_IDS = Prepared(select(_NEXT_ID.label("id")).select_from(func.generate_series(1, bindparam("n"))))
REPLY_KEYS = ("id", "key", "channel", "chat_id", "payload", "status", "attempts", "next_attempt_at", "created_at")
LOG_KEYS = ("commune_id", "unit_id", "person_id", "on_date", "activity", "count", "note", "created_at")
_STATE_VALUES = ("flow", "step", "data", "updated_at")
_DIVISION_BY_ZERO = "22012"
_FINAL: dict[tuple[bool, int, int, bool], Prepared] = {}


async def read_turn(conn: AsyncConnection, channel: str, key: str, chat_id: str, user_id: str, now: datetime
                    ) -> Any:
    """The turn's row as ``storage.hot.begin_turn`` gives it, plus ``reply_id``; None if the update was
    handled already. Runs outside a transaction when none is open."""
    params = turn_params(channel, chat_id, user_id, now) | {"update_key": key}
    row = (await run(conn, _READ, params, begin=False)).rows[0]
    return None if row.done else row


async def reply_ids(conn: AsyncConnection, n: int) -> list[int]:
    """``n`` more outbox ids, in order (after the one read with the turn)."""
    if n <= 0:
        return []
    return [r.id for r in (await run(conn, _MORE_IDS, {"n": n}, begin=False)).rows]


class Final:
    """What the turn writes, collected for ``finish_turn``."""

    def __init__(self, channel: str, update_key: str, now: datetime) -> None:
        self.params: dict[str, Any] = {"channel": channel, "update_key": update_key, "now": now}
        self.replies: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self.new_state = False
        self.touch = False

    def state(self, row_id: int | None, version: int, values: dict[str, Any], chat_id: str) -> None:
        self.new_state = row_id is None
        self.params |= {f"s_{k}": values[k] for k in _STATE_VALUES}
        self.params |= {"s_chat_id": chat_id} if row_id is None else {"s_id": row_id, "s_old": version,
                                                                      "s_new": version + 1}

    def logs_and_photos(self, rows: list[dict[str, Any]], person_id: int, since: datetime) -> None:
        """A confirmed log's rows; the person's orphan photos since ``since`` go to the first one."""
        self.logs = rows
        self.params |= {"who": person_id, "since": since}

    def identity(self, identity_id: int, seen: datetime, chat_id: str) -> None:
        self.touch = True
        self.params |= {"i_id": identity_id, "i_seen": seen, "i_chat": chat_id}


async def finish_turn(conn: AsyncConnection, final: Final) -> bool:
    """Write the turn in one statement (see the module docstring); False if nothing was written because
    the state moved on or the update was claimed meanwhile: handle the update again."""
    shape = (final.new_state, len(final.replies), len(final.logs), final.touch)
    prepared = _FINAL.get(shape) or _FINAL.setdefault(shape, Prepared(_final(*shape)))
    params = dict(final.params)
    for i, row in enumerate(final.replies):
        params |= {f"r{i}_{k}": row[k] for k in REPLY_KEYS}
    for i, row in enumerate(final.logs):
        params |= {f"l{i}_{k}": row[k] for k in LOG_KEYS}
    try:
        await run(conn, prepared, params, begin=False)
    except DBAPIError as exc:
        driver = getattr(exc.orig, "driver_exception", None) or exc.orig.__cause__
        if getattr(driver, "sqlstate", None) == _DIVISION_BY_ZERO:
            return False
        raise
    return True


def _count(cte: Any) -> Any:
    return select(func.count()).select_from(cte).scalar_subquery()


def _final(new_state: bool, n_replies: int, n_logs: int, touch: bool) -> Any:
    values = {k: bindparam(f"s_{k}") for k in _STATE_VALUES}
    if new_state:
        st = (dialect_insert("postgresql")(_STATE).values(channel=bindparam("channel"), chat_id=bindparam("s_chat_id"), version=1,
                                              **values).on_conflict_do_nothing())
    else:
        st = (update(_STATE).where(_STATE.c.id == bindparam("s_id"), _STATE.c.version == bindparam("s_old"))
              .values(version=bindparam("s_new"), **values))
    ctes = [st.returning(_STATE.c.id).cte("st")]
    ctes.append(dialect_insert("postgresql")(_PROCESSED).values(channel=bindparam("channel"), update_key=bindparam("update_key"),
                                                    processed_at=bindparam("now"))
                .on_conflict_do_nothing().returning(_PROCESSED.c.update_key).cte("claim"))
    checks = [_count(ctes[0]) == 1, _count(ctes[1]) == 1]
    if n_replies:
        rows = [{k: bindparam(f"r{i}_{k}", type_=_OUTBOX.c[k].type) for k in REPLY_KEYS} for i in range(n_replies)]
        replies = (dialect_insert("postgresql")(_OUTBOX).values(rows).on_conflict_do_nothing().returning(_OUTBOX.c.id)
                   .cte("replies"))
        ctes.append(replies)
        checks.append(_count(replies) == n_replies)
    if n_logs:
        rows = [{k: bindparam(f"l{i}_{k}", type_=_LOG.c[k].type) for k in LOG_KEYS} for i in range(n_logs)]
        logs = dialect_insert("postgresql")(_LOG).values(rows).returning(_LOG.c.id).cte("logs")
        first = select(func.min(logs.c.id)).scalar_subquery()  # a serial, assigned in VALUES order
        ctes += [logs, update(_ATTACHMENT).where(_ATTACHMENT.c.person_id == bindparam("who"),
                                                 _ATTACHMENT.c.activity_log_id.is_(None),
                                                 _ATTACHMENT.c.report_id.is_(None),
                                                 _ATTACHMENT.c.created_at >= bindparam("since"))
                 .values(activity_log_id=first).returning(_ATTACHMENT.c.id).cte("photos")]
    if touch:
        ctes.append(update(_IDENTITY).where(_IDENTITY.c.id == bindparam("i_id"))
                    .values(last_seen_at=bindparam("i_seen"), chat_id=bindparam("i_chat"))
                    .returning(_IDENTITY.c.id).cte("ident"))
    # 1 / 0 when a check fails: the statement fails and none of its writes stay
    ok = func.div(literal(1), case((and_(*checks), 1), else_=0)).label("ok")
    return select(ok).add_cte(*ctes)
