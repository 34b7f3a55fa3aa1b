"""A season on the patrol graph: every day solved by :func:`~crowdguard.patrols.dayplan.plan_day`.

Teams start and end each shift at their base, so the days are independent games (a shift
crossing midnight belongs, with the early hours it patrols, to the date it starts on:
:meth:`~crowdguard.scenario.schema.Scenario.plan_window`); they are solved in parallel worker processes (the standard library's
``concurrent.futures``: each day is a separate HiGHS model, so processes rather than threads
use both cores). Each day's answer is certified by ``plan_day``; :func:`certify_days` adds the
season's best response: the attacker picks the single target of the whole season with the
highest utility, ties broken for the defender (the Strong Stackelberg convention).

Unlike free placement (:mod:`crowdguard.patrols.planner`), the season value here is the
per-day optimum taken at the binding day. When several days reach the same attacker utility
the season's attacker is indifferent between them; :func:`certify_days` reports the worst
such tie (``worst_tie_defender_utility``) and, with the robust tie rule,
:func:`break_season_ties` re-solves the other binding days below that level.

Planner's options (:class:`DayOptions`) reach every day's ``plan_day``: supervisors' pins and
forbids (each on its own date), a cap on route variants, a response-time floor and a
visibility floor. Overrides and the variant cap are reported with their price, as ARMOR
warned its users (Pita et al., AAMAS 2008): the day is also solved without the overrides, in
the same worker call, and the defender utility and the team's route entropy (bits; 0 = fully
predictable) before and after are kept in :attr:`DayResult.override_costs`.

**Warm starts.** The season's first day is solved first, in this process, and the optimal
bases of its minimax LPs (:mod:`crowdguard.games.flow_pruned`) are handed to every other
day: on a county whose days share one patrol graph, each later day's minimax LP then takes
tens of simplex iterations instead of a cold interior-point solve (the day's other LPs
already start from that basis). Every day starts from that same reference whichever
process solves it, so the plan is the same for any number of workers. A day's plan is
then an optimal equilibrium of its own game, certified, with the same value as
:func:`~crowdguard.patrols.dayplan.plan_day` alone would find; where the game has several
optimal equilibria (common on such counties), not necessarily the same one.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from crowdguard.errors import CertificateFailed, PlanError
from crowdguard.games.flow import TIE_DELTA, FlowPayoffs, TieRule, payoff_scale
from crowdguard.games.flow_pruned import WarmStarts, warm_starts
from crowdguard.patrols.dayplan import DayPlan, plan_day
from crowdguard.patrols.decompose import route_entropy
from crowdguard.patrols.joint import JointOption
from crowdguard.patrols.overrides import Override
from crowdguard.patrols.roster import DayRoster, Segment
from crowdguard.patrols.sample import draw_roster
from crowdguard.patrols.travel import TravelTimes, scenario_travel
from crowdguard.risk.payoffs import Targets, build_targets
from crowdguard.scenario.schema import Scenario
from crowdguard.workers import worker_pool

__all__ = [
    "DatedOverride",
    "DayOptions",
    "DayResult",
    "break_season_ties",
    "certify_days",
    "limits_report",
    "season_tie_holds",
    "solve_days",
]

TOL = 1e-6


@dataclass(frozen=True)
class DatedOverride:
    """A supervisor's pin or forbid on one date: ``team`` at ``place`` in the slot holding ``at``.

    ``at`` is a local (Europe/London) wall-clock time, naive; the ARMOR "add/suppress"
    control (Pita et al., AAMAS 2008) of :class:`~crowdguard.patrols.overrides.Override`.
    """

    team: str
    place: str
    at: dt.datetime
    action: Literal["pin", "forbid"] = "pin"

    @property
    def day(self) -> dt.date:
        """The date the override applies to (it concerns no other day)."""
        return self.at.date()

    def override(self) -> Override:
        """The day-level override ``plan_day`` takes."""
        return Override(self.team, self.place, self.at.time(), self.action)

    def describe(self) -> str:
        """``pin alpha-1 at market 2026-12-05 14:00``."""
        return f"{self.action} {self.team} at {self.place} {self.at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class DayOptions:
    """The planner's options of :func:`~crowdguard.patrols.dayplan.plan_day`, for the season.

    ``overrides`` may cover many dates; each day receives only its own.
    """

    overrides: tuple[DatedOverride, ...] = ()
    max_variants: int | None = None
    response_floor: float | None = None
    response_min_crowd: float = 0.0
    visibility_floor: float | None = None
    tie: TieRule = "robust"
    """How the attacker's ties are treated (:func:`crowdguard.games.flow.solve_flow_game`)."""
    tie_margin: float = 0.01
    """Share of the stated harm the worst tie may cost before robustness is paid for."""
    price_limits: bool = True
    """Also solve each day with the scenario's operational limits lifted, to report what
    they cost (``certificate.operational_limits``); doubles the solve of a limited day.
    Callers that read only the coverage and the harms (the sweep, the simulator, an
    override's price) turn it off."""

    def any(self) -> bool:
        """Whether any option departs from the default plan."""
        return bool(
            self.overrides
            or self.max_variants is not None
            or self.response_floor is not None
            or self.visibility_floor is not None
        )

    def for_day(self, day: dt.date) -> list[Override]:
        """The overrides that concern ``day``."""
        return [o.override() for o in self.overrides if o.day == day]


@dataclass(frozen=True)
class DayResult:
    """What the season keeps of a solved day (small enough to pass between processes)."""

    date: str
    target_ids: tuple[str, ...]
    coverage: np.ndarray
    response_probability: np.ndarray
    defender_utility: float
    attacker_utility: float
    attacked_target: str
    certificate: dict[str, Any]
    routes: dict[str, list[tuple[float, tuple[Segment, ...]]]]
    team_bases: dict[str, str]
    expected_visibility: float
    method: str
    seconds: float
    worst_tie_defender_utility: float
    override_costs: tuple[dict[str, Any], ...] = field(default=())
    """Per override of the day: ``team, venue, at, kind, utility_cost, entropy_before,
    entropy_after, presence_before, presence_after`` (the day re-solved without overrides)."""
    variants_cost: float | None = None
    """Defender utility the ``max_variants`` cap costs this day (``None``: no cap)."""
    joint: tuple[JointOption, ...] = field(default=(), repr=False)
    """Whole-force schedules the day's roster is drawn from (:mod:`crowdguard.patrols.joint`)."""
    limits: dict[str, float] = field(default_factory=dict)
    """The scenario's operational limits in force (``patrol.limits()``; empty: none)."""
    unlimited_coverage: np.ndarray | None = field(default=None, repr=False)
    """The day's equilibrium coverage without the limits (their price; None: no limits)."""

    def draw(self, rng: random.Random) -> DayRoster:
        """One roster for this day (``secrets.SystemRandom()`` operationally)."""
        return draw_roster(self, rng)


def _team_entropy(plan: DayPlan, team: str) -> float:
    """Bits of the team's route lottery over the day (its shifts drawn independently)."""
    return sum(route_entropy(lottery) for lottery in plan.team_route_lotteries(team))


def _override_costs(
    with_overrides: DayPlan, without: DayPlan, overrides: Sequence[Override], day: dt.date
) -> tuple[dict[str, Any], ...]:
    """What the day's overrides cost: utility lost (shared by the day's overrides, solved
    together) and each team's predictability before and after."""
    utility_cost = without.defender_utility - with_overrides.defender_utility
    return tuple(
        {
            "team": o.team,
            "venue": o.place,
            "at": dt.datetime.combine(day, o.at).isoformat(timespec="minutes"),
            "kind": o.action,
            "utility_cost": utility_cost,
            "entropy_before": _team_entropy(without, o.team),
            "entropy_after": _team_entropy(with_overrides, o.team),
            "presence_before": float(without.presence(o.team, o.place, o.at)),
            "presence_after": float(with_overrides.presence(o.team, o.place, o.at)),
        }
        for o in overrides
    )


def _solve_day(
    scenario: Scenario,
    day: dt.date,
    plan_gaps: Mapping[str, Mapping[str, float]] | None,
    options: DayOptions | None = None,
    travel: TravelTimes | None = None,
    attacker_cap: float | None = None,
    warm: WarmStarts | None = None,
) -> DayResult | None:
    if warm is not None:
        with warm_starts(warm):
            return _solve_day(scenario, day, plan_gaps, options, travel, attacker_cap)
    targets = build_targets(scenario, days=[day], plan_gaps=plan_gaps)
    if len(targets) == 0:
        return None
    travel = travel or scenario_travel(scenario)
    options = options or DayOptions()
    overrides = options.for_day(day)
    common: dict[str, Any] = {
        "max_variants": options.max_variants,
        "response_floor": options.response_floor,
        "response_min_crowd": options.response_min_crowd,
        "visibility_floor": options.visibility_floor,
        "tie": options.tie,
        "tie_margin": options.tie_margin,
    }
    try:
        solved = plan_day(
            scenario,
            day,
            targets,
            travel,
            overrides=overrides,
            attacker_cap=attacker_cap,
            **common,
        )
        limits = scenario.patrol.limits()
        unlimited = None
        if limits and options.price_limits:  # their price: the day without them (issue 11 s.2)
            unlimited = plan_day(
                scenario.without_limits(),
                day,
                targets,
                travel,
                overrides=overrides,
                attacker_cap=attacker_cap,
                joint_rosters=False,
                **common,
            ).coverage
        costs: tuple[dict[str, Any], ...] = ()
        if overrides:
            teams = sorted({o.team for o in overrides})
            without = plan_day(
                scenario, day, targets, travel, separate=teams, joint_rosters=False, **common
            )
            costs = _override_costs(solved, without, overrides, day)
    except PlanError as exc:
        raise PlanError(f"{day.isoformat()}: {exc}") from None
    return DayResult(
        date=solved.date,
        target_ids=solved.target_ids,
        coverage=np.asarray(solved.coverage, dtype=float),
        response_probability=np.asarray(solved.response_probability, dtype=float),
        defender_utility=solved.defender_utility,
        attacker_utility=solved.attacker_utility,
        attacked_target=solved.attacked_target,
        certificate=solved.certificate,
        routes=solved.routes,
        team_bases=solved.team_bases,
        expected_visibility=solved.expected_visibility,
        method=solved.method,
        seconds=solved.seconds,
        worst_tie_defender_utility=solved.worst_tie_defender_utility,
        override_costs=costs,
        variants_cost=solved.variants_cost,
        joint=solved.joint,
        limits=limits,
        unlimited_coverage=None if unlimited is None else np.asarray(unlimited, dtype=float),
    )


def limits_report(
    targets: Targets, coverage: np.ndarray, days: Mapping[str, DayResult], *, tol: float = TOL
) -> dict[str, Any] | None:
    """What the operational limits cost the season: the expected harm against a
    best-informed attacker with them (the plan) and without them (each day's equilibrium
    with the limits lifted), like the price reported for overrides and floors. ``None``
    without limits."""
    priced = [d for d in days.values() if d.limits and d.unlimited_coverage is not None]
    if not priced or len(priced) != len(days):
        return None
    position = {target_id: i for i, target_id in enumerate(targets.ids)}
    free = np.array(coverage, dtype=float)
    for day in priced:
        assert day.unlimited_coverage is not None
        free[np.array([position[t] for t in day.target_ids], dtype=int)] = day.unlimited_coverage

    def harm(cover: np.ndarray) -> float:
        attacker = cover * targets.attacker_covered + (1 - cover) * targets.attacker_uncovered
        defender = cover * targets.defender_covered + (1 - cover) * targets.defender_uncovered
        attack_set = np.flatnonzero(attacker >= float(attacker.max()) - tol)
        return -float(defender[attack_set].max())

    with_limits, without = harm(coverage), harm(free)
    return {
        "limits": priced[0].limits,
        "harm_with_limits": with_limits,
        "harm_without_limits": without,
        # >= 0 in theory (the limits only remove plans); clipped at the solver's round-off
        "cost": max(0.0, with_limits - without),
    }


def solve_days(
    scenario: Scenario,
    days: Sequence[dt.date],
    plan_gaps: Mapping[str, Mapping[str, float]] | None,
    *,
    workers: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    options: DayOptions | None = None,
    travel: TravelTimes | None = None,
    warm: WarmStarts | None = None,
    attacker_cap: float | None = None,
    keep_infeasible: bool = False,
) -> dict[str, DayResult]:
    """Solve every day with open venues; days with none are left out.

    ``workers``: processes to use (default: the machine's cores, at most the days); 1 solves
    in this process, which tests and debuggers prefer. ``options`` go to every day's
    ``plan_day`` (overrides only to their own date); a day they make infeasible raises
    :class:`PlanError` naming the date, the override or floor, and the fix (the earliest such
    date, whatever the order the workers finish in). ``travel`` replaces the straight-line
    travel model (e.g. a road graph).

    ``warm``: the reference bases (module docstring); when empty, the first day is solved
    first and fills them. ``attacker_cap`` holds every target's attacker utility below it
    (:func:`break_season_ties`); with ``keep_infeasible`` a day that cannot meet it is left
    out of the answer instead of raising.
    """
    warm = warm if warm is not None else WarmStarts()
    results: dict[str, DayResult] = {}
    done = 0
    failed: dict[dt.date, Exception] = {}

    def finished(day: dt.date, result: DayResult | None) -> None:
        nonlocal done
        if result is not None:
            results[result.date] = result
        done += 1
        if progress is not None:
            progress(done / len(days), day.isoformat())

    def solve_here(day: dt.date) -> None:
        try:
            finished(day, _solve_day(scenario, day, plan_gaps, options, travel, attacker_cap, warm))
        except PlanError as exc:
            if not keep_infeasible:
                raise
            failed[day] = exc

    todo = list(days)
    if todo and not warm.bases:
        warm.record = True
        try:
            solve_here(todo.pop(0))  # the reference day
        finally:
            warm.record = False
    count = min(workers or os.cpu_count() or 1, len(todo)) or 1
    if count == 1:
        for day in todo:
            solve_here(day)
        return dict(sorted(results.items()))
    with worker_pool(count) as pool:  # workers die with the server (crowdguard.workers)
        futures = {
            pool.submit(
                _solve_day, scenario, day, plan_gaps, options, travel, attacker_cap, warm
            ): day
            for day in todo
        }
        try:
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                day = futures[future]
                try:
                    result = future.result()
                except Exception as exc:
                    failed[day] = exc
                    if not (keep_infeasible and isinstance(exc, PlanError)):
                        # Fail fast but say the same thing on every run: drop the later
                        # days and report the earliest failing day once the earlier ones
                        # are done.
                        for other, other_day in futures.items():
                            if other_day > min(failed):
                                other.cancel()
                    continue
                finished(day, result)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        errors = {
            day: exc
            for day, exc in failed.items()
            if not (keep_infeasible and isinstance(exc, PlanError))
        }
        if errors:
            raise errors[min(errors)]
    return dict(sorted(results.items()))


def _plan_date(targets: Targets, index: int, days: Mapping[str, DayResult]) -> str:
    """The date of the day plan holding target ``index`` (a night's early hours belong to
    the evening before), else its own date."""
    target_id = targets.ids[index]
    for date, day in days.items():
        if target_id in day.target_ids:
            return date
    return targets.start[index].date().isoformat()


def certify_days(
    targets: Targets, coverage: np.ndarray, days: Mapping[str, DayResult], *, tol: float = TOL
) -> dict[str, Any]:
    """The season's certificate: every day certified, and the season-wide best response.

    Raises :class:`CertificateFailed` when a day's certificate is missing or failed, or when
    the assembled coverage leaves [0, 1].
    """
    failed = [date for date, day in days.items() if not day.certificate.get("passed", False)]
    if failed:
        raise CertificateFailed(f"day certificate failed for {', '.join(failed)}")
    if not (np.all(coverage >= -tol) and np.all(coverage <= 1 + tol)):
        raise CertificateFailed("season coverage leaves [0, 1]")
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    defender = coverage * targets.defender_covered + (1 - coverage) * targets.defender_uncovered
    k = float(attacker.max())
    attack_set = np.flatnonzero(attacker >= k - tol)
    best = int(attack_set[np.argmax(defender[attack_set])])
    worst = int(attack_set[np.argmin(defender[attack_set])])
    binding = sorted({_plan_date(targets, i, days) for i in attack_set.tolist()})
    binding_day = days.get(_plan_date(targets, best, days))
    strong = binding_day.certificate.get("strong_defender_utility") if binding_day else None
    return {
        "coverage_in_range": True,
        "days_certified": len(days),
        "binding_days": binding,
        "attack_set_size": int(attack_set.size),
        "tie_broken_for_defender": True,
        "attacker_utility": k,
        "defender_utility": float(defender[best]),
        "attacked_target": targets.ids[best],
        "worst_tie_defender_utility": float(defender[worst]),
        "worst_tie_target": targets.ids[worst],
        "tie_rule": binding_day.certificate.get("tie_rule", "strong") if binding_day else None,
        "tie_plan": binding_day.certificate.get("tie_plan") if binding_day else None,
        "strong_defender_utility": None if strong is None else float(strong),
        "price_of_robustness": None
        if strong is None
        else max(0.0, float(strong) - float(defender[best])),
        "tolerance": tol,
        "holds": True,
        **(
            {}
            if (limits := limits_report(targets, coverage, days, tol=tol)) is None
            else {"operational_limits": limits}
        ),
    }


def season_tie_holds(certificate: Mapping[str, Any], margin: float) -> bool:
    """Whether the season's worst tie costs at most ``margin`` of its stated harm."""
    stated = float(certificate["defender_utility"])
    worst = float(certificate["worst_tie_defender_utility"])
    return stated - worst <= margin * abs(stated) + float(certificate["tolerance"])


def break_season_ties(
    scenario: Scenario,
    targets: Targets,
    coverage: np.ndarray,
    days: dict[str, DayResult],
    plan_gaps: Mapping[str, Mapping[str, float]] | None,
    options: DayOptions,
    travel: TravelTimes | None = None,
    *,
    workers: int | None = None,
    warm: WarmStarts | None = None,
) -> bool:
    """Make the season's stated harm hold whatever tie the attacker breaks between days.

    Each day is its own game, so two days solved alike (a county whose places keep the same
    hours every day) reach the same attacker utility ``k*``, and the season's attacker is
    indifferent between their targets: the strong value then assumes it picks the gentler
    day. With ``options.tie == "robust"``, when the season's worst tie costs more than the
    margin, every binding day but the one the stated value comes from is re-solved with
    every target held at least ``delta`` below ``k*`` (``attacker_cap``), so the binding
    day's target is the season's unique best response (An et al., AAAI 2011, applied
    across days). A day that cannot be held below ``k*`` keeps its plan; the certificate
    then reports the tie honestly. ``days`` and ``coverage`` are updated in place; returns
    whether anything was re-solved. The days are re-solved in ``workers`` processes, warm
    started from ``warm`` (:func:`solve_days`).
    """
    if options.tie != "robust":
        return False
    certificate = certify_days(targets, coverage, days)
    if season_tie_holds(certificate, options.tie_margin):
        return False
    keep = _plan_date(targets, targets.ids.index(certificate["attacked_target"]), days)
    scale = payoff_scale(
        FlowPayoffs(
            targets.defender_covered,
            targets.defender_uncovered,
            targets.attacker_covered,
            targets.attacker_uncovered,
        )
    )
    cap = float(certificate["attacker_utility"]) - TIE_DELTA * scale
    position = {target_id: i for i, target_id in enumerate(targets.ids)}
    again = [
        dt.date.fromisoformat(date)
        for date in certificate["binding_days"]
        if date != keep and date in days
    ]
    solved = solve_days(
        scenario,
        again,
        plan_gaps,
        workers=workers,
        options=options,
        travel=travel,
        warm=warm,
        attacker_cap=cap,
        keep_infeasible=True,  # a day that cannot be held below k* keeps its plan
    )
    for date, result in solved.items():
        days[date] = result
        index = np.array([position[t] for t in result.target_ids], dtype=int)
        coverage[index] = result.coverage
    changed = bool(solved)
    return changed
