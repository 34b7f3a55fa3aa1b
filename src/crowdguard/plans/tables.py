"""Security-plan records: one workflow per event, its versions, reviews and overrides.

The shape follows ``domain.md`` sections 3 and 9 (a versioned SecurityPlan, a PlanReview per
version, findings an adviser may override with a reason). TPPA s.7 expects a security
document to be revised and re-sent, so every submission is kept as a new version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = [
    "SecurityPlanOverrideRow",
    "SecurityPlanReviewRow",
    "SecurityPlanRow",
    "SecurityPlanVersionRow",
]


class SecurityPlanRow(Base):
    """The review workflow of one event's security plan (status, due date, latest version)."""

    __tablename__ = "security_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True, index=True
    )
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_version: Mapped[int] = mapped_column(Integer)
    review_due: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SecurityPlanVersionRow(Base):
    """One submission: the plan exactly as validated by ``SecurityPlan`` (JSON mode)."""

    __tablename__ = "security_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_security_plan_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("security_plans.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SecurityPlanReviewRow(Base):
    """The engine's review of one version (``crowdguard.plans.review.Review``, JSON mode)."""

    __tablename__ = "security_plan_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("security_plan_versions.id", ondelete="CASCADE"), unique=True, index=True
    )
    tier: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    legal_verdict: Mapped[str] = mapped_column(String(80))
    good_practice_verdict: Mapped[str] = mapped_column(String(80))
    review: Mapped[dict[str, Any]] = mapped_column(JSON)
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SecurityPlanOverrideRow(Base):
    """An adviser's override of one checklist item of one review, with who and why."""

    __tablename__ = "security_plan_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("security_plan_reviews.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(20))
    old_status: Mapped[str] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
