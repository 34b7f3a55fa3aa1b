"""Randomised systematic sampling: turn one slot's coverage into which venues get a team.

Given marginal coverage ``c_1..c_n`` with every ``c_v`` in [0, 1] and ``sum(c) <= m``, we want
a random set of venues, of size at most ``m``, in which venue ``v`` appears with probability
exactly ``c_v``. Systematic sampling (Madow, "On the theory of systematic sampling, II",
*Annals of Mathematical Statistics* 20, 1949) does this with one uniform draw: lay the
coverages end to end on [0, sum(c)), draw ``u`` uniform in [0, 1) and pick the venues whose
interval contains one of the points ``u, u + 1, u + 2, ...``. Because each interval is at most
1 long it holds at most one point, so no venue is picked twice and the number picked is
``floor(sum c)`` or ``ceil(sum c)``, never more than ``m``.

Plain systematic sampling in a fixed order is predictable in its *joint* behaviour (two
venues next to each other in the order are rarely picked together). We shuffle the order
before every draw, which keeps the marginals exact and removes that pattern; this is the
randomised systematic design of Goodman & Kish (*JASA* 45, 1950). The same marginals are
what the Stackelberg solution commits to, so an observer learns nothing beyond the published
coverage (Korzhyk, Conitzer & Parr, AAAI 2010, show any marginal vector with these bounds
is implementable by some distribution over pure assignments; this is one such distribution).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

__all__ = ["systematic_sample"]

_EPS = 1e-9


def systematic_sample(coverage: Sequence[float], rng: random.Random) -> list[int]:
    """Indices of the venues picked in one draw; venue ``v`` is picked w.p. ``coverage[v]``.

    ``rng`` is the source of randomness: ``secrets.SystemRandom()`` for operational rosters,
    ``random.Random(seed)`` for tests and audits. The result is sorted.

    >>> systematic_sample([1.0, 0.0, 1.0], random.Random(1))
    [0, 2]
    """
    values = [min(1.0, max(0.0, float(c))) for c in coverage]
    for index, value in enumerate(coverage):
        if not math.isfinite(float(value)) or float(value) < -_EPS or float(value) > 1 + _EPS:
            raise ValueError(f"coverage[{index}] = {value!r} is not a probability in [0, 1]")
    order = list(range(len(values)))
    rng.shuffle(order)
    u = rng.random()
    picked: list[int] = []
    cumulative = 0.0
    for index in order:
        low = cumulative
        cumulative += values[index]
        # The first point u + j at or after `low`; picked when it falls before `cumulative`.
        point = u + math.ceil(low - u - _EPS)
        if point < cumulative - _EPS:
            picked.append(index)
    return sorted(picked)
