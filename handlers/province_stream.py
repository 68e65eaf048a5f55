"""The commune → province stream in the province office's words: whether a commune's compiled report arrived."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from locales.i18n import _, fmt_date

__all__ = ["compiled_text"]


def _day(iso: str, tz: tzinfo) -> str:
    return fmt_date(datetime.fromisoformat(iso).astimezone(tz).date())


def compiled_text(report: dict[str, Any] | None, tz: tzinfo) -> str:
    """", compiled report: received 23/12/2026" and the like, for one commune's line (``storage.traffic``'s
    ``compiled_report``); empty when the commune owes none for the period or nobody of its lead office is on
    the bot to mark it (state no_lead: not tracked; the province's digest names those communes)."""
    if report is None or report["state"] in ("not_owed", "no_lead"):
        return ""
    state, due = report["state"], _day(report["due"], tz)
    if state == "on_time":
        text = _("compiled report: received {day}", day=_day(report["sent_at"], tz))
    elif state == "late":
        text = _("compiled report: received late, {day}", day=_day(report["sent_at"], tz))
    elif state == "pending":
        text = _("compiled report: not yet, last day {due}", due=due)
    else:
        text = _("compiled report: missing (last day {due})", due=due)
    return ", " + text
