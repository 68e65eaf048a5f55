"""Effective reporting streams per commune: deployment defaults overridden by ``streamsetting`` rows."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.calendar.streams import Stream, default_streams, dump_streams, load_streams
from storage.models import StreamSetting, utcnow
from storage.province_stream import PROVINCE_STREAM, commune_province_stream
from storage.sqlutil import insert_ignore

__all__ = [
    "CACHE_TTL", "FIXED_FIELDS", "CommuneStreams", "base_streams", "commune_streams", "invalidate",
    "load_settings_rows", "merge", "parse_settings", "reset_streams", "save_stream", "with_province",
]

log = logging.getLogger(__name__)
# A worker may serve a stale copy for up to this many seconds after another process wrote a change;
# a write in this process invalidates at once, and sweeps always read the table afresh.
CACHE_TTL = 60.0
# A commune may retune a shipped stream but not turn it into another kind of report.
FIXED_FIELDS = ("name", "kind", "frequency")
_CACHE = "commune_streams"


@dataclass(frozen=True)
class CommuneStreams:
    """All streams of one commune (switched-off ones included), with what the commune changed."""

    streams: tuple[Stream, ...]
    disabled: frozenset[str] = frozenset()
    overridden: frozenset[str] = frozenset()

    def named(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(name)

    def is_enabled(self, name: str) -> bool:
        return name not in self.disabled

    @property
    def enabled(self) -> list[Stream]:
        return [s for s in self.streams if s.name not in self.disabled]


def base_streams(services: Any) -> list[Stream]:
    """The deployment's streams: ``CDSBOT_STREAMS_FILE`` when configured, else the shipped defaults."""
    found = services.extra.get("streams")
    if found is None:
        found = services.extra["streams"] = default_streams()
    return found


def _apply(base: Stream | None, config: dict[str, Any]) -> tuple[Stream, bool]:
    """The stream a row describes (validated) and whether it is switched on."""
    cfg = dict(config)
    enabled = cfg.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"field 'enabled' must be true or false, got {enabled!r}")
    if base is not None:
        for f in FIXED_FIELDS:
            if f in cfg and cfg[f] != dump_streams([base])[0][f]:
                raise ValueError(f"field {f!r} of the shipped stream {base.name!r} cannot be changed")
        cfg = dump_streams([base])[0] | cfg
    return load_streams([cfg])[0], enabled


def merge(base: list[Stream], rows: dict[str, dict[str, Any]]) -> CommuneStreams:
    """Defaults with a commune's rows applied; a row that no longer validates is ignored (logged)."""
    if not rows:
        return CommuneStreams(tuple(base))
    by_name = {s.name: s for s in base}
    out: list[Stream] = []
    disabled: set[str] = set()
    for name in [*by_name, *sorted(set(rows) - set(by_name))]:
        stream = by_name.get(name)
        if name in rows:
            try:
                stream, on = _apply(stream, {**rows[name], "name": name})
            except ValueError as exc:
                log.warning("ignoring stream setting %r: %s", name, exc)
                if stream is None:
                    continue
                on = True
            if not on:
                disabled.add(name)
        assert stream is not None
        out.append(stream)
    return CommuneStreams(tuple(out), frozenset(disabled), frozenset(rows) & {s.name for s in out})


def with_province(found: CommuneStreams, stream: Stream | None) -> CommuneStreams:
    """``found`` with the compiled report to the province as its province set it (``stream``), or without
    it for a commune in no province. The province owns that stream: a commune's own row for it is ignored."""
    others = tuple(s for s in found.streams if s.name != PROVINCE_STREAM)
    return CommuneStreams(others + ((stream,) if stream is not None else ()),
                          found.disabled - {PROVINCE_STREAM}, found.overridden - {PROVINCE_STREAM})


def diff_config(base: Stream | None, stream: Stream, enabled: bool) -> dict[str, Any]:
    """What a row must store: the fields that differ from the default (all of them for a new stream)."""
    mine = dump_streams([stream])[0]
    if base is None:
        cfg = mine
    else:
        theirs = dump_streams([base])[0]
        cfg = {k: v for k, v in mine.items() if theirs.get(k) != v}
    cfg.pop("name", None)
    return cfg | ({} if enabled else {"enabled": False})


def parse_settings(data: Any, base: list[Stream]) -> list[tuple[Stream, bool]]:
    """Validate a settings file: a list of stream objects (full, or partial for a shipped stream) with
    an optional ``enabled``. ValueError names the entry and field."""
    if not isinstance(data, list):
        raise ValueError(f"streams config must be a list of objects, got {type(data).__name__}")
    by_name = {s.name: s for s in base}
    out: list[tuple[Stream, bool]] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        where = f"stream #{i + 1}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be an object, got {type(item).__name__}")
        name = item.get("name")
        if not isinstance(name, str):
            raise ValueError(f"{where}: missing field 'name'")
        where += f" ({name!r})"
        if name in seen:
            raise ValueError(f"{where}: field 'name' duplicates an earlier stream")
        seen.add(name)
        try:
            out.append(_apply(by_name.get(name), item))
        except ValueError as exc:
            msg = str(exc).removeprefix("stream #1: ").removeprefix(f"stream #1 ({name!r}): ")
            raise ValueError(f"{where}: {msg}") from None
    return out


async def load_settings_rows(session: AsyncSession, commune_ids: list[int] | None = None
                             ) -> dict[int, dict[str, dict[str, Any]]]:
    """commune id → stream name → stored config, in one query (every commune when ids is None)."""
    q = select(StreamSetting.commune_id, StreamSetting.name, StreamSetting.config)
    if commune_ids is not None:
        q = q.where(StreamSetting.commune_id.in_(commune_ids))  # type: ignore[attr-defined]
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for cid, name, config in (await session.exec(q)).all():
        out.setdefault(cid, {})[name] = dict(config or {})
    return out


async def commune_streams(session: AsyncSession, services: Any, commune_id: int | None) -> CommuneStreams:
    """The commune's effective streams, cached in-process for ``CACHE_TTL`` seconds."""
    base = base_streams(services)
    if commune_id is None:
        return CommuneStreams(tuple(base))
    cache: dict[int, tuple[float, int, CommuneStreams]] = services.extra.setdefault(_CACHE, {})
    hit = cache.get(commune_id)
    now = time.monotonic()
    if hit is not None and hit[0] > now and hit[1] == id(base):
        return hit[2]
    rows = (await load_settings_rows(session, [commune_id])).get(commune_id, {})
    found = with_province(merge(base, rows), await commune_province_stream(session, commune_id))
    cache[commune_id] = (now + CACHE_TTL, id(base), found)
    return found


def invalidate(services: Any, commune_id: int | None = None) -> None:
    """Forget cached streams (of one commune, or all) after a change made in this process."""
    cache = services.extra.get(_CACHE)
    if cache is None:
        return
    if commune_id is None:
        cache.clear()
    else:
        cache.pop(commune_id, None)


async def save_stream(session: AsyncSession, services: Any, commune_id: int, stream: Stream, enabled: bool,
                      person_id: int | None = None) -> dict[str, Any]:
    """Store the commune's version of ``stream`` (only what differs from the default; no row when
    nothing does). Returns the stored config. The caller commits (with its audit row)."""
    base = {s.name: s for s in base_streams(services)}.get(stream.name)
    cfg = diff_config(base, stream, enabled)
    row = (await session.exec(select(StreamSetting).where(
        StreamSetting.commune_id == commune_id, StreamSetting.name == stream.name))).first()
    if not cfg and base is not None:
        if row is not None:
            await session.delete(row)
    else:
        if row is None:
            await insert_ignore(session, StreamSetting, {
                "commune_id": commune_id, "name": stream.name, "config": cfg, "updated_at": utcnow(),
                "updated_by": person_id})
            row = (await session.exec(select(StreamSetting).where(
                StreamSetting.commune_id == commune_id, StreamSetting.name == stream.name))).one()
        row.config, row.updated_at, row.updated_by = cfg, utcnow(), person_id
        session.add(row)
    invalidate(services, commune_id)
    return cfg


async def reset_streams(session: AsyncSession, services: Any, commune_id: int, name: str | None = None) -> int:
    """Delete the commune's settings (all, or one stream's): back to the defaults. Returns rows removed."""
    q = select(StreamSetting).where(StreamSetting.commune_id == commune_id)
    if name is not None:
        q = q.where(StreamSetting.name == name)
    rows = (await session.exec(q)).all()
    for row in rows:
        await session.delete(row)
    invalidate(services, commune_id)
    return len(rows)
