"""Prometheus metrics: counters the code increments, and database figures collected at scrape time."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web
    from prometheus_client import Counter, Gauge, Histogram

# The metrics below are read as ``metrics.UPDATES`` etc.; they are made on first use (prometheus_client is
# imported then), or by ``load()`` (bot.app: once the first poll is out, so no update pays for it).
__all__ = ["load", "metrics_response", "send_result", "started", "update_done"]


@dataclass(frozen=True)
class _Metrics:
    UPDATES: Counter
    UPDATE_SECONDS: Histogram
    SENDS: Counter
    POLL_ERRORS: Counter
    QUARANTINED: Counter
    DEAD_LETTERS: Counter
    TASK_RESTARTS: Counter
    LAST_OK: Gauge
    OUTBOX_PENDING: Gauge
    OUTBOX_FAILED: Gauge
    OUTBOX_OLDEST: Gauge
    QUARANTINE_ROWS: Gauge
    READY: Gauge


@functools.cache
def load() -> _Metrics:
    """The process's metrics, registered with prometheus_client on the first call."""
    from prometheus_client import Counter, Gauge, Histogram

    return _Metrics(
        UPDATES=Counter("cdsbot_updates", "Updates received, by channel and outcome "
                        "(handled, ignored, failed, quarantined)", ["channel", "outcome"]),
        UPDATE_SECONDS=Histogram("cdsbot_update_handling_seconds", "Time to handle one update, replies sent",
                                 ["channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)),
        SENDS=Counter("cdsbot_sends", "Messages sent to a platform, by channel, kind (text, document, photo), "
                      "path (reply, bulk) and result (ok, rate_limited, error)", ["channel", "kind", "path", "result"]),
        POLL_ERRORS=Counter("cdsbot_poll_errors", "Failed polls (getUpdates), by channel and reason",
                            ["channel", "reason"]),
        QUARANTINED=Counter("cdsbot_quarantined_updates", "Updates that could not be read, kept in quarantine",
                            ["channel"]),
        DEAD_LETTERS=Counter("cdsbot_outbox_dead_letters", "Outbox rows given up after their retries (failed)",
                             ["channel"]),
        TASK_RESTARTS=Counter("cdsbot_task_restarts", "Supervised tasks restarted after a crash", ["task"]),
        LAST_OK=Gauge("cdsbot_channel_last_ok_timestamp_seconds",
                      "Unix time of the last successful poll or webhook delivery", ["channel"]),
        OUTBOX_PENDING=Gauge("cdsbot_outbox_pending", "Outbox rows waiting to be sent"),
        OUTBOX_FAILED=Gauge("cdsbot_outbox_failed", "Outbox rows given up (dead letters)"),
        OUTBOX_OLDEST=Gauge("cdsbot_outbox_oldest_due_seconds", "Age of the oldest outbox row that is due"),
        QUARANTINE_ROWS=Gauge("cdsbot_quarantine_rows", "Updates in the quarantine table"),
        READY=Gauge("cdsbot_ready", "1 when /readyz answers 200"),
    )


def __getattr__(name: str) -> Any:
    """``metrics.UPDATES`` and the others (PEP 562)."""
    if name in _Metrics.__dataclass_fields__:
        return getattr(load(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def send_result(channel: str, kind: str, bulk: bool, exc: BaseException | None) -> None:
    """Count one send; ``exc`` is the error it raised (None when it went out)."""
    from storage.errors import RateLimited

    result = "ok" if exc is None else "rate_limited" if isinstance(exc, RateLimited) else "error"
    load().SENDS.labels(channel, kind, "bulk" if bulk else "reply", result).inc()


def started() -> float:
    return time.perf_counter()


def update_done(channel: str, outcome: str, since: float) -> None:
    """Count one update by outcome and observe its handling time (``since`` from ``started()``)."""
    m = load()
    m.UPDATES.labels(channel, outcome).inc()
    m.UPDATE_SECONDS.labels(channel).observe(time.perf_counter() - since)


def metrics_response(report: dict | None = None) -> web.Response:
    """The text exposition, after copying ``report`` (a /readyz answer) into the scrape-time gauges."""
    from aiohttp import web
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    m = load()
    if report is not None:
        for name, channel in (report.get("channels") or {}).items():  # its last good poll or delivery
            if channel.get("last_ok"):
                m.LAST_OK.labels(name).set(datetime.fromisoformat(channel["last_ok"]).timestamp())
        outbox = report.get("outbox") or {}
        m.OUTBOX_PENDING.set(outbox.get("pending") or 0)
        m.OUTBOX_FAILED.set(outbox.get("failed") or 0)
        m.OUTBOX_OLDEST.set(outbox.get("oldest_due_seconds") or 0)
        m.QUARANTINE_ROWS.set(report.get("quarantined") or 0)
        m.READY.set(1 if report.get("ready") else 0)
    resp = web.Response(body=generate_latest())
    resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return resp
