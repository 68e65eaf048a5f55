"""bench.conversation's configurations, bot CPU, and webhook mode: N bot processes behind one balancer.

A configuration ``ours:0:off:webhookN`` starts N ``bench._botproc --webhook-port P`` workers, each
serving ``/telegram/webhook`` on its own port with the inbox on (the path a webhook update takes in
production: stored, answered 200, handled, marked done). The synthetic people's updates are POSTed
as Telegram would, with the secret header, to the workers in turn; every worker sends its replies to
the same fake Bot API server. Meant for PostgreSQL: all workers share the one database."""

from __future__ import annotations

import itertools
import json
import os
import socket
from typing import Any

import aiohttp

__all__ = ["SECRET", "WebhookPoster", "cpu_seconds", "free_ports", "is_lean", "parse_config", "webhook_workers"]

SECRET = "bench_webhook_secret"


def webhook_workers(config: str) -> int:
    """N for a configuration whose fourth part is ``webhookN`` (``webhook`` alone = 1); 0 for polling."""
    part = (config.split(":")[3:4] or [""])[0]
    if not part.startswith("webhook"):
        return 0
    n = part.removeprefix("webhook")
    return int(n) if n else 1


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports on 127.0.0.1 that were free a moment ago."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class WebhookPoster:
    """POSTs updates (JSON, secret header) to the workers' webhooks in turn, on one client session."""

    def __init__(self, ports: list[int]) -> None:
        self.urls = itertools.cycle([f"http://127.0.0.1:{p}/telegram/webhook" for p in ports])
        self.session: aiohttp.ClientSession | None = None
        self.rejected = 0  # answers other than 200 (the update is then lost for the benchmark)

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def post(self, update: dict[str, Any]) -> None:
        assert self.session is not None
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.session.post(next(self.urls), data=json.dumps(update).encode(), headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                self.rejected += 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def parse_config(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    kind = parts[0]
    if kind not in ("ours", "echo"):
        raise ValueError(f"bad configuration {text!r}: kind must be ours or echo")
    concurrent = parts[1] if len(parts) > 1 else "0"
    limiter = parts[2] if len(parts) > 2 else ("on" if kind == "ours" else "off")
    return kind, concurrent, limiter


def is_lean(config: str) -> bool:
    return config.split(":")[3:4] == ["lean"]
