"""CLI commands added by later features (status, reminders preview, export)."""

from __future__ import annotations

import argparse

__all__ = ["add_more_commands"]


def add_more_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register subcommands that live outside the core CLI module."""
