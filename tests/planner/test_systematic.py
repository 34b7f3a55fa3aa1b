"""Randomised systematic sampling reproduces the committed coverage exactly in expectation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdguard.patrols.systematic import systematic_sample

coverages = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(coverages, st.integers(min_value=0, max_value=2**32))
def test_each_draw_respects_the_bounds(coverage: list[float], seed: int) -> None:
    """No venue twice, the count is floor or ceil of the total, so never more than the teams."""
    picked = systematic_sample(coverage, random.Random(seed))
    total = sum(coverage)
    assert len(set(picked)) == len(picked)
    assert math.floor(total + 1e-9) - 1e-9 <= len(picked) <= math.ceil(total - 1e-9) + 1e-9
    assert all(coverage[i] > 0 for i in picked)
    assert all(i in picked for i, c in enumerate(coverage) if c == 1.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_empirical_frequencies_match_coverage(seed: int) -> None:
    """Over many draws each venue is picked as often as its coverage says (4 sigma)."""
    generator = np.random.default_rng(seed)
    coverage = generator.uniform(0, 1, size=9)
    coverage *= min(1.0, 3.0 / coverage.sum())  # three teams
    rng = random.Random(seed)
    draws = 20_000
    counts = np.zeros(coverage.size)
    for _ in range(draws):
        counts[systematic_sample(coverage.tolist(), rng)] += 1
    sigma = np.sqrt(coverage * (1 - coverage) / draws)
    assert np.all(np.abs(counts / draws - coverage) <= 4 * sigma + 1e-12)


def test_joint_pattern_is_not_learnable_from_the_order() -> None:
    """Unshuffled systematic sampling never picks neighbours 0 and 1 of [.5,.5,.5,.5] together.

    With the order shuffled every pair of venues is sometimes patrolled together, so an
    observer cannot infer "if the market is covered, the high street is not".
    """
    rng = random.Random(7)
    together = sum(
        {0, 1} <= set(systematic_sample([0.5, 0.5, 0.5, 0.5], rng)) for _ in range(4_000)
    )
    assert 4_000 * 0.05 < together < 4_000 * 0.5


@pytest.mark.parametrize("bad", [[1.2], [-0.1], [float("nan")]])
def test_rejects_values_that_are_not_probabilities(bad: list[float]) -> None:
    with pytest.raises(ValueError, match=r"coverage\[0\]"):
        systematic_sample(bad, random.Random(0))
