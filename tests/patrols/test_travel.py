"""Travel model: the straight-line default and a road graph loaded from GraphML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from crowdguard.errors import InputError
from crowdguard.patrols.travel import (
    Place,
    default_crossings,
    haversine_km,
    places_of,
    road_graph_travel,
    scenario_travel,
    straight_line_travel,
)
from crowdguard.scenario import demo_scenario
from crowdguard.scenario.schema import Crossing

WIN = Place("winchester-market", 51.0606, -1.3131)
SOU = Place("southampton-westquay", 50.9035, -1.4060)
NEW = Place("newport-st-james", 50.7010, -1.2925, island=True)
RYD = Place("ryde-union-street", 50.7300, -1.1615, island=True)


def test_haversine_matches_a_known_distance() -> None:
    # One degree of latitude is about 111.2 km on the mean-radius sphere.
    assert haversine_km(50.0, -1.0, 51.0, -1.0) == pytest.approx(111.19, abs=0.05)


def test_straight_line_is_symmetric_with_zero_diagonal_and_grows_with_distance() -> None:
    tt = straight_line_travel([WIN, SOU, NEW, RYD])
    assert np.allclose(tt.minutes, tt.minutes.T)
    assert np.all(np.diag(tt.minutes) == 0)
    # Winchester-Southampton (~19 km) takes longer than Newport-Ryde (~11 km) by road.
    assert tt.between(WIN.id, SOU.id) > tt.between(NEW.id, RYD.id) > 0


def _crossing(cid: str, vehicles: bool, water: tuple[float, float], **ends: Any) -> Crossing:
    return Crossing.model_validate(
        {
            "id": cid, "name": cid, "crossing_minutes": water[0], "wait_minutes": water[1],
            "vehicles": vehicles, **ends,
        }
    )  # fmt: skip


def test_a_straight_line_never_crosses_the_solent() -> None:
    """Issue 11: a team based at Ryde went to Southampton "in a straight line across the
    Solent". Every island-mainland trip now goes terminal to terminal by a named route."""
    scenario = demo_scenario()
    tt = scenario_travel(scenario)
    places = places_of(scenario)
    island = [p for p in places if p.island]
    mainland = [p for p in places if not p.island]
    assert island and mainland
    routes = [c for c in scenario.crossings or [] if c.vehicles]
    for a in island:
        for b in mainland:
            for origin, dest in ((a, b), (b, a)):
                ferry = tt.crossing(origin.id, dest.id)
                assert ferry is not None and ferry.vehicles, (origin.id, dest.id)
                # road to the terminal + wait + crossing + road on: the quickest such route
                minutes = tt.between(origin.id, dest.id)
                assert minutes == pytest.approx(_via(origin, dest, ferry))
                assert minutes <= min(_via(origin, dest, c) for c in routes) + 1e-9
                straight = straight_line_travel(
                    [Place("o", origin.lat, origin.lon), Place("d", dest.lat, dest.lon)],
                    crossings=[],
                ).minutes[0, 1]
                assert minutes > straight + ferry.crossing_minutes


def _road(a: tuple[float, float], b: tuple[float, float]) -> float:
    pair = [Place("a", *a), Place("b", *b)]
    return float(straight_line_travel(pair, crossings=[]).minutes[0, 1])


def _via(a: Place, b: Place, c: Crossing) -> float:
    near = c.island if a.island else c.mainland
    far = c.mainland if a.island else c.island
    return (
        _road((a.lat, a.lon), (near.lat, near.lon))
        + c.wait_minutes
        + c.crossing_minutes
        + _road((far.lat, far.lon), (b.lat, b.lon))
    )


def test_ryde_to_southampton_goes_by_ferry_and_foot_teams_may_take_the_fast_craft() -> None:
    scenario = demo_scenario()
    tt = scenario_travel(scenario)
    ryde, westquay = "ryde-police-station", "southampton-westquay"
    by_vehicle = tt.crossing(ryde, westquay)
    on_foot = tt.crossing(ryde, westquay, on_foot=True)
    assert by_vehicle is not None and by_vehicle.vehicles
    assert on_foot is not None and not on_foot.vehicles  # the Red Jet, foot passengers only
    i, j = tt.index(ryde), tt.index(westquay)
    assert tt.for_team(1.0, on_foot=True)[i, j] < tt.for_team(1.0)[i, j]
    # Same-side trips are the same either way.
    k = tt.index("newport-st-james-square")
    assert tt.for_team(1.0, on_foot=True)[i, k] == tt.for_team(1.0)[i, k]
    assert tt.crossing(ryde, "newport-st-james-square") is None


def test_a_team_s_speed_scales_its_road_legs_not_the_ferry() -> None:
    scenario = demo_scenario()
    tt = scenario_travel(scenario)
    i, j = tt.index("ryde-police-station"), tt.index("southampton-westquay")
    ferry = tt.crossing("ryde-police-station", "southampton-westquay")
    assert ferry is not None
    water = ferry.wait_minutes + ferry.crossing_minutes
    assert tt.for_team(1.5)[i, j] == pytest.approx((tt.minutes[i, j] - water) * 1.5 + water)
    w = tt.index("winchester-cathedral-market")
    assert tt.for_team(1.5)[w, j] == pytest.approx(tt.minutes[w, j] * 1.5)


def test_without_a_vehicle_ferry_a_vehicle_cannot_cross() -> None:
    foot_only = _crossing(
        "fast", False, (20, 10),
        mainland={"name": "M", "lat": 50.80, "lon": -1.11},
        island={"name": "I", "lat": 50.74, "lon": -1.16},
    )  # fmt: skip
    with pytest.raises(InputError, match=r"no crossing from .*add a route under crossings"):
        straight_line_travel([SOU, NEW], crossings=[foot_only])
    assert straight_line_travel([WIN, SOU], crossings=[foot_only]).between(WIN.id, SOU.id) > 0


def test_a_scenario_s_own_crossings_replace_the_solent_routes() -> None:
    scenario = demo_scenario()
    slow = _crossing(
        "slow-boat", True, (300, 60),
        mainland={"name": "M", "lat": 50.80, "lon": -1.11},
        island={"name": "I", "lat": 50.74, "lon": -1.16},
    )  # fmt: skip
    own = scenario.model_copy(update={"crossings": [slow]})
    tt = scenario_travel(own)
    assert tt.crossing("ryde-police-station", "southampton-westquay") == slow
    assert tt.between("ryde-police-station", "southampton-westquay") > 360


def test_the_demo_names_the_four_routes_of_the_issue_with_sources() -> None:
    crossings = demo_scenario().crossings or []
    names = " ".join(c.name for c in crossings)
    for a, b in (("Portsmouth", "Ryde"), ("Portsmouth", "Fishbourne"),
                 ("Southampton", "Cowes"), ("Lymington", "Yarmouth")):  # fmt: skip
        assert any(a in c.name and b in c.name for c in crossings), (a, b, names)
    assert all("[FACT-2nd]" in c.source or "[ESTIMATE]" in c.source for c in crossings)
    assert default_crossings() == tuple(crossings)


def test_urban_speed_applies_to_short_trips() -> None:
    a, b = Place("a", 51.0, -1.0), Place("b", 51.01, -1.0)  # ~1.1 km
    tt = straight_line_travel([a, b], detour=1.0, urban_kmh=30, urban_km=5)
    assert tt.between("a", "b") == pytest.approx(60 * haversine_km(51.0, -1.0, 51.01, -1.0) / 30)


def test_to_json_is_the_contract() -> None:
    tt = straight_line_travel([WIN, SOU])
    doc = json.loads(json.dumps(tt.to_json()))
    assert doc["unit"] == "minutes"
    assert [p["id"] for p in doc["places"]] == [WIN.id, SOU.id]
    assert set(doc["places"][0]) == {"id", "lat", "lon"}
    assert len(doc["minutes"]) == 2 and len(doc["minutes"][0]) == 2


def test_bad_parameters_are_input_errors() -> None:
    with pytest.raises(InputError, match="detour"):
        straight_line_travel([WIN, SOU], detour=0)


def _graph_file(tmp_path: Path) -> Path:
    """A tiny road network where the straight line to B crosses a slow lane.

    Nodes: A (start), B (goal), a slow direct lane A-B (2 km/h crawl) and a fast ring
    road A-R-B. Straight-line says A-B is short; the road graph must take the ring.
    """
    g = nx.Graph()
    g.add_node("A", y=51.000, x=-1.000)
    g.add_node("B", y=51.000, x=-0.990)
    g.add_node("R", y=51.010, x=-0.995)
    g.add_edge("A", "B", length=700.0, speed_kph=2.0)  # 21 minutes
    g.add_edge("A", "R", travel_time=120.0)  # seconds
    g.add_edge("R", "B", minutes=3.0)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    return path


def test_road_graph_takes_the_fast_ring_not_the_straight_lane(tmp_path: Path) -> None:
    path = _graph_file(tmp_path)
    a, b = Place("a", 51.0001, -1.0001), Place("b", 51.0001, -0.9901)
    tt = road_graph_travel([a, b], path)
    assert tt.between("a", "b") == pytest.approx(5.0)  # 2 min + 3 min via R
    assert tt.between("a", "b") < 60 * 0.7 / 2.0


def test_road_graph_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a file"):
        road_graph_travel([WIN], tmp_path / "nope.graphml")


def test_osm_xml_extract_is_read(tmp_path: Path) -> None:
    osm = tmp_path / "tiny.osm"
    osm.write_text(
        """<osm version="0.6">
        <node id="1" lat="51.0" lon="-1.0"/><node id="2" lat="51.0" lon="-0.99"/>
        <way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>
        <tag k="maxspeed" v="30 mph"/></way></osm>"""
    )
    tt = road_graph_travel([Place("a", 51.0, -1.0), Place("b", 51.0, -0.99)], osm)
    km = haversine_km(51.0, -1.0, 51.0, -0.99)
    assert tt.between("a", "b") == pytest.approx(60 * km / (30 * 1.609344))


def test_straight_line_nearest_venue_is_not_the_fastest_by_road(tmp_path: Path) -> None:
    """A river between base and the nearest venue: the road graph sends the team elsewhere."""
    g = nx.Graph()
    g.add_node("base", y=51.000, x=-1.000)
    g.add_node("near", y=51.000, x=-0.990)  # 0.7 km east, across the river
    g.add_node("far", y=51.000, x=-1.030)  # 2.1 km west, on the ring road
    g.add_node("bridge", y=51.040, x=-0.995)
    g.add_edge("base", "bridge", minutes=9.0)
    g.add_edge("bridge", "near", minutes=9.0)
    g.add_edge("base", "far", minutes=3.0)
    path = tmp_path / "river.graphml"
    nx.write_graphml(g, path)
    base, near, far = (
        Place("base", 51.0, -1.0),
        Place("near", 51.0, -0.99),
        Place("far", 51.0, -1.03),
    )
    straight = straight_line_travel([base, near, far])
    road = road_graph_travel([base, near, far], path)
    assert straight.between("base", "near") < straight.between("base", "far")
    assert road.between("base", "near") > road.between("base", "far")
    assert road.between("base", "near") == pytest.approx(18.0)


def test_a_generated_island_is_reached_by_its_own_ferry() -> None:
    from crowdguard.scenario.generate import generate_scenario

    county = generate_scenario(venues=9, bases=3, teams=3, shifts="two-shift", island=True)
    (ferry,) = county.crossings or []
    tt = scenario_travel(county)
    on_island = next(v.id for v in county.venues if v.island)
    mainland = next(v.id for v in county.venues if not v.island)
    assert tt.crossing(mainland, on_island) == ferry
    assert tt.between(mainland, on_island) > ferry.crossing_minutes + ferry.wait_minutes
    assert generate_scenario(venues=9, bases=3, teams=3, shifts="two-shift").crossings is None


# --- routes drawn along the model (issue 14: "routes drawn along the travel model") ---------


def test_a_leg_to_the_island_is_drawn_through_the_ferry_it_takes_on_the_right_side() -> None:
    tt = straight_line_travel([WIN, NEW])
    ferry = tt.crossing("winchester-market", "newport-st-james")
    assert ferry is not None
    out = tt.leg("winchester-market", "newport-st-james")
    back = tt.leg("newport-st-james", "winchester-market")
    mainland, island = (
        (ferry.mainland.lat, ferry.mainland.lon),
        (ferry.island.lat, ferry.island.lon),
    )
    assert out == [(WIN.lat, WIN.lon), mainland, island, (NEW.lat, NEW.lon)]
    assert back == [(NEW.lat, NEW.lon), island, mainland, (WIN.lat, WIN.lon)]
    # A round trip base -> venue -> base: out and back through the terminals, nothing else.
    assert tt.route(["newport-st-james", "winchester-market", "newport-st-james"]) == [
        *back,
        *out[1:],
    ]
    # On one side of the water a leg is the straight leg of the model.
    assert straight_line_travel([WIN, SOU]).leg("winchester-market", "southampton-westquay") == [
        (WIN.lat, WIN.lon),
        (SOU.lat, SOU.lon),
    ]


def test_a_foot_team_is_drawn_on_the_foot_ferry_it_may_take() -> None:
    """The demo's foot teams may take the Ryde hovercraft and passenger ferries; the drawn
    route of a foot team is the crossing its travel time used, not the vehicle ferry's."""
    from crowdguard.patrols.travel import drawn_route

    demo = demo_scenario()
    tt = scenario_travel(demo)
    stops = ["portsmouth-eastern-pic", "ryde-union-street", "portsmouth-eastern-pic"]
    foot = tt.crossing(stops[0], stops[1], on_foot=True)
    car = tt.crossing(stops[0], stops[1])
    assert foot is not None and car is not None and foot != car  # the test means something
    drawn_foot = drawn_route(demo, tt, "alpha-2", stops)  # alpha-2 is a foot team
    drawn_car = drawn_route(demo, tt, "bravo-2", stops)  # bravo-2 an armed response vehicle
    assert (foot.island.lat, foot.island.lon) in drawn_foot
    assert (car.island.lat, car.island.lon) in drawn_car
    assert (foot.island.lat, foot.island.lon) not in drawn_car


def test_a_road_graph_route_follows_the_roads_and_its_paths_stay_out_of_pickles(
    tmp_path: Path,
) -> None:
    import pickle

    path = _graph_file(tmp_path)
    a, b = Place("a", 51.0001, -1.0001), Place("b", 51.0001, -0.9901)
    tt = road_graph_travel([a, b], path)
    ring = (51.010, -0.995)  # the fast ring road's node, not the straight lane
    assert tt.leg("a", "b") == [(a.lat, a.lon), ring, (b.lat, b.lon)]
    copied = pickle.loads(pickle.dumps(tt))  # what the solver's workers receive
    assert copied.paths is None and np.array_equal(copied.minutes, tt.minutes)
