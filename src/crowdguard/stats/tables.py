"""The operations log: one row per armed unit deployment (issue 15)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crowdguard.store.db import Base, UTCDateTime

__all__ = ["DeploymentRow"]


class DeploymentRow(Base):
    """One unit's deployment to one incident (:class:`crowdguard.stats.operations.Deployment`).

    Written by dispatch as it happens (a unit sent to a report's or a call's task: the
    sending user is recorded as the authorising person until a control user amends it),
    or entered by hand for deployments dispatch does not see (escorts, guarding, VIP
    protection). ``incident`` groups rows: ``task-42`` for dispatch task 42,
    ``self-<unit>-<n>`` for a unit that set off on its own authority. No roster, location
    or report contact is kept here.
    """

    __tablename__ = "operations_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident: Mapped[str] = mapped_column(String(80), index=True)
    unit: Mapped[str] = mapped_column(String(80), index=True)
    unit_kind: Mapped[str] = mapped_column(String(10))
    arv: Mapped[bool] = mapped_column(Boolean)
    armed: Mapped[bool] = mapped_column(Boolean)
    purpose: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    report_ref: Mapped[str | None] = mapped_column(String(20), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(20), nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    authorised_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True, index=True
    )
    authorised_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    self_authorised: Mapped[bool] = mapped_column(Boolean, default=False)
    deployed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stood_down_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    discharges: Mapped[int] = mapped_column(Integer, default=0)
    from_patrol: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
