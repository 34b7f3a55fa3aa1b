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
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import CertificateFailed, InfeasibleGame, PlanError, SolverFailed
from crowdguard.games.flow import (
    CoveragePolytope,
    FlowMethod,
    FlowPayoffs,
    FlowSolution,
    Spread,
    TieRule,
    certify,
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
from crowdguard.patrols.joint import (
    JointOption,
    joint_options,
    joint_response,
    joint_schedules,
    pool_polytope,
    reweighted,
)
from crowdguard.patrols.overrides import Override, override_rows
from crowdguard.patrols.response import (
    reach_matrix,
    response_floor_rows,
    response_floor_targets,
    response_probability,
)
from crowdguard.patrols.roster import DayRoster, Segment
from crowdguard.patrols.sample import draw_roster, restricted_polytope
from crowdguard.patrols.travel import TravelTimes
from crowdguard.patrols.visibility import (
    PASS_BY,
    expected_visibility,
    max_visibility,
    visibility_floor_row,
)
from crowdguard.scenario.schema import Scenario

__all__ = ["DayPlan", "certify_routes", "day_payoffs", "plan_day", "solve_day", "team_routes"]


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
    routes: dict[str, list[tuple[float, tuple[Segment, ...]]]]
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
    joint: tuple[JointOption, ...] = field(default=(), repr=False)
    """Whole-force schedules the roster is drawn from (:mod:`crowdguard.patrols.joint`);
    empty: each team draws from its own lottery (``max_variants`` plans)."""

    def draw(self, rng: random.Random) -> DayRoster:
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


def day_payoffs(targets: TargetsLike, index: np.ndarray | None = None) -> FlowPayoffs:
    """The flow game's payoffs of the day's targets (of ``index`` only, when given): the
    day planner's and the re-plan's (:mod:`crowdguard.patrols.replan`)."""
    pick = slice(None) if index is None else index
    return FlowPayoffs(
        np.asarray(targets.defender_covered, dtype=float)[pick],
        np.asarray(targets.defender_uncovered, dtype=float)[pick],
        np.asarray(targets.attacker_covered, dtype=float)[pick],
        np.asarray(targets.attacker_uncovered, dtype=float)[pick],
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


def solve_day(
    payoffs: FlowPayoffs,
    base: CoveragePolytope,
    groups: Sequence[_Rows] = (),
    method: FlowMethod = "pruned-lps",
    time_limit: float = 600.0,
    spread: Spread | None = None,
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
) -> FlowSolution:
    """The day's equilibrium over ``base`` with the planner's rows ``groups`` (overrides,
    floors), robust to the attacker's tie-break unless ``tie="strong"``, certified
    (:func:`crowdguard.games.flow.solve_flow_game`); an infeasible combination of rows is a
    :class:`PlanError` naming it. The day planner's solve and the re-plan's."""
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


JOINT_COLUMNS = 400
"""Schedules the column generation of joint rosters may add before the day is re-solved over
those it found (a count, not a clock, so the same day always gives the same plan)."""


def _implement(
    graph: PatrolGraph,
    base: CoveragePolytope,
    groups: Sequence[_Rows],
    payoffs: FlowPayoffs,
    solution: FlowSolution,
    arc_flow: np.ndarray,
    planned: np.ndarray,
    travel: TravelTimes,
    target_minutes: float,
    time_limit: float,
    tie: TieRule,
    tie_margin: float,
    floor: tuple[np.ndarray, float] | None,
    routes: tuple[CoveragePolytope, np.ndarray, sp.csr_matrix] | None = None,
) -> tuple[
    FlowSolution, np.ndarray, np.ndarray, np.ndarray, tuple[JointOption, ...], dict[str, Any]
]:
    """Joint rosters for the day (:mod:`crowdguard.patrols.joint`).

    Column generation finds whole-force schedules whose protection is exactly ``planned``;
    the certificate is then checked against the coverage those schedules deliver. When no
    such distribution exists (or it is not found within :data:`JOINT_COLUMNS` schedules), the game is
    re-solved over the schedules found (ASPEN's restricted master, Jain et al., AAAI 2010),
    certified there, and the utility lost is reported as ``implementation_gap``. ``floor``:
    the targets a response floor binds and the floor; the schedules must meet it too.
    ``groups``: the day's other rows (overrides, visibility floor), linear in the arc flows,
    kept when the game is re-solved over the schedules. ``routes``: with a cap on each
    team's route variants, ``(P, w, M)``: the polytope ``P`` of weights over the kept routes
    (the day's transit rows only), the capped plan's weights ``w`` and the route-to-arc map
    ``M``; a schedule is then one kept route per team (so no team gets a variant beyond the
    cap), priced by the MILP over those choices.
    """
    reach = reach_matrix(graph, travel, target_minutes)
    floor_rows = None if floor is None else (reach[floor[0]], floor[1])
    if routes is None:
        schedules = joint_schedules(
            base,
            planned,
            support=arc_flow,
            floor=floor_rows,
            time_limit=time_limit,
            max_columns=JOINT_COLUMNS,
            graph=graph,
            widen=not any(group.a.shape[0] for group in groups),
        )
    else:
        route_polytope, weights, route_arcs = routes
        chosen = joint_schedules(
            route_polytope,
            planned,
            support=weights,
            floor=None
            if floor_rows is None
            else (sp.csr_matrix(floor_rows[0] @ route_arcs), floor_rows[1]),
            time_limit=time_limit,
            max_columns=JOINT_COLUMNS,
        )
        schedules = replace(chosen, flows=[np.asarray(route_arcs @ y) for y in chosen.flows])
        choices = chosen.flows
    response = joint_response(schedules, reach)
    floor_met = floor is None or bool(np.all(response[floor[0]] >= floor[1] - 1e-9))
    gap_utility = 0.0
    if not (schedules.exact and floor_met):
        pool = pool_polytope(base, schedules.flows)
        mix = sp.csr_matrix(np.column_stack(schedules.flows))
        for group in groups:  # linear rows on arc flows hold for mixtures of schedules
            if group.a.shape[0]:
                pool = pool.with_rows(sp.csr_matrix(group.a @ mix), group.b)
        if floor_rows is not None:
            reached = np.column_stack([(floor_rows[0] @ x) > 0.5 for x in schedules.flows])
            pool = pool.with_rows(
                sp.csr_matrix(-reached.astype(float)), np.full(reached.shape[0], -floor_rows[1])
            )
        pooled = solve_flow_game(
            payoffs, pool, tie=tie, tie_margin=tie_margin, time_limit=time_limit
        )
        gap_utility = max(0.0, solution.defender_utility - pooled.defender_utility)
        schedules = reweighted(schedules, base, pooled.z, planned)
        solution = pooled
    joint_flow = schedules.arc_flow
    delivered = schedules.delivered
    claim: Literal["best", "worst"] = (
        "worst" if solution.certificate.get("tie_plan") == "maximin" else "best"
    )
    checked = certify(
        payoffs,
        _with(base, groups),
        joint_flow,
        solution.defender_utility,
        coverage=delivered,
        claim=claim,
    )
    certificate = {
        **solution.certificate,
        **{k: checked[k] for k in ("attack_set", "defender_utility", "attacker_utility")},
        "worst_tie_defender_utility": checked["worst_tie_defender_utility"],
        "worst_tie_target": checked["worst_tie_target"],
    }
    solution = FlowSolution(
        z=solution.z,
        coverage=delivered,
        defender_utility=checked["defender_utility"],
        attacker_utility=checked["attacker_utility"],
        attacked_target=checked["attacked_target"],
        method=solution.method,
        seconds=solution.seconds,
        certificate=certificate,
        worst_tie_defender_utility=checked["worst_tie_defender_utility"],
        tie=solution.tie,
    )
    report = {
        "joint_rosters": True,
        "joint_exact": schedules.exact,
        "joint_schedules": int(np.count_nonzero(schedules.weights > 1e-12)),
        "joint_columns": schedules.columns,
        "joint_seconds": round(schedules.seconds, 3),
        "protection_gap": schedules.gap,
        "implementation_gap": gap_utility,
        "certified_on": "the joint roster distribution",
    }
    if routes is not None:  # the kept routes' expected weights, for the teams' lotteries
        report["route_weights"] = np.sum(
            [w * y for w, y in zip(schedules.weights, choices, strict=True)], axis=0
        )
    return (
        solution,
        joint_flow,
        delivered,
        joint_response(schedules, reach),
        tuple(joint_options(graph, schedules)),
        report,
    )


def _route_lotteries(
    graph: PatrolGraph, kept: Sequence[Route], weights: np.ndarray
) -> list[list[Route]]:
    """Each commodity's lottery over its kept routes from route weights in flow units."""
    lotteries: list[list[Route]] = [[] for _ in graph.commodities]
    for w, route in zip(weights, kept, strict=True):
        if w > 1e-9:
            size = graph.commodities[route.commodity].size
            lotteries[route.commodity].append(Route(route.commodity, w / size, route.arcs))
    for lottery in lotteries:
        total = sum(r.probability for r in lottery)
        lottery[:] = [Route(r.commodity, r.probability / total, r.arcs) for r in lottery]
    return lotteries


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
) -> dict[str, list[tuple[float, tuple[Segment, ...]]]]:
    """Each team's lottery ``[(probability, roster segments)]`` over its day.

    A team working several shifts draws a route for each independently: its options are
    the products of its shifts' lotteries, segments in time order.
    """
    per_team: dict[str, list[list[tuple[float, tuple[Segment, ...]]]]] = {}
    for k, comm in enumerate(graph.commodities):
        options = [(r.probability, route_segments(graph, r)) for r in lotteries[k]]
        for team in comm.teams:
            per_team.setdefault(team, []).append(options)
    routes: dict[str, list[tuple[float, tuple[Segment, ...]]]] = {}
    for team, shifts in per_team.items():
        shifts.sort(key=lambda opts: opts[0][1][0].start)
        combined = []
        for combo in itertools.product(*shifts):
            weight = float(np.prod([w for w, _ in combo]))
            combined.append((weight, tuple(s for _, segs in combo for s in segs)))
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
    joint_rosters: bool = True,
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
    raise :class:`PlanError` naming what to change. ``joint_rosters`` (default on) draws
    rosters from whole-force schedules that deliver the certified coverage exactly
    (:mod:`crowdguard.patrols.joint`); off, each team draws its route independently (the
    coverage is then only the expected number of teams, issue 10).
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
    payoffs = day_payoffs(targets)
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
    solution = solve_day(
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
    # each team's lottery: the path decomposition of the flow the rosters are drawn from
    # (made once that flow is known: a second decomposition took 7-9 s on a 40-place,
    # 16-team county)
    lotteries: list[list[Route]] | None = None
    variants_cost = None
    route_choice: tuple[CoveragePolytope, np.ndarray, sp.csr_matrix] | None = None
    if max_variants is not None:
        restricted, kept, route_arcs = restricted_polytope(
            graph, polytope, decompose(graph, arc_flow), max_variants
        )
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
        capped = solve_day(
            payoffs, restricted, [cap], "milp", time_limit, route_spread, tie, tie_margin
        )
        variants_cost = solution.defender_utility - capped.defender_utility
        weights = capped.z
        lotteries = _route_lotteries(graph, kept, weights)
        arc_flow = np.zeros(graph.n_arcs)
        for k, lottery in enumerate(lotteries):
            for r in lottery:
                arc_flow[list(r.arcs)] += r.probability * graph.commodities[k].size
        solution = capped
        route_choice = (
            replace(
                restricted,
                a_ub=None if base.a_ub is None else sp.csr_matrix(base.a_ub @ route_arcs),
                b_ub=base.b_ub,
            ),
            weights,
            route_arcs,
        )
    coverage = np.clip(flow_polytope(graph).coverage @ arc_flow, 0.0, 1.0)
    response = response_probability(graph, arc_flow, travel, target_minutes)
    joint: tuple[JointOption, ...] = ()
    implementation: dict[str, Any] = {"joint_rosters": False}
    if joint_rosters:
        try:
            implemented = _implement(
                graph,
                base,
                [g for g in groups if not g.label.startswith("response_floor")],
                payoffs,
                solution,
                arc_flow,
                coverage,
                travel,
                target_minutes,
                time_limit,
                tie,
                tie_margin,
                None
                if response_floor is None
                else (
                    response_floor_targets(graph, targets.crowd, response_min_crowd),
                    response_floor,
                ),
                route_choice,
            )
        except (InfeasibleGame, RuntimeError, CertificateFailed, SolverFailed) as exc:
            # No joint distribution over the schedules found meets the day's other rows
            # (a visibility floor at its very top, say): each team draws independently,
            # as before issue 10, and plan.json says so for the day.
            implementation = {"joint_rosters": False, "joint_note": str(exc)}
        else:
            solution, arc_flow, coverage, response, joint, implementation = implemented
            if route_choice is not None:  # each team's variants are its kept routes,
                # weighted as the draw uses them
                lotteries = _route_lotteries(graph, kept, implementation.pop("route_weights"))
    if lotteries is None:
        lotteries = decompose(graph, arc_flow)

    certificate = {
        **solution.certificate,
        **certify_routes(graph, lotteries),
        **implementation,
    }
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
        response_probability=response,
        expected_visibility=expected_visibility(targets.crowd, coverage, PASS_BY),
        joint=joint,
        seconds=time.perf_counter() - started,
        method=method,
        graph=graph,
        arc_flow=arc_flow,
        commodity_routes=lotteries,
        variants_cost=variants_cost,
    )
