"""The season planner: scenario -> targets -> Stackelberg coverage -> secret daily rosters.

This is the pipeline behind ``crowdguard plan`` and the API's plan jobs. It is pure: it takes
a :class:`~crowdguard.scenario.schema.Scenario` and returns a :class:`PatrolPlan`; writing
files is the CLI's job (:mod:`crowdguard.report.output`).

The season game
---------------
A target is one venue in one time slot (``crowdguard.risk.payoffs.build_targets``). In every
slot the teams on shift can each cover one target of that slot; the attacker picks a single
target of the whole season after watching the coverage. This is a security game with one
resource constraint per slot, and it decomposes:

* Solving each slot's game on its own (ORIGAMI, Kiekintveld et al., AAMAS 2009) gives, in each
  slot ``s``, the least attacker utility ``k_s`` its teams can force and the coverage that
  forces it.
* The season's attacker goes where ``k_s`` is largest, ``k* = max_s k_s``. No coverage can push
  the season's attacker utility below ``k*`` (slot ``s*`` alone cannot do better).
* Among all targets the attacker could be held at ``k*`` on, the defender prefers the one
  where an attack does least harm; the attacker, indifferent, breaks the tie that way (the
  Strong Stackelberg convention). If that target lies in another slot, its coverage is
  lowered to exactly ``k*``'s and the freed share of a team is spread over the rest of its
  slot (:func:`_induce_best_attack`). This is the multiple-LPs optimum of Conitzer &
  Sandholm (EC 2006) over the whole season, found without solving one LP per target; the
  tests check it against those LPs. An attacker who breaks ties the other way meets the
  binding slot's value, which is what the per-slot solution alone would give, so nothing is
  lost.
* In the other slots the teams are on duty anyway, so they use their full strength: the
  per-slot optimum, which is also the right answer to an attacker who is tied to a date.

Security plans feed the risk: venues that link their event's security plan are reviewed
(:func:`crowdguard.risk.plan_gaps.linked_plans`) and the review's vulnerability multipliers
scale their consequence (``plan_gaps`` of :func:`~crowdguard.risk.payoffs.build_targets`), so
patrols shift toward weak plans; :func:`crowdguard.plans.influence.plan_influence` says by how
much.

:func:`certify_season` checks the equilibrium conditions on the assembled season.

Issue 2 places teams freely within each slot (travel and bases come with the patrol graph of
``crowdguard.patrols.dayplan``); rosters are drawn per slot by randomised systematic sampling
(:mod:`crowdguard.patrols.systematic`) so each day reproduces the coverage exactly in
expectation.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from crowdguard import __version__
from crowdguard.errors import CertificateFailed, PlanError, did_you_mean
from crowdguard.games import SecurityGame, solve
from crowdguard.games.flow import TieRule
from crowdguard.games.flow_pruned import WarmStarts
from crowdguard.games.origami import origami_coverage
from crowdguard.patrols.season_routes import (
    DatedOverride,
    DayOptions,
    DayResult,
    break_season_ties,
    certify_days,
    solve_days,
)
from crowdguard.patrols.systematic import systematic_sample
from crowdguard.patrols.travel import TravelTimes, places_of
from crowdguard.risk.payoffs import PlanGaps, Targets, build_targets
from crowdguard.risk.plan_gaps import LinkedPlan, linked_plans
from crowdguard.scenario.schema import Scenario, Team, Weekday

if TYPE_CHECKING:
    from crowdguard.plans.influence import Influence

__all__ = [
    "PatrolPlan",
    "certify_season",
    "draw_rosters",
    "make_plan",
    "make_rng",
    "season_coverage",
    "slot_teams_for",
    "teams_on_duty",
    "visibility_curve",
]

ProgressCallback = Callable[[float, str], None]
TOL = 1e-6


def make_rng(seed: int | None) -> random.Random:
    """The randomness for rosters: ``secrets`` unless the user asked for a seed."""
    if seed is None:
        return secrets.SystemRandom()
    return random.Random(seed)


def _on_shift(team: Team, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``team`` is on shift for the whole slot [start, end) (local times)."""
    day = start.date()
    weekday = Weekday.of(day)
    end_time = dt.time.max if end.date() > day else end.timetz().replace(tzinfo=None)
    start_time = start.timetz().replace(tzinfo=None)
    for shift in team.shifts:
        if (
            weekday in shift.days
            and shift.hours.start <= start_time
            and end_time <= shift.hours.end
        ):
            return True
    return False


def teams_on_duty(scenario: Scenario, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Call signs of the teams on shift for the whole slot [start, end)."""
    return [t.callsign for t in scenario.teams if _on_shift(t, start, end)]


@dataclass
class PatrolPlan:
    """A solved season: coverage per target, the equilibrium, and the drawn rosters."""

    scenario: Scenario
    targets: Targets
    coverage: np.ndarray
    slot_teams: list[list[str]]
    defender_utility: float
    attacker_utility: float
    attacked_target: str
    attack_set: list[str]
    certificate: dict[str, Any]
    solver: str
    seconds: float
    seeded: bool
    days: list[dt.date]
    _rosters: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    plan_gaps: dict[str, dict[str, float]] = field(default_factory=dict)
    """The security-plan multipliers the risk model used, per venue and attack mode."""
    linked_plans: dict[str, LinkedPlan] = field(default_factory=dict, repr=False)
    """The reviews behind ``plan_gaps`` (when they came from the scenario's linked plans)."""
    influences: dict[str, Influence] = field(default_factory=dict, repr=False)
    """Per venue, the plan's effect on coverage (set by ``plans.influence.attach_influence``)."""
    mode: Literal["routes", "free"] = "free"
    """``routes``: walkable routes on the patrol graph; ``free``: teams placed per slot."""
    response: np.ndarray | None = field(default=None, repr=False)
    """Per target, the probability a team is within the response target (routes mode)."""
    day_plans: dict[str, DayResult] = field(default_factory=dict, repr=False)
    """Per date, the solved day on the patrol graph (routes mode)."""
    options: DayOptions = field(default_factory=DayOptions)
    """The planner's options the days were solved with (overrides, floors, variant cap)."""
    visibility_tradeoff: list[dict[str, float]] = field(default_factory=list, repr=False)
    """Defender utility against a visibility floor on one day (:func:`visibility_curve`)."""
    visibility_tradeoff_day: dt.date | None = None
    travel: TravelTimes | None = field(default=None, repr=False)
    """The travel model the routes were planned on (``None``: the straight-line default)."""
    travel_model: str = "straight-line"
    """How ``travel`` was made, for ``plan.json`` (``road graph FILE`` or ``straight-line``)."""

    def worst_tie_defender_utility(self) -> float:
        """The defender utility if the attacker breaks every tie against us: the least
        defender utility over the season's attack set (issue 10; An et al., AAAI 2011)."""
        if "worst_tie_defender_utility" in self.certificate:
            return float(self.certificate["worst_tie_defender_utility"])
        targets = self.targets
        attacker = (
            self.coverage * targets.attacker_covered
            + (1 - self.coverage) * targets.attacker_uncovered
        )
        defender = (
            self.coverage * targets.defender_covered
            + (1 - self.coverage) * targets.defender_uncovered
        )
        ties = attacker >= float(attacker.max()) - TOL
        return float(defender[ties].min())

    def implementation_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``rosters_implementation``: per day, whether the rosters are drawn
        from joint schedules that deliver the certified coverage exactly
        (:mod:`crowdguard.patrols.joint`), how many, and the gaps when they cannot."""
        keys = (
            "joint_rosters",
            "joint_exact",
            "joint_schedules",
            "protection_gap",
            "implementation_gap",
        )
        return [
            {"date": date, **{k: day.certificate.get(k) for k in keys}}
            for date, day in self.day_plans.items()
        ]

    def override_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``overrides``: each pin or forbid and what it cost (ARMOR-style).

        ``utility_cost`` is the defender utility its day lost to all of that day's overrides
        (solved together); ``entropy_before``/``entropy_after`` are the team's route entropy
        in bits (0: an observer knows the team's whole day).
        """
        rows = []
        for day in self.day_plans.values():
            for cost in day.override_costs:
                rows.append(
                    {
                        key: round(value, 6) if isinstance(value, float) else value
                        for key, value in cost.items()
                    }
                )
        return rows

    def variants_cost(self) -> float | None:
        """Defender utility the ``max_variants`` cap cost, summed over the days (or ``None``)."""
        costs = [d.variants_cost for d in self.day_plans.values() if d.variants_cost is not None]
        return float(sum(costs)) if costs else None

    def visibility_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``visibility``: expected shoppers passing a patrol, per day."""
        return [
            {"date": date, "expected_shoppers": round(day.expected_visibility, 1)}
            for date, day in self.day_plans.items()
        ]

    def plan_review_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``plan_reviews``: one row per venue with a linked security plan.

        ``mean_coverage_if_resolved`` and ``patrol_hours_delta`` are ``None`` until the
        counterfactual has been solved (:func:`crowdguard.plans.influence.attach_influence`).
        """
        venues = np.array(self.targets.venue)
        rows = []
        for venue_id, link in self.linked_plans.items():
            index = np.flatnonzero(venues == venue_id)
            influence = self.influences.get(venue_id)
            mean = float(self.coverage[index].mean()) if index.size else 0.0
            rows.append(
                {
                    "venue": venue_id,
                    "event": link.review.event,
                    "tier": str(link.review.tier),
                    "verdict": link.review.legal_verdict,
                    "source": link.source,
                    "findings_moving_risk": link.findings_moving_risk,
                    "multipliers": dict(link.multipliers),
                    "mean_coverage": round(mean, 6),
                    # the what-if's change (solved under free placement, see plans.influence)
                    # applied to this plan's own coverage
                    "mean_coverage_if_resolved": None
                    if influence is None
                    else round(
                        min(
                            1.0,
                            max(
                                0.0,
                                mean
                                + influence.mean_coverage_if_resolved
                                - influence.mean_coverage,
                            ),
                        ),
                        6,
                    ),
                    "patrol_hours_delta": None
                    if influence is None
                    else round(influence.patrol_hours_delta, 3),
                    "influence_mode": "free-placement"
                    if self.mode == "free"
                    else "free-placement estimate applied to routes",
                }
            )
        return rows

    def plan_json(self) -> dict[str, Any]:
        """The ``plan.json`` contract (design.md): utilities and coverage per venue and slot."""
        targets = self.targets
        return {
            "scenario": self.scenario.id,
            "scenario_name": self.scenario.name,
            "version": __version__,
            "solver": self.solver,
            "mode": "routes" if self.mode == "routes" else "free-placement",
            "threat_level": str(self.scenario.threat_level),
            "period": {"start": self.days[0].isoformat(), "end": self.days[-1].isoformat()},
            "defender_utility": self.defender_utility,
            "worst_tie_defender_utility": self.worst_tie_defender_utility(),
            "tie_rule": self.options.tie if self.mode == "routes" else "strong",
            "price_of_robustness": self.certificate.get("price_of_robustness"),
            "attacker_utility": self.attacker_utility,
            "attacked_target": self.attacked_target,
            "attack_set": self.attack_set,
            "certificate": self.certificate,
            "seed": "user-seed" if self.seeded else "secrets",
            "seconds": round(self.seconds, 3),
            "travel_model": self.travel_model,
            "rosters_implementation": self.implementation_rows(),
            "protection_model": {
                "min_dwell_minutes": self.scenario.patrol.min_dwell_minutes,
                "slot_minutes": self.scenario.slot_minutes,
                "team_effectiveness": {
                    t.callsign: self.scenario.patrol.kinds()[t.kind].effectiveness
                    for t in self.scenario.teams
                    if t.kind in self.scenario.patrol.kinds()
                },
            },
            "teams_per_slot": [
                {"start": s.isoformat(), "teams": len(teams)}
                for s, teams in zip(targets.slot_starts, self.slot_teams, strict=True)
            ],
            "coverage": [
                {
                    "venue": targets.venue[i],
                    "start": targets.start[i].isoformat(),
                    "end": targets.end[i].isoformat(),
                    "coverage": round(float(self.coverage[i]), 6),
                    "risk": round(float(targets.risk[i]), 3),
                    **(
                        {}
                        if self.response is None
                        else {"response_probability": round(float(self.response[i]), 6)}
                    ),
                }
                for i in range(len(targets))
            ],
            "response_by_venue": self.response_by_venue(),
            "plan_reviews": self.plan_review_rows(),
            "options": {
                "max_variants": self.options.max_variants,
                "response_floor": self.options.response_floor,
                "response_min_crowd": self.options.response_min_crowd,
                "visibility_floor": self.options.visibility_floor,
            },
            "response_floor_check": self.response_floor_check(),
            "overrides": self.override_rows(),
            "variants_cost": self.variants_cost(),
            "variants_cost_by_day": [
                {"date": date, "utility_cost": round(day.variants_cost, 6)}
                for date, day in self.day_plans.items()
                if day.variants_cost is not None
            ],
            "visibility": self.visibility_rows(),
            "visibility_tradeoff": {
                "date": None
                if self.visibility_tradeoff_day is None
                else self.visibility_tradeoff_day.isoformat(),
                "points": self.visibility_tradeoff,
            },
        }

    def response_by_venue(self) -> list[dict[str, Any]]:
        """Per venue, the mean and worst probability of a team within the response target."""
        if self.response is None:
            return []
        venues = np.array(self.targets.venue)
        rows = []
        for venue in self.scenario.venues:
            index = np.flatnonzero(venues == venue.id)
            if index.size:
                rows.append(
                    {
                        "venue": venue.id,
                        "target_minutes": self.scenario.patrol.response_target_minutes,
                        "mean_probability": round(float(self.response[index].mean()), 4),
                        "min_probability": round(float(self.response[index].min()), 4),
                    }
                )
        return rows

    def response_floor_check(self) -> dict[str, Any] | None:
        """How the response floor came out: ``None`` without one (or in free mode).

        ``venue_slots``: targets the floor bound (crowd at least ``min_crowd`` and a team on
        shift in the slot); ``lowest``: the smallest chance a team is within reach there.
        """
        floor = self.options.response_floor
        if floor is None or self.response is None:
            return None
        on_shift = np.array([len(self.slot_teams[s]) > 0 for s in self.targets.slot.tolist()])
        bound = on_shift & (self.targets.crowd >= self.options.response_min_crowd)
        return {
            "floor": floor,
            "min_crowd": self.options.response_min_crowd,
            "target_minutes": self.scenario.patrol.response_target_minutes,
            "venue_slots": int(bound.sum()),
            "lowest": round(float(self.response[bound].min()), 4) if bound.any() else None,
        }

    def travel_times(self) -> TravelTimes:
        """The travel model of the plan: the road graph given, else the straight-line model."""
        from crowdguard.patrols.travel import scenario_travel

        return self.travel or scenario_travel(self.scenario)

    def travel_json(self) -> dict[str, Any] | None:
        """``travel_times.json`` over venues then staging bases, from :meth:`travel_times`."""
        travel: dict[str, Any] = self.travel_times().to_json()
        return travel

    def rosters(self) -> dict[str, dict[str, Any]]:
        """The drawn rosters, one per date (``rosters/YYYY-MM-DD.json`` contract)."""
        return self._rosters


def _solve_slots(
    targets: Targets, slot_teams: Sequence[Sequence[str]], progress: ProgressCallback | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-slot SSE coverage and each slot's attacker utility ``k_s``."""
    n_slots = len(targets.slot_starts)
    coverage = np.zeros(len(targets))
    slot_k = np.full(n_slots, -np.inf)
    methods: list[str] = []
    order = np.argsort(targets.slot, kind="stable")
    bounds = np.searchsorted(targets.slot[order], np.arange(n_slots + 1))
    for s in range(n_slots):
        index = order[bounds[s] : bounds[s + 1]]
        if index.size == 0:
            continue
        teams = len(slot_teams[s])
        if teams == 0:
            slot_k[s] = float(np.max(targets.attacker_uncovered[index]))
        else:
            game = SecurityGame.from_arrays(
                defender_covered=targets.defender_covered[index],
                defender_uncovered=targets.defender_uncovered[index],
                attacker_covered=targets.attacker_covered[index],
                attacker_uncovered=targets.attacker_uncovered[index],
                resources=teams,
                ids=tuple(targets.ids[i] for i in index),
            )
            solution = solve(game, method="auto")
            coverage[index] = solution.coverage
            slot_k[s] = solution.attacker_utility
            methods.append(solution.method)
        if progress is not None and (s % 16 == 0 or s == n_slots - 1):
            progress((s + 1) / n_slots, targets.slot_starts[s].date().isoformat())
    return coverage, slot_k, methods


def _level_coverage(targets: Targets, level: float) -> np.ndarray:
    """Coverage that holds the attacker at ``level`` on every target (clipped to [0, 1])."""
    needed = (targets.attacker_uncovered - level) / (
        targets.attacker_uncovered - targets.attacker_covered
    )
    clipped: np.ndarray = np.clip(needed, 0.0, 1.0)
    return clipped


def _induce_best_attack(
    targets: Targets, coverage: np.ndarray, slot_teams: Sequence[Sequence[str]], level: float
) -> tuple[np.ndarray, int]:
    """Strong Stackelberg tie-breaking across slots (Conitzer & Sandholm, EC 2006).

    With the season's attacker held at ``level`` (the largest per-slot ORIGAMI level), any
    target whose uncovered payoff reaches ``level`` can be made a best response by lowering
    its coverage to exactly ``level``'s; the defender picks the one where that is least
    harmful. If it lies in a slot whose teams hold the attacker lower, its coverage is cut
    to that amount and the freed share of a team is spread over the slot's other targets
    by ORIGAMI (which keeps them at or below ``level``). Returns the coverage and the
    index of the target the attacker is thus led to.
    """
    at_level = _level_coverage(targets, level)
    candidates = np.flatnonzero(targets.attacker_uncovered >= level - TOL)
    value = at_level * targets.defender_covered + (1 - at_level) * targets.defender_uncovered
    best = int(candidates[np.argmax(value[candidates])])
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    if attacker[best] >= level - TOL:
        return coverage, best
    coverage = coverage.copy()
    coverage[best] = at_level[best]
    members = np.flatnonzero(targets.slot == targets.slot[best])
    others = members[members != best]
    budget = len(slot_teams[int(targets.slot[best])]) - float(at_level[best])
    if others.size:
        spread, _ = origami_coverage(
            targets.attacker_covered[others], targets.attacker_uncovered[others], budget
        )
        coverage[others] = spread
    return coverage, best


def _use_idle_teams(
    targets: Targets, coverage: np.ndarray, slot_teams: Sequence[Sequence[str]], attacked: int
) -> np.ndarray:
    """Send teams the equilibrium leaves idle to the riskiest venues not yet fully covered.

    ORIGAMI stops adding coverage once a target is fully covered, since no allocation can
    then lower the attacker's utility (Kiekintveld et al., AAMAS 2009, step 4), so a slot can
    end with part of a team unused. The teams are on duty anyway, so the spare share goes,
    highest risk first, to the slot's targets below full coverage. More coverage never
    raises any target's attacker utility, and the target the attacker is led to keeps its
    coverage, so the equilibrium and its value are unchanged (checked by
    :func:`certify_season`); only the defender's position against other choices improves.
    """
    used = np.bincount(targets.slot, weights=coverage, minlength=len(targets.slot_starts))
    spare = np.array([len(t) for t in slot_teams], dtype=float) - used
    if not np.any(spare > TOL):
        return coverage
    coverage = coverage.copy()
    for s in np.flatnonzero(spare > TOL):
        members = np.flatnonzero(targets.slot == s)
        members = members[members != attacked]
        left = float(spare[s])
        for index in members[np.argsort(-targets.risk[members], kind="stable")]:
            add = min(1.0 - float(coverage[index]), left)
            coverage[index] += add
            left -= add
            if left <= TOL:
                break
    return coverage


def certify_season(
    targets: Targets, coverage: np.ndarray, slot_teams: Sequence[Sequence[str]], *, tol: float = TOL
) -> dict[str, Any]:
    """Check the season equilibrium; raise :class:`CertificateFailed` if any condition fails.

    The conditions (Kiekintveld et al., AAMAS 2009, section 3; Conitzer & Sandholm, EC 2006):

    1. coverage in [0, 1], and in every slot it sums to at most the teams on duty;
    2. the attacker's best utility ``k`` cannot be pushed lower: some slot spends all its
       teams on targets where the attacker gets ``k`` and nothing on targets below ``k``, or
       has a fully covered target where the attacker still gets ``k``, so no reallocation
       there lowers ``k``;
    3. the attacked target is the defender's best in the attack set (tie broken for the
       defender), and no other target could be made the attacker's choice at level ``k`` with
       less harm: the defender's value is the Strong Stackelberg optimum.
    """
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    defender = coverage * targets.defender_covered + (1 - coverage) * targets.defender_uncovered
    in_range = bool(np.all(coverage >= -tol) and np.all(coverage <= 1 + tol))
    used = np.bincount(targets.slot, weights=coverage, minlength=len(targets.slot_starts))
    allowed = np.array([len(t) for t in slot_teams], dtype=float)
    resources_ok = bool(np.all(used <= allowed + tol))
    k = float(attacker.max())
    in_attack = attacker >= k - tol
    attack_set = np.flatnonzero(in_attack)
    best = int(attack_set[np.argmax(defender[attack_set])])
    witnesses = []
    for s in np.unique(targets.slot[attack_set]):
        members = targets.slot == s
        idle_below = float(coverage[members & ~in_attack].sum())
        capped = bool(np.any(coverage[members & in_attack] >= 1 - tol))
        if capped or (used[s] >= allowed[s] - tol and idle_below <= tol):
            witnesses.append(targets.slot_starts[int(s)].isoformat())
    at_level = _level_coverage(targets, k)
    could = targets.attacker_uncovered >= k - tol
    induced = at_level * targets.defender_covered + (1 - at_level) * targets.defender_uncovered
    defender_optimal = bool(np.all(induced[could] <= defender[best] + tol))
    certificate: dict[str, Any] = {
        "coverage_in_range": in_range,
        "resources_respected": resources_ok,
        "attack_set_size": int(attack_set.size),
        "attacker_utility_minimal": bool(witnesses),
        "binding_slots": witnesses,
        "defender_optimal": defender_optimal,
        "tie_broken_for_defender": True,
        "attacker_utility": k,
        "defender_utility": float(defender[best]),
        "attacked_target": targets.ids[best],
        "tolerance": tol,
    }
    failed = [
        name
        for name in (
            "coverage_in_range",
            "resources_respected",
            "attacker_utility_minimal",
            "defender_optimal",
        )
        if not certificate[name]
    ]
    if failed:
        raise CertificateFailed(f"season certificate failed: {', '.join(failed)}")
    certificate["holds"] = True
    return certificate


def _draw_day(
    scenario: Scenario,
    targets: Targets,
    coverage: np.ndarray,
    slot_teams: Sequence[Sequence[str]],
    slots: Sequence[int],
    day: dt.date,
    rng: random.Random,
) -> dict[str, Any]:
    """One day's roster: per slot, systematic sampling picks venues, teams are matched."""
    bases = {t.callsign: t.base for t in scenario.teams}
    by_slot: dict[int, np.ndarray] = {}
    for s in slots:
        by_slot[s] = np.flatnonzero(targets.slot == s)
    # placement[team] = list of (start, end, venue | None)
    placement: dict[str, list[tuple[dt.datetime, dt.datetime, str | None]]] = {
        t.callsign: [] for t in scenario.teams
    }
    previous: dict[str, str | None] = {}
    for s in slots:
        index = by_slot[s]
        on_duty = list(slot_teams[s])
        if not on_duty:
            continue
        start = targets.slot_starts[s]
        end = targets.end[int(index[0])] if index.size else start
        picked = [targets.venue[int(index[i])] for i in systematic_sample(coverage[index], rng)]
        # Keep a team where it already is when its venue is picked again; the rest at random.
        assignment: dict[str, str | None] = {}
        remaining = list(picked)
        for team in on_duty:
            venue = previous.get(team)
            if venue is not None and venue in remaining:
                assignment[team] = venue
                remaining.remove(venue)
        free = [t for t in on_duty if t not in assignment]
        rng.shuffle(free)
        for team in free:
            assignment[team] = remaining.pop() if remaining else None
        for team in on_duty:
            placement[team].append((start, end, assignment[team]))
        previous = assignment
    teams = []
    for member in scenario.teams:
        segments: list[dict[str, str]] = []
        for start, end, venue in placement[member.callsign]:
            kind = "base" if venue is None else "patrol"
            last = segments[-1] if segments else None
            if (
                last is not None
                and last["end"] == start.isoformat()
                and last["kind"] == kind
                and last.get("venue") == venue
            ):
                last["end"] = end.isoformat()
                continue
            segment = {"kind": kind, "start": start.isoformat(), "end": end.isoformat()}
            if venue is not None:
                segment["venue"] = venue
            segments.append(segment)
        if segments:
            teams.append(
                {"team": member.callsign, "base": bases[member.callsign], "segments": segments}
            )
    return {"date": day.isoformat(), "teams": teams}


def slot_teams_for(scenario: Scenario, targets: Targets) -> list[list[str]]:
    """Call signs of the teams on shift in each slot of ``targets`` (the per-slot resources)."""
    zone = ZoneInfo(scenario.timezone)
    slots, first_of_slot = np.unique(targets.slot, return_index=True)
    if slots.size != len(targets.slot_starts):
        raise PlanError("targets: every slot must hold at least one open venue")
    return [
        teams_on_duty(scenario, start.astimezone(zone), targets.end[int(first)].astimezone(zone))
        for start, first in zip(targets.slot_starts, first_of_slot, strict=True)
    ]


def draw_rosters(
    scenario: Scenario,
    targets: Targets,
    coverage: np.ndarray,
    slot_teams: Sequence[Sequence[str]],
    *,
    rng: random.Random,
    days: Sequence[dt.date] | None = None,
) -> dict[str, dict[str, Any]]:
    """Draw one roster per day from any coverage vector (the optimum or a baseline).

    Each slot is drawn by randomised systematic sampling, so every venue-slot is patrolled
    with exactly its coverage in expectation; ``rng`` is ``secrets.SystemRandom()`` for
    operational use or ``random.Random(seed)`` for tests, audits and simulation.
    """
    zone = ZoneInfo(scenario.timezone)
    slots_by_day: dict[dt.date, list[int]] = {}
    for s, start in enumerate(targets.slot_starts):
        slots_by_day.setdefault(start.astimezone(zone).date(), []).append(s)
    chosen = sorted(slots_by_day) if days is None else list(days)
    return {
        day.isoformat(): _draw_day(
            scenario, targets, coverage, slot_teams, slots_by_day.get(day, []), day, rng
        )
        for day in chosen
    }


def _chosen_days(scenario: Scenario, days: int | Sequence[dt.date] | None) -> list[dt.date]:
    """The planning horizon: all days, the first K, or the named dates (checked)."""
    all_days = scenario.days
    if days is None:
        return all_days
    if isinstance(days, int):
        if days < 1:
            raise PlanError(f"--days must be at least 1, got {days}")
        return all_days[:days]
    chosen = sorted(set(days))
    outside = [d for d in chosen if d < scenario.start or d > scenario.end]
    if outside:
        raise PlanError(
            f"days: {outside[0].isoformat()} is outside the scenario period "
            f"{scenario.start.isoformat()}..{scenario.end.isoformat()}"
        )
    return chosen


def _targets(scenario: Scenario, chosen: Sequence[dt.date], plan_gaps: PlanGaps | None) -> Targets:
    targets = build_targets(scenario, days=chosen, plan_gaps=plan_gaps)
    if len(targets) == 0:
        raise PlanError(
            f"no venue is open on any day of {chosen[0].isoformat()}..{chosen[-1].isoformat()}; "
            "check opening hours, opens/closes dates or --days"
        )
    return targets


def _solve_season(
    targets: Targets, slot_teams: Sequence[Sequence[str]], progress: ProgressCallback | None
) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """Season SSE coverage, its certificate and the per-slot methods used."""
    coverage, slot_k, methods = _solve_slots(targets, slot_teams, progress)
    coverage, attacked = _induce_best_attack(targets, coverage, slot_teams, float(slot_k.max()))
    coverage = _use_idle_teams(targets, coverage, slot_teams, attacked)
    certificate = certify_season(targets, coverage, slot_teams)
    return coverage, certificate, methods


def season_coverage(
    scenario: Scenario,
    *,
    days: int | Sequence[dt.date] | None = None,
    plan_gaps: PlanGaps | None = None,
) -> tuple[Targets, np.ndarray]:
    """The season's optimal coverage alone (no rosters): for what-ifs and counterfactuals.

    The same solve as :func:`make_plan`, with ``plan_gaps`` given explicitly (``None``: no
    security-plan effect).
    """
    targets = _targets(scenario, _chosen_days(scenario, days), plan_gaps)
    coverage, _, _ = _solve_season(targets, slot_teams_for(scenario, targets), None)
    return targets, coverage


def _check_options(
    scenario: Scenario, chosen: Sequence[dt.date], options: DayOptions, mode: str
) -> None:
    """Refuse options free placement cannot honour, and overrides naming nothing real."""
    if mode == "free" and options.any():
        raise PlanError(
            "overrides, max_variants, response_floor and visibility_floor need routes mode: "
            "drop --mode free (they constrain walkable routes on the patrol graph)"
        )
    teams = {t.callsign for t in scenario.teams}
    places = {v.id for v in scenario.venues} | {b.id for b in scenario.bases}
    horizon = set(chosen)
    for o in options.overrides:
        if o.day not in horizon:
            raise PlanError(
                f"override '{o.describe()}': {o.day.isoformat()} is not a planned day "
                f"({chosen[0].isoformat()}..{chosen[-1].isoformat()})"
            )
        if o.team not in teams:
            hint = did_you_mean(o.team, sorted(teams))
            raise PlanError(
                f"override '{o.describe()}': no team {o.team!r}; "
                + (f"{hint} " if hint else "")
                + f"expected one of {', '.join(sorted(teams))}"
            )
        if o.place not in places:
            hint = did_you_mean(o.place, [v.id for v in scenario.venues], cutoff=0.5)
            raise PlanError(
                f"override '{o.describe()}': no venue or base {o.place!r}"
                + (f"; {hint}" if hint else "; see the venue ids in the scenario file")
            )
    if options.max_variants is not None and options.max_variants < 1:
        raise PlanError(f"max_variants={options.max_variants}: expected a whole number >= 1")
    if options.response_floor is not None and not 0 < options.response_floor < 1:
        raise PlanError(
            f"response_floor={options.response_floor}: expected a probability strictly "
            "between 0 and 1"
        )
    if options.visibility_floor is not None and options.visibility_floor < 0:
        raise PlanError(
            f"visibility_floor={options.visibility_floor}: expected shoppers per day >= 0"
        )


def make_plan(
    scenario: Scenario,
    *,
    seed: int | None = None,
    days: int | Sequence[dt.date] | None = None,
    progress: ProgressCallback | None = None,
    plan_gaps: PlanGaps | Literal["linked"] | None = "linked",
    review_on: dt.date | None = None,
    mode: Literal["routes", "free"] = "routes",
    workers: int | None = None,
    overrides: Sequence[DatedOverride] = (),
    max_variants: int | None = None,
    response_floor: float | None = None,
    response_min_crowd: float = 0.0,
    visibility_floor: float | None = None,
    travel: TravelTimes | None = None,
    travel_model: str | None = None,
    submitted: Mapping[str, LinkedPlan] | None = None,
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
) -> PatrolPlan:
    """Solve the season and draw its rosters.

    ``days`` limits the horizon: an int keeps the first K days, a sequence names the dates.
    ``seed`` makes the roster draws reproducible; without it they come from ``secrets``.
    ``progress(fraction, label)`` is called while slots are solved.
    ``plan_gaps``: security-plan multipliers per venue and attack mode; ``"linked"`` (the
    default) reviews the venues' linked plans (on ``review_on``, default today) and uses
    theirs, ``None`` ignores plans.
    ``submitted``: security plans submitted through the service, per venue
    (:func:`crowdguard.risk.plan_gaps.submitted_plans`); with ``plan_gaps="linked"`` each
    replaces the scenario's linked plan for its venue (the organiser's current plan is the
    better evidence), and its findings are reported like a linked plan's.
    ``tie`` (routes mode): ``"robust"`` (default) keeps the stated harm within ``tie_margin``
    of what an attacker breaking every tie against us would cause, within and between days
    (:func:`crowdguard.games.flow.solve_flow_game`,
    :func:`~crowdguard.patrols.season_routes.break_season_ties`); ``"strong"`` is the strong
    Stackelberg plan. ``plan.json`` reports both figures either way.
    ``mode``: ``"routes"`` (default) plans walkable routes from and back to each team's base
    on the patrol graph, day by day in ``workers`` processes
    (:mod:`crowdguard.patrols.season_routes`); ``"free"`` places the teams on shift anywhere
    in each slot (the season game above, solved in a fraction of a second).

    Routes mode only (:class:`PlanError` in free mode), passed to every day's
    :func:`~crowdguard.patrols.dayplan.plan_day`: ``overrides`` pin or forbid a team at a
    venue at a date and time (each applies to its own date, whose team and venue must
    exist); ``max_variants`` caps each team's routes per day; ``response_floor`` keeps the
    chance of a team within the response target at least that high wherever the crowd is
    at least ``response_min_crowd``; ``visibility_floor`` keeps the expected shoppers
    passing a patrol each day at least that high (:mod:`crowdguard.patrols.visibility`).
    Overrides and the variant cap are priced, as ARMOR did (Pita et al., AAMAS 2008):
    :meth:`PatrolPlan.override_rows`, :meth:`PatrolPlan.variants_cost`.

    ``travel``: minutes between the scenario's venues and bases (e.g.
    :func:`~crowdguard.patrols.travel.road_graph_travel` over a force's own road map); the
    default is the straight-line model. ``travel_model`` names it in ``plan.json``.
    """
    if mode not in ("routes", "free"):
        raise PlanError(f"--mode {mode!r}: expected 'routes' or 'free'")
    began = time.perf_counter()
    chosen = _chosen_days(scenario, days)
    if tie not in ("robust", "strong"):
        raise PlanError(f"--tie {tie!r}: expected 'robust' or 'strong'")
    if not (0 <= tie_margin < 1):
        raise PlanError(f"--tie-margin {tie_margin}: expected a share from 0 to below 1")
    options = DayOptions(
        tie=tie,
        tie_margin=tie_margin,
        overrides=tuple(overrides),
        max_variants=max_variants,
        response_floor=response_floor,
        response_min_crowd=response_min_crowd,
        visibility_floor=visibility_floor,
    )
    _check_options(scenario, chosen, options, mode)
    if travel is not None:
        missing = sorted({p.id for p in places_of(scenario)} - set(travel.ids))
        if missing:
            raise PlanError(
                f"travel times: no times for {', '.join(missing)}; build them over the "
                "scenario's venues and bases (places_of(scenario))"
            )
    links: dict[str, LinkedPlan] = {}
    if isinstance(plan_gaps, str):
        if plan_gaps != "linked":
            raise PlanError(f"plan_gaps: {plan_gaps!r} is not 'linked', None or a mapping")
        links = {**linked_plans(scenario, on=review_on), **(submitted or {})}
        gaps: dict[str, dict[str, float]] = {v: dict(k.multipliers) for v, k in links.items()}
    else:
        gaps = {v: dict(m) for v, m in (plan_gaps or {}).items()}
    targets = _targets(scenario, chosen, gaps or None)
    slot_teams = slot_teams_for(scenario, targets)
    rng = make_rng(seed)
    response: np.ndarray | None = None
    day_plans: dict[str, DayResult] = {}
    if mode == "free":
        coverage, certificate, methods = _solve_season(targets, slot_teams, progress)
        rosters = draw_rosters(scenario, targets, coverage, slot_teams, rng=rng, days=chosen)
        solver = "+".join(sorted(set(methods))) or "none"
        solver = f"per-slot {solver} (season SSE)"
    else:
        warm = WarmStarts()  # the first day's bases start every other day (season_routes)
        day_plans = solve_days(
            scenario,
            chosen,
            gaps or None,
            workers=workers,
            progress=progress,
            options=options,
            travel=travel,
            warm=warm,
        )
        position = {target_id: i for i, target_id in enumerate(targets.ids)}
        coverage = np.zeros(len(targets))
        response = np.zeros(len(targets))
        for day in day_plans.values():
            index = np.array([position[t] for t in day.target_ids], dtype=int)
            coverage[index] = day.coverage
            response[index] = day.response_probability
        if break_season_ties(
            scenario,
            targets,
            coverage,
            day_plans,
            gaps or None,
            options,
            travel,
            workers=workers,
            warm=warm,
        ):
            for day in day_plans.values():
                index = np.array([position[t] for t in day.target_ids], dtype=int)
                response[index] = day.response_probability
        certificate = certify_days(targets, coverage, day_plans)
        rosters = {
            day.isoformat(): day_plans[day.isoformat()].draw(rng)
            if day.isoformat() in day_plans
            else {"date": day.isoformat(), "teams": []}
            for day in chosen
        }
        solver = "per-day bounded multiple LPs over patrol flows (TRUSTS/CASS), " + (
            "robust to ties" if tie == "robust" else "strong Stackelberg"
        )
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    attack_set = [
        targets.ids[i] for i in np.flatnonzero(attacker >= certificate["attacker_utility"] - TOL)
    ]
    return PatrolPlan(
        scenario=scenario,
        targets=targets,
        coverage=coverage,
        slot_teams=[list(t) for t in slot_teams],
        defender_utility=certificate["defender_utility"],
        attacker_utility=certificate["attacker_utility"],
        attacked_target=certificate["attacked_target"],
        attack_set=attack_set,
        certificate=certificate,
        solver=solver,
        seconds=time.perf_counter() - began,
        seeded=seed is not None,
        days=list(chosen),
        _rosters=rosters,
        plan_gaps=gaps,
        linked_plans=links,
        mode=mode,
        response=response,
        day_plans=day_plans,
        options=options,
        travel=travel,
        travel_model=travel_model or ("straight-line" if travel is None else "given"),
    )


def visibility_curve(
    plan: PatrolPlan, day: dt.date | None = None, *, points: int = 5, workers: int | None = 1
) -> list[dict[str, float]]:
    """The price of being seen on one day: defender utility at rising visibility floors.

    :func:`crowdguard.patrols.visibility.visibility_tradeoff` on ``day`` (default: the day
    with the most total risk), with the plan's security-plan multipliers; stored on the plan
    (``visibility_tradeoff``) for ``plan.json`` and the report. Routes mode only; returns
    ``[]`` in free mode. Visible patrols deter (Project Servator, ``domain.md`` section 4).
    The plan's own solution of that day is reused for the zero floor (when no option
    changed it); ``workers`` processes (``None``: all cores) solve the other points.
    """
    from crowdguard.patrols.visibility import visibility_tradeoff

    if plan.mode != "routes" or not plan.day_plans:
        return []
    if day is None:
        zone = ZoneInfo(plan.scenario.timezone)
        dates = np.array([s.astimezone(zone).date().toordinal() for s in plan.targets.start])
        totals = np.bincount(dates - dates.min(), weights=plan.targets.risk)
        day = dt.date.fromordinal(int(dates.min() + np.argmax(totals)))
    targets = build_targets(plan.scenario, days=[day], plan_gaps=plan.plan_gaps or None)
    if len(targets) == 0:
        return []
    solved = plan.day_plans.get(day.isoformat())
    baseline = None
    if (
        solved is not None
        and not plan.options.any()
        and not solved.certificate.get("implementation_gap")
    ):  # the plain day is the floor-0 point
        baseline = (solved.defender_utility, solved.expected_visibility)
    curve = visibility_tradeoff(
        plan.scenario,
        day,
        targets,
        plan.travel_times(),
        points=points,
        baseline=baseline,
        workers=workers or os.cpu_count() or 1,
    )
    plan.visibility_tradeoff = curve
    plan.visibility_tradeoff_day = day
    return curve
