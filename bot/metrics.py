"""Prometheus metrics: counters the code increments, and database figures collected at scrape time."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "DEAD_LETTERS", "POLL_ERRORS", "QUARANTINED", "SENDS", "TASK_RESTARTS", "UPDATES", "UPDATE_SECONDS",
    "metrics_response", "send_result", "started", "update_done",
]

UPDATES = Counter("cdsbot_updates", "Updates received, by channel and outcome "
                  "(handled, ignored, failed, quarantined)", ["channel", "outcome"])
UPDATE_SECONDS = Histogram("cdsbot_update_handling_seconds", "Time to handle one update, replies sent",
                           ["channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SENDS = Counter("cdsbot_sends", "Messages sent to a platform, by channel, kind (text, document, photo), "
                "path (reply, bulk) and result (ok, rate_limited, error)", ["channel", "kind", "path", "result"])
POLL_ERRORS = Counter("cdsbot_poll_errors", "Failed polls (getUpdates), by channel and reason",
                      ["channel", "reason"])
QUARANTINED = Counter("cdsbot_quarantined_updates", "Updates that could not be read, kept in quarantine",
                      ["channel"])
DEAD_LETTERS = Counter("cdsbot_outbox_dead_letters", "Outbox rows given up after their retries (failed)",
                       ["channel"])
TASK_RESTARTS = Counter("cdsbot_task_restarts", "Supervised tasks restarted after a crash", ["task"])
LAST_OK = Gauge("cdsbot_channel_last_ok_timestamp_seconds",
                "Unix time of the last successful poll or webhook delivery", ["channel"])
OUTBOX_PENDING = Gauge("cdsbot_outbox_pending", "Outbox rows waiting to be sent")
OUTBOX_FAILED = Gauge("cdsbot_outbox_failed", "Outbox rows given up (dead letters)")
OUTBOX_OLDEST = Gauge("cdsbot_outbox_oldest_due_seconds", "Age of the oldest outbox row that is due")
QUARANTINE_ROWS = Gauge("cdsbot_quarantine_rows", "Updates in the quarantine table")
READY = Gauge("cdsbot_ready", "1 when /readyz answers 200")


def send_result(channel: str, kind: str, bulk: bool, exc: BaseException | None) -> None:
    """Count one send; ``exc`` is the error it raised (None when it went out)."""
    from storage.errors import RateLimited

    result = "ok" if exc is None else "rate_limited" if isinstance(exc, RateLimited) else "error"
    SENDS.labels(channel, kind, "bulk" if bulk else "reply", result).inc()


def started() -> float:
    return time.perf_counter()


def update_done(channel: str, outcome: str, since: float) -> None:
    """Count one update by outcome and observe its handling time (``since`` from ``started()``)."""
    UPDATES.labels(channel, outcome).inc()
    UPDATE_SECONDS.labels(channel).observe(time.perf_counter() - since)


def metrics_response(report: dict | None = None) -> web.Response:
    """The text exposition, after copying ``report`` (a /readyz answer) into the scrape-time gauges."""
    from aiohttp import web

    if report is not None:
        outbox = report.get("outbox") or {}
        OUTBOX_PENDING.set(outbox.get("pending") or 0)
        OUTBOX_FAILED.set(outbox.get("failed") or 0)
        OUTBOX_OLDEST.set(outbox.get("oldest_due_seconds") or 0)
        QUARANTINE_ROWS.set(report.get("quarantined") or 0)
        READY.set(1 if report.get("ready") else 0)
    resp = web.Response(body=generate_latest())
    resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return resp
