"""Roster schemas: the roster contract of ``design.md`` (``rosters/YYYY-MM-DD.json``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

__all__ = ["DayRosters", "Segment", "TeamRoster"]


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
    """Every team roster on a date that the caller may see (``teams`` may be empty)."""

    date: dt.date
    plan_id: int | None
    teams: list[TeamRoster]
