"""The hot path's statements on the driver connection itself, without SQLAlchemy's execution layer.

Profiled (issue #17), SQLAlchemy's per-statement work (greenlet hop, execution context, parameter
construction, result object) cost more than SQLite running the statement. A ``Prepared`` statement takes
from SQLAlchemy's compiled form, once per dialect, everything that work produces for a given statement:
the SQL text, the order of its parameters with their fixed values, and the types' bind and result
processors (JSON, datetimes, booleans), so values go in and come out exactly as through SQLAlchemy.

``run`` uses it on SQLite's inline connections (storage.sqlite_inline: the statement goes through the
connection's ``_execute``, which takes the write lock before a transaction's first write) and on
PostgreSQL's asyncpg connections (through SQLAlchemy's adapter: its BEGIN, its prepared-statement cache),
inside the transaction of the SQLAlchemy connection it is given: the caller's commit or rollback covers
it. Other connections (threaded aiosqlite) run the SQLAlchemy statement as before. Before-cursor-execute
listeners (the benchmarks' statement counter) still see every statement; driver errors are raised as
SQLAlchemy's ``DBAPIError`` subclasses, as through the engine."""

from __future__ import annotations

import re
import sqlite3
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.sqlite_inline import InlineConnection

__all__ = ["Prepared", "Result", "is_inline", "run", "run_many"]


class Prepared:
    """One statement with its parameter names (and the column keys of an INSERT), compiled per dialect."""

    def __init__(self, stmt: Any, column_keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Any) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"  # the paramstyle and the processors depend on the driver
        c = self._by_dialect.get(key)
        if c is None:
            c = self._by_dialect[key] = _Compiled(self.stmt, dialect, self.column_keys)
        return c


class _Compiled:
    __slots__ = ("binds", "defaults", "results", "row", "sql")

    def __init__(self, stmt: Any, dialect: Any, column_keys: list[str] | None) -> None:
        c = stmt.compile(dialect=dialect, column_keys=column_keys)
        self.sql = str(c)
        procs = c._bind_processors
        names = c.positiontup or ()
        self.binds = tuple((name, procs.get(name)) for name in names)
        self.defaults = {name: b.effective_value for name, b in c.binds.items() if name in names and not b.required}
        cols = c._result_columns
        self.results = tuple(e[3]._cached_result_processor(dialect, None) for e in cols)
        self.row = namedtuple("Row", [e[0] for e in cols], rename=True) if cols else None  # type: ignore[misc]

    def args(self, params: dict[str, Any]) -> list[Any]:
        values = {**self.defaults, **params} if self.defaults else params
        return [values[name] if proc is None else proc(values[name]) for name, proc in self.binds]

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        procs, make = self.results, self.row
        return [make(*(v if p is None else p(v) for p, v in zip(procs, r, strict=True))) for r in raw]


class Result:
    """The rows (named tuples, processed as SQLAlchemy would) and the driver's row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows, self.rowcount = rows, rowcount

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


def is_inline(conn: AsyncConnection) -> bool:
    """True when ``run`` executes on an inline SQLite connection (statements are cheap: no round trip)."""
    return _inline(conn) is not None


def _inline(conn: AsyncConnection) -> InlineConnection | None:
    driver = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    return driver if isinstance(driver, InlineConnection) else None


async def run(conn: AsyncConnection, prepared: Prepared, params: dict[str, Any], begin: bool = True) -> Result:
    """Execute ``prepared`` with ``params`` in ``conn``'s transaction (see the module docstring).

    ``begin=False`` (PostgreSQL): when the driver connection has no transaction open, the statement runs
    on its own (atomic by itself, no BEGIN round trip) and none is started; the next statement with
    ``begin`` (or through SQLAlchemy) starts one as usual."""
    if conn.dialect.driver == "asyncpg":
        return await _run_asyncpg(conn, prepared, params, begin)
    inline = _inline(conn)
    if inline is None:
        res = await conn.execute(prepared.stmt, params)
        return Result(res.all() if res.returns_rows else [], res.rowcount)
    return await _run_inline(conn, inline, prepared, [params], False)


_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


async def _run_asyncpg(conn: AsyncConnection, prepared: Prepared, params: dict[str, Any], begin: bool) -> Result:
    """On SQLAlchemy's asyncpg adapter, as its cursor does: BEGIN on the transaction's first statement
    (none in autocommit), the adapter's prepared-statement cache, the row count from the status; an
    error goes through SQLAlchemy's handling (translated, and on a lost connection the pool invalidated
    and ``connection_invalidated`` set, which the callers' redo relies on: storage.db.is_disconnect)."""
    sync = conn.sync_connection
    if not sync.in_transaction():  # type: ignore[union-attr]
        sync.begin()  # type: ignore[union-attr]  # SQLAlchemy's autobegin: no I/O (the adapter BEGINs below)
    compiled = prepared.compiled(conn.dialect)
    args = compiled.args(params)
    if sync._has_events or sync.engine._has_events:  # type: ignore[union-attr]
        sync.dispatch.before_cursor_execute(sync, None, compiled.sql, args, None, False)  # type: ignore[union-attr]
    adapt = sync.connection.dbapi_connection  # type: ignore[union-attr]
    try:
        async with adapt._execute_mutex:
            if adapt._transaction is None and begin:
                await adapt._start_transaction()  # raises the adapter's own errors
            try:
                stmt, _attrs = await adapt._prepare(compiled.sql, conn.dialect._invalidate_schema_cache_asof)
                raw = await stmt.fetch(*args)
                status = _STATUS.match(stmt.get_statusmsg() or "")
            except Exception as exc:  # noqa: BLE001 - translated and raised by the adapter
                adapt._handle_exception(exc)
    except Exception as exc:  # noqa: BLE001 - raised again by SQLAlchemy, wrapped
        await greenlet_spawn(sync._handle_dbapi_exception, exc, compiled.sql, args, None, None)  # type: ignore[union-attr]
        raise
    rows = compiled.rows(raw) if raw and compiled.row is not None else []
    return Result(rows, int(status.group(1)) if status else -1)


async def run_many(conn: AsyncConnection, prepared: Prepared, rows: list[dict[str, Any]]) -> None:
    """Execute ``prepared`` (no RETURNING) once per parameter set in ``rows`` (the driver's executemany)."""
    if not rows:
        return
    inline = None if conn.dialect.driver == "asyncpg" else _inline(conn)
    if inline is None:
        await conn.execute(prepared.stmt, rows)
    else:
        await _run_inline(conn, inline, prepared, rows, True)


async def _run_inline(conn: AsyncConnection, inline: InlineConnection, prepared: Prepared,
                      rows: list[dict[str, Any]], many: bool) -> Result:
    sync = conn.sync_connection
    if not sync.in_transaction():  # type: ignore[union-attr]
        sync.begin()  # type: ignore[union-attr]  # as SQLAlchemy's autobegin (no I/O on SQLite): commit() commits it
    compiled = prepared.compiled(conn.dialect)
    args: Any = [compiled.args(r) for r in rows] if many else compiled.args(rows[0])
    if sync._has_events or sync.engine._has_events:  # type: ignore[union-attr]
        sync.dispatch.before_cursor_execute(sync, None, compiled.sql, args, None, many)  # type: ignore[union-attr]
    driver = inline._connection
    try:
        cur = await inline._execute(driver.executemany if many else driver.execute,  # type: ignore[union-attr]
                                    compiled.sql, args)
        try:
            raw = cur.fetchall() if compiled.row is not None else []
            return Result(compiled.rows(raw) if raw else [], cur.rowcount)
        finally:
            cur.close()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(compiled.sql, args, exc, sqlite3.Error) from exc
