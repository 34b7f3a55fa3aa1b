"""Payoff invariants the solvers rely on, and the monotonicity a user expects of a risk model.

Properties are checked by Hypothesis over random venues; the hand-worked example checks the
documented formula for crowd (docs/theory/risk.md) with numbers computed by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crowdguard.risk as risk_pkg
from crowdguard.risk import Targets, build_targets
from crowdguard.scenario import Scenario, ThreatLevel, VenueKind

DAYS = [dt.date(2026, 12, 5), dt.date(2026, 12, 7)]  # a Saturday and a Monday
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@st.composite
def venues(draw: st.DrawFn) -> dict[str, Any]:
    peak = draw(st.integers(1, 50_000))
    opening = draw(st.integers(0, 20))
    closing = draw(st.integers(opening + 1, 24))
    # Shares like 5e-324 make a crowd whose harm underflows to 0.0: not a real profile.
    share = st.just(0.0) | st.floats(1e-6, 1.5)
    profile = draw(st.none() | st.dictionaries(st.integers(0, 23), share, max_size=6))
    hvm = draw(st.sampled_from(["none", "unrated", "rated"]))
    return {
        "id": "venue",
        "name": "Venue",
        "kind": draw(st.sampled_from([k.value for k in VenueKind])),
        "lat": 51.0,
        "lon": -1.3,
        "opening_hours": {"weekly": {d: f"{opening:02d}:00-{closing:02d}:00" for d in WEEK}},
        "peak_occupancy": peak,
        "hourly_profile": profile,
        "capacity": draw(st.none() | st.integers(peak, 4 * peak)),
        "attractiveness": draw(st.floats(0.1, 5.0)),
        "island": draw(st.booleans()),
        "mitigations": {
            "hvm": hvm,
            "cctv": draw(st.booleans()),
            "stewards": draw(st.integers(0, 60)),
            "entry_search": draw(st.booleans()),
            "lockdown_procedure": draw(st.booleans()),
        },
    }


def scenario_of(venue: dict[str, Any], **overrides: Any) -> Scenario:
    data: dict[str, Any] = {
        "id": "prop",
        "name": "Property test",
        "start": "2026-12-01",
        "end": "2026-12-10",
        "threat_level": "SUBSTANTIAL",
        "venues": [venue],
        "bases": [{"id": "hq", "name": "HQ", "lat": 51.0, "lon": -1.3}],
        "teams": [{"callsign": "alpha-1", "base": "hq", "shifts": ["10:00-16:00"]}],
    }
    data.update(overrides)
    return Scenario.model_validate(data)


def targets_of(venue: dict[str, Any], **overrides: Any) -> Targets:
    return build_targets(scenario_of(venue, **overrides), days=DAYS)


def with_mitigation(venue: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**venue, "mitigations": {**venue["mitigations"], **changes}}


levels = st.sampled_from(list(ThreatLevel))
effectiveness = st.floats(0.01, 1.0)


@settings(max_examples=60, deadline=None)
@given(venues(), levels, effectiveness)
def test_payoffs_satisfy_the_solvers_assumptions(
    venue: dict[str, Any], level: ThreatLevel, e: float
) -> None:
    targets = targets_of(venue, threat_level=level, patrol={"effectiveness": e})
    assert len(targets) > 0
    arrays = [
        targets.crowd, targets.risk, targets.defender_covered, targets.defender_uncovered,
        targets.attacker_covered, targets.attacker_uncovered,
    ]  # fmt: skip
    for array in arrays:
        assert array.shape == (len(targets),)
        assert np.all(np.isfinite(array))
    assert np.all(targets.risk >= 0)
    assert np.all(targets.crowd >= 0)
    assert np.all(targets.defender_covered >= targets.defender_uncovered)
    assert np.all(targets.attacker_covered < targets.attacker_uncovered)
    assert np.allclose(targets.defender_uncovered, -targets.risk)


@settings(max_examples=40, deadline=None)
@given(venues(), st.floats(1.05, 3.0))
def test_more_crowd_means_more_risk(venue: dict[str, Any], scale: float) -> None:
    capacity = 5 * 50_000 * 4  # fixed and never binding: the venue itself does not grow
    small = {**venue, "capacity": capacity}
    big = {**small, "peak_occupancy": int(venue["peak_occupancy"] * scale) + 1}
    before, after = targets_of(small), targets_of(big)
    assert np.all(after.crowd >= before.crowd)
    assert np.all(after.risk >= before.risk)
    busy = before.crowd > 0
    assert np.all(after.risk[busy] > before.risk[busy])


@settings(max_examples=40, deadline=None)
@given(venues(), st.sampled_from(["none", "unrated"]))
def test_adding_rated_hvm_lowers_risk(venue: dict[str, Any], weaker: str) -> None:
    before = targets_of(with_mitigation(venue, hvm=weaker))
    after = targets_of(with_mitigation(venue, hvm="rated"))
    busy = before.crowd > 0
    assert np.all(after.risk[busy] < before.risk[busy])
    assert np.all(after.attacker_uncovered[busy] < before.attacker_uncovered[busy])


@settings(max_examples=40, deadline=None)
@given(venues(), st.sampled_from(["cctv", "entry_search", "lockdown_procedure", "stewards"]))
def test_no_mitigation_ever_raises_risk(venue: dict[str, Any], measure: str) -> None:
    off = with_mitigation(venue, **{measure: 0 if measure == "stewards" else False})
    on = with_mitigation(venue, **{measure: 20 if measure == "stewards" else True})
    assert np.all(targets_of(on).risk <= targets_of(off).risk)


@settings(max_examples=40, deadline=None)
@given(venues(), effectiveness, effectiveness)
def test_higher_effectiveness_raises_defender_covered(
    venue: dict[str, Any], e1: float, e2: float
) -> None:
    low, high = sorted((e1, e2))
    a = targets_of(venue, patrol={"effectiveness": low})
    b = targets_of(venue, patrol={"effectiveness": high})
    assert np.all(b.defender_covered >= a.defender_covered)
    assert np.all(b.attacker_covered <= a.attacker_covered)
    assert np.array_equal(a.defender_uncovered, b.defender_uncovered)
    if high > low:
        assert np.all(b.defender_covered[a.risk > 0] > a.defender_covered[a.risk > 0])


@settings(max_examples=30, deadline=None)
@given(venues())
def test_a_higher_threat_level_never_lowers_risk_or_raises_deterrence(
    venue: dict[str, Any],
) -> None:
    ordered = [targets_of(venue, threat_level=level) for level in ThreatLevel]
    for lower, higher in itertools.pairwise(ordered):
        assert np.all(higher.risk >= lower.risk)
        assert np.all(higher.attacker_covered >= lower.attacker_covered)


@settings(max_examples=30, deadline=None)
@given(venues())
def test_a_slower_armed_response_never_lowers_risk(venue: dict[str, Any]) -> None:
    mainland = targets_of({**venue, "island": False})
    island = targets_of({**venue, "island": True})
    assert np.all(island.risk >= mainland.risk)


@settings(max_examples=30, deadline=None)
@given(venues(), st.floats(0.1, 5.0))
def test_attractiveness_moves_only_the_attacker(venue: dict[str, Any], value: float) -> None:
    a = targets_of(venue)
    b = targets_of({**venue, "attractiveness": value})
    assert np.array_equal(a.risk, b.risk)
    assert np.array_equal(a.defender_covered, b.defender_covered)
    ratio = value / venue["attractiveness"]
    assert np.allclose(b.attacker_uncovered, a.attacker_uncovered * ratio)


def test_crowd_by_hand() -> None:
    """The documented formula: peak x hourly profile x day factor, capped at capacity.

    1,000 people at peak; profile 0.5 at 14:00 on a Saturday (day factor 0.9) and on a
    Monday (0.6): 450 and 300 people. The 15:00 profile of 1.4 would give 1,260 on the
    Saturday, but capacity is 1,100.
    """
    venue = {
        "id": "street", "name": "Street", "kind": "shopping_street", "lat": 51.0, "lon": -1.3,
        "opening_hours": {"weekly": {d: "14:00-16:00" for d in WEEK}},
        "peak_occupancy": 1000, "capacity": 1100, "hourly_profile": {14: 0.5, 15: 1.4},
    }  # fmt: skip
    targets = targets_of(venue)
    crowd = dict(zip(targets.ids, targets.crowd.tolist(), strict=True))
    assert crowd["street@2026-12-05T14:00:00+00:00"] == pytest.approx(450)
    assert crowd["street@2026-12-07T14:00:00+00:00"] == pytest.approx(300)
    assert crowd["street@2026-12-05T15:00:00+00:00"] == pytest.approx(1100)


def test_demo_season_in_well_under_a_second_of_work() -> None:
    """Not a timing assertion: the whole season is one vectorised pass of sane size."""
    from crowdguard.scenario import demo_scenario

    targets = build_targets(demo_scenario())
    assert 3_000 < len(targets) < 10_000
    assert targets.slot.dtype.kind == "i"


def test_public_surface_is_stable() -> None:
    assert set(risk_pkg.__all__) == {
        "Explanation", "Targets", "build_targets", "day_factor", "explain_target",
        "mitigation_factors",
        # security plans feed the risk (docs/theory/risk.md)
        "LinkedPlan", "linked_plans", "plan_gaps_for",
    }  # fmt: skip
