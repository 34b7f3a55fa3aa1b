"""Security-plan schemas by role: what a client may send (Create) and see (Public).

The plan itself is the pure core's :class:`~crowdguard.plans.schema.SecurityPlan`, so the
server validates a submission exactly as ``crowdguard review`` validates a file (unknown
fields refused, every section but ``event`` optional). A plan arrives as data in the
request body: nothing here names a file, and the server never reads one on a client's
behalf.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from crowdguard.plans.overrides import ItemStatus
from crowdguard.plans.review import Review
from crowdguard.plans.revisions import FindingsDiff, PlanStatus
from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "OverrideCreate",
    "OverridePublic",
    "PlanCounts",
    "ResubmissionPublic",
    "ReviewPublic",
    "SecurityPlanCreate",
    "SecurityPlanPublic",
    "SecurityPlanResubmit",
    "StatusChange",
    "SubmissionPublic",
    "VersionPublic",
]


def _not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must say why (a reason of at least one non-blank character)")
    return stripped


Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_not_blank)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecurityPlanCreate(_In):
    """A first submission: the event (one of the organiser's own) and the plan as data."""

    event_id: int = Field(ge=1, le=2**31 - 1)
    plan: SecurityPlan


class SecurityPlanResubmit(_In):
    """A revised plan (TPPA s.7): becomes the next version of the same event's plan."""

    plan: SecurityPlan


class StatusChange(_In):
    """A reviewer's move in the workflow (``resubmitted`` comes only from a resubmission)."""

    status: Literal[PlanStatus.under_review, PlanStatus.advice_issued, PlanStatus.accepted]


class OverrideCreate(_In):
    """Set one checklist item of the current version's review by hand, saying why."""

    rule: str = Field(pattern=r"^[A-Z][A-Z0-9]*$", max_length=20)
    status: ItemStatus
    reason: Reason


class OverridePublic(BaseModel):
    """An override as recorded (``by`` is shown to police staff only)."""

    id: int
    version: int
    rule: str
    old_status: str
    new_status: str
    reason: str
    by: str | None
    at: dt.datetime


class SecurityPlanPublic(BaseModel):
    """An event's plan in the workflow, with the headline of its current review."""

    id: int
    event_id: int
    organiser_id: int | None
    status: PlanStatus
    current_version: int
    review_due: dt.date
    tier: str
    score: float
    legal_verdict: str
    open_findings: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ReviewPublic(BaseModel):
    """One version's review: ``review`` is effective (overrides applied), ``engine_score`` not."""

    plan_id: int
    version: int
    reviewed_at: dt.datetime
    engine_score: float
    review: Review
    overrides: list[OverridePublic]


class VersionPublic(BaseModel):
    """One submitted version of a plan, exactly as validated."""

    plan_id: int
    version: int
    submitted_by: str | None
    submitted_at: dt.datetime
    plan: SecurityPlan


class SubmissionPublic(BaseModel):
    """What a submission returns: the plan's state and the new version's review."""

    plan: SecurityPlanPublic
    review: ReviewPublic
    notices: list[str] = Field(
        default_factory=list,
        description="deprecation notices: an old field that was read, and what to write "
        "instead (e.g. plan.event.body_corporate: use responsible_person_type)",
    )


class ResubmissionPublic(SubmissionPublic):
    """A resubmission also returns what changed since the previous version's review."""

    diff: FindingsDiff


class PlanCounts(BaseModel):
    """Aggregate counts only (for analysts): plans by status and by Martyn's Law tier."""

    total: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
