"""Router for event security plans (thin: validate, call one service function, return Public).

Organisers submit and resubmit plans for their own events and read their reviews and
advice letters; planners and admins also work the review queue, move the workflow and
override findings. Control, officers and analysts have no access to plan content; analysts
may read aggregate counts. See ``docs/api.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import (
    ContextDep,
    GateReleaseDep,
    NowDep,
    SessionDep,
    done_with_database,
)
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId
from crowdguard.plans import service
from crowdguard.plans.letter import render_letter, render_pdf
from crowdguard.plans.models import (
    OverrideCreate,
    PlanCounts,
    ResubmissionPublic,
    ReviewPublic,
    SecurityPlanCreate,
    SecurityPlanPublic,
    SecurityPlanResubmit,
    StatusChange,
    SubmissionPublic,
    VersionPublic,
)
from crowdguard.plans.revisions import PlanStatus
from crowdguard.plans.schema import SecurityPlan
from crowdguard.users.models import Role

__all__ = ["router"]

Reviewer = Annotated[Principal, Depends(require(Role.admin, Role.planner))]
Submitter = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.organiser))]
Counter = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.analyst))]
Version = Annotated[
    int | None,
    Query(ge=1, le=100_000, description="version number (default: the current one)"),
]

router = APIRouter(prefix="/security-plans", tags=["security-plans"])

_MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
LETTER_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The HTML letter is one page with one inline stylesheet: nothing else may load or run
(W3C Content Security Policy Level 3), so an organiser's text that slipped past escaping
still could not run script in a reader's browser (issue 12)."""


def _own(user: Principal) -> int | None:
    """Organisers are confined to their own events' plans."""
    return user.id if user.role is Role.organiser else None


def _staff(user: Principal) -> bool:
    return user.role is not Role.organiser


def _notices(plan: SecurityPlan) -> list[str]:
    """The plan's deprecation notices, each naming the field in the request body."""
    return [f"plan.{'.'.join(where)}: {message}" for where, message in plan.notices]


@router.get("", response_model=Page[SecurityPlanPublic])
def list_plans(
    user: Submitter,
    session: SessionDep,
    page: PageDep,
    status: Annotated[PlanStatus | None, Query(description="only plans in this status")] = None,
) -> Page[SecurityPlanPublic]:
    """List plans by id (organisers: only their own)."""
    rows, total = service.list_plans(
        session=session,
        limit=page.limit,
        offset=page.offset,
        organiser_id=_own(user),
        status=status,
    )
    return Page(
        items=[service.plan_public(session=session, row=r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=SubmissionPublic, status_code=201)
def submit_plan(
    body: SecurityPlanCreate,
    user: Submitter,
    session: SessionDep,
    now: NowDep,
    context: ContextDep,
) -> SubmissionPublic:
    """Submit the first version of an event's plan; it is reviewed at once (against the
    Act as commenced on the server's ``CROWDGUARD_MARTYNS_LAW_COMMENCEMENT``, if set)."""
    row, review_row = service.submit_plan(
        session=session,
        event_id=body.event_id,
        plan=body.plan,
        organiser_id=_own(user),
        actor=user.username,
        now=now,
        commencement=context.settings.martyns_law_commencement,
    )
    return SubmissionPublic(
        plan=service.plan_public(session=session, row=row),
        review=service.review_public(session=session, review_row=review_row, staff=_staff(user)),
        notices=_notices(body.plan),
    )


@router.get("/queue", response_model=Page[SecurityPlanPublic])
def review_queue(
    user: Reviewer,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    within_days: Annotated[
        int, Query(ge=0, le=366, description="include reviews due up to this many days ahead")
    ] = 7,
) -> Page[SecurityPlanPublic]:
    """Plans awaiting review that fall due soon (overdue first), ordered by due date."""
    rows, total = service.review_queue(
        session=session,
        today=service.today(now),
        within_days=within_days,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.plan_public(session=session, row=r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/counts", response_model=PlanCounts)
def count_plans(user: Counter, session: SessionDep) -> PlanCounts:
    """How many plans are in each status and tier (no plan content)."""
    return service.count_plans(session=session)


@router.get("/{plan_id}", response_model=SecurityPlanPublic)
def get_plan(plan_id: IntId, user: Submitter, session: SessionDep) -> SecurityPlanPublic:
    """One plan (organisers: only their own; others' are 404)."""
    row = service.get_plan(session=session, plan_id=plan_id, organiser_id=_own(user))
    return service.plan_public(session=session, row=row)


@router.get("/{plan_id}/versions/{version}", response_model=VersionPublic)
def get_version(
    plan_id: IntId, version: IntId, user: Submitter, session: SessionDep
) -> VersionPublic:
    """One submitted version of the plan, as validated."""
    row = service.get_version(
        session=session, plan_id=plan_id, version=version, organiser_id=_own(user)
    )
    return service.version_public(row)


@router.post("/{plan_id}/versions", response_model=ResubmissionPublic, status_code=201)
def resubmit_plan(
    plan_id: IntId,
    body: SecurityPlanResubmit,
    user: Submitter,
    session: SessionDep,
    now: NowDep,
    context: ContextDep,
) -> ResubmissionPublic:
    """Resubmit a revised plan: version n+1, reviewed, with the findings diff from version n."""
    row, review_row, diff = service.resubmit_plan(
        session=session,
        plan_id=plan_id,
        plan=body.plan,
        organiser_id=_own(user),
        actor=user.username,
        now=now,
        commencement=context.settings.martyns_law_commencement,
    )
    return ResubmissionPublic(
        plan=service.plan_public(session=session, row=row),
        review=service.review_public(session=session, review_row=review_row, staff=_staff(user)),
        diff=diff,
        notices=_notices(body.plan),
    )


@router.get("/{plan_id}/review", response_model=ReviewPublic)
def get_review(
    plan_id: IntId, user: Submitter, session: SessionDep, version: Version = None
) -> ReviewPublic:
    """The review of one version (default: current), overrides applied."""
    row = service.get_review(
        session=session, plan_id=plan_id, version=version, organiser_id=_own(user)
    )
    return service.review_public(session=session, review_row=row, staff=_staff(user))


@router.get(
    "/{plan_id}/letter",
    response_class=Response,
    responses={
        200: {
            "content": {"text/markdown": {}, "text/html": {}, "application/pdf": {}},
            "description": "The advice letter",
        }
    },
)
def get_letter(
    plan_id: IntId,
    user: Submitter,
    session: SessionDep,
    release_gate: GateReleaseDep,
    format: Annotated[Literal["md", "html", "pdf"], Query(description="letter format")] = "md",
    version: Version = None,
) -> Response:
    """The advice letter for one version's effective review, as Markdown, HTML or PDF."""
    row = service.get_review(
        session=session, plan_id=plan_id, version=version, organiser_id=_own(user)
    )
    review = service.effective_review(session=session, review_row=row)
    if format == "pdf":
        done_with_database(session, release_gate)  # WeasyPrint takes 0.2-0.8 s
        return Response(render_pdf(review), media_type="application/pdf")
    headers = {"Content-Security-Policy": LETTER_CSP} if format == "html" else {}
    return Response(render_letter(review, format), media_type=_MEDIA[format], headers=headers)


@router.post("/{plan_id}/status", response_model=SecurityPlanPublic)
def change_status(
    plan_id: IntId, body: StatusChange, user: Reviewer, session: SessionDep, now: NowDep
) -> SecurityPlanPublic:
    """Move the plan in the workflow (start review, issue advice, accept)."""
    row = service.change_status(
        session=session, plan_id=plan_id, status=body.status, actor=user.username, now=now
    )
    return service.plan_public(session=session, row=row)


@router.post("/{plan_id}/overrides", response_model=ReviewPublic, status_code=201)
def override_finding(
    plan_id: IntId, body: OverrideCreate, user: Reviewer, session: SessionDep, now: NowDep
) -> ReviewPublic:
    """Set one checklist item of the current review by hand, with a reason (audited)."""
    row = service.override_finding(
        session=session, plan_id=plan_id, data=body, actor=user.username, now=now
    )
    return service.review_public(session=session, review_row=row, staff=True)
