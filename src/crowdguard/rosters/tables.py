"""Rosters: one row per plan, date and team (the roster contract in ``design.md``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["RosterRow"]


class RosterRow(Base):
    """One team's segments on one date from one plan. Secret: need-to-know only."""

    __tablename__ = "rosters"
    __table_args__ = (
        UniqueConstraint("plan_id", "date", "team", name="uq_rosters_plan_date_team"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    team: Mapped[str] = mapped_column(String(80))
    base: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
