"""Compare patrol plans on equal resources: harm against two attackers, response times.

For each plan of :mod:`crowdguard.simulation.baselines` (the Stackelberg ``optimal`` plan,
``uniform``, ``footfall`` and a fixed weekly ``rota``), over the same targets and the same
teams on duty in every slot:

The ``optimal`` plan is, by default, the **routes** plan a planner gets from ``crowdguard
plan`` (``mode="routes"``: teams drive between venues within their shifts, rosters drawn
from its routes); ``mode="free"`` compares the free placement of each slot's teams instead,
the bound no drivable plan can beat. The baselines place teams freely, slot by slot.

1. **Best-responding attacker** (:func:`crowdguard.simulation.attacker.best_response`): the
   expected harm when the attacker knows the coverage and picks the season's best target,
   ties broken for the defender. In free mode the optimal plan's figure is the least by
   construction (Conitzer & Sandholm, EC 2006; the planner's certificate checks it); the
   routes plan pays for being drivable, and a baseline that ignores travel may concede
   less on paper.
2. **Observer** (:func:`crowdguard.simulation.attacker.observe_and_strike`): rosters are drawn
   ``replicates`` times (one seed each); in every draw each observer watches ``window`` days
   and strikes every day after. The plan's figure is the strongest observer's mean daily
   harm with a 95% t interval over the replicates. ``learnt`` is what watching taught it
   beyond the published coverage: its realised harm minus the harm the coverage predicts at
   the targets it chose (zero in expectation when days are drawn independently).
3. **Season simulation** (:func:`crowdguard.simulation.season.simulate_season`): the first
   replicate's rosters meet the *same* incidents (one draw, common random numbers; Law,
   *Simulation Modeling and Analysis*, 5th ed., section 11.2), so response-time differences
   come from where the teams were, not from luck.

Each harm is also given relative to the optimal plan's (``ratio``: 1.0 for the optimal,
2.0 = twice the harm).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from crowdguard.dispatch.recommend import LatLon, matrix_travel
from crowdguard.errors import InputError
from crowdguard.patrols.roster import DayRoster
from crowdguard.patrols.travel import places_of, scenario_travel
from crowdguard.risk.payoffs import Targets, build_targets
from crowdguard.scenario.schema import Scenario
from crowdguard.simulation.attacker import (
    OBSERVERS,
    BestResponse,
    Interval,
    best_response,
    daily_informed_harm,
    mean_interval,
    observe_and_strike,
    realised_cover,
)
from crowdguard.simulation.baselines import PLAN_NAMES, PlanCoverage, build_plan, plan_rosters
from crowdguard.simulation.incidents import IncidentDraw, draw_incidents
from crowdguard.simulation.season import VenueSummary, simulate_season

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "Comparison",
    "PlanResult",
    "compare_plans",
    "crowd_by_hour",
    "incidents_in_horizon",
    "parse_plans",
]

FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float, str], None]
DEFAULT_INCIDENTS = 200.0
DEFAULT_REPLICATES = 8


@dataclass(frozen=True)
class PlanResult:
    """One plan's row of the comparison."""

    plan: str
    best_response: BestResponse
    best_response_ratio: float
    observer: Interval
    observer_name: str
    observer_ratio: float
    observers: dict[str, Interval]
    learnt: Interval
    unopposed: Interval
    unopposed_by_coverage: float
    worst_case_daily_harm: float
    season: VenueSummary
    response_minutes: FloatArray = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``comparison.json``."""
        s = self.season

        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)

        return {
            "plan": self.plan,
            "best_response": {
                "harm": round(self.best_response.harm, 4),
                "target": self.best_response.target_id,
                "attacker_utility": round(self.best_response.attacker_utility, 4),
                "ratio_to_optimal": num(self.best_response_ratio),
            },
            "observer": {
                "strongest": self.observer_name,
                "harm": self.observer.to_json(),
                "ratio_to_optimal": num(self.observer_ratio),
                "learnt_beyond_coverage": self.learnt.to_json(),
                "unopposed_share": self.unopposed.to_json(),
                "unopposed_share_by_coverage": round(self.unopposed_by_coverage, 4),
                "by_observer": {k: v.to_json() for k, v in self.observers.items()},
                "worst_case_daily_harm": round(self.worst_case_daily_harm, 4),
            },
            "season": {
                "incidents": s.incidents,
                "served": s.served,
                "unserved": s.unserved,
                "median_minutes": num(s.median_minutes),
                "p90_minutes": num(s.p90_minutes),
                "share_within_target": num(s.share_within_target),
                "patrol_minutes_rostered": round(s.patrol_minutes_rostered, 1),
                "patrol_minutes_lost": round(s.patrol_minutes_lost, 1),
                "share_patrol_lost": num(s.share_patrol_lost),
            },
        }


@dataclass(frozen=True)
class Comparison:
    """Plans compared on one scenario (rows in the order asked for)."""

    scenario_id: str
    scenario_name: str
    days: list[dt.date]
    window: int
    seed: int
    seeded: bool
    replicates: int
    expected_incidents: float
    response_target_minutes: float
    targets: int
    rows: list[PlanResult]
    seconds: float
    mode: str = "routes"  # the optimal plan's: "routes" (what `crowdguard plan` gives) or "free"
    compared_incidents: float | None = None
    """Expected calls in the compared days: the season's ``expected_incidents`` in proportion
    to the crowd those days hold (:func:`incidents_in_horizon`; None: the whole season)."""

    @property
    def horizon_incidents(self) -> float:
        """Expected calls over the compared days (the season's when every day is compared)."""
        return (
            self.expected_incidents if self.compared_incidents is None else self.compared_incidents
        )

    def row(self, plan: str) -> PlanResult:
        """The row of ``plan``; :class:`InputError` if it was not compared."""
        for r in self.rows:
            if r.plan == plan:
                return r
        raise InputError(f"plan {plan!r} was not compared; compared: {self.plan_names}")

    @property
    def plan_names(self) -> str:
        """The compared plans, comma-separated."""
        return ",".join(r.plan for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """The ``comparison.json`` document."""
        return {
            "scenario": self.scenario_id,
            "scenario_name": self.scenario_name,
            "period": {"start": self.days[0].isoformat(), "end": self.days[-1].isoformat()},
            "days": len(self.days),
            "targets": self.targets,
            "window_days": self.window,
            "seed": self.seed,
            "seed_source": "user" if self.seeded else "secrets",
            "replicates": self.replicates,
            "expected_incidents": self.expected_incidents,
            "expected_incidents_compared": round(self.horizon_incidents, 4),
            "response_target_minutes": self.response_target_minutes,
            "optimal_mode": "routes" if self.mode == "routes" else "free-placement",
            "harm_unit": "expected people harmed x threat likelihood (minus defender utility)",
            "seconds": round(self.seconds, 3),
            "plans": [r.to_json() for r in self.rows],
        }


def parse_plans(spec: str | Sequence[str]) -> tuple[str, ...]:
    """``"optimal,uniform"`` or a sequence -> validated, de-duplicated plan names."""
    names = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else list(spec)
    names = [n for n in names if n]
    if not names:
        raise InputError(f"--plans: empty; expected some of {','.join(PLAN_NAMES)}")
    for name in names:
        if name not in PLAN_NAMES:
            raise InputError(
                f"--plans: unknown plan {name!r}; expected some of {','.join(PLAN_NAMES)}"
            )
    return tuple(dict.fromkeys(names))


def crowd_by_hour(
    targets: Targets, venues: Sequence[str], start: dt.datetime
) -> tuple[FloatArray, int]:
    """Expected crowd per venue and real hour from ``start`` (the simulator's input).

    A slot's crowd counts in each hour it overlaps, weighted by the share of the hour it
    covers (two half-hour slots average; a two-hour slot fills both hours).
    """
    t0 = start.timestamp()
    last = max(t.timestamp() for t in targets.end)
    hours = max(1, math.ceil((last - t0) / 3600))
    row = {v: k for k, v in enumerate(venues)}
    crowd = np.zeros((len(venues), hours))
    for i in range(len(targets)):
        a = (targets.start[i].timestamp() - t0) / 3600
        b = (targets.end[i].timestamp() - t0) / 3600
        for h in range(max(0, math.floor(a)), min(hours, math.ceil(b))):
            share = min(b, h + 1) - max(a, h)
            if share > 0:
                crowd[row[targets.venue[i]], h] += float(targets.crowd[i]) * share
    return crowd, hours


def _crowd_hours(targets: Targets) -> float:
    """People x hours over the targets (each slot's expected crowd times its length)."""
    hours = np.array(
        [(b - a).total_seconds() / 3600 for a, b in zip(targets.start, targets.end, strict=True)]
    )
    return float(np.dot(np.asarray(targets.crowd, dtype=np.float64), hours))


def incidents_in_horizon(scenario: Scenario, targets: Targets, expected_incidents: float) -> float:
    """The season's ``expected_incidents`` scaled to the days ``targets`` cover.

    ``--incidents`` is the force's expected armed calls over the scenario's whole season;
    calls arrive in proportion to the crowd (:mod:`crowdguard.simulation.incidents`), so
    days compared alone (``--days``) expect their share of the season's crowd-hours. Without
    this, ``--days 3`` crammed the whole season's calls into three days: every team was
    always attending, responses queued for a day and all patrol time was lost.
    """
    season = _crowd_hours(build_targets(scenario))
    if season <= 0:
        return expected_incidents
    return expected_incidents * min(1.0, _crowd_hours(targets) / season)


def _seeds(seed: int | None) -> tuple[int, bool]:
    if seed is None:
        return secrets.randbits(63), False
    if seed < 0:
        raise InputError(f"--seed {seed}: expected a whole number >= 0")
    return seed, True


def compare_plans(
    scenario: Scenario,
    *,
    plans: Sequence[str] = PLAN_NAMES,
    seed: int | None = None,
    window: int = 14,
    days: int | None = None,
    replicates: int = DEFAULT_REPLICATES,
    expected_incidents: float = DEFAULT_INCIDENTS,
    progress: ProgressCallback | None = None,
    mode: Literal["routes", "free"] = "routes",
    security_plans: Mapping[str, SecurityPlan] | None = None,
) -> Comparison:
    """Compare ``plans`` on ``scenario`` (module docstring); ``mode`` is the optimal plan's.

    ``security_plans``: the venues' linked plans as the loader read them (``None``: read
    from the scenario's references when the optimal plan is solved).

    ``seed`` makes every draw reproducible (rosters, incidents); without it one seed is
    drawn from ``secrets`` and recorded in the result so the run can be repeated.
    ``days`` keeps the first K days; ``replicates`` is the number of roster draws the
    observer watches; ``expected_incidents`` the season's expected armed calls.
    """
    began = time.perf_counter()
    names = parse_plans(plans)
    if window < 1:
        raise InputError(f"--window {window}: expected a whole number of days >= 1")
    if replicates < 1:
        raise InputError(f"replicates: expected at least 1, got {replicates}")
    if not (math.isfinite(expected_incidents) and expected_incidents >= 0):
        raise InputError(f"--incidents {expected_incidents}: expected a number >= 0")
    if days is not None and days <= window:
        raise InputError(
            f"--days {days}: the observer needs more days than --window {window}; "
            f"give --days of at least {window + 1} or a smaller --window"
        )
    base_seed, seeded = _seeds(seed)

    def tick(fraction: float, label: str) -> None:
        if progress is not None:
            progress(fraction, label)

    solving = 0.4  # of the bar: the optimal plan's solve, day by day; then each plan's runs

    def solved(fraction: float, label: str) -> None:
        tick(solving * fraction, f"solving the optimal plan: {label}")

    solved(0.0, "risk model")
    if mode not in ("routes", "free"):
        raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
    optimal = build_plan(
        "optimal",
        scenario,
        days=days,
        progress=solved,
        mode=mode,
        security_plans=security_plans,
    )
    targets = optimal.targets
    n_days = (max(optimal.days) - min(optimal.days)).days + 1
    if n_days <= window:
        raise InputError(
            f"--window {window}: the horizon has only {n_days} days; need more days than the "
            "window (lower --window or raise --days)"
        )
    built: dict[str, PlanCoverage] = {"optimal": optimal}
    for name in names:
        if name not in built:
            built[name] = build_plan(name, scenario, days=optimal.days, targets=targets)

    zone = ZoneInfo(scenario.timezone)
    first_day = min(optimal.days)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=zone)
    places = {p.id: (p.lat, p.lon) for p in places_of(scenario)}
    travel = scenario_travel(scenario)
    points: list[LatLon] = [(la, lo) for la, lo in zip(travel.lat, travel.lon, strict=True)]
    travel_minutes = matrix_travel(points, travel.minutes.tolist())
    venues = [v.id for v in scenario.venues]
    crowd, _ = crowd_by_hour(targets, venues, start)
    compared = (
        None
        if len(optimal.days) == len(scenario.days)
        else incidents_in_horizon(scenario, targets, expected_incidents)
    )
    horizon_incidents = expected_incidents if compared is None else compared
    incidents: IncidentDraw = draw_incidents(
        crowd, expected_total=horizon_incidents, rng=np.random.default_rng(base_seed)
    )
    target_minutes = scenario.patrol.response_target_minutes

    optimal_harm = best_response(targets, optimal.coverage).harm
    raw: dict[str, dict[str, Any]] = {}
    steps = len(names)
    for k, name in enumerate(names):
        plan = built[name]
        tick(solving + (1 - solving) * k / steps, f"{name}: rosters and observers")
        per_observer, per_learnt, per_unopposed, first_rosters = _observe(
            plan, targets, base_seed, replicates, window, scenario.timezone
        )
        tick(solving + (1 - solving) * (k + 0.5) / steps, f"{name}: season simulation")
        season = simulate_season(
            first_rosters,
            places=places,
            venues=venues,
            crowd=crowd,
            start=start,
            expected_incidents=horizon_incidents,
            travel_minutes=travel_minutes,
            seed=base_seed,
            response_target_minutes=target_minutes,
            incidents=incidents,
        )
        intervals = {o: mean_interval(v) for o, v in per_observer.items()}
        strongest = max(intervals, key=lambda o: intervals[o].mean)
        raw[name] = {
            "best": best_response(targets, plan.coverage),
            "observers": intervals,
            "strongest": strongest,
            "learnt": mean_interval(per_learnt[strongest]),
            "unopposed": mean_interval([u for u, _ in per_unopposed[strongest]]),
            "unopposed_by_coverage": float(np.mean([e for _, e in per_unopposed[strongest]])),
            "worst_daily": daily_informed_harm(
                targets,
                plan.coverage,
                from_day=window,
                timezone=scenario.timezone,
                ties="attacker",
            ),
            "season": season,
        }
    reference_observer = (
        raw["optimal"]["observers"][raw["optimal"]["strongest"]].mean if "optimal" in raw else None
    )
    if reference_observer is None:
        observed, _, _, _ = _observe(
            optimal, targets, base_seed, replicates, window, scenario.timezone
        )
        reference_observer = max(float(np.mean(v)) for v in observed.values())

    def ratio(value: float, reference: float) -> float:
        return value / reference if reference > 0 else math.nan

    rows = []
    for name in names:
        item = raw[name]
        best: BestResponse = item["best"]
        strongest = item["strongest"]
        observer: Interval = item["observers"][strongest]
        rows.append(
            PlanResult(
                plan=name,
                best_response=best,
                best_response_ratio=ratio(best.harm, optimal_harm),
                observer=observer,
                observer_name=strongest,
                observer_ratio=ratio(observer.mean, reference_observer),
                observers=item["observers"],
                learnt=item["learnt"],
                unopposed=item["unopposed"],
                unopposed_by_coverage=item["unopposed_by_coverage"],
                worst_case_daily_harm=item["worst_daily"],
                season=item["season"].overall,
                response_minutes=item["season"].response_minutes,
            )
        )
    tick(1.0, "done")
    return Comparison(
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        days=list(optimal.days),
        window=window,
        seed=base_seed,
        seeded=seeded,
        replicates=replicates,
        expected_incidents=expected_incidents,
        response_target_minutes=target_minutes,
        targets=len(targets),
        rows=rows,
        seconds=time.perf_counter() - began,
        mode=mode,
        compared_incidents=compared,
    )


def _observe(
    plan: PlanCoverage,
    targets: Targets,
    base_seed: int,
    replicates: int,
    window: int,
    timezone: str,
) -> tuple[
    dict[str, list[float]],
    dict[str, list[float]],
    dict[str, list[tuple[float, float]]],
    dict[str, DayRoster],
]:
    """Every observer against ``replicates`` roster draws of ``plan``.

    Returns, per observer and replicate: the mean daily harm; the same minus the harm the
    coverage predicts at the chosen targets; the share of strikes no team met and the share
    the coverage predicts. Also the first replicate's rosters.
    """
    per_observer: dict[str, list[float]] = {o.name: [] for o in OBSERVERS}
    per_learnt: dict[str, list[float]] = {o.name: [] for o in OBSERVERS}
    per_unopposed: dict[str, list[tuple[float, float]]] = {o.name: [] for o in OBSERVERS}
    expected = -(
        plan.coverage * targets.defender_covered + (1 - plan.coverage) * targets.defender_uncovered
    )
    first: dict[str, DayRoster] = {}
    for r in range(replicates):
        rosters = plan_rosters(plan, rng=random.Random(f"crowdguard-simulate:{base_seed}:{r}"))
        if r == 0:
            first = rosters
        covered = realised_cover(targets, rosters)
        for observer in OBSERVERS:
            run = observe_and_strike(
                targets, covered, observer=observer, window=window, timezone=timezone
            )
            per_observer[observer.name].append(run.mean_harm)
            per_learnt[observer.name].append(run.mean_harm - float(expected[run.targets].mean()))
            per_unopposed[observer.name].append(
                (run.unopposed_share, float(np.mean(1 - plan.coverage[run.targets])))
            )
    return per_observer, per_learnt, per_unopposed, first
