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
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from crowdguard.games.flow import CoveragePolytope
from crowdguard.patrols.decompose import Route
from crowdguard.patrols.graph import PatrolGraph

__all__ = ["RouteMenu", "draw_roster", "restricted_polytope"]


class RouteMenu(Protocol):
    """What a roster is drawn from (``DayPlan`` satisfies it)."""

    @property
    def date(self) -> str: ...
    @property
    def team_bases(self) -> Mapping[str, str]: ...
    @property
    def routes(self) -> Mapping[str, Sequence[tuple[float, list[dict[str, Any]]]]]: ...


def draw_roster(day_plan: RouteMenu, rng: random.Random) -> dict[str, Any]:
    """One day's roster in the ``rosters/YYYY-MM-DD.json`` contract.

    ``rng`` is a :class:`random.Random` (``secrets.SystemRandom()`` for operational use).
    """
    teams = []
    for team, options in day_plan.routes.items():
        weights = [w for w, _ in options]
        choice = rng.choices(range(len(options)), weights=weights, k=1)[0]
        teams.append(
            {
                "team": team,
                "base": day_plan.team_bases[team],
                "segments": [dict(s) for s in options[choice][1]],
            }
        )
    return {"date": day_plan.date, "teams": teams}


def restricted_polytope(
    graph: PatrolGraph,
    arc_polytope: CoveragePolytope,
    routes: list[list[Route]],
    max_variants: int,
) -> tuple[CoveragePolytope, list[Route]]:
    """The polytope of weights over each commodity's ``max_variants`` heaviest routes.

    Every team of a commodity draws from the same lottery, so each team has at most
    ``max_variants`` routes. Variables are route weights in flow units (per commodity they
    sum to its number of teams); the arc flow is ``M w`` with ``M[a, j] = 1`` when route
    ``j`` uses arc ``a``, so the arc polytope's coverage map and extra rows (floors,
    overrides) carry over as ``C M`` and ``A M``. Returns the polytope and the kept routes
    in variable order.
    """
    flat: list[Route] = []
    for comm_routes in routes:
        flat.extend(sorted(comm_routes, key=lambda r: -r.probability)[:max_variants])
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
    return polytope, flat
