"""Multiple LPs: the optimal strategy to commit to, one linear programme per attacked target.

Reference: V. Conitzer and T. Sandholm, "Computing the Optimal Strategy to Commit to",
ACM EC 2006, section 3 (one follower type: one LP per follower pure strategy), applied to the
compact security game over marginal coverage (Kiekintveld et al., AAMAS 2009, section 3).

Steps:

1. For each target ``t*``, solve the LP
   ``max_c U_d(t*, c)`` subject to ``U_a(t, c) <= U_a(t*, c)`` for every target ``t``
   (so ``t*`` is a best response of the attacker), ``sum(c) <= m`` and ``0 <= c <= 1``.
2. Discard the infeasible LPs (``t*`` can never be made a best response).
3. Keep the LP with the largest defender utility: its coverage with ``t*`` attacked is the
   Strong Stackelberg Equilibrium (the leader may pick among the follower's best responses,
   which is the defender-favourable tie-breaking).

It needs ``n`` LPs of ``n`` variables, so it is the slow reference that the fast solvers are
tested against. Each LP is solved by HiGHS through :func:`scipy.optimize.linprog`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse import csr_array, vstack

from crowdguard.errors import SolverFailed
from crowdguard.games._quiet import quiet_stdout

__all__ = ["attacked_target_lp", "multiple_lps_coverage"]

FloatArray = NDArray[np.float64]


def attacked_target_lp(
    defender_covered: FloatArray,
    defender_uncovered: FloatArray,
    attacker_covered: FloatArray,
    attacker_uncovered: FloatArray,
    resources: float,
    target: int,
) -> tuple[FloatArray, float] | None:
    """Step 1 for one target: the best coverage that makes ``target`` a best response.

    Returns ``(coverage, defender utility)`` or ``None`` when no coverage makes ``target`` a
    best response (step 2). Raises :class:`~crowdguard.errors.SolverFailed` if HiGHS fails.
    """
    n = attacker_uncovered.shape[0]
    attacker_delta = attacker_uncovered - attacker_covered  # U_a(t, c) = U_a^u - c Δ_a
    defender_delta = defender_covered - defender_uncovered  # U_d(t, c) = U_d^u + c Δ_d
    objective = np.zeros(n)
    objective[target] = -defender_delta[target]
    # U_a(t, c) - U_a(t*, c) <= 0  <=>  -Δ_a(t) c_t + Δ_a(t*) c_t* <= U_a^u(t*) - U_a^u(t)
    rows = np.repeat(np.arange(n), 2)
    cols = np.column_stack([np.arange(n), np.full(n, target)]).ravel()
    values = np.column_stack([-attacker_delta, np.full(n, attacker_delta[target])]).ravel()
    best_response = csr_array((values, (rows, cols)), shape=(n, n))  # row t*: 0 <= 0
    budget = csr_array(np.ones((1, n)))
    matrix = vstack([best_response, budget], format="csr")
    bound = np.concatenate([attacker_uncovered[target] - attacker_uncovered, [float(resources)]])
    with quiet_stdout():
        result = linprog(objective, A_ub=matrix, b_ub=bound, bounds=(0.0, 1.0), method="highs")
    if result.status == 2:
        return None
    if result.status != 0:
        raise SolverFailed(f"HiGHS LP for target {target} failed: {result.message}")
    coverage = np.clip(np.asarray(result.x, dtype=np.float64), 0.0, 1.0)
    value = float(defender_uncovered[target] + coverage[target] * defender_delta[target])
    return coverage, value


def multiple_lps_coverage(
    defender_covered: FloatArray,
    defender_uncovered: FloatArray,
    attacker_covered: FloatArray,
    attacker_uncovered: FloatArray,
    resources: float,
) -> tuple[FloatArray, int]:
    """Steps 1-3: the SSE coverage and the attacked target, by one LP per target."""
    best: tuple[float, FloatArray, int] | None = None
    for target in range(attacker_uncovered.shape[0]):
        solved = attacked_target_lp(
            defender_covered,
            defender_uncovered,
            attacker_covered,
            attacker_uncovered,
            resources,
            target,
        )
        if solved is None:
            continue
        coverage, value = solved
        if best is None or value > best[0]:
            best = (value, coverage, target)
    if best is None:  # cannot happen: some target is a best response to zero coverage
        raise SolverFailed("every per-target LP was infeasible; this is a bug")
    return best[1], best[2]
