"""ORIGAMI: the optimal coverage of a compact security game in O(n log n).

Reference: C. Kiekintveld, M. Jain, J. Tsai, J. Pita, F. Ordóñez, M. Tambe, "Computing
Optimal Randomized Resource Allocations for Massive Security Games", AAMAS 2009, Algorithm 1
(ORIGAMI, "Optimizing Resources In GAMes using Maximal Indifference").

It applies when covering a target is bad for the attacker and good for the defender
(``attacker_covered < attacker_uncovered`` and ``defender_covered >= defender_uncovered`` for
every target). Write ``Δ_t = U_a^u(t) - U_a^c(t) > 0``; coverage ``c_t`` holds the attacker
at level ``x`` on target ``t`` when ``c_t = (U_a^u(t) - x) / Δ_t``. The paper's steps:

1. Sort the targets by the attacker's uncovered payoff ``U_a^u``, largest first.
2. Start with the attack set ``Γ = {t_1}`` and the attacker's level ``x = U_a^u(t_1)``.
3. Lower ``x`` towards the next target's ``U_a^u(t_{k+1})``, adding coverage to every target
   in ``Γ`` so the attacker stays indifferent across ``Γ``.
4. Stop if the resources run out (``sum_Γ c_t = m``) or a target in ``Γ`` reaches coverage 1
   (``x = max_Γ U_a^c``); otherwise add ``t_{k+1}`` to ``Γ`` and go to step 3.
5. Solve for the final level ``x`` and read off the coverage; the attacker attacks the
   target in ``Γ`` that is best for the defender (strong Stackelberg tie-breaking).

The paper runs steps 3-4 as a loop (O(n²)). Here they are vectorised: with ``k`` targets in
``Γ`` the resources needed to reach level ``y`` are ``A_k - y B_k``, with prefix sums
``A_k = Σ_{i<=k} U_a^u(t_i)/Δ_i`` and ``B_k = Σ_{i<=k} 1/Δ_i``; the coverage cap is the prefix
maximum ``C_k = max_{i<=k} U_a^c(t_i)``. The attack set stops growing at the first ``k`` with
``A_k - max(U_a^u(t_{k+1}), C_k) B_k >= m`` or ``C_k >= U_a^u(t_{k+1})``, and then
``x = max((A_k - m)/B_k, C_k)``. A sort, three cumulative sums and one ``argmax``: no Python
loop over targets. Ties in ``U_a^u`` need no care (tied targets join at the same level); with
``m >= n`` or leftover resources the level stops at ``C_k`` (one target fully covered, the
rest of the resources unused since no allocation can lower ``x`` further).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["origami_applies", "origami_coverage"]

FloatArray = NDArray[np.float64]


def origami_applies(
    defender_covered: FloatArray,
    defender_uncovered: FloatArray,
    attacker_covered: FloatArray,
    attacker_uncovered: FloatArray,
) -> int | None:
    """Return ``None`` if ORIGAMI applies, else the index of the first target that breaks it.

    ORIGAMI needs ``attacker_covered < attacker_uncovered`` and
    ``defender_covered >= defender_uncovered`` at every target (Kiekintveld et al. 2009, §3).
    """
    bad = (attacker_covered >= attacker_uncovered) | (defender_covered < defender_uncovered)
    if bad.any():
        return int(np.argmax(bad))
    return None


def origami_coverage(
    attacker_covered: FloatArray, attacker_uncovered: FloatArray, resources: float
) -> tuple[FloatArray, float]:
    """ORIGAMI steps 1-5: the minimal-attacker-utility coverage and the attacker's level ``x``.

    Assumes ``attacker_covered < attacker_uncovered`` everywhere (check with
    :func:`origami_applies`). Returns ``(coverage, x)`` with coverage in the input order;
    every target whose attacker utility equals ``x`` is in the attack set.
    """
    n = attacker_uncovered.shape[0]
    order = np.argsort(-attacker_uncovered, kind="stable")  # step 1
    uncovered = attacker_uncovered[order]
    inverse_delta = 1.0 / (uncovered - attacker_covered[order])
    # Steps 2-4 for every k at once (prefix sums over the sorted order).
    prefix_a = np.cumsum(uncovered * inverse_delta)
    prefix_b = np.cumsum(inverse_delta)
    cap = np.maximum.accumulate(attacker_covered[order])
    del order
    next_level = np.empty(n)
    next_level[:-1] = uncovered[1:]
    next_level[-1] = -np.inf
    floor = np.maximum(next_level, cap)
    stops = (prefix_a - floor * prefix_b >= resources) | (cap >= next_level)
    k = int(np.argmax(stops))  # stops[-1] is always true: next_level[-1] = -inf <= cap
    # Step 5: the level the attacker is held at.
    level = max((float(prefix_a[k]) - resources) / float(prefix_b[k]), float(cap[k]))
    del prefix_a, prefix_b, cap, floor, stops, next_level, uncovered, inverse_delta
    coverage = attacker_uncovered - level
    coverage /= attacker_uncovered - attacker_covered
    np.clip(coverage, 0.0, 1.0, out=coverage)
    return coverage, level
