"""Open findings raise the vulnerability of the attack modes they leave unmitigated."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plans_testdata import CHECKLIST, REVIEW_DAY, plan_from

from crowdguard.plans import EXAMPLE_PLAN, Review, load_plan, review
from crowdguard.plans.risk_feedback import (
    ATTACK_MODES,
    mitigation_gap_reasons,
    mitigation_gaps,
)

CLEAN = review(load_plan(EXAMPLE_PLAN), on=dt.date(2026, 11, 12))
STATUS = {0: "absent", 1: "partial", 2: "adequate"}


def with_scores(scores: dict[str, int]) -> Review:
    """The clean review with some items' scores replaced (a synthetic review)."""
    items = [
        item.model_copy(update={"score": scores[item.rule], "status": STATUS[scores[item.rule]]})
        if item.rule in scores
        else item
        for item in CLEAN.items
    ]
    return CLEAN.model_copy(update={"items": items})


def test_a_clean_plan_leaves_every_mode_at_one() -> None:
    assert mitigation_gaps(CLEAN) == dict.fromkeys(ATTACK_MODES, 1.0)


@pytest.mark.parametrize(("rule", "mode"), [("M3", "vehicle"), ("P3", "marauding"), ("M1", "ied")])
def test_the_named_gap_raises_its_own_mode(rule: str, mode: str) -> None:
    absent, partial = (
        mitigation_gaps(with_scores({rule: 0})),
        mitigation_gaps(with_scores({rule: 1})),
    )
    assert absent[mode] > partial[mode] > 1.0
    assert f"{rule} absent" in mitigation_gap_reasons(with_scores({rule: 0}))[mode]


def test_no_hvm_leaves_marauding_untouched() -> None:
    gaps = mitigation_gaps(with_scores({"M3": 0}))
    assert gaps["marauding"] == 1.0


def test_an_empty_plan_is_worse_than_any_demo_on_every_mode() -> None:
    empty = mitigation_gaps(review(plan_from(), on=REVIEW_DAY))
    for mode in ATTACK_MODES:
        assert empty[mode] >= 1.5


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(list(CHECKLIST)), st.integers(0, 2)),
    st.sampled_from(list(CHECKLIST)),
)
def test_multipliers_are_at_least_one_and_monotone(scores: dict[str, int], rule: str) -> None:
    gaps = mitigation_gaps(with_scores(scores))
    assert all(value >= 1.0 for value in gaps.values())
    current = scores.get(rule, 2)
    if current > 0:
        worse = mitigation_gaps(with_scores({**scores, rule: current - 1}))
        for mode in ATTACK_MODES:
            assert worse[mode] >= gaps[mode]
