"""The province view's units and the states of a commune's offices (``storage.traffic_facts`` reads them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from storage.calendar.calendar import Period
from storage.people import held_at
from storage.status import submission_state
from storage.unit_groups import pick_members
from storage.units import existed_by

__all__ = ["Submission", "ViewUnit", "as_of_due", "dated_communes", "expected_offices", "office_states", "sent_state",
           "units_by_commune"]

Submission = tuple[bool, str | None]  # sent by the deadline (compared in SQL), review status
_LATER = timedelta(microseconds=1)


def sent_state(period: Period, now: datetime, start: date | None, by_due: bool, review: str | None = None) -> str:
    """The state of something sent by the period's deadline or after it (``storage.status.submission_state``,
    the one derivation, given the deadline itself or the instant after it: all the moment decides)."""
    return submission_state(period, now, start, (period.due if by_due else period.due + _LATER, review, None))


class ViewUnit(NamedTuple):
    """A unit as the province view reads it, with whether it chairs a plan item and who of its commune
    belongs to it (plain tuples: thousands of them, read many times)."""

    id: int
    commune_id: int
    name: str
    kind: str
    members: str | None
    from_plan: bool
    chair: int | None  # its own id when it chairs a task or an indicator
    officer: int | None  # 1: an officer belongs to it
    lead: int | None  # 1: a lead
    lead_or_admin: int | None  # 1: a lead or an admin
    created_at: datetime | None  # when it was added, if dated (``storage.units.existed_by``)
    # its people's posts when one of them is dated, (since, until, officer, lead, lead_or_admin) each
    # (``storage.people.held_at``); the three flags above are then today's. None: no dated post.
    staff: tuple[tuple[Any, ...], ...] | None = None


def units_by_commune(rows: Any) -> dict[int, list[ViewUnit]]:
    """commune id → its ``ViewUnit``s from the rows of ``storage.traffic_facts._units_statement``: a unit's
    columns, then its people's flags and the dates (since, until) they share, a row per distinct dates."""
    by_id: dict[int, ViewUnit] = {}
    for *columns, since, until in rows:
        u = ViewUnit(*columns)
        if (seen := by_id.get(u.id)) is None and since is None and until is None:
            by_id[u.id] = u
            continue
        if seen is None:
            seen = u._replace(officer=None, lead=None, lead_or_admin=None, staff=())
        before = seen.staff if seen.staff is not None else ((None, None, seen.officer, seen.lead, seen.lead_or_admin),)
        posts = (*before,
                 (since, until, u.officer, u.lead, u.lead_or_admin))
        by_id[u.id] = _staffed(seen._replace(staff=posts), None)
    by_commune: dict[int, list[ViewUnit]] = {}
    for u in by_id.values():
        by_commune.setdefault(u.commune_id, []).append(u)
    return by_commune


def _staffed(u: ViewUnit, due: datetime | None) -> ViewUnit:
    """``u`` with its people's flags as they stood at ``due`` (None: today)."""
    if u.staff is None:
        return u
    held = [p for p in u.staff if held_at(p[0], p[1], due)]
    return u._replace(**{f: 1 if any(p[i] for p in held) else None
                         for i, f in ((2, "officer"), (3, "lead"), (4, "lead_or_admin"))})


def as_of_due(mine: list[ViewUnit], due: datetime | None) -> list[ViewUnit]:
    """The units of ``mine`` that existed at ``due`` (a period's deadline; None: all of them), each with its
    people as they stood then (``storage.people.held_at``)."""
    return mine if due is None else [_staffed(u, due) for u in mine if existed_by(u, due)]


def dated_communes(units: dict[int, list[ViewUnit]]) -> set[int]:
    """The communes with a unit added, or a person come, moved or gone, once they reported: their units owing
    a period depend on its due."""
    return {cid for cid, mine in units.items() if any(u.created_at is not None or u.staff is not None for u in mine)}


def expected_offices(mine: list[ViewUnit], has_villages: bool) -> list[ViewUnit]:
    """The offices of one commune expected to report, by the rule of ``storage.status.expected_units``
    (once plan items name chairs, the offices owing one, groups expanded; before that, staffed offices)."""
    expanded: set[int] = set()
    chairing = [u for u in mine if u.chair]
    if any(u.kind == "group" and u.members is not None for u in chairing):  # as storage.unit_groups.expand_units
        real = [u for u in mine if u.kind != "group"]
        leads = {u.id for u in mine if u.lead_or_admin}
        for u in chairing:
            if u.kind == "group" and u.members == "villages":  # its members: villages, never offices
                expanded |= {-1} if has_villages else set()  # (not read: only whether there are any)
            elif u.kind == "group" and u.members is not None:
                expanded |= {m.id for m in pick_members(real, u.members, leads)}
            else:
                expanded.add(u.id)
    else:
        expanded = {u.id for u in chairing}
    staffed = not chairing  # before any plan item names a chair, every staffed office owes one, the lead's too
    return [u for u in mine if u.kind == "office" and (u.id in expanded or (staffed and (u.officer or u.lead)))]


def office_states(offices: list[ViewUnit], sent: dict[tuple[int, int], Submission], cid: int, period: Period,
                   now: datetime, start: date | None, kinds: dict[Any, str]) -> list[str]:
    """The states of a commune's expected offices (not_owed left out). ``kinds``: the period's states so far,
    a sent report's by (returned, sent by the deadline), a report not sent by the commune's reporting start:
    all they depend on."""
    if not offices:
        return []
    if (unsent := kinds.get(start)) is None:  # the same for every office that sent nothing (by the start)
        unsent = kinds[start] = submission_state(period, now, start, None)
    out = []
    for u in offices:
        sub = sent.get((cid, u.id))
        if sub is None:
            state = unsent
        elif (state := kinds.get(key := (sub[1] == "returned", sub[0]))) is None:  # type: ignore[assignment]
            state = kinds[key] = sent_state(period, now, start, sub[0], sub[1])
        if state != "not_owed":
            out.append(state)
    return out
