"""Alembic down to a revision on a test database's own connection (``await conn.run_sync(downgrade_to, rev)``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage.db import alembic_config

__all__ = ["downgrade_to"]


def downgrade_to(conn: Connection, revision: str) -> None:
    """Downgrade the schema reached through ``conn`` to ``revision`` (in the caller's transaction)."""
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)
