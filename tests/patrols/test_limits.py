"""Operational limits as constraints of the patrol-graph game (issue 11 s.2).

Each limit is checked on what an officer is handed: every roster the day's plan can draw
(its joint schedules, :mod:`crowdguard.patrols.joint`), not on averages; the plan stays
certified; and its price, the harm with against without it, is reported.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from crowdguard.geometry import great_circle_km
from crowdguard.patrols.dayplan import DayPlan, plan_day
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.scenario.schema import Scenario

DAY = dt.date(2026, 12, 5)
TEAMS = [
    {"callsign": "foot-1", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
    {"callsign": "foot-2", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
    {"callsign": "arv-1", "base": "pic-southampton", "kind": "arv", "shifts": ["10:00-16:00"]},
]


def _limited(sc: Scenario, **limits: Any) -> Scenario:
    data = sc.model_dump(mode="json")
    data["patrol"].update(limits)
    return Scenario.model_validate(data)


def _plan(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any], **limits: Any
) -> tuple[Scenario, DayPlan]:
    venues = None  # the conftest's default: two Winchester venues and WestQuay
    sc = _limited(make_scenario(venues, teams=TEAMS), **limits)
    targets = make_targets(sc, 11)
    return sc, plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)))


def _rosters(plan: DayPlan) -> list[dict[str, list[dict[str, Any]]]]:
    """Every roster the plan can draw: team -> segments, one per joint schedule."""
    assert plan.joint, "limits are kept by joint rosters"
    out = []
    for option in plan.joint:
        roster: dict[str, list[dict[str, Any]]] = {}
        for teams, routes in option.groups:
            for team, route in zip(teams, routes, strict=True):
                roster[team] = [s.model_dump(mode="json", exclude_none=True) for s in route]
        out.append(roster)
    return out


def _minutes(segment: dict[str, Any]) -> float:
    start = dt.datetime.fromisoformat(segment["start"])
    return (dt.datetime.fromisoformat(segment["end"]) - start).total_seconds() / 60


def _transit_share(segments: list[dict[str, Any]]) -> float:
    return sum(_minutes(s) for s in segments if s["kind"] == "transit") / sum(
        _minutes(s) for s in segments
    )


def test_no_drawn_roster_spends_more_of_a_shift_in_transit_than_the_cap(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    _, free = _plan(make_scenario, make_targets)
    worst_free = max(_transit_share(r) for roster in _rosters(free) for r in roster.values())
    cap = round(worst_free / 2, 3)
    assert cap > 0.02  # without the cap some roster travels twice as much
    _, capped = _plan(make_scenario, make_targets, max_transit_share=cap)
    assert capped.certificate["passed"]
    shares = [_transit_share(r) for roster in _rosters(capped) for r in roster.values()]
    assert max(shares) <= cap + 1e-6
    for _ in range(20):  # and what is actually handed out
        drawn = capped.draw(random.Random(_)).document()
        assert all(_transit_share(t["segments"]) <= cap + 1e-6 for t in drawn["teams"])
    assert capped.defender_utility <= free.defender_utility + 1e-6


def test_a_team_patrols_only_its_home_sector_unless_its_base_allows_more(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, plan = _plan(make_scenario, make_targets, home_radius_km=6.0)
    where = {v.id: (v.lat, v.lon) for v in sc.venues}
    bases = {b.id: (b.lat, b.lon) for b in sc.bases}
    home = {t.callsign: t.base for t in sc.teams}
    assert plan.certificate["passed"]
    visited: set[tuple[str, str]] = set()
    for roster in _rosters(plan):
        for team, segments in roster.items():
            for s in segments:
                if s["kind"] == "patrol":
                    visited.add((team, s["venue"]))
                    assert great_circle_km(*bases[home[team]], *where[s["venue"]]) <= 6.0
    assert ("arv-1", "southampton-westquay") in visited  # each base still patrols its own
    assert {v for t, v in visited if t.startswith("foot")} <= {
        "winchester-market",
        "winchester-high-street",
    }
    # A base's sector lets its teams go further.
    data = sc.model_dump(mode="json")
    data["bases"][0]["sector"] = ["southampton-westquay"]
    wider = Scenario.model_validate(data)
    targets = make_targets(wider, 11)
    allowed = plan_day(wider, DAY, targets, straight_line_travel(places_of(wider)))
    assert allowed.defender_utility >= plan.defender_utility - 1e-6


def test_a_venue_outside_every_sector_is_left_unprotected_not_refused(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """With a home sector a venue may be in no team's bounds: the plan still certifies, the
    venue keeps coverage 0 and the price of the limit shows it."""
    sc, plan = _plan(make_scenario, make_targets, home_radius_km=0.3)
    assert plan.certificate["passed"]
    where = {v.id: (v.lat, v.lon) for v in sc.venues}
    bases = [(b.lat, b.lon) for b in sc.bases]
    outside = {v for v, at in where.items() if min(great_circle_km(*b, *at) for b in bases) > 0.3}
    assert outside
    for venue, cover in zip(plan.graph.target_venue, plan.coverage, strict=True):
        if venue in outside:
            assert cover == 0.0


def test_an_island_base_never_patrols_the_mainland_whatever_the_radius(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    from crowdguard.patrols.travel import scenario_travel

    venues = [
        ("ryde-union-street", 50.7300, -1.1615, True),
        ("portsmouth-gunwharf", 50.7960, -1.1065, False),
    ]
    bases = [("ryde-station", 50.7290, -1.1600, True), ("pic-portsmouth", 50.8340, -1.0590, False)]
    teams = [
        {"callsign": "iow-1", "base": "ryde-station", "kind": "foot", "shifts": ["10:00-16:00"]},
        {"callsign": "pmth-1", "base": "pic-portsmouth", "kind": "foot", "shifts": ["10:00-16:00"]},
    ]
    sc = _limited(make_scenario(venues, bases, teams), home_radius_km=30.0)
    plan = plan_day(sc, DAY, make_targets(sc, 3), scenario_travel(sc))
    for roster in _rosters(plan):
        assert all(s.get("venue") in (None, "ryde-union-street") for s in roster["iow-1"]), roster[
            "iow-1"
        ]


def test_every_visit_lasts_the_minimum_stay_unless_the_shift_ends(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    _, plan = _plan(make_scenario, make_targets, min_stay_minutes=120)
    assert plan.certificate["passed"]
    shortest = 120  # the limit itself, whatever the slots
    end = dt.datetime.combine(DAY, dt.time(16), tzinfo=dt.UTC)
    visits = 0
    for roster in _rosters(plan):
        for segments in roster.values():
            for i, s in enumerate(segments):
                if s["kind"] != "patrol":
                    continue
                visits += 1
                rest = segments[i + 1 :]
                ends_shift = all(r["kind"] == "transit" for r in rest) and (
                    not rest or dt.datetime.fromisoformat(rest[-1]["end"]) >= end
                )
                assert _minutes(s) >= shortest - 1e-6 or ends_shift, s
    assert visits
    _, free = _plan(make_scenario, make_targets)
    assert plan.defender_utility <= free.defender_utility + 1e-6


def test_the_plan_reports_what_its_limits_cost(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = _limited(make_scenario(teams=TEAMS), max_transit_share=0.1, min_stay_minutes=120)
    options = PlanOptions(seed=2, workers=1, what_ifs=False)
    plan = make_plan(PlanInputs(sc), options)
    report = plan.certificate["operational_limits"]
    assert report["limits"] == {"max_transit_share": 0.1, "min_stay_minutes": 120.0}
    assert report["harm_with_limits"] == pytest.approx(-plan.defender_utility)
    assert report["harm_without_limits"] <= report["harm_with_limits"] + 1e-9
    assert report["cost"] == pytest.approx(
        report["harm_with_limits"] - report["harm_without_limits"], abs=1e-6
    )
    assert plan.plan_json()["certificate"]["operational_limits"] == report
    lifted = make_plan(PlanInputs(make_scenario(teams=TEAMS)), options)
    assert "operational_limits" not in lifted.certificate
    assert report["harm_without_limits"] == pytest.approx(-lifted.defender_utility, rel=1e-6)


def test_limits_are_checked_where_they_are_written(make_scenario: Callable[..., Any]) -> None:
    data = make_scenario().model_dump(mode="json")
    data["bases"][0]["sector"] = ["nowhere"]
    with pytest.raises(ValidationError, match=r"bases\.0|sector: 'nowhere' is not one of"):
        Scenario.model_validate(data)
    data = make_scenario().model_dump(mode="json")
    data["patrol"]["max_transit_share"] = 1.5
    with pytest.raises(ValidationError, match="max_transit_share"):
        Scenario.model_validate(data)


def test_the_demos_limits_hold_on_every_roster_of_its_busiest_day() -> None:
    """Decision 0009: the demo ships with the limits a firearms commander would sign, and
    they are feasible there: every venue lies in some team's home sector; on Sat 19 Dec every
    roster the plan can draw keeps transit within a third of a shift, the island teams on
    the island, each team within its sector, and visits of at least an hour."""
    from crowdguard.patrols.graph import outside_home_sectors
    from crowdguard.patrols.travel import scenario_travel
    from crowdguard.risk import build_targets
    from crowdguard.scenario import demo_scenario

    demo = demo_scenario()
    assert demo.patrol.limits() == {
        "home_radius_km": 20.0, "max_transit_share": 0.33, "min_stay_minutes": 60.0
    }  # fmt: skip
    assert outside_home_sectors(demo) == []
    assert outside_home_sectors(demo.without_limits()) == []
    day = dt.date(2026, 12, 19)
    plan = plan_day(demo, day, build_targets(demo, days=[day]), scenario_travel(demo))
    assert plan.certificate["passed"]
    bases = {b.id: b for b in demo.bases}
    venues = {v.id: v for v in demo.venues}
    home = {t.callsign: bases[t.base] for t in demo.teams}
    for roster in _rosters(plan):
        for team, segments in roster.items():
            assert _transit_share(segments) <= 0.33 + 1e-6, (team, segments)
            base = home[team]
            for i, s in enumerate(segments):
                if s["kind"] != "patrol":
                    continue
                venue = venues[s["venue"]]
                assert venue.island == base.island, (team, venue.id)
                assert venue.id in base.sector or (
                    great_circle_km(base.lat, base.lon, venue.lat, venue.lon) <= 20.0
                ), (team, venue.id)
                last = all(r["kind"] != "patrol" for r in segments[i + 1 :])
                assert _minutes(s) >= 60 - 1e-6 or last, (team, s)


def test_callers_that_read_only_the_coverage_keep_the_limits_without_pricing_them(
    make_scenario: Callable[..., Any],
) -> None:
    """The sweep, the simulator and an override's price plan with ``price_limits=False``:
    the same limited plan, without the second solve that prices it."""
    import numpy as np

    from crowdguard.patrols.season_routes import DayOptions

    sc = _limited(make_scenario(teams=TEAMS), max_transit_share=0.1, min_stay_minutes=120)
    priced = make_plan(PlanInputs(sc), PlanOptions(seed=2, workers=1, what_ifs=False))
    unpriced = make_plan(
        PlanInputs(sc),
        PlanOptions(seed=2, workers=1, what_ifs=False, routes=DayOptions(price_limits=False)),
    )
    assert "operational_limits" in priced.certificate
    assert "operational_limits" not in unpriced.certificate
    np.testing.assert_allclose(unpriced.coverage, priced.coverage, atol=1e-9)
    assert all(day.unlimited_coverage is None for day in unpriced.day_plans.values())
    lifted = make_plan(
        PlanInputs(sc.without_limits()), PlanOptions(seed=2, workers=1, what_ifs=False)
    )
    assert sc.without_limits().patrol.limits() == {} and "operational_limits" not in (
        lifted.certificate
    )
