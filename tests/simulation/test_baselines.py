"""Baseline plans: equal resources, their definitions, and the optimal plan beating them."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from crowdguard.errors import InputError
from crowdguard.scenario.load import demo_scenario
from crowdguard.scenario.schema import Scenario
from crowdguard.simulation.attacker import best_response
from crowdguard.simulation.baselines import (
    PLAN_NAMES,
    PlanCoverage,
    build_plan,
    plan_rosters,
    water_fill,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return demo_scenario()


@pytest.fixture(scope="module")
def plans(demo: Scenario) -> dict[str, PlanCoverage]:
    optimal = build_plan("optimal", demo, days=21, mode="free")
    built = {"optimal": optimal}
    for name in PLAN_NAMES[1:]:
        built[name] = build_plan(name, demo, days=optimal.days, targets=optimal.targets)
    return built


def _slot_sums(plan: PlanCoverage) -> np.ndarray:
    return np.bincount(
        plan.targets.slot, weights=plan.coverage, minlength=len(plan.targets.slot_starts)
    )


def _open(plan: PlanCoverage) -> np.ndarray:
    return np.bincount(plan.targets.slot, minlength=len(plan.targets.slot_starts))


@pytest.mark.parametrize("name", PLAN_NAMES)
def test_every_plan_uses_at_most_the_teams_on_duty(
    plans: dict[str, PlanCoverage], name: str
) -> None:
    plan = plans[name]
    teams = np.array([len(t) for t in plan.slot_teams])
    assert np.all(plan.coverage >= -1e-9) and np.all(plan.coverage <= 1 + 1e-9)
    assert np.all(_slot_sums(plan) <= teams + 1e-9)
    # Same teams per slot for every plan: equal resources.
    assert plan.slot_teams == plans["optimal"].slot_teams


@pytest.mark.parametrize("name", ["uniform", "footfall", "rota"])
def test_baselines_put_every_team_on_duty_to_work(
    plans: dict[str, PlanCoverage], name: str
) -> None:
    plan = plans[name]
    teams = np.array([len(t) for t in plan.slot_teams])
    np.testing.assert_allclose(_slot_sums(plan), np.minimum(teams, _open(plan)), atol=1e-9)


def test_uniform_is_equal_within_each_slot(plans: dict[str, PlanCoverage]) -> None:
    plan = plans["uniform"]
    for s in range(len(plan.targets.slot_starts)):
        members = plan.coverage[plan.targets.slot == s]
        assert np.ptp(members) < 1e-12
        assert members[0] == pytest.approx(min(1.0, len(plan.slot_teams[s]) / members.size))


def test_footfall_is_proportional_to_crowd_below_the_cap(plans: dict[str, PlanCoverage]) -> None:
    plan = plans["footfall"]
    crowd = plan.targets.crowd
    for s in range(len(plan.targets.slot_starts)):
        index = np.flatnonzero(plan.targets.slot == s)
        c = plan.coverage[index]
        below = (c < 1 - 1e-9) & (crowd[index] > 0)
        if below.sum() >= 2:
            ratio = c[below] / crowd[index][below]
            assert np.ptp(ratio) <= 1e-9 * ratio.max()
            capped = c >= 1 - 1e-9
            # A capped venue has at least the crowd of any uncapped one.
            if capped.any():
                assert crowd[index][capped].min() >= crowd[index][below].max() - 1e-9


def test_water_fill_worked_example() -> None:
    # Module docstring: 2 teams, crowds 6,000 / 3,000 / 1,000 -> 1, 3/4, 1/4 (by hand).
    np.testing.assert_allclose(water_fill(np.array([6000.0, 3000.0, 1000.0]), 2), [1, 0.75, 0.25])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e4)), min_size=1, max_size=12),
    st.floats(0.0, 15.0, allow_nan=False),
)
def test_water_fill_matches_a_root_finder(weights: list[float], budget: float) -> None:
    """Independent method: solve sum(min(1, lambda w)) = budget for lambda with Brent's method."""
    w = np.array(weights)
    c = water_fill(w, budget)
    assert np.all(c >= 0) and np.all(c <= 1 + 1e-12)
    assert c.sum() == pytest.approx(min(budget, w.size), abs=1e-7)
    positive = w > 0
    if budget < positive.sum() and budget > 0:
        lam = brentq(lambda x: np.minimum(1.0, x * w).sum() - budget, 0.0, 1.0 / w[positive].min())
        np.testing.assert_allclose(c, np.minimum(1.0, lam * w), atol=1e-6)


def test_rota_is_zero_one_and_deterministic(demo: Scenario, plans: dict[str, PlanCoverage]) -> None:
    rota = plans["rota"]
    assert set(np.unique(rota.coverage)) <= {0.0, 1.0}
    again = build_plan("rota", demo, days=21)
    np.testing.assert_array_equal(again.coverage, rota.coverage)


def test_rota_repeats_every_week(plans: dict[str, PlanCoverage]) -> None:
    """Same venue, same weekday and time, one week apart, same open venues and teams:
    same cover. Checked on every such pair of the 21 days."""
    rota = plans["rota"]
    t = rota.targets
    starts = [s.astimezone(LONDON) for s in t.start]
    slot_open = {
        s: frozenset(t.venue[i] for i in np.flatnonzero(t.slot == s))
        for s in range(len(t.slot_starts))
    }
    where = {(t.venue[i], starts[i].replace(tzinfo=None)): i for i in range(len(t))}
    pairs = 0
    for i in range(len(t)):
        j = where.get((t.venue[i], (starts[i] + dt.timedelta(days=7)).replace(tzinfo=None)))
        if j is None:
            continue
        si, sj = int(t.slot[i]), int(t.slot[j])
        if slot_open[si] == slot_open[sj] and len(rota.slot_teams[si]) == len(rota.slot_teams[sj]):
            pairs += 1
            assert rota.coverage[i] == rota.coverage[j], t.ids[i]
    assert pairs > 1000


def test_rota_rosters_are_its_fixed_assignment(plans: dict[str, PlanCoverage]) -> None:
    rota = plans["rota"]
    first = plan_rosters(rota, rng=random.Random(1))
    second = plan_rosters(rota, rng=random.Random(2))
    assert first == second
    # Rosters one week apart match once the date is removed (an ordinary week in December).
    a, b = first["2026-12-01"].document(), first["2026-12-08"].document()

    def strip(doc: dict[str, object]) -> str:
        return str(doc["teams"]).replace("2026-12-01", "D").replace("2026-12-08", "D")

    assert strip(a) == strip(b)


def test_drawn_baseline_rosters_differ_between_seeds(plans: dict[str, PlanCoverage]) -> None:
    uniform = plans["uniform"]
    assert plan_rosters(uniform, rng=random.Random(1)) != plan_rosters(
        uniform, rng=random.Random(2)
    )


def test_unknown_plan_is_a_one_line_error(demo: Scenario) -> None:
    with pytest.raises(InputError, match="--plans: unknown plan 'bogus'"):
        build_plan("bogus", demo)


@pytest.mark.parametrize("name", PLAN_NAMES[1:])
def test_optimal_best_response_harm_is_at_most_each_baselines(
    plans: dict[str, PlanCoverage], name: str
) -> None:
    optimal = best_response(plans["optimal"].targets, plans["optimal"].coverage).harm
    assert optimal <= best_response(plans[name].targets, plans[name].coverage).harm + 1e-6


@settings(max_examples=12, deadline=None)
@given(
    first=st.integers(0, 30),
    length=st.integers(1, 4),
    teams=st.sets(st.integers(0, 7), min_size=1),
    scale=st.lists(st.floats(0.2, 5.0), min_size=18, max_size=18),
    data=st.data(),
)
def test_optimal_beats_baselines_and_random_feasible_plans(
    demo: Scenario,
    first: int,
    length: int,
    teams: set[int],
    scale: list[float],
    data: st.DataObject,
) -> None:
    """Property: on varied scenarios (dates, teams, crowds) no plan with the same teams per
    slot concedes less harm to the best-responding attacker than the optimal plan: neither
    the baselines nor random feasible coverage vectors (an independent check of the SSE)."""
    venues = [
        v.model_copy(update={"peak_occupancy": max(1, int(v.peak_occupancy * k))})
        for v, k in zip(demo.venues, scale, strict=True)
    ]
    days = [demo.start + dt.timedelta(days=first + d) for d in range(length)]
    scenario = demo.model_copy(
        update={"venues": venues, "teams": [demo.teams[i] for i in sorted(teams)]}
    )
    try:
        optimal = build_plan("optimal", scenario, days=days, mode="free")
    except InputError:  # no venue open on those days (Christmas Day)
        return
    t = optimal.targets
    floor = best_response(t, optimal.coverage).harm
    for name in PLAN_NAMES[1:]:
        other = build_plan(name, scenario, days=optimal.days, targets=t)
        assert floor <= best_response(t, other.coverage).harm + 1e-6
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    for _ in range(5):
        coverage = np.zeros(len(t))
        for s, on_duty in enumerate(optimal.slot_teams):
            index = np.flatnonzero(t.slot == s)
            if index.size == 0 or not on_duty:
                continue
            raw = rng.random(index.size)
            budget = min(len(on_duty), index.size) * rng.random()
            coverage[index] = water_fill(raw, budget)
        assert floor <= best_response(t, coverage).harm + 1e-6
