"""The rest-of-day re-plan on the patrol graph: hand-built maps, routes checked move by move,
the equilibrium checked against independent solvers, and the explicit fallback."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from typing import Any

import numpy as np
import pytest

import crowdguard.patrols.replan as replan_module
from crowdguard.errors import InputError, SolverFailed
from crowdguard.games import SecurityGame, solve
from crowdguard.games.flow import CoveragePolytope, solve_flow_game
from crowdguard.patrols.graph import TeamStart, build_graph, flow_polytope
from crowdguard.patrols.replan import INCIDENT, DayReplan, replan_day, travel_with_incident
from crowdguard.patrols.roster import DayRoster, parse_roster
from crowdguard.patrols.travel import TravelTimes
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario

DAY = "2026-12-05"  # a Saturday, GMT: local time is UTC


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{DAY}T{hhmm}:00+00:00")


def venue(venue_id: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": venue_id, "name": venue_id, "kind": "christmas_market", "lat": lat, "lon": lon,
        "opening_hours": {"weekly": {"sat": "10:00-20:00"}}, "peak_occupancy": 3000, **extra,
    }  # fmt: skip


def make_scenario(venues: list[dict[str, Any]], bases: list[dict[str, Any]],
                  teams: list[dict[str, Any]]) -> Scenario:  # fmt: skip
    return Scenario.model_validate({
        "id": "replan-test", "name": "Re-plan test", "start": DAY, "end": DAY,
        "threat_level": "SUBSTANTIAL", "venues": venues, "bases": bases, "teams": teams,
    })  # fmt: skip


def patrol(venue_id: str, start: str, end: str) -> dict[str, Any]:
    return {"kind": "patrol", "venue": venue_id, "start": f"{DAY}T{start}", "end": f"{DAY}T{end}"}


def roster(teams: dict[str, list[dict[str, Any]]], base: str) -> DayRoster:
    return parse_roster(
        {"date": DAY, "teams": [{"team": t, "base": base, "segments": s} for t, s in teams.items()]}
    )


# --- the island map ---------------------------------------------------------------------
# One mainland base by Portsmouth, two mainland venues, and Newport on the Isle of Wight: a
# crowded market worth more to an attacker than both mainland venues, about 80 minutes away
# (the Solent crossing). Both ARVs work 10:00-16:00 from the mainland base.
HQ = {"id": "hq-portsmouth", "name": "Portsmouth HQ", "lat": 50.834, "lon": -1.059}
ISLAND = make_scenario(
    [
        venue("portsmouth-gunwharf", 50.7960, -1.1080),
        venue("fareham-west-street", 50.8530, -1.1790),
        venue("newport-market", 50.7010, -1.2930, island=True, peak_occupancy=9000),
    ],
    [HQ],
    [{"callsign": c, "base": HQ["id"], "kind": "arv", "shifts": ["10:00-16:00"]}
     for c in ("arv-1", "arv-2")],
)  # fmt: skip
ISLAND_ROSTER = roster(
    {
        "arv-1": [patrol("fareham-west-street", "10:20", "15:40")],
        "arv-2": [patrol("portsmouth-gunwharf", "10:15", "15:45")],
    },
    HQ["id"],
)
INCIDENT_POINT = (50.8300, -1.0700)  # in Portsmouth


def assert_drivable(result: DayReplan, scenario: Scenario, travel: TravelTimes) -> None:
    """Every move of the new roster fits travel and dwell, and every team ends at base.

    Walks each team's segments from where the re-plan started it: segments follow each other
    without a gap; a transit lasts at least the travel model's minutes times the team's kind
    multiplier from where the team is to where it next is (its first segment, a journey
    already under way, excepted); a patrol the team drives to lasts at least the dwell; the
    last segment ends at the shift end at base (a base segment, or a drive home).
    """
    kinds = scenario.patrol.kinds()
    teams = {t.callsign: t for t in scenario.teams}
    dwell = scenario.patrol.min_dwell_minutes
    starts = {s.team: s for s in result.starts}
    assert result.roster.document()["teams"], "nobody is planned"
    for entry in result.roster.document()["teams"]:
        team = teams[entry["team"]]
        mult = kinds[team.kind].travel_multiplier
        segs = [{**s, "start": dt.datetime.fromisoformat(s["start"]),
                 "end": dt.datetime.fromisoformat(s["end"])} for s in entry["segments"]]  # fmt: skip
        for a, b in itertools.pairwise(segs):
            assert a["end"] == b["start"], (team.callsign, a, b)
        assert all(s["end"] > s["start"] for s in segs)
        here = starts[team.callsign].place
        arrived = False
        for j, s in enumerate(segs):
            if s["kind"] == "transit":
                after = segs[j + 1] if j + 1 < len(segs) else None
                to = after["venue"] if after and after["kind"] == "patrol" else team.base
                needed = math.ceil(travel.between(here, to) * mult - 1e-9)
                if j > 0 or here == INCIDENT or s["start"] == starts[team.callsign].ready:
                    minutes = (s["end"] - s["start"]).total_seconds() / 60
                    assert minutes >= needed - 1e-6, (team.callsign, here, to, minutes, needed)
                here, arrived = to, True
            elif s["kind"] == "patrol":
                assert s["venue"] == here, (team.callsign, s, here)
                if arrived:
                    assert (s["end"] - s["start"]).total_seconds() / 60 >= dwell - 1e-6
            else:
                assert here == team.base, (team.callsign, s, here)
        assert here == team.base, f"{team.callsign} does not end at base"
        shift_ends = {
            dt.datetime.combine(segs[-1]["end"].date(), sh.hours.end, tzinfo=dt.UTC)
            for sh in team.shifts
        }
        assert segs[-1]["end"] in shift_ends, (team.callsign, segs[-1])


def test_the_replan_keeps_a_team_on_the_mainland_when_the_island_is_out_of_reach() -> None:
    """At 14:00 arv-1 is sent to an incident in Portsmouth. arv-2, patrolling Gunwharf, could
    not reach Newport (about 80 minutes with the crossing) and be back at base by 16:00: the
    patrol graph never sends it, while free placement, which ignores the drive, would."""
    now = at("14:00")
    travel = travel_with_incident(ISLAND, None)
    assert travel.between("portsmouth-gunwharf", "newport-market") > 60  # the trap
    graph = replan_day(ISLAND, team="arv-1", now=now, rosters=ISLAND_ROSTER, rng=random.Random(3))
    free = replan_day(ISLAND, team="arv-1", now=now, rosters=ISLAND_ROSTER,
                      rng=random.Random(3), placement="free")  # fmt: skip

    def newport(result: DayReplan) -> float:
        return sum(t.coverage_after for t in result.targets if t.venue == "newport-market")

    assert (graph.method, graph.fallback) == ("patrol graph", None)
    assert newport(free) > 0.2  # free placement sends arv-2 to the island ...
    assert newport(graph) == 0.0  # ... the graph cannot
    for entry in graph.roster.document()["teams"]:
        assert all(s.get("venue") != "newport-market" for s in entry["segments"])
    assert [t["team"] for t in graph.roster.document()["teams"]] == ["arv-2"]
    assert_drivable(graph, ISLAND, travel)
    # Where the re-plan started arv-2: on site at Gunwharf since 10:15.
    (start,) = graph.starts
    assert (start.team, start.place, start.ready) == ("arv-2", "portsmouth-gunwharf", now)
    assert start.how == "patrolling portsmouth-gunwharf since 10:15"
    assert graph.notes == ("arv-1 is not expected back today: the after plan leaves it out",)
    # The gap is arv-1's rostered Fareham patrol from now until its roster ends.
    assert [(m.venue, m.start, m.end) for m in graph.gap] == [
        ("fareham-west-street", now, at("15:40"))
    ]
    # Who is on duty per slot: both before, arv-2 after; nobody from 16:00 either way.
    duty = {s.start.hour: (s.teams_before, s.teams_after) for s in graph.slots}
    assert duty[14] == duty[15] == (("arv-1", "arv-2"), ("arv-2",))
    assert all(duty[h] == ((), ()) for h in range(16, 20))


def test_routes_are_drivable_and_the_coverage_is_the_flow_s_for_both_kinds_of_team() -> None:
    """A foot team's drives take 1.2 times the model's minutes (the default team kinds),
    an ARV's 1.0; the drawn routes fit every drive and dwell and end at base, whatever the
    draw; the reported coverage is the certified flow's."""
    scenario = make_scenario(
        [venue("portsmouth-gunwharf", 50.7960, -1.1080),
         venue("fareham-west-street", 50.8530, -1.1790),
         venue("havant-meridian", 50.8527, -0.9830),
         venue("gosport-high-street", 50.7960, -1.1250)],
        [HQ],
        [{"callsign": "foot-1", "base": HQ["id"], "kind": "foot", "shifts": ["10:00-18:00"]},
         {"callsign": "foot-2", "base": HQ["id"], "kind": "foot", "shifts": ["10:00-18:00"]},
         {"callsign": "arv-1", "base": HQ["id"], "kind": "arv", "shifts": ["12:00-18:00"]}],
    )  # fmt: skip
    rosters = roster(
        {
            "foot-1": [patrol("havant-meridian", "10:40", "13:00"),
                       {"kind": "transit", "start": f"{DAY}T13:00", "end": f"{DAY}T13:40"},
                       patrol("portsmouth-gunwharf", "13:40", "17:30")],
            "foot-2": [patrol("gosport-high-street", "10:30", "17:30")],
            "arv-1": [patrol("fareham-west-street", "12:10", "17:40")],
        },
        HQ["id"],
    )  # fmt: skip
    travel = travel_with_incident(scenario, INCIDENT_POINT)
    for seed in range(4):
        result = replan_day(
            scenario, team="foot-2", now=at("13:20"), rosters=rosters, back_at=at("14:10"),
            incident=INCIDENT_POINT, rng=random.Random(seed),
        )  # fmt: skip
        assert result.method == "patrol graph"
        assert_drivable(result, scenario, travel)
        starts = {s.team: s for s in result.starts}
        # foot-1 was driving to Gunwharf: it starts there when it arrives, and its new roster
        # keeps the journey from now.
        assert (starts["foot-1"].place, starts["foot-1"].ready) == (
            "portsmouth-gunwharf",
            at("13:40"),
        )
        first = next(t for t in result.roster.document()["teams"] if t["team"] == "foot-1")[
            "segments"
        ][0]
        assert (first["kind"], first["start"][11:16]) == ("transit", "13:20")
        # foot-2 rejoins from the incident once free, driving at a foot team's pace.
        assert (starts["foot-2"].place, starts["foot-2"].ready) == (INCIDENT, at("14:10"))
        back = next(t for t in result.roster.document()["teams"] if t["team"] == "foot-2")[
            "segments"
        ]
        assert back[0]["kind"] == "transit" and back[0]["start"][11:16] == "14:10"
        assert result.after is not None and result.after.solution is not None
        flow = result.after
        assert np.allclose(flow.coverage[flow.horizon], flow.polytope.coverage @ flow.solution.z,
                           atol=1e-9)  # fmt: skip
        assert flow.solution.certificate["passed"]


def _independent(solved: Any, method: str = "multiple-lps") -> Any:
    """Re-solve the game over the same graph's flow polytope, built again from the graph."""
    full = flow_polytope(solved.graph)
    polytope = CoveragePolytope(
        full.coverage[solved.horizon], full.a_eq, full.b_eq, full.lower, full.upper
    )
    return solve_flow_game(solved.payoffs, polytope, method=method)


@pytest.mark.parametrize("back", [None, "15:00"])
def test_the_equilibrium_equals_the_multiple_lps_method_over_the_same_polytope(
    back: str | None,
) -> None:
    """Conitzer and Sandholm's multiple LPs (one LP per attacked target) over the same flow
    polytope reach the same defender and attacker utilities as the re-plan's MILP."""
    result = replan_day(
        ISLAND, team="arv-1", now=at("12:30"), rosters=ISLAND_ROSTER, rng=random.Random(1),
        back_at=None if back is None else at(back), incident=INCIDENT_POINT,
    )  # fmt: skip
    for solved in (result.before, result.after):
        assert solved is not None and solved.solution is not None
        other = _independent(solved)
        assert solved.solution.defender_utility == pytest.approx(other.defender_utility, abs=1e-6)
        assert solved.solution.attacker_utility == pytest.approx(other.attacker_utility, abs=1e-6)
        # The coverage of the target attacked in the independent answer is the same too
        # (the defender's payoff there fixes it).
        t = other.attacked_target
        assert solved.solution.coverage[t] == pytest.approx(other.coverage[t], abs=1e-6)


def test_where_the_equilibrium_is_unique_three_solvers_give_the_same_coverage() -> None:
    """One foot team left for two markets 900 m apart in the last slot: any split of its
    presence is drivable, so the answer is ORIGAMI's (Kiekintveld et al., AAMAS 2009) for
    one resource, and the re-plan, the multiple-LPs method over its polytope and ORIGAMI
    agree to 1e-6."""
    hq = {"id": "hq", "name": "HQ", "lat": 51.0, "lon": -1.3}
    scenario = make_scenario(
        [venue("north-market", 51.004, -1.3, peak_occupancy=3200, capacity=4800),
         venue("south-market", 50.996, -1.3, peak_occupancy=2600, capacity=3900)],
        [hq],
        [{"callsign": "foot-1", "base": "hq", "kind": "foot", "shifts": ["10:00-16:00"]},
         {"callsign": "arv-1", "base": "hq", "kind": "arv", "shifts": ["10:00-16:00"]}],
    )  # fmt: skip
    rosters = roster(
        {"foot-1": [patrol("north-market", "14:00", "15:50")],
         "arv-1": [patrol("south-market", "14:00", "15:50")]},
        "hq",
    )  # fmt: skip
    result = replan_day(scenario, team="arv-1", now=at("15:10"), rosters=rosters,
                        rng=random.Random(0))  # fmt: skip
    after = result.after
    assert after is not None and after.solution is not None
    # The game is the last slot of the shift (after 16:00 no team is on duty either way).
    in_game = [result.targets[i] for i in after.horizon]
    assert [(t.venue, t.start.hour) for t in in_game] == [
        ("north-market", 15),
        ("south-market", 15),
    ]
    other = _independent(after)
    targets = build_targets(scenario, days=[dt.date(2026, 12, 5)])
    last = [i for i, s in enumerate(targets.start) if s.hour == 15]
    origami = solve(
        SecurityGame.from_arrays(
            defender_covered=targets.defender_covered[last],
            defender_uncovered=targets.defender_uncovered[last],
            attacker_covered=targets.attacker_covered[last],
            attacker_uncovered=targets.attacker_uncovered[last],
            resources=1,
        ),
        method="origami",
    )
    assert sorted(origami.certificate.attack_set) == [0, 1]  # both markets: unique
    coverage = np.array([t.coverage_after for t in in_game])
    assert coverage == pytest.approx(other.coverage, abs=1e-6)
    assert coverage == pytest.approx(origami.coverage, abs=1e-6)
    assert coverage.sum() == pytest.approx(1.0, abs=1e-6)  # the whole foot team


def test_a_team_on_site_counts_its_time_there_and_one_still_driving_does_not() -> None:
    """At 14:40 a team that has patrolled Gunwharf since 14:00 still covers it in the 14:00
    slot (its 30-minute dwell is done); a team only arriving at 14:40 cannot cover anything
    in that slot."""
    targets = build_targets(ISLAND, days=[dt.date(2026, 12, 5)])
    travel = travel_with_incident(ISLAND, None)
    starts = {
        "arv-1": TeamStart("portsmouth-gunwharf", at("14:40"), on_site_since=at("14:00")),
        "arv-2": TeamStart("fareham-west-street", at("14:40")),
    }
    kept = [i for i, e in enumerate(targets.end) if e > at("14:40")]
    from crowdguard.patrols.replan import _remaining  # the targets left at 14:40

    left = _remaining(targets, at("14:40"))
    assert len(left) == len(kept)
    graph = build_graph(ISLAND, dt.date(2026, 12, 5), left, travel, check_reachable=False,
                        starts=starts, not_before=at("14:40"))  # fmt: skip
    reached = {}
    for k, comm in enumerate(graph.commodities):
        heads = graph.arc_head[graph.arc_tail == graph.source[k]]
        reached[comm.teams] = {
            (graph.places[graph.node_place[h]], int(graph.node_slot[h]))
            for h in heads if graph.node_target[h] >= 0  # the venue-slots it covers
        }  # fmt: skip
    assert ("portsmouth-gunwharf", 14) in reached[("arv-1",)]
    assert all(slot >= 15 for _, slot in reached[("arv-2",)])
    assert graph.left_out == {}


def test_a_team_back_too_late_to_return_by_its_shift_end_is_named_not_planned() -> None:
    """Free at 15:40 at the incident, arv-1 cannot drive anywhere, patrol and be back by 16:00
    from Newport: the graph leaves it out and the answer says why."""
    newport = (50.7000, -1.2900)
    result = replan_day(ISLAND, team="arv-1", now=at("15:00"), rosters=ISLAND_ROSTER,
                        back_at=at("15:40"), incident=newport, rng=random.Random(1))  # fmt: skip
    assert result.method == "patrol graph"
    assert [s.team for s in result.starts] == ["arv-2"]
    assert any(n.startswith("arv-1 cannot get from incident at 15:40 back to base hq-portsmouth")
               for n in result.notes)  # fmt: skip
    assert [t["team"] for t in result.roster.document()["teams"]] == ["arv-2"]


def test_back_at_needs_the_incident_and_busy_teams_are_left_out() -> None:
    with pytest.raises(InputError, match="back_at: the team rejoins from the incident"):
        replan_day(ISLAND, team="arv-1", now=at("12:00"), rosters=ISLAND_ROSTER,
                   back_at=at("13:00"))  # fmt: skip
    busy = replan_day(ISLAND, team="arv-1", now=at("12:00"), rosters=ISLAND_ROSTER,
                      unavailable={"arv-2": "unit is committed"}, rng=random.Random(1))  # fmt: skip
    assert busy.roster.document()["teams"] == []
    assert "arv-2: unit is committed; left out of both plans" in busy.notes
    assert all(s.teams_before == ("arv-1",) for s in busy.slots if s.start.hour < 16)


def test_when_the_graph_gives_no_answer_the_replan_says_so_and_places_freely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def stalled(*args: Any, **kwargs: Any) -> Any:
        raise SolverFailed("flow game: HiGHS MILP stopped without optimum (time limit reached)")

    monkeypatch.setattr(replan_module, "solve_day", stalled)  # the day planner's solve
    result = replan_day(ISLAND, team="arv-1", now=at("12:00"), rosters=ISLAND_ROSTER,
                        rng=random.Random(1))  # fmt: skip
    assert result.method == "free placement"
    assert result.fallback is not None and "time limit reached" in result.fallback
    assert "free placement instead" in result.fallback
    assert result.before is None and result.starts == ()
    assert [t["team"] for t in result.roster.document()["teams"]] == ["arv-2"]
