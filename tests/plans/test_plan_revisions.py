"""Revisions: findings diff, status workflow, review due dates."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import yaml
from plans_testdata import REVIEW_DAY, merge, plan_from

from crowdguard.errors import ReviewError
from crowdguard.plans import DEMO_DIR, review
from crowdguard.plans.revisions import (
    PlanStatus,
    ReviewItem,
    diff_reviews,
    due_for_review,
    review_due_date,
    transition,
)

GUILDHALL = yaml.safe_load((DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml").read_text("utf-8"))


def test_diff_sorts_each_item_into_one_bucket() -> None:
    old_plan = GUILDHALL
    new_plan = merge(
        GUILDHALL,
        {
            # P3 absent -> adequate: resolved
            "procedures": {
                "lockdown": {"how_entry_stops": "gates", "authorised_by": "manager",
                             "time_to_secure_minutes": 3},
                # P2 absent -> partial: improved
                "invacuation": {"protected_spaces": ["Guildhall foyer"]},
            },
            # G1 partial -> adequate: resolved
            "occupancy": {"includes_staff": True},
        },
    )  # fmt: skip
    del new_plan["vigilance"]  # X3 partial -> absent: worsened
    old = review(plan_from(base=old_plan), on=REVIEW_DAY)
    new = review(plan_from(base=new_plan), on=REVIEW_DAY)
    diff = diff_reviews(old, new)
    assert [c.rule for c in diff.resolved] == ["G1", "P3"]
    assert [c.rule for c in diff.improved] == ["P2"]
    assert [c.rule for c in diff.worsened] == ["X3"]
    assert diff.new == []
    moved = {"G1", "P3", "P2", "X3"}
    expected_open = [f.rule for f in old.findings if f.rule not in moved]
    assert sorted(c.rule for c in diff.still_open) == sorted(expected_open)
    worse = diff.worsened[0]
    assert (worse.old_status, worse.new_status) == ("partial", "absent")


def test_a_finding_that_appears_is_new() -> None:
    full = yaml.safe_load((DEMO_DIR / "winchester-cathedral-market.yaml").read_text("utf-8"))
    worse = merge(full, {})
    del worse["christmas"]
    diff = diff_reviews(
        review(plan_from(base=full), on=REVIEW_DAY), review(plan_from(base=worse), on=REVIEW_DAY)
    )
    assert [(c.rule, c.old_status, c.new_status) for c in diff.new] == [
        ("X1", "adequate", "absent")
    ]
    assert [c.rule for c in diff.still_open] == ["D3"]
    assert diff.resolved == diff.improved == diff.worsened == []


def test_diff_refuses_different_events() -> None:
    a = review(plan_from(), on=REVIEW_DAY)
    b = review(plan_from({"event": {"id": "other-event"}}), on=REVIEW_DAY)
    with pytest.raises(ReviewError, match="different events"):
        diff_reviews(a, b)


ALLOWED = {
    ("submitted", "under_review"),
    ("under_review", "advice_issued"),
    ("under_review", "accepted"),
    ("advice_issued", "resubmitted"),
    ("resubmitted", "under_review"),
    ("accepted", "resubmitted"),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(PlanStatus, PlanStatus)))
def test_only_the_workflow_transitions_are_allowed(old: PlanStatus, new: PlanStatus) -> None:
    if (old.value, new.value) in ALLOWED:
        assert transition(old, new) is new
    else:
        with pytest.raises(ReviewError, match="cannot go from"):
            transition(old, new)


def test_a_plan_goes_round_the_loop_to_acceptance() -> None:
    status = PlanStatus.submitted
    for step in ("under_review", "advice_issued", "resubmitted", "under_review", "accepted"):
        status = transition(status, step)
    assert status is PlanStatus.accepted


def test_unknown_status_is_named() -> None:
    with pytest.raises(ReviewError, match="'approved'"):
        transition("submitted", "approved")


def test_due_date_is_days_before_opening() -> None:
    assert review_due_date(dt.date(2026, 12, 1)) == dt.date(2026, 11, 17)
    assert review_due_date(dt.date(2026, 12, 1), days_before=30) == dt.date(2026, 11, 1)
    with pytest.raises(ReviewError, match="days_before"):
        review_due_date(dt.date(2026, 12, 1), days_before=-1)


def test_due_for_review_lists_waiting_plans_by_due_date() -> None:
    today = dt.date(2026, 11, 1)
    items = [
        ReviewItem(event="late", opens=dt.date(2026, 11, 10), status=PlanStatus.submitted),
        ReviewItem(event="soon", opens=dt.date(2026, 11, 20), status=PlanStatus.resubmitted),
        ReviewItem(event="edge", opens=dt.date(2026, 11, 22), status=PlanStatus.under_review),
        ReviewItem(event="later", opens=dt.date(2026, 11, 23), status=PlanStatus.submitted),
        ReviewItem(event="done", opens=dt.date(2026, 11, 5), status=PlanStatus.accepted),
        ReviewItem(event="advised", opens=dt.date(2026, 11, 5), status=PlanStatus.advice_issued),
    ]
    # due dates: late 27 Oct (overdue), soon 6 Nov, edge 8 Nov (= today + 7), later 9 Nov
    assert [i.event for i in due_for_review(items, today)] == ["late", "soon", "edge"]
    assert [i.event for i in due_for_review(items, today, within_days=0)] == ["late"]
