"""HiGHS's stray print never reaches standard output.

SciPy's bundled HiGHS prints ``HighsMipSolverData::transformNewIntegerFeasibleSolution
tmpSolver.run();`` with a bare ``printf`` when it repairs a MIP incumbent (seen under
``crowdguard demo`` and ``simulate``), whatever its logging options. The games below make it
print (found by a search over random games); the run is a separate process so its file
descriptor 1 is captured, not just Python's ``sys.stdout``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np, scipy.sparse as sp
    from crowdguard.games.flow import (
        CoveragePolytope, FlowPayoffs, solve_flow_game, _solve_maximin, TIE_DELTA,
        payoff_scale,
    )

    def game(seed):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(3, 12)); m = float(rng.integers(1, n))
        rd = rng.uniform(0, 10, n); pd = -rng.uniform(0, 100, n)
        ra = rng.uniform(0, 100, n); pa = -rng.uniform(0, 10, n)
        if seed % 2:
            ra = np.round(ra / 25) * 25
        polytope = CoveragePolytope(
            coverage=sp.identity(n, format="csr"), a_eq=sp.csr_matrix(np.ones((1, n))),
            b_eq=np.array([m]), lower=np.zeros(n), upper=np.ones(n),
        )
        return FlowPayoffs(rd, pd, pa, ra), polytope

    payoffs, polytope = game(388)  # the ERASER MILP over the polytope
    solve_flow_game(payoffs, polytope, method="milp", tie="strong")
    payoffs, polytope = game(396)  # the robust tie's maximin MILP
    _solve_maximin(payoffs, polytope, 60.0, TIE_DELTA * payoff_scale(payoffs))
    print("done")
    """
)


def test_milp_solves_print_nothing_to_stdout() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout == "done\n", run.stdout
