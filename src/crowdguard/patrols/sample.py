"""Drawing a day's roster from the route lotteries, and capping route variants.

``draw_roster`` picks one route per team, independently, with the probabilities of the path
decomposition (Yin et al., TRUSTS, IAAI 2012, section 5): the expected presence of every
team at every venue-slot is then exactly the equilibrium flow. Operational draws pass
``secrets.SystemRandom()``; reproducible ones pass ``random.Random(seed)``.

``restricted_polytope`` supports "at most k variants per team": the strategy space becomes
the weights of each team's top-k routes (by probability) and the SSE is re-solved over it
(the restricted master problem of column generation, as in ASPEN, Jain et al., AAAI 2010);
the caller reports the utility lost.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from crowdguard.games.flow import CoveragePolytope
from crowdguard.patrols.decompose import Route
from crowdguard.patrols.graph import PatrolGraph
from crowdguard.patrols.joint import JointOption
from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster

__all__ = ["RouteMenu", "draw_roster", "restricted_polytope"]


class RouteMenu(Protocol):
    """What a roster is drawn from (``DayPlan`` satisfies it)."""

    @property
    def date(self) -> str: ...
    @property
    def team_bases(self) -> Mapping[str, str]: ...
    @property
    def routes(self) -> Mapping[str, Sequence[tuple[float, tuple[Segment, ...]]]]: ...
    @property
    def joint(self) -> Sequence[JointOption]: ...


def draw_roster(day_plan: RouteMenu, rng: random.Random) -> DayRoster:
    """One day's roster (:class:`~crowdguard.patrols.roster.DayRoster`).

    ``rng`` is a :class:`random.Random` (``secrets.SystemRandom()`` for operational use).
    With joint schedules (:mod:`crowdguard.patrols.joint`) one whole-force schedule is drawn
    with its probability, and within each group of interchangeable teams (same base, kind
    and shift) the routes are dealt to the teams in a random order; otherwise each team
    draws its own route.
    """
    if day_plan.joint:
        return _draw_joint(day_plan, rng)
    teams = []
    for team, options in day_plan.routes.items():
        weights = [w for w, _ in options]
        choice = rng.choices(range(len(options)), weights=weights, k=1)[0]
        teams.append(
            TeamRoster(team=team, base=day_plan.team_bases[team], segments=options[choice][1])
        )
    return DayRoster.of(day_plan.date, teams)


def _draw_joint(day_plan: RouteMenu, rng: random.Random) -> DayRoster:
    options = day_plan.joint
    chosen = options[rng.choices(range(len(options)), weights=[o.weight for o in options])[0]]
    segments: dict[str, list[Segment]] = {team: [] for team in day_plan.routes}
    for group_teams, routes in chosen.groups:
        dealt = list(routes)
        rng.shuffle(dealt)
        for team, route in zip(group_teams, dealt, strict=True):
            segments.setdefault(team, []).extend(route)
    return DayRoster.of(
        day_plan.date,
        (
            TeamRoster(
                team=team,
                base=day_plan.team_bases[team],
                segments=tuple(sorted(parts, key=lambda s: s.start)),
            )
            for team, parts in segments.items()
        ),
    )


def restricted_polytope(
    graph: PatrolGraph,
    arc_polytope: CoveragePolytope,
    routes: list[list[Route]],
    max_variants: int,
) -> tuple[CoveragePolytope, list[Route], sp.csr_matrix]:
    """The polytope of weights over each commodity's ``max_variants`` heaviest routes.

    Every team of a commodity draws from the same lottery, so each team has at most
    ``max_variants`` routes. The first variant of each commodity is its heaviest route that
    fits beside the first variants already chosen (else the stay-at-base route), so the
    restricted problem is never infeasible because heavy routes collide. Variables are route weights in flow units (per commodity they
    sum to its number of teams); the arc flow is ``M w`` with ``M[a, j] = 1`` when route
    ``j`` uses arc ``a``, so the arc polytope's coverage map and extra rows (floors,
    overrides) carry over as ``C M`` and ``A M``. Returns the polytope, the kept routes in
    variable order, and ``M``.
    """
    flat: list[Route] = []
    load = np.zeros(graph.n_targets)
    for k, comm_routes in enumerate(routes):
        eff = graph.commodities[k].profile.effectiveness
        ranked = sorted(comm_routes, key=lambda r: -r.probability)
        # First a route that fits beside the teams already placed, so that one pure
        # profile (every team on its first variant) never over-covers a venue-slot.
        first = next((r for r in ranked if _fits(graph, r, load, eff)), None)
        if first is None:
            first = _base_route(graph, k)
        for t in _targets_of(graph, first):
            load[t] += eff
        others = [r for r in ranked if r is not first][: max_variants - 1]
        flat.extend([first, *others])
    rows = [a for r in flat for a in r.arcs]
    cols = [j for j, r in enumerate(flat) for _ in r.arcs]
    route_arcs = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(graph.n_arcs, len(flat)))
    a_eq = sp.csr_matrix(
        (np.ones(len(flat)), ([r.commodity for r in flat], np.arange(len(flat)))),
        shape=(len(graph.commodities), len(flat)),
    )
    b_eq = np.array([c.size for c in graph.commodities], dtype=float)
    upper = np.array([graph.commodities[r.commodity].size for r in flat], dtype=float)
    a_ub = None if arc_polytope.a_ub is None else (arc_polytope.a_ub @ route_arcs).tocsr()
    polytope = CoveragePolytope(
        (arc_polytope.coverage @ route_arcs).tocsr(),
        a_eq,
        b_eq,
        np.zeros(len(flat)),
        upper,
        a_ub,
        arc_polytope.b_ub,
    )
    return polytope, flat, route_arcs


def _targets_of(graph: PatrolGraph, route: Route) -> list[int]:
    return [int(graph.node_target[v]) for v in route.nodes(graph) if graph.node_target[v] >= 0]


def _fits(graph: PatrolGraph, route: Route, load: np.ndarray, eff: float) -> bool:
    return all(load[t] + eff <= 1 + 1e-9 for t in _targets_of(graph, route))


def _base_route(graph: PatrolGraph, k: int) -> Route:
    """The route that stays at base all shift (always in the graph)."""
    node = int(graph.source[k])
    arcs: list[int] = []
    while node != int(graph.sink[k]):
        out = np.flatnonzero(
            (graph.arc_tail == node) & (graph.node_place[graph.arc_head] == graph.node_place[node])
        )
        if len(out) == 0:  # pragma: no cover - base stays are never pruned
            raise ValueError(f"commodity {graph.commodities[k].name}: no stay-at-base route")
        arc = int(out[np.argmin(graph.node_slot[graph.arc_head[out]])])
        arcs.append(arc)
        node = int(graph.arc_head[arc])
    return Route(k, 0.0, tuple(arcs))
