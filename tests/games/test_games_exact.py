"""Small games solved by hand, in exact rationals, against every solver.

Notation (Kiekintveld et al., AAMAS 2009): for target t, ``U_a^u`` / ``U_a^c`` are the
attacker's payoffs when t is uncovered / covered, ``Δ_t = U_a^u - U_a^c``; coverage
``c_t = (U_a^u - x) / Δ_t`` holds the attacker at level ``x``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from crowdguard.games import SecurityGame, saturation, saturation_coverage, solve

SOLVERS = ("origami", "eraser", "multiple-lps")


def game(rows: list[tuple[float, float, float, float]], resources: int) -> SecurityGame:
    """Rows are (defender_covered, defender_uncovered, attacker_covered, attacker_uncovered)."""
    columns = list(zip(*rows, strict=True))
    return SecurityGame.from_arrays(
        defender_covered=columns[0],
        defender_uncovered=columns[1],
        attacker_covered=columns[2],
        attacker_uncovered=columns[3],
        resources=resources,
    )


def assert_solution(
    sol_game: SecurityGame,
    method: str,
    coverage: list[Fraction],
    attacker: Fraction,
    defender: Fraction,
    attacked: int,
) -> None:
    solution = solve(sol_game, method)
    assert solution.method == method
    np.testing.assert_allclose(solution.coverage, [float(c) for c in coverage], atol=1e-7)
    assert solution.attacker_utility == pytest.approx(float(attacker), abs=1e-7)
    assert solution.defender_utility == pytest.approx(float(defender), abs=1e-7)
    assert solution.attacked_target == attacked
    assert solution.certificate.ok


@pytest.mark.parametrize("method", SOLVERS)
def test_two_targets_one_resource(method: str) -> None:
    """A: U_a^u=1, U_a^c=0 (Δ=1), U_d = (0, -1); B: U_a^u=2, U_a^c=0 (Δ=2), U_d = (0, -4); m=1.

    ORIGAMI: Γ={B}; lowering x from 2 to 1 costs c_B = 1/2 < 1, so A joins. Then
    (1-x)/1 + (2-x)/2 = 1 gives 2 - 3x/2 = 1, x = 2/3, c_A = 1/3, c_B = 2/3.
    U_d(A) = -1 + 1/3 = -2/3; U_d(B) = -4 + 4(2/3) = -4/3. The attacker is indifferent and
    breaks the tie for the defender: attacks A, defender utility -2/3.
    """
    g = game([(0, -1, 0, 1), (0, -4, 0, 2)], 1)
    assert_solution(g, method, [Fraction(1, 3), Fraction(2, 3)], Fraction(2, 3), Fraction(-2, 3), 0)


@pytest.mark.parametrize("method", SOLVERS)
def test_three_targets_set_grows_then_resources_bind(method: str) -> None:
    """T1: U_a = (0, 10), T2: (0, 6), T3: (0, 2); U_d = (0, -10), (0, -8), (0, -2); m = 1.

    Γ={T1}: x 10 -> 6 costs c_1 = 4/10 < 1, T2 joins. Γ={T1,T2}: reaching x = 2 would cost
    8/10 + 4/6 = 22/15 > 1, so resources bind before T3 joins:
    (10-x)/10 + (6-x)/6 = 1  =>  2 - (4/15) x = 1  =>  x = 15/4;
    c_1 = (10 - 15/4)/10 = 5/8, c_2 = (6 - 15/4)/6 = 3/8, c_3 = 0 (T3 gives 2 < 15/4).
    U_d(T1) = -10 (3/8) = -15/4, U_d(T2) = -8 (5/8) = -5: attacked T1, defender -15/4.
    """
    g = game([(0, -10, 0, 10), (0, -8, 0, 6), (0, -2, 0, 2)], 1)
    assert_solution(
        g,
        method,
        [Fraction(5, 8), Fraction(3, 8), Fraction(0)],
        Fraction(15, 4),
        Fraction(-15, 4),
        0,
    )


@pytest.mark.parametrize("method", SOLVERS)
def test_saturated_resources_exceed_targets(method: str) -> None:
    """T1: U_a = (-1, 5) (Δ=6), U_d = (2, -5); T2: U_a = (1, 3) (Δ=2), U_d = (2, -3); m = 3.

    Γ={T1}: x 5 -> 3 costs 1/3, T2 joins. Γ={T1,T2}: x cannot go below max U_a^c = 1
    (T2 fully covered); that costs c_1 = 4/6 = 2/3, c_2 = 1: 5/3 < 3, 4/3 resources unused.
    Attacker level 1 on both; U_d(T1) = -5 + 7 (2/3) = -1/3, U_d(T2) = 2: attacked T2,
    defender utility 2 (the best payoff the defender has at all).
    """
    g = game([(2, -5, -1, 5), (2, -3, 1, 3)], 3)
    if method == "origami":
        assert_solution(g, method, [Fraction(2, 3), Fraction(1)], Fraction(1), Fraction(2), 1)
    else:  # with spare resources the LPs may cover T1 anywhere in [2/3, 1]: same equilibrium
        solution = solve(g, method)
        assert solution.attacked_target == 1
        assert solution.defender_utility == pytest.approx(2.0, abs=1e-7)
        assert solution.attacker_utility == pytest.approx(1.0, abs=1e-7)
        assert solution.coverage[1] == pytest.approx(1.0, abs=1e-7)
        assert solution.coverage[0] >= 2 / 3 - 1e-7


def test_saturation_point_of_the_saturated_game() -> None:
    """The game above reaches x* = 1 with 2/3 + 1 = 5/3 coverage, so s = ceil(5/3) = 2.

    With m = 1: (5-x)/6 + (3-x)/2 = 1 => 7/3 - 2x/3 = 1 => x = 2, c = (1/2, 1/2),
    U_d = (-3/2, -1/2): the defender gets -1/2 < 2, so the second resource matters.
    """
    g = game([(2, -5, -1, 5), (2, -3, 1, 3)], 1)
    assert saturation_coverage(g) == pytest.approx(5 / 3)
    assert saturation(g) == 2
    assert solve(g).defender_utility == pytest.approx(-0.5)
    more = game([(2, -5, -1, 5), (2, -3, 1, 3)], 2)
    assert solve(more).defender_utility == pytest.approx(2.0)


@pytest.mark.parametrize("method", SOLVERS)
def test_coverage_cap_stops_the_attack_set(method: str) -> None:
    """T1: U_a = (5, 10) (Δ=5), U_d = (1, -1); T2: U_a = (0, 4), U_d = (0, -100); m = 2.

    Γ={T1}: x can fall only to U_a^c(T1) = 5 (c_1 = 1), which is above U_a^u(T2) = 4, so T2
    never joins and one resource is left over. The attacker attacks the fully covered T1
    (5 > 4): attacker utility 5, defender utility U_d^c(T1) = 1.
    """
    g = game([(1, -1, 5, 10), (0, -100, 0, 4)], 2)
    assert_solution(g, method, [Fraction(1), Fraction(0)], Fraction(5), Fraction(1), 0)


@pytest.mark.parametrize("method", SOLVERS)
def test_tie_in_attacker_payoffs_goes_to_the_defender(method: str) -> None:
    """T1, T2: U_a = (0, 4) both; U_d = (0, -10) and (0, -1); m = 0.

    No coverage: the attacker gets 4 at either target. The Strong Stackelberg Equilibrium
    breaks the tie for the defender: T2, defender utility -1 (a pessimistic tie-break
    would give -10).
    """
    g = game([(0, -10, 0, 4), (0, -1, 0, 4)], 0)
    assert_solution(g, method, [Fraction(0), Fraction(0)], Fraction(4), Fraction(-1), 1)
    assert solve(g, method).attack_set == (0, 1)


@pytest.mark.parametrize("method", SOLVERS)
def test_tied_attacker_rewards_with_one_resource(method: str) -> None:
    """T1: U_a = (0, 4) (Δ=4), U_d = (0, -3); T2: U_a = (-4, 4) (Δ=8), U_d = (0, -9); m = 1.

    Both join at x = 4: (4-x)/4 + (4-x)/8 = 1 => x = 4/3, c = (2/3, 1/3).
    U_d(T1) = -3 + 3 (2/3) = -1, U_d(T2) = -9 + 9 (1/3) = -6: attacked T1, defender -1.
    """
    g = game([(0, -3, 0, 4), (0, -9, -4, 4)], 1)
    assert_solution(g, method, [Fraction(2, 3), Fraction(1, 3)], Fraction(4, 3), Fraction(-1), 0)


@pytest.mark.parametrize("method", ("eraser", "multiple-lps"))
def test_general_payoffs_where_origami_does_not_apply(method: str) -> None:
    """T1: covering it *helps* the attacker: U_a = (3, 1), U_d = (-5, -1); T2: U_a = (0, 2),
    U_d = (0, -2); m = 1.

    Covering T1 only raises the attacker's payoff there and lowers the defender's, so
    c_1 = 0 and T1 gives the attacker 1. On T2 the attacker gets 2 - 2 c_2; the defender
    gets -2 + 2 c_2. With c_2 < 1/2 the attacker takes T2, at c_2 = 1/2 it is indifferent and
    breaks the tie for the defender: T1 gives -1, T2 gives -1, equal. With c_2 > 1/2 the
    attacker takes T1: defender -1. So the optimum is -1 (T1 attacked, c_2 >= 1/2).
    ``auto`` must fall back to ERASER here.
    """
    g = game([(-5, -1, 3, 1), (0, -2, 0, 2)], 1)
    solution = solve(g, method)
    assert solution.defender_utility == pytest.approx(-1.0, abs=1e-7)
    assert solution.coverage[0] == pytest.approx(0.0, abs=1e-7)
    assert solution.coverage[1] >= 0.5 - 1e-7
    assert solve(g).method == "eraser"


def test_auto_uses_origami_when_it_applies() -> None:
    """Natural payoffs (covering helps the defender, hurts the attacker): ORIGAMI runs."""
    g = game([(0, -1, 0, 1), (0, -4, 0, 2)], 1)
    assert solve(g).method == "origami"


def test_origami_refuses_a_game_it_does_not_cover() -> None:
    """Forcing ORIGAMI on general payoffs is a GameError naming the target and the fix."""
    from crowdguard.errors import GameError

    g = game([(-5, -1, 3, 1), (0, -2, 0, 2)], 1)
    with pytest.raises(GameError, match=r"targets\[0\].*eraser"):
        solve(g, "origami")


def test_unknown_method_is_an_error() -> None:
    from crowdguard.errors import GameError

    with pytest.raises(GameError, match="simplex"):
        solve(game([(0, -1, 0, 1)], 1), "simplex")
