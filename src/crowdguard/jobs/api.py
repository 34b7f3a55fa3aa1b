"""Plan jobs: start a solve (202), poll its status and progress, list plans."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId
from crowdguard.jobs import service
from crowdguard.jobs.models import PlanAggregate, PlanCreate, PlanPublic, PlanSeed, PlanSummary
from crowdguard.jobs.runner import report_path
from crowdguard.jobs.tables import PlanRow
from crowdguard.rosters import service as rosters
from crowdguard.rosters.models import PlanRosters
from crowdguard.store.errors import NotFoundError
from crowdguard.users.models import Role

__all__ = ["router"]

router = APIRouter(prefix="/plans", tags=["plans"])
Planner = Annotated[Principal, Depends(require(Role.admin, Role.planner))]
PlanReader = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.analyst))]


def _view(row: PlanRow, user: Principal) -> PlanPublic | PlanAggregate:
    return (
        service.full_view(row)
        if user.role in (Role.admin, Role.planner)
        else service.aggregate_view(row)
    )


@router.post("", response_model=PlanPublic, status_code=202)
def create_plan(
    body: PlanCreate,
    user: Planner,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    response: Response,
) -> PlanPublic:
    """Queue a solve of a stored scenario; poll ``GET /api/v1/plans/{id}`` for progress."""
    row = service.create_plan(session=session, data=body, actor=user.username, now=now)
    context.runner.submit_after_commit(session, row.id)
    response.headers["Location"] = f"/api/v1/plans/{row.id}"
    return service.full_view(row)


@router.get("", response_model=Page[PlanSummary])
def list_plans(user: PlanReader, session: SessionDep, page: PageDep) -> Page[PlanSummary]:
    """List plans, newest first, as summaries (no result, snapshot or seed: ask
    ``GET /plans/{id}`` for those)."""
    rows, total = service.list_plans(session=session, limit=page.limit, offset=page.offset)
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/{plan_id}", response_model=PlanPublic | PlanAggregate)
def get_plan(plan_id: IntId, user: PlanReader, session: SessionDep) -> PlanPublic | PlanAggregate:
    """A plan's status, progress (0..1) and, when done, its result."""
    return _view(service.get_plan(session=session, plan_id=plan_id), user)


@router.get("/{plan_id}/seed", response_model=PlanSeed)
def get_plan_seed(plan_id: IntId, user: Planner, session: SessionDep, now: NowDep) -> PlanSeed:
    """The seed a plan was asked to draw its rosters with, for planners and admins (roles
    that may read every roster): with the scenario snapshot it rebuilds every roster of the
    plan, so each call is audited as a read of every day's rosters. 404 when the plan drew
    its rosters from the secrets module (no seed exists)."""
    return service.read_seed(session=session, plan_id=plan_id, actor=user.username, now=now)


@router.get(
    "/{plan_id}/rosters",
    response_model=PlanRosters,
    responses={200: {"description": "every day's rosters, as an attachment"}},
)
def download_rosters(
    plan_id: IntId, user: Planner, session: SessionDep, now: NowDep, response: Response
) -> PlanRosters:
    """Every roster the plan drew, day by day, as a file to keep (planners and admins, the
    roles that may read every roster; the read is audited). Rosters are secret: keep the
    file where only those who may read rosters can (``chmod 600``)."""
    service.get_plan(session=session, plan_id=plan_id)  # 404 for no such plan
    response.headers["Content-Disposition"] = f'attachment; filename="plan-{plan_id}-rosters.json"'
    response.headers["Cache-Control"] = "no-store"
    return rosters.plan_rosters(session=session, plan_id=plan_id, actor=user.username, now=now)


REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The report is one self-contained page (inline styles, images as data): nothing else may
load or run."""


@router.get(
    "/{plan_id}/report",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the plan's report"}},
)
def download_report(
    plan_id: IntId, user: Planner, session: SessionDep, context: ContextDep, now: NowDep
) -> Response:
    """The plan's self-contained ``report.html``, as ``crowdguard plan`` writes it (planners
    and admins: it maps a day's routes, so the read is audited like a roster read). 404 until
    the plan is done, and for plans finished before the server kept reports."""
    row = service.get_plan(session=session, plan_id=plan_id)
    path = report_path(context.settings.data_dir / "reports", plan_id)
    if row.status != "done" or not path.is_file():
        raise NotFoundError(f"plan_id: plan {plan_id} has no report (status {row.status})")
    rosters.record_report_read(session=session, plan_id=plan_id, actor=user.username, now=now)
    return Response(
        path.read_bytes(),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": REPORT_CSP,
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="plan-{plan_id}-report.html"',
        },
    )
