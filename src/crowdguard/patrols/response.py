"""Response-time coverage: how likely an armed team is close enough to a venue.

For target ``t`` (venue ``v``, slot ``s``) a team is *within reach* when, in slot ``s``, its
route is at a node ``(p, s)`` whose travel to ``v`` is at most the target
(``scenario.patrol.response_target_minutes``, default 10 minutes): the road legs times the
team's ``travel_multiplier``, a ferry's wait and crossing as timetabled (a slow team does
not slow the ferry), by foot-passenger craft where the team's kind may take them. A team in
transit across a whole slot is counted as out of reach (conservative). The idea of scoring
patrols by response time follows van Aken, Schlicher, Slikker and van Houtum (*Naval
Research Logistics*, 2024), where damage grows with the armed team's response time.

Teams draw their routes independently (:mod:`crowdguard.patrols.sample`), so with ``p_j``
the probability that team ``j`` is within reach,
``P(some team within reach) = 1 - prod_j (1 - p_j)``: **exact** under that independence.
For a commodity of ``n`` teams with flow ``f`` through reaching nodes, ``p_j = f / n``.

**Floor constraint.** Since ``1 - p <= exp(-p)``,
``1 - prod (1 - p_j) >= 1 - exp(-sum_j p_j)``. Requiring the covering flow within reach,
``sum_j p_j``, to be at least ``-ln(1 - floor)`` is a linear constraint on the flow that
guarantees the probability is at least ``floor`` (sufficient, slightly conservative: with
``n`` teams able to reach a venue, floors above ``1 - exp(-n)`` cannot be asked for there).
The floor applies in the slots where some team is on shift; outside every shift there is no
patrol to place.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import PlanError
from crowdguard.patrols.graph import PatrolGraph
from crowdguard.patrols.travel import TravelTimes

__all__ = [
    "reach_matrix",
    "response_floor_rows",
    "response_floor_targets",
    "response_probability",
]


def reach_matrix(graph: PatrolGraph, travel: TravelTimes, target_minutes: float) -> sp.csr_matrix:
    """``R[t, a] = 1`` when arc ``a`` enters a node within reach of target ``t`` in its slot."""
    venue_idx = np.array([travel.index(v) for v in graph.target_venue])
    # Each commodity's own minutes: road legs x its kind's multiplier, a ferry's wait and
    # crossing as timetabled (:meth:`TravelTimes.for_team`), foot craft for foot teams.
    profiles = sorted({(c.profile.travel_multiplier, c.profile.on_foot) for c in graph.commodities})
    minutes = np.stack([travel.for_team(m, on_foot=foot) for m, foot in profiles or [(1.0, False)]])
    of_comm = np.array(
        [
            profiles.index((c.profile.travel_multiplier, c.profile.on_foot))
            for c in graph.commodities
        ]
        or [0]
    )
    rows, cols = [], []
    head_slot = graph.node_slot[graph.arc_head]
    head_place = graph.node_place[graph.arc_head]
    head_profile = of_comm[graph.node_commodity[graph.arc_head]]
    by_slot: dict[int, np.ndarray] = {}
    for t in range(graph.n_targets):
        s = int(graph.target_slot[t])
        if s not in by_slot:
            by_slot[s] = np.flatnonzero(head_slot == s)
        arcs = by_slot[s]
        close = minutes[head_profile[arcs], head_place[arcs], venue_idx[t]] <= target_minutes
        chosen = arcs[close]
        rows.extend([t] * len(chosen))
        cols.extend(chosen.tolist())
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(graph.n_targets, graph.n_arcs))


def response_probability(
    graph: PatrolGraph, z: np.ndarray, travel: TravelTimes, target_minutes: float
) -> np.ndarray:
    """Per target, the probability some team is within ``target_minutes`` (exact, see above)."""
    reach = reach_matrix(graph, travel, target_minutes)
    miss = np.ones(graph.n_targets)
    head_comm = graph.node_commodity[graph.arc_head]
    for k, comm in enumerate(graph.commodities):
        mask = sp.diags((head_comm == k).astype(float))
        p = np.clip((reach @ mask @ z) / comm.size, 0.0, 1.0)
        miss *= (1 - p) ** comm.size
    return 1 - miss


def response_floor_targets(
    graph: PatrolGraph, crowd: np.ndarray, min_crowd: float = 0.0
) -> np.ndarray:
    """The targets a response floor binds: crowd at least ``min_crowd`` and some team on
    shift in the slot (outside every shift there is no patrol to place)."""
    on_shift = np.zeros(graph.n_targets, dtype=bool)
    for comm in graph.commodities:
        on_shift |= (graph.target_slot >= comm.first_slot) & (graph.target_slot <= comm.last_slot)
    return np.flatnonzero((np.asarray(crowd) >= min_crowd) & on_shift)


def response_floor_rows(
    graph: PatrolGraph,
    travel: TravelTimes,
    target_minutes: float,
    floor: float,
    crowd: np.ndarray,
    min_crowd: float = 0.0,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows ``-sum_j p_j <= ln(1 - floor)`` for targets with ``crowd >= min_crowd``.

    The floor binds only in slots where some team is on shift: outside every shift there is
    no patrol to place, so those venue-slots are left out (their probability is 0 and the
    report shows it). A target no team on shift can reach in its slot, or that too few teams
    can reach to meet the floor (``sum_j p_j <= teams within reach``), raises
    :class:`PlanError` naming the venue and time and the ways out.
    """
    if not 0 < floor < 1:
        raise PlanError(f"response_floor={floor}: expected a probability strictly between 0 and 1")
    reach = reach_matrix(graph, travel, target_minutes)
    sizes = np.array([c.size for c in graph.commodities], dtype=float)
    head_comm = graph.node_commodity[graph.arc_head]
    per_team = sp.diags(1.0 / sizes[head_comm])
    chosen = response_floor_targets(graph, crowd, min_crowd)
    needed = -math.log(1 - floor)
    reach_csr = sp.csr_matrix(reach)
    for t in chosen.tolist():
        arcs = reach_csr.indices[reach_csr.indptr[t] : reach_csr.indptr[t + 1]]
        reachable = sum(graph.commodities[k].size for k in np.unique(head_comm[arcs]).tolist())
        if reachable >= needed - 1e-9:
            continue
        when = graph.slot_start(int(graph.target_slot[t])).strftime("%H:%M")
        venue = graph.target_venue[t]
        crowd_there = f"expected crowd {float(crowd[t]):.0f}"
        if reachable == 0:
            raise PlanError(
                f"response_floor={floor:g}: no team on shift can be within "
                f"{target_minutes:g} min of venue {venue!r} in the {when} slot ({crowd_there}); "
                "raise --response-min-crowd above that crowd, or add a staging point or a "
                "shift nearer to it"
            )
        raise PlanError(
            f"response_floor={floor:g}: only {reachable} team(s) can be within "
            f"{target_minutes:g} min of venue {venue!r} in the {when} slot ({crowd_there}), "
            f"enough for a floor up to {1 - math.exp(-reachable):.2f}; lower the floor, raise "
            "--response-min-crowd above that crowd, or add teams nearer to it"
        )
    rows = -(reach[chosen] @ per_team)
    return sp.csr_matrix(rows), np.full(len(chosen), math.log(1 - floor))
