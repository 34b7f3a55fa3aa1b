"""Allocating a budget of teams over targets, shared by the planner and the baselines."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crowdguard.errors import InputError

__all__ = ["water_fill"]

FloatArray = NDArray[np.float64]


def water_fill(weights: FloatArray, budget: float) -> FloatArray:
    """Coverage proportional to ``weights``, capped at 1, summing to ``min(budget, n)``.

    Water-filling: ``c_i = min(1, lambda w_i)`` with ``lambda`` chosen so the total is the
    budget (Boyd & Vandenberghe 2004, example 5.2). Sorting the weights once finds
    ``lambda`` exactly: if the ``k`` largest are capped, ``lambda = (budget - k) / (sum of
    the rest)``. Targets of zero weight get nothing while any positive weight can absorb
    the budget; a budget left over after every positive-weight target is full is spread
    evenly over the zero-weight ones (the team is on duty anyway).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise InputError("weights: expected finite, non-negative numbers")
    n = w.size
    out = np.zeros(n)
    budget = min(float(budget), float(n))
    if budget <= 0 or n == 0:
        return out
    positive = np.flatnonzero(w > 0)
    if budget >= positive.size:
        out[positive] = 1.0
        zeros = np.flatnonzero(w == 0)
        if zeros.size:
            out[zeros] = (budget - positive.size) / zeros.size
        return out
    order = positive[np.argsort(-w[positive], kind="stable")]
    sorted_w = w[order]
    tail = np.cumsum(sorted_w[::-1])[::-1]  # tail[k] = sum of sorted_w[k:]
    for k in range(order.size):
        level = (budget - k) / tail[k]
        if level * sorted_w[k] <= 1.0:
            out[order[:k]] = 1.0
            out[order[k:]] = level * sorted_w[k:]
            return out
    out[order] = 1.0  # unreachable: budget < positive.size keeps the last level below 1
    return out
