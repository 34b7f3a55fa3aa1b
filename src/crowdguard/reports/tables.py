"""Stored public reports: one row per accepted report, with its triage and suggestions, and
one row per possible-duplicate pair found at intake."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["DuplicateLinkRow", "ReportRow"]


class DuplicateLinkRow(Base):
    """A possible-duplicate pair found at intake: ``reference`` (the report being received)
    may repeat ``other`` (a report stored before it). Written once, never rewritten, so an
    earlier report is never updated when a later one names it; the earlier side reads the
    pair through :attr:`ReportRow.later_links` (indexed on ``other``)."""

    __tablename__ = "report_duplicates"

    reference: Mapped[str] = mapped_column(ForeignKey("reports.reference"), primary_key=True)
    other: Mapped[str] = mapped_column(
        ForeignKey("reports.reference"), primary_key=True, index=True
    )
    distance_m: Mapped[float] = mapped_column(Float)
    minutes_apart: Mapped[float] = mapped_column(Float)


class ReportRow(Base):
    """A report of concern. ``data`` is the full :class:`ReportControl` (location, contact).

    ``lat``/``lon`` repeat the report's point (its own, else its venue's) so the duplicate
    check can select recent nearby reports without parsing every ``data`` blob (the index
    ``ix_reports_duplicate_walk`` lets it walk outwards in time from a new report without
    reading the rows themselves); ``triage`` is the :class:`TriageResult` as first computed, ``grade`` the
    current grade (after any override), ``duplicates`` the earlier references this report
    was linked to at intake (at most ``DUPLICATE_SUGGESTIONS``; rows stored before migration
    0004 also hold the later side), ``grade_override`` the latest hand change of grade
    (:class:`~crowdguard.reports.models.OverridePublic`; every one is in the audit trail). :attr:`possible_duplicates` is both sides of every pair.
    """

    __tablename__ = "reports"
    __table_args__ = (
        # The duplicate check walks this in time order; it holds every column it reads.
        Index("ix_reports_duplicate_walk", "category", "observed_at", "reference", "lat", "lon"),
    )

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
    grade_override: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    later_links: Mapped[list[DuplicateLinkRow]] = relationship(
        primaryjoin="ReportRow.reference == DuplicateLinkRow.other",
        foreign_keys="DuplicateLinkRow.other",
        viewonly=True,
        lazy="select",
    )
    """Pairs in which a report received later named this one (loaded on first access)."""

    @property
    def possible_duplicates(self) -> list[str]:
        """Every reference paired with this one: those it named at intake and those that
        named it later, sorted."""
        return sorted({*self.duplicates, *(link.reference for link in self.later_links)})
