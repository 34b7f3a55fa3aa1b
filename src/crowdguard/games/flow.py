"""Strong Stackelberg equilibrium over a polytope of patrol flows.

The defender's mixed strategy is not a list of schedules but a point ``z >= 0`` of a
polytope ``{A_eq z = b_eq, A_ub z <= b_ub, lower <= z <= upper}``: the arc flows of every
team on a time-expanded (place x slot) graph, as in TRUSTS (Yin et al., "TRUSTS:
Scheduling Randomized Patrols for Fare Inspection in Transit Systems", IAAI 2012) and CASS
(Fang, Jiang and Tambe, "Optimal Patrol Strategy for Protecting Moving Targets with
Multiple Mobile Resources", AAMAS 2013). Coverage of the targets is linear in the flow,
``c = C z``, and must stay in ``[0, 1]``.

Three exact solvers are provided:

``pruned-lps`` (default)
    The multiple-LPs method with a bound from the minimax LP and best-first pruning, all LPs
    warm-started in one HiGHS model (:mod:`crowdguard.games.flow_pruned`). Usually two or
    three LPs; it does not branch on ties the way the MILP does.
``milp``
    The ERASER mixed-integer programme of Kiekintveld et al. ("Computing Optimal Randomized
    Resource Allocations for Massive Security Games", AAMAS 2009, section 4), with its
    marginal-coverage constraint ``sum c <= m`` replaced by the flow polytope. Variables:
    flows ``z``, one binary ``q_t`` per target (the attacked target), the defender's
    utility ``d`` and the attacker's ``k``. Steps, as numbered in the paper:

    1. ``sum_t q_t = 1`` (one target is attacked);
    2. ``d - U_d(t, c_t) <= M (1 - q_t)`` (the defender gets the attacked target's payoff);
    3. ``0 <= k - U_a(t, c_t) <= M (1 - q_t)`` (the attacked target is a best response;
       every other target is weakly worse for the attacker);
    4. maximise ``d``: ties in the attacker's best response go the defender's way, which
       is the strong Stackelberg equilibrium.

    Solved by HiGHS through :func:`scipy.optimize.milp` with a zero relative gap.
``multiple-lps``
    The multiple-LPs method of Conitzer and Sandholm ("Computing the Optimal Strategy to
    Commit to", EC 2006): for every target ``t`` maximise ``U_d(t, c_t)`` over the
    polytope subject to ``U_a(t, c_t) >= U_a(t', c_t')`` for all ``t'``, and keep the best.
    It is the naive baseline for tests and benchmarks.

**Ties** (``tie``). ``"strong"`` is the strong Stackelberg equilibrium: among targets the
attacker is indifferent between, it picks the one best for the defender. Its value can be
far from what an attacker who breaks the tie the other way would do (issue 10: +62% harm on
the demo season). ``"robust"`` (default) makes the intended target beat every other target
by ``delta = 10 x tolerance`` (the certificate's tie tolerance), so the attacker has one best
response and the value holds whatever tie it would break; where no target can be made
strictly best, it maximises the worst case over the attack set (a MILP with one binary per
target that can be attacked). Robust first solves the strong equilibrium and keeps it when
its worst tie already costs at most ``tie_margin`` (default 1%) of the stated harm, so the
planner pays for robustness only where the tie matters; the price is reported. An, Tambe, Ordóñez, Shieh and Kiekintveld, "Refinement of
Strong Stackelberg Equilibria in Security Games", AAAI 2011, discuss why the strong value is
fragile; the certificate reports both the stated value and the worst tie.

Every answer is certified by :func:`certify` (coverage in ``[0, 1]``, the polytope's
constraints, the attack set indifferent, every other target worse for the attacker, the
tie broken for the defender); a failed certificate raises
:class:`~crowdguard.errors.CertificateFailed`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from crowdguard.errors import CertificateFailed, InfeasibleGame, SolverFailed
from crowdguard.games._quiet import quiet_stdout
from crowdguard.games.flow_pruned import (
    IPM_COLUMNS,
    SIMPLEX_TRY_ITERATIONS,
    AttackLP,
    pruned_lps,
)

__all__ = [
    "CoveragePolytope",
    "FlowMethod",
    "FlowPayoffs",
    "FlowSolution",
    "Spread",
    "TieRule",
    "attacker_utilities",
    "certify",
    "defender_utilities",
    "is_feasible",
    "solve_flow_game",
    "spread_lp",
]

FlowMethod = Literal["pruned-lps", "milp", "multiple-lps"]
TieRule = Literal["robust", "strong"]
TOL = 1e-6
TIE_DELTA = 10 * TOL
"""The robust plan's margin in attacker utility, times the payoff scale: ten times the
certificate's tie tolerance, so the intended target is outside every other target's tie."""


@dataclass(frozen=True)
class FlowPayoffs:
    """The four payoffs of every target (defender covered >= uncovered, attacker < )."""

    defender_covered: np.ndarray
    defender_uncovered: np.ndarray
    attacker_covered: np.ndarray
    attacker_uncovered: np.ndarray

    @property
    def n(self) -> int:
        """Number of targets."""
        return len(self.defender_covered)


@dataclass(frozen=True)
class CoveragePolytope:
    """Feasible patrol strategies ``z`` and their linear coverage map ``c = coverage @ z``."""

    coverage: sp.csr_matrix
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    a_ub: sp.csr_matrix | None = None
    b_ub: np.ndarray | None = None
    labels: tuple[str, ...] = field(default=())

    @property
    def n_vars(self) -> int:
        """Number of strategy variables (arc or route weights)."""
        return int(self.coverage.shape[1])

    def with_rows(self, a_ub: sp.csr_matrix, b_ub: np.ndarray) -> CoveragePolytope:
        """The same polytope with extra ``a_ub z <= b_ub`` rows (floors, caps)."""
        if self.a_ub is None or self.b_ub is None:
            new_a, new_b = sp.csr_matrix(a_ub), np.asarray(b_ub, dtype=float)
        else:
            new_a = sp.vstack([self.a_ub, a_ub]).tocsr()
            new_b = np.concatenate([self.b_ub, b_ub])
        return CoveragePolytope(
            self.coverage, self.a_eq, self.b_eq, self.lower, self.upper, new_a, new_b, self.labels
        )

    def with_bounds(self, lower: np.ndarray, upper: np.ndarray) -> CoveragePolytope:
        """The same polytope with new variable bounds (overrides fix flows)."""
        return CoveragePolytope(
            self.coverage, self.a_eq, self.b_eq, lower, upper, self.a_ub, self.b_ub, self.labels
        )


@dataclass(frozen=True)
class FlowSolution:
    """An SSE over a coverage polytope, with its certificate."""

    z: np.ndarray
    coverage: np.ndarray
    defender_utility: float
    attacker_utility: float
    attacked_target: int
    method: str
    seconds: float
    certificate: dict[str, Any]
    worst_tie_defender_utility: float = float("nan")
    """The defender's utility if the attacker breaks every tie against it."""
    tie: str = "strong"
    """The tie rule the plan was solved under (``robust`` or ``strong``)."""


def defender_utilities(payoffs: FlowPayoffs, coverage: np.ndarray) -> np.ndarray:
    """``U_d(t, c_t) = c_t R_d + (1 - c_t) P_d`` for every target."""
    result: np.ndarray = (
        coverage * payoffs.defender_covered + (1 - coverage) * payoffs.defender_uncovered
    )
    return result


def attacker_utilities(payoffs: FlowPayoffs, coverage: np.ndarray) -> np.ndarray:
    """``U_a(t, c_t) = c_t P_a + (1 - c_t) R_a`` for every target."""
    result: np.ndarray = (
        coverage * payoffs.attacker_covered + (1 - coverage) * payoffs.attacker_uncovered
    )
    return result


def payoff_scale(payoffs: FlowPayoffs) -> float:
    """The largest payoff magnitude (at least 1): tolerances are relative to it."""
    values = np.concatenate(
        [
            payoffs.defender_covered,
            payoffs.defender_uncovered,
            payoffs.attacker_covered,
            payoffs.attacker_uncovered,
        ]
    )
    return max(1.0, float(np.max(np.abs(values), initial=0.0)))


def _check(payoffs: FlowPayoffs, polytope: CoveragePolytope) -> None:
    n = payoffs.n
    if polytope.coverage.shape[0] != n or n == 0:
        raise InfeasibleGame(
            f"flow game: coverage map has {polytope.coverage.shape[0]} rows for {n} targets"
        )
    if np.any(payoffs.defender_covered < payoffs.defender_uncovered - 1e-12):
        raise InfeasibleGame("flow game: defender_covered must be >= defender_uncovered")
    if np.any(payoffs.attacker_covered >= payoffs.attacker_uncovered):
        raise InfeasibleGame("flow game: attacker_covered must be < attacker_uncovered")


def _ub_rows(polytope: CoveragePolytope) -> tuple[sp.csr_matrix, np.ndarray]:
    """Coverage <= 1 plus the polytope's own inequality rows."""
    rows = [polytope.coverage]
    rhs = [np.ones(polytope.coverage.shape[0])]
    if polytope.a_ub is not None and polytope.b_ub is not None:
        rows.append(polytope.a_ub)
        rhs.append(polytope.b_ub)
    return sp.vstack(rows).tocsr(), np.concatenate(rhs)


def is_feasible(polytope: CoveragePolytope, *, time_limit: float = 60.0) -> bool:
    """Whether the polytope (flows, coverage <= 1, extra rows) holds any strategy (one LP).

    Used to say *which* of several constraints leaves a day without a plan.
    """
    ub_a, ub_b = _ub_rows(polytope)
    result = linprog(
        np.zeros(polytope.n_vars),
        A_ub=ub_a,
        b_ub=ub_b,
        A_eq=polytope.a_eq,
        b_eq=polytope.b_eq,
        bounds=np.column_stack([polytope.lower, polytope.upper]),
        method="highs",
        options={"time_limit": time_limit},
    )
    return bool(result.status == 0)


def _minimax_attacker_utility(
    payoffs: FlowPayoffs, polytope: CoveragePolytope, time_limit: float
) -> float:
    """The least best-response utility the defender can hold the attacker to (one LP).

    In any equilibrium the attacker gets at least this, so a target whose uncovered reward
    is below it is never attacked: its binary can be fixed to 0 (a presolve for ERASER).
    Returns ``-inf`` if the LP fails, which disables the pruning.
    """
    n, nz = payoffs.n, polytope.n_vars
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    ub_a, ub_b = _ub_rows(polytope)
    # variables z, k: minimise k s.t. delta_a c_t - k <= -R_a(t)
    rows = sp.vstack(
        [
            sp.hstack([ub_a, sp.csr_matrix((ub_a.shape[0], 1))]),
            sp.hstack([sp.diags(delta_a) @ polytope.coverage, -sp.csr_matrix(np.ones((n, 1)))]),
        ]
    ).tocsr()
    rhs = np.concatenate([ub_b, -payoffs.attacker_uncovered])
    objective = np.zeros(nz + 1)
    objective[nz] = 1.0
    result = linprog(
        objective,
        A_ub=rows,
        b_ub=rhs,
        A_eq=sp.hstack([polytope.a_eq, sp.csr_matrix((polytope.a_eq.shape[0], 1))]).tocsr(),
        b_eq=polytope.b_eq,
        bounds=np.column_stack(
            [np.append(polytope.lower, -np.inf), np.append(polytope.upper, np.inf)]
        ),
        method="highs",
        options={"time_limit": time_limit},
    )
    if result.status != 0:
        return -np.inf
    return float(result.fun)


def _quiet_milp(objective: np.ndarray, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.milp` with HiGHS's stray print kept off standard output.

    SciPy's bundled HiGHS prints ``HighsMipSolverData::transformNewIntegerFeasibleSolution
    tmpSolver.run();`` with a bare ``printf`` when it repairs an incumbent, whatever
    ``disp`` says (seen in ``crowdguard demo`` and ``simulate``); every MILP of this module
    goes through here (:func:`crowdguard.games._quiet.quiet_stdout`).
    """
    with quiet_stdout():
        return milp(objective, **kwargs)


def _solve_milp(
    payoffs: FlowPayoffs, polytope: CoveragePolytope, time_limit: float, delta: float = 0.0
) -> tuple[np.ndarray, int, float]:
    n, nz = payoffs.n, polytope.n_vars
    delta_d = payoffs.defender_covered - payoffs.defender_uncovered
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    # Per-target big-Ms from the payoff ranges: d <= max R_d, U_d(t) >= P_d(t);
    # k <= max R_a, U_a(t) >= P_a(t) (plus a margin of 1; bounding d and k explicitly made
    # HiGHS repair solutions and print to stdout). The attacker always gets at least
    # max_t P_a(t), and at least the minimax value of the attacker's best response, so a
    # target whose best case R_a(t) is below that is never attacked.
    d_hi, k_hi = float(np.max(payoffs.defender_covered)), float(np.max(payoffs.attacker_uncovered))
    k_lo = float(np.max(payoffs.attacker_covered))
    big_d = d_hi - payoffs.defender_uncovered + 1.0
    big_a = k_hi - payoffs.attacker_covered + 1.0
    k_lo = max(k_lo, _minimax_attacker_utility(payoffs, polytope, time_limit))
    never = payoffs.attacker_uncovered < k_lo - 1e-6 * (1.0 + abs(k_lo))
    cov = polytope.coverage
    ones = sp.csr_matrix(np.ones((n, 1)))
    zero_n1 = sp.csr_matrix((n, 1))
    # variable order: z (nz), q (n), d, k
    ub_a, ub_b = _ub_rows(polytope)
    m_ub = ub_a.shape[0]
    blocks = [
        # polytope inequalities (coverage <= 1 and extras)
        (sp.hstack([ub_a, sp.csr_matrix((m_ub, n + 2))]), -np.inf, ub_b),
        # equality rows
        (
            sp.hstack([polytope.a_eq, sp.csr_matrix((polytope.a_eq.shape[0], n + 2))]),
            polytope.b_eq,
            polytope.b_eq,
        ),
        # step 2: d - delta_d c + M q <= P_d + M
        (
            sp.hstack([-sp.diags(delta_d) @ cov, sp.diags(big_d), ones, zero_n1]),
            -np.inf,
            payoffs.defender_uncovered + big_d,
        ),
        # step 3a: k - delta_a c >= R_a, and by ``delta`` more for targets not attacked
        # (robust ties): k - U_a(t) >= delta (1 - q_t)
        (
            sp.hstack([-sp.diags(delta_a) @ cov, sp.diags(np.full(n, delta)), zero_n1, ones]),
            payoffs.attacker_uncovered + delta,
            np.inf,
        ),
        # step 3b: k - delta_a c + M q <= R_a + M
        (
            sp.hstack([-sp.diags(delta_a) @ cov, sp.diags(big_a), zero_n1, ones]),
            -np.inf,
            payoffs.attacker_uncovered + big_a,
        ),
        # step 1: sum q = 1
        (
            sp.hstack(
                [sp.csr_matrix((1, nz)), sp.csr_matrix(np.ones((1, n))), sp.csr_matrix((1, 2))]
            ),
            1.0,
            1.0,
        ),
    ]
    constraints = [LinearConstraint(a.tocsr(), lo, hi) for a, lo, hi in blocks]
    objective = np.zeros(nz + n + 2)
    objective[nz + n] = -1.0  # maximise d (step 4)
    lower = np.concatenate([polytope.lower, np.zeros(n), [-np.inf, -np.inf]])
    upper = np.concatenate([polytope.upper, np.where(never, 0.0, 1.0), [np.inf, np.inf]])
    integrality = np.concatenate([np.zeros(nz), np.ones(n), np.zeros(2)])
    result = _quiet_milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "presolve": True},
    )
    if result.status == 2:
        raise InfeasibleGame(
            "flow game: no plan makes any target strictly best for the attacker"
            if delta > 0
            else "flow game: the patrol constraints admit no plan at all"
        )
    if result.x is None or result.status != 0:
        raise SolverFailed(f"flow game: HiGHS MILP stopped without optimum ({result.message})")
    x = np.asarray(result.x)
    attacked = int(np.argmax(x[nz : nz + n]))
    return np.clip(x[:nz], polytope.lower, polytope.upper), attacked, float(x[nz + n])


def _lp_for_target(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    t: int,
    time_limit: float,
    delta: float = 0.0,
) -> tuple[np.ndarray, float] | None:
    """The defender's best plan among those that make ``t`` a best response for the
    attacker (by ``delta`` over every other target): one LP of the multiple-LPs method
    (Conitzer and Sandholm, EC 2006).

    Returns (z, defender utility), or None when no plan makes ``t`` a best response.
    """
    n = payoffs.n
    delta_d = payoffs.defender_covered - payoffs.defender_uncovered
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    cov = polytope.coverage.tocsr()
    scaled = (sp.diags(delta_a) @ cov).tocsr()
    ub_a, ub_b = _ub_rows(polytope)
    # U_a(t', c) <= U_a(t, c) for all t':  delta_a[t'] c_t' - delta_a[t] c_t <= R_t - R_t'
    a_best = scaled - sp.csr_matrix(np.ones((n, 1))) @ scaled[t]
    b_best = _best_response_rhs(payoffs, t, delta)
    result = linprog(
        -(delta_d[t] * cov[t].toarray().ravel()),
        A_ub=sp.vstack([ub_a, a_best]).tocsr(),
        b_ub=np.concatenate([ub_b, b_best]),
        A_eq=polytope.a_eq,
        b_eq=polytope.b_eq,
        bounds=np.column_stack([polytope.lower, polytope.upper]),
        method="highs",
        options={"time_limit": max(1.0, time_limit)},
    )
    if result.status == 2:
        return None
    if result.status != 0 or result.x is None:
        raise SolverFailed(f"flow game: HiGHS LP for target {t} failed ({result.message})")
    return np.asarray(result.x), float(payoffs.defender_uncovered[t] - float(result.fun))


def _best_response_rhs(payoffs: FlowPayoffs, t: int, delta: float) -> np.ndarray:
    """Right-hand sides of ``U_a(t', c) <= U_a(t, c) - delta`` (``t' != t``; 0 for ``t``)."""
    rhs = payoffs.attacker_uncovered[t] - payoffs.attacker_uncovered - delta
    rhs[t] = 0.0
    result: np.ndarray = rhs
    return result


def _solve_multiple_lps(
    payoffs: FlowPayoffs, polytope: CoveragePolytope, time_limit: float, delta: float = 0.0
) -> tuple[np.ndarray, int, float]:
    best: tuple[float, int, np.ndarray] | None = None
    started = time.perf_counter()
    for t in range(payoffs.n):
        found = _lp_for_target(
            payoffs, polytope, t, time_limit - (time.perf_counter() - started), delta
        )
        if found is None:
            continue
        z, value = found
        if best is None or value > best[0] + 1e-9:
            best = (value, t, z)
    if best is None:
        raise InfeasibleGame(
            "flow game: no plan makes any target strictly best for the attacker"
            if delta > 0
            else "flow game: the patrol constraints admit no plan at all"
        )
    value, t, z = best
    return np.clip(z, polytope.lower, polytope.upper), t, value


def certify(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    z: np.ndarray,
    claimed_defender_utility: float,
    *,
    tol: float = TOL,
    coverage: np.ndarray | None = None,
    claim: Literal["best", "worst"] = "best",
) -> dict[str, Any]:
    """Check what the theory guarantees about an SSE over a polytope; raise if it fails.

    Checks: the strategy satisfies the polytope (equalities, inequalities, bounds); the
    coverage lies in ``[0, 1]``; the attack set (targets within ``tol`` of the attacker's
    best utility) is indifferent and every other target is worse for the attacker; the
    attacker, breaking ties for the defender, gives the defender the claimed utility.
    Tolerances scale with the payoff range. ``coverage`` replaces ``polytope.coverage @ z``
    when the protection actually delivered is computed another way (from the joint roster
    distribution, :mod:`crowdguard.patrols.joint`).

    Both tie rules are reported: ``defender_utility`` (ties broken for the defender, the
    strong Stackelberg convention) and ``worst_tie_defender_utility`` (ties broken against
    the defender: the least defender utility over the attack set). ``claim`` says which of
    the two the solver's ``claimed_defender_utility`` is (``worst`` for a maximin plan).
    """
    scale = payoff_scale(payoffs)
    if coverage is None:
        coverage = polytope.coverage @ z
    eq_residual = float(np.max(np.abs(polytope.a_eq @ z - polytope.b_eq), initial=0.0))
    ub_residual = 0.0
    if polytope.a_ub is not None and polytope.b_ub is not None:
        ub_residual = float(np.max(polytope.a_ub @ z - polytope.b_ub, initial=0.0))
    bound_residual = float(
        max(np.max(polytope.lower - z, initial=0.0), np.max(z - polytope.upper, initial=0.0))
    )
    u_a = attacker_utilities(payoffs, coverage)
    u_d = defender_utilities(payoffs, coverage)
    best_a = float(np.max(u_a))
    attack_set = np.flatnonzero(u_a >= best_a - tol * scale)
    attacked = int(attack_set[np.argmax(u_d[attack_set])])
    worst = int(attack_set[np.argmin(u_d[attack_set])])
    others = np.setdiff1d(np.arange(payoffs.n), attack_set)
    certificate: dict[str, Any] = {
        "coverage_min": float(np.min(coverage)),
        "coverage_max": float(np.max(coverage)),
        "flow_conservation_residual": eq_residual,
        "inequality_residual": max(ub_residual, 0.0),
        "bound_residual": max(bound_residual, 0.0),
        "attack_set": [int(t) for t in attack_set],
        "attack_set_spread": float(best_a - np.min(u_a[attack_set])),
        "others_margin": float(best_a - np.max(u_a[others])) if len(others) else None,
        "attacked_target": attacked,
        "attacker_utility": best_a,
        "defender_utility": float(u_d[attacked]),
        "worst_tie_target": worst,
        "worst_tie_defender_utility": float(u_d[worst]),
        "claimed_defender_utility": float(claimed_defender_utility),
        "tolerance": tol * scale,
    }
    problems = []
    if float(np.min(coverage)) < -tol or float(np.max(coverage)) > 1 + tol:
        problems.append("coverage outside [0, 1]")
    if eq_residual > tol * max(1.0, float(np.max(np.abs(polytope.b_eq), initial=1.0))):
        problems.append(f"flow conservation violated by {eq_residual:.2e}")
    if ub_residual > tol or bound_residual > tol:
        problems.append("inequality or bound constraints violated")
    checked = attacked if claim == "best" else worst
    if abs(float(u_d[checked]) - claimed_defender_utility) > 10 * tol * scale:
        problems.append(
            f"defender utility {u_d[checked]:.9g} differs from the solver's "
            f"{claimed_defender_utility:.9g}"
        )
    if problems:
        raise CertificateFailed("flow game certificate failed: " + "; ".join(problems))
    certificate["passed"] = True
    return certificate


@dataclass(frozen=True)
class Spread:
    """A tie-break among equilibria: minimise ``sum_g max_{i in g} (rows @ z + offset)_i``.

    For patrols, row ``i`` is the probability that a team of a commodity is at node ``i``
    and group ``g`` is one (commodity, slot): the objective is the summed hit rate of an
    observer who always guesses each team's most likely place, i.e. predictability. A
    re-plan also uses it with the attacker's payoffs as rows (``offset``: the uncovered
    payoffs) and slots as groups: the sum over slots of the attacker's best payoff there
    (:mod:`crowdguard.patrols.replan`).
    """

    rows: sp.csr_matrix
    groups: np.ndarray
    offset: np.ndarray | None = None


def spread_lp(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    attacked: int,
    value: float,
    spread: Spread,
    time_limit: float,
    delta: float = 0.0,
) -> np.ndarray | None:
    """Hold the equilibrium, then minimise: among plans keeping ``attacked`` a best response
    (by ``delta``) worth ``value``, the one least by ``spread`` (the least predictable, for
    the planner's tie-break). None when HiGHS gives no optimum.

    Same attack target, same defender utility (to ``1e-7`` of the payoff scale), same margin
    over the other targets: still the same equilibrium, so the certificate applies unchanged.
    Rows of ``polytope.a_ub`` (floors, overrides, the transit cap) are kept.
    """
    n, nz = payoffs.n, polytope.n_vars
    groups, inverse = np.unique(spread.groups, return_inverse=True)
    n_groups = len(groups)
    r = spread.rows.shape[0]
    delta_d = payoffs.defender_covered - payoffs.defender_uncovered
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    cov = polytope.coverage.tocsr()
    scaled = (sp.diags(delta_a) @ cov).tocsr()
    a_best = scaled - sp.csr_matrix(np.ones((n, 1))) @ scaled[attacked]
    b_best = _best_response_rhs(payoffs, attacked, delta)
    scale = float(np.max(np.abs(payoffs.defender_uncovered))) + 1.0
    a_value = -(delta_d[attacked] * cov[attacked])
    b_value = np.array([payoffs.defender_uncovered[attacked] - value + 1e-7 * scale])
    ub_a, ub_b = _ub_rows(polytope)
    group_matrix = sp.csr_matrix((-np.ones(r), (np.arange(r), inverse)), shape=(r, n_groups))
    a_ub = sp.vstack(
        [
            sp.hstack([ub_a, sp.csr_matrix((ub_a.shape[0], n_groups))]),
            sp.hstack([a_best, sp.csr_matrix((n, n_groups))]),
            sp.hstack([a_value, sp.csr_matrix((1, n_groups))]),
            sp.hstack([spread.rows, group_matrix]),
        ]
    ).tocsr()
    offset = np.zeros(r) if spread.offset is None else np.asarray(spread.offset, dtype=float)
    b_ub = np.concatenate([ub_b, b_best, b_value, -offset])
    a_eq = sp.hstack([polytope.a_eq, sp.csr_matrix((polytope.a_eq.shape[0], n_groups))]).tocsr()
    objective = np.concatenate([np.zeros(nz), np.ones(n_groups)])
    bounds = np.column_stack(
        [
            np.concatenate(
                [polytope.lower, np.full(n_groups, 0.0 if spread.offset is None else -np.inf)]
            ),
            np.concatenate([polytope.upper, np.full(n_groups, np.inf)]),
        ]
    )

    def run(method: str, options: dict[str, Any]) -> Any:
        return linprog(
            objective,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=polytope.b_eq,
            bounds=bounds,
            method=method,
            options={"time_limit": time_limit, **options},
        )

    # As the minimax LP (games/flow_pruned.py): large models, and those the dual simplex
    # does not finish in a few thousand iterations, go to interior point (measured on a
    # generated 40-place, 16-team county: 289 s by dual simplex, 30 s by interior point,
    # under load).
    if nz > IPM_COLUMNS:
        result = run("highs-ipm", {})
    else:
        result = run("highs-ds", {"maxiter": SIMPLEX_TRY_ITERATIONS})
        if result.status == 1:  # iteration limit
            result = run("highs-ipm", {})
    if result.status != 0 or result.x is None:
        return None
    spread_z: np.ndarray = np.clip(np.asarray(result.x)[:nz], polytope.lower, polytope.upper)
    return spread_z


def _with_spread(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    z: np.ndarray,
    attacked: int,
    value: float,
    spread: Spread | None,
    time_limit: float,
    delta: float = 0.0,
) -> np.ndarray:
    """``z``, or the least predictable equilibrium with the same target, value and margin
    when ``spread`` is given and that LP's answer certifies (and keeps the margin)."""
    if spread is None:
        return z
    spread_z = spread_lp(payoffs, polytope, attacked, value, spread, time_limit, delta)
    if spread_z is None:
        return z
    try:
        certificate = certify(payoffs, polytope, spread_z, value)
    except CertificateFailed:
        return z
    if delta > 0 and certificate["attack_set"] != [attacked]:
        return z
    return spread_z


def _solve_maximin(
    payoffs: FlowPayoffs, polytope: CoveragePolytope, time_limit: float, delta: float
) -> tuple[np.ndarray, int, float]:
    """The plan whose worst tie is best: maximise ``d`` with ``d <= U_d(t)`` for every
    target ``t`` in the attack set, where a target is outside the set only if it is at least
    ``delta`` below the attacker's best (the pessimistic, or weak, Stackelberg equilibrium up
    to ``delta``; An et al., AAAI 2011; von Stengel and Zamir, GEB 2010).

    Binaries ``a_t`` (``t`` may be in the attack set) and ``b_t`` (``t`` attains the best),
    only for targets whose uncovered reward reaches the minimax level (the others are never
    within ``delta`` of the best). Used when no target can be made strictly best. Returns the
    plan, the worst target of its attack set, and the worst-tie value ``d``.
    """
    n, nz = payoffs.n, polytope.n_vars
    delta_d = payoffs.defender_covered - payoffs.defender_uncovered
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    k_lo = _minimax_attacker_utility(payoffs, polytope, time_limit)
    live = payoffs.attacker_uncovered >= k_lo - delta - 1e-9
    d_hi = float(np.max(payoffs.defender_covered))
    k_hi = float(np.max(payoffs.attacker_uncovered))
    big_d = d_hi - payoffs.defender_uncovered + 1.0
    big_a = k_hi - payoffs.attacker_covered + 1.0 + delta
    cov = polytope.coverage
    a_cov = sp.diags(delta_a) @ cov
    d_cov = sp.diags(delta_d) @ cov
    eye = sp.identity(n, format="csr")
    zero = sp.csr_matrix((n, n))
    col = sp.csr_matrix(np.ones((n, 1)))
    zcol = sp.csr_matrix((n, 1))
    ub_a, ub_b = _ub_rows(polytope)
    m_ub = ub_a.shape[0]
    # variable order: z (nz), a (n), b (n), d, k
    blocks = [
        (sp.hstack([ub_a, sp.csr_matrix((m_ub, 2 * n + 2))]), -np.inf, ub_b),
        (
            sp.hstack([polytope.a_eq, sp.csr_matrix((polytope.a_eq.shape[0], 2 * n + 2))]),
            polytope.b_eq,
            polytope.b_eq,
        ),
        # U_a(t) <= k
        (sp.hstack([a_cov, zero, zero, zcol, -col]), -np.inf, -payoffs.attacker_uncovered),
        # k <= U_a(t) + M (1 - b_t)
        (
            sp.hstack([-a_cov, zero, sp.diags(big_a), zcol, col]),
            -np.inf,
            payoffs.attacker_uncovered + big_a,
        ),
        # U_a(t) <= k - delta + M a_t
        (
            sp.hstack([a_cov, -sp.diags(big_a), zero, zcol, -col]),
            -np.inf,
            -payoffs.attacker_uncovered - delta,
        ),
        # d <= U_d(t) + M (1 - a_t)
        (
            sp.hstack([-d_cov, sp.diags(big_d), zero, col, zcol]),
            -np.inf,
            payoffs.defender_uncovered + big_d,
        ),
        # b_t <= a_t
        (sp.hstack([sp.csr_matrix((n, nz)), -eye, eye, zcol, zcol]), -np.inf, np.zeros(n)),
        # sum b = 1
        (
            sp.hstack(
                [sp.csr_matrix((1, nz + n)), sp.csr_matrix(np.ones((1, n))), sp.csr_matrix((1, 2))]
            ),
            1.0,
            1.0,
        ),
    ]
    constraints = [LinearConstraint(a.tocsr(), lo, hi) for a, lo, hi in blocks]
    objective = np.zeros(nz + 2 * n + 2)
    objective[nz + 2 * n] = -1.0
    live_f = live.astype(float)
    lower = np.concatenate([polytope.lower, np.zeros(2 * n), [-np.inf, -np.inf]])
    upper = np.concatenate([polytope.upper, live_f, live_f, [np.inf, np.inf]])
    integrality = np.concatenate([np.zeros(nz), np.ones(2 * n), np.zeros(2)])
    result = _quiet_milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "presolve": True},
    )
    if result.status == 2:
        raise InfeasibleGame("flow game: the patrol constraints admit no plan at all")
    if result.x is None or result.status != 0:
        raise SolverFailed(f"flow game: HiGHS maximin MILP stopped ({result.message})")
    x = np.asarray(result.x)
    z = np.clip(x[:nz], polytope.lower, polytope.upper)
    members = np.flatnonzero(x[nz : nz + n] > 0.5)
    u_d = defender_utilities(payoffs, cov @ z)
    worst = int(members[np.argmin(u_d[members])]) if members.size else int(np.argmax(u_d))
    return z, worst, float(x[nz + 2 * n])


def _attack_lp(payoffs: FlowPayoffs, polytope: CoveragePolytope, time_limit: float) -> AttackLP:
    ub_a, ub_b = _ub_rows(polytope)
    return AttackLP(
        polytope.coverage,
        polytope.a_eq,
        polytope.b_eq,
        ub_a,
        ub_b,
        polytope.lower,
        polytope.upper,
        payoffs.defender_covered,
        payoffs.defender_uncovered,
        payoffs.attacker_covered,
        payoffs.attacker_uncovered,
        time_limit,
    )


def solve_flow_game(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    *,
    method: FlowMethod = "pruned-lps",
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
    time_limit: float = 600.0,
    spread: Spread | None = None,
) -> FlowSolution:
    """The Stackelberg equilibrium over ``polytope``, certified (module docstring).

    ``tie="strong"`` is the strong Stackelberg equilibrium. ``tie="robust"`` (default) keeps
    the strong plan when its worst tie costs at most ``tie_margin`` of the stated harm;
    otherwise it makes the intended target strictly best for the attacker, or maximises the
    worst tie when no target can be. The certificate reports ``strong_defender_utility``,
    ``price_of_robustness`` (strong minus robust value, >= 0) and ``tie_margin_met``.

    With ``spread``, a second LP picks, among the equilibria with the same attacked target,
    defender utility and margin, the least predictable one (:class:`Spread`); if that LP
    fails numerically the first answer is kept.
    """
    _check(payoffs, polytope)
    if tie not in ("robust", "strong"):
        raise InfeasibleGame(f"flow game: tie rule {tie!r}; expected robust or strong")
    if not (0 <= tie_margin < 1):
        raise InfeasibleGame(f"flow game: tie_margin={tie_margin}; expected a share in [0, 1)")
    started = time.perf_counter()
    strict_delta = TIE_DELTA * payoff_scale(payoffs)
    lps_solved: int | None = None
    maximin = False
    strong_value: float | None = None
    attack_lp = _attack_lp(payoffs, polytope, time_limit) if method == "pruned-lps" else None

    def solve(delta: float, first: int | None = None) -> tuple[np.ndarray, int, float]:
        nonlocal lps_solved
        if attack_lp is not None:
            found = pruned_lps(attack_lp, delta=delta, first=first)
            lps_solved = found.lps_solved
            if not found.inducible:
                raise InfeasibleGame("flow game: no target can be made strictly best")
            return found.z, found.attacked, found.value
        if method == "milp":
            return _solve_milp(payoffs, polytope, time_limit, delta)
        if method == "multiple-lps":
            return _solve_multiple_lps(payoffs, polytope, time_limit, delta)
        raise InfeasibleGame(
            f"flow game: unknown method {method!r}; expected pruned-lps, milp or multiple-lps"
        )

    z, attacked, value = solve(0.0)
    delta = 0.0
    if tie == "robust":
        strong_value = value
        if not _within_margin(payoffs, polytope, z, tie_margin):
            # The strong plan leans on the attacker breaking a tie our way by more than the
            # margin: make the intended target strictly best, or failing that maximise the
            # worst tie.
            strong_plan = (z, attacked, value)
            strong_worst = _worst_tie(payoffs, polytope, z)
            try:
                z, attacked, value = solve(strict_delta, attacked)
                delta = strict_delta
                if strong_worst > value + TOL * payoff_scale(payoffs):
                    # making the target strict costs more than the tie did: the strong
                    # plan guarantees more whatever the attacker does, so keep it
                    (z, attacked, value), delta = strong_plan, 0.0
            except InfeasibleGame:
                # No target can be made strictly best (ties the coverage cannot break, e.g.
                # two targets fully covered at the attacker's top): the plan whose worst
                # tie is best.
                z, attacked, value = _solve_maximin(payoffs, polytope, time_limit, strict_delta)
                maximin = True
    if not maximin:
        spread_z = _with_spread(payoffs, polytope, z, attacked, value, spread, time_limit, delta)
        if tie == "strong" or delta > 0 or _within_margin(payoffs, polytope, spread_z, tie_margin):
            z = spread_z
    try:
        certificate = certify(payoffs, polytope, z, value) if not maximin else None
    except CertificateFailed:
        if method != "milp":
            raise
        # The MILP names the attacked target, but its continuous part is only as exact as
        # HiGHS's MIP feasibility tolerance, which the big-M rows can turn into an attacker
        # utility off by more than the certificate's tie tolerance: a target that should
        # tie wins by 1e-5 and the attacker "breaks the tie" against the defender (found
        # by the property test: 1.69 instead of 6.74). The one LP of the multiple-LPs
        # method for that target gives the same equilibrium to LP precision (polishing, as
        # :mod:`crowdguard.games.eraser` does). Only when needed, so certified answers,
        # and the rosters drawn from them, do not change.
        polished = _lp_for_target(
            payoffs, polytope, attacked, time_limit - (time.perf_counter() - started), delta
        )
        if polished is None:
            raise
        z = np.clip(polished[0], polytope.lower, polytope.upper)
        value = polished[1]
        z = _with_spread(payoffs, polytope, z, attacked, value, spread, time_limit, delta)
        certificate = certify(payoffs, polytope, z, value)
    if certificate is None:  # maximin: the claim is the worst tie
        certificate = certify(payoffs, polytope, z, value, claim="worst")
    certificate = _tie_report(certificate, tie, tie_margin, maximin, delta > 0, lps_solved)
    if attack_lp is not None:
        certificate["minimax_warm_start"] = attack_lp.warm_started
    if strong_value is not None:
        certificate["strong_defender_utility"] = strong_value
        certificate["price_of_robustness"] = max(0.0, strong_value - value)
    seconds = time.perf_counter() - started
    coverage = np.clip(polytope.coverage @ z, 0.0, 1.0)
    return FlowSolution(
        z=z,
        coverage=coverage,
        defender_utility=certificate["defender_utility"],
        attacker_utility=certificate["attacker_utility"],
        attacked_target=certificate["attacked_target"],
        method=method,
        seconds=seconds,
        certificate=certificate,
        worst_tie_defender_utility=certificate["worst_tie_defender_utility"],
        tie=tie,
    )


def _worst_tie(payoffs: FlowPayoffs, polytope: CoveragePolytope, z: np.ndarray) -> float:
    """The defender utility of plan ``z`` if the attacker breaks every tie against us."""
    coverage = polytope.coverage @ z
    u_a = attacker_utilities(payoffs, coverage)
    u_d = defender_utilities(payoffs, coverage)
    ties = np.flatnonzero(u_a >= float(np.max(u_a)) - TOL * payoff_scale(payoffs))
    return float(np.min(u_d[ties]))


def _within_margin(
    payoffs: FlowPayoffs, polytope: CoveragePolytope, z: np.ndarray, margin: float
) -> bool:
    """Whether the worst tie of plan ``z`` costs at most ``margin`` of its stated harm."""
    coverage = polytope.coverage @ z
    u_a = attacker_utilities(payoffs, coverage)
    u_d = defender_utilities(payoffs, coverage)
    ties = np.flatnonzero(u_a >= float(np.max(u_a)) - TOL * payoff_scale(payoffs))
    stated, worst = float(np.max(u_d[ties])), float(np.min(u_d[ties]))
    return stated - worst <= margin * abs(stated) + TOL * payoff_scale(payoffs)


def _tie_report(
    certificate: dict[str, Any],
    tie: TieRule,
    margin: float,
    maximin: bool,
    strict: bool,
    lps_solved: int | None,
) -> dict[str, Any]:
    """Add the tie rule, how the plan met it and whether the worst tie is within the margin.

    ``tie_plan``: ``strong`` (the strong equilibrium, asked for), ``strong-within-margin``
    (robust asked for, and the strong plan's worst tie was already within the margin),
    ``strong-better-guarantee`` (robust asked for, but the strict plan would guarantee less
    than the strong plan's worst tie, so the strong plan is kept and the margin reported
    unmet),
    ``strict`` (the intended target made strictly best) or ``maximin`` (the worst tie
    maximised)."""
    stated = float(certificate["defender_utility"])
    worst = float(certificate["worst_tie_defender_utility"])
    allowed = margin * abs(stated) + float(certificate["tolerance"])
    return {
        **certificate,
        "tie_rule": tie,
        "tie_plan": "maximin"
        if maximin
        else "strict"
        if strict
        else (
            ("strong-within-margin" if stated - worst <= allowed else "strong-better-guarantee")
            if tie == "robust"
            else "strong"
        ),
        "tie_margin": margin,
        "tie_margin_met": bool(stated - worst <= allowed),
        **({} if lps_solved is None else {"lps_solved": lps_solved}),
    }
