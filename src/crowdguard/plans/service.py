"""Security-plan records: the only code touching their rows.

The workflow is the pure core's: every submission is validated as a
:class:`~crowdguard.plans.schema.SecurityPlan`, reviewed by
:func:`crowdguard.plans.review.review`, compared with the previous version by
:func:`crowdguard.plans.revisions.diff_reviews`, and moved only along
:func:`crowdguard.plans.revisions.transition` (``domain.md`` sections 3 and 9). The review
falls due :data:`~crowdguard.plans.revisions.DEFAULT_DAYS_BEFORE` days before the event
opens (:func:`~crowdguard.plans.revisions.review_due_date`), the opening date being the
stored event's start in Europe/London. Every write appends an audit row in the same
transaction (:func:`crowdguard.audit.service.record`). Events are reached only through
:mod:`crowdguard.venues.service`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.errors import InputError
from crowdguard.plans.models import (
    OverrideCreate,
    OverridePublic,
    PlanCounts,
    ReviewPublic,
    SecurityPlanPublic,
    VersionPublic,
)
from crowdguard.plans.overrides import ItemStatus, apply_overrides
from crowdguard.plans.review import Review, review
from crowdguard.plans.revisions import (
    AWAITING_REVIEW,
    FindingsDiff,
    InvalidTransitionError,
    PlanStatus,
    diff_reviews,
    review_due_date,
    transition,
)
from crowdguard.plans.schema import SecurityPlan
from crowdguard.plans.tables import (
    SecurityPlanOverrideRow,
    SecurityPlanReviewRow,
    SecurityPlanRow,
    SecurityPlanVersionRow,
)
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.venues import service as venues

__all__ = [
    "change_status",
    "count_plans",
    "effective_review",
    "event_rescheduled",
    "get_plan",
    "get_review",
    "get_version",
    "list_plans",
    "override_finding",
    "plan_for_event",
    "plan_public",
    "resubmit_plan",
    "review_public",
    "review_queue",
    "reviews_for_plan_job",
    "submit_plan",
    "today",
    "version_public",
]

LONDON = ZoneInfo("Europe/London")
ENTITY = "security_plan"


def today(now: dt.datetime) -> dt.date:
    """The calendar day of ``now`` in Europe/London (review and due dates are local)."""
    return now.astimezone(LONDON).date()


def _due(session: Session, event_id: int) -> tuple[int | None, dt.date]:
    """The event's organiser and the review due date from the event's opening day."""
    event = venues.get_event(session=session, event_id=event_id)
    opens = event.starts_at.astimezone(LONDON).date()
    return event.organiser_id, review_due_date(opens)


def plan_for_event(*, session: Session, event_id: int) -> int | None:
    """The id of the event's security plan, if one was submitted."""
    return session.scalar(select(SecurityPlanRow.id).where(SecurityPlanRow.event_id == event_id))


def event_rescheduled(*, session: Session, event_id: int, now: dt.datetime) -> None:
    """Move the plan's review due date with the event's new opening day (called by
    :func:`crowdguard.venues.service.update_event`), so the review queue stays right."""
    row = session.scalar(select(SecurityPlanRow).where(SecurityPlanRow.event_id == event_id))
    if row is None:
        return
    _, due = _due(session, event_id)
    if due != row.review_due:
        row.review_due = due
        row.updated_at = now


def _move(current: str, new: PlanStatus) -> PlanStatus:
    try:
        return transition(current, new)
    except InvalidTransitionError as exc:
        raise ConflictError(str(exc)) from None


def _add_version(
    *,
    session: Session,
    plan_row: SecurityPlanRow,
    version: int,
    plan: SecurityPlan,
    actor: str | None,
    now: dt.datetime,
    commencement: dt.date | None,
) -> tuple[SecurityPlanVersionRow, SecurityPlanReviewRow]:
    result = review(plan, on=today(now), commencement=commencement)
    version_row = SecurityPlanVersionRow(
        plan_id=plan_row.id,
        version=version,
        plan=plan.model_dump(mode="json"),
        submitted_by=actor,
        submitted_at=now,
    )
    session.add(version_row)
    session.flush()
    review_row = SecurityPlanReviewRow(
        version_id=version_row.id,
        tier=result.tier.value,
        score=result.score,
        legal_verdict=result.legal_verdict,
        good_practice_verdict=result.good_practice_verdict,
        review=result.model_dump(mode="json"),
        reviewed_at=now,
    )
    session.add(review_row)
    session.flush()
    return version_row, review_row


# -- reading -----------------------------------------------------------------------------


def get_plan(*, session: Session, plan_id: int, organiser_id: int | None = None) -> SecurityPlanRow:
    """The plan with this id; with ``organiser_id``, only if that organiser's (else 404).

    Someone else's plan is reported as not found, as the events slice does for events.
    """
    row = session.get(SecurityPlanRow, plan_id)
    if row is None or (organiser_id is not None and row.organiser_id != organiser_id):
        raise NotFoundError(f"plan_id: no security plan {plan_id}")
    return row


def _version_row(
    session: Session, plan: SecurityPlanRow, version: int | None
) -> SecurityPlanVersionRow:
    number = plan.current_version if version is None else version
    row = session.scalar(
        select(SecurityPlanVersionRow).where(
            SecurityPlanVersionRow.plan_id == plan.id, SecurityPlanVersionRow.version == number
        )
    )
    if row is None:
        raise NotFoundError(
            f"version: security plan {plan.id} has versions 1..{plan.current_version}, not {number}"
        )
    return row


def get_version(
    *, session: Session, plan_id: int, version: int | None = None, organiser_id: int | None = None
) -> SecurityPlanVersionRow:
    """One submitted version (default: the current one)."""
    plan = get_plan(session=session, plan_id=plan_id, organiser_id=organiser_id)
    return _version_row(session, plan, version)


def get_review(
    *, session: Session, plan_id: int, version: int | None = None, organiser_id: int | None = None
) -> SecurityPlanReviewRow:
    """The stored engine review of one version (default: the current one)."""
    version_row = get_version(
        session=session, plan_id=plan_id, version=version, organiser_id=organiser_id
    )
    row = session.scalar(
        select(SecurityPlanReviewRow).where(SecurityPlanReviewRow.version_id == version_row.id)
    )
    assert row is not None, "every version is reviewed when it is stored"
    return row


def _overrides(session: Session, review_id: int) -> list[SecurityPlanOverrideRow]:
    return list(
        session.scalars(
            select(SecurityPlanOverrideRow)
            .where(SecurityPlanOverrideRow.review_id == review_id)
            .order_by(SecurityPlanOverrideRow.id)
        ).all()
    )


def effective_review(*, session: Session, review_row: SecurityPlanReviewRow) -> Review:
    """The engine's review with every override of it applied, the latest per item winning."""
    latest: dict[str, ItemStatus] = {}
    for row in _overrides(session, review_row.id):
        latest[row.rule] = row.new_status  # type: ignore[assignment]
    return apply_overrides(Review.model_validate(review_row.review), latest)


def list_plans(
    *,
    session: Session,
    limit: int,
    offset: int,
    organiser_id: int | None = None,
    status: PlanStatus | None = None,
) -> tuple[list[SecurityPlanRow], int]:
    """One page of plans by id (only the organiser's own when ``organiser_id`` is given)."""
    stmt = select(SecurityPlanRow).order_by(SecurityPlanRow.id)
    count = select(func.count()).select_from(SecurityPlanRow)
    if organiser_id is not None:
        stmt = stmt.where(SecurityPlanRow.organiser_id == organiser_id)
        count = count.where(SecurityPlanRow.organiser_id == organiser_id)
    if status is not None:
        stmt = stmt.where(SecurityPlanRow.status == status.value)
        count = count.where(SecurityPlanRow.status == status.value)
    total = session.scalar(count) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset)).all()), total


def review_queue(
    *, session: Session, today: dt.date, within_days: int, limit: int, offset: int
) -> tuple[list[SecurityPlanRow], int]:
    """Plans awaiting review due on or before ``today + within_days``, by due date then id.

    The same rule as :func:`crowdguard.plans.revisions.due_for_review` (overdue plans
    included, advised and accepted plans not), done in SQL so the queue pages.
    """
    horizon = today + dt.timedelta(days=within_days)
    where = (
        SecurityPlanRow.status.in_([s.value for s in AWAITING_REVIEW]),
        SecurityPlanRow.review_due <= horizon,
    )
    total = session.scalar(select(func.count()).select_from(SecurityPlanRow).where(*where)) or 0
    rows = session.scalars(
        select(SecurityPlanRow)
        .where(*where)
        .order_by(SecurityPlanRow.review_due, SecurityPlanRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def count_plans(*, session: Session) -> PlanCounts:
    """Plans by workflow status and by the current version's legal tier (no plan content)."""
    by_status = dict(
        session.execute(
            select(SecurityPlanRow.status, func.count()).group_by(SecurityPlanRow.status)
        ).all()
    )
    tiers = session.execute(
        select(SecurityPlanReviewRow.tier)
        .join(SecurityPlanVersionRow, SecurityPlanReviewRow.version_id == SecurityPlanVersionRow.id)
        .join(SecurityPlanRow, SecurityPlanVersionRow.plan_id == SecurityPlanRow.id)
        .where(SecurityPlanVersionRow.version == SecurityPlanRow.current_version)
    ).scalars()
    by_tier = Counter(tiers)
    return PlanCounts(
        total=sum(by_status.values()),
        by_status={str(k): int(v) for k, v in sorted(by_status.items())},
        by_tier=dict(sorted(by_tier.items())),
    )


# -- public views ------------------------------------------------------------------------


def plan_public(*, session: Session, row: SecurityPlanRow) -> SecurityPlanPublic:
    """Public schema of a plan row with its current (effective) review's headline."""
    current = effective_review(
        session=session, review_row=get_review(session=session, plan_id=row.id)
    )
    return SecurityPlanPublic(
        id=row.id,
        event_id=row.event_id,
        organiser_id=row.organiser_id,
        status=PlanStatus(row.status),
        current_version=row.current_version,
        review_due=row.review_due,
        tier=current.tier.value,
        score=current.score,
        legal_verdict=current.legal_verdict,
        open_findings=len(current.findings),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def review_public(
    *, session: Session, review_row: SecurityPlanReviewRow, staff: bool
) -> ReviewPublic:
    """Public schema of a review: effective review, overrides (``by`` for staff only)."""
    version_row = session.get(SecurityPlanVersionRow, review_row.version_id)
    assert version_row is not None
    overrides = [
        OverridePublic(
            id=o.id,
            version=version_row.version,
            rule=o.rule,
            old_status=o.old_status,
            new_status=o.new_status,
            reason=o.reason,
            by=o.by if staff else None,
            at=o.at,
        )
        for o in _overrides(session, review_row.id)
    ]
    return ReviewPublic(
        plan_id=version_row.plan_id,
        version=version_row.version,
        reviewed_at=review_row.reviewed_at,
        engine_score=review_row.score,
        review=effective_review(session=session, review_row=review_row),
        overrides=overrides,
    )


def version_public(row: SecurityPlanVersionRow) -> VersionPublic:
    """Public schema of a submitted version."""
    return VersionPublic(
        plan_id=row.plan_id,
        version=row.version,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        plan=SecurityPlan.model_validate(row.plan),
    )


# -- writing -----------------------------------------------------------------------------


def submit_plan(
    *,
    session: Session,
    event_id: int,
    plan: SecurityPlan,
    organiser_id: int | None,
    actor: str | None,
    now: dt.datetime,
    commencement: dt.date | None = None,
) -> tuple[SecurityPlanRow, SecurityPlanReviewRow]:
    """First submission of an event's plan (status ``submitted``, version 1), reviewed.

    ``commencement`` is the date the Act's duties are commenced, if known (the server's
    ``CROWDGUARD_MARTYNS_LAW_COMMENCEMENT``): before it the review advises on duties that
    will apply.

    With ``organiser_id`` the event must be that organiser's (else 404, as for events).
    A second first submission for the same event is a 409: resubmit a new version instead.
    """
    venues.get_event(session=session, event_id=event_id, organiser_id=organiser_id)
    existing = session.scalar(select(SecurityPlanRow).where(SecurityPlanRow.event_id == event_id))
    if existing is not None:
        raise ConflictError(
            f"event_id: event {event_id} already has security plan {existing.id}; "
            f"POST /api/v1/security-plans/{existing.id}/versions to resubmit"
        )
    owner, due = _due(session, event_id)
    row = SecurityPlanRow(
        event_id=event_id,
        organiser_id=owner,
        status=PlanStatus.submitted.value,
        current_version=1,
        review_due=due,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _, review_row = _add_version(
        session=session,
        plan_row=row,
        version=1,
        plan=plan,
        actor=actor,
        now=now,
        commencement=commencement,
    )
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="security_plan.submit",
        entity=ENTITY,
        entity_id=str(row.id),
        detail={"event_id": event_id, "version": 1, "tier": review_row.tier},
    )
    return row, review_row


def resubmit_plan(
    *,
    session: Session,
    plan_id: int,
    plan: SecurityPlan,
    organiser_id: int | None,
    actor: str | None,
    now: dt.datetime,
    commencement: dt.date | None = None,
) -> tuple[SecurityPlanRow, SecurityPlanReviewRow, FindingsDiff]:
    """Store version n+1 (status ``resubmitted``), review it, and diff it with version n.

    Allowed after advice was issued or the plan was accepted (TPPA s.7 revisions); while
    a version awaits review the workflow refuses it (409). The event id inside the plan
    must stay the same across versions, so the findings can be compared item by item.
    """
    row = get_plan(session=session, plan_id=plan_id, organiser_id=organiser_id)
    new_status = _move(row.status, PlanStatus.resubmitted)
    previous_row = get_review(session=session, plan_id=row.id)
    previous = effective_review(session=session, review_row=previous_row)
    if plan.event.id != previous.event:
        raise InputError(
            f"plan.event.id: {plan.event.id!r} differs from {previous.event!r} of version "
            f"{row.current_version}; a resubmission is a revision of the same event's plan"
        )
    owner, due = _due(session, row.event_id)
    version = row.current_version + 1
    _, review_row = _add_version(
        session=session,
        plan_row=row,
        version=version,
        plan=plan,
        actor=actor,
        now=now,
        commencement=commencement,
    )
    row.current_version = version
    row.status = new_status.value
    row.organiser_id = owner
    row.review_due = due
    row.updated_at = now
    diff = diff_reviews(previous, Review.model_validate(review_row.review))
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="security_plan.resubmit",
        entity=ENTITY,
        entity_id=str(row.id),
        detail={
            "version": version,
            "tier": review_row.tier,
            "resolved": [c.rule for c in diff.resolved],
            "new": [c.rule for c in diff.new],
        },
    )
    return row, review_row, diff


def change_status(
    *, session: Session, plan_id: int, status: PlanStatus, actor: str | None, now: dt.datetime
) -> SecurityPlanRow:
    """A reviewer's move (under review, advice issued, accepted), checked by ``transition``."""
    row = get_plan(session=session, plan_id=plan_id)
    old = row.status
    row.status = _move(old, status).value
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="security_plan.status",
        entity=ENTITY,
        entity_id=str(row.id),
        detail={"from": old, "to": row.status, "version": row.current_version},
    )
    return row


def override_finding(
    *, session: Session, plan_id: int, data: OverrideCreate, actor: str, now: dt.datetime
) -> SecurityPlanReviewRow:
    """Set one item of the current version's review by hand, recording who and why.

    Refused once the plan is accepted (409): resubmit to change an accepted plan.
    """
    row = get_plan(session=session, plan_id=plan_id)
    if row.status == PlanStatus.accepted.value:
        raise ConflictError(
            f"status: security plan {plan_id} is accepted; its review can no longer change"
        )
    review_row = get_review(session=session, plan_id=plan_id)
    current = effective_review(session=session, review_row=review_row)
    before: dict[str, Any] = {item.rule: item.status for item in current.items}
    if data.rule not in before:
        raise InputError(
            f"rule: {data.rule!r} is not a checklist item of this review; expected one of "
            + ", ".join(before)
        )
    override = SecurityPlanOverrideRow(
        review_id=review_row.id,
        rule=data.rule,
        old_status=str(before[data.rule]),
        new_status=data.status,
        reason=data.reason,
        by=actor,
        at=now,
    )
    session.add(override)
    row.updated_at = now
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="security_plan.override",
        entity=ENTITY,
        entity_id=str(row.id),
        detail={
            "version": row.current_version,
            "rule": data.rule,
            "from": override.old_status,
            "to": data.status,
            "reason": data.reason,
        },
    )
    return review_row


def reviews_for_plan_job(
    *, session: Session, venue_ids: Iterable[str], start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """The submitted security plans a patrol plan over ``start..end`` must take into account.

    One entry per security plan whose event is at one of ``venue_ids`` and runs on some day
    of the period (Europe/London): the venue, the event, the plan's id, current version and
    status, and the **effective** review of that version (every adviser's override applied,
    :func:`effective_review`), in JSON mode. A plan job stores these with its scenario
    snapshot, so the patrol plan can be reproduced whatever is submitted later; the runner
    turns each review into vulnerability multipliers (:mod:`crowdguard.risk.plan_gaps`).
    """
    period_start = dt.datetime.combine(start, dt.time(0), LONDON)
    period_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), LONDON)
    events = venues.events_at(
        session=session, venue_ids=venue_ids, starts_before=period_end, ends_after=period_start
    )
    out: list[dict[str, Any]] = []
    for event in events:
        plan = session.scalar(select(SecurityPlanRow).where(SecurityPlanRow.event_id == event.id))
        if plan is None:
            continue
        review_row = get_review(session=session, plan_id=plan.id)
        out.append(
            {
                "venue": event.venue_id,
                "event_id": event.id,
                "event_name": event.name,
                "security_plan_id": plan.id,
                "version": plan.current_version,
                "status": plan.status,
                "review": effective_review(session=session, review_row=review_row).model_dump(
                    mode="json"
                ),
            }
        )
    return out


def review_outcomes(
    *, session: Session, start: dt.datetime, end: dt.datetime
) -> tuple[int, dict[str, int], dict[str, int]]:
    """Reviews made in ``[start, end)``: how many, by legal verdict and by tier (aggregates
    for statistics; no plan content)."""
    rows = session.execute(
        select(SecurityPlanReviewRow.legal_verdict, SecurityPlanReviewRow.tier).where(
            SecurityPlanReviewRow.reviewed_at >= start, SecurityPlanReviewRow.reviewed_at < end
        )
    ).all()
    verdicts = Counter(str(v) for v, _ in rows)
    tiers = Counter(str(t) for _, t in rows)
    return len(rows), dict(sorted(verdicts.items())), dict(sorted(tiers.items()))
