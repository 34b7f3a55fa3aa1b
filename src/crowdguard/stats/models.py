"""Operations-log and statistics schemas by role.

* :class:`DeploymentCreate` / :class:`DeploymentUpdate` / :class:`DeploymentPublic`: the
  log itself, for the control room and admins (it names units and times).
* The aggregates (:class:`OperationsAggregate`, :class:`ResponseAggregate`,
  :class:`PatrolAggregate`, :class:`ReportsAggregate`, :class:`PlanReviewAggregate`):
  counts over a period, for analysts and the analyst page; they never carry a roster, a
  patrol time, a unit, or a report's contact or location.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from crowdguard.stats.operations import ArvDefinition, Purpose

__all__ = [
    "DeploymentCreate",
    "DeploymentPublic",
    "DeploymentUpdate",
    "MonthOperations",
    "OperationsAggregate",
    "PatrolAggregate",
    "PlanReviewAggregate",
    "PublishedPoint",
    "ReportsAggregate",
    "ResponseAggregate",
    "ResponseRow",
    "StatsTable",
    "VenuePatrolRow",
    "YearOperations",
]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploymentCreate(_In):
    """A deployment dispatch did not see (an escort, guarding, VIP protection, or an
    incident handled off the system), entered by hand. ``incident`` groups units: one
    incident is one operation. ``from_patrol``: the unit was taken off a protective patrol
    for it (omitted: read from the unit's roster at its authorisation, as dispatch does)."""

    incident: Slug
    unit: Slug
    unit_kind: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,10}$")] = "arv"
    armed: bool = True
    purpose: Purpose = Purpose.incident
    opened_at: AwareDatetime | None = None
    authorised_at: AwareDatetime | None = None
    authorised_by: Name | None = None
    self_authorised: bool = False
    deployed_at: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    stood_down_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    discharges: int = Field(default=0, ge=0, le=1000)
    grade: Annotated[str, Field(pattern=r"^[a-z_]{1,20}$")] | None = None
    from_patrol: bool | None = None

    @model_validator(mode="after")
    def _order(self) -> DeploymentCreate:
        if self.authorised_at is None and not self.self_authorised:
            raise ValueError(
                "authorised_at: give when armed deployment was authorised, or set self_authorised"
            )
        times = [
            ("authorised_at", self.authorised_at),
            ("arrived_at", self.arrived_at),
            ("ended_at", self.ended_at),
        ]
        present = [(n, t) for n, t in times if t is not None]
        for (n1, t1), (n2, t2) in itertools.pairwise(present):
            if t2 < t1:
                raise ValueError(f"{n2}: {t2.isoformat()} is before {n1} ({t1.isoformat()})")
        return self


class DeploymentUpdate(_In):
    """What the control room may correct on a logged deployment: who authorised it and
    when, self-authorisation, its purpose, discharges, and which incident it belongs to
    (e.g. a self-deployment joined to the task it turned out to be)."""

    authorised_at: AwareDatetime | None = None
    authorised_by: Name | None = None
    self_authorised: bool | None = None
    purpose: Purpose | None = None
    discharges: int | None = Field(default=None, ge=0, le=1000)
    incident: Slug | None = None

    @model_validator(mode="after")
    def _something(self) -> DeploymentUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class DeploymentPublic(BaseModel):
    """One logged deployment (control and admin only)."""

    id: int
    incident: str
    unit: str
    unit_kind: str
    arv: bool
    armed: bool
    purpose: str
    source: str
    task_id: int | None
    grade: str | None
    opened_at: dt.datetime | None
    authorised_at: dt.datetime | None
    authorised_by: str | None
    self_authorised: bool
    deployed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    stood_down_at: dt.datetime | None
    ended_at: dt.datetime | None
    discharges: int
    from_patrol: bool
    recorded_by: str | None
    updated_at: dt.datetime


class PublishedPoint(BaseModel):
    """A published figure for one year (None: none held, drawn as a gap)."""

    value: float | None
    release: str | None = None
    source: str | None = None
    label: str | None = None


class YearOperations(BaseModel):
    """Our counts for one financial year, beside the published series."""

    year: str = Field(description="financial year label, e.g. 2026/27")
    year_ending: int
    comparable: bool = Field(description="false before the year ending March 2009")
    operations: int
    arv_operations: int
    discharge_incidents: int
    self_authorised: int
    deployments: int
    stood_down_on_the_way: int
    excluded: dict[str, int]
    published: dict[str, PublishedPoint] = Field(
        description="published figures for this year: hampshire_operations, "
        "hampshire_arv_operations, england_and_wales_operations, england_and_wales_arv_operations"
    )


class MonthOperations(BaseModel):
    """Our counts for one month of the period."""

    month: str
    operations: int
    arv_operations: int
    discharge_incidents: int
    self_authorised: int
    deployments: int


class OperationsAggregate(BaseModel):
    """Firearms operations (Home Office rules) over a period, by month and financial year,
    with the published series for the years the period touches."""

    period: str
    arv_definition: ArvDefinition
    operations: int
    arv_operations: int
    discharge_incidents: int
    self_authorised: int
    deployments: int
    excluded: dict[str, int]
    by_month: list[MonthOperations]
    by_year: list[YearOperations]
    notes: list[str]


class ResponseRow(BaseModel):
    """Response times for one month and grade (call or report in -> first armed unit on
    scene)."""

    month: str
    grade: str
    operations: int
    median_minutes: float
    p90_minutes: float
    max_minutes: float


class ResponseAggregate(BaseModel):
    """Response times by month and grade over a period."""

    period: str
    rows: list[ResponseRow]


class VenuePatrolRow(BaseModel):
    """Protective patrol hours at one venue over the period (a separate measure from the
    Home Office count)."""

    venue: str
    planned_hours: float
    delivered_hours: float
    delivered_share: float | None


class PatrolAggregate(BaseModel):
    """Patrol hours planned and delivered per venue over a period (no times, no teams)."""

    period: str
    days_with_rosters: int
    planned_hours: float
    delivered_hours: float
    responses_from_patrol: int
    venues: list[VenuePatrolRow]


class ReportsAggregate(BaseModel):
    """Public reports received in the period, by category and grade."""

    period: str
    total: int
    by_category_grade: dict[str, dict[str, int]]


class PlanReviewAggregate(BaseModel):
    """Security-plan reviews in the period by verdict and legal tier."""

    period: str
    reviews: int
    by_verdict: dict[str, int]
    by_tier: dict[str, int]


class StatsTable(BaseModel):
    """One statistics table, exactly as plotted and exported as CSV (``crowdguard stats``,
    the commissioner's briefing): empty cells (null) are gaps, never zeros."""

    name: str = Field(description="the table's name, e.g. operations-by-year")
    title: str
    columns: list[str]
    rows: list[list[str | int | float | bool | None]]
    notes: list[str]
