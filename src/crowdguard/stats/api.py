"""Statistics endpoints (aggregates only) and the operations log (control and admin).

``/stats/...`` answer analysts, planners and admins with counts over a period
(``?period=FROM:TO`` as ISO dates, or a financial year such as ``2026/27``): never a
roster, a patrol time, a unit, or a report's contact. ``/operations`` is the log itself,
which names units and times: control and admin only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId
from crowdguard.stats import service
from crowdguard.stats.models import (
    DeploymentCreate,
    DeploymentPublic,
    DeploymentUpdate,
    OperationsAggregate,
    PatrolAggregate,
    PlanReviewAggregate,
    ReportsAggregate,
    ResponseAggregate,
    StatsTable,
)
from crowdguard.stats.operations import ArvDefinition
from crowdguard.stats.reference import reference_in
from crowdguard.stats.trends import TableName
from crowdguard.stats.years import Period, parse_period
from crowdguard.users.models import Role

__all__ = ["log_router", "router"]

router = APIRouter(prefix="/stats", tags=["stats"])
log_router = APIRouter(prefix="/operations", tags=["operations log"])
Analyst = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.analyst))]
Control = Annotated[Principal, Depends(require(Role.admin, Role.control))]


def _period(
    period: Annotated[
        str,
        Query(
            min_length=4,
            max_length=40,
            description="FROM:TO (ISO dates, inclusive, Europe/London) or a financial year "
            "such as 2026/27",
            examples=["2026-11-01:2027-01-31"],
        ),
    ],
) -> Period:
    return parse_period(period, option="period")


PeriodDep = Annotated[Period, Depends(_period)]


def _reference(context: ContextDep) -> Path | None:
    """The figures ``crowdguard stats import`` merged into the data folder, if any."""
    return reference_in(context.settings.data_dir)


ReferenceDep = Annotated[Path | None, Depends(_reference)]


@router.get("/operations", response_model=OperationsAggregate)
def operations(
    user: Analyst,
    session: SessionDep,
    period: PeriodDep,
    reference: ReferenceDep,
    arv_definition: Annotated[
        ArvDefinition,
        Query(description="involving (current releases) or initial_or_sole (older releases)"),
    ] = ArvDefinition.involving,
) -> OperationsAggregate:
    """Firearms operations (Home Office rules) by month and financial year, with the
    published series for the same years (gaps are null)."""
    return service.operations_aggregate(
        session=session, period=period, arv_definition=arv_definition, reference=reference
    )


@router.get("/response", response_model=ResponseAggregate)
def response(user: Analyst, session: SessionDep, period: PeriodDep) -> ResponseAggregate:
    """Response times (call in -> first armed unit on scene) by month and grade."""
    return service.response_aggregate(session=session, period=period)


@router.get("/patrols", response_model=PatrolAggregate)
def patrols(user: Analyst, session: SessionDep, period: PeriodDep, now: NowDep) -> PatrolAggregate:
    """Protective patrol hours planned and delivered per venue over the period (totals per
    venue only: no times, no teams). The roster read behind it is audited."""
    return service.patrol_aggregate(session=session, period=period, actor=user.username, now=now)


@router.get("/reports", response_model=ReportsAggregate)
def reports(user: Analyst, session: SessionDep, period: PeriodDep) -> ReportsAggregate:
    """Public reports received, by category and grade (counts only)."""
    return service.reports_aggregate(session=session, period=period)


@router.get("/plan-reviews", response_model=PlanReviewAggregate)
def plan_reviews(user: Analyst, session: SessionDep, period: PeriodDep) -> PlanReviewAggregate:
    """Security-plan reviews made in the period, by legal verdict and tier."""
    return service.plan_review_aggregate(session=session, period=period)


@router.get(
    "/tables/{name}",
    response_model=StatsTable,
    responses={200: {"content": {"text/csv": {"example": "month,operations\n2026-12,2\n"}}}},
)
def table(
    name: TableName,
    user: Analyst,
    session: SessionDep,
    period: PeriodDep,
    now: NowDep,
    reference: ReferenceDep,
    arv_definition: Annotated[
        ArvDefinition, Query(description="for the operations tables: involving or initial_or_sole")
    ] = ArvDefinition.involving,
    format: Annotated[
        Literal["json", "csv"], Query(description="json (columns and rows) or csv")
    ] = "json",
) -> StatsTable | Response:
    """One statistics table exactly as plotted and exported (``crowdguard stats``, the
    commissioner's briefing): gaps are null (empty in CSV), never zero."""
    built = service.stats_table(
        session=session,
        name=name,
        period=period,
        actor=user.username,
        now=now,
        arv_definition=arv_definition,
        reference=reference,
    )
    if format == "csv":
        filename = f"{built.name}_{period.first.isoformat()}_{period.last.isoformat()}.csv"
        return Response(
            built.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return StatsTable(
        name=built.name,
        title=built.title,
        columns=list(built.columns),
        rows=[list(r) for r in built.rows],
        notes=list(built.notes),
    )


@log_router.get("", response_model=Page[DeploymentPublic])
def list_log(
    user: Control,
    session: SessionDep,
    page: PageDep,
    period: Annotated[
        str | None, Query(max_length=40, description="only deployments authorised in FROM:TO")
    ] = None,
) -> Page[DeploymentPublic]:
    """The operations log, newest first."""
    window = None if period is None else parse_period(period, option="period")
    rows, total = service.list_deployments(
        session=session, period=window, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[service.deployment_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@log_router.post("", response_model=DeploymentPublic, status_code=status.HTTP_201_CREATED)
def record(
    body: DeploymentCreate, user: Control, session: SessionDep, now: NowDep
) -> DeploymentPublic:
    """Enter a deployment dispatch did not see (escort, guarding, VIP protection, an
    incident handled off the system)."""
    row = service.record_deployment(session=session, data=body, actor=user.username, now=now)
    return service.deployment_public(row)


@log_router.patch("/{deployment_id}", response_model=DeploymentPublic)
def amend(
    deployment_id: IntId, body: DeploymentUpdate, user: Control, session: SessionDep, now: NowDep
) -> DeploymentPublic:
    """Correct who authorised a deployment and when, self-authorisation, purpose,
    discharges or its incident (audited with the old and new values)."""
    row = service.amend_deployment(
        session=session, deployment_id=deployment_id, data=body, actor=user.username, now=now
    )
    return service.deployment_public(row)
