"""Alembic environment: runs on a connection handed over by storage.db, or builds one from the URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import storage.models  # noqa: F401  (registers every table)
from storage.models import SQLModel

target_metadata = SQLModel.metadata
config = context.config


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        _run(conn)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from storage.db_url import configured_url

        url = configured_url()
    asyncio.run(_run_from_url(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `cdsbot db upgrade`")
run_migrations_online()
