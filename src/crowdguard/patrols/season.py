"""The season game of free placement: per-slot Stackelberg coverage joined into one season.

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

:func:`certify_season` checks the equilibrium conditions on the assembled season. This module
sits below the planner (:mod:`crowdguard.patrols.planner`) and the security-plan what-ifs
(:mod:`crowdguard.plans.influence`), which both solve this game.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from crowdguard.errors import CertificateFailed, PlanError
from crowdguard.games import SecurityGame, solve
from crowdguard.games.flow import TIE_DELTA, FlowPayoffs, payoff_scale
from crowdguard.games.origami import origami_coverage
from crowdguard.risk.payoffs import PlanGaps, Targets, build_targets
from crowdguard.scenario.schema import Scenario, Team, Weekday

__all__ = [
    "TOL",
    "certify_season",
    "chosen_days",
    "robust_season",
    "season_coverage",
    "season_targets",
    "slot_teams_for",
    "solve_season",
    "teams_on_duty",
]

ProgressCallback = Callable[[float, str], None]

TOL = 1e-6


def _on_shift(team: Team, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``team`` is on shift for the whole slot [start, end) (local times): a shift of
    the slot's date, or an overnight shift of the evening before running on past midnight."""
    for back in (0, 1):
        day = start.date() - dt.timedelta(days=back)
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=start.tzinfo)
        for shift in team.shifts:
            if Weekday.of(day) not in shift.days:
                continue
            begins, ends = shift.hours.minutes()
            if midnight + dt.timedelta(minutes=begins) <= start and end <= midnight + dt.timedelta(
                minutes=ends
            ):
                return True
    return False


def teams_on_duty(scenario: Scenario, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Call signs of the teams on shift for the whole slot [start, end)."""
    return [t.callsign for t in scenario.teams if _on_shift(t, start, end)]


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


def chosen_days(scenario: Scenario, days: int | Sequence[dt.date] | None) -> list[dt.date]:
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


def season_targets(
    scenario: Scenario, chosen: Sequence[dt.date], plan_gaps: PlanGaps | None
) -> Targets:
    targets = build_targets(scenario, days=chosen, plan_gaps=plan_gaps)
    if len(targets) == 0:
        raise PlanError(
            f"no venue is open on any day of {chosen[0].isoformat()}..{chosen[-1].isoformat()}; "
            "check opening hours, opens/closes dates or --days"
        )
    return targets


def solve_season(
    targets: Targets,
    slot_teams: Sequence[Sequence[str]],
    progress: ProgressCallback | None,
    *,
    tie: Literal["robust", "strong"] = "strong",
    tie_margin: float = 0.01,
) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """Season SSE coverage, its certificate and the per-slot methods used.

    ``tie="robust"``: when the strong equilibrium's worst tie costs more than ``tie_margin``
    of its stated harm, the plan is made robust to the attacker's tie-break
    (:func:`robust_season`)."""
    coverage, slot_k, methods = _solve_slots(targets, slot_teams, progress)
    coverage, attacked = _induce_best_attack(targets, coverage, slot_teams, float(slot_k.max()))
    coverage = _use_idle_teams(targets, coverage, slot_teams, attacked)
    certificate = certify_season(targets, coverage, slot_teams)
    if tie == "robust":
        coverage, certificate = robust_season(targets, coverage, certificate, tie_margin)
    return coverage, certificate, methods


def robust_season(
    targets: Targets, coverage: np.ndarray, certificate: dict[str, Any], margin: float
) -> tuple[np.ndarray, dict[str, Any]]:
    """The strong season plan made to hold whatever tie the attacker breaks.

    In the strong equilibrium many targets can tie at the attacker's best utility ``k``
    (every slot's binding targets, in free placement), and the stated harm assumes the
    attacker picks the one best for us; an attacker picking another causes the worst tie's
    harm (issue 10 measured 3 to 4 times the stated harm on the demo). When the worst tie is
    within ``margin`` of the stated harm the strong plan is kept. Otherwise one target ``t``
    of the attack set is made strictly best: its coverage is lowered by
    ``delta / (R_a(t) - P_a(t))``, so the attacker gets ``k + delta`` there and at most ``k``
    anywhere else (the robust refinement of An, Tambe, Ordóñez, Shieh and Kiekintveld,
    AAAI 2011, with the margin ``delta`` the routes mode uses, :data:`TIE_DELTA` times the
    payoff scale). ``t`` is the tied target worth most to the defender after the cut; the
    harm then holds for any tie-break, at a price (strong minus robust value) of at most the
    cut's worth, reported. A target with less cover than the cut cannot be made strictly
    best this way; if none can, or the result would guarantee less than the strong plan's
    worst tie, the strong plan is kept and the margin reported unmet. The strong plan's
    certificate (:func:`certify_season`) stands for the optimum; the robust plan's
    uniqueness of best response is checked here exactly.
    """
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    defender = coverage * targets.defender_covered + (1 - coverage) * targets.defender_uncovered
    k = float(attacker.max())
    ties = np.flatnonzero(attacker >= k - TOL)
    stated = float(certificate["defender_utility"])
    worst = float(defender[ties].min())
    scale = payoff_scale(
        FlowPayoffs(
            targets.defender_covered,
            targets.defender_uncovered,
            targets.attacker_covered,
            targets.attacker_uncovered,
        )
    )
    report: dict[str, Any] = {
        "tie_rule": "robust",
        "tie_margin": margin,
        "strong_defender_utility": stated,
        "worst_tie_defender_utility": worst,
        "worst_tie_target": targets.ids[int(ties[np.argmin(defender[ties])])],
        "price_of_robustness": 0.0,
    }
    allowed = margin * abs(stated) + TOL * scale
    if stated - worst <= allowed:
        return coverage, {
            **certificate,
            **report,
            "tie_plan": "strong-within-margin",
            "tie_margin_met": True,
        }
    delta = TIE_DELTA * scale
    cut = delta / (targets.attacker_uncovered - targets.attacker_covered)
    able = ties[coverage[ties] >= cut[ties] + TOL]
    lowered = coverage - cut
    value = lowered * targets.defender_covered + (1 - lowered) * targets.defender_uncovered
    if able.size == 0 or float(value[able].max()) < worst:
        return coverage, {
            **certificate,
            **report,
            "tie_plan": "strong-better-guarantee",
            "tie_margin_met": False,
        }
    chosen = int(able[np.argmax(value[able])])
    robust = coverage.copy()
    robust[chosen] = lowered[chosen]
    new_attacker = robust * targets.attacker_covered + (1 - robust) * targets.attacker_uncovered
    others = np.delete(new_attacker, chosen)
    if others.size and float(others.max()) > float(new_attacker[chosen]) - delta * (1 - 1e-6):
        raise CertificateFailed("season certificate failed: robust target not strictly best")
    robust_value = float(value[chosen])
    return robust, {
        **certificate,
        **report,
        "tie_plan": "strict",
        "tie_margin_met": True,
        "attacker_utility": float(new_attacker[chosen]),
        "defender_utility": robust_value,
        "attacked_target": targets.ids[chosen],
        "attack_set_size": 1,
        "worst_tie_defender_utility": robust_value,
        "worst_tie_target": targets.ids[chosen],
        "price_of_robustness": max(0.0, stated - robust_value),
    }


def season_coverage(
    scenario: Scenario,
    *,
    days: int | Sequence[dt.date] | None = None,
    plan_gaps: PlanGaps | None = None,
) -> tuple[Targets, np.ndarray]:
    """The season's optimal coverage alone (no rosters): for what-ifs and counterfactuals.

    The same solve as :func:`crowdguard.pipeline.make_plan` in free placement, with ``plan_gaps`` given explicitly (``None``: no
    security-plan effect).
    """
    targets = season_targets(scenario, chosen_days(scenario, days), plan_gaps)
    coverage, _, _ = solve_season(targets, slot_teams_for(scenario, targets), None)
    return targets, coverage
