"""Received photos and documents fetched into the file store by the adapters, before the update is handled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

import aiohttp

from handlers.messages import Incoming, MediaIn
from storage.blobs import BlobStore

__all__ = ["FETCHED", "TooLarge", "download", "fetch_media"]

log = logging.getLogger(__name__)
FETCHED = ("photo", "document")  # kept as evidence; the other kinds are only recognised


class TooLarge(Exception):
    """The file is above the store's size limit (found before or while downloading it)."""


async def fetch_media(incoming: Incoming, blobs: BlobStore | None,
                      fetch: Callable[[MediaIn], Awaitable[bytes]],
                      allowed: Callable[[Incoming], Awaitable[bool]] | None = None) -> Incoming:
    """``incoming`` with each photo and document fetched into ``blobs`` (``key`` set), or marked with a
    ``problem``: "too_large" above the limit, "unavailable" when it could not be fetched. Done outside
    any database transaction: a slow download holds no lock. Nothing is fetched unless ``allowed``
    (the sender has joined)."""
    if blobs is None or not any(m.kind in FETCHED and not m.key for m in incoming.media):
        return incoming
    if allowed is not None and not await allowed(incoming):
        return incoming
    media: list[MediaIn] = []
    for m in incoming.media:
        if m.kind not in FETCHED or m.key or m.problem:
            media.append(m)
        elif m.size is not None and m.size > blobs.max_bytes:
            media.append(replace(m, problem="too_large"))
        else:
            media.append(await _fetch_one(m, blobs, fetch))
    return replace(incoming, media=tuple(media))


async def _fetch_one(m: MediaIn, blobs: BlobStore, fetch: Callable[[MediaIn], Awaitable[bytes]]) -> MediaIn:
    try:
        data = await fetch(m)
    except TooLarge:
        return replace(m, problem="too_large")
    except Exception as exc:  # the platform's error, a network failure, an expired link: ask again
        log.warning("could not fetch a received %s: %s", m.kind, exc.__class__.__name__)
        return replace(m, problem="unavailable")
    if len(data) > blobs.max_bytes:
        return replace(m, problem="too_large", size=len(data))
    if not data:
        return replace(m, problem="unavailable")
    key = await asyncio.to_thread(blobs.put, data)
    return replace(m, key=key, size=len(data))


async def download(url: str, limit: int, timeout: float = 60.0) -> bytes:
    """GET ``url`` (http or https only), reading at most ``limit`` bytes: TooLarge beyond it,
    ValueError for another scheme or an answer other than 200."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("not an http(s) URL")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
            session.get(url, allow_redirects=True, max_redirects=3) as resp:
        if resp.status != 200:
            raise ValueError(f"HTTP {resp.status}")
        if resp.content_length is not None and resp.content_length > limit:
            raise TooLarge()
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise TooLarge()
            chunks.append(chunk)
        return b"".join(chunks)
