"""Dispatch schemas by role (control room and admins only): units, tasks, recommendations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AssignRequest",
    "AssignResult",
    "IncidentLocation",
    "MissedPatrolPublic",
    "RecommendRequest",
    "RecommendResult",
    "RecommendationPublic",
    "TaskPublic",
    "TimelineEventPublic",
    "UnitPublic",
]

Callsign = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)]
Reference = Annotated[str, Field(pattern=r"^CG-[A-Z0-9]{4}-[A-Z0-9]{4}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentLocation(_In):
    """A point in degrees (WGS84)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class RecommendRequest(_In):
    """Where to send someone: a ``location`` or a stored ``report`` (exactly one)."""

    location: IncidentLocation | None = None
    report: Reference | None = None
    k: int = Field(default=3, ge=1, le=20, description="how many units to rank")
    require_armed: bool = True
    on_scene_minutes: float = Field(default=30.0, gt=0, le=720, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_target(self) -> RecommendRequest:
        if (self.location is None) == (self.report is None):
            raise ValueError("give exactly one of location or report")
        return self


class MissedPatrolPublic(BaseModel):
    """Rostered patrol the unit would miss."""

    venue: str
    start: dt.datetime
    end: dt.datetime
    minutes: float


class RecommendationPublic(BaseModel):
    """One ranked unit: arrival estimate, where it is now and the patrol cover it costs."""

    unit: str
    eta_minutes: float
    position: str
    busy_until: dt.datetime
    return_minutes: float
    missed: list[MissedPatrolPublic]
    missed_minutes: float


class RecommendResult(BaseModel):
    """The ranking, fastest first, and what it was computed from."""

    location: IncidentLocation
    at: dt.datetime
    roster_date: dt.date
    roster_plan_id: int | None
    scenario_id: str
    travel_model: str
    recommendations: list[RecommendationPublic]


class AssignRequest(_In):
    """Send ``unit`` to a stored ``report`` (a task is opened for it) or an open ``task``."""

    unit: Callsign
    report: Reference | None = None
    task: int | None = Field(default=None, ge=1, le=2**31 - 1)
    en_route: bool = Field(default=True, description="the unit moves as soon as it is sent")

    @model_validator(mode="after")
    def _one_target(self) -> AssignRequest:
        if (self.report is None) == (self.task is None):
            raise ValueError("give exactly one of report or task")
        return self


class UnitPublic(BaseModel):
    """A unit and its current state."""

    callsign: str
    state: str
    armed: bool
    kind: str
    task_id: int | None
    updated_at: dt.datetime


class TaskPublic(BaseModel):
    """A task (incident needing attendance)."""

    id: int
    report_ref: str | None
    state: str
    unit_ids: list[str]
    lat: float | None
    lon: float | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TimelineEventPublic(BaseModel):
    """One state change."""

    at: dt.datetime
    kind: str
    id: str
    from_state: str
    to_state: str
    cause: str


class AssignResult(BaseModel):
    """The unit and task after the change, and every transition it made."""

    unit: UnitPublic
    task: TaskPublic | None
    events: list[TimelineEventPublic]
