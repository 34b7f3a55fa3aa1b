"""Stored dispatch state: units (one per team), tasks, and the append-only timeline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["TaskRow", "TimelineRow", "UnitRow"]


class UnitRow(Base):
    """A dispatchable unit: one per stored team (callsign), with its current state."""

    __tablename__ = "dispatch_units"

    callsign: Mapped[str] = mapped_column(String(80), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(10))
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TaskRow(Base):
    """An incident needing attendance: raised from a public report, or opened by the control
    room from a call (no report: ``description`` and ``opened_by`` say what and who)."""

    __tablename__ = "dispatch_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_ref: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class TimelineRow(Base):
    """One state change of a unit or task (append-only), with who caused it."""

    __tablename__ = "dispatch_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[str] = mapped_column(String(80))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(80), nullable=True)
