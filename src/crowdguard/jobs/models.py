"""Plan-job schemas by role: planners see everything, analysts only aggregates."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "MAX_PLAN_OVERRIDES",
    "PlanAggregate",
    "PlanCreate",
    "PlanOverride",
    "PlanPublic",
    "PlanRouteOptions",
    "PlanSeed",
    "PlanStatus",
    "PlanSummary",
]

LONDON = ZoneInfo("Europe/London")
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PLAN_OVERRIDES = 50
"""Most pins and forbids one plan job takes (each is priced, re-solving its day)."""


class PlanStatus(StrEnum):
    """Life of a plan job."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class PlanOverride(BaseModel):
    """A planner's pin or forbid (``crowdguard plan --pin/--forbid``): ``team`` at ``place``
    in the slot holding ``at``, a local (Europe/London) date and time. The ARMOR
    "add/suppress" control (Pita et al., AAMAS 2008); the plan prices each one."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["pin", "forbid"] = Field(
        description="pin: the team must be there; forbid: it must not"
    )
    team: str = Field(pattern=SLUG, min_length=1, max_length=80, description="a team's callsign")
    place: str = Field(pattern=SLUG, min_length=1, max_length=80, description="a venue or base id")
    at: dt.datetime = Field(
        description="local wall-clock time in Europe/London, e.g. 2026-12-05T14:00 (a time "
        "with an offset is converted to London time)"
    )

    @field_validator("at")
    @classmethod
    def _local(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            try:
                value = value.astimezone(LONDON).replace(tzinfo=None)
            except (OverflowError, ValueError):
                raise ValueError("a date and time a plan can have (years 2000 to 2100)") from None
        return value.replace(second=0, microsecond=0)


class PlanRouteOptions(BaseModel):
    """The routes-mode options a planner may set on a plan job, as ``crowdguard plan`` takes
    them (:class:`crowdguard.patrols.season_routes.DayOptions`): overrides, the variant cap and
    the floors. Every one is priced in the plan's result (``overrides``, ``variants_cost``,
    ``response_floor_check``, ``visibility``)."""

    model_config = ConfigDict(extra="forbid")

    overrides: list[PlanOverride] = Field(
        default_factory=list,
        max_length=MAX_PLAN_OVERRIDES,
        description="pins and forbids, each on a planned day (price one first with the "
        "planner page's what-if)",
    )
    max_variants: int | None = Field(
        default=None, ge=1, le=1000, description="at most K different routes per team per day"
    )
    response_floor: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        allow_inf_nan=False,
        description="keep the chance a team is within the response target at least this "
        "(0 < P < 1) at venue-slots with at least response_min_crowd people",
    )
    response_min_crowd: float | None = Field(
        default=None,
        ge=0,
        le=10_000_000,
        allow_inf_nan=False,
        description="people expected at a venue-slot for response_floor to apply (default 0)",
    )
    visibility_floor: float | None = Field(
        default=None,
        ge=0,
        le=1e9,
        allow_inf_nan=False,
        description="keep the expected shoppers passing a patrol at least N per day",
    )

    @model_validator(mode="after")
    def _crowd_needs_floor(self) -> Self:
        if self.response_min_crowd is not None and self.response_floor is None:
            raise ValueError("response_min_crowd needs response_floor (0 < P < 1)")
        return self

    def chosen(self) -> dict[str, Any]:
        """Only the options set (JSON types), as the plan job stores them; ``{}``: none."""
        fields = set(PlanRouteOptions.model_fields)
        return self.model_dump(mode="json", exclude_defaults=True, include=fields)


class PlanCreate(PlanRouteOptions):
    """Start a solve for a stored scenario, with the options ``crowdguard plan`` takes."""

    scenario_id: str = Field(pattern=SLUG, min_length=1, max_length=80)
    start: dt.date | None = Field(
        default=None,
        description="plan from this date (within the scenario's period; default its start)",
    )
    end: dt.date | None = Field(
        default=None,
        description="plan to this date, inclusive (within the scenario's period; default "
        "its end). The plan's scenario snapshot covers only start..end",
    )
    teams: list[Annotated[str, Field(pattern=SLUG, max_length=80)]] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="plan with only these of the scenario's teams (callsigns); omit for all. "
        "The plan's scenario snapshot keeps only them",
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=2**63 - 1,
        description="reproducible roster draws (the seed is then as secret as every roster "
        "it rebuilds: read only through GET /plans/{id}/seed, audited per day); omit to draw "
        "the rosters from the secrets module, which nothing stored can reproduce",
    )
    days: int | None = Field(default=None, ge=1, le=366, description="plan only the first K days")


class PlanSummary(BaseModel):
    """One row of ``GET /plans`` (every reader): what a list shows, without the result.

    A season's ``result`` (the ``plan.json`` contract) is over a megabyte; a page of 50 of
    them would be tens of megabytes, so the list leaves it, the scenario snapshot and the
    seed out. ``GET /plans/{id}`` has them, for the roles that may see them.
    """

    id: int
    scenario_id: str
    status: PlanStatus
    progress: float
    solver: str | None
    days: int | None = Field(description="planned only the first K days (null: the whole period)")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    defender_utility: float | None = Field(
        default=None, description="the solved plan's defender utility (null until done)"
    )
    worst_tie_defender_utility: float | None = Field(
        default=None,
        description="the defender utility if the attacker breaks every tie against us "
        "(null until done, or for plans solved before the field existed)",
    )


class PlanAggregate(BaseModel):
    """What analysts may see: status and the plan's aggregate coverage (no seed, no rosters,
    no security plan by event: ``result`` keeps only the keys of
    :data:`crowdguard.jobs.service.AGGREGATE_RESULT_KEYS`)."""

    id: int
    scenario_id: str
    status: PlanStatus
    progress: float
    solver: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any] | None


class PlanPublic(PlanAggregate, PlanRouteOptions):
    """What planners and admins see: also the inputs that produced the plan, with the
    overrides and floors it was asked for. Never the seed (``GET /plans/{id}/seed``): with
    the snapshot it would rebuild every roster."""

    model_config = ConfigDict(extra="ignore")

    seed_given: bool = Field(
        description="whether a seed was asked for (then the rosters are reproducible from it); "
        "false: the rosters were drawn from the secrets module"
    )
    days: int | None
    version: str
    requested_by: str | None
    started_at: dt.datetime | None
    error: str | None
    scenario_snapshot: dict[str, Any]
    security_plans: list[dict[str, Any]] = Field(
        default_factory=list,
        description="submitted security plans (effective reviews) for the scenario's venues "
        "and period, as they stood when the plan was queued; their open findings raise the "
        "venues' risk",
    )


class PlanSeed(BaseModel):
    """A plan's reproducibility seed and the days whose rosters it unlocks (each read
    audited as a read of that day's rosters)."""

    plan_id: int
    seed: int
    days: list[dt.date] = Field(description="the days whose rosters the seed reproduces")
