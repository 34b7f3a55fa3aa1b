"""The re-plan is the day planner's game (issue 10 s.5) and holds a diverted team to the
plan's operational limits (issue 11 s.2): transit cap, home sector, minimum stay."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

import crowdguard.patrols.dayplan as dayplan
import crowdguard.patrols.replan as replan_module
from crowdguard.games import flow
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.graph import least_transit
from crowdguard.patrols.replan import INCIDENT, DayReplan, replan_day, travel_with_incident
from crowdguard.patrols.roster import DayRoster, parse_roster
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario

DAY = "2026-12-05"  # a Saturday, GMT: local time is UTC
HQ = {"id": "hq-portsmouth", "name": "Portsmouth HQ", "lat": 50.834, "lon": -1.059}
INCIDENT_POINT = (50.8300, -1.0700)  # in Portsmouth, by the base


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{DAY}T{hhmm}:00+00:00")


def venue(venue_id: str, lat: float, lon: float, crowd: int, hours: str) -> dict[str, Any]:
    return {
        "id": venue_id, "name": venue_id, "kind": "christmas_market", "lat": lat, "lon": lon,
        "opening_hours": {"weekly": {"sat": hours}}, "peak_occupancy": crowd,
    }  # fmt: skip


def scenario(hours: str = "10:00-20:00", **patrol: Any) -> Scenario:
    """Portsmouth HQ, a small market by it and a big one in Winchester, about 45 minutes'
    drive away: worth the drive to an unconstrained plan."""
    return Scenario.model_validate(
        {
            "id": "limits", "name": "Limits", "start": DAY, "end": DAY,
            "threat_level": "SUBSTANTIAL",
            "venues": [
                venue("portsmouth-gunwharf", 50.7960, -1.1080, 3000, hours),
                venue("winchester-market", 51.0606, -1.3131, 12000, hours),
            ],
            "bases": [HQ],
            "teams": [{"callsign": c, "base": HQ["id"], "kind": "arv", "shifts": ["10:00-16:00"]}
                      for c in ("arv-1", "arv-2")],
            "patrol": patrol,
        }
    )  # fmt: skip


ROSTER = parse_roster(
    {
        "date": DAY,
        "teams": [
            {"team": t, "base": HQ["id"], "segments": [
                {"kind": "patrol", "venue": "portsmouth-gunwharf",
                 "start": f"{DAY}T10:15", "end": f"{DAY}T15:45"}]}
            for t in ("arv-1", "arv-2")
        ],
    }
)  # fmt: skip


def diverted(sc: Scenario) -> DayReplan:
    """arv-1 sent to an incident by the base at 11:00, free again at 12:00."""
    return replan_day(
        sc,
        team="arv-1",
        now=at("11:00"),
        back_at=at("12:00"),
        incident=INCIDENT_POINT,
        rosters=ROSTER,
        rng=random.Random(5),
    )


def transit_share(roster: DayRoster, team: str, since: dt.datetime) -> float:
    entry = roster.team(team)
    assert entry is not None
    moving = sum(s.minutes for s in entry.segments if s.kind == "transit" and s.start >= since)
    return moving / ((at("16:00") - since).total_seconds() / 60)


def test_a_replan_keeps_the_diverted_team_within_the_transit_cap() -> None:
    free = diverted(scenario())
    assert free.method == "patrol graph" and free.fallback is None
    # unconstrained, the team back from the incident drives out to the big market
    assert transit_share(free.roster, "arv-1", at("12:00")) > 0.3
    capped = diverted(scenario(max_transit_share=0.25))
    assert capped.method == "patrol graph" and capped.fallback is None
    assert capped.after is not None
    for entry in capped.roster.teams:
        since = at("12:00") if entry.team == "arv-1" else at("11:00")
        assert transit_share(capped.roster, entry.team, since) <= 0.25 + 1e-6, entry
    # every route the re-plan can draw keeps the cap, not only this draw
    graph = capped.after.graph
    assert graph.transit_share == 0.25
    assert capped.after.polytope.a_ub is not None
    # and the cap costs protection it reports: the attacker does at least as well
    assert capped.worst_attacker_utility_after is not None
    assert free.worst_attacker_utility_after is not None
    assert capped.worst_attacker_utility_after >= free.worst_attacker_utility_after - 1e-6


def test_a_cap_tighter_than_the_drive_home_still_brings_the_team_home() -> None:
    """A cap the direct drive home alone exceeds: the team goes straight home, planned."""
    capped = diverted(scenario(max_transit_share=0.01))
    assert capped.method == "patrol graph" and capped.fallback is None
    assert capped.after is not None
    graph = capped.after.graph
    for k, comm in enumerate(graph.commodities):
        if comm.start_place == INCIDENT:
            assert least_transit(graph, k) > 0.01 * 240
    entry = capped.roster.team("arv-1")
    assert entry is not None and entry.segments[-1].end == at("16:00")


def test_a_replan_keeps_the_home_sector_and_the_minimum_stay() -> None:
    sc = scenario(home_radius_km=15.0, min_stay_minutes=90.0)
    result = diverted(sc)
    assert result.method == "patrol graph" and result.fallback is None
    for entry in result.roster.teams:
        visits = list(entry.patrols())
        assert visits, entry
        assert all(s.venue == "portsmouth-gunwharf" for s in visits)  # Winchester: 35 km
        for s in visits:  # a visit ends at 16:00's drive home or lasts the minimum stay
            assert s.minutes >= 90.0 - 1e-6 or s.end >= at("15:00"), s


def test_the_replan_plays_the_day_planners_game() -> None:
    """Before anyone is sent, the re-plan's *before* game is the day planner's: the same
    equilibrium value (its LP, its payoffs), here with venues open only in the shift."""
    sc = scenario(hours="10:00-16:00")
    day = dt.date.fromisoformat(DAY)
    targets = build_targets(sc, days=[day])
    planned = plan_day(sc, day, targets, straight_line_travel(places_of(sc)), joint_rosters=False)
    early = replan_day(sc, team="arv-1", now=at("09:00"), rosters=None, rng=random.Random(1))
    assert early.before is not None and early.before.solution is not None
    assert early.before.graph.n_arcs == planned.graph.n_arcs
    assert early.before.solution.defender_utility == pytest.approx(
        planned.defender_utility, abs=1e-6
    )
    assert early.before.solution.attacker_utility == pytest.approx(
        planned.attacker_utility, abs=1e-6
    )
    # one copy: the re-plan calls the planner's solve and its "hold, then minimise" LP
    assert replan_module.solve_day is dayplan.solve_day
    assert replan_module.day_payoffs is dayplan.day_payoffs
    assert replan_module.spread_lp is flow.spread_lp
    # the travel model with an incident only adds the incident
    assert (
        travel_with_incident(sc, INCIDENT_POINT).ids[:-1] == straight_line_travel(places_of(sc)).ids
    )


def test_a_replan_roster_is_drawn_from_joint_schedules_that_deliver_its_coverage() -> None:
    """Where whole-force schedules realise the *after* coverage, the re-plan draws from them:
    computed exactly over the distribution (not sampled), each remaining venue-slot is
    protected (a team on patrol there for the dwell, weighted by its kind, capped at 1) with
    exactly the coverage the re-plan states (issue 10 s.1 for re-plans)."""
    from .test_replan import INCIDENT_POINT as PORTSMOUTH
    from .test_replan import ISLAND, ISLAND_ROSTER

    result = replan_day(
        ISLAND,
        team="arv-1",
        now=at("12:00"),
        back_at=at("13:00"),
        incident=PORTSMOUTH,
        rosters=ISLAND_ROSTER,
        rng=random.Random(1),
    )
    assert result.after is not None and result.joint, result.drawn
    assert "exactly the stated coverage" in result.drawn
    assert sum(o.weight for o in result.joint) == pytest.approx(1.0, abs=1e-9)
    effect = {t: c.profile.effectiveness for c in result.after.graph.commodities for t in c.teams}
    dwell = ISLAND.patrol.min_dwell_minutes
    protected = [0.0] * len(result.targets)
    for option in result.joint:
        routes: dict[str, list[Any]] = {}
        for group, paths in option.groups:
            for team, path in zip(group, paths, strict=True):
                routes.setdefault(team, []).extend(path)
        for i, target in enumerate(result.targets):
            present = 0.0
            for team, segments in routes.items():
                minutes = sum(
                    max(0.0, (min(s.end, target.end) - max(s.start, target.start)).total_seconds())
                    / 60
                    for s in segments
                    if s.kind == "patrol" and s.venue == target.venue
                )
                if minutes >= dwell - 1e-9:
                    present += effect[team]
            protected[i] += option.weight * min(1.0, present)
    assert protected == pytest.approx([t.coverage_after for t in result.targets], abs=1e-6)
    # and the drawn roster is one of those schedules, team for team
    drawn = {t.team: t.segments for t in result.roster.teams}
    assert any(
        all(
            tuple(s for s in drawn.get(team, ()) if s.kind == "patrol")
            == tuple(s for s in path if s.kind == "patrol")
            for group, paths in option.groups
            for team, path in zip(group, paths, strict=True)
        )
        for option in result.joint
    )
