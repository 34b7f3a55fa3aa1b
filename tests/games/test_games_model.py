"""SecurityGame validation, the JSON format, the certificate and the generator."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crowdguard.games
from crowdguard.errors import GameError
from crowdguard.games import (
    SecurityGame,
    certify,
    generate_game,
    saturation,
    solve,
)


def arrays(n: int = 3) -> dict[str, Any]:
    return {
        "defender_covered": [0.0] * n,
        "defender_uncovered": [-1.0] * n,
        "attacker_covered": [-1.0] * n,
        "attacker_uncovered": [1.0] * n,
    }


def test_public_surface_is_stable() -> None:
    """The names other packages code against are exported, and nothing else by accident."""
    assert set(crowdguard.games.__all__) == {
        "METHODS",
        "Certificate",
        "SecurityGame",
        "Solution",
        "certify",
        "generate_game",
        "saturation",
        "saturation_coverage",
        "solve",
    }


def test_default_ids_and_float_arrays() -> None:
    game = SecurityGame.from_arrays(**arrays(3), resources=1)
    assert game.ids == ("t0", "t1", "t2")
    assert game.attacker_uncovered.dtype == np.float64
    assert game.attacker_uncovered.shape == (3,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attacker_covered": [-1.0, -1.0]}, "attacker_covered has 2 entries"),
        ({"attacker_covered": [-1.0, math.nan, -1.0]}, r"targets\[1\]\.attacker_covered is NaN"),
        (
            {"defender_uncovered": [-1.0, -1.0, math.inf]},
            r"targets\[2\]\.defender_uncovered is inf",
        ),
        ({"attacker_uncovered": [1.0, 1e300, 1.0]}, r"targets\[1\]\.attacker_uncovered is 1e\+300"),
        ({"resources": -1}, "resources is -1; expected a non-negative integer"),
        ({"resources": 1.5}, "resources is 1.5"),
        ({"resources": True}, "resources is True"),
        ({"ids": ["a", "b", "a"]}, r"targets\[2\]\.id 'a' duplicates targets\[0\]\.id"),
    ],
)
def test_from_arrays_rejects_bad_input_naming_the_field(
    change: dict[str, Any], message: str
) -> None:
    kwargs: dict[str, Any] = {**arrays(3), "resources": 1, **change}
    with pytest.raises(GameError, match=message) as info:
        SecurityGame.from_arrays(**kwargs)
    assert "\n" not in str(info.value)


def test_empty_target_list_is_rejected() -> None:
    with pytest.raises(GameError, match="targets is empty"):
        SecurityGame.from_arrays(**arrays(0), resources=1)


def test_more_resources_than_targets_is_allowed() -> None:
    game = SecurityGame.from_arrays(**arrays(2), resources=5)
    solution = solve(game)
    assert np.all(solution.coverage <= 1.0)
    assert solution.certificate.ok


payoff = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def any_game(draw: st.DrawFn) -> SecurityGame:
    n = draw(st.integers(1, 6))
    columns = {
        name: draw(st.lists(payoff, min_size=n, max_size=n))
        for name in ("defender_covered", "defender_uncovered", "attacker_covered")
    }
    columns["attacker_uncovered"] = draw(st.lists(payoff, min_size=n, max_size=n))
    ids = draw(st.lists(st.text(min_size=1, max_size=12), min_size=n, max_size=n, unique=True))
    return SecurityGame.from_arrays(**columns, resources=draw(st.integers(0, 10)), ids=ids)


@settings(max_examples=60, deadline=None)
@given(game=any_game())
def test_json_round_trip_is_exact(game: SecurityGame, tmp_path_factory: Any) -> None:
    """to_json -> json text -> from_json gives back the same payoffs, ids and resources."""
    text = json.dumps(game.to_json())
    back = SecurityGame.from_json(json.loads(text))
    path = tmp_path_factory.mktemp("rt") / "game.json"
    path.write_text(text)
    from_file = SecurityGame.from_json(path)
    for other in (back, from_file):
        assert other.ids == game.ids
        assert other.resources == game.resources
        for name in (
            "defender_covered",
            "defender_uncovered",
            "attacker_covered",
            "attacker_uncovered",
        ):
            np.testing.assert_array_equal(getattr(other, name), getattr(game, name))


def good_target(**extra: Any) -> dict[str, Any]:
    return {
        "id": "market",
        "defender_covered": 0,
        "defender_uncovered": -120.0,
        "attacker_covered": -10.0,
        "attacker_uncovered": 95.0,
        **extra,
    }


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"resources": 1, "targets": [good_target(colour="red")]},
            r"targets\[0\]\.colour is not a known field",
        ),
        ({"resources": 1, "targets": [good_target()], "budget": 3}, "budget is not a known field"),
        ({"resources": -2, "targets": [good_target()]}, "resources is -2"),
        ({"resources": "3", "targets": [good_target()]}, "resources is '3'"),
        ({"resources": 1, "targets": []}, "targets is empty"),
        ({"targets": [good_target()]}, "resources is missing"),
        (
            {"resources": 1, "targets": [good_target(), good_target()]},
            r"targets\[1\]\.id 'market' duplicates",
        ),
        (
            {"resources": 1, "targets": [good_target(attacker_covered="high")]},
            r"targets\[0\]\.attacker_covered is 'high'; expected a finite number",
        ),
        (
            {"resources": 1, "targets": [good_target(attacker_covered=math.nan)]},
            r"targets\[0\]\.attacker_covered is NaN",
        ),
        ([1, 2], "top level is list"),
    ],
)
def test_from_json_errors_name_the_field(obj: Any, message: str) -> None:
    with pytest.raises(GameError, match=message) as info:
        SecurityGame.from_json(obj)
    assert "\n" not in str(info.value)


def test_malformed_json_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"resources": 1,\n "targets": [\n  {"id": "a",, }\n]}\n')
    with pytest.raises(GameError, match=r"bad\.json: malformed JSON at line 3"):
        SecurityGame.from_json(path)


def test_yaml_file_is_accepted_and_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    good = tmp_path / "game.yaml"
    good.write_text(
        "resources: 1\ntargets:\n  - {id: a, defender_covered: 0, defender_uncovered: -1,"
        " attacker_covered: -1, attacker_uncovered: 1}\n"
    )
    assert SecurityGame.from_json(good).ids == ("a",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("resources: 1\ntargets: [\n  {id: a\n")
    with pytest.raises(GameError, match=r"bad\.yaml: malformed YAML at line \d"):
        SecurityGame.from_json(bad)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GameError, match=r"nope\.json: no such file"):
        SecurityGame.from_json(tmp_path / "nope.json")


# --- the certificate -------------------------------------------------------------------------

TWO = SecurityGame.from_arrays(
    defender_covered=[0.0, 0.0],
    defender_uncovered=[-1.0, -4.0],
    attacker_covered=[0.0, 0.0],
    attacker_uncovered=[1.0, 2.0],
    resources=1,
)


def test_certificate_accepts_the_hand_derived_equilibrium() -> None:
    """c = (1/3, 2/3), attacked A: the SSE worked out in test_games_exact."""
    cert = certify(TWO, [1 / 3, 2 / 3], 0)
    assert cert.ok
    assert cert.attack_set == (0, 1)
    as_dict = cert.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["ok"] is True


def test_certificate_rejects_a_target_better_for_the_attacker() -> None:
    """Uniform coverage (1/2, 1/2): B gives the attacker 1 > A's 1/2."""
    cert = certify(TWO, [0.5, 0.5], 0)
    assert not cert.ok
    assert not cert.attack_set_indifferent


def test_certificate_rejects_overspent_resources_and_coverage_above_one() -> None:
    over = certify(TWO, [0.6, 0.7], 1)
    assert not over.ok and not over.within_resources
    above = certify(TWO, [-0.1, 1.1], 1)
    assert not above.ok and not above.coverage_in_bounds


def test_certificate_rejects_the_tie_broken_against_the_defender() -> None:
    """At (1/3, 2/3) the attacker is indifferent; naming B (defender -4/3 < -2/3) fails."""
    cert = certify(TWO, [1 / 3, 2 / 3], 1)
    assert not cert.ok
    assert not cert.defender_best_in_attack_set


# --- the generator ---------------------------------------------------------------------------


def test_generator_is_reproducible_and_in_range() -> None:
    one = generate_game(200, 20, seed=7)
    two = generate_game(200, 20, seed=7)
    np.testing.assert_array_equal(one.attacker_uncovered, two.attacker_uncovered)
    assert not np.array_equal(
        one.attacker_uncovered, generate_game(200, 20, seed=8).attacker_uncovered
    )
    for name, low, high in (
        ("attacker_uncovered", 1, 10),
        ("defender_covered", 1, 10),
        ("attacker_covered", -10, -1),
        ("defender_uncovered", -10, -1),
    ):
        values = getattr(one, name)
        assert values.min() >= low and values.max() <= high


def test_correlation_minus_one_is_zero_sum_and_zero_is_independent() -> None:
    zero_sum = generate_game(500, 10, seed=3, correlation=-1.0)
    np.testing.assert_allclose(zero_sum.defender_uncovered, -zero_sum.attacker_uncovered)
    np.testing.assert_allclose(zero_sum.defender_covered, -zero_sum.attacker_covered)
    independent = generate_game(5000, 10, seed=3, correlation=0.0)
    rho = np.corrcoef(independent.attacker_uncovered, independent.defender_uncovered)[0, 1]
    assert abs(rho) < 0.06
    half = generate_game(5000, 10, seed=3, correlation=-0.5)
    rho_half = np.corrcoef(half.attacker_uncovered, half.defender_uncovered)[0, 1]
    assert -0.6 < rho_half < -0.35  # Spearman-style mapping keeps it near r


def test_negative_seed_is_rejected() -> None:
    with pytest.raises(GameError, match="seed is -1"):
        generate_game(3, 1, seed=-1)


@pytest.mark.parametrize("bad", [0.5, -1.5, math.nan])
def test_correlation_out_of_range_is_rejected(bad: float) -> None:
    with pytest.raises(GameError, match="correlation"):
        generate_game(3, 1, seed=1, correlation=bad)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 30), r=st.sampled_from([0.0, -0.5, -1.0]))
def test_saturation_is_where_more_resources_stop_helping(seed: int, n: int, r: float) -> None:
    """With s = saturation(game) resources the defender is as well off as with 10 n; with
    s - 1 it is strictly worse (every generated target has U_d^c > U_d^u)."""
    s = saturation(generate_game(n, 1, seed=seed, correlation=r))
    at = solve(generate_game(n, s, seed=seed, correlation=r)).defender_utility
    plenty = solve(generate_game(n, 10 * n, seed=seed, correlation=r)).defender_utility
    assert at == pytest.approx(plenty, abs=1e-9)
    if s > 1:
        below = solve(generate_game(n, s - 1, seed=seed, correlation=r)).defender_utility
        assert below < at - 1e-12
