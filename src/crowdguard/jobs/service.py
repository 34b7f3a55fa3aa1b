"""Plan jobs: create, read, and move through queued -> running -> done | failed.

A job keeps every input that produced it (scenario snapshot, the submitted security plans
for its venues and period with their effective reviews, solver, CrowdGuard version, horizon
and seed). When the caller gives no seed, one is drawn with :mod:`secrets` and
stored, visible only to planners and admins, so the plan is unpredictable to outsiders yet
reproducible for audit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard import __version__
from crowdguard.audit import service as audit
from crowdguard.jobs.models import PlanAggregate, PlanCreate, PlanPublic, PlanStatus, PlanSummary
from crowdguard.jobs.tables import PlanRow
from crowdguard.plans import service as security_plan_service
from crowdguard.rosters.service import store_rosters
from crowdguard.scenario.schema import Scenario
from crowdguard.store.errors import NotFoundError
from crowdguard.venues.service import get_scenario

__all__ = [
    "aggregate_view",
    "create_plan",
    "fail_interrupted",
    "finish_plan",
    "full_view",
    "get_plan",
    "list_plans",
    "mark_running",
    "set_progress",
]


def full_view(row: PlanRow) -> PlanPublic:
    """Everything about a plan (planners and admins)."""
    return PlanPublic(
        id=row.id,
        scenario_id=row.scenario_id,
        status=PlanStatus(row.status),
        progress=row.progress,
        solver=row.solver,
        created_at=row.created_at,
        finished_at=row.finished_at,
        result=row.result,
        seed=row.seed,
        seed_given=row.seed_given,
        days=row.days,
        version=row.version,
        requested_by=row.requested_by,
        started_at=row.started_at,
        error=row.error,
        scenario_snapshot=row.scenario_snapshot,
        security_plans=list(row.security_plans or []),
    )


def aggregate_view(row: PlanRow) -> PlanAggregate:
    """Status and aggregate coverage only (analysts)."""
    return PlanAggregate(
        id=row.id,
        scenario_id=row.scenario_id,
        status=PlanStatus(row.status),
        progress=row.progress,
        solver=row.solver,
        created_at=row.created_at,
        finished_at=row.finished_at,
        result=row.result,
    )


def create_plan(
    *, session: Session, data: PlanCreate, actor: str | None, now: dt.datetime
) -> PlanRow:
    """Queue a plan for a stored scenario, snapshotting it."""
    scenario = get_scenario(session=session, scenario_id=data.scenario_id)
    seed = data.seed if data.seed is not None else secrets.randbits(63)
    snapshot = Scenario.model_validate(scenario.snapshot)
    horizon = snapshot.days[: data.days] if data.days is not None else snapshot.days
    security_plans = security_plan_service.reviews_for_plan_job(
        session=session,
        venue_ids=[v.id for v in snapshot.venues],
        start=horizon[0],
        end=horizon[-1],
    )
    row = PlanRow(
        scenario_id=scenario.id,
        scenario_snapshot=scenario.snapshot,
        security_plans=security_plans,
        status=PlanStatus.queued.value,
        progress=0.0,
        seed=seed,
        seed_given=data.seed is not None,
        days=data.days,
        version=__version__,
        requested_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="plan.create",
        entity="plan",
        entity_id=str(row.id),
        detail={
            "scenario_id": row.scenario_id,
            "days": row.days,
            "security_plans": [f"{p['security_plan_id']} v{p['version']}" for p in security_plans],
        },
    )
    return row


def get_plan(*, session: Session, plan_id: int) -> PlanRow:
    """The plan with this id, or :class:`NotFoundError`."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise NotFoundError(f"plan_id: no plan {plan_id}")
    return row


def list_plans(*, session: Session, limit: int, offset: int) -> tuple[list[PlanSummary], int]:
    """One page of plan summaries, newest first, and the total.

    Reads no large column: the result, the scenario snapshot and the security plans stay in
    the database; only the defender utility is taken out of the result, in SQL.
    """
    total = session.scalar(select(func.count()).select_from(PlanRow)) or 0
    utility = PlanRow.result["defender_utility"].as_float()
    worst = PlanRow.result["worst_tie_defender_utility"].as_float()
    rows = session.execute(
        select(
            PlanRow.id,
            PlanRow.scenario_id,
            PlanRow.status,
            PlanRow.progress,
            PlanRow.solver,
            PlanRow.days,
            PlanRow.created_at,
            PlanRow.finished_at,
            utility,
            worst,
        )
        .order_by(PlanRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        PlanSummary(
            id=r[0],
            scenario_id=r[1],
            status=PlanStatus(r[2]),
            progress=r[3],
            solver=r[4],
            days=r[5],
            created_at=r[6],
            finished_at=r[7],
            defender_utility=r[8],
            worst_tie_defender_utility=r[9],
        )
        for r in rows
    ], total


def mark_running(*, session: Session, plan_id: int, now: dt.datetime) -> PlanRow:
    """queued -> running."""
    row = get_plan(session=session, plan_id=plan_id)
    row.status = PlanStatus.running.value
    row.started_at = now
    return row


def set_progress(*, session: Session, plan_id: int, progress: float) -> None:
    """Record progress in [0, 1] (clamped)."""
    row = get_plan(session=session, plan_id=plan_id)
    row.progress = min(1.0, max(0.0, float(progress)))


def finish_plan(
    *,
    session: Session,
    plan_id: int,
    now: dt.datetime,
    result: dict[str, Any] | None = None,
    rosters: dict[str, dict[str, Any]] | None = None,
    error: str | None = None,
) -> PlanRow:
    """running -> done (result and rosters stored together) or failed (error kept)."""
    row = get_plan(session=session, plan_id=plan_id)
    row.finished_at = now
    if error is not None:
        row.status = PlanStatus.failed.value
        row.error = error[:2000]
        detail: dict[str, Any] = {"status": "failed"}
    else:
        row.status = PlanStatus.done.value
        row.progress = 1.0
        row.result = result
        row.solver = str((result or {}).get("solver", "")) or None
        team_days = store_rosters(session=session, plan_id=plan_id, rosters=rosters or {})
        detail = {"status": "done", "team_days": team_days}
    audit.record(
        session=session,
        at=now,
        actor=None,
        action="plan.finish",
        entity="plan",
        entity_id=str(row.id),
        detail=detail,
    )
    return row


def fail_interrupted(*, session: Session, now: dt.datetime) -> int:
    """Mark jobs left queued or running by a stopped server as failed; returns how many.

    Called by ``crowdguard serve`` at start-up, before any new job can run.
    """
    rows = session.scalars(
        select(PlanRow).where(
            PlanRow.status.in_([PlanStatus.queued.value, PlanStatus.running.value])
        )
    ).all()
    for row in rows:
        finish_plan(
            session=session,
            plan_id=row.id,
            now=now,
            error="interrupted: the server stopped before this job finished; start it again",
        )
    return len(rows)
