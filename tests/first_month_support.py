"""Helpers for the "first month of a commune" scenario: one bot on fake Telegram and fake Zalo, the CLI,
the commune's org list, and readers for what the lead office files (status JSON, xlsx, docx, sweeps)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.cli import main
from tests.fakes.telegram_api import SentMessage
from tests.zalo_harness import ZaloHarness

PLAN = Path(__file__).resolve().parent / "data" / "plan_first_month.txt"
COMMUNE = "Thiện Tân"
VHXH, HCC, VP = "Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công", "Văn phòng HĐND và UBND"
NAPAI, KHUOI = "Thôn Nà Pài", "Thôn Khuổi Luông"

# The commune's list: the lead, an officer per office (the one of the council office never joins),
# two members in Nà Pài and one in Khuổi Luông (who joins but never logs).
ORG_CSV = f"""Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
{VHXH},office,,Hoàng Văn Thái,0912000001,lead
{HCC},office,,Nguyễn Thị Hoa,0912000010,officer
{VP},office,,Vi Văn Tú,0912000020,officer
{NAPAI},village,,Lò Thị Bích,0912000002,member
{NAPAI},village,,Đinh Văn Hùng,0912000003,member
{KHUOI},village,,Hà Văn Tùng,0912000004,member
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
              *args: str) -> str:
    """Run ``cdsbot <args>`` on the test database; returns stdout (and fails on a non-zero exit)."""
    return (await cli_with_err(monkeypatch, capsys, db_url, *args))[0]


async def cli_with_err(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
                       *args: str) -> tuple[str, str]:
    """``cli`` returning (stdout, stderr): the warnings an operator reads."""
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    assert code == 0, (args, out.out, out.err)
    return out.out, out.err


async def status_json(h: ZaloHarness, monkeypatch: pytest.MonkeyPatch, capsys: Any, db_url: str,
                      stream: str = "unit_monthly") -> dict[str, Any]:
    """``cdsbot status --json`` for December 2026 at the harness clock: one stream's block."""
    out = await cli(monkeypatch, capsys, db_url, "status", "--commune", COMMUNE, "--period", "2026-12",
                    "--at", h.now.isoformat(), "--json")
    return next(s for s in json.loads(out)["streams"] if s["name"] == stream)


class Tg:
    """The Telegram side of a two-channel bot: say, tap a button of the last message, wait until handled."""

    def __init__(self, h: ZaloHarness) -> None:
        assert h.tg_fake is not None
        self.h, self.fake, self.queued = h, h.tg_fake, 0
        self.last: dict[int, SentMessage] = {}

    async def _collect(self, expect: int) -> list[SentMessage]:
        await self.fake.wait_for_sent(expect, timeout=15)
        assert self.h.bot is not None
        channel = next(ch for ch in self.h.bot.channels if ch.name == "telegram")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while channel.processed < self.queued:  # the update is fully handled, not only answered
            assert loop.time() < deadline, "Telegram update not handled"
            await asyncio.sleep(0.005)
        sent = self.fake.take_sent()
        assert len(sent) == expect, [m.text for m in sent]
        for m in sent:
            self.last[int(m.chat_id)] = m
        return sent

    async def push(self, update: dict[str, Any], expect: int = 1) -> list[SentMessage]:
        self.fake.queue(update)
        self.queued += 1
        return await self._collect(expect)

    async def say(self, user: int, text: str, expect: int = 1, **kw: Any) -> list[SentMessage]:
        return await self.push(self.fake.message(user, text, **kw), expect)

    async def tap(self, user: int, data: str, expect: int = 1) -> list[SentMessage]:
        msg = self.last[user]
        assert data in msg.callback_data, (data, msg.callback_data)
        return await self.push(self.fake.callback(user, data, message_id=msg.message_id), expect)


def sheet(xlsx: bytes, name: str, min_row: int = 2) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(xlsx))[name].iter_rows(min_row=min_row, values_only=True))


def summary_counts(xlsx: bytes) -> dict[str, dict[str, Any]]:
    """The "Tổng hợp" sheet's report-state table: stream label → {column heading: value}."""
    rows = sheet(xlsx, "Tổng hợp", 1)
    head_at = next(n for n, r in enumerate(rows) if r[0] == "Tình hình báo cáo")
    out: dict[str, dict[str, Any]] = {}
    for r in rows[head_at + 1:]:
        if r[0] is None:
            break
        out[r[0]] = dict(zip(rows[head_at], r, strict=True))
    return out


def docx_text(docx: bytes) -> str:
    doc = Document(io.BytesIO(docx))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)
