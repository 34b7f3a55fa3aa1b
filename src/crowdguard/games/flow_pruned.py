"""Pruned multiple LPs: the exact Stackelberg equilibrium over a flow polytope, one LP at a time.

The multiple-LPs method (Conitzer and Sandholm, "Computing the Optimal Strategy to Commit
to", EC 2006) solves one LP per target ``t`` ("the defender's best plan among those that make
``t`` a best response") and keeps the best. Over a polytope of patrol flows (TRUSTS, Yin et
al., IAAI 2012) each LP is large, and the ERASER MILP (Kiekintveld et al., AAMAS 2009) that
replaces them branches for minutes when many targets tie for the attacker (issue 10: a county
where every place keeps the same hours took 15 s to 2 min a day). Two facts make almost all
of those LPs unnecessary:

1. **A bound from the minimax LP.** Let ``k_lo`` be the least best-response utility the
   defender can hold the attacker to (one LP: minimise ``k`` subject to ``U_a(t', c) <= k``
   for every ``t'``). In every plan the attacker gets at least ``k_lo``, so a target that is
   a best response has ``U_a(t, c_t) >= k_lo``, i.e. coverage at most
   ``cbar_t = (R_a(t) - k_lo) / (R_a(t) - P_a(t))``, and the defender gets at most
   ``B_t = U_d(t, min(1, cbar_t))``. Targets with ``R_a(t) < k_lo`` are never attacked (the
   presolve of ERASER in :mod:`crowdguard.games.flow` uses the same fact).
2. **Best first, stop early.** Solve the LPs of the remaining targets in decreasing order of
   ``B_t`` and stop as soon as the best value found reaches the next bound: no target left
   can beat it. This is branch and bound with the targets as branches, as in the
   bound-driven search of HBGS (Jain, Kiekintveld and Tambe, AAMAS 2011). When the bound is
   met by the first LP, as it is when the attack set's targets can all be held at
   ``k_lo`` together, the whole equilibrium costs two LPs.

All LPs share one HiGHS model (``highspy``): variables ``z`` (flows) and ``k`` (the attacker's
level), rows ``U_a(t', c) <= k`` for every target. The LP of target ``t`` only changes the
objective (``U_d(t, c_t)``) and the bounds of row ``t`` (``U_a(t, c_t) = k + delta``), so each
LP starts from the previous optimal basis (warm start).

**Ties** (``delta``). With ``delta = 0`` this is the strong Stackelberg equilibrium: the
attacker, indifferent among the attack set, is assumed to pick the target best for the
defender. With ``delta > 0`` the intended target must beat every other target by ``delta``:
the attacker has a unique best response, so the value holds whatever tie an attacker would
break (the robust refinement discussed by An, Tambe, Ordóñez, Shieh and Kiekintveld,
"Refinement of Strong Stackelberg Equilibria in Security Games", AAAI 2011, and the
inducible-target view of weak Stackelberg equilibria: von Stengel and Zamir, *Games and
Economic Behavior* 69, 2010). The bound ``B_t`` remains valid, since ``U_a(t) >= k_lo`` still
holds. When no target can be made strictly best (two targets already fully covered at the
attacker's top, say), :func:`pruned_lps` reports that and the caller falls back to the
maximin plan. Many of those strict LPs are infeasible on counties of equal places; the
minimax LP's duals prove most of them so without solving them (:func:`not_inducible`).

**Warm starts between days.** The days of a season share one patrol graph whenever their
shifts and opening hours agree, so their minimax LPs have the same rows and columns and
differ only in payoffs. The optimal basis of one day's minimax is then a near-optimal start
for the next: measured on a generated 40-place, 16-team county, 79 dual simplex iterations
(1.4 s) against 47 s by interior point from scratch. :func:`warm_starts` offers recorded
bases to every minimax LP of the same structure solved in its block. So that a plan does not
depend on how many processes solved it, or in which order, the bases come from a fixed
reference (the season's first day; :func:`crowdguard.patrols.season_routes.solve_days`),
never from whichever day a process happened to solve before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from crowdguard.errors import InfeasibleGame, SolverFailed
from crowdguard.games._quiet import quiet_stdout

__all__ = [
    "IPM_COLUMNS",
    "AttackLP",
    "Basis",
    "PrunedResult",
    "WarmStarts",
    "not_inducible",
    "pruned_lps",
    "warm_starts",
]

IPM_COLUMNS = 30_000
"""Above this many flow variables the minimax LP is solved by interior point (measured on
a generated 40-place, 16-team county: 23 s by IPM, over 120 s by dual simplex)."""

SIMPLEX_TRY_ITERATIONS = 3_000
"""Below :data:`IPM_COLUMNS`, the dual simplex gets this many iterations on a cold minimax
LP before interior point takes over. Most counties need a few hundred (0.1-1 s); staggered
shifts can need tens of thousands (a generated 22-place, 16-team county: 35,320 iterations,
32 s, against 5.4 s by interior point). A count, not a clock, so the plan does not depend on
the machine's speed."""

PRIMAL_SIMPLEX = 4
"""HiGHS's ``simplex_strategy`` value for the primal simplex method."""


@dataclass(frozen=True)
class Basis:
    """A simplex basis of a minimax LP: HiGHS's basis statuses, as small integers."""

    columns: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, highs: highspy.Highs) -> Basis:
        basis = highs.getBasis()
        return cls(
            np.array([int(s) for s in basis.col_status], dtype=np.int8),
            np.array([int(s) for s in basis.row_status], dtype=np.int8),
        )

    def to_highs(self) -> highspy.HighsBasis:
        statuses = list(highspy.HighsBasisStatus.__members__.values())
        basis = highspy.HighsBasis()
        basis.col_status = [statuses[int(s)] for s in self.columns]
        basis.row_status = [statuses[int(s)] for s in self.rows]
        basis.valid = True
        return basis


@dataclass
class WarmStarts:
    """Minimax bases by LP structure (:func:`warm_starts`).

    ``record``: keep the basis of the first minimax LP of each structure not yet held.
    """

    bases: dict[str, Basis] = field(default_factory=dict)
    record: bool = False


_WARM: ContextVar[WarmStarts | None] = ContextVar("crowdguard_warm_starts", default=None)


@contextmanager
def warm_starts(warm: WarmStarts) -> Iterator[WarmStarts]:
    """Within the block, each minimax LP whose structure has a basis in ``warm`` starts
    from it (and, with ``warm.record``, new structures' bases are recorded into it).
    Per context (a ``ContextVar``), so concurrent plans in one server do not mix."""
    token = _WARM.set(warm)
    try:
        yield warm
    finally:
        _WARM.reset(token)


@dataclass(frozen=True)
class PrunedResult:
    """The best plan found, which target it induces, and how much work it took."""

    z: np.ndarray
    attacked: int
    value: float
    minimax_attacker_utility: float
    lps_solved: int
    candidates: int
    inducible: bool
    """Whether some target could be made a best response (by ``delta`` when ``delta > 0``)."""


class AttackLP:
    """One HiGHS LP over ``(z, k)`` holding every target's attacker utility at most ``k``.

    ``coverage`` (targets x variables), ``a_eq z = b_eq``, ``a_ub z <= b_ub``, bounds on
    ``z``; payoff arrays of length ``n``. :meth:`minimax` and :meth:`induce` reuse the model.
    """

    def __init__(
        self,
        coverage: sp.csr_matrix,
        a_eq: sp.csr_matrix,
        b_eq: np.ndarray,
        a_ub: sp.csr_matrix,
        b_ub: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        defender_covered: np.ndarray,
        defender_uncovered: np.ndarray,
        attacker_covered: np.ndarray,
        attacker_uncovered: np.ndarray,
        time_limit: float,
    ) -> None:
        self.n, self.nz = coverage.shape
        self.coverage = coverage.tocsr()
        self.delta_d = defender_covered - defender_uncovered
        self.delta_a = attacker_covered - attacker_uncovered  # < 0
        self.defender_uncovered = defender_uncovered
        self.attacker_uncovered = attacker_uncovered
        n, nz = self.n, self.nz
        # rows: U_a(t') - k <= 0, i.e. delta_a c_t' - k <= -R_a(t')
        attack_rows = sp.hstack(
            [sp.diags(self.delta_a) @ self.coverage, -sp.csr_matrix(np.ones((n, 1)))]
        )
        eq_rows = sp.hstack([a_eq, sp.csr_matrix((a_eq.shape[0], 1))])
        ub_rows = sp.hstack([a_ub, sp.csr_matrix((a_ub.shape[0], 1))])
        matrix = sp.vstack([attack_rows, eq_rows, ub_rows]).tocsc()
        matrix.sort_indices()
        digest = hashlib.blake2b(digest_size=16)
        for part in (np.array(matrix.shape), matrix.indptr, matrix.indices):
            digest.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
        self.structure = digest.hexdigest()
        """Rows and columns with their sparsity pattern: LPs sharing it can share a basis."""
        self.row_upper = np.concatenate([-attacker_uncovered, b_eq, b_ub])
        self.row_lower = np.concatenate([np.full(n, -np.inf), b_eq, np.full(len(b_ub), -np.inf)])
        inf = highspy.kHighsInf
        model = highspy.HighsLp()
        model.num_col_ = nz + 1
        model.num_row_ = matrix.shape[0]
        model.col_cost_ = np.zeros(nz + 1)
        model.col_lower_ = np.append(lower, -inf)
        model.col_upper_ = np.append(np.where(np.isinf(upper), inf, upper), inf)
        model.row_lower_ = np.where(np.isinf(self.row_lower), -inf, self.row_lower)
        model.row_upper_ = np.where(np.isinf(self.row_upper), inf, self.row_upper)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = matrix.indptr
        model.a_matrix_.index_ = matrix.indices
        model.a_matrix_.value_ = matrix.data
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
            self.highs.setOptionValue("output_flag", False)
        self.time_limit = float(max(1.0, time_limit))
        self.highs.passModel(model)
        self._minimax: tuple[float, np.ndarray] | None = None
        self.attack_weights = np.zeros(n)
        """The minimax LP's dual values on the attack rows: a distribution ``y`` over targets
        with ``sum_t y_t U_a(t, c) >= k_lo`` for every plan (zero until :meth:`minimax`)."""
        self._cost_cols: np.ndarray = np.zeros(0, dtype=np.int64)
        self._pinned: int | None = None
        self.solved = 0
        self.warm_started = False
        """Whether the minimax LP started from a recorded basis (:func:`warm_starts`)."""

    def _run(self) -> highspy.HighsModelStatus:
        # HiGHS measures its time limit on the instance's clock, which keeps running
        # across the warm-started solves: give each solve the whole budget from now.
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self.time_limit)
        self.highs.run()
        self.solved += 1
        return self.highs.getModelStatus()

    def _set_objective(self, cols: np.ndarray, costs: np.ndarray, k_cost: float) -> None:
        if self._cost_cols.size:
            self.highs.changeColsCost(
                len(self._cost_cols), self._cost_cols, np.zeros(len(self._cost_cols))
            )
        self.highs.changeColsCost(len(cols), cols.astype(np.int32), costs)
        self.highs.changeColCost(self.nz, k_cost)
        self._cost_cols = np.append(cols, self.nz).astype(np.int32)

    def _pin(self, t: int | None, delta: float) -> None:
        """Row ``t`` becomes ``U_a(t) = k + delta``; the previous pinned row is released."""
        inf = highspy.kHighsInf
        if self._pinned is not None:
            self.highs.changeRowBounds(self._pinned, -inf, float(self.row_upper[self._pinned]))
        if t is not None:
            value = float(self.row_upper[t] + delta)
            self.highs.changeRowBounds(t, value, value)
        self._pinned = t

    def minimax(self) -> tuple[float, np.ndarray]:
        """``k_lo``, the least best-response utility for the attacker, and a plan that gets it.

        Solved once per model (later calls return the first answer). From a recorded basis
        (:func:`warm_starts`) by dual simplex. Otherwise large models (more than
        :data:`IPM_COLUMNS` flows, e.g. 16 teams over 40 places), and smaller ones the dual
        simplex does not finish in :data:`SIMPLEX_TRY_ITERATIONS`, are solved by HiGHS's
        interior point method with crossover, several times faster than simplex on these
        degenerate flow LPs; the crossover basis then warm-starts the simplex solves of
        :meth:`induce`.
        """
        if self._minimax is not None:
            return self._minimax
        self._pin(None, 0.0)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        self._set_objective(np.zeros(0, dtype=np.int64), np.zeros(0), 1.0)
        warm = _WARM.get()
        start = warm.bases.get(self.structure) if warm is not None else None
        if start is not None:
            self.highs.setBasis(start.to_highs())  # dual simplex from there
            self.warm_started = True
        elif self.nz > IPM_COLUMNS:
            self.highs.setOptionValue("solver", "ipm")
        else:
            self.highs.setOptionValue("simplex_iteration_limit", SIMPLEX_TRY_ITERATIONS)
        status = self._run()
        self.highs.setOptionValue("simplex_iteration_limit", highspy.kHighsIInf)
        if status == highspy.HighsModelStatus.kIterationLimit:
            self.highs.setOptionValue("solver", "ipm")
            self.highs.clearSolver()
            status = self._run()
        self.highs.setOptionValue("solver", "simplex")
        if status == highspy.HighsModelStatus.kInfeasible:
            raise InfeasibleGame("flow game: the patrol constraints admit no plan at all")
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverFailed(
                f"flow game: HiGHS minimax LP stopped ({self.highs.modelStatusToString(status)})"
            )
        solution = self.highs.getSolution()
        x = np.asarray(solution.col_value)
        # HiGHS's duals of "<=" rows are <= 0 when minimising; y is their negation.
        self.attack_weights = np.clip(-np.asarray(solution.row_dual)[: self.n], 0.0, 1.0)
        self._minimax = (float(x[self.nz]), x[: self.nz])
        if warm is not None and warm.record and self.structure not in warm.bases:
            warm.bases[self.structure] = Basis.of(self.highs)
        return self._minimax

    def induce(self, t: int, delta: float) -> tuple[np.ndarray, float] | None:
        """The defender's best plan in which ``t`` beats every other target by ``delta``.

        Returns ``(z, defender utility)``, or ``None`` when no plan makes ``t`` such a best
        response (one LP of the multiple-LPs method, Conitzer and Sandholm, EC 2006).
        """
        row = self.coverage[t]
        self._pin(t, delta)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self._set_objective(row.indices, self.delta_d[t] * row.data, 0.0)
        # Primal simplex: the previous optimal basis stays primal feasible when only the
        # objective changes (the first LP after the minimax, whose attack set holds ``t``
        # at ``k``), and re-pinning one row leaves it nearly so. HiGHS's default dual
        # simplex restarts its pricing instead: measured on a generated 40-place, 7-team
        # county, 48 s against 0.16 s for the same LP from the same basis.
        self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        status = self._run()
        if status in (highspy.HighsModelStatus.kInfeasible,):
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverFailed(
                f"flow game: HiGHS LP for target {t} stopped "
                f"({self.highs.modelStatusToString(status)})"
            )
        x = np.asarray(self.highs.getSolution().col_value)
        z = x[: self.nz]
        coverage_t = float((row @ z)[0])
        return z, float(self.defender_uncovered[t] + self.delta_d[t] * coverage_t)


def not_inducible(lp: AttackLP, targets: np.ndarray, delta: float) -> np.ndarray:
    """Which of ``targets`` provably cannot be made best by ``delta``, from the minimax duals.

    A target ``t`` beats every other by ``delta`` only if ``R_a(t) >= k_lo + (1 - y_t)
    delta``, with ``y`` the minimax LP's dual distribution (:attr:`AttackLP.attack_weights`):
    by LP duality every plan has ``sum_t' y_t' U_a(t') >= k_lo``, and a plan inducing ``t``
    has ``U_a(t') <= U_a(t) - delta`` for every other ``t'``, so
    ``k_lo <= U_a(t) - (1 - y_t) delta <= R_a(t) - (1 - y_t) delta``. On counties of equal
    places dozens of candidates sit exactly at ``k_lo`` with no cover (measured on a
    generated 34-place, 16-team county: 14 of the 24 strict LPs the search solved were
    these, and infeasible). Half the margin is kept as slack against the duals' rounding,
    so the test only ever marks LPs that are infeasible and the search finds the same plan.
    """
    k_lo, _ = lp.minimax()
    slack = lp.attacker_uncovered[targets] - k_lo
    return np.asarray(slack < 0.5 * (1.0 - lp.attack_weights[targets]) * delta)


def pruned_lps(
    lp: AttackLP,
    *,
    delta: float = 0.0,
    tol: float = 1e-9,
    first: int | None = None,
    prune: bool = True,
) -> PrunedResult:
    """The best target to induce and its plan, by bounded multiple LPs (module docstring).

    ``delta`` is the margin by which the induced target must beat every other target for the
    attacker (0: the strong Stackelberg equilibrium). ``tol`` is the absolute slack within
    which a bound counts as reached (``10 * delta`` when ``delta > 0``). ``first``: a target
    to try first among those with the best bound. ``prune``: skip the targets
    :func:`not_inducible` proves cannot be made best by ``delta`` (only ``prune=False``
    to check that test). Raises :class:`InfeasibleGame` when the polytope is empty.
    """
    k_lo, z_minimax = lp.minimax()
    reward = lp.attacker_uncovered
    span = -lp.delta_a
    candidates = np.flatnonzero(reward >= k_lo - tol)
    cbar = np.clip((reward[candidates] - k_lo) / span[candidates], 0.0, 1.0)
    bound = lp.defender_uncovered[candidates] + lp.delta_d[candidates] * cbar
    # Best bound first; among equal bounds, ``first`` (the strong plan's target, when the
    # robust plan is sought after it) leads: it is the likeliest to reach the bound.
    lead = np.zeros(len(candidates)) if first is None else (candidates == first).astype(float)
    order = np.lexsort((-lead, -bound))
    if delta > 0 and prune:
        order = order[~not_inducible(lp, candidates, delta)[order]]
    best: tuple[float, int, np.ndarray] | None = None
    # With a margin, each target's value sits a little below its bound (the cover it takes
    # to beat the others by delta), so on a county where dozens of targets share one bound
    # the search would try them all for gains smaller than the margin itself: stop within
    # ten margins of the bound instead (the plan is then within 10 delta of the best
    # robust plan; the certificate of the plan found is unaffected).
    stop = tol if delta == 0 else max(tol, 10 * delta)
    for position in order.tolist():
        t = int(candidates[position])
        if best is not None and bound[position] <= best[0] + stop:
            break
        found = lp.induce(t, delta)
        if found is None:
            continue
        z, value = found
        if best is None or value > best[0] + tol:
            best = (value, t, z)
    if best is None:
        # No target can be induced by ``delta``: report the minimax plan for the caller's
        # fallback (with ``delta = 0`` some target is always a best response).
        return PrunedResult(
            z=z_minimax,
            attacked=-1,
            value=-np.inf,
            minimax_attacker_utility=k_lo,
            lps_solved=lp.solved,
            candidates=int(candidates.size),
            inducible=False,
        )
    value, t, z = best
    return PrunedResult(
        z=z,
        attacked=t,
        value=value,
        minimax_attacker_utility=k_lo,
        lps_solved=lp.solved,
        candidates=int(candidates.size),
        inducible=True,
    )
