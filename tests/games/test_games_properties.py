"""Conformance: ORIGAMI, ERASER and multiple LPs agree, and every answer is certified.

The three solvers are independent methods: ORIGAMI is a closed-form sweep (Kiekintveld et
al., AAMAS 2009), ERASER one MILP (same paper), multiple LPs one LP per target (Conitzer &
Sandholm, EC 2006). Agreement in the defender's utility to 1e-6 on random games, including
ties, zero-sum and correlated payoffs and saturated resources, is the correctness evidence.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from crowdguard.games import SecurityGame, certify, generate_game, solve

SOLVERS = ("origami", "eraser", "multiple-lps")
AGREE = 1e-6


def uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def integral(low: int, high: int) -> st.SearchStrategy[float]:
    """Whole-number payoffs: they make exact ties in the attacker's payoffs common."""
    return st.integers(low, high).map(float)


@st.composite
def natural_game(draw: st.DrawFn) -> SecurityGame:
    """The literature's payoffs (rewards in [1, 10], penalties in [-10, -1]), three flavours."""
    n = draw(st.integers(1, 8))
    resources = draw(st.integers(1, n + 1))
    flavour = draw(st.sampled_from(["independent", "ties", "zero-sum", "correlated"]))
    if flavour == "correlated":
        seed = draw(st.integers(0, 2**32))
        r = draw(uniform(-1.0, 0.0))
        return generate_game(n, resources, seed=seed, correlation=r)
    reward = integral(1, 10) if flavour == "ties" else uniform(1.0, 10.0)
    penalty = integral(-10, -1) if flavour == "ties" else uniform(-10.0, -1.0)
    attacker_uncovered = draw(st.lists(reward, min_size=n, max_size=n))
    attacker_covered = draw(st.lists(penalty, min_size=n, max_size=n))
    if flavour == "zero-sum":
        defender_covered = [-x for x in attacker_covered]
        defender_uncovered = [-x for x in attacker_uncovered]
    else:
        defender_covered = draw(st.lists(reward, min_size=n, max_size=n))
        defender_uncovered = draw(st.lists(penalty, min_size=n, max_size=n))
    return SecurityGame.from_arrays(
        defender_covered=defender_covered,
        defender_uncovered=defender_uncovered,
        attacker_covered=attacker_covered,
        attacker_uncovered=attacker_uncovered,
        resources=resources,
    )


@st.composite
def general_game(draw: st.DrawFn) -> SecurityGame:
    """Any payoffs at all (covering may help the attacker or hurt the defender)."""
    n = draw(st.integers(1, 6))
    values = integral(-10, 10) if draw(st.booleans()) else uniform(-10.0, 10.0)
    columns = [draw(st.lists(values, min_size=n, max_size=n)) for _ in range(4)]
    return SecurityGame.from_arrays(
        defender_covered=columns[0],
        defender_uncovered=columns[1],
        attacker_covered=columns[2],
        attacker_uncovered=columns[3],
        resources=draw(st.integers(0, n + 1)),
    )


@settings(max_examples=60, deadline=None)
@given(game=natural_game())
def test_three_solvers_agree_and_are_certified(game: SecurityGame) -> None:
    note(repr(game.to_json()))
    solutions = {method: solve(game, method) for method in SOLVERS}
    reference = solutions["multiple-lps"].defender_utility
    for method, solution in solutions.items():
        assert solution.defender_utility == pytest.approx(reference, abs=AGREE), method
        assert solution.certificate.ok, (method, solution.certificate.failures)
        # The certificate is recomputed independently of the solver's own bookkeeping.
        assert certify(game, solution.coverage, solution.attacked_target).ok
        assert solution.coverage.sum() <= game.resources + 1e-9
        assert np.all((solution.coverage >= 0) & (solution.coverage <= 1))
    # The attacker's utility at equilibrium is unique too (ORIGAMI minimises it and an SSE
    # with a better defender utility cannot hold the attacker higher in these games).
    assert solutions["origami"].attacker_utility == pytest.approx(
        solutions["eraser"].attacker_utility, abs=1e-5
    )


@settings(max_examples=60, deadline=None)
@given(game=general_game())
def test_eraser_and_multiple_lps_agree_on_general_payoffs(game: SecurityGame) -> None:
    note(repr(game.to_json()))
    eraser = solve(game, "eraser")
    lps = solve(game, "multiple-lps")
    assert eraser.defender_utility == pytest.approx(lps.defender_utility, abs=AGREE)
    assert eraser.certificate.ok and lps.certificate.ok
    assert solve(game).defender_utility == pytest.approx(lps.defender_utility, abs=AGREE)


@settings(max_examples=40, deadline=None)
@given(game=natural_game(), data=st.data())
def test_no_feasible_coverage_beats_the_solution(game: SecurityGame, data: st.DataObject) -> None:
    """Random feasible coverages, with the attacker's SSE response, never do better."""
    best = solve(game).defender_utility
    n = game.n_targets
    weights = np.array(data.draw(st.lists(uniform(0.0, 1.0), min_size=n, max_size=n)))
    coverage = np.minimum(1.0, weights * min(game.resources, n) / max(weights.sum(), 1e-12))
    attacker = game.attacker_utilities(coverage)
    defender = game.defender_utilities(coverage)
    responses = attacker >= attacker.max() - 1e-12
    assert defender[responses].max() <= best + AGREE


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9, 1.5])
def test_origami_matches_eraser_on_a_larger_game(ratio: float) -> None:
    """150 targets, correlated payoffs, around the saturation point (Jain et al., AAAI 2012):
    the vectorised sweep stops mid-array, at the end, or with resources to spare."""
    from crowdguard.games import saturation

    base = generate_game(150, 1, seed=11, correlation=-0.5)
    m = max(1, round(ratio * saturation(base)))
    game = generate_game(150, m, seed=11, correlation=-0.5)
    fast, slow = solve(game, "origami"), solve(game, "eraser")
    assert fast.defender_utility == pytest.approx(slow.defender_utility, abs=AGREE)
    assert fast.attacker_utility == pytest.approx(slow.attacker_utility, abs=1e-5)
