"""Roster schemas: the roster contract of ``design.md`` (``rosters/YYYY-MM-DD.json``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["DayRosters", "PlanRosters", "Segment", "TeamRoster"]


class Segment(BaseModel):
    """One stretch of a team's day: patrolling a venue, in transit, or at base."""

    kind: Literal["patrol", "transit", "base"]
    venue: str | None = None
    start: str
    end: str


class TeamRoster(BaseModel):
    """One team's assignment on one date."""

    team: str
    base: str
    segments: list[Segment]
    starts_at: dt.datetime
    ends_at: dt.datetime
    plan_id: int


class DayRosters(BaseModel):
    """Every team roster on a date that the caller may see (``teams`` may be empty).

    An officer whose team is rostered that day but whose shifts are not yet released gets
    403 saying when they will be ("visible from 08:00"), not an empty list; ``teams`` is
    empty only when there is no roster for them that day.
    """

    date: dt.date
    plan_id: int | None
    teams: list[TeamRoster]
    more_from: dt.datetime | None = Field(
        default=None,
        description="officers: when the next of their team's shifts that day becomes "
        "visible (a later shift is still hidden); null when nothing more is to come",
    )


class PlanRosters(BaseModel):
    """Every day's rosters of one plan, as a planner downloads them (``GET
    /api/v1/plans/{id}/rosters``): one :class:`DayRosters` per planned day, oldest first,
    the rosters exactly as that plan drew them (a newer plan over the same day does not
    replace them here)."""

    plan_id: int
    days: list[DayRosters]
