"""Payoff invariants the solvers rely on, and the monotonicity a user expects of a risk model.

Properties are checked by Hypothesis over random venues; the hand-worked example checks the
documented formula for crowd (docs/theory/risk.md) with numbers computed by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crowdguard.risk as risk_pkg
from crowdguard.risk import Targets, build_targets
from crowdguard.risk.footprint import DEFAULT_AREA_M2, footprint_warnings
from crowdguard.scenario import Scenario, ThreatLevel, VenueKind, demo_scenario
from crowdguard.scenario.schema import MAX_DENSITY

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
    capacity = draw(st.none() | st.integers(peak, 4 * peak))
    held = capacity if capacity is not None else peak
    area = draw(st.none() | st.floats(held / MAX_DENSITY * 1.001, held * 10.0))
    return {
        "id": "venue",
        "name": "Venue",
        "kind": draw(st.sampled_from([k.value for k in VenueKind])),
        "lat": 51.0,
        "lon": -1.3,
        "opening_hours": {"weekly": {d: f"{opening:02d}:00-{closing:02d}:00" for d in WEEK}},
        "peak_occupancy": peak,
        "hourly_profile": profile,
        "capacity": capacity,
        "area_m2": area,
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
    small = {**venue, "capacity": capacity, "area_m2": None}
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
    targets = build_targets(demo_scenario())
    assert 3_000 < len(targets) < 10_000
    assert targets.slot.dtype.kind == "i"


def test_public_surface_is_stable() -> None:
    assert set(risk_pkg.__all__) == {
        "Explanation", "Targets", "build_targets", "day_factor", "explain_target",
        "mitigation_factors",
        # the footprint a venue's crowd stands on (issue 11)
        "Footprint", "footprint", "footprint_warnings",
        # security plans feed the risk (docs/theory/risk.md)
        "LinkedPlan", "linked_plans", "plan_gaps_for",
    }  # fmt: skip


# -- risk follows the crowd (issue 11): the footprint is the venue's, not the crowd's ------


@settings(max_examples=60, deadline=None)
@given(venues(), st.floats(1.0, 20.0), st.booleans())
def test_risk_never_falls_as_the_expected_crowd_grows(
    venue: dict[str, Any], scale: float, keep_capacity: bool
) -> None:
    """All else equal (footprint, capacity, hours, measures), more people never lowers risk,
    whether the footprint is given, derived from capacity or a default by kind."""
    bigger = max(venue["peak_occupancy"], int(venue["peak_occupancy"] * scale))
    fixed = dict(venue)
    if keep_capacity and venue["capacity"] is not None:
        fixed["capacity"] = max(venue["capacity"], bigger)
    else:
        fixed["capacity"] = None
    if fixed["area_m2"] is not None:
        fixed["area_m2"] = max(fixed["area_m2"], (fixed["capacity"] or bigger) / MAX_DENSITY)
    before = targets_of(fixed)
    after = targets_of({**fixed, "peak_occupancy": bigger})
    assert np.all(after.crowd >= before.crowd)
    assert np.all(after.risk >= before.risk)


def _demo_peaks() -> list[int]:
    peaks = sorted(v.peak_occupancy for v in demo_scenario().venues)
    return [int(p) for p in np.linspace(peaks[0], peaks[-1], 9)]


def _peak_risk(venue: dict[str, Any]) -> float:
    return float(targets_of(venue).risk.max())


def test_the_demo_range_of_crowds_is_strictly_ordered_without_capacity_or_area() -> None:
    """The converted county of issue 11: shopping centres of 8,000, 7,000 and 6,000 people
    and a town centre of 1,200, none with capacity or area. Risk now follows the crowd."""
    centre = {
        "id": "venue", "name": "Centre", "kind": "shopping_centre", "lat": 51.0, "lon": -1.3,
        "opening_hours": {"weekly": {d: "09:00-20:00" for d in WEEK}},
    }  # fmt: skip
    risks = [_peak_risk({**centre, "peak_occupancy": p}) for p in _demo_peaks()]
    assert all(b > a for a, b in itertools.pairwise(risks)), risks
    county = {p: _peak_risk({**centre, "peak_occupancy": p}) for p in (6000, 7000, 8000)}
    assert county[6000] < county[7000] < county[8000]
    town = _peak_risk({**centre, "kind": "town_centre", "peak_occupancy": 1200})
    assert town < county[6000]


@pytest.mark.parametrize("kind", list(VenueKind))
def test_every_kind_orders_the_demo_range_until_its_default_ground_is_full(
    kind: VenueKind,
) -> None:
    venue = {
        "id": "venue", "name": "Venue", "kind": kind.value, "lat": 51.0, "lon": -1.3,
        "opening_hours": {"weekly": {d: "09:00-20:00" for d in WEEK}},
    }  # fmt: skip
    full = DEFAULT_AREA_M2[kind] * MAX_DENSITY
    peaks = _demo_peaks()
    risks = [_peak_risk({**venue, "peak_occupancy": p}) for p in peaks]
    for k in range(len(peaks) - 1):
        if peaks[k] < full:  # room left on the ground: more people, more risk
            assert risks[k + 1] > risks[k], (kind, peaks[k], risks)
        assert risks[k + 1] >= risks[k], (kind, peaks[k], risks)


def test_every_demo_venue_is_riskier_with_a_bigger_crowd() -> None:
    """The demo's own venues (capacities given): 10% more people at peak, all else equal,
    raises the risk of every venue-slot with a crowd."""
    scenario = demo_scenario()
    days = [dt.date(2026, 12, 12), dt.date(2026, 12, 14)]
    base = build_targets(scenario, days=days)
    for venue in scenario.venues:
        grown = venue.model_copy(update={"peak_occupancy": int(venue.peak_occupancy * 1.1)})
        assert grown.capacity is not None and grown.peak_occupancy <= grown.capacity
        changed = scenario.model_copy(
            update={"venues": [grown if v.id == venue.id else v for v in scenario.venues]}
        )
        after = build_targets(changed, days=days)
        mine = np.array([v == venue.id for v in base.venue]) & (base.crowd > 0)
        assert mine.any()
        assert np.all(after.risk[mine] > base.risk[mine]), venue.id


def test_explain_tells_a_crowd_of_8000_from_one_of_80000() -> None:
    from crowdguard.risk import explain_target

    scenario = demo_scenario()

    def risk_with(peak: int) -> float:
        venues = [
            v.model_copy(update={"capacity": None, "peak_occupancy": peak})
            if v.id == "southampton-westquay"
            else v
            for v in scenario.venues
        ]
        changed = scenario.model_copy(update={"venues": venues})
        at = dt.datetime(2026, 12, 12, 14)
        return explain_target(changed, "southampton-westquay", at).risk

    assert risk_with(80_000) > 2 * risk_with(8_000)


def test_the_footprint_comes_from_area_then_capacity_then_the_kind() -> None:
    base = {
        "id": "venue", "name": "Venue", "kind": "christmas_market", "lat": 51.0, "lon": -1.3,
        "opening_hours": {"weekly": {d: "16:00-17:00" for d in WEEK}},
        "peak_occupancy": 1000, "hourly_profile": {16: 1.0},
    }  # fmt: skip
    saturday = "venue@2026-12-05T16:00:00+00:00"

    def density(venue: dict[str, Any]) -> float:
        targets = targets_of(venue)
        i = targets.ids.index(saturday)
        return float(targets.crowd[i]) / 900.0  # crowd 1,000 x 0.9 on a Saturday

    from crowdguard.risk.explain import explain_target

    def explained(venue: dict[str, Any]) -> float:
        at = dt.datetime(2026, 12, 5, 16)
        return explain_target(scenario_of(venue), "venue", at).density

    assert density(base) == pytest.approx(1.0)
    assert explained({**base, "area_m2": 450.0}) == pytest.approx(2.0)
    assert explained({**base, "capacity": 1800}) == pytest.approx(1.0)  # 900 m^2 at 2/m^2
    assert explained({**base, "capacity": 1800, "area_m2": 600.0}) == pytest.approx(1.5)
    assert explained(base) == pytest.approx(900 / DEFAULT_AREA_M2[VenueKind.christmas_market])


def test_venues_on_default_footprints_are_named_with_the_fix() -> None:
    scenario = demo_scenario()
    assert footprint_warnings(scenario) == []  # every demo venue gives a capacity
    venues = [
        v.model_copy(update={"capacity": None, "peak_occupancy": 80_000})
        if v.id == "southampton-westquay"
        else v.model_copy(update={"capacity": None, "area_m2": 5000.0})
        if v.id == "basingstoke-festival-place"
        else v
        for v in scenario.venues
    ]
    (line,) = footprint_warnings(scenario.model_copy(update={"venues": venues}))
    assert line.startswith("southampton-westquay: risk rests on the default footprint of a ")
    assert "shopping centre (10,000 m^2, 8.00 people/m^2 at peak)" in line
    assert "give its area_m2 (or capacity)" in line
    assert "crowd is capped at 47,000 (4.7 people/m^2)" in line


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"capacity": 10_000, "area_m2": 1000.0}, "capacity (10000) on area_m2 (1000) is 10.0"),
        ({"area_m2": 100.0}, "peak_occupancy (1000) on area_m2 (100) is 10.0"),
        ({"area_m2": float("nan")}, "area_m2"),
        ({"area_m2": float("inf")}, "area_m2"),
        ({"area_m2": 0}, "area_m2"),
    ],
)
def test_an_impossible_footprint_is_refused(fields: dict[str, Any], says: str) -> None:
    from pydantic import ValidationError

    venue = {
        "id": "venue", "name": "Venue", "kind": "christmas_market", "lat": 51.0, "lon": -1.3,
        "opening_hours": {}, "peak_occupancy": 1000, **fields,
    }  # fmt: skip
    with pytest.raises(ValidationError, match=re.escape(says)):
        scenario_of(venue)


def test_the_documented_default_footprints_are_the_code_s() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "theory" / "risk.md").read_text()
    table = doc.split("| kind | default footprint (m²) | reasoning |")[1].split("\n\n")[0]
    rows = dict(re.findall(r"^\| ([a-z_]+) \| ([\d,]+) \|", table, re.M))
    assert {k: float(v.replace(",", "")) for k, v in rows.items()} == {
        k.value: v for k, v in DEFAULT_AREA_M2.items()
    }
