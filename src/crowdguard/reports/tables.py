"""Stored public reports: one row per accepted report, with its triage and suggestions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["ReportRow"]


class ReportRow(Base):
    """A report of concern. ``data`` is the full :class:`ReportControl` (location, contact).

    ``lat``/``lon`` repeat the report's point (its own, else its venue's) so the duplicate
    check can select recent nearby reports without parsing every ``data`` blob; ``triage``
    is the :class:`TriageResult` as first computed, ``grade`` the current grade (after any
    override), ``duplicates`` the references suggested as possible duplicates at intake.
    """

    __tablename__ = "reports"

    reference: Mapped[str] = mapped_column(String(20), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    grade: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(4))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    venue_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    triage: Mapped[dict[str, Any]] = mapped_column(JSON)
    duplicates: Mapped[list[str]] = mapped_column(JSON)
    duplicate_of: Mapped[str | None] = mapped_column(String(20), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
