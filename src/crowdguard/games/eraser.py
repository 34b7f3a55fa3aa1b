"""ERASER: the compact security game as one mixed-integer linear programme (MILP).

Reference: C. Kiekintveld, M. Jain, J. Tsai, J. Pita, F. Ordóñez, M. Tambe, "Computing
Optimal Randomized Resource Allocations for Massive Security Games", AAMAS 2009, section 4
(ERASER, "Efficient Randomized Allocation of Security Resources"), equations (1)-(8).

Variables: coverage ``c_t`` in ``[0, 1]``, a binary ``a_t`` per target (1 for the attacked
target), the defender's utility ``d`` and the attacker's utility ``k``. The programme:

1. ``max d``
2. ``a_t ∈ {0, 1}`` and ``Σ_t a_t = 1`` (the attacker picks one target);
3. ``0 <= c_t <= 1`` and ``Σ_t c_t <= m`` (the resources);
4. ``d - U_d(t, c) <= (1 - a_t) M_d`` (the defender gets the attacked target's utility);
5. ``0 <= k - U_a(t, c) <= (1 - a_t) M_a`` (``k`` is the attacker's best utility and the
   attacked target attains it).

Because the objective maximises ``d`` over the attacker's best responses, ties are broken in
the defender's favour: the optimum is the Strong Stackelberg Equilibrium. Unlike ORIGAMI it
needs no sign conditions on the payoffs.

**Big-M.** ``d`` is bounded to ``[min U_d, max U_d]`` over all defender payoffs and
``U_d(t, c)`` never falls below that minimum, so ``M_d = max U_d - min U_d`` (the range of
the defender's payoffs) makes constraint 4 slack whenever ``a_t = 0``. Likewise
``M_a = max U_a - min U_a`` for constraint 5. These are the smallest constants that are valid
for every coverage, which keeps the LP relaxation as tight as the formulation allows.

**Polishing.** MILP solvers accept ``a_t`` within an integrality tolerance, and with a big-M
that leaks into the coverage. So after HiGHS (through ``highspy``) names the
attacked target, the coverage is recomputed by the multiple-LPs programme for that one target
(:func:`~crowdguard.games.multiple_lps.attacked_target_lp`): the same optimum, free of big-M
round-off. If that LP is infeasible or falls short of the MILP's value (payoffs so close
that HiGHS's 1e-6 feasibility tolerance blurred a strict preference into a tie), the exact
multiple-LPs reference is solved instead, as it is when HiGHS ends with a spurious "Solve
error" and no incumbent, with and without presolve (ERGO-Code/HiGHS issues #2782, #2808).
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_array, vstack

from crowdguard.errors import SolverFailed
from crowdguard.games._quiet import quiet_stdout
from crowdguard.games.multiple_lps import attacked_target_lp, multiple_lps_coverage

__all__ = ["eraser_coverage"]

FloatArray = NDArray[np.float64]


def _run_highs(model: Any, mip_rel_gap: float, mip_abs_gap: float) -> FloatArray | None:
    """Run HiGHS on the MILP; the column values, or ``None`` after a spurious "Solve error".

    Raises :class:`~crowdguard.errors.SolverFailed` for any other non-optimal status.
    """
    for presolve in ("choose", "off"):
        with quiet_stdout():
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
            highs.setOptionValue("output_flag", False)
            highs.setOptionValue("mip_rel_gap", mip_rel_gap)
            highs.setOptionValue("mip_abs_gap", mip_abs_gap)
            highs.setOptionValue("presolve", presolve)
            highs.passModel(model)
            highs.run()
        status = highs.getModelStatus()
        solution = highs.getSolution()
        if status == highspy.HighsModelStatus.kOptimal or (
            status == highspy.HighsModelStatus.kSolveError and solution.value_valid
        ):
            # A "Solve error" with an incumbent still names the attacked target; the coverage
            # is recomputed by the polishing LP anyway.
            return np.asarray(solution.col_value, dtype=np.float64)
        if status != highspy.HighsModelStatus.kSolveError:
            raise SolverFailed(
                f"HiGHS MILP (ERASER) did not reach optimality: {highs.modelStatusToString(status)}"
            )
    return None


def eraser_coverage(
    defender_covered: FloatArray,
    defender_uncovered: FloatArray,
    attacker_covered: FloatArray,
    attacker_uncovered: FloatArray,
    resources: float,
    *,
    mip_rel_gap: float = 1e-9,
    mip_abs_gap: float = 1e-8,
) -> tuple[FloatArray, int]:
    """Solve the ERASER MILP (steps 1-5) and return ``(coverage, attacked target index)``.

    The gaps are HiGHS's relative and absolute optimality gaps; the defaults are far below the
    1e-6 agreement the solvers are tested to.
    """
    n = attacker_uncovered.shape[0]
    attacker_delta = attacker_uncovered - attacker_covered  # U_a(t, c) = U_a^u - c Δ_a
    defender_delta = defender_covered - defender_uncovered  # U_d(t, c) = U_d^u + c Δ_d
    defender_low = float(min(defender_covered.min(), defender_uncovered.min()))
    defender_high = float(max(defender_covered.max(), defender_uncovered.max()))
    attacker_low = float(min(attacker_covered.min(), attacker_uncovered.min()))
    attacker_high = float(max(attacker_covered.max(), attacker_uncovered.max()))
    big_m_defender = defender_high - defender_low
    big_m_attacker = attacker_high - attacker_low

    # Column layout: c_0..c_{n-1}, a_0..a_{n-1}, d, k.
    d_col, k_col = 2 * n, 2 * n + 1
    width = 2 * n + 2
    idx = np.arange(n)
    ones = np.ones(n)

    def block(columns: list[tuple[NDArray[np.int64], FloatArray]]) -> coo_array:
        rows = np.concatenate([idx for _ in columns])
        cols = np.concatenate([c for c, _ in columns])
        vals = np.concatenate([v for _, v in columns])
        return coo_array((vals, (rows, cols)), shape=(n, width))

    budget = coo_array((ones, (np.zeros(n, dtype=np.int64), idx)), shape=(1, width))
    one_target = coo_array((ones, (np.zeros(n, dtype=np.int64), n + idx)), shape=(1, width))
    # (4) d - Δ_d c_t + M_d a_t <= M_d + U_d^u(t)
    defender_rows = block(
        [
            (np.full(n, d_col), ones),
            (idx, -defender_delta),
            (n + idx, np.full(n, big_m_defender)),
        ]
    )
    # (5, left) k + Δ_a c_t >= U_a^u(t)
    attacker_low_rows = block([(np.full(n, k_col), ones), (idx, attacker_delta)])
    # (5, right) k + Δ_a c_t + M_a a_t <= M_a + U_a^u(t)
    attacker_high_rows = block(
        [
            (np.full(n, k_col), ones),
            (idx, attacker_delta),
            (n + idx, np.full(n, big_m_attacker)),
        ]
    )
    matrix = vstack(
        [budget, one_target, defender_rows, attacker_low_rows, attacker_high_rows], format="csr"
    )
    lower = np.concatenate(
        [[-np.inf, 1.0], np.full(n, -np.inf), attacker_uncovered, np.full(n, -np.inf)]
    )
    upper = np.concatenate(
        [
            [float(resources), 1.0],
            big_m_defender + defender_uncovered,
            np.full(n, np.inf),
            big_m_attacker + attacker_uncovered,
        ]
    )
    objective = np.zeros(width)
    objective[d_col] = -1.0
    var_low = np.zeros(width)
    var_high = np.ones(width)
    var_low[d_col], var_high[d_col] = defender_low, defender_high
    var_low[k_col], var_high[k_col] = attacker_low, attacker_high
    columns = matrix.tocsc()
    model = highspy.HighsLp()
    model.num_col_ = width
    model.num_row_ = matrix.shape[0]
    model.col_cost_ = objective
    model.col_lower_ = var_low
    model.col_upper_ = var_high
    model.row_lower_ = np.where(np.isinf(lower), -highspy.kHighsInf, lower)
    model.row_upper_ = np.where(np.isinf(upper), highspy.kHighsInf, upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = columns.indptr
    model.a_matrix_.index_ = columns.indices
    model.a_matrix_.value_ = columns.data
    model.integrality_ = (
        [highspy.HighsVarType.kContinuous] * n
        + [highspy.HighsVarType.kInteger] * n
        + [highspy.HighsVarType.kContinuous] * 2
    )
    values = _run_highs(model, mip_rel_gap, mip_abs_gap)
    if values is None:
        # HiGHS 1.12-1.16 can end an optimal MIP with "Solve error" and no usable incumbent
        # when its final feasibility re-check finds a violation equal to its tolerance
        # (ERGO-Code/HiGHS issues #2782 and #2808); with and without presolve both failing,
        # the exact multiple-LPs reference answers instead.
        return multiple_lps_coverage(
            defender_covered, defender_uncovered, attacker_covered, attacker_uncovered, resources
        )
    attacked = int(np.argmax(values[n : 2 * n]))
    polished = attacked_target_lp(
        defender_covered,
        defender_uncovered,
        attacker_covered,
        attacker_uncovered,
        resources,
        attacked,
    )
    milp_value = float(values[d_col])
    scale = max(1.0, big_m_defender, abs(defender_low), abs(defender_high))
    if polished is None or polished[1] < milp_value - 1e-7 * scale:
        # A near-tie (payoffs within HiGHS's 1e-6 feasibility tolerance) let the MILP treat a
        # target as a best response that exactly is not: fall back to the exact reference.
        return multiple_lps_coverage(
            defender_covered, defender_uncovered, attacker_covered, attacker_uncovered, resources
        )
    return polished[0], attacked
