"""Visibility: how many shoppers see an armed patrol, a floor on it, and its price.

Visible, unpredictable deployments are a deterrent in their own right (Project Servator,
``domain.md`` section 4). We measure **expected shoppers who pass a patrol**:
``sum_t crowd_t x coverage_t x pass_by``, where ``crowd_t`` is the expected number of
people present at venue-slot ``t`` and ``pass_by`` (default 0.25, **[ESTIMATE]**) is the
share of them who walk within sight of a patrol dwelling there during the slot. Coverage is
the effectiveness-weighted expected presence (:mod:`crowdguard.patrols.graph`), so the
measure is linear in the flow and a floor on it is one linear row.

:func:`crowdguard.patrols.whatifs.visibility_tradeoff` traces the defender's equilibrium utility as the floor rises
from 0 to the most visibility the teams can give: the price of being seen.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from crowdguard.games.flow import CoveragePolytope

__all__ = [
    "PASS_BY",
    "expected_visibility",
    "max_visibility",
    "visibility_floor_row",
]

PASS_BY = 0.25


def expected_visibility(crowd: np.ndarray, coverage: np.ndarray, pass_by: float = PASS_BY) -> float:
    """Expected number of shoppers who pass a patrol over the targets."""
    return float(np.sum(np.asarray(crowd) * np.asarray(coverage)) * pass_by)


def visibility_floor_row(
    polytope: CoveragePolytope, crowd: np.ndarray, floor: float, pass_by: float = PASS_BY
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The row ``-pass_by * crowd^T C z <= -floor``."""
    row = -(pass_by * sp.csr_matrix(np.asarray(crowd, dtype=float)) @ polytope.coverage)
    return sp.csr_matrix(row), np.array([-float(floor)])


def max_visibility(
    polytope: CoveragePolytope, crowd: np.ndarray, pass_by: float = PASS_BY
) -> float:
    """The most visibility any plan in the polytope gives (one LP, HiGHS)."""
    objective = -(pass_by * (sp.csr_matrix(np.asarray(crowd, dtype=float)) @ polytope.coverage))
    a_ub = polytope.coverage
    b_ub = np.ones(polytope.coverage.shape[0])
    if polytope.a_ub is not None and polytope.b_ub is not None:
        a_ub = sp.vstack([a_ub, polytope.a_ub]).tocsr()
        b_ub = np.concatenate([b_ub, polytope.b_ub])
    result = linprog(
        objective.toarray().ravel(),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=polytope.a_eq,
        b_eq=polytope.b_eq,
        bounds=np.column_stack([polytope.lower, polytope.upper]),
        method="highs",
    )
    return float(-result.fun) if result.status == 0 else 0.0
