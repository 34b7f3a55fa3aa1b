"""Response-time reach over water: a ferry takes its timetabled time whatever the team's speed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from crowdguard.patrols.graph import build_graph
from crowdguard.patrols.response import reach_matrix
from crowdguard.patrols.travel import scenario_travel

DAY = dt.date(2026, 12, 5)
RYDE = ("ryde-union-street", 50.7300, -1.1615, True)
PORTSMOUTH = ("pic-portsmouth", 50.8340, -1.0590, False)


def _team(kind: str) -> dict[str, Any]:
    return {"callsign": "t-1", "base": PORTSMOUTH[0], "kind": kind, "shifts": ["10:00-16:00"]}


def _reached(
    make_scenario: Callable[..., Any],
    make_targets: Callable[..., Any],
    kind: str,
    multiplier: float,
    target_minutes: float,
) -> bool:
    """Whether a team of ``kind`` (travel multiplier ``multiplier``) waiting at its mainland
    base counts as within ``target_minutes`` of the Ryde venue in the same slot."""
    sc = make_scenario([RYDE], [PORTSMOUTH], [_team("foot")])
    if kind != "foot":  # a kind of our own, crossing as vehicles do
        data = sc.model_dump()
        data["teams"][0]["kind"] = kind
        data["patrol"]["team_kinds"] = {
            kind: {"travel_multiplier": multiplier, "effectiveness": 1.0}
        }
        sc = type(sc).model_validate(data)
    targets = make_targets(sc, seed=1)
    graph = build_graph(sc, DAY, targets, scenario_travel(sc), check_reachable=False)
    reach = reach_matrix(graph, scenario_travel(sc), target_minutes).toarray()
    at_base = np.flatnonzero(
        (graph.node_place[graph.arc_head] == graph.places.index(PORTSMOUTH[0]))
        & (graph.node_slot[graph.arc_head] == 12)
    )
    noon = next(i for i, s in enumerate(targets.start) if s.hour == 12)
    return bool(reach[noon, at_base].any())


def test_a_slow_team_does_not_slow_the_ferry(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """Issue 11: reach scaled the ferry's wait and crossing by the team's multiplier, so a
    slow team was counted out of reach of an island venue it can reach in time."""
    sc = make_scenario([RYDE], [PORTSMOUTH], [_team("foot")])
    travel = scenario_travel(sc)
    i, j = travel.index(PORTSMOUTH[0]), travel.index(RYDE[0])
    crossing = travel.crossing(PORTSMOUTH[0], RYDE[0])
    assert crossing is not None and crossing.vehicles
    water = crossing.wait_minutes + crossing.crossing_minutes
    road = float(travel.minutes[i, j]) - water
    slow = 3.0
    honest = road * slow + water  # what the team really takes
    scaled = float(travel.minutes[i, j]) * slow  # ferry slowed too: the old answer
    assert scaled - honest > 10
    between = (honest + scaled) / 2
    assert _reached(make_scenario, make_targets, "van", slow, between)
    assert not _reached(make_scenario, make_targets, "van", slow, honest - 1)


def test_a_foot_team_is_within_reach_by_the_foot_passenger_craft(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any]
) -> None:
    """A foot team may take the hovercraft/fast cat; its reach uses that route too."""
    sc = make_scenario([RYDE], [PORTSMOUTH], [_team("foot")])
    travel = scenario_travel(sc)
    i, j = travel.index(PORTSMOUTH[0]), travel.index(RYDE[0])
    by_foot = float(travel.for_team(1.2, on_foot=True)[i, j])
    by_vehicle = float(travel.for_team(1.2)[i, j])
    assert by_foot < by_vehicle - 1
    assert _reached(make_scenario, make_targets, "foot", 1.2, (by_foot + by_vehicle) / 2)
