"""The work of one sweep task: solve a grid point, then simulate one seed's season on it.

Two functions are the sweep's only contact with the planner and the simulator:

* :func:`solve_point` varies the scenario (:func:`crowdguard.sweep.grid.vary`), solves it
  with the planning pipeline every planner uses (:func:`crowdguard.pipeline.make_plan`,
  options from :meth:`SweepOptions.plan_options`) and keeps what the seeds need (a
  :class:`PointPlan`: coverage, the solved days, the exact harms). It does not depend on
  the seed, so it runs once per grid point; its roster draw is discarded.
* :func:`simulate_seed` draws one season of rosters from the point's plan with
  ``random.Random("crowdguard-sweep:<seed>")`` and runs the season simulator
  (:func:`crowdguard.simulation.season.simulate_season`) with ``seed``, returning one tidy
  row. The incidents depend only on the seed and the crowd, not on the deployment, so every
  grid point meets the same incidents for the same seed (common random numbers; Law,
  *Simulation Modeling and Analysis*, 5th ed., section 11.2): differences between
  deployments come from the teams, not from luck.

Harm figures in a row (all in the risk model's unit: expected people harmed x threat
likelihood, ``docs/theory/risk.md``):

* ``harm_stated``: minus the plan's defender utility, the expected harm against the
  best-informed attacker with ties broken for us (the Strong Stackelberg convention).
* ``harm_worst_tie``: the same with ties broken against us, from the plan's
  ``worst_tie_defender_utility``.
* ``harm_daily``: the mean over the planned days of the best response within each day's
  targets (:func:`crowdguard.simulation.attacker.daily_informed_harm`): an attacker tied to
  a date who knows the coverage.
* ``harm_realised``: that daily attacker's harm read from this seed's drawn rosters: on each
  day it strikes the day's best target and the harm is the covered payoff if a team was
  actually there, the uncovered one if not; the row holds the mean over the days. Its
  expectation over seeds is ``harm_daily``, so the seeds give it a confidence interval, and
  it is the curve the proportionality point is read from by default.

Rosters drawn here are analytic what-ifs over hypothetical deployments, never operational:
they are neither written nor logged, and the seed that reproduces them is in the results
only for that reason.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from crowdguard import __version__
from crowdguard.errors import InputError
from crowdguard.patrols.options import PlanOptions
from crowdguard.patrols.roster import DayRoster
from crowdguard.patrols.travel import TravelTimes, places_of, straight_line_travel
from crowdguard.risk.payoffs import Targets, build_targets
from crowdguard.scenario.schema import Scenario
from crowdguard.sweep.grid import GridPoint, team_hours, vary
from crowdguard.sweep.results import scenario_digest

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "PointPlan",
    "SweepContext",
    "SweepOptions",
    "build_context",
    "simulate_seed",
    "solve_point",
]

FloatArray = npt.NDArray[np.float64]
DEFAULT_INCIDENTS = 200.0


@dataclass(frozen=True)
class SweepOptions:
    """The planner's and the simulator's options, the same for every grid point.

    ``days``: plan the first K days (``None``: the whole period); ``mode``: ``routes``
    (walkable routes, the planner's default) or ``free`` (teams placed per slot, fast);
    ``expected_incidents``: armed calls expected over the scenario's whole period (as
    ``crowdguard simulate --incidents``); a shorter horizon (``days``) gets its share by
    days, so the daily rate of calls is the same whatever ``days``; the rest are ``crowdguard plan``'s routes-mode
    options, applied at every point. ``travel_model`` names the travel times used.
    """

    days: int | None = None
    mode: Literal["routes", "free"] = "routes"
    expected_incidents: float = DEFAULT_INCIDENTS
    max_variants: int | None = None
    response_floor: float | None = None
    response_min_crowd: float = 0.0
    visibility_floor: float | None = None
    travel_model: str = "straight-line"

    def __post_init__(self) -> None:
        if self.mode not in ("routes", "free"):
            raise InputError(f"--mode {self.mode!r}: expected 'routes' or 'free'")
        if self.days is not None and self.days < 1:
            raise InputError(f"--days {self.days}: expected a whole number of days >= 1")
        if not (math.isfinite(self.expected_incidents) and self.expected_incidents >= 0):
            raise InputError(f"--incidents {self.expected_incidents}: expected a number >= 0")
        routes_only = (
            self.max_variants is not None
            or self.response_floor is not None
            or self.visibility_floor is not None
        )
        if self.mode == "free" and routes_only:
            raise InputError(
                "--max-variants, --response-floor and --visibility-floor need --mode routes "
                "(they constrain walkable routes)"
            )
        if self.response_floor is not None and not 0 < self.response_floor < 1:
            raise InputError(
                f"--response-floor {self.response_floor}: expected a probability strictly "
                "between 0 and 1"
            )

    def to_json(self) -> dict[str, Any]:
        """The options as stored with every row (``options`` column) and in ``sweep.json``."""
        return {
            "days": self.days,
            "mode": self.mode,
            "expected_incidents": self.expected_incidents,
            "max_variants": self.max_variants,
            "response_floor": self.response_floor,
            "response_min_crowd": self.response_min_crowd,
            "visibility_floor": self.visibility_floor,
            "travel_model": self.travel_model,
        }

    def plan_options(self) -> PlanOptions:
        """The planning pipeline's options for every grid point: these, one core per task
        (the cluster is the parallelism), no what-ifs (the sweep reads only the coverage
        and the harms), and a fixed seed for the plan's own roster draw, which is discarded
        (each seed of the sweep draws its own)."""
        from crowdguard.patrols.season_routes import DayOptions

        return PlanOptions(
            seed=0,
            days=self.days,
            mode=self.mode,
            workers=1,
            routes=DayOptions(
                max_variants=self.max_variants,
                response_floor=self.response_floor,
                response_min_crowd=self.response_min_crowd,
                visibility_floor=self.visibility_floor,
                price_limits=False,  # the limits bind; their price is the plan's what-if
            ),
            what_ifs=False,
        )


@dataclass(frozen=True)
class SweepContext:
    """What every task needs, built once and shipped to each worker once (scattered).

    ``crowd`` is the expected crowd per venue and hour from ``start`` (the simulator's input,
    the same for every deployment and threat level).
    """

    scenario: Scenario
    options: SweepOptions
    days: tuple[dt.date, ...]
    travel: TravelTimes
    venues: tuple[str, ...]
    crowd: FloatArray
    start: dt.datetime
    scenario_digest: str
    incidents: float
    """Armed calls expected over the planned days (``expected_incidents``, prorated)."""
    code_version: str = __version__
    road_travel: bool = False
    security_plans: Mapping[str, SecurityPlan] = field(default_factory=dict)
    """The venues' linked security plans, read once by the shell (the planner's input)."""

    def options_json(self) -> str:
        """The ``options`` column: options, response target and code version, as JSON."""
        return json.dumps(
            {
                **self.options.to_json(),
                "response_target_minutes": self.scenario.patrol.response_target_minutes,
            },
            sort_keys=True,
        )


def build_context(
    scenario: Scenario,
    options: SweepOptions,
    *,
    travel: TravelTimes | None = None,
    code_version: str = __version__,
    security_plans: Mapping[str, SecurityPlan] | None = None,
) -> SweepContext:
    """Check the options against the scenario and precompute the shared inputs.

    ``travel``: minutes between the scenario's venues and bases (a force's road graph,
    :func:`crowdguard.patrols.travel.road_graph_travel`); default the straight-line model.
    ``security_plans``: the venues' linked plans as the loader read them
    (:func:`crowdguard.scenario.load.load_scenario_and_plans`); ``None`` reads them here, once.
    """
    if security_plans is None:
        from crowdguard.scenario.load import security_plan_documents

        security_plans = security_plan_documents(scenario)
    from crowdguard.simulation.compare import crowd_by_hour

    horizon = scenario.days[: options.days] if options.days else scenario.days
    if travel is not None:
        missing = sorted({p.id for p in places_of(scenario)} - set(travel.ids))
        if missing:
            raise InputError(
                f"travel times: no times for {', '.join(missing)}; build them over the "
                "scenario's venues and bases"
            )
    targets = build_targets(scenario, days=horizon)
    if len(targets) == 0:
        raise InputError(
            f"no venue is open on any day of {horizon[0].isoformat()}..{horizon[-1].isoformat()}; "
            "check opening hours or --days"
        )
    zone = ZoneInfo(scenario.timezone)
    start = dt.datetime.combine(horizon[0], dt.time(0, 0), tzinfo=zone)
    venues = tuple(v.id for v in scenario.venues)
    crowd, _ = crowd_by_hour(targets, venues, start)
    return SweepContext(
        scenario=scenario,
        options=options,
        days=tuple(horizon),
        travel=travel or straight_line_travel(places_of(scenario)),
        venues=venues,
        crowd=crowd,
        start=start,
        scenario_digest=scenario_digest(scenario),
        incidents=options.expected_incidents * len(horizon) / len(scenario.days),
        code_version=code_version,
        road_travel=travel is not None,
        security_plans=dict(security_plans),
    )


@dataclass(frozen=True)
class PointPlan:
    """What the seeds of one grid point need from its solved plan (no rosters in it).

    ``strike`` holds, per planned day, the target the daily best-informed attacker strikes
    (ties for us); ``day_plans`` the solved days in routes mode (rosters are drawn from
    them), empty in free mode (drawn from ``coverage`` per slot).
    """

    point: GridPoint
    scenario: Scenario
    targets: Targets
    coverage: FloatArray
    slot_teams: list[list[str]]
    days: list[dt.date]
    mode: Literal["routes", "free"]
    team_hours: float
    harm_stated: float
    harm_worst_tie: float
    harm_daily: float
    attacker_utility: float
    solver: str
    strike: npt.NDArray[np.int64]
    day_plans: Mapping[str, Any] = field(default_factory=dict)


def _daily_strikes(targets: Targets, coverage: FloatArray, timezone: str) -> npt.NDArray[np.int64]:
    """Per day, the best target for an attacker who knows the coverage (ties for us)."""
    from crowdguard.simulation.attacker import TIE_TOL, day_index

    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    defender = coverage * targets.defender_covered + (1 - coverage) * targets.defender_uncovered
    days = day_index(targets, timezone)
    chosen = []
    for d in np.unique(days):
        members = np.flatnonzero(days == d)
        best = float(attacker[members].max())
        attack_set = members[attacker[members] >= best - TIE_TOL]
        chosen.append(int(attack_set[np.argmax(defender[attack_set])]))
    return np.asarray(chosen, dtype=np.int64)


def solve_point(context: SweepContext, point: GridPoint) -> PointPlan:
    """Solve ``point`` (the planner adapter: the one place the sweep calls the planner)."""
    from crowdguard.pipeline import PlanInputs, make_plan
    from crowdguard.simulation.attacker import daily_informed_harm

    scenario = vary(context.scenario, point)
    options = context.options
    inputs = PlanInputs(
        scenario,
        context.security_plans,
        travel=context.travel if context.road_travel else None,
        travel_model=options.travel_model,
    )
    plan = make_plan(inputs, options.plan_options())
    worst = plan.worst_tie_defender_utility()
    coverage = np.asarray(plan.coverage, dtype=np.float64)
    return PointPlan(
        point=point,
        scenario=scenario,
        targets=plan.targets,
        coverage=coverage,
        slot_teams=[list(t) for t in plan.slot_teams],
        days=list(plan.days),
        mode=plan.mode,
        team_hours=team_hours(scenario, plan.days),
        harm_stated=-float(plan.defender_utility),
        harm_worst_tie=-worst,
        harm_daily=daily_informed_harm(plan.targets, coverage, timezone=scenario.timezone),
        attacker_utility=float(plan.attacker_utility),
        solver=plan.solver,
        strike=_daily_strikes(plan.targets, coverage, scenario.timezone),
        day_plans=dict(plan.day_plans),
    )


def _draw(plan: PointPlan, rng: random.Random) -> dict[str, DayRoster]:
    """One season of rosters for the point (never written: analytic what-ifs)."""
    from crowdguard.patrols.planner import draw_rosters

    if plan.mode == "free":
        return draw_rosters(
            plan.scenario, plan.targets, plan.coverage, plan.slot_teams, rng=rng, days=plan.days
        )
    return {
        day.isoformat(): plan.day_plans[day.isoformat()].draw(rng)
        if day.isoformat() in plan.day_plans
        else DayRoster.of(day, ())
        for day in plan.days
    }


def _num(x: float) -> float:
    return float(x) if math.isfinite(x) else math.nan


def simulate_seed(context: SweepContext, plan: PointPlan, seed: int) -> dict[str, Any]:
    """One tidy row: the point's plan, this seed's rosters and season (module docstring)."""
    from crowdguard.dispatch.recommend import matrix_travel
    from crowdguard.simulation.attacker import realised_cover
    from crowdguard.simulation.season import simulate_season

    rosters = _draw(plan, random.Random(f"crowdguard-sweep:{seed}"))
    covered = realised_cover(plan.targets, rosters)
    struck = plan.strike
    harm = np.where(
        covered[struck],
        -plan.targets.defender_covered[struck],
        -plan.targets.defender_uncovered[struck],
    )
    travel = context.travel
    points = [(la, lo) for la, lo in zip(travel.lat, travel.lon, strict=True)]
    places = {pid: (la, lo) for pid, la, lo in zip(travel.ids, travel.lat, travel.lon, strict=True)}
    season = None
    if any(doc.teams for doc in rosters.values()):
        season = simulate_season(
            rosters,
            places=places,
            venues=list(context.venues),
            crowd=context.crowd,
            start=context.start,
            expected_incidents=context.incidents,
            travel_minutes=matrix_travel(points, travel.minutes.tolist()),
            seed=seed,
            response_target_minutes=context.scenario.patrol.response_target_minutes,
        ).overall
    point = plan.point
    return {
        "scenario": context.scenario.id,
        "scenario_digest": context.scenario_digest,
        "code_version": context.code_version,
        "mode": context.options.mode,
        "days": len(plan.days),
        "options": context.options_json(),
        "threat": point.threat.value,
        "teams": point.teams,
        "team_hours": plan.team_hours,
        "seed": seed,
        "harm_stated": plan.harm_stated,
        "harm_worst_tie": plan.harm_worst_tie,
        "harm_daily": plan.harm_daily,
        "harm_realised": float(harm.mean()),
        "attacker_utility": plan.attacker_utility,
        "solver": plan.solver,
        "incidents": 0 if season is None else season.incidents,
        "served": 0 if season is None else season.served,
        "unserved": 0 if season is None else season.unserved,
        "share_within_target": math.nan if season is None else _num(season.share_within_target),
        "median_minutes": math.nan if season is None else _num(season.median_minutes),
        "p90_minutes": math.nan if season is None else _num(season.p90_minutes),
        "patrol_minutes_rostered": 0.0 if season is None else season.patrol_minutes_rostered,
        "patrol_minutes_lost": 0.0 if season is None else season.patrol_minutes_lost,
        "share_patrol_lost": math.nan if season is None else _num(season.share_patrol_lost),
    }
