"""plan_day end to end: graph rules, routes, rosters, response, floors, overrides, errors."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from crowdguard.errors import PlanError
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.graph import SINK_SLOT, build_graph
from crowdguard.patrols.overrides import Override
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.patrols.whatifs import override_cost, visibility_tradeoff
from crowdguard.scenario.schema import Scenario, Shift

DAY = dt.date(2026, 12, 5)
FOUR_TEAMS = [
    {"callsign": "foot-1", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
    {"callsign": "foot-2", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
    {"callsign": "arv-1", "base": "pic-southampton", "kind": "arv", "shifts": ["10:00-16:00"]},
    {"callsign": "arv-2", "base": "pic-southampton", "kind": "arv", "shifts": ["10:00-16:00"]},
]


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _setup(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any], seed: int = 7
) -> tuple[Any, ...]:
    sc = make_scenario(teams=FOUR_TEAMS)
    targets = make_targets(sc, seed)
    travel = straight_line_travel(places_of(sc))
    return sc, targets, travel


def test_every_arc_leaves_time_for_travel_and_dwell(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    graph = build_graph(sc, DAY, targets, travel)
    for a in range(graph.n_arcs):
        tail, head = graph.arc_tail[a], graph.arc_head[a]
        comm = graph.commodities[graph.node_commodity[tail]]
        if graph.node_slot[head] == SINK_SLOT:  # the drive home fits in the shift
            assert graph.node_place[head] == graph.places.index(comm.base)
            assert (
                graph.slot_start(int(graph.node_slot[tail]))
                + dt.timedelta(
                    minutes=sc.patrol.min_dwell_minutes * (graph.node_target[tail] >= 0)
                    + float(graph.arc_minutes[a])
                )
                <= comm.shift_end
            )
            continue
        assert graph.node_slot[head] > graph.node_slot[tail]
        arrive = graph.departure(tail) + dt.timedelta(minutes=float(graph.arc_minutes[a]))
        dwell = sc.patrol.min_dwell_minutes if graph.node_target[head] >= 0 else 0
        slot_end = graph.slot_start(int(graph.node_slot[head]) + 1)
        assert arrive + dt.timedelta(minutes=dwell) <= slot_end
        assert comm.shift_start <= arrive and slot_end <= comm.shift_end


def test_plan_is_certified_and_routes_are_lotteries(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    plan = plan_day(sc, DAY, targets, travel)
    assert plan.certificate["passed"]
    assert plan.certificate["routes_base_to_base"]
    assert plan.attacked_target in targets.ids
    assert set(plan.routes) == {t["callsign"] for t in FOUR_TEAMS}
    for options in plan.routes.values():
        assert sum(w for w, _ in options) == pytest.approx(1.0)
    same = plan_day(sc, DAY, targets, travel, method="multiple-lps")
    assert same.defender_utility == pytest.approx(plan.defender_utility, abs=1e-6)


def test_roster_follows_the_contract(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    plan = plan_day(sc, DAY, targets, travel)
    roster = plan.draw(random.Random(1)).document()
    assert roster["date"] == "2026-12-05"
    venues = {v.id for v in sc.venues}
    for entry in roster["teams"]:
        segments = entry["segments"]
        assert entry["base"] == next(
            t["base"] for t in FOUR_TEAMS if t["callsign"] == entry["team"]
        )
        assert _when(segments[0]["start"]) == dt.datetime(
            2026, 12, 5, 10, tzinfo=_when(segments[0]["start"]).tzinfo
        )
        assert _when(segments[-1]["end"]).hour == 16
        assert segments[-1]["kind"] in {"base", "transit"}  # home by the shift end
        for before, after in itertools.pairwise(segments):
            assert before["end"] == after["start"]  # no gaps, no overlaps
        for seg in segments:
            assert seg["kind"] in {"patrol", "transit", "base"}
            assert _when(seg["start"]).utcoffset() is not None  # ISO 8601 with offset
            assert _when(seg["start"]) < _when(seg["end"])
            assert ("venue" in seg) == (seg["kind"] == "patrol")
            if seg["kind"] == "patrol":
                assert seg["venue"] in venues


def _presence(
    roster: dict[str, Any], targets: Any, eff: dict[str, float], dwell: float
) -> np.ndarray:
    """Effectiveness-weighted number of teams on site >= dwell minutes in each target's slot."""
    out = np.zeros(len(targets.ids))
    index = {(v, s): i for i, (v, s) in enumerate(zip(targets.venue, targets.start, strict=True))}
    for entry in roster["teams"]:
        for seg in entry["segments"]:
            if seg["kind"] != "patrol":
                continue
            start, end = _when(seg["start"]), _when(seg["end"])
            slot = start.replace(minute=0, second=0)
            while slot < end:
                overlap = (
                    min(end, slot + dt.timedelta(hours=1)) - max(start, slot)
                ).total_seconds()
                i = index.get((seg["venue"], slot))
                if i is not None and overlap >= dwell * 60 - 1e-6:
                    out[i] += eff[entry["team"]]
                slot += dt.timedelta(hours=1)
    return out


def test_drawn_rosters_reproduce_the_equilibrium_coverage(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets, seed=11)
    plan = plan_day(sc, DAY, targets, travel)
    eff = {"foot-1": 1.0, "foot-2": 1.0, "arv-1": 0.8, "arv-2": 0.8}
    rng = random.Random(2026)
    draws = 2000
    total = np.zeros(len(targets.ids))
    for _ in range(draws):
        total += _presence(plan.draw(rng).document(), targets, eff, sc.patrol.min_dwell_minutes)
    empirical = total / draws
    # Teams draw independently: variance of the weighted presence is sum_k e_k^2 p_k (1 - p_k).
    variance = np.zeros(len(targets.ids))
    for i, (venue, start) in enumerate(zip(targets.venue, targets.start, strict=True)):
        for team, e in eff.items():
            p = plan.presence(team, venue, start.time())
            variance[i] += e * e * p * (1 - p)
    sigma = np.sqrt(variance / draws)
    assert np.all(np.abs(empirical - plan.coverage) <= 4 * sigma + 1e-9)
    assert np.any(sigma > 0)  # the plan really is randomised


def test_seeded_draws_are_reproducible(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    plan = plan_day(sc, DAY, targets, travel)
    assert plan.draw(random.Random(5)) == plan.draw(random.Random(5))


def test_capping_variants_costs_utility_and_limits_routes(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = make_scenario()  # one foot team in Winchester, one ARV in Southampton
    targets, travel = make_targets(sc, 3), straight_line_travel(places_of(sc))
    full = plan_day(sc, DAY, targets, travel)
    for k in (1, 2):
        capped = plan_day(sc, DAY, targets, travel, max_variants=k)
        assert capped.variants_cost is not None and capped.variants_cost >= -1e-9
        assert capped.defender_utility <= full.defender_utility + 1e-9
        # the cap's price, then what drawing only collision-free choices of the kept routes
        # loses (rosters deliver the certified coverage: tests/patrols/test_joint.py)
        lost = capped.certificate["implementation_gap"]
        assert capped.defender_utility == pytest.approx(
            full.defender_utility - capped.variants_cost - lost
        )
        assert all(1 <= len(options) <= k for options in capped.routes.values())
        for option in capped.joint:  # every drawable roster uses a kept variant per team
            for group, routes in option.groups:
                for team, route in zip(group, routes, strict=True):
                    assert list(route) in [list(segs) for _, segs in capped.routes[team]]
        assert capped.certificate["passed"]


def test_response_probability_matches_simulated_rosters(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    plan = plan_day(sc, DAY, targets, travel)
    p = plan.response_probability
    assert np.all((p >= 0) & (p <= 1))
    # A target at a team's own base town with the team staying put is always reachable;
    # simulate: from each drawn roster, is some team (at its slot place) within 10 minutes?
    graph = plan.graph
    rng = random.Random(3)
    hits = np.zeros(len(targets.ids))
    draws = 1000
    for _ in range(draws):
        roster = plan.draw(rng).document()
        where: dict[tuple[str, dt.datetime], list[tuple[str, str]]] = {}
        for entry in roster["teams"]:
            kind = next(t["kind"] for t in FOUR_TEAMS if t["callsign"] == entry["team"])
            for seg in entry["segments"]:
                if seg["kind"] == "transit":
                    continue
                place = seg.get("venue", entry["base"])
                start, end = _when(seg["start"]), _when(seg["end"])
                slot = start.replace(minute=0, second=0)
                while slot < end:
                    if (
                        min(end, slot + dt.timedelta(hours=1)) - max(start, slot)
                    ).total_seconds() >= (
                        sc.patrol.min_dwell_minutes * 60 if seg["kind"] == "patrol" else 1
                    ):
                        where.setdefault((entry["team"], slot), []).append((place, kind))
                    slot += dt.timedelta(hours=1)
        for i, (venue, start) in enumerate(zip(targets.venue, targets.start, strict=True)):
            for team in ("foot-1", "foot-2", "arv-1", "arv-2"):
                spots = where.get((team, start), [])
                # the node place of a slot is the last place the team is at in it
                if spots:
                    place, kind = spots[-1]
                    mult = 1.2 if kind == "foot" else 1.0
                    if travel.between(place, venue) * mult <= sc.patrol.response_target_minutes:
                        hits[i] += 1
                        break
    assert graph.n_targets == len(targets.ids)
    assert np.all(
        np.abs(hits / draws - p) <= 4 * np.sqrt(np.maximum(p * (1 - p), 1e-3) / draws) + 0.01
    )


def test_response_floor_is_met(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    busy = float(np.quantile(targets.crowd, 0.8))
    plan = plan_day(sc, DAY, targets, travel, response_floor=0.5, response_min_crowd=busy)
    assert np.all(plan.response_probability[targets.crowd >= busy] >= 0.5 - 1e-6)
    free = plan_day(sc, DAY, targets, travel)
    assert plan.defender_utility <= free.defender_utility + 1e-9


def test_unreachable_response_floor_is_a_plan_error(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    with pytest.raises(PlanError, match="response_floor"):
        plan_day(sc, DAY, targets, travel, response_floor=0.999)


def test_response_floor_binds_only_while_a_team_is_on_shift(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """Venues open from 09:00, teams from 10:00: no patrol exists to place at 09:00."""
    teams = [
        {"callsign": "foot-1", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
        {"callsign": "arv-1", "base": "pic-southampton", "kind": "arv", "shifts": ["10:00-16:00"]},
    ]
    sc = make_scenario(teams=teams, hours="09:00-16:00")
    targets = make_targets(sc, 5, first=9)
    travel = straight_line_travel(places_of(sc))
    plan = plan_day(sc, DAY, targets, travel, response_floor=0.3)
    at_nine = np.array([s.hour == 9 for s in targets.start])
    assert np.all(plan.response_probability[at_nine] == 0.0)
    assert np.all(plan.response_probability[~at_nine] >= 0.3 - 1e-6)


def test_a_venue_no_team_can_reach_is_named_with_the_fix(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any], known_places: Any
) -> None:
    venues, _ = known_places
    sc = make_scenario(venues=[venues[0], venues[5]])  # Winchester market, Gunwharf Quays
    targets = make_targets(sc, 5)
    travel = straight_line_travel(places_of(sc))
    # At 10:00 both teams have just left Winchester and Southampton: Portsmouth is too far.
    with pytest.raises(
        PlanError,
        match=r"response_floor=0.2: no team on shift can be within 10 min of venue "
        r"'portsmouth-gunwharf' in the 10:00 slot \(expected crowd \d+\); raise "
        r"--response-min-crowd above that crowd, or add a staging point",
    ):
        plan_day(sc, DAY, targets, travel, response_floor=0.2)
    # Above every crowd at Gunwharf at 10:00 the floor has nothing left to refuse.
    gunwharf_10 = targets.ids.index("portsmouth-gunwharf@2026-12-05T10:00:00+00:00")
    higher = float(targets.crowd[gunwharf_10]) + 1
    plan = plan_day(sc, DAY, targets, travel, response_floor=0.2, response_min_crowd=higher)
    qualifying = targets.crowd >= higher
    assert np.all(plan.response_probability[qualifying] >= 0.2 - 1e-6)


def test_a_floor_more_teams_than_can_reach_would_need_says_what_is_possible(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """At 10:00 only the Winchester foot team can be near the market (the ARV is 33 min
    away), so sum p_j <= 1 and the linear floor tops out at 1 - e^-1 = 0.63 there."""
    sc = make_scenario()
    targets = make_targets(sc, 5)
    travel = straight_line_travel(places_of(sc))
    with pytest.raises(
        PlanError,
        match=r"response_floor=0.9: only 1 team\(s\) can be within 10 min of venue "
        r"'winchester-market' in the 10:00 slot .* enough for a floor up to 0.63; lower the floor",
    ):
        plan_day(sc, DAY, targets, travel, response_floor=0.9)
    plan_day(sc, DAY, targets, travel, response_floor=0.6)  # below the bound: solved


def test_a_visibility_floor_above_the_most_the_teams_can_give_says_the_most(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    curve = visibility_tradeoff(sc, DAY, targets, travel, points=2)
    top = curve[-1]["visibility_floor"]
    with pytest.raises(PlanError, match=rf"at most {top:.0f} shoppers can pass a patrol"):
        plan_day(sc, DAY, targets, travel, visibility_floor=2 * top)


def test_an_infeasible_combination_blames_the_constraint_that_cannot_hold(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    clash = [
        Override("foot-1", "winchester-market", dt.time(12, 0)),
        Override("foot-1", "southampton-westquay", dt.time(12, 0)),
    ]
    with pytest.raises(PlanError) as info:
        plan_day(sc, DAY, targets, travel, overrides=clash, response_floor=0.2)
    assert str(info.value).startswith("overrides 'pin foot-1 at winchester-market 12:00'")
    assert "remove or move an override" in str(info.value)
    # Each alone is possible, not both: the most visible plan needs the ARV at WestQuay.
    top = visibility_tradeoff(sc, DAY, targets, travel, points=2)[-1]["visibility_floor"]
    forbid = [Override("arv-1", "southampton-westquay", dt.time(10, 0), "forbid")]
    plan_day(sc, DAY, targets, travel, overrides=forbid)
    plan_day(sc, DAY, targets, travel, visibility_floor=top)
    with pytest.raises(
        PlanError,
        match=r"overrides 'forbid arv-1 at southampton-westquay 10:00' together with "
        r"visibility_floor=\d+(\.\d+)?: each can be met on this day but not all at once.*"
        r"relax one of them",
    ):
        plan_day(sc, DAY, targets, travel, overrides=forbid, visibility_floor=top)


def test_visibility_floor_raises_visibility_at_a_price(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    curve = visibility_tradeoff(sc, DAY, targets, travel, points=3)
    assert [c["visibility_floor"] for c in curve] == sorted(c["visibility_floor"] for c in curve)
    for point in curve:
        assert point["expected_visibility"] >= point["visibility_floor"] - 1e-6
    utilities = [c["defender_utility"] for c in curve]
    assert all(b <= a + 1e-5 for a, b in itertools.pairwise(utilities))


def test_pin_makes_the_slot_predictable_and_is_costed(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    pin = Override("foot-1", "southampton-westquay", dt.time(13, 0))
    report = override_cost(sc, DAY, targets, travel, [pin])
    assert report["presence"][pin.describe()]["after"] == pytest.approx(1.0)
    assert report["utility_cost"] >= -1e-9
    plan = plan_day(
        sc,
        DAY,
        targets,
        travel,
        overrides=[Override("arv-1", "winchester-market", dt.time(11, 0), "forbid")],
    )
    assert plan.presence("arv-1", "winchester-market", dt.time(11, 0)) == pytest.approx(0.0)


def test_impossible_pins_are_plan_errors(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc, targets, travel = _setup(make_scenario, make_targets)
    clash = [
        Override("foot-1", "winchester-market", dt.time(12, 0)),
        Override("foot-1", "southampton-westquay", dt.time(12, 0)),
    ]
    with pytest.raises(PlanError, match="override"):
        plan_day(sc, DAY, targets, travel, overrides=clash)
    reasons = [
        (
            Override("foot-1", "winchester-market", dt.time(18, 0)),
            targets,
            "foot-1 is not on shift for the whole 18:00 slot (its shift: 10:00-16:00)",
        ),
        (
            Override("foot-1", "southampton-westquay", dt.time(10, 0)),
            targets,
            "foot-1 cannot get to southampton-westquay, patrol for the minimum dwell in the "
            "10:00 slot and be back at base",
        ),
        (
            Override("foot-1", "winchester-market", dt.time(10, 0)),
            make_targets(sc, 7, first=11),
            "winchester-market is closed in the 10:00 slot on 2026-12-05; pin a time when it "
            "is open",
        ),
    ]
    for pin, day_targets, reason in reasons:
        with pytest.raises(PlanError, match=re.escape(f"override '{pin.describe()}': {reason}")):
            plan_day(sc, DAY, day_targets, travel, overrides=[pin])
    with pytest.raises(PlanError, match="not on duty"):
        plan_day(
            sc,
            DAY,
            targets,
            travel,
            overrides=[Override("ghost", "winchester-market", dt.time(12, 0))],
        )


def test_island_venue_without_island_base_is_unreachable(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any], known_places: Any
) -> None:
    venues, bases = known_places

    sc = make_scenario(
        venues=[venues[0], venues[11]], bases=bases[:1], teams=FOUR_TEAMS[:1], hours="10:00-12:00"
    )
    targets = make_targets(sc, 1, first=10, last=12)
    with pytest.raises(
        PlanError,
        match="'ryde-union-street' cannot be reached from any base within a shift: add a staging point on the Isle of Wight",
    ):
        plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)))


def test_shift_errors_are_plan_errors(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """The scenario refuses bad shifts when it loads (tests/scenario/test_load.py); a scenario
    changed without validation (``model_copy``) still meets the same checks in the graph."""
    sc = make_scenario()
    team = sc.teams[0]
    for shifts, fragment in (
        (["10:00-10:20"], "shorter than one dwell"),
        (["10:00-14:00", "13:00-16:00"], "overlapping shifts on sat (10:00-14:00 overlaps"),
    ):
        with pytest.raises(ValueError, match=fragment.split(" on ")[0]):
            make_scenario(
                teams=[{"callsign": "foot-1", "base": "ops-winchester", "shifts": shifts}]
            )
        unchecked = [Shift.model_validate(s) for s in shifts]
        bad = sc.model_copy(update={"teams": [team.model_copy(update={"shifts": unchecked})]})
        with pytest.raises(PlanError, match=re.escape(fragment)):
            plan_day(bad, DAY, make_targets(sc, 1), straight_line_travel(places_of(sc)))
    ghost_base = sc.model_copy(update={"teams": [team.model_copy(update={"base": "nowhere"})]})
    with pytest.raises(PlanError, match="base 'nowhere'"):
        plan_day(ghost_base, DAY, make_targets(sc, 1), straight_line_travel(places_of(sc)))


def test_team_kinds_from_the_scenario_set_each_kind_s_speed_and_weight(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """A scenario adds a slow, half-weight 'cycle' kind and changes the ARV's weight."""
    data = make_scenario().model_dump(mode="json")
    data["patrol"]["team_kinds"] = {
        "cycle": {"travel_multiplier": 2.0, "effectiveness": 0.5},
        "arv": {"travel_multiplier": 1.0, "effectiveness": 0.7},
    }
    data["teams"][0]["kind"] = "cycle"
    sc = Scenario.model_validate(data)
    targets = make_targets(sc, 4)
    travel = straight_line_travel(places_of(sc))
    graph = build_graph(sc, DAY, targets, travel)
    weight = {"foot-1": 0.5, "arv-1": 0.7}
    for k, comm in enumerate(graph.commodities):
        assert comm.profile.effectiveness == weight[comm.teams[0]]
        moves = np.flatnonzero(
            (graph.node_commodity[graph.arc_tail] == k)
            & (graph.node_place[graph.arc_tail] != graph.node_place[graph.arc_head])
        )
        for a in moves.tolist():
            minutes = travel.minutes[
                graph.node_place[graph.arc_tail[a]], graph.node_place[graph.arc_head[a]]
            ]
            assert graph.arc_minutes[a] == math.ceil(minutes * comm.profile.travel_multiplier)
    plan = plan_day(sc, DAY, targets, travel)
    assert plan.certificate["passed"]
    for i, (venue, start) in enumerate(zip(targets.venue, targets.start, strict=True)):
        expected = sum(e * plan.presence(team, venue, start.time()) for team, e in weight.items())
        assert plan.coverage[i] == pytest.approx(expected, abs=1e-6)


def test_two_shift_team_gets_one_roster_entry(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    sc = make_scenario(
        teams=[
            {
                "callsign": "foot-1",
                "base": "ops-winchester",
                "kind": "foot",
                "shifts": ["10:00-12:00", "13:00-16:00"],
            }
        ]
    )
    plan = plan_day(sc, DAY, make_targets(sc, 2), straight_line_travel(places_of(sc)))
    roster = plan.draw(random.Random(0)).document()
    (entry,) = roster["teams"]
    assert _when(entry["segments"][0]["start"]).hour == 10
    assert _when(entry["segments"][-1]["end"]).hour == 16
    assert sum(w for w, _ in plan.routes["foot-1"]) == pytest.approx(1.0)


def test_demo_day_solves_silently_and_certified(capfd: pytest.CaptureFixture[str]) -> None:
    """No solver chatter on stdout (it would corrupt ``--json`` output), certificate passed."""
    from crowdguard.risk import build_targets
    from crowdguard.scenario import demo_scenario

    sc = demo_scenario()
    day = dt.date(2026, 12, 3)
    targets = build_targets(sc, days=[day])
    plan = plan_day(sc, day, targets, straight_line_travel(places_of(sc)))
    out, _ = capfd.readouterr()
    assert out == ""
    assert plan.certificate["passed"]
    assert len(plan.coverage) == len(targets.ids)
