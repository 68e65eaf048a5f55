"""Every assumption the importer made about a plan, said as one warning line each."""

from __future__ import annotations

import re

from storage.plan_import.model import ParsedPlan

__all__ = ["plan_warnings"]

_NUMBER = re.compile(r"(?<![\w/-])\d+(?:[.,]\d+)?(?![\w/-])")  # not "57-NQ/TW" or "22/12/2024"
_SHOWN = 10


def _codes(codes: list[str]) -> str:
    shown = ", ".join(codes[:_SHOWN])
    return shown + (f" … (+{len(codes) - _SHOWN})" if len(codes) > _SHOWN else "")


def _phrases(pairs: list[tuple[str, str]]) -> str:
    shown = "; ".join(f"{code} '{text}'" for code, text in pairs[:_SHOWN])
    return shown + (f" … (+{len(pairs) - _SHOWN})" if len(pairs) > _SHOWN else "")


def plan_warnings(plan: ParsedPlan) -> list[str]:
    """Warnings for the year assumed, a plan named after its file, items without owner or deadline,
    deadline or target phrases no rule could read (kept as text), and target sentences skipped."""
    out: list[str] = []
    if plan.year_source == "assumed":
        out.append(f"no year is named in the file: imported as {plan.year} (the current year); "
                   "pass --year to change it")
    if plan.title_source == "file":
        out.append(f"no title line ('KẾ HOẠCH …') or number ('Số: …/KH-UBND') in the file: the plan is "
                   f"named after the file ('{plan.title}'); pass --title to name it")
    no_lead = [t.code for t in plan.tasks if not t.lead_units]
    if no_lead:
        out.append(f"{len(no_lead)} task(s) have no lead unit, so nobody will be asked to report them: "
                   f"{_codes(no_lead)}")
    no_owner = [i.code for i in plan.indicators if not i.owner_units]
    if no_owner:
        out.append(f"{len(no_owner)} indicator(s) have no owner unit of their own: the lead office is asked "
                   f"for them until `cdsbot plan assign CODE --unit …`: {_codes(no_owner)}")
    no_due = [t.code for t in plan.tasks if t.due.kind == "none"]
    if no_due:
        out.append(f"{len(no_due)} task(s) have no deadline: {_codes(no_due)}")
    unread = [(t.code, t.due.text) for t in plan.tasks if not t.due.understood]
    if unread:
        out.append(f"{len(unread)} deadline(s) not understood, kept as text with no date: {_phrases(unread)}")
    targets = [(i.code, i.target.text) for i in plan.indicators
               if i.target.op == "text" and _NUMBER.search(i.target.text or "")]
    if targets:
        out.append(f"{len(targets)} target(s) with a number that could not be read, answered as a status: "
                   f"{_phrases(targets)}")
    undated = [i.code for i in plan.indicators if plan.prose_targets and i.due is None]
    if undated:
        out.append(f"{len(undated)} target(s) name no year ('đến năm …'): due by the end of {plan.year}: "
                   f"{_codes(undated)}")
    if plan.skipped:
        shown = "; ".join(f"'{text}'" for text in plan.skipped[:_SHOWN])
        more = f" … (+{len(plan.skipped) - _SHOWN})" if len(plan.skipped) > _SHOWN else ""
        out.append(f"{len(plan.skipped)} sentence(s) under target headings state no measurable target "
                   f"and were skipped: {shown}{more}")
    return out
