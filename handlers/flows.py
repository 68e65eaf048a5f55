"""Imports every module that registers a flow, so a saved conversation always finds its flow.

A restarted process must know every flow before its first update: a chat resuming mid-report
would otherwise find no flow by that name and lose its place."""

from __future__ import annotations

import handlers.activity.flow
import handlers.activity.review
import handlers.announce
import handlers.ask.chat
import handlers.assign
import handlers.join
import handlers.province
import handlers.report
import handlers.report_period
import handlers.review
import handlers.routes
import handlers.schedule
import handlers.status  # noqa: F401

__all__: list[str] = []
