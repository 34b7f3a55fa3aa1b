"""Plan revisions: what changed between two reviews, the review workflow and due dates.

An organiser resubmits a plan after advice; the adviser wants to see at a glance which
findings were resolved, which are new, which are still open and which got better or worse.
TPPA s.7 expects the security document to be revised and re-sent to the SIA within 30 days
of a revision, so revisions are normal, not exceptional. The workflow and the due-date rule
(a configurable number of days before the event opens) are [DESIGN] choices
(``domain.md`` sections 3 and 9: versioned SecurityPlan, PlanReview, Findings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from crowdguard.errors import ReviewError
from crowdguard.plans.review import Review

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AWAITING_REVIEW",
    "DEFAULT_DAYS_BEFORE",
    "FindingChange",
    "FindingsDiff",
    "InvalidTransitionError",
    "PlanStatus",
    "ReviewItem",
    "diff_reviews",
    "due_for_review",
    "review_due_date",
    "transition",
]

DEFAULT_DAYS_BEFORE = 14
"""Reviews are due this many days before the event opens [DESIGN]."""


class PlanStatus(StrEnum):
    """Where a submitted plan is in the review workflow."""

    submitted = "submitted"
    under_review = "under_review"
    advice_issued = "advice_issued"
    resubmitted = "resubmitted"
    accepted = "accepted"


ALLOWED_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.submitted: frozenset({PlanStatus.under_review}),
    PlanStatus.under_review: frozenset({PlanStatus.advice_issued, PlanStatus.accepted}),
    PlanStatus.advice_issued: frozenset({PlanStatus.resubmitted}),
    PlanStatus.resubmitted: frozenset({PlanStatus.under_review}),
    # An accepted plan that is revised (TPPA s.7) comes back for review.
    PlanStatus.accepted: frozenset({PlanStatus.resubmitted}),
}

AWAITING_REVIEW = frozenset({PlanStatus.submitted, PlanStatus.resubmitted, PlanStatus.under_review})


class InvalidTransitionError(ReviewError):
    """A status change the workflow does not allow."""


def transition(current: PlanStatus | str, new: PlanStatus | str) -> PlanStatus:
    """Return ``new`` if the workflow allows ``current -> new``; else ``InvalidTransitionError``."""
    try:
        old_status, new_status = PlanStatus(current), PlanStatus(new)
    except ValueError:
        known = ", ".join(s.value for s in PlanStatus)
        raise InvalidTransitionError(
            f"status: {current!r} -> {new!r} names an unknown status; expected one of {known}"
        ) from None
    allowed = ALLOWED_TRANSITIONS[old_status]
    if new_status not in allowed:
        options = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransitionError(
            f"status: cannot go from {old_status.value} to {new_status.value}; "
            f"from {old_status.value} the next status is one of: {options}"
        )
    return new_status


def review_due_date(opens: dt.date, days_before: int = DEFAULT_DAYS_BEFORE) -> dt.date:
    """The date a review (or resubmission) is due: ``days_before`` days before opening."""
    if days_before < 0:
        raise ReviewError(f"days_before: {days_before} is negative; expected 0 or more days")
    try:
        return opens - dt.timedelta(days=days_before)
    except OverflowError:
        raise ReviewError(
            f"days_before: {days_before} days before {opens} is before the year 1; "
            "expected a number of days such as 14"
        ) from None


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReviewItem(_Frozen):
    """A plan in the workflow: which event, when it opens, where it stands."""

    event: str
    opens: dt.date
    status: PlanStatus


def due_for_review(
    items: Iterable[ReviewItem],
    today: dt.date,
    *,
    days_before: int = DEFAULT_DAYS_BEFORE,
    within_days: int = 7,
) -> list[ReviewItem]:
    """Plans awaiting review whose due date falls on or before ``today + within_days``.

    Overdue plans are included (they are the most urgent); plans already advised or
    accepted are not. Sorted by due date, then event id.
    """
    horizon = today + dt.timedelta(days=within_days)
    due = [
        item
        for item in items
        if item.status in AWAITING_REVIEW and review_due_date(item.opens, days_before) <= horizon
    ]
    return sorted(due, key=lambda item: (review_due_date(item.opens, days_before), item.event))


class FindingChange(_Frozen):
    """One checklist item across two reviews (status ``adequate`` when not a finding)."""

    rule: str
    title: str
    old_status: str
    new_status: str


class FindingsDiff(_Frozen):
    """What changed between two reviews of the same event, item by item.

    ``resolved``: a finding before, adequate now. ``new``: adequate (or not assessed)
    before, a finding now. ``still_open``: a finding in both, same status. ``improved`` /
    ``worsened``: a finding in both whose status went up / down (absent <-> partial).
    """

    resolved: list[FindingChange]
    new: list[FindingChange]
    still_open: list[FindingChange]
    improved: list[FindingChange]
    worsened: list[FindingChange]


_RANK = {"absent": 0, "partial": 1, "adequate": 2}


def diff_reviews(old: Review, new: Review) -> FindingsDiff:
    """Compare two reviews item by item (in the newer review's catalogue order)."""
    if old.event != new.event:
        raise ReviewError(
            f"event: cannot compare reviews of different events ({old.event!r}, {new.event!r})"
        )
    before = {item.rule: item.status for item in old.items}
    buckets: dict[str, list[FindingChange]] = {
        "resolved": [],
        "new": [],
        "still_open": [],
        "improved": [],
        "worsened": [],
    }
    old_findings = {f.rule for f in old.findings}
    for item in new.items:
        was = before.get(item.rule, "adequate")
        change = FindingChange(
            rule=item.rule, title=item.title, old_status=was, new_status=item.status
        )
        open_before, open_now = item.rule in old_findings, item.status != "adequate"
        if open_before and not open_now:
            buckets["resolved"].append(change)
        elif open_now and not open_before:
            buckets["new"].append(change)
        elif open_now and open_before:
            delta = _RANK[item.status] - _RANK[was]
            key = "improved" if delta > 0 else "worsened" if delta < 0 else "still_open"
            buckets[key].append(change)
    return FindingsDiff(**buckets)
