"""``plan_day``: one day's certified patrol plan, its routes and its roster lottery.

The pipeline for one day (days are independent, so they can be solved in parallel):

1. build the time-expanded graph (:mod:`crowdguard.patrols.graph`);
2. form the flow polytope, add override rows (:mod:`~crowdguard.patrols.overrides`),
   a response-time floor (:mod:`~crowdguard.patrols.response`) and a visibility floor
   (:mod:`~crowdguard.patrols.visibility`);
3. solve the Stackelberg equilibrium over it, robust to the attacker's tie-break by default,
   certified (:mod:`crowdguard.games.flow`: bounded multiple LPs, Conitzer and Sandholm,
   EC 2006, over TRUSTS/CASS flows, Yin et al., IAAI 2012; Fang, Jiang and Tambe, AAMAS
   2013; the ERASER-style MILP, Kiekintveld et al., AAMAS 2009, as the baseline);
4. among equilibria with the same attacked target and utility, take the least predictable
   (the summed hit rate of an observer guessing each team's likeliest place, an LP);
5. decompose each commodity's flow into weighted routes (:mod:`~crowdguard.patrols.decompose`);
6. optionally cap each team at ``max_variants`` routes and re-solve over route weights
   (:func:`crowdguard.patrols.sample.restricted_polytope`), reporting the utility it costs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import CertificateFailed, InfeasibleGame, PlanError
from crowdguard.games.flow import (
    CoveragePolytope,
    FlowMethod,
    FlowPayoffs,
    FlowSolution,
    Spread,
    TieRule,
    is_feasible,
    solve_flow_game,
)
from crowdguard.patrols.decompose import Route, decompose, route_segments
from crowdguard.patrols.graph import (
    PatrolGraph,
    TargetsLike,
    build_graph,
    flow_polytope,
    spread_rows,
)
from crowdguard.patrols.overrides import Override, override_rows
from crowdguard.patrols.response import response_floor_rows, response_probability
from crowdguard.patrols.sample import draw_roster, restricted_polytope
from crowdguard.patrols.travel import TravelTimes
from crowdguard.patrols.visibility import (
    PASS_BY,
    expected_visibility,
    max_visibility,
    visibility_floor_row,
)
from crowdguard.scenario.schema import Scenario

__all__ = ["DayPlan", "certify_routes", "plan_day", "team_routes"]


@dataclass(frozen=True)
class DayPlan:
    """A solved day. ``routes[team]`` is the team's lottery: ``[(probability, segments)]``."""

    date: str
    target_ids: tuple[str, ...]
    coverage: np.ndarray
    defender_utility: float
    attacker_utility: float
    attacked_target: str
    certificate: dict[str, Any]
    routes: dict[str, list[tuple[float, list[dict[str, Any]]]]]
    team_bases: dict[str, str]
    response_probability: np.ndarray
    worst_tie_defender_utility: float
    expected_visibility: float
    seconds: float
    method: str
    graph: PatrolGraph = field(repr=False)
    arc_flow: np.ndarray = field(repr=False)
    commodity_routes: list[list[Route]] = field(repr=False)
    variants_cost: float | None = None

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """One roster (``secrets.SystemRandom()`` operationally, ``random.Random(seed)``)."""
        return draw_roster(self, rng)

    def team_route_lotteries(self, team: str) -> list[list[Route]]:
        """The route lotteries of a team, one per shift it works that day."""
        return [
            self.commodity_routes[k]
            for k, c in enumerate(self.graph.commodities)
            if team in c.teams
        ]

    def presence(self, team: str, place: str, at: dt.time) -> float:
        """Probability that ``team`` is at ``place`` in the slot holding ``at``."""
        slot = (at.hour * 60 + at.minute) // self.graph.slot_minutes
        if place not in self.graph.places:
            return 0.0
        p = self.graph.places.index(place)
        total = 0.0
        for lottery in self.team_route_lotteries(team):
            for route in lottery:
                for node in route.nodes(self.graph):
                    if self.graph.node_place[node] == p and self.graph.node_slot[node] == slot:
                        total += route.probability
        return total


def _payoffs(targets: TargetsLike) -> FlowPayoffs:
    return FlowPayoffs(
        np.asarray(targets.defender_covered, dtype=float),
        np.asarray(targets.defender_uncovered, dtype=float),
        np.asarray(targets.attacker_covered, dtype=float),
        np.asarray(targets.attacker_uncovered, dtype=float),
    )


@dataclass(frozen=True)
class _Rows:
    """One planner's constraint on the day's polytope, with the words to blame it by."""

    label: str
    a: Any
    b: np.ndarray
    fix: str


def _with(polytope: CoveragePolytope, groups: Sequence[_Rows]) -> CoveragePolytope:
    for group in groups:
        if group.a.shape[0]:
            polytope = polytope.with_rows(group.a, group.b)
    return polytope


def _infeasible(base: CoveragePolytope, groups: Sequence[_Rows], detail: str) -> PlanError:
    """Name the constraint (or the combination) that leaves the day without a plan."""
    if len(groups) == 1:
        (group,) = groups
        return PlanError(f"{group.label} cannot all be met on this day ({detail}); {group.fix}")
    for group in groups:
        if not is_feasible(_with(base, [group])):
            return PlanError(f"{group.label} cannot all be met on this day ({detail}); {group.fix}")
    labels = " together with ".join(group.label for group in groups)
    return PlanError(
        f"{labels}: each can be met on this day but not all at once ({detail}); relax one of "
        "them (remove or move an override, or lower a floor)"
    )


def _solve(
    payoffs: FlowPayoffs,
    base: CoveragePolytope,
    groups: Sequence[_Rows],
    method: FlowMethod,
    time_limit: float,
    spread: Spread | None = None,
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
) -> FlowSolution:
    try:
        return solve_flow_game(
            payoffs,
            _with(base, groups),
            method=method,
            time_limit=time_limit,
            spread=spread,
            tie=tie,
            tie_margin=tie_margin,
        )
    except InfeasibleGame as exc:
        if not groups:
            raise
        raise _infeasible(base, groups, str(exc)) from None


def _num(value: float) -> str:
    """``12000`` rather than ``1.2e+04``; ``0.3`` stays ``0.3``."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.6g}"


_OVERRIDE_FIX = (
    "a team is in one place per slot and a venue-slot takes one team's presence: "
    "remove or move an override"
)
_FLOOR_FIX = "lower the floor or add teams or staging points"


def team_routes(
    graph: PatrolGraph, lotteries: list[list[Route]]
) -> dict[str, list[tuple[float, list[dict[str, Any]]]]]:
    """Each team's lottery ``[(probability, roster segments)]`` over its day.

    A team working several shifts draws a route for each independently: its options are
    the products of its shifts' lotteries, segments in time order.
    """
    per_team: dict[str, list[list[tuple[float, list[dict[str, Any]]]]]] = {}
    for k, comm in enumerate(graph.commodities):
        options = [(r.probability, route_segments(graph, r)) for r in lotteries[k]]
        for team in comm.teams:
            per_team.setdefault(team, []).append(options)
    routes: dict[str, list[tuple[float, list[dict[str, Any]]]]] = {}
    for team, shifts in per_team.items():
        shifts.sort(key=lambda opts: opts[0][1][0]["start"])
        combined = []
        for combo in itertools.product(*shifts):
            weight = float(np.prod([w for w, _ in combo]))
            combined.append((weight, [s for _, segs in combo for s in segs]))
        routes[team] = combined
    return routes


def certify_routes(graph: PatrolGraph, lotteries: list[list[Route]]) -> dict[str, Any]:
    """Every route is a connected path from its commodity's source (the base at the shift
    start, or a re-plan's start) to its sink (the base by the shift end); lotteries sum to 1.

    Raises :class:`~crowdguard.errors.CertificateFailed` otherwise.
    """
    for k, lottery in enumerate(lotteries):
        comm = graph.commodities[k]
        total = sum(r.probability for r in lottery)
        if abs(total - 1.0) > 1e-6:
            raise CertificateFailed(f"routes of {comm.name}: probabilities sum to {total:.9f}")
        for route in lottery:
            if (
                graph.arc_tail[route.arcs[0]] != graph.source[k]
                or graph.arc_head[route.arcs[-1]] != graph.sink[k]
            ):
                raise CertificateFailed(f"a route of {comm.name} does not start and end at base")
            for a, b in itertools.pairwise(route.arcs):
                if graph.arc_head[a] != graph.arc_tail[b]:
                    raise CertificateFailed(f"a route of {comm.name} is not a connected path")
    return {"routes_base_to_base": True, "route_probabilities_sum_to_one": True}


def plan_day(
    scenario: Scenario,
    day: dt.date,
    targets: TargetsLike,
    travel: TravelTimes,
    *,
    method: FlowMethod = "pruned-lps",
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
    attacker_cap: float | None = None,
    overrides: Sequence[Override] = (),
    max_variants: int | None = None,
    response_floor: float | None = None,
    response_min_crowd: float = 0.0,
    visibility_floor: float | None = None,
    separate: Collection[str] = (),
    spread: bool = True,
    time_limit: float = 600.0,
) -> DayPlan:
    """Solve one day (module docstring); ``targets`` must hold only that day's targets.

    ``response_floor`` keeps the probability of a team within
    ``scenario.patrol.response_target_minutes`` at least that high at every target with
    ``crowd >= response_min_crowd``; ``visibility_floor`` keeps the expected number of
    shoppers passing a patrol at least that high. ``spread`` (default on) picks, among
    equally good equilibria, the least predictable one (:func:`spread_rows`). ``tie`` and
    ``tie_margin``: :func:`crowdguard.games.flow.solve_flow_game`. ``attacker_cap`` keeps
    every target's attacker utility at most that (the season uses it to break ties between
    days, :func:`crowdguard.patrols.season_routes.break_season_ties`). Infeasible inputs
    raise :class:`PlanError` naming what to change.
    """
    started = time.perf_counter()
    if max_variants is not None and max_variants < 1:
        raise PlanError(f"max_variants={max_variants}: expected a whole number >= 1")
    if len(targets.ids) == 0:
        raise PlanError(f"targets: no venue is open on {day.isoformat()}; nothing to patrol")
    separate = set(separate) | {o.team for o in overrides}
    if max_variants is not None:  # each team needs its own lottery to cap its variants
        separate |= {t.callsign for t in scenario.teams}
    graph = build_graph(scenario, day, targets, travel, separate=separate)
    base = flow_polytope(graph)
    groups: list[_Rows] = []
    if overrides:
        a, b = override_rows(graph, overrides)
        label = "overrides " + ", ".join(f"'{o.describe()}'" for o in overrides)
        groups.append(_Rows(label, a, b, _OVERRIDE_FIX))
    target_minutes = scenario.patrol.response_target_minutes
    if response_floor is not None:
        a, b = response_floor_rows(
            graph, travel, target_minutes, response_floor, targets.crowd, response_min_crowd
        )
        groups.append(_Rows(f"response_floor={_num(response_floor)}", a, b, _FLOOR_FIX))
    if visibility_floor is not None:
        top = max_visibility(base, targets.crowd)
        if visibility_floor > top * (1 + 1e-9):
            raise PlanError(
                f"visibility_floor={_num(visibility_floor)}: at most {top:.0f} shoppers can pass a "
                f"patrol on this day with these teams; lower the floor to {top:.0f} or less, "
                "or add teams"
            )
        a, b = visibility_floor_row(base, targets.crowd, visibility_floor)
        groups.append(_Rows(f"visibility_floor={_num(visibility_floor)}", a, b, _FLOOR_FIX))
    payoffs = _payoffs(targets)
    if attacker_cap is not None:
        # U_a(t) = R_a + (P_a - R_a) c_t <= cap  <=>  (P_a - R_a) C z <= cap - R_a
        slope = payoffs.attacker_covered - payoffs.attacker_uncovered
        a = (sp.diags(slope) @ base.coverage).tocsr()
        groups.append(
            _Rows(
                f"the season's tie-break (attacker utility <= {attacker_cap:.6g})",
                a,
                attacker_cap - payoffs.attacker_uncovered,
                "the day cannot be held below another day's attacker utility",
            )
        )
    polytope = _with(base, groups)
    solution = _solve(
        payoffs,
        base,
        groups,
        method,
        time_limit,
        spread_rows(graph) if spread else None,
        tie,
        tie_margin,
    )
    arc_flow = solution.z
    lotteries = decompose(graph, arc_flow)
    variants_cost = None
    if max_variants is not None:
        restricted, kept, route_arcs = restricted_polytope(graph, polytope, lotteries, max_variants)
        route_spread = None
        if spread:
            arc_spread = spread_rows(graph)
            route_spread = Spread((arc_spread.rows @ route_arcs).tocsr(), arc_spread.groups)
        others = " and ".join(g.label for g in groups)
        cap = _Rows(
            f"max_variants={max_variants}" + (f" with {others}" if others else ""),
            sp.csr_matrix((0, restricted.n_vars)),
            np.zeros(0),
            "each team's heaviest routes "
            + (
                "cannot meet them: raise max_variants or relax them"
                if others
                else "collide at a venue-slot: raise max_variants"
            ),
        )
        capped = _solve(
            payoffs, restricted, [cap], "milp", time_limit, route_spread, tie, tie_margin
        )
        variants_cost = solution.defender_utility - capped.defender_utility
        weights = capped.z
        lotteries = [[] for _ in graph.commodities]
        for w, route in zip(weights, kept, strict=True):
            if w > 1e-9:
                size = graph.commodities[route.commodity].size
                lotteries[route.commodity].append(Route(route.commodity, w / size, route.arcs))
        for lottery in lotteries:
            total = sum(r.probability for r in lottery)
            lottery[:] = [Route(r.commodity, r.probability / total, r.arcs) for r in lottery]
        arc_flow = np.zeros(graph.n_arcs)
        for k, lottery in enumerate(lotteries):
            for r in lottery:
                arc_flow[list(r.arcs)] += r.probability * graph.commodities[k].size
        solution = capped
    coverage = np.clip(flow_polytope(graph).coverage @ arc_flow, 0.0, 1.0)
    certificate = {**solution.certificate, **certify_routes(graph, lotteries)}
    return DayPlan(
        date=day.isoformat(),
        target_ids=tuple(targets.ids),
        coverage=coverage,
        defender_utility=solution.defender_utility,
        attacker_utility=solution.attacker_utility,
        attacked_target=targets.ids[solution.attacked_target],
        worst_tie_defender_utility=solution.worst_tie_defender_utility,
        certificate=certificate,
        routes=team_routes(graph, lotteries),
        team_bases={t.callsign: t.base for t in scenario.teams},
        response_probability=response_probability(graph, arc_flow, travel, target_minutes),
        expected_visibility=expected_visibility(targets.crowd, coverage, PASS_BY),
        seconds=time.perf_counter() - started,
        method=method,
        graph=graph,
        arc_flow=arc_flow,
        commodity_routes=lotteries,
        variants_cost=variants_cost,
    )
