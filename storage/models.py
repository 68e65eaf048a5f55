"""All tables in one import, so Alembic and the app see the same metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from storage.models_calendar import HolidayOverride
from storage.models_org import (
    ROLES,
    UNIT_KINDS,
    Commune,
    Identity,
    Invite,
    LinkCode,
    Person,
    PersonPost,
    Province,
    Unit,
    utcnow,
)
from storage.models_plan import Indicator, IndicatorPartner, IndicatorUnit, Plan, PlanSection, Task, TaskUnit
from storage.models_report import (
    ActivityLog,
    Attachment,
    LogRollup,
    LogRollupStamp,
    Report,
    ReportingPeriod,
    ReportItem,
    ReportRevision,
)
from storage.models_runtime import (
    AuditLog,
    ConversationState,
    InboxUpdate,
    Outbox,
    ProcessedUpdate,
    QuarantinedUpdate,
    ReminderLog,
    StreamSetting,
)
from storage.models_shared import IndicatorMatch, ProvinceIndicator

__all__ = [
    "ROLES", "UNIT_KINDS", "ActivityLog", "Attachment", "AuditLog", "Commune", "ConversationState",
    "HolidayOverride", "Identity", "InboxUpdate", "Indicator", "IndicatorMatch", "IndicatorPartner", "IndicatorUnit",
    "Invite", "LinkCode", "LogRollup", "LogRollupStamp", "Outbox",
    "Person", "PersonPost", "Plan", "PlanSection", "Province", "ProvinceIndicator", "ProcessedUpdate", "QuarantinedUpdate",
    "ReminderLog", "Report", "ReportItem",
    "ReportRevision",
    "ReportingPeriod", "SQLModel", "StreamSetting", "Task", "TaskUnit", "Unit", "utcnow",
]
