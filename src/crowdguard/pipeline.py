"""The planning pipeline: one function from inputs and options to a finished plan.

``crowdguard plan``, the API's plan jobs, the simulator and the sweep all call
:func:`make_plan`, so a plan served by the API is the plan the CLI writes for the same
scenario and options (issue 16, section 0). The steps, in order:

1. review the venues' security plans (linked in the scenario, or submitted through the
   service) into risk multipliers (:func:`crowdguard.risk.plan_gaps.review_linked`);
2. solve the season and draw its rosters (:func:`crowdguard.patrols.planner.solve_plan`:
   free placement or walkable routes);
3. the what-ifs ``plan.json`` and the report show (``options.what_ifs``): the price of
   visibility on one day (:func:`crowdguard.patrols.whatifs.visibility_tradeoff`, routes
   mode) and, per weak security plan, the coverage it moved
   (:func:`crowdguard.plans.influence.plan_influence`);
4. with a sweep of the scenario among the inputs, where the plan's deployment (its teams at
   its threat level) sits on the sweep's curve of harm against teams
   (:func:`crowdguard.sweep.proportion.place_on_sweep`), for ``plan.json``'s
   ``proportionality``, the report and the planner's page.

It is pure: the inputs are data (:class:`PlanInputs`: the scenario, the security plans as
read by the scenario loader, travel times); reading files is the shells' job
(:func:`crowdguard.scenario.load.load_scenario_and_plans`, :meth:`PlanInputs.read`). The
result is a frozen :class:`~crowdguard.patrols.planner.PatrolPlan`: no step changes it
after the fact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from crowdguard.errors import PlanError
from crowdguard.patrols.options import PlanOptions
from crowdguard.patrols.planner import PatrolPlan, solve_plan
from crowdguard.patrols.season_routes import DatedOverride, DayOptions
from crowdguard.patrols.travel import TravelTimes
from crowdguard.plans.influence import plan_influence
from crowdguard.risk.payoffs import Targets, build_targets
from crowdguard.risk.plan_gaps import LinkedPlan, review_linked
from crowdguard.scenario.schema import Scenario

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan
    from crowdguard.sweep.results import SweepRecord

__all__ = [
    "DatedOverride",
    "DayOptions",
    "PatrolPlan",
    "PlanInputs",
    "PlanOptions",
    "make_plan",
]

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is made from, as data.

    ``security_plans``: the security plan each venue links, per venue id, as the scenario
    loader read them (:func:`crowdguard.scenario.load.load_scenario_and_plans`).
    ``submitted``: security plans submitted through the service, per venue, already
    reviewed (:func:`crowdguard.risk.plan_gaps.submitted_plans`); each replaces the linked
    plan of its venue (the organiser's current plan is the better evidence).
    ``plan_gaps``: multipliers per venue and attack mode given directly (a what-if); they
    replace the plans' when given.
    ``travel``: minutes between the scenario's venues and bases (default: the straight-line
    model); ``travel_model`` names it in ``plan.json``.
    """

    scenario: Scenario
    security_plans: Mapping[str, SecurityPlan] = field(default_factory=dict)
    submitted: Mapping[str, LinkedPlan] = field(default_factory=dict)
    plan_gaps: Mapping[str, Mapping[str, float]] | None = None
    travel: TravelTimes | None = None
    travel_model: str | None = None
    sweep: SweepRecord | None = None
    """A finished sweep of this scenario (:func:`crowdguard.sweep.results.read_sweep`): the
    plan then says where its deployment sits on the sweep's curve."""

    @classmethod
    def read(cls, scenario: Scenario, **inputs: Any) -> PlanInputs:
        """The inputs of ``scenario`` with its linked security plans read from their files:
        for a scenario that did not come from the loader with its plans (a stored snapshot).
        A shell's convenience; :func:`make_plan` itself reads nothing."""
        from crowdguard.scenario.load import security_plan_documents

        return cls(scenario, security_plan_documents(scenario), **inputs)


def make_plan(
    inputs: PlanInputs,
    options: PlanOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    stage: Callable[[str], None] | None = None,
    reviewed: Callable[[Mapping[str, LinkedPlan]], None] | None = None,
    executor: Executor | None = None,
) -> PatrolPlan:
    """Plan the season of ``inputs`` with ``options`` (default: ``crowdguard plan``'s).

    ``progress(fraction, label)`` follows the solve; ``stage(label)`` is told when a what-if
    starts ("price of visibility", "security plans: what-if resolved"); ``reviewed(links)``
    is given the security plans the plan uses, reviewed, before the season is solved (the
    CLI starts drawing their advice letters then, :class:`crowdguard.report.render.Renderer`):
    they are the plan's ``linked_plans``. ``executor``: worker processes the what-ifs may
    use beside the solve (the CLI lends its renderer's): the visibility curve's points are
    then solved there while the season solves, instead of after it.
    """
    options = options or PlanOptions()
    options.check()
    scenario = inputs.scenario
    links: dict[str, LinkedPlan] = {}
    if options.security_plans and inputs.plan_gaps is None:
        links = {
            **review_linked(scenario, inputs.security_plans, on=options.review_on),
            **inputs.submitted,
        }
    if options.visibility_day is not None:
        _check_visibility_day(scenario, options)
    started = None
    if executor is not None and options.what_ifs and options.mode == "routes":
        # first: the plan waits for the curve, the letters are wanted only at the end
        started = _start_curve(inputs, options, links, executor)
    if reviewed is not None and links:
        reviewed(links)
    try:
        plan = solve_plan(
            scenario,
            options,
            links=links,
            plan_gaps=inputs.plan_gaps,
            travel=inputs.travel,
            travel_model=inputs.travel_model,
            progress=progress,
        )
    except BaseException:
        if started is not None:
            started.future.cancel()
        raise
    changes: dict[str, Any] = {}
    if inputs.sweep is not None:
        changes["on_sweep"] = _place_on_sweep(inputs.sweep, scenario)
    if not options.what_ifs:
        return dataclasses.replace(plan, **changes) if changes else plan
    if plan.mode == "routes" and plan.day_plans and options.visibility_points > 0:
        if stage is not None:
            stage("price of visibility")
        day, curve = _visibility_curve(plan, options, started)
        if curve:
            changes.update(visibility_tradeoff=curve, visibility_tradeoff_day=day)
    if started is not None:  # not wanted after all (no day solved): stop it
        started.future.cancel()
    if plan.linked_plans:
        if stage is not None:
            stage("security plans: what-if resolved")
        influences = plan_influence(
            scenario,
            plan.linked_plans,
            days=plan.days,
            solved=(plan.targets, plan.coverage) if plan.mode == "free" else None,
        )
        changes["influences"] = {i.venue: i for i in influences}
    return dataclasses.replace(plan, **changes) if changes else plan


def _place_on_sweep(sweep: SweepRecord, scenario: Scenario) -> dict[str, Any]:
    """``plan.json``'s ``proportionality``: the scenario's teams at its threat level on the
    sweep's curve, with what the sweep planned (its days and mode)."""
    from crowdguard.sweep.proportion import place_on_sweep
    from crowdguard.sweep.results import scenario_digest

    placed = place_on_sweep(
        sweep.rows,
        sweep.manifest,
        sweep.proportionality,
        scenario=scenario.id,
        teams=len(scenario.teams),
        threat=scenario.threat_level.value,
    )
    options = sweep.manifest.get("options") or {}
    return {
        **placed.to_json(),
        "sweep": {
            "folder": sweep.path.name,
            "scenario_digest": sweep.manifest.get("scenario_digest"),
            # False: the scenario changed since the sweep (its curve may no longer hold)
            "same_scenario": sweep.manifest.get("scenario_digest") == scenario_digest(scenario),
            "mode": options.get("mode"),
            "days_planned": options.get("days_planned"),
            "seeds": placed.point.seeds,
        },
    }


def _check_visibility_day(scenario: Scenario, options: PlanOptions) -> None:
    """The visibility what-if's day must be a planned day."""
    from crowdguard.patrols.season import chosen_days

    horizon = chosen_days(scenario, options.days)
    if options.visibility_day not in horizon:
        raise PlanError(
            f"--route-day {options.visibility_day}: outside the planned days "
            f"{horizon[0].isoformat()}..{horizon[-1].isoformat()}"
        )


CURVE_POOL_SECONDS = 4.0
"""Without an executor, the price-of-visibility curve's points are solved in new worker
processes only when solving them here, one after the other, would take longer than this
(estimated from the time the plan's own solve of the day took, without its joint rosters).
Starting the workers and importing the solver in them costs more than a small day's points:
on the demo, its three points took 1.5-1.8 s on two new workers against 0.6 s here (issue
10, section 4)."""


@dataclass(frozen=True)
class _StartedCurve:
    """The curve's points being solved in an executor while the season solves."""

    day: dt.date
    gaps: dict[str, dict[str, float]] | None
    future: Future[tuple[list[float], dict[float, tuple[float, float]]]]


def _riskiest_day(scenario: Scenario, targets: Targets) -> dt.date:
    """The day with the most total risk (the curve's default day)."""
    zone = ZoneInfo(scenario.timezone)
    dates = np.array([s.astimezone(zone).date().toordinal() for s in targets.start])
    totals = np.bincount(dates - dates.min(), weights=targets.risk)
    return dt.date.fromordinal(int(dates.min() + np.argmax(totals)))


def _start_curve(
    inputs: PlanInputs,
    options: PlanOptions,
    links: Mapping[str, LinkedPlan],
    executor: Executor,
) -> _StartedCurve | None:
    """Submit the curve's points (all but the zero floor, which the plan's own solve of the
    day gives) to ``executor`` before the season is solved. The day and the risk
    multipliers are those :func:`solve_plan` will use; :func:`_visibility_curve` checks
    them against the plan and solves here instead if they differ."""
    from crowdguard.patrols.season import chosen_days
    from crowdguard.patrols.travel import scenario_travel
    from crowdguard.patrols.whatifs import visibility_points

    if options.visibility_points <= 0:
        return None
    scenario = inputs.scenario
    gaps: dict[str, dict[str, float]] | None = None
    if options.security_plans:
        if inputs.plan_gaps is not None:
            gaps = {v: dict(m) for v, m in inputs.plan_gaps.items()}
        else:
            gaps = {v: dict(link.multipliers) for v, link in links.items()}
    gaps = gaps or None
    try:
        season = build_targets(scenario, days=chosen_days(scenario, options.days), plan_gaps=gaps)
        if len(season) == 0:
            return None  # the solve says why
        day = options.visibility_day or _riskiest_day(scenario, season)
        targets = build_targets(scenario, days=[day], plan_gaps=gaps)
        if len(targets) == 0:
            return None
        future = executor.submit(
            visibility_points,
            scenario,
            day,
            targets,
            inputs.travel or scenario_travel(scenario),
            points=options.visibility_points,
            without_zero=True,
        )
    except (BrokenExecutor, RuntimeError):  # no executor after all: solved here
        return None
    return _StartedCurve(day, gaps, future)


def _visibility_curve(
    plan: PatrolPlan, options: PlanOptions, started: _StartedCurve | None = None
) -> tuple[dt.date, list[dict[str, float]]]:
    """The price of being seen on one day: defender utility at rising visibility floors.

    :func:`crowdguard.patrols.whatifs.visibility_tradeoff` on ``options.visibility_day``
    (default: the day with the most total risk), with the plan's security-plan multipliers.
    Visible patrols deter (Project Servator, ``domain.md`` section 4). The plan's own
    solution of that day is reused for the zero floor (when no option changed it). The
    other points come from ``started`` (solved beside the season), else are solved here,
    or, when they would take longer than :data:`CURVE_POOL_SECONDS`, in
    ``options.workers`` new processes (``None``: all cores).
    """
    from crowdguard.patrols.whatifs import tradeoff_rows, visibility_tradeoff, zero_floor

    day = options.visibility_day or _riskiest_day(plan.scenario, plan.targets)
    targets = build_targets(plan.scenario, days=[day], plan_gaps=plan.plan_gaps or None)
    if len(targets) == 0:
        return day, []
    solved = plan.day_plans.get(day.isoformat())
    baseline = None
    if (
        solved is not None
        and not plan.options.any()
        and not solved.certificate.get("implementation_gap")
    ):  # the plain day is the floor-0 point
        baseline = (solved.defender_utility, solved.expected_visibility)
    if started is not None and started.day == day and started.gaps == (plan.plan_gaps or None):
        try:
            floors, known = started.future.result()
        except (BrokenExecutor, CancelledError):
            pass  # the worker was lost: solved here below
        else:
            travel = plan.travel_times()
            known[0.0] = baseline or zero_floor(plan.scenario, day, targets, travel)
            return day, tradeoff_rows(floors, known)
    elif started is not None:
        started.future.cancel()
    workers = options.workers or os.cpu_count() or 1
    if solved is not None:
        per_point = solved.seconds - float(solved.certificate.get("joint_seconds") or 0.0)
        points = options.visibility_points - (baseline is not None)
        if per_point * points <= CURVE_POOL_SECONDS:
            workers = 1
    curve = visibility_tradeoff(
        plan.scenario,
        day,
        targets,
        plan.travel_times(),
        points=options.visibility_points,
        baseline=baseline,
        workers=workers,
    )
    return day, curve
