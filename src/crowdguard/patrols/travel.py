"""Travel times between crowded places and staging bases, in minutes.

Two models share one result type, :class:`TravelTimes`:

* :func:`straight_line_travel` (the default and the test double): great-circle distance
  (haversine) times a road-detour factor, driven at an urban speed for the first few
  kilometres and a rural speed beyond. The figures are **[ESTIMATE]**: the detour factor 1.3
  is a typical road-network circuity factor (the ratio of road to straight-line distance
  studied by Ballou, Rahardja and Sakai, *Transportation Research A* 36, 2002), the speeds
  are non-emergency driving speeds. A trip between the island and the mainland never goes
  in a straight line across the water: it goes by road to a ferry terminal, waits, crosses
  and goes on by road from the far terminal, by the quickest of the scenario's
  ``crossings`` the team may use (:class:`~crowdguard.scenario.schema.Crossing`; without
  any, the demo's Solent routes: Portsmouth-Ryde, Portsmouth-Fishbourne,
  Southampton-Cowes, Lymington-Yarmouth). A team that crosses with its vehicle takes
  vehicle ferries only; a foot team may also take foot-passenger craft (a kind's
  ``crosses``), and is taken to be met by transport on the far side [ESTIMATE]. The wait
  and the time on the water are the same for every team: a team's travel multiplier
  scales its road legs only (:meth:`TravelTimes.for_team`).
* :func:`road_graph_travel`: shortest paths on a local road graph (GraphML, e.g. saved by
  OSMnx, or an OpenStreetMap XML extract) loaded with NetworkX; each place snaps to its
  nearest graph node.

``TravelTimes.to_json()`` is the ``travel_times.json`` contract of ``design.md``.
"""

from __future__ import annotations

import functools
import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from crowdguard.errors import InputError
from crowdguard.geometry import great_circle_km as haversine_km
from crowdguard.scenario.schema import Crossing, Scenario

__all__ = [
    "DETOUR",
    "RURAL_KMH",
    "URBAN_KM",
    "URBAN_KMH",
    "Place",
    "TravelTimes",
    "default_crossings",
    "drawn_route",
    "haversine_km",
    "places_of",
    "road_graph_travel",
    "scenario_travel",
    "straight_line_travel",
]

DETOUR = 1.3
URBAN_KMH = 25.0
RURAL_KMH = 55.0
URBAN_KM = 5.0


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
    #: Of ``minutes[i, j]``, the minutes spent waiting for and on a ferry (not scaled by a
    #: team's travel multiplier); None: no crossings in the model (e.g. a road graph).
    ferry_minutes: np.ndarray | None = None
    #: The crossing each trip takes (index into ``crossings``; -1: none).
    via: np.ndarray | None = None
    crossings: tuple[Crossing, ...] = ()
    #: The same places for teams that may cross as foot passengers (``crosses: foot``);
    #: None: they travel as vehicles do.
    on_foot: TravelTimes | None = None
    #: Whether each place is on the island (the side a ferry trip boards on); empty: unknown.
    island: tuple[bool, ...] = ()
    #: The road graph's shortest paths as map points, ``paths[i][j]`` the points between
    #: ``ids[i]`` and ``ids[j]`` (both ends excluded); None: the model has no roads to draw.
    #: Kept out of pickles (:meth:`__getstate__`): the solver's workers need only minutes.
    paths: tuple[tuple[tuple[tuple[float, float], ...], ...], ...] | None = field(
        default=None, repr=False, compare=False
    )

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

    def for_team(self, multiplier: float = 1.0, *, on_foot: bool = False) -> np.ndarray:
        """A team's minutes between every pair: its road legs scaled by ``multiplier``, the
        ferry's wait and crossing not; ``on_foot`` for a kind that crosses on foot."""
        times = self.on_foot if on_foot and self.on_foot is not None else self
        if times.ferry_minutes is None:
            return np.asarray(times.minutes * multiplier)
        return np.asarray((times.minutes - times.ferry_minutes) * multiplier + times.ferry_minutes)

    def crossing(self, origin: str, destination: str, *, on_foot: bool = False) -> Crossing | None:
        """The ferry route a trip from ``origin`` to ``destination`` takes, if any."""
        times = self.on_foot if on_foot and self.on_foot is not None else self
        if times.via is None:
            return None
        k = int(times.via[times.index(origin), times.index(destination)])
        return times.crossings[k] if k >= 0 else None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["paths"] = None  # drawing only; a road graph's paths are megabytes
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def leg(
        self, origin: str, destination: str, *, on_foot: bool = False
    ) -> list[tuple[float, float]]:
        """The map points (lat, lon) a trip is drawn through, as the model travels it: the
        road graph's shortest path when the model has one; else the straight leg, and a trip
        between the island and the mainland through the terminals of the ferry it takes
        (road to the terminal, the crossing, road on), never straight across the water."""
        i, j = self.index(origin), self.index(destination)
        start, end = (self.lat[i], self.lon[i]), (self.lat[j], self.lon[j])
        if i == j:
            return [start]
        if self.paths is not None:
            return [start, *self.paths[i][j], end]
        ferry = self.crossing(origin, destination, on_foot=on_foot)
        if ferry is None:
            return [start, end]
        board, land = (ferry.island, ferry.mainland)
        if not (self.island and self.island[i]):
            board, land = land, board
        return [start, (board.lat, board.lon), (land.lat, land.lon), end]

    def route(self, stops: Sequence[str], *, on_foot: bool = False) -> list[tuple[float, float]]:
        """A route through ``stops`` in order (e.g. base, venues, base), drawn leg by leg
        (:meth:`leg`); a stop repeated in a row is drawn once."""
        points: list[tuple[float, float]] = []
        for k, stop in enumerate(stops):
            if k == 0:
                i = self.index(stop)
                points.append((self.lat[i], self.lon[i]))
            elif stop != stops[k - 1]:
                points += self.leg(stops[k - 1], stop, on_foot=on_foot)[1:]
        return points

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


@functools.cache
def default_crossings() -> tuple[Crossing, ...]:
    """The Solent ferry routes of the demo scenario, with their sources: the crossings of a
    scenario that names none."""
    from crowdguard.scenario.load import demo_scenario

    return tuple(demo_scenario().crossings or ())


def _road_minutes(
    lat1: float,
    lon1: float,
    lat2: float,
    lon2: float,
    detour: float,
    urban: float,
    rural: float,
    urban_km: float,
) -> float:
    road = haversine_km(lat1, lon1, lat2, lon2) * detour
    near = min(road, urban_km)
    return 60.0 * (near / urban + (road - near) / rural)


def straight_line_travel(
    places: Sequence[Place],
    *,
    detour: float = DETOUR,
    urban_kmh: float = URBAN_KMH,
    rural_kmh: float = RURAL_KMH,
    urban_km: float = URBAN_KM,
    crossings: Sequence[Crossing] | None = None,
) -> TravelTimes:
    """Straight-line travel model (module docstring gives the assumptions).

    Road distance = haversine x ``detour``; the first ``urban_km`` of road are driven at
    ``urban_kmh``, the rest at ``rural_kmh``. A pair with exactly one end on the island
    goes by the quickest of ``crossings`` (default :func:`default_crossings`): road to
    its terminal, ``wait_minutes + crossing_minutes``, road on. The result's ``minutes``
    are a vehicle's (vehicle ferries only); ``on_foot`` holds a foot passenger's.
    """
    for name, value in (("detour", detour), ("urban_kmh", urban_kmh), ("rural_kmh", rural_kmh)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"straight_line_travel: {name}={value} must be a positive number")
    if not math.isfinite(urban_km) or urban_km < 0:
        raise InputError("straight_line_travel: urban_km must be >= 0")
    routes = tuple(default_crossings() if crossings is None else crossings)

    def road(a: tuple[float, float], b: tuple[float, float]) -> float:
        return _road_minutes(a[0], a[1], b[0], b[1], detour, urban_kmh, rural_kmh, urban_km)

    where = [(p.lat, p.lon) for p in places]
    # Road minutes from every place to each crossing's terminal on its own side.
    to_port = np.array(
        [
            [road(w, (c.island.lat, c.island.lon) if p.island else (c.mainland.lat, c.mainland.lon))
             for c in routes]
            for p, w in zip(places, where, strict=True)
        ]
    ).reshape(len(places), len(routes))  # fmt: skip
    water = np.array([c.wait_minutes + c.crossing_minutes for c in routes])

    def matrices(allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(places)
        minutes, ferry = np.zeros((n, n)), np.zeros((n, n))
        via = np.full((n, n), -1, dtype=int)
        for i, a in enumerate(places):
            for j, b in enumerate(places):
                if i == j:
                    continue
                if a.island == b.island:
                    minutes[i, j] = road(where[i], where[j])
                    continue
                if not allowed.any():
                    side = "island" if a.island else "mainland"
                    raise InputError(
                        f"travel: no crossing from {a.id!r} ({side}) to {b.id!r} that the "
                        "team may take; add a route under crossings"
                    )
                total = np.where(allowed, to_port[i] + water + to_port[j], np.inf)
                k = int(np.argmin(total))
                minutes[i, j], ferry[i, j], via[i, j] = total[k], water[k], k
        return minutes, ferry, via

    ids = tuple(p.id for p in places)
    lat, lon = tuple(p.lat for p in places), tuple(p.lon for p in places)
    island = tuple(p.island for p in places)
    vehicles = np.array([c.vehicles for c in routes], dtype=bool)
    on_foot = None
    if not vehicles.all():
        m, f, v = matrices(np.ones(len(routes), dtype=bool))
        on_foot = TravelTimes(
            ids, lat, lon, m, ferry_minutes=f, via=v, crossings=routes, island=island
        )
    m, f, v = matrices(vehicles)
    return TravelTimes(
        ids, lat, lon, m, ferry_minutes=f, via=v, crossings=routes, on_foot=on_foot, island=island
    )


def drawn_route(
    scenario: Scenario, travel: TravelTimes, team: str, stops: Sequence[str]
) -> list[tuple[float, float]]:
    """``team``'s route through ``stops`` on the map, as :meth:`TravelTimes.route` draws it
    for the team's kind (a kind that ``crosses: foot`` may take foot-passenger ferries)."""
    kinds = scenario.patrol.kinds()
    callsigns = {t.callsign: t for t in scenario.teams}
    kind = kinds.get(callsigns[team].kind) if team in callsigns else None
    return travel.route(stops, on_foot=kind is not None and kind.crosses == "foot")


def scenario_travel(scenario: Scenario) -> TravelTimes:
    """The straight-line model over a scenario's places and its own ``crossings``."""
    return straight_line_travel(places_of(scenario), crossings=scenario.crossings)


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
    where = dict(zip(nodes, (tuple(map(float, p)) for p in node_ll), strict=True))
    paths: list[tuple[tuple[tuple[float, float], ...], ...]] = []
    for i, origin in enumerate(snapped):
        lengths, routes = nx.single_source_dijkstra(graph, origin, weight="_minutes")
        paths.append(
            tuple(
                tuple(_thin([where[node] for node in routes.get(dest, [])], MAX_PATH_POINTS))
                for dest in snapped
            )
        )
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
        island=tuple(p.island for p in places),
        paths=tuple(paths),
    )


MAX_PATH_POINTS = 200
"""Most map points a road-graph leg is drawn with (a county's leg has hundreds of nodes)."""


def _thin(points: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    """The path's inner points (its ends are the places themselves), at most ``most`` of
    them, evenly spaced along the list."""
    inner = points[1:-1]
    if len(inner) <= most:
        return inner
    step = len(inner) / most
    return [inner[int(k * step)] for k in range(most)]
