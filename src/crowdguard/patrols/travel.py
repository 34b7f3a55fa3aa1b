"""Travel times between crowded places and staging bases, in minutes.

Two models share one result type, :class:`TravelTimes`:

* :func:`straight_line_travel` (the default and the test double): great-circle distance
  (haversine) times a road-detour factor, driven at an urban speed for the first few
  kilometres and a rural speed beyond, plus a crossing penalty when one end is on the Isle
  of Wight and the other is not. The figures are **[ESTIMATE]**: the detour factor 1.3 is
  a typical road-network circuity factor (the ratio of road to straight-line distance
  studied by Ballou, Rahardja and Sakai, *Transportation Research A* 36, 2002), the speeds are non-emergency driving
  speeds, and the crossing penalty of 50 minutes sits inside the 45-60 minute cross-Solent
  reinforcement estimate of ``domain.md`` section 6.
* :func:`road_graph_travel`: shortest paths on a local road graph (GraphML, e.g. saved by
  OSMnx, or an OpenStreetMap XML extract) loaded with NetworkX; each place snaps to its
  nearest graph node.

``TravelTimes.to_json()`` is the ``travel_times.json`` contract of ``design.md``.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from crowdguard.errors import InputError
from crowdguard.geometry import great_circle_km as haversine_km

__all__ = [
    "CROSSING_MINUTES",
    "DETOUR",
    "RURAL_KMH",
    "URBAN_KM",
    "URBAN_KMH",
    "Place",
    "TravelTimes",
    "haversine_km",
    "places_of",
    "road_graph_travel",
    "straight_line_travel",
]

DETOUR = 1.3
URBAN_KMH = 25.0
RURAL_KMH = 55.0
URBAN_KM = 5.0
CROSSING_MINUTES = 50.0


@dataclass(frozen=True)
class Place:
    """A point a team can be at: a venue or a staging base."""

    id: str
    lat: float
    lon: float
    island: bool = False


@dataclass(frozen=True)
class TravelTimes:
    """Minutes to drive from ``ids[i]`` to ``ids[j]`` (``minutes[i, j]``, zero diagonal)."""

    ids: tuple[str, ...]
    lat: tuple[float, ...]
    lon: tuple[float, ...]
    minutes: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.minutes.shape != (n, n):
            raise InputError(
                f"travel times: minutes matrix is {self.minutes.shape}, expected ({n}, {n})"
            )
        if len(set(self.ids)) != n:
            raise InputError("travel times: place ids must be unique")

    def index(self, place_id: str) -> int:
        """Row/column of a place; :class:`InputError` naming the known ids otherwise."""
        try:
            return self.ids.index(place_id)
        except ValueError:
            raise InputError(
                f"travel times: no place {place_id!r}; known: {', '.join(self.ids)}"
            ) from None

    def between(self, origin: str, destination: str) -> float:
        """Minutes from ``origin`` to ``destination``."""
        return float(self.minutes[self.index(origin), self.index(destination)])

    def to_json(self) -> dict[str, Any]:
        """The ``travel_times.json`` contract: unit, places in order, the minutes matrix."""
        return {
            "unit": "minutes",
            "places": [
                {"id": i, "lat": la, "lon": lo}
                for i, la, lo in zip(self.ids, self.lat, self.lon, strict=True)
            ],
            "minutes": [[round(float(m), 3) for m in row] for row in self.minutes],
        }


def places_of(scenario: Any) -> list[Place]:
    """Venues then staging bases of a scenario, in that order (the contract's order)."""
    venues = [Place(v.id, v.lat, v.lon, v.island) for v in scenario.venues]
    bases = [Place(b.id, b.lat, b.lon, b.island) for b in scenario.bases]
    return venues + bases


def straight_line_travel(
    places: Sequence[Place],
    *,
    detour: float = DETOUR,
    urban_kmh: float = URBAN_KMH,
    rural_kmh: float = RURAL_KMH,
    urban_km: float = URBAN_KM,
    ferry: float = CROSSING_MINUTES,
) -> TravelTimes:
    """Straight-line travel model (module docstring gives the assumptions).

    Road distance = haversine x ``detour``; the first ``urban_km`` of road are driven at
    ``urban_kmh``, the rest at ``rural_kmh``; a pair with exactly one end on the island
    adds ``ferry`` minutes for the Solent crossing.
    """
    for name, value in (("detour", detour), ("urban_kmh", urban_kmh), ("rural_kmh", rural_kmh)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"straight_line_travel: {name}={value} must be a positive number")
    if not (math.isfinite(ferry) and ferry >= 0) or urban_km < 0:
        raise InputError("straight_line_travel: ferry and urban_km must be >= 0")
    n = len(places)
    minutes = np.zeros((n, n))
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            if i == j:
                continue
            road = haversine_km(a.lat, a.lon, b.lat, b.lon) * detour
            urban = min(road, urban_km)
            t = 60.0 * (urban / urban_kmh + (road - urban) / rural_kmh)
            if a.island != b.island:
                t += ferry
            minutes[i, j] = t
    return TravelTimes(
        ids=tuple(p.id for p in places),
        lat=tuple(p.lat for p in places),
        lon=tuple(p.lon for p in places),
        minutes=minutes,
    )


def _read_osm_xml(path: Path, default_kmh: float) -> nx.DiGraph:
    """A drivable directed graph from an OpenStreetMap XML extract (ways tagged ``highway``)."""
    root = ET.parse(path).getroot()
    coords = {
        n.get("id"): (float(n.get("lat", "nan")), float(n.get("lon", "nan")))
        for n in root.iter("node")
    }
    graph = nx.DiGraph()
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if "highway" not in tags:
            continue
        refs = [nd.get("ref") for nd in way.iter("nd") if nd.get("ref") in coords]
        speed = default_kmh
        maxspeed_text = tags.get("maxspeed") or ""
        maxspeed = maxspeed_text.split()
        if maxspeed and maxspeed[0].isdigit():
            speed = float(maxspeed[0]) * (1.609344 if "mph" in maxspeed_text else 1)
        oneway = tags.get("oneway") in {"yes", "true", "1"}
        for u, v in itertools.pairwise(refs):
            (la1, lo1), (la2, lo2) = coords[u], coords[v]
            minutes = 60.0 * haversine_km(la1, lo1, la2, lo2) / speed
            graph.add_edge(u, v, minutes=minutes)
            if not oneway:
                graph.add_edge(v, u, minutes=minutes)
    for node in graph.nodes:
        graph.nodes[node]["lat"], graph.nodes[node]["lon"] = coords[node]
    return graph


def _node_latlon(data: dict[str, Any]) -> tuple[float, float]:
    lat = data.get("lat", data.get("y"))
    lon = data.get("lon", data.get("x"))
    if lat is None or lon is None:
        raise InputError(
            "road graph: every node needs lat/lon (or y/x, as OSMnx writes) attributes"
        )
    return float(lat), float(lon)


def _edge_minutes(data: dict[str, Any], default_kmh: float) -> float:
    if "minutes" in data:
        return float(data["minutes"])
    if "travel_time" in data:  # seconds, the OSMnx convention
        return float(data["travel_time"]) / 60.0
    if "length" in data:  # metres
        speed = float(data.get("speed_kph", default_kmh))
        return 60.0 * float(data["length"]) / 1000.0 / speed
    raise InputError(
        "road graph: every edge needs 'minutes', 'travel_time' (seconds) or 'length' (metres)"
    )


def _read_graphml(path: Path, default_kmh: float) -> nx.DiGraph:
    """A directed graph from GraphML; parallel edges (OSMnx writes a multigraph) keep the
    quickest, and an undirected file is driveable both ways."""
    raw = nx.read_graphml(path)
    graph = nx.DiGraph()
    graph.add_nodes_from(raw.nodes(data=True))
    pairs = raw.edges(data=True)
    if not raw.is_directed():
        pairs = [*pairs, *((v, u, d) for u, v, d in raw.edges(data=True))]
    for u, v, data in pairs:
        minutes = _edge_minutes(data, default_kmh)
        if not graph.has_edge(u, v) or minutes < graph.edges[u, v]["_minutes"]:
            graph.add_edge(u, v, _minutes=minutes)
    return graph


def road_graph_travel(
    places: Iterable[Place],
    path: str | Path,
    *,
    default_kmh: float = 40.0,
    max_snap_km: float = 2.0,
) -> TravelTimes:
    """Shortest-path travel times on a local road graph (GraphML or OSM XML).

    Each place snaps to the graph node nearest to it by great-circle distance; a place more
    than ``max_snap_km`` from every node is :class:`InputError` (the map does not cover it).
    Edge weights are ``minutes``, else ``travel_time`` seconds, else ``length`` metres at
    ``speed_kph`` (``default_kmh`` if absent). Dijkstra's algorithm (NetworkX) gives the
    times. A pair with no path is :class:`InputError` naming both places.
    """
    path = Path(path)
    places = list(places)
    if not path.is_file():
        raise InputError(
            f"road graph: {path} is not a file; give a GraphML file or an OSM XML extract"
        )
    try:
        if path.suffix.lower() in {".osm", ".xml"}:
            graph: nx.DiGraph = _read_osm_xml(path, default_kmh)
            for u, v, data in graph.edges(data=True):
                graph.edges[u, v]["_minutes"] = _edge_minutes(data, default_kmh)
        else:
            graph = _read_graphml(path, default_kmh)
    except (ET.ParseError, ValueError, KeyError, nx.NetworkXError) as exc:
        kind = "OSM XML" if path.suffix.lower() in {".osm", ".xml"} else "GraphML"
        raise InputError(f"road graph: cannot read {path} as {kind}: {exc}") from None
    if graph.number_of_nodes() == 0:
        raise InputError(f"road graph: {path} has no road nodes")
    nodes = list(graph.nodes)
    node_ll = np.array([_node_latlon(graph.nodes[n]) for n in nodes])
    snapped = []
    for place in places:
        dist = [haversine_km(place.lat, place.lon, la, lo) for la, lo in node_ll]
        nearest = int(np.argmin(dist))
        if dist[nearest] > max_snap_km:
            raise InputError(
                f"road graph: {place.id!r} is {dist[nearest]:.1f} km from the nearest road in "
                f"{path.name}; the map does not cover it: use an extract that includes it"
            )
        snapped.append(nodes[nearest])
    n = len(places)
    minutes = np.zeros((n, n))
    for i, origin in enumerate(snapped):
        lengths = nx.single_source_dijkstra_path_length(graph, origin, weight="_minutes")
        for j, dest in enumerate(snapped):
            if i == j:
                continue
            if dest not in lengths:
                ferry = (
                    " (for the Isle of Wight, add the ferry crossing as an edge with 'minutes')"
                    if places[i].island != places[j].island
                    else ""
                )
                raise InputError(
                    f"road graph: no road from {places[i].id!r} to {places[j].id!r} in "
                    f"{path.name}; connect them in the map{ferry}"
                )
            minutes[i, j] = lengths[dest]
    return TravelTimes(
        ids=tuple(p.id for p in places),
        lat=tuple(p.lat for p in places),
        lon=tuple(p.lon for p in places),
        minutes=minutes,
    )
