"""The SSE over a flow polytope: two independent exact methods agree, certificates bite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crowdguard.errors import CertificateFailed
from crowdguard.games.flow import (
    CoveragePolytope,
    FlowPayoffs,
    attacker_utilities,
    certify,
    solve_flow_game,
)
from crowdguard.patrols.graph import build_graph, flow_polytope
from crowdguard.patrols.travel import places_of, straight_line_travel

DAY = dt.date(2026, 12, 5)


def _payoffs(targets: Any) -> FlowPayoffs:
    return FlowPayoffs(
        targets.defender_covered,
        targets.defender_uncovered,
        targets.attacker_covered,
        targets.attacker_uncovered,
    )


@pytest.mark.parametrize("seed", range(6))
def test_milp_and_multiple_lps_agree_on_patrol_days(
    seed: int, make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = make_scenario()
    targets = make_targets(sc, seed)
    graph = build_graph(sc, DAY, targets, straight_line_travel(places_of(sc)))
    polytope = flow_polytope(graph)
    milp = solve_flow_game(_payoffs(targets), polytope, method="milp", tie="strong")
    lps = solve_flow_game(_payoffs(targets), polytope, method="multiple-lps", tie="strong")
    pruned = solve_flow_game(_payoffs(targets), polytope, method="pruned-lps", tie="strong")
    assert milp.defender_utility == pytest.approx(lps.defender_utility, abs=1e-6)
    assert pruned.defender_utility == pytest.approx(lps.defender_utility, abs=1e-6)
    assert milp.certificate["passed"] and lps.certificate["passed"]


def _marginal_polytope(n: int, m: float) -> CoveragePolytope:
    """ERASER's polytope {0 <= c <= 1, sum c <= m} written with a slack variable."""
    coverage = sp.hstack([sp.identity(n), sp.csr_matrix((n, 1))]).tocsr()
    a_eq = sp.csr_matrix(np.ones((1, n + 1)))
    return CoveragePolytope(coverage, a_eq, np.array([m]), np.zeros(n + 1), np.r_[np.ones(n), m])


def _brute_force_sse(p: FlowPayoffs, m: float, grid: int) -> float:
    """Grid search over coverage vectors of two targets (an independent, dumb method)."""
    best = -np.inf
    for c0 in np.linspace(0, 1, grid):
        for c1 in np.linspace(0, 1, grid):
            if c0 + c1 > m + 1e-12:
                continue
            c = np.array([c0, c1])
            ua = attacker_utilities(p, c)
            attack_set = np.flatnonzero(ua >= ua.max() - 1e-9)
            ud = c * p.defender_covered + (1 - c) * p.defender_uncovered
            best = max(best, float(ud[attack_set].max()))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_two_target_game_matches_a_grid_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = FlowPayoffs(
        rng.uniform(1, 10, 2),
        rng.uniform(-10, -1, 2),
        rng.uniform(-10, -1, 2),
        rng.uniform(1, 10, 2),
    )
    solution = solve_flow_game(p, _marginal_polytope(2, 0.5), tie="strong")
    # The grid optimum is a lower bound within the grid's resolution of the exact optimum.
    brute = _brute_force_sse(p, 0.5, 401)
    assert brute <= solution.defender_utility + 1e-9
    assert solution.defender_utility - brute < 0.2


def test_more_teams_never_hurt(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    one = make_scenario(
        teams=[
            {
                "callsign": "foot-1",
                "base": "ops-winchester",
                "kind": "foot",
                "shifts": ["10:00-16:00"],
            }
        ]
    )
    two = make_scenario()
    targets = make_targets(one, 3)
    u = []
    for sc in (one, two):
        graph = build_graph(sc, DAY, targets, straight_line_travel(places_of(sc)))
        u.append(
            solve_flow_game(_payoffs(targets), flow_polytope(graph), tie="strong").defender_utility
        )
    assert u[1] >= u[0] - 1e-9


def test_certificate_rejects_a_tampered_strategy(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = make_scenario()
    targets = make_targets(sc, 4)
    polytope = flow_polytope(build_graph(sc, DAY, targets, straight_line_travel(places_of(sc))))
    solution = solve_flow_game(_payoffs(targets), polytope)
    broken = solution.z.copy()
    broken[np.argmax(broken)] += 0.5  # breaks flow conservation
    with pytest.raises(CertificateFailed, match="conservation"):
        certify(_payoffs(targets), polytope, broken, solution.defender_utility)
    with pytest.raises(CertificateFailed, match="defender utility"):
        certify(_payoffs(targets), polytope, solution.z, solution.defender_utility + 1.0)


def test_attack_set_is_indifferent_and_others_worse(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = make_scenario()
    targets = make_targets(sc, 5)
    polytope = flow_polytope(build_graph(sc, DAY, targets, straight_line_travel(places_of(sc))))
    solution = solve_flow_game(_payoffs(targets), polytope)
    ua = attacker_utilities(_payoffs(targets), solution.coverage)
    assert solution.attacked_target in solution.certificate["attack_set"]
    assert ua[solution.attacked_target] == pytest.approx(ua.max(), abs=1e-6)
    assert np.all((solution.coverage >= -1e-9) & (solution.coverage <= 1 + 1e-9))


@pytest.mark.parametrize("seed", range(4))
def test_routes_rebuild_the_flow(
    seed: int, make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """Path decomposition is exact: sum of route probability x teams on each arc = the flow."""
    from crowdguard.patrols.decompose import decompose

    sc = make_scenario()
    targets = make_targets(sc, seed)
    graph = build_graph(sc, DAY, targets, straight_line_travel(places_of(sc)))
    solution = solve_flow_game(_payoffs(targets), flow_polytope(graph))
    rebuilt = np.zeros(graph.n_arcs)
    for k, lottery in enumerate(decompose(graph, solution.z)):
        assert sum(r.probability for r in lottery) == pytest.approx(1.0)
        for route in lottery:
            rebuilt[list(route.arcs)] += route.probability * graph.commodities[k].size
            assert graph.arc_tail[route.arcs[0]] == graph.source[k]
            assert graph.arc_head[route.arcs[-1]] == graph.sink[k]
    assert np.allclose(rebuilt, solution.z, atol=1e-5)


def test_patrols_public_api_is_stable() -> None:
    import crowdguard.patrols as patrols

    assert set(patrols.__all__) == {
        "AuditResult", "DayPlan", "Override", "Place", "TravelTimes", "audit_rosters",
        "draw_roster", "load_rosters", "override_cost", "places_of", "plan_day",
        "road_graph_travel", "straight_line_travel", "visibility_tradeoff",
    }  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 6),
    m=st.floats(0.2, 3.0),
    seed=st.integers(0, 10_000),
)
# CI found this one: all three targets tie for the attacker, and the MILP's coverage, exact
# only to HiGHS's MIP feasibility tolerance, let a tied target win by 1e-5, so the attacker
# broke the tie against the defender (1.69 instead of 6.74). The MILP's answer is now
# polished by the LP for the target it names.
@example(n=3, m=2.25, seed=4930)
def test_milp_equals_multiple_lps_on_random_marginal_games(n: int, m: float, seed: int) -> None:
    """Property: on random ERASER games both exact methods agree and certify."""
    rng = np.random.default_rng(seed)
    p = FlowPayoffs(
        rng.uniform(1, 10, n),
        rng.uniform(-10, -1, n),
        rng.uniform(-10, -1, n),
        rng.uniform(1, 10, n),
    )
    polytope = _marginal_polytope(n, min(m, n))
    a = solve_flow_game(p, polytope, method="milp", tie="strong")
    b = solve_flow_game(p, polytope, method="multiple-lps", tie="strong")
    c = solve_flow_game(p, polytope, method="pruned-lps", tie="strong")
    assert c.defender_utility == pytest.approx(b.defender_utility, abs=1e-5)
    # Equal up to the certificate's tie tolerance (1e-6 x the payoff scale of 10).
    assert a.defender_utility == pytest.approx(b.defender_utility, abs=1e-5)
    assert float(a.coverage.sum()) <= min(m, n) + 1e-6
