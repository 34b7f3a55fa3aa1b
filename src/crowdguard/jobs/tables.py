"""Plan jobs: one row per solve, with everything needed to reproduce it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["PlanRow"]


class PlanRow(Base):
    """A plan job: queued -> running -> done | failed.

    ``scenario_snapshot``, ``security_plans``, ``options``, ``solver``, ``version``, ``days``
    and ``seed``
    are the inputs that produced the result, so an authorised user can reproduce it for audit.
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(80), index=True)
    scenario_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """Only when the requester asked for reproducible draws; otherwise NULL and the rosters
    come from ``secrets`` (nothing stored can rebuild them). A seed is as secret as every
    roster it reproduces: read only through ``GET /plans/{id}/seed`` (audited per day)."""
    seed_given: Mapped[bool] = mapped_column(default=False)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    solver: Mapped[str | None] = mapped_column(String(80), nullable=True)
    version: Mapped[str] = mapped_column(String(40))
    requested_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    security_plans: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    """Submitted security plans the solve took into account (reviews as they stood)."""
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """The routes-mode options asked for (:class:`~crowdguard.jobs.models.PlanRouteOptions`,
    only those set: overrides, variant cap, floors); NULL: the default plan."""
