"""Plan-job schemas by role: planners see everything, analysts only aggregates."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PlanAggregate", "PlanCreate", "PlanPublic", "PlanSeed", "PlanStatus", "PlanSummary"]


class PlanStatus(StrEnum):
    """Life of a plan job."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class PlanCreate(BaseModel):
    """Start a solve for a stored scenario."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)
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


class PlanPublic(PlanAggregate):
    """What planners and admins see: also the inputs that produced the plan. Never the
    seed (``GET /plans/{id}/seed``): with the snapshot it would rebuild every roster."""

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
