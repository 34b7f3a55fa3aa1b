"""Plan jobs: create, read, and move through queued -> running -> done | failed.

A job keeps every input that produced it (scenario snapshot, the submitted security plans
for its venues and period with their effective reviews, solver, CrowdGuard version, horizon
and, only when the caller asked for one, seed). Without a seed the rosters are drawn from
:mod:`secrets` and nothing stored can rebuild them; the coverage (a linear programme's
optimum) is still reproducible from the snapshot. A requested seed rebuilds every roster of
the plan, so it is as secret as they are (issue 12, item 7): no ordinary read shows it, and
:func:`read_seed` gives it to roles entitled to every roster as an audited read of each day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard import __version__
from crowdguard.audit import service as audit
from crowdguard.errors import PlanError, did_you_mean
from crowdguard.jobs.models import (
    PlanAggregate,
    PlanCreate,
    PlanPublic,
    PlanRouteOptions,
    PlanSeed,
    PlanStatus,
    PlanSummary,
)
from crowdguard.jobs.tables import PlanRow
from crowdguard.patrols.roster import DayRoster
from crowdguard.patrols.season_routes import DatedOverride, DayOptions
from crowdguard.plans import service as security_plan_service
from crowdguard.rosters.service import store_rosters
from crowdguard.scenario.schema import Scenario
from crowdguard.store.errors import NotFoundError
from crowdguard.venues.service import get_scenario

__all__ = [
    "AGGREGATE_RESULT_KEYS",
    "aggregate_result",
    "aggregate_view",
    "check_options",
    "create_plan",
    "day_options",
    "fail_interrupted",
    "finish_plan",
    "full_view",
    "get_plan",
    "list_plans",
    "mark_running",
    "plan_days",
    "read_seed",
    "set_progress",
    "with_period",
    "with_teams",
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
        seed_given=row.seed_given,
        days=row.days,
        version=row.version,
        requested_by=row.requested_by,
        started_at=row.started_at,
        error=row.error,
        scenario_snapshot=row.scenario_snapshot,
        security_plans=list(row.security_plans or []),
        **(row.options or {}),
    )


AGGREGATE_RESULT_KEYS = frozenset(
    {
        "scenario",
        "scenario_name",
        "version",
        "solver",
        "mode",
        "threat_level",
        "period",
        "defender_utility",
        "attacker_utility",
        "worst_tie_defender_utility",
        "tie_rule",
        "price_of_robustness",
        "seconds",
        "teams_per_slot",
        "coverage",
        "visibility",
    }
)
"""The ``plan.json`` keys analysts see: utilities, teams per slot, coverage and visibility.
Everything else is left out, by allow-list so that a key added later stays out until
someone decides: ``plan_reviews`` (which events' security is weak), the attacked target
and attack set, overrides, per-venue response figures."""

_AGGREGATE_COVERAGE_KEYS = ("venue", "start", "end", "coverage")
"""Per venue-slot coverage without its ``risk``, which security-plan findings raise."""


def aggregate_result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """``result`` cut to what analysts may see (issue 12, item 8): the allow-listed keys,
    coverage rows without risk, and the security-plan reviews only as counts by tier."""
    if result is None:
        return None
    kept = {k: v for k, v in result.items() if k in AGGREGATE_RESULT_KEYS}
    if isinstance(kept.get("coverage"), list):
        kept["coverage"] = [
            {k: row[k] for k in _AGGREGATE_COVERAGE_KEYS if k in row}
            for row in kept["coverage"]
            if isinstance(row, dict)
        ]
    reviews = result.get("plan_reviews")
    if isinstance(reviews, list):
        by_tier: dict[str, int] = {}
        for review in reviews:
            tier = str(review.get("tier")) if isinstance(review, dict) else "unknown"
            by_tier[tier] = by_tier.get(tier, 0) + 1
        kept["plan_reviews_by_tier"] = dict(sorted(by_tier.items()))
    return kept


def aggregate_view(row: PlanRow) -> PlanAggregate:
    """Status and aggregate coverage only (analysts): see :func:`aggregate_result`."""
    return PlanAggregate(
        id=row.id,
        scenario_id=row.scenario_id,
        status=PlanStatus(row.status),
        progress=row.progress,
        solver=row.solver,
        created_at=row.created_at,
        finished_at=row.finished_at,
        result=aggregate_result(row.result),
    )


def plan_days(row: PlanRow) -> list[dt.date]:
    """The days a plan covers (its scenario's days, the first ``days`` of them if set)."""
    days = Scenario.model_validate(row.scenario_snapshot).days
    return list(days[: row.days] if row.days is not None else days)


def read_seed(*, session: Session, plan_id: int, actor: str, now: dt.datetime) -> PlanSeed:
    """A plan's seed, recorded as a read of the rosters of every day it reproduces (the
    caller has checked the role is entitled to every roster). :class:`NotFoundError` when
    the plan was drawn from ``secrets`` and has no seed."""
    row = get_plan(session=session, plan_id=plan_id)
    if row.seed is None:
        raise NotFoundError(
            f"plan_id: plan {plan_id} has no seed (its rosters were drawn from the secrets "
            "module and cannot be reproduced)"
        )
    days = plan_days(row)
    for day in days:
        audit.record(
            session=session,
            at=now,
            actor=actor,
            action="roster.read",
            entity="roster",
            entity_id=day.isoformat(),
            detail={"via": "plan seed", "plan_id": plan_id},
        )
    return PlanSeed(plan_id=plan_id, seed=row.seed, days=days)


def create_plan(
    *, session: Session, data: PlanCreate, actor: str | None, now: dt.datetime
) -> PlanRow:
    """Queue a plan for a stored scenario, snapshotting it."""
    scenario = get_scenario(session=session, scenario_id=data.scenario_id)
    document = scenario.snapshot
    if data.teams is not None:
        document = with_teams(document, data.teams)
    if data.start is not None or data.end is not None:
        document = with_period(document, data.start, data.end)
    snapshot = Scenario.model_validate(document)
    horizon = snapshot.days[: data.days] if data.days is not None else snapshot.days
    check_options(snapshot, horizon, data)
    options = data.chosen()
    security_plans = security_plan_service.reviews_for_plan_job(
        session=session,
        venue_ids=[v.id for v in snapshot.venues],
        start=horizon[0],
        end=horizon[-1],
    )
    row = PlanRow(
        scenario_id=scenario.id,
        scenario_snapshot=document,
        security_plans=security_plans,
        status=PlanStatus.queued.value,
        progress=0.0,
        seed=data.seed,
        seed_given=data.seed is not None,
        days=data.days,
        options=options or None,
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
            "teams": None if data.teams is None else len(data.teams),
            "period": [str(document.get("start")), str(document.get("end"))],
            "options": sorted(options),
            "security_plans": [f"{p['security_plan_id']} v{p['version']}" for p in security_plans],
        },
    )
    return row


def day_options(options: dict[str, Any] | None) -> DayOptions:
    """A plan job's stored options as the planner takes them (the defaults for ``None``)."""
    chosen = PlanRouteOptions.model_validate(options or {})
    return DayOptions(
        overrides=tuple(DatedOverride(o.team, o.place, o.at, o.action) for o in chosen.overrides),
        max_variants=chosen.max_variants,
        response_floor=chosen.response_floor,
        response_min_crowd=chosen.response_min_crowd or 0.0,
        visibility_floor=chosen.visibility_floor,
    )


def with_teams(document: dict[str, Any], teams: list[str]) -> dict[str, Any]:
    """The scenario document with only ``teams`` (callsigns, in the scenario's order): a plan
    of part of the force (the others on leave, or kept back). The job snapshots this, so the
    plan is reproducible from what is stored. :class:`PlanError` naming an unknown or
    repeated team."""
    known = [t.get("callsign") for t in document.get("teams") or [] if isinstance(t, dict)]
    for index, callsign in enumerate(teams):
        if callsign not in known:
            hint = did_you_mean(callsign, [str(k) for k in known])
            raise PlanError(
                f"teams[{index}]: no team {callsign!r} in the scenario; "
                + (f"{hint} " if hint else "")
                + f"expected some of {', '.join(str(k) for k in known)}"
            )
        if callsign in teams[:index]:
            raise PlanError(f"teams[{index}]: {callsign!r} is named twice")
    chosen = set(teams)
    return {**document, "teams": [t for t in document["teams"] if t.get("callsign") in chosen]}


def with_period(
    document: dict[str, Any], start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    """The scenario document cut to ``start``..``end`` (either default the scenario's own):
    a plan of part of the season. The job snapshots this, so the plan's days are the days
    it planned. :class:`PlanError` naming ``start`` or ``end`` outside the period."""
    scenario = Scenario.model_validate(document)
    first, last = start or scenario.start, end or scenario.end
    for name, day in (("start", first), ("end", last)):
        if not scenario.start <= day <= scenario.end:
            raise PlanError(
                f"{name}: {day.isoformat()} is outside the scenario's period "
                f"{scenario.start.isoformat()}..{scenario.end.isoformat()}"
            )
    if last < first:
        raise PlanError(f"end: {last.isoformat()} is before start {first.isoformat()}")
    return {**document, "start": first.isoformat(), "end": last.isoformat()}


def check_options(scenario: Scenario, horizon: list[dt.date], data: PlanRouteOptions) -> None:
    """Refuse, before the job is queued, an override naming a day outside the plan, or a
    team or place the scenario does not have (:class:`PlanError` naming which override)."""
    from crowdguard.patrols.planner import check_scenario_options  # the solver stack, lazily

    for index, override in enumerate(data.overrides):
        single = PlanRouteOptions(overrides=[override])
        try:
            check_scenario_options(scenario, horizon, day_options(single.chosen()))
        except PlanError as exc:
            raise PlanError(f"overrides[{index}]: {exc}") from None


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
    rosters: Mapping[str, DayRoster | Mapping[str, Any]] | None = None,
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
