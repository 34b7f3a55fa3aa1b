"""Rosters deliver the protection the certificate certifies (issue 10, section 1).

The probability that a drawn roster protects a venue-slot is computed here exactly, from the
joint distribution the rosters are drawn from, and from the rosters' own segments (a team on
patrol at the venue for at least the minimum dwell within the slot, weighted by its kind's
effectiveness, capped at 1), independently of the solver's coverage map. It must equal the
certified coverage to 1e-6 on hand-made days where two or three teams share a place, and on
random small days (a property). Independent draws, the old way, fall short on the same days.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdguard.patrols.dayplan import DayPlan, plan_day
from crowdguard.patrols.travel import places_of, straight_line_travel

from .conftest import DAY, VENUES, scenario, targets_for


def _overlap(segment: dict[str, Any], start: dt.datetime, end: dt.datetime) -> float:
    a = max(dt.datetime.fromisoformat(segment["start"]), start)
    b = min(dt.datetime.fromisoformat(segment["end"]), end)
    return max(0.0, (b - a).total_seconds() / 60)


def _protection(
    teams: dict[str, list[dict[str, Any]]], plan: DayPlan, targets: Any, dwell: float
) -> np.ndarray:
    """Protection of every target by one whole-force roster, from its segments."""
    effect = {t: c.profile.effectiveness for c in plan.graph.commodities for t in c.teams}
    slot = dt.timedelta(minutes=plan.graph.slot_minutes)
    out = np.zeros(len(targets.ids))
    for i, (venue, start) in enumerate(zip(targets.venue, targets.start, strict=True)):
        total = 0.0
        for team, segments in teams.items():
            minutes = sum(
                _overlap(s, start, start + slot)
                for s in segments
                if s["kind"] == "patrol" and s.get("venue") == venue
            )
            if minutes >= dwell - 1e-9:
                total += effect[team]
        out[i] = min(1.0, total)
    return out


def _exact_protection(plan: DayPlan, targets: Any, dwell: float) -> np.ndarray:
    """Expected protection over the joint distribution: every schedule, every dealing of
    routes to interchangeable teams (they share a kind, so the dealing does not matter)."""
    expected = np.zeros(len(targets.ids))
    for option in plan.joint:
        teams: dict[str, list[dict[str, Any]]] = {}
        for group, routes in option.groups:
            for team, route in zip(group, routes, strict=True):
                teams.setdefault(team, []).extend(s.model_dump(mode="json") for s in route)
        expected += option.weight * _protection(teams, plan, targets, dwell)
    return expected


def _independent_protection(plan: DayPlan, targets: Any, dwell: float) -> np.ndarray:
    """Expected protection if every team drew its own route independently (the old way)."""
    per_team = {
        team: [(w, [s.model_dump(mode="json") for s in segs]) for w, segs in options]
        for team, options in plan.routes.items()
    }
    effect = {t: c.profile.effectiveness for c in plan.graph.commodities for t in c.teams}
    slot = dt.timedelta(minutes=plan.graph.slot_minutes)
    miss_or_sum = np.zeros(len(targets.ids))
    for i, (venue, start) in enumerate(zip(targets.venue, targets.start, strict=True)):
        present = []
        for team, options in per_team.items():
            p = sum(
                w
                for w, segments in options
                if sum(
                    _overlap(s, start, start + slot)
                    for s in segments
                    if s["kind"] == "patrol" and s.get("venue") == venue
                )
                >= dwell - 1e-9
            )
            present.append((effect[team], p))
        # capped sum over every subset of teams present (teams independent)
        total = 0.0
        for mask in range(1 << len(present)):
            prob, value = 1.0, 0.0
            for j, (e, p) in enumerate(present):
                if mask >> j & 1:
                    prob, value = prob * p, value + e
                else:
                    prob *= 1 - p
            total += prob * min(1.0, value)
        miss_or_sum[i] = total
    return miss_or_sum


def _shared_place_day(n_teams: int) -> tuple[Any, Any, DayPlan]:
    """Two or three foot teams from one base near three places, one place far riskier."""
    venues = VENUES[:3]  # Winchester market and high street, Southampton WestQuay
    teams = [
        {"callsign": f"foot-{i + 1}", "base": "ops-winchester", "kind": "foot",
         "shifts": ["10:00-16:00" if i % 2 == 0 else "11:00-15:00"]}
        for i in range(n_teams)
    ]  # fmt: skip
    sc = scenario(venues=venues, teams=teams)
    targets = targets_for(sc, seed=3)
    targets.attacker_uncovered[:6] *= 3  # the market is the place everyone wants to cover
    targets.defender_uncovered[:6] *= 3
    plan = plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)))
    return sc, targets, plan


@pytest.mark.parametrize("n_teams", [2, 3])
def test_drawn_rosters_deliver_exactly_the_certified_coverage(n_teams: int) -> None:
    sc, targets, plan = _shared_place_day(n_teams)
    dwell = sc.patrol.min_dwell_minutes
    assert plan.certificate["joint_rosters"] and plan.certificate["passed"]
    exact = _exact_protection(plan, targets, dwell)
    assert np.max(np.abs(exact - plan.coverage)) <= 1e-6
    assert sum(o.weight for o in plan.joint) == pytest.approx(1.0, abs=1e-12)
    # the teams do share a place: some venue is patrolled by more than one team's routes
    shared: dict[str, set[tuple[str, ...]]] = {}
    for option in plan.joint:
        for group, routes in option.groups:
            for route in routes:
                for s in route:
                    if s.kind == "patrol" and s.venue is not None:
                        shared.setdefault(s.venue, set()).add(group)
    assert max(len(groups) for groups in shared.values()) >= 2 or n_teams == 2


def test_independent_draws_fall_short_where_joint_ones_do_not() -> None:
    sc, targets, plan = _shared_place_day(3)
    dwell = sc.patrol.min_dwell_minutes
    old = _independent_protection(plan, targets, dwell)
    new = _exact_protection(plan, targets, dwell)
    # The team lotteries of the joint plan, drawn independently, lose protection where the
    # plan stacks the teams' flows (issue 10 measured 0.90 planned, 0.67 delivered).
    assert np.max(plan.coverage - old) > 0.01
    assert np.max(np.abs(new - plan.coverage)) <= 1e-6


def test_the_draw_follows_the_joint_distribution() -> None:
    sc, targets, plan = _shared_place_day(2)
    dwell = sc.patrol.min_dwell_minutes
    rng = random.Random(7)
    draws = 400
    total = np.zeros(len(targets.ids))
    for _ in range(draws):
        roster = plan.draw(rng).document()
        total += _protection(
            {t["team"]: t["segments"] for t in roster["teams"]}, plan, targets, dwell
        )
        for team in roster["teams"]:  # never two of our teams stacked beyond one presence
            assert team["base"] == "ops-winchester"
    mean = total / draws
    # a sampling check on top of the exact one: within 4 standard errors everywhere
    se = np.sqrt(plan.coverage * (1 - plan.coverage) / draws) + 1e-9
    assert np.all(np.abs(mean - plan.coverage) <= 4 * se + 1e-9)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), n_teams=st.integers(2, 3))
def test_property_exact_protection_on_random_small_days(seed: int, n_teams: int) -> None:
    rng = np.random.default_rng(seed)
    bases = ["ops-winchester", "pic-southampton"]
    teams = [
        {"callsign": f"t-{i}", "base": bases[int(rng.integers(2))],
         "kind": "foot" if rng.random() < 0.6 else "arv", "shifts": ["10:00-14:00"]}
        for i in range(n_teams)
    ]  # fmt: skip
    sc = scenario(venues=VENUES[:4], teams=teams, hours="10:00-14:00")
    targets = targets_for(sc, seed=seed, first=10, last=14)
    plan = plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)))
    exact = _exact_protection(plan, targets, sc.patrol.min_dwell_minutes)
    assert plan.certificate["passed"]
    if plan.certificate["joint_exact"]:
        assert np.max(np.abs(exact - plan.coverage)) <= 1e-6
    else:  # not implementable: certified on what is drawn, the gap reported
        assert np.max(np.abs(exact - plan.coverage)) <= 1e-6
        assert plan.certificate["implementation_gap"] >= 0


def _day_graph(sc: Any, targets: Any) -> tuple[Any, Any]:
    from crowdguard.patrols.graph import build_graph, flow_polytope

    graph = build_graph(sc, DAY, targets, straight_line_travel(places_of(sc)))
    return graph, flow_polytope(graph)


@pytest.mark.parametrize("transit_share", [None, 0.2])
def test_shortest_path_columns_are_schedules_and_never_beat_the_milp(
    transit_share: float | None,
) -> None:
    """Every schedule the fast pricing returns is a whole-force integer schedule that keeps
    one team's presence per venue-slot and each team's transit budget, valued at exactly
    ``prices . C x``; the pricing MILP's optimum is never below it."""
    from crowdguard.patrols.joint import _GreedyPricing, _Pricing

    teams = [
        {"callsign": f"t-{i}", "base": b, "kind": k, "shifts": ["10:00-16:00"]}
        for i, (b, k) in enumerate(
            [("ops-winchester", "foot"), ("ops-winchester", "foot"), ("pic-southampton", "arv")]
        )
    ]
    sc = scenario(venues=VENUES[:4], teams=teams)
    if transit_share is not None:
        patrol = sc.patrol.model_copy(update={"max_transit_share": transit_share})
        sc = sc.model_copy(update={"patrol": patrol})
    targets = targets_for(sc, seed=5)
    graph, polytope = _day_graph(sc, targets)
    assert (polytope.a_ub is not None) == (transit_share is not None)
    greedy = _GreedyPricing(graph, polytope, None)
    milp = _Pricing(polytope, 60.0, None, None)
    assert greedy.usable
    rng = np.random.default_rng(1)
    for _ in range(5):
        prices = rng.uniform(-1, 1, len(targets.ids))
        found = greedy.best(prices, None, None)
        assert found
        optimum = milp.best(prices)
        assert optimum is not None
        for x, value in found:
            assert np.array_equal(x, np.rint(x)) and np.all(x >= 0)
            assert np.allclose(polytope.a_eq @ x, polytope.b_eq)
            assert np.all(polytope.coverage @ x <= 1 + 1e-9)
            if polytope.a_ub is not None:
                assert np.all(polytope.a_ub @ x <= polytope.b_ub + 1e-9)
            assert value == pytest.approx(float(prices @ (polytope.coverage @ x)), abs=1e-9)
            assert value <= optimum[1] + 1e-7


def test_fast_pricing_ends_where_the_milp_alone_does() -> None:
    """The column generation with shortest-path pricing delivers the planned coverage
    exactly, as it does with the pricing MILP alone."""
    from crowdguard.patrols.joint import joint_schedules

    sc, targets, plan = _shared_place_day(3)
    planned = plan.coverage
    polytope = _day_graph(sc, targets)[1]
    fast = joint_schedules(polytope, planned, support=plan.arc_flow, graph=plan.graph)
    slow = joint_schedules(polytope, planned, support=plan.arc_flow)
    assert fast.exact and slow.exact
    assert np.max(np.abs(fast.delivered - planned)) <= 1e-6
    assert np.max(np.abs(slow.delivered - planned)) <= 1e-6


@pytest.mark.slow
def test_a_demo_day_the_equilibrium_arcs_cannot_implement_is_implemented_over_the_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """28 Nov in the demo: no mixture of schedules over the equilibrium's own arcs delivers
    its coverage; over the whole graph one does, and the rosters deliver it exactly."""
    from crowdguard.patrols import dayplan, joint
    from crowdguard.patrols.travel import scenario_travel
    from crowdguard.risk import build_targets
    from crowdguard.scenario import demo_scenario

    narrow: list[bool] = []

    def both(*args: Any, **kwargs: Any) -> Any:
        narrow.append(joint.joint_schedules(*args, **{**kwargs, "widen": False}).exact)
        return joint.joint_schedules(*args, **kwargs)

    monkeypatch.setattr(dayplan, "joint_schedules", both)
    sc = demo_scenario()
    day = dt.date(2026, 11, 28)
    targets = build_targets(sc, days=[day])
    plan = plan_day(sc, day, targets, scenario_travel(sc))
    assert narrow == [False]
    assert plan.certificate["joint_exact"] and plan.certificate["passed"]
    exact = _exact_protection(plan, targets, sc.patrol.min_dwell_minutes)
    assert np.max(np.abs(exact - plan.coverage)) <= 1e-6


@pytest.mark.parametrize("k", [1, 2])
def test_rosters_with_capped_variants_deliver_exactly_what_is_certified(k: int) -> None:
    """With ``max_variants`` each team draws one of its kept routes, never two teams on one
    venue-slot, and the protection computed from the distribution is the certified one."""
    sc, targets, _ = _shared_place_day(3)
    plan = plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)), max_variants=k)
    assert plan.certificate["joint_rosters"] and plan.certificate["passed"]
    exact = _exact_protection(plan, targets, sc.patrol.min_dwell_minutes)
    assert np.max(np.abs(exact - plan.coverage)) <= 1e-6
    assert all(len(options) <= k for options in plan.routes.values())
