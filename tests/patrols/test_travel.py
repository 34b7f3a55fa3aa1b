"""Travel model: the straight-line default and a road graph loaded from GraphML."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from crowdguard.errors import InputError
from crowdguard.patrols.travel import (
    Place,
    haversine_km,
    road_graph_travel,
    straight_line_travel,
)

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


def test_crossing_the_solent_adds_the_ferry_penalty() -> None:
    with_ferry = straight_line_travel([SOU, NEW], ferry=50)
    no_ferry = straight_line_travel([SOU, NEW], ferry=0)
    assert with_ferry.between(SOU.id, NEW.id) - no_ferry.between(SOU.id, NEW.id) == pytest.approx(
        50
    )
    # Same-side pairs pay nothing extra.
    both = straight_line_travel([NEW, RYD], ferry=50)
    assert both.between(NEW.id, RYD.id) == pytest.approx(
        straight_line_travel([NEW, RYD], ferry=0).between(NEW.id, RYD.id)
    )


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
