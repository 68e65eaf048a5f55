"""Tables for imported plans: sections, tasks (nhiệm vụ) and indicators (chỉ tiêu)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["ANSWER_KINDS", "Indicator", "IndicatorPartner", "IndicatorUnit", "Plan", "PlanSection", "Task", "TaskUnit",
           "answer_kind_for"]

# How an indicator is answered in a report: a number, an Đạt/Chưa đạt choice, or (a qualitative
# result with nothing to measure) a status from the task status set plus a short text.
ANSWER_KINDS = ("number", "choice", "status")


def answer_kind_for(target_op: str, unit: str | None = None) -> str:
    """The answer kind an imported target asks for: "choice" for a yes/no target ("Đạt"), "number" for
    a measurable one ("≥80%", "Có 5 sáng kiến") or for prose with a unit of measure, "status" otherwise."""
    if target_op == "bool":
        return "choice"
    if target_op == "text" and not (unit or "").strip():
        return "status"
    return "number"


class Plan(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commune_id", "year", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    title: str
    key: str
    year: int
    number: str | None = None  # "45/KH-UBND": with commune and year, the document's identity
    issued_on: date | None = None
    source_file: str | None = None
    imported_at: datetime = Field(default_factory=utcnow)


class PlanSection(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    name: str
    position: int = 0


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="plansection.id")
    position: int = 0
    code: str
    title: str
    due_text: str = ""
    due_date: date | None = None
    due_start: date | None = None
    due_recurring: bool = False
    due_kind: str = "none"
    output: str | None = None
    detail: str | None = None
    owners_assigned: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # plan assign
    # when a re-import added it to a commune already reporting; None: in the plan from the start (and every
    # item older than migration 0019). An office that reported a period before the item came is asked for it
    # once more, for it alone (``storage.item_standing.new_items``).
    created_at: datetime | None = None


class TaskUnit(SQLModel, table=True):
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    role: str = Field(default="lead", primary_key=True)  # lead | partner
    position: int = 0


class Indicator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="plansection.id")
    position: int = 0
    code: str
    name: str
    unit: str | None = None
    target_text: str = ""
    target_op: str = "text"
    target_value: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))
    target_bool: bool | None = None
    answer_kind: str = Field(default="number", sa_column_kwargs={"server_default": "number"})
    owners_assigned: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # plan assign
    due_text: str | None = None  # a prose target's "đến năm 2030"; None: due with the plan's year
    due_date: date | None = None
    created_at: datetime | None = None  # as ``Task.created_at``


class IndicatorUnit(SQLModel, table=True):
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    position: int = 0


class IndicatorPartner(SQLModel, table=True):
    """A unit that works on an indicator with its owners ("Cơ quan thực hiện/phối hợp"); never asked."""

    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    position: int = 0
