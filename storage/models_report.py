"""Tables for what people report: periods, unit reports and items, village activity logs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["ActivityLog", "Attachment", "LogRollup", "LogRollupStamp", "Report", "ReportItem", "ReportRevision",
           "ReportingPeriod"]


class ReportingPeriod(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commune_id", "stream", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    stream: str
    key: str
    start: date
    end: date
    due: datetime


class Report(SQLModel, table=True):
    """One unit's report for one period; resubmissions bump ``revision`` (history in ReportRevision)."""

    __table_args__ = (UniqueConstraint("period_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="reportingperiod.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = "submitted"  # submitted | returned | accepted
    submitted_at: datetime = Field(default_factory=utcnow)
    late: bool = False
    revision: int = 1
    difficulties: str | None = None
    proposals: str | None = None
    review_comment: str | None = None


class ReportItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("report_id", "kind", "ref_id"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    kind: str  # task | indicator
    ref_id: int  # task.id or indicator.id
    status: str | None = None  # task status code
    value_num: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))
    value_bool: bool | None = None
    note: str | None = None


class ReportRevision(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("report_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    revision: int
    person_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime = Field(default_factory=utcnow)
    late: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ActivityLog(SQLModel, table=True):
    """A village team member's count of one activity type on one day."""

    # plus ix_activitylog_commune_date_cover (commune_id, on_date) INCLUDE (unit_id, activity, count, created_at),
    # covering the province view's grouped reads (migration 0016; on SQLite the included columns are keys). Not
    # declared here: the schema comes from the migrations, and postgresql_include would load that dialect on SQLite.
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    on_date: date
    activity: str
    count: int
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    """An evidence file (photo or document) with a village log, or with a unit report and one of its items.

    ``file_key`` names the bytes in the file store (storage/blobs.py); ``file_ref`` is the platform's
    own reference as received (a Telegram file id, a Zalo link that expires)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    activity_log_id: int | None = Field(default=None, foreign_key="activitylog.id")
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    item_kind: str | None = None  # task | indicator: the report item the file was sent for
    item_ref_id: int | None = None  # task.id or indicator.id (report items are rewritten on resubmission)
    channel: str
    kind: str = "photo"  # photo | document
    file_ref: str
    file_key: str | None = Field(default=None, index=True)
    size: int | None = None
    mime: str | None = None
    file_name: str | None = None  # as the sender named it; only shown
    caption: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LogRollup(SQLModel, table=True):
    """One commune's activity-log facts for a closed date range (``storage.log_rollup``, migration 0017): a
    marker row (unit_id 0, activity ""), each unit's first log (activity "") and each activity's total
    (unit_id 0), all tagged with the commune's ``LogRollupStamp.version`` read before the logs were."""

    # activity before unit_id: a range's totals (activity > ''), its first logs (activity '', unit_id > 0) and its
    # marker are each one range of the index
    __table_args__ = (UniqueConstraint("commune_id", "start", "end", "activity", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    start: date
    end: date
    unit_id: int = 0  # no foreign key: 0 is "no unit", and storage.merge moves every foreign key to a unit
    activity: str = ""
    version: int
    first_at: datetime | None = None
    total: int = 0


class LogRollupStamp(SQLModel, table=True):
    """A commune's roll-up version: every write that can change a closed range's logs adds one (same transaction)."""

    commune_id: int = Field(primary_key=True, foreign_key="commune.id", sa_column_kwargs={"autoincrement": False})
    version: int = 0
