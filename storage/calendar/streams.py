"""Reporting streams (who reports what to whom, how often, due when) and their config round-trip."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

__all__ = [
    "CUTOFFS",
    "KINDS",
    "ROLES",
    "Frequency",
    "Stream",
    "default_streams",
    "dump_streams",
    "load_streams",
    "window_start_day",
]

KINDS = ("village_activity", "unit_report", "lead_report", "steering_report")
ROLES = ("member", "officer", "lead", "admin")  # mirrors storage.models_org.ROLES
CUTOFFS = ("nd09", "calendar")  # plus "day-N" (window starts on day N, 2 ≤ N ≤ 28)
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DAY_CUTOFF_RE = re.compile(r"^day-(\d{1,2})$")


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEAR = "half_year"
    YEAR = "year"


def window_start_day(cutoff: str) -> int:
    """Day of month on which a data window starts: 15 for ND 09/2019, 1 for calendar, N for "day-N"."""
    if cutoff == "nd09":
        return 15
    if cutoff == "calendar":
        return 1
    m = _DAY_CUTOFF_RE.match(cutoff)
    if m and 2 <= int(m.group(1)) <= 28:
        return int(m.group(1))
    raise ValueError(f"field 'cutoff' must be 'nd09', 'calendar' or 'day-N' (2 ≤ N ≤ 28), got {cutoff!r}")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class Stream:
    """One recurring report.

    Due date = day ``due_day`` of the period's last month shifted by ``due_month_offset`` months
    (quarter → its 3rd month, half-year → June/December, year → December). For weekly streams
    ``due_day`` is the ISO weekday (1 = Monday) and ``due_month_offset`` counts weeks after the
    reported week. ``due_day`` beyond the month's length is clamped to the last day of that month.
    ``inclusive=False`` reads "trước ngày N" literally: the last allowed day is N−1.
    """

    name: str
    kind: str
    reporter_roles: tuple[str, ...]
    recipient: str
    frequency: Frequency
    due_day: int
    due_month_offset: int = 0
    inclusive: bool = False
    cutoff: str = "nd09"
    notify_missing_to: str | None = "lead"
    weekend_reminders: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise ValueError(f"field 'name' must match [a-z][a-z0-9_]* (≤ 64 chars), got {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"field 'kind' must be one of {', '.join(KINDS)}, got {self.kind!r}")
        roles = self.reporter_roles
        if isinstance(roles, list):
            roles = tuple(roles)
            object.__setattr__(self, "reporter_roles", roles)
        if not isinstance(roles, tuple) or not roles or any(r not in ROLES for r in roles):
            raise ValueError(
                f"field 'reporter_roles' must be a non-empty list of {', '.join(ROLES)}, got {roles!r}"
            )
        if not isinstance(self.recipient, str) or not self.recipient.strip():
            raise ValueError(f"field 'recipient' must be a non-empty string, got {self.recipient!r}")
        try:
            object.__setattr__(self, "frequency", Frequency(self.frequency))
        except ValueError:
            allowed = ", ".join(f.value for f in Frequency)
            raise ValueError(f"field 'frequency' must be one of {allowed}, got {self.frequency!r}") from None
        top = 7 if self.frequency is Frequency.WEEKLY else 31
        if not _is_int(self.due_day) or not 1 <= self.due_day <= top:
            raise ValueError(f"field 'due_day' must be an integer 1–{top}, got {self.due_day!r}")
        if not _is_int(self.due_month_offset) or not -12 <= self.due_month_offset <= 12:
            raise ValueError(
                f"field 'due_month_offset' must be an integer -12–12, got {self.due_month_offset!r}"
            )
        for flag in ("inclusive", "weekend_reminders"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"field '{flag}' must be true or false, got {getattr(self, flag)!r}")
        if not isinstance(self.cutoff, str):
            raise ValueError(f"field 'cutoff' must be a string, got {self.cutoff!r}")
        window_start_day(self.cutoff)
        if self.notify_missing_to is not None and self.notify_missing_to not in ROLES:
            raise ValueError(
                f"field 'notify_missing_to' must be one of {', '.join(ROLES)} or null, "
                f"got {self.notify_missing_to!r}"
            )


_STEERING_TO = "Ban Chỉ đạo 57 xã (qua Văn phòng Đảng ủy)"


def default_streams() -> list[Stream]:
    """The reporting streams found in the seed plans (seed 004 for 20th/22nd, seed 001 for the 6th)."""
    monthly, lead = Frequency.MONTHLY, ("lead",)
    return [
        Stream("village_monthly", "village_activity", ("member",), "Phòng Văn hóa - Xã hội", monthly, 20,
               notify_missing_to="lead", weekend_reminders=True),
        Stream("unit_monthly", "unit_report", ("officer",), "Phòng Văn hóa - Xã hội", monthly, 20,
               notify_missing_to="lead"),
        Stream("lead_monthly", "lead_report", lead, "UBND xã", monthly, 22, notify_missing_to="admin"),
        # Seed 001 "hàng tháng (trước ngày 06 hàng tháng)": the previous month's report, after the UBND
        # compiled it (seed 004: before the 22nd), so month M is due before the 6th of month M+1.
        Stream("steering_monthly", "steering_report", lead, _STEERING_TO, monthly, 6, due_month_offset=1,
               notify_missing_to="admin"),
        Stream("steering_quarterly", "steering_report", lead, _STEERING_TO, Frequency.QUARTERLY, 6,
               notify_missing_to="admin"),
        Stream("steering_half_year", "steering_report", lead, _STEERING_TO, Frequency.HALF_YEAR, 6,
               notify_missing_to="admin"),
        Stream("steering_year", "steering_report", lead, _STEERING_TO, Frequency.YEAR, 6,
               notify_missing_to="admin"),
    ]


_FIELDS = tuple(f.name for f in fields(Stream))
_REQUIRED = ("name", "kind", "reporter_roles", "recipient", "frequency", "due_day")


def load_streams(data: list[dict[str, Any]]) -> list[Stream]:
    """Build streams from parsed JSON/TOML (a list of tables); ValueError names the entry and field."""
    if not isinstance(data, list):
        raise ValueError(f"streams config must be a list of objects, got {type(data).__name__}")
    out: list[Stream] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        where = f"stream #{i + 1}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be an object, got {type(item).__name__}")
        if isinstance(item.get("name"), str):
            where += f" ({item['name']!r})"
        unknown = sorted(set(item) - set(_FIELDS))
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}")
        missing = [k for k in _REQUIRED if k not in item]
        if missing:
            raise ValueError(f"{where}: missing field {missing[0]!r}")
        kwargs = dict(item)
        if kwargs.get("notify_missing_to") == "":
            kwargs["notify_missing_to"] = None  # TOML has no null
        if isinstance(kwargs["reporter_roles"], list):
            kwargs["reporter_roles"] = tuple(kwargs["reporter_roles"])
        elif isinstance(kwargs["reporter_roles"], str):
            kwargs["reporter_roles"] = (kwargs["reporter_roles"],)
        try:
            stream = Stream(**kwargs)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if stream.name in seen:
            raise ValueError(f"{where}: field 'name' duplicates an earlier stream")
        seen.add(stream.name)
        out.append(stream)
    return out


def dump_streams(streams: list[Stream]) -> list[dict[str, Any]]:
    """Plain JSON/TOML-ready dicts (no None: notify_missing_to None → ""); round-trips via load_streams."""
    out: list[dict[str, Any]] = []
    for s in streams:
        d = {name: getattr(s, name) for name in _FIELDS}
        d["frequency"] = s.frequency.value
        d["reporter_roles"] = list(s.reporter_roles)
        d["notify_missing_to"] = s.notify_missing_to or ""
        out.append(d)
    return out
