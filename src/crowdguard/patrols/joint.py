"""Joint rosters: a distribution over whole-force schedules that delivers the certified coverage.

The equilibrium is a coverage vector ``c = C z`` over venue-slots, where ``z`` adds the
teams' flows. Drawing each team's route independently (TRUSTS, Yin et al., IAAI 2012,
section 5) reproduces each team's flow, but two teams at one place do not protect it twice,
and independent draws put two teams at one place as often as chance says: the protection
delivered, ``1 - prod_k (1 - e_k p_k)``, falls short of the certified ``sum_k e_k p_k``
(issue 10 measured 0.90 certified, 0.67 delivered at the best-covered places). This is the
implementability problem of marginal strategies (Korzhyk, Conitzer and Parr, "Complexity
of Computing Optimal Stackelberg Strategies in Security Resource Allocation Games", AAAI
2010); ASPEN (Jain, Kardes, Kiekintveld, Ordóñez and Tambe, "Security Games with Arbitrary
Schedules: A Branch and Price Approach", AAAI 2010) answers it by optimising over joint
schedules with column generation.

We do the same, after the equilibrium: a **joint schedule** ``x`` is an integer flow of
every commodity on the day's patrol graph in which each venue-slot holds at most one team's
presence (``sum_k e_k inflow_k(t) <= 1``: the capacity row the equilibrium LP already
has). Its protection of venue-slot ``t`` is exactly ``(C x)_t``, since no two teams are
ever counted together. We look for weights ``p_j`` on joint schedules with

    sum_j p_j C x_j = c,  sum_j p_j = 1,  p >= 0,

by column generation on the phase-one LP ``min sum |residual|``: the restricted master is
an LP over the schedules found so far; its duals ``pi`` (per venue-slot) and ``mu`` price
a new schedule by the MILP ``max pi . C x`` over integer flows with the capacity rows
(HiGHS). When the residual reaches zero, the rosters drawn from ``p`` protect every
venue-slot with probability exactly ``c_t``, computed from the distribution itself: the
certificate checks the equilibrium against that. When the pricing finds no improving
schedule while a residual remains, no joint distribution delivers ``c`` (the marginals are
not implementable): the caller is told the gap, and certifies what the distribution does
deliver.

A worked example with two teams sharing a place is in ``docs/theory/patrols.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from crowdguard.games._quiet import quiet_stdout
from crowdguard.games.flow import CoveragePolytope
from crowdguard.patrols.decompose import Route, route_segments
from crowdguard.patrols.graph import PatrolGraph
from crowdguard.patrols.roster import Segment

__all__ = [
    "JointOption",
    "JointSchedules",
    "joint_options",
    "joint_response",
    "joint_schedules",
    "pool_polytope",
    "reweighted",
    "schedule_routes",
]

STALL = 25
"""Iterations over which the residual must fall by 2% for the column generation to go on."""

EXACT = 1e-7
"""Largest coverage residual (absolute, per venue-slot) counted as delivered exactly."""


@dataclass(frozen=True)
class JointSchedules:
    """Weights over whole-force schedules (integer arc flows) and what they deliver."""

    weights: np.ndarray
    """``p_j``, summing to 1 (zeros kept: every schedule the column generation found)."""
    flows: list[np.ndarray]
    """``x_j``: integer arc flows of every commodity, one per schedule."""
    delivered: np.ndarray
    """``sum_j p_j C x_j``: the probability each venue-slot is protected, exactly."""
    gap: float
    """Largest ``|delivered - planned|`` over the venue-slots (0 when implementable)."""
    exact: bool
    columns: int
    seconds: float

    @property
    def arc_flow(self) -> np.ndarray:
        """Expected flow on every arc under the distribution."""
        total: np.ndarray = np.sum(
            [w * x for w, x in zip(self.weights, self.flows, strict=True)], axis=0
        )
        return total


class _Pricing:
    """The pricing MILP: an integer schedule of every commodity, one team per venue-slot."""

    def __init__(
        self,
        polytope: CoveragePolytope,
        time_limit: float,
        allowed: np.ndarray | None,
        reach: sp.csr_matrix | None,
    ) -> None:
        cov = polytope.coverage.tocsr()
        n_arcs = polytope.n_vars
        n_y = 0 if reach is None else reach.shape[0]
        upper = polytope.upper if allowed is None else np.where(allowed, polytope.upper, 0.0)
        blocks = [
            sp.hstack([polytope.a_eq, sp.csr_matrix((polytope.a_eq.shape[0], n_y))]),
            sp.hstack([cov, sp.csr_matrix((cov.shape[0], n_y))]),
        ]
        if reach is not None:  # y_t <= teams within reach of t: y_t is "someone in reach"
            blocks.append(sp.hstack([-reach, sp.identity(n_y, format="csr")]))
        # the polytope's own rows (operational limits, issue 11): every schedule meets them
        extra = 0 if polytope.a_ub is None or polytope.b_ub is None else polytope.a_ub.shape[0]
        if extra:
            blocks.append(sp.hstack([polytope.a_ub, sp.csr_matrix((extra, n_y))]))
        matrix = sp.vstack(blocks).tocsc()
        inf = highspy.kHighsInf
        model = highspy.HighsLp()
        model.num_col_ = n_arcs + n_y
        model.num_row_ = matrix.shape[0]
        model.col_cost_ = np.zeros(n_arcs + n_y)
        model.col_lower_ = np.concatenate([polytope.lower, np.zeros(n_y)])
        model.col_upper_ = np.concatenate([np.where(np.isinf(upper), inf, upper), np.ones(n_y)])
        model.row_lower_ = np.concatenate(
            [polytope.b_eq, np.full(cov.shape[0], -inf), np.full(n_y, -inf), np.full(extra, -inf)]
        )
        model.row_upper_ = np.concatenate(
            [polytope.b_eq, np.ones(cov.shape[0]), np.zeros(n_y)]
            + ([np.asarray(polytope.b_ub)] if extra else [])
        )
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = matrix.indptr
        model.a_matrix_.index_ = matrix.indices
        model.a_matrix_.value_ = matrix.data
        model.integrality_ = [highspy.HighsVarType.kInteger] * (n_arcs + n_y)
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
            self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("mip_rel_gap", 1e-9)
        self.time_limit = time_limit
        self.highs.passModel(model)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.cov = cov
        self.n_arcs = n_arcs
        self.n_y = n_y

    def best(
        self, prices: np.ndarray, floor_prices: np.ndarray | None = None
    ) -> tuple[np.ndarray, float] | None:
        """The schedule maximising ``prices . C x + floor_prices . y`` (``y_t``: some team
        within reach of floor target ``t``) and that value (``None``: none found)."""
        costs = np.concatenate(
            [self.cov.T @ prices, np.zeros(self.n_y) if floor_prices is None else floor_prices]
        )
        n = self.n_arcs + self.n_y
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self.time_limit)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.rint(np.asarray(self.highs.getSolution().col_value))
        return x[: self.n_arcs], float(costs @ x)


class _GreedyPricing:
    """Fast pricing by shortest paths: teams routed one after another, each along its most
    valuable path through the venue-slots the teams before it left free.

    A heuristic (the cap rows couple the teams, so exact pricing is a MILP), used as column
    generation uses one (Desrosiers and Lübbecke, "A Primer in Column Generation", in
    *Column Generation*, Springer 2005): every schedule it returns is a valid column, and
    only when none of them improves the master is the exact MILP (:class:`_Pricing`)
    asked, so the column generation stops where it would with the MILP alone. A path is a
    shortest path on the team's DAG with arc lengths ``M (tau(head) - tau(tail)) -
    value(arc)`` (``tau``: the node's slot; the source just before the shift, the sink just
    after it). Every path from source to sink gets the same ``M (tau(sink) - tau(source))``,
    so the shortest path is the most valuable; with ``M`` above every value the lengths are
    positive and Dijkstra's algorithm applies (SciPy's ``csgraph``, in C). A team over its
    transit budget (the polytope's rows, issue 11) is re-routed with each minute in transit
    charged at a doubling price (a Lagrangian penalty on the budget row) until it fits; a
    route that stays at base always fits.
    """

    ORDERS = 3
    """Team orders tried per round (as listed, reversed, one shuffle): up to that many
    columns per round."""

    def __init__(
        self, graph: PatrolGraph, polytope: CoveragePolytope, allowed: np.ndarray | None
    ) -> None:
        self.cov = polytope.coverage.tocsr()
        self.n_arcs = polytope.n_vars
        self.head_target = graph.node_target[graph.arc_head]
        self.minutes = graph.arc_minutes.astype(float)
        self.a_ub = None if polytope.a_ub is None else polytope.a_ub.tocsr()
        self.b_ub = None if polytope.b_ub is None else np.asarray(polytope.b_ub, dtype=float)
        self.allowed = np.ones(self.n_arcs, dtype=bool) if allowed is None else allowed
        self.usable = True
        tail_comm = graph.node_commodity[graph.arc_tail]
        slot = graph.node_slot.astype(float)
        self.commodities: list[dict[str, Any]] = []
        self.team_of: list[int] = []
        for k, comm in enumerate(graph.commodities):
            arcs = np.flatnonzero(tail_comm == k)
            nodes, local = np.unique(
                np.concatenate([graph.arc_tail[arcs], graph.arc_head[arcs]]), return_inverse=True
            )
            tail, head = local[: len(arcs)], local[len(arcs) :]
            tau = slot[nodes]
            tau[nodes == graph.source[k]] = comm.first_slot - 1
            tau[nodes == graph.sink[k]] = comm.last_slot + 1
            span = tau[head] - tau[tail]
            keys = tail.astype(np.int64) * len(nodes) + head
            if np.any(span < 1) or len(np.unique(keys)) < len(keys):
                self.usable = False  # not in slot order, or parallel arcs: the MILP only
            order = np.argsort(keys)
            # the commodity's DAG as a CSR matrix built once: rows sorted by tail, then head
            # (the key order); each pricing only rewrites its lengths
            indptr = np.searchsorted(tail[order], np.arange(len(nodes) + 1)).astype(np.int32)
            source = int(np.searchsorted(nodes, graph.source[k]))
            sink = int(np.searchsorted(nodes, graph.sink[k]))
            per_team = None
            if self.a_ub is not None and self.b_ub is not None and k < len(self.b_ub):
                per_team = float(self.b_ub[k]) / comm.size
            self.commodities.append(
                {
                    "arcs": arcs,
                    "span": span,
                    "keys": keys[order],
                    "order": order,
                    "indptr": indptr,
                    "indices": head[order].astype(np.int32),
                    "by_key": arcs[order],
                    "n": len(nodes),
                    "source": source,
                    "sink": sink,
                    "effect": comm.profile.effectiveness,
                    "budget": per_team,
                }
            )
            self.team_of.extend([k] * comm.size)
        self.rounds = 0

    def _path(self, k: int, value: np.ndarray, free: np.ndarray) -> np.ndarray | None:
        """The arcs of team ``k``'s most valuable path over arcs ``free`` (None: none)."""
        c = self.commodities[k]
        arcs = c["arcs"]
        ok = free[arcs]
        if not ok.any():
            return None
        price = 0.0
        for _ in range(12):
            w = value[arcs] - price * self.minutes[arcs]
            big = max(float(np.max(w[ok], initial=0.0)), 0.0) + 1.0
            length = big * c["span"] - w
            # arcs into a taken venue-slot stay in the matrix, longer than all free arcs
            # together: a path through free arcs only is always shorter than one using them
            barred = float(np.sum(length[ok])) + 1.0
            length[~ok] = barred
            matrix = sp.csr_matrix(
                (length[c["order"]], c["indices"], c["indptr"]), shape=(c["n"],) * 2
            )
            dist, pred = dijkstra(
                matrix, directed=True, indices=c["source"], return_predecessors=True
            )
            if not dist[c["sink"]] < barred:
                return None
            nodes = [c["sink"]]
            while nodes[-1] != c["source"]:
                nodes.append(int(pred[nodes[-1]]))
            steps = np.array(nodes[::-1], dtype=np.int64)
            keys = steps[:-1] * c["n"] + steps[1:]
            path: np.ndarray = c["by_key"][np.searchsorted(c["keys"], keys)]
            if c["budget"] is None or self.minutes[path].sum() <= c["budget"] + 1e-9:
                return path
            # over the transit budget: charge transit more (first at the value of a slot)
            price = max(2.0 * price, float(np.max(np.abs(value[arcs]))) / 60.0 + 1e-6)
        return None

    def best(
        self, prices: np.ndarray, floor_prices: np.ndarray | None, reach: sp.csr_matrix | None
    ) -> list[tuple[np.ndarray, float]]:
        """Up to :data:`ORDERS` schedules, each with its value ``prices . C x`` (plus the
        floor prices of the targets it reaches)."""
        value = np.asarray(self.cov.T @ prices)
        teams = list(range(len(self.team_of)))
        shuffled = np.random.default_rng(self.rounds).permutation(len(teams)).tolist()
        self.rounds += 1
        found: list[tuple[np.ndarray, float]] = []
        for order in (teams, teams[::-1], shuffled)[: self.ORDERS]:
            room = np.ones(self.cov.shape[0])
            x = np.zeros(self.n_arcs)
            for team in order:
                k = self.team_of[team]
                effect = self.commodities[k]["effect"]
                blocked = self.head_target >= 0
                blocked[blocked] = room[self.head_target[blocked]] < effect - 1e-12
                path = self._path(k, value, self.allowed & ~blocked)
                if path is None:
                    break
                x[path] += 1.0
                hit = self.head_target[path]
                room[hit[hit >= 0]] -= effect
            else:
                over = self.a_ub is not None and self.b_ub is not None
                if over and np.any(self.a_ub @ x > self.b_ub + 1e-6):  # type: ignore[operator]
                    continue
                total = float(value @ x)
                if reach is not None and floor_prices is not None:
                    total += float(floor_prices @ ((reach @ x) > 0.5))
                found.append((x, total))
        return found


class _Master:
    """Phase one over the schedules found: ``min sum(s+ + s-) + sum(u)`` with
    ``C X p + s+ - s- = c`` and, for a response floor, ``R X p + u >= floor`` (``R X p``: the
    probability some team is within reach)."""

    def __init__(self, target: np.ndarray, n_floor: int = 0, floor: float = 0.0) -> None:
        n = len(target)
        inf = highspy.kHighsInf
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
            self.highs.setOptionValue("output_flag", False)
        # New columns leave the basis primal feasible: primal simplex from it.
        self.highs.setOptionValue("simplex_strategy", 4)
        # rows: n coverage rows, then the convexity row
        self.highs.addRows(
            n + 1,
            np.append(target, 1.0),
            np.append(target, 1.0),
            0,
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        if n_floor:
            self.highs.addRows(
                n_floor,
                np.full(n_floor, floor),
                np.full(n_floor, inf),
                0,
                np.zeros(0, dtype=np.int32),
                np.zeros(0, dtype=np.int32),
                np.zeros(0),
            )
        eye = np.arange(n, dtype=np.int32)
        for sign in (1.0, -1.0):  # slack columns s+ and s-
            self.highs.addCols(
                n,
                np.ones(n),
                np.zeros(n),
                np.full(n, inf),
                n,
                eye,
                eye,
                np.full(n, sign),
            )
        floor_rows = np.arange(n + 1, n + 1 + n_floor, dtype=np.int32)
        if n_floor:  # slack u of the floor rows
            self.highs.addCols(
                n_floor,
                np.ones(n_floor),
                np.zeros(n_floor),
                np.full(n_floor, inf),
                n_floor,
                np.arange(n_floor, dtype=np.int32),
                floor_rows,
                np.ones(n_floor),
            )
        self.n = n
        self.n_floor = n_floor
        self.columns = 0

    def add(self, column: np.ndarray, reached: np.ndarray | None = None) -> None:
        rows = np.flatnonzero(np.abs(column) > 1e-12)
        values = np.append(column[rows], 1.0)
        index = np.append(rows, self.n)
        if reached is not None:
            hit = np.flatnonzero(reached)
            index = np.append(index, self.n + 1 + hit)
            values = np.append(values, np.ones(len(hit)))
        self.highs.addCol(0.0, 0.0, highspy.kHighsInf, len(index), index.astype(np.int32), values)
        self.columns += 1

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray]:
        """Objective, coverage duals, convexity dual, floor duals, schedule weights."""
        self.highs.run()
        solution = self.highs.getSolution()
        duals = np.asarray(solution.row_dual)
        values = np.asarray(solution.col_value)
        return (
            float(self.highs.getInfo().objective_function_value),
            duals[: self.n],
            float(duals[self.n]),
            duals[self.n + 1 :],
            values[2 * self.n + self.n_floor :],
        )


def joint_schedules(
    polytope: CoveragePolytope,
    planned: np.ndarray,
    *,
    support: np.ndarray | None = None,
    floor: tuple[sp.csr_matrix, float] | None = None,
    time_limit: float = 120.0,
    max_columns: int = 2000,
    graph: PatrolGraph | None = None,
    widen: bool = False,
) -> JointSchedules:
    """Weights over joint schedules whose protection equals ``planned`` (module docstring).

    ``polytope`` is the day's flow polytope (conservation, supplies, coverage map);
    ``planned`` the certified coverage. ``support``: the equilibrium's arc flow; schedules
    then use only arcs it uses (the routes its path decomposition would draw), which keeps
    the pricing MILP small. ``floor``: ``(R, f)``, the reach rows of the targets a response
    floor binds (:func:`crowdguard.patrols.response.reach_matrix`) and the floor ``f``: the
    probability that some team is within reach, computed over the schedules, must be at
    least ``f`` there too. Stops when the residual is below :data:`EXACT`,
    when no schedule improves it (not implementable: ``exact`` is False and ``gap`` says
    by how much), or at ``time_limit`` / ``max_columns`` (also reported through ``gap``).
    ``graph``: the polytope's patrol graph; with it, schedules are first priced by shortest
    paths (:class:`_GreedyPricing`) and the MILP is solved only when those do not improve
    the master. ``widen``: when no mixture over the support's arcs delivers ``planned``, go
    on over the whole graph (only when no other rows bind the arc flows: the certified
    quantity is the coverage).
    """
    started = time.perf_counter()
    reach = None if floor is None else floor[0].tocsr()
    allowed = None if support is None else support > 1e-9
    greedy = None if graph is None else _GreedyPricing(graph, polytope, allowed)
    if greedy is not None and not greedy.usable:
        greedy = None
    exact: _Pricing | None = None

    def milp() -> _Pricing:
        nonlocal exact
        if exact is None:
            exact = _Pricing(polytope, time_limit, allowed, reach)
        return exact

    master = _Master(
        planned, 0 if reach is None else reach.shape[0], 0.0 if floor is None else floor[1]
    )
    flows: list[np.ndarray] = []
    seen: set[bytes] = set()
    cov = polytope.coverage.tocsr()

    def add(flow: np.ndarray) -> bool:
        key = np.rint(flow).astype(np.int32).tobytes()
        if key in seen:
            return False
        seen.add(key)
        flows.append(flow)
        master.add(cov @ flow, None if reach is None else (reach @ flow) > 0.5)
        return True

    start_prices = None if reach is None else np.ones(reach.shape[0])
    starts = [] if greedy is None else greedy.best(planned, start_prices, reach)
    first = starts[0] if starts else milp().best(planned, start_prices)
    if first is None and allowed is not None:
        # the equilibrium's arcs hold no schedule in which teams never stack (its flows
        # share places fractionally): price over the whole graph instead
        allowed = None
        exact = None
        greedy = None
        first = milp().best(planned, start_prices)
    if first is None:
        raise RuntimeError("joint schedules: the patrol graph holds no integer schedule")
    for flow, _ in [first, *starts[1:]]:
        add(flow)
    weights = np.ones(1)
    history: list[float] = []
    while True:
        objective, pi, mu, sigma, weights = master.solve()
        history.append(objective)
        if objective <= EXACT:
            break
        if len(flows) >= max_columns or time.perf_counter() - started > time_limit:
            break
        improved = False
        if len(history) <= STALL or objective <= 0.98 * history[-STALL - 1]:
            floor_prices = sigma if reach is not None else None
            cheap = [] if greedy is None else greedy.best(pi, floor_prices, reach)
            improved = sum(add(flow) for flow, value in cheap if value + mu > 1e-9) > 0
            if not improved:
                found = milp().best(pi, floor_prices)
                improved = found is not None and found[1] + mu > 1e-9 and add(found[0])
        if improved:
            continue
        if not (widen and allowed is not None):
            break  # no schedule improves the residual (or it stalled): not implementable
        # No mixture of schedules on the equilibrium's own arcs delivers the coverage:
        # schedules may use any arc of the graph (the coverage, not the arcs, is certified).
        allowed, exact, history = None, None, []
        if graph is not None and greedy is not None:
            greedy = _GreedyPricing(graph, polytope, None)
    weights = np.clip(weights, 0.0, None)
    weights = weights / weights.sum()
    return _result(cov, flows, weights, planned, started)


def _result(
    cov: sp.csr_matrix,
    flows: list[np.ndarray],
    weights: np.ndarray,
    planned: np.ndarray,
    started: float,
) -> JointSchedules:
    delivered = np.clip(
        np.sum([w * (cov @ x) for w, x in zip(weights, flows, strict=True)], axis=0), 0.0, 1.0
    )
    gap = float(np.max(np.abs(delivered - planned), initial=0.0))
    return JointSchedules(
        weights=weights,
        flows=flows,
        delivered=delivered,
        gap=gap,
        exact=gap <= EXACT * 10,
        columns=len(flows),
        seconds=time.perf_counter() - started,
    )


def reweighted(
    schedules: JointSchedules,
    polytope: CoveragePolytope,
    weights: np.ndarray,
    planned: np.ndarray,
) -> JointSchedules:
    """The same schedules with new weights (the game re-solved over them, when the flow
    equilibrium is not implementable); ``gap`` is then measured against ``planned``."""
    weights = np.clip(weights, 0.0, None)
    started = time.perf_counter() - schedules.seconds
    return _result(
        polytope.coverage.tocsr(), schedules.flows, weights / weights.sum(), planned, started
    )


def schedule_routes(graph: PatrolGraph, flow: np.ndarray) -> list[list[Route]]:
    """The routes of one joint schedule: per commodity, one path per team (integer flow
    decomposition; a commodity of ``n`` teams gives ``n`` paths, in no particular order)."""
    routes: list[list[Route]] = []
    residual = np.rint(flow).astype(np.int64)
    outgoing: dict[int, list[int]] = {}
    for arc in np.flatnonzero(residual > 0).tolist():
        outgoing.setdefault(int(graph.arc_tail[arc]), []).append(arc)
    for k, comm in enumerate(graph.commodities):
        paths = []
        for _ in range(comm.size):
            node, arcs = int(graph.source[k]), []
            while node != int(graph.sink[k]):
                arc = next(a for a in outgoing[node] if residual[a] > 0)
                residual[arc] -= 1
                arcs.append(arc)
                node = int(graph.arc_head[arc])
            paths.append(Route(k, 1.0, tuple(arcs)))
        routes.append(paths)
    return routes


@dataclass(frozen=True)
class JointOption:
    """One whole-force schedule a roster can be drawn as, with its probability.

    ``groups``: per commodity (teams sharing a base, kind and shift), its call signs and one
    route (roster segments) per team. Which team of a group walks which route is drawn
    uniformly at the roster draw, so teams of one group are interchangeable.
    """

    weight: float
    groups: tuple[tuple[tuple[str, ...], tuple[tuple[Segment, ...], ...]], ...]


def joint_options(graph: PatrolGraph, schedules: JointSchedules) -> list[JointOption]:
    """The drawable form of ``schedules``: per schedule, each commodity's routes as segments."""
    options = []
    for weight, flow in zip(schedules.weights, schedules.flows, strict=True):
        if weight <= 1e-12:
            continue
        groups = []
        for k, paths in enumerate(schedule_routes(graph, flow)):
            segments = tuple(route_segments(graph, path) for path in paths)
            groups.append((tuple(graph.commodities[k].teams), segments))
        options.append(JointOption(float(weight), tuple(groups)))
    return options


def joint_response(schedules: JointSchedules, reach: sp.csr_matrix) -> np.ndarray:
    """Per target, the probability some team is within reach, exactly over the schedules
    (``reach[t, a] = 1`` when arc ``a`` ends within reach of ``t`` in its slot,
    :func:`crowdguard.patrols.response.reach_matrix`)."""
    total = np.zeros(reach.shape[0])
    for weight, flow in zip(schedules.weights, schedules.flows, strict=True):
        if weight > 0:
            total += weight * ((reach @ flow) > 0.5)
    return total


def pool_polytope(polytope: CoveragePolytope, flows: list[np.ndarray]) -> CoveragePolytope:
    """The mixtures of the given joint schedules as a polytope over their weights: the
    restricted master problem of ASPEN (Jain et al., AAAI 2010), for solving the game over
    what can actually be drawn when the flow equilibrium is not implementable."""
    columns = sp.csc_matrix(np.column_stack([polytope.coverage @ x for x in flows]))
    m = len(flows)
    return CoveragePolytope(
        coverage=columns.tocsr(),
        a_eq=sp.csr_matrix(np.ones((1, m))),
        b_eq=np.ones(1),
        lower=np.zeros(m),
        upper=np.ones(m),
    )
