"""Test databases: a migrated template per backend, copied per test (SQLite file / PG TEMPLATE)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest

from storage.db import upgrade

PG_URL = os.environ.get("CDSBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_parts(url: str) -> tuple[str, str]:
    base, _, _db = url.rpartition("/")
    return base, url


async def _pg_reachable() -> str | None:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_URL.replace("+asyncpg", "")), 3)
        await conn.close()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"PostgreSQL not reachable at {PG_URL} ({exc.__class__.__name__})"


class PgTemplates:
    """Creates one migrated template database and clones it for each test."""

    def __init__(self) -> None:
        self.base, _ = _pg_parts(PG_URL)
        self.template = f"cdsbot_tmpl_{os.getpid()}"
        self.ready = False

    async def _admin(self):  # noqa: ANN202
        import asyncpg

        return await asyncpg.connect(PG_URL.replace("+asyncpg", ""))

    async def ensure(self) -> None:
        if self.ready:
            return
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        await upgrade(self.url(self.template))
        self.ready = True

    def url(self, name: str) -> str:
        return f"{self.base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"

    async def clone(self) -> str:
        await self.ensure()
        name = f"cdsbot_t_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await conn.close()
        return name

    async def drop(self, name: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def cleanup(self) -> None:
        if self.ready:
            await self.drop(self.template)


class SqliteTemplates:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        self.ready = False

    async def clone(self) -> str:
        if not self.ready:
            await upgrade(f"sqlite+aiosqlite:///{self.template}")
            self.ready = True
        target = self.root / f"t_{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite+aiosqlite:///{target}"


def pg_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or bool(os.environ.get("CDSBOT_REQUIRE_PG"))


async def pg_skip_reason() -> str | None:
    reason = await _pg_reachable()
    if reason and pg_required():
        pytest.fail(f"{reason}; CI requires PostgreSQL (set CDSBOT_TEST_PG_URL)")
    return reason
