"""Tables for shared indicators: a province's indicator list and each commune indicator's match to it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Integer, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models_org import utcnow

__all__ = ["IndicatorMatch", "ProvinceIndicator"]


class ProvinceIndicator(SQLModel, table=True):
    """A target the province follows across its communes (usually a national one), with its own target."""

    __table_args__ = (UniqueConstraint("province_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    province_id: int = Field(sa_column=Column(Integer, ForeignKey("province.id", ondelete="CASCADE"),
                                              nullable=False, index=True))
    position: int = 0
    code: str
    name: str
    unit: str | None = None
    target_text: str = ""
    target_op: str = "text"
    target_value: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))
    target_bool: bool | None = None
    source_file: str | None = None
    imported_at: datetime = Field(default_factory=utcnow)


class IndicatorMatch(SQLModel, table=True):
    """An operator's decision on one (commune indicator, province indicator) pair: "confirmed" (at most
    one per commune indicator) or "rejected" (never suggested again). Keyed by the indicator row, which
    a plan re-import keeps while the indicator's code survives; removed with it when it does not."""

    # plus ux_indicatormatch_confirmed: unique indicator_id WHERE status = 'confirmed' (migration 0015; the
    # schema comes from the migrations, and a postgresql_where here would load that dialect on SQLite too)
    __table_args__ = (UniqueConstraint("indicator_id", "province_indicator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(sa_column=Column(Integer, ForeignKey("indicator.id", ondelete="CASCADE"),
                                               nullable=False, index=True))
    province_indicator_id: int = Field(sa_column=Column(
        Integer, ForeignKey("provinceindicator.id", ondelete="CASCADE"), nullable=False, index=True))
    status: str = "confirmed"  # confirmed | rejected
    score: float | None = None  # the name similarity when decided (storage.indicator_match)
    name_then: str = ""  # the commune indicator's name when decided: a later rewording is shown
    decided_by: str = ""  # "cli", "cli:<name>" or "auto ≥ 0.9"
    decided_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime = Field(default_factory=utcnow)
