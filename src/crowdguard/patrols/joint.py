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

import highspy
import numpy as np
import scipy.sparse as sp

from crowdguard.games._quiet import quiet_stdout
from crowdguard.games.flow import CoveragePolytope
from crowdguard.patrols.decompose import Route
from crowdguard.patrols.graph import PatrolGraph

__all__ = ["JointSchedules", "joint_schedules", "schedule_routes"]

EXACT = 1e-7
"""Largest coverage residual (absolute, per venue-slot) counted as delivered exactly."""


@dataclass(frozen=True)
class JointSchedules:
    """Weights over whole-force schedules (integer arc flows) and what they deliver."""

    weights: np.ndarray
    """``p_j``, summing to 1."""
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
        self, polytope: CoveragePolytope, time_limit: float, allowed: np.ndarray | None
    ) -> None:
        cov = polytope.coverage.tocsr()
        n_arcs = polytope.n_vars
        upper = polytope.upper if allowed is None else np.where(allowed, polytope.upper, 0.0)
        matrix = sp.vstack([polytope.a_eq, cov]).tocsc()
        inf = highspy.kHighsInf
        model = highspy.HighsLp()
        model.num_col_ = n_arcs
        model.num_row_ = matrix.shape[0]
        model.col_cost_ = np.zeros(n_arcs)
        model.col_lower_ = polytope.lower
        model.col_upper_ = np.where(np.isinf(upper), inf, upper)
        model.row_lower_ = np.concatenate([polytope.b_eq, np.full(cov.shape[0], -inf)])
        model.row_upper_ = np.concatenate([polytope.b_eq, np.ones(cov.shape[0])])
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = matrix.indptr
        model.a_matrix_.index_ = matrix.indices
        model.a_matrix_.value_ = matrix.data
        model.integrality_ = [highspy.HighsVarType.kInteger] * n_arcs
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
            self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("mip_rel_gap", 1e-9)
        self.time_limit = time_limit
        self.highs.passModel(model)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.cov = cov
        self.n_arcs = n_arcs

    def best(self, prices: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The schedule maximising ``prices . C x`` and that value (``None``: none found)."""
        costs = self.cov.T @ prices
        self.highs.changeColsCost(self.n_arcs, np.arange(self.n_arcs, dtype=np.int32), costs)
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self.time_limit)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.rint(np.asarray(self.highs.getSolution().col_value))
        return x, float(costs @ x)


class _Master:
    """Phase one over the schedules found: ``min sum(s+ + s-)`` with ``C X p + s+ - s- = c``."""

    def __init__(self, target: np.ndarray) -> None:
        n = len(target)
        inf = highspy.kHighsInf
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
            self.highs.setOptionValue("output_flag", False)
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
        self.n = n
        self.columns = 0

    def add(self, column: np.ndarray) -> None:
        rows = np.flatnonzero(np.abs(column) > 1e-12)
        self.highs.addCol(
            0.0,
            0.0,
            highspy.kHighsInf,
            len(rows) + 1,
            np.append(rows, self.n).astype(np.int32),
            np.append(column[rows], 1.0),
        )
        self.columns += 1

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Objective, coverage duals, convexity dual, schedule weights."""
        self.highs.run()
        solution = self.highs.getSolution()
        duals = np.asarray(solution.row_dual)
        values = np.asarray(solution.col_value)
        return (
            float(self.highs.getInfo().objective_function_value),
            duals[: self.n],
            float(duals[self.n]),
            values[2 * self.n :],
        )


def joint_schedules(
    polytope: CoveragePolytope,
    planned: np.ndarray,
    *,
    support: np.ndarray | None = None,
    time_limit: float = 120.0,
    max_columns: int = 2000,
) -> JointSchedules:
    """Weights over joint schedules whose protection equals ``planned`` (module docstring).

    ``polytope`` is the day's flow polytope (conservation, supplies, coverage map);
    ``planned`` the certified coverage. ``support``: the equilibrium's arc flow; schedules
    then use only arcs it uses (the routes its path decomposition would draw), which keeps
    the pricing MILP small. Stops when the residual is below :data:`EXACT`,
    when no schedule improves it (not implementable: ``exact`` is False and ``gap`` says
    by how much), or at ``time_limit`` / ``max_columns`` (also reported through ``gap``).
    """
    started = time.perf_counter()
    pricing = _Pricing(polytope, time_limit, None if support is None else support > 1e-9)
    master = _Master(planned)
    flows: list[np.ndarray] = []
    cov = polytope.coverage.tocsr()
    first = pricing.best(planned)
    if first is None:
        raise RuntimeError("joint schedules: the patrol graph holds no integer schedule")
    flows.append(first[0])
    master.add(cov @ first[0])
    weights = np.ones(1)
    while True:
        objective, pi, mu, weights = master.solve()
        if objective <= EXACT:
            break
        if len(flows) >= max_columns or time.perf_counter() - started > time_limit:
            break
        found = pricing.best(pi)
        if found is None or found[1] + mu <= 1e-9:
            break  # no schedule improves the residual: not implementable
        flows.append(found[0])
        master.add(cov @ found[0])
    weights = np.clip(weights, 0.0, None)
    keep = np.flatnonzero(weights > 1e-12)
    weights = weights[keep] / weights[keep].sum()
    kept = [flows[int(j)] for j in keep]
    delivered = np.clip(
        np.sum([w * (cov @ x) for w, x in zip(weights, kept, strict=True)], axis=0), 0.0, 1.0
    )
    gap = float(np.max(np.abs(delivered - planned), initial=0.0))
    return JointSchedules(
        weights=weights,
        flows=kept,
        delivered=delivered,
        gap=gap,
        exact=gap <= EXACT * 10,
        columns=len(flows),
        seconds=time.perf_counter() - started,
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
