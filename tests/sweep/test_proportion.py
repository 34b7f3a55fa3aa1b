"""The proportionality point on curves whose answer is known in closed form."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from crowdguard.errors import InputError
from crowdguard.sweep import marginal_point, parse_threshold, proportionality, where_today

A = 100.0  # harm a / n: one more team after n removes a / (n (n + 1))
T = 0.5  # threshold: a / (n (n + 1)) < 0.5  <=>  n (n + 1) > 200  <=>  n >= 14
EXPECTED = 14


def rows(noise: Any = None, seeds: int = 40, teams: range = range(2, 31)) -> list[dict[str, Any]]:
    out = []
    for n in teams:
        for s in range(seeds):
            jitter = 0.0 if noise is None else float(noise(n, s))
            out.append(
                {"threat": "SEVERE", "teams": n, "team_hours": 6.0 * n, "seed": s,
                 "harm_realised": A / n + jitter, "harm_stated": A / n}
            )  # fmt: skip
    return out


def test_closed_form_point_without_noise_is_exact() -> None:
    assert EXPECTED * (EXPECTED + 1) > A / T > (EXPECTED - 1) * EXPECTED
    (point,) = proportionality(rows(), threshold=str(T))
    assert point.teams == EXPECTED
    assert point.team_hours == 6.0 * EXPECTED
    assert point.exact and (point.low, point.high) == (EXPECTED, EXPECTED)


def test_common_random_numbers_cancel_in_the_differences() -> None:
    # Seed noise shared by every deployment (as the sweep's common incidents are) moves the
    # whole curve, not its steps: the point and its interval stay exact.
    shift = np.random.default_rng(1).normal(0, 5, 40)
    (point,) = proportionality(rows(lambda n, s: shift[s]), threshold=str(T))
    assert point.teams == EXPECTED
    assert not point.exact and (point.low, point.high) == (EXPECTED, EXPECTED)


def test_independent_noise_gives_an_interval_around_the_known_point() -> None:
    rng = np.random.default_rng(7)
    table = rng.normal(0, 0.5, (40, 40))
    (point,) = proportionality(rows(lambda n, s: table[n, s]), threshold=str(T), resamples=500)
    assert point.low is not None
    assert point.low <= EXPECTED
    assert point.high is None or point.high >= EXPECTED
    assert point.low < (point.high or 99)  # noise widens it
    again = proportionality(rows(lambda n, s: table[n, s]), threshold=str(T), resamples=500)
    assert again[0] == point  # the bootstrap is seeded: same rows, same interval


def test_beyond_the_grid_and_relative_thresholds() -> None:
    (point,) = proportionality(rows(teams=range(2, 10)), threshold=str(T))
    assert point.teams is None and point.low is None
    assert "beyond the grid" in point.describe()
    # 1% of the harm at the fewest teams (a/2 = 50): 0.5 again
    (relative,) = proportionality(rows(), threshold="1%")
    assert relative.threshold == pytest.approx(T) and relative.teams == EXPECTED


def test_every_further_step_must_be_small_not_only_the_next() -> None:
    # flat from 3 to 4, then a big drop at 5: the point is 5, not 3
    assert marginal_point([2, 3, 4, 5, 6], [10.0, 5.0, 5.0, 1.0, 0.9], 0.5) == 5
    # a step above one team compares the reduction per team
    assert marginal_point([2, 4, 8], [10.0, 9.2, 8.8], 0.5) == 2
    assert marginal_point([2, 4, 8], [10.0, 8.0, 7.9], 0.5) == 4


def test_where_today_places_a_deployment() -> None:
    data = rows()
    below = where_today(data, teams=8, threat="SEVERE", threshold=str(T))
    assert below.position == "below"
    assert below.next_team_reduces == pytest.approx(A / 8 - A / 9)
    assert below.harm == pytest.approx(A / 8)
    assert where_today(data, teams=14, threat="SEVERE", threshold=str(T)).position == "within"
    past = where_today(data, teams=20, threat="SEVERE", threshold=str(T))
    assert past.position == "past" and "past the proportionate range" in past.describe()
    with pytest.raises(InputError, match="teams 99: not a team count"):
        where_today(data, teams=99, threat="SEVERE", threshold=str(T))
    with pytest.raises(InputError, match="threat 'LOW': not in these results"):
        where_today(data, teams=8, threat="LOW", threshold=str(T))


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "abc", "150%", "0%"])
def test_bad_thresholds_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="--threshold"):
        parse_threshold(text)


def test_a_missing_metric_is_named() -> None:
    data = [{**r, "harm_worst_tie": math.nan} for r in rows(teams=range(2, 5))]
    with pytest.raises(InputError, match="before the planner reported worst-tie harm"):
        proportionality(data, threshold="1%", metric="harm_worst_tie")
