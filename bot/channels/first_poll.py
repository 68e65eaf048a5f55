"""Tells when a channel's first long poll is on the wire: in polling mode the web server starts after it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp

__all__ = ["first_poll_trace"]


def first_poll_trace(sent: asyncio.Event, method: str = "getUpdates") -> aiohttp.TraceConfig:
    """An aiohttp trace that sets ``sent`` once a ``method`` request's body goes out (or an answer came back).

    aiohttp calls the chunk hook just before it writes the body to the socket, with no pause in
    between: whoever waits on ``sent`` runs only after the request has been handed to the kernel."""

    async def on_sent(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
        if not sent.is_set() and params.url.path.endswith("/" + method):
            sent.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(on_sent)
    trace.on_request_end.append(on_sent)  # a request without a body: its answer shows it was sent
    trace.on_request_exception.append(on_sent)  # it failed: the channel is up and polling, let the web start
    return trace
