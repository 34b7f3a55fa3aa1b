"""An offline base map: Natural Earth's land, cut to the area a map shows.

The land comes from Natural Earth (public domain; version 4.1.0) as redistributed in
TopoJSON by the npm package ``world-atlas`` 2.0.2 (ISC licence), vendored into
``basemap/vendor/world-atlas`` by ``scripts/vendor-web``: ``land-10m.json`` at 1:10 million
(coastline points about 200 m apart: the Solent and the Isle of Wight are drawn, at county
zoom) and ``land-110m.json`` for a world at a glance.

* **Decoding** follows the TopoJSON specification, version 1.0
  (https://github.com/topojson/topojson-specification), section 2.1.1 (a quantized topology:
  each arc's positions are delta-encoded integers, scaled and translated by the topology's
  ``transform``) and 2.2.6 (a polygon's rings are lists of arc indexes; a negative index
  ``~i`` means arc ``i`` reversed; consecutive arcs share their end point).
* **Cutting** keeps only the rings whose box meets the area, and clips those that cross its
  edge with the Sutherland-Hodgman algorithm (Sutherland & Hodgman, "Reentrant polygon
  clipping", *Communications of the ACM* 17(1), 1974), which is exact for a convex clip
  window such as a latitude/longitude box. A clipped ring may run along the box's edge; the
  pages fill land without an outline, so that edge never shows.

A force with its own tile server sets ``CROWDGUARD_TILE_URL`` and the pages draw its tiles
instead (:class:`crowdguard.store.settings.Settings`). Pure: reads only the package's data.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import numpy.typing as npt

from crowdguard.geometry import Bounds

__all__ = [
    "ATTRIBUTION",
    "MAX_SPAN_DEGREES",
    "Detail",
    "land_geojson",
    "land_rings",
    "warm",
    "world_bounds",
]

Detail = Literal["10m", "110m"]
ATTRIBUTION = "Land: Natural Earth (public domain), via world-atlas"
MAX_SPAN_DEGREES = 30.0
"""The largest box (degrees of latitude or longitude) cut from the 1:10m land."""

Ring = npt.NDArray[np.float64]  # (n, 2) of (lon, lat)


@lru_cache(maxsize=2)
def _topology(detail: Detail) -> tuple[list[Ring], list[list[list[int]]], Ring]:
    """The decoded arcs (lon, lat), the land's polygons as rings of arc indexes, and each
    arc's box (west, south, east, north)."""
    source = (
        resources.files("crowdguard.basemap") / "vendor" / "world-atlas" / f"land-{detail}.json"
    )
    data = json.loads(source.read_text(encoding="utf-8"))
    scale = np.array(data["transform"]["scale"], dtype=float)
    translate = np.array(data["transform"]["translate"], dtype=float)
    arcs = [
        np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in data["arcs"]
    ]
    polygons: list[list[list[int]]] = []
    for geometry in data["objects"]["land"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons.append(geometry["arcs"])
        elif geometry["type"] == "MultiPolygon":
            polygons.extend(geometry["arcs"])
    boxes = np.array([[*arc.min(axis=0), *arc.max(axis=0)] for arc in arcs])
    return arcs, polygons, boxes


def warm() -> None:
    """Decode the 1:10m land now (about a second), not on the first map's request."""
    _topology("10m")


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    """A ring's positions from its arcs (``~i`` reversed), dropping each arc's first
    point after the first arc (it repeats the previous arc's last)."""
    parts = []
    for k, index in enumerate(indexes):
        arc = arcs[~index][::-1] if index < 0 else arcs[index]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def _clip_edge(ring: Ring, axis: int, value: float, keep_above: bool) -> Ring:
    """One Sutherland-Hodgman pass: the part of ``ring`` on one side of a line
    ``x[axis] == value``, vectorised over the ring's edges (p -> q)."""
    if len(ring) == 0:
        return ring
    p = ring
    q = np.roll(ring, -1, axis=0)
    p_in = p[:, axis] >= value if keep_above else p[:, axis] <= value
    q_in = np.roll(p_in, -1)
    delta = q[:, axis] - p[:, axis]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(delta != 0, (value - p[:, axis]) / delta, 0.0)
    crossing = p + t[:, None] * (q - p)
    crossing[:, axis] = value
    first = np.where((p_in != q_in)[:, None], crossing, q)
    first_kept = (p_in != q_in) | (p_in & q_in)
    second_kept = ~p_in & q_in
    points = np.stack([first, q], axis=1).reshape(-1, 2)
    kept = np.stack([first_kept, second_kept], axis=1).reshape(-1)
    out: Ring = points[kept]
    return out


def _clip(ring: Ring, box: Bounds) -> Ring:
    """``ring`` clipped to ``box`` (empty when they do not meet)."""
    for axis, value, keep_above in (
        (0, box.west, True),
        (0, box.east, False),
        (1, box.south, True),
        (1, box.north, False),
    ):
        ring = _clip_edge(ring, axis, value, keep_above)
    return ring


def land_rings(box: Bounds, detail: Detail = "10m") -> list[list[Ring]]:
    """Land polygons inside ``box``: each a list of rings (outer first, then holes) of
    (lon, lat) positions, clipped to the box. ``ValueError`` when the box is wider or
    taller than :data:`MAX_SPAN_DEGREES` at 1:10m."""
    if detail == "10m" and (
        box.north - box.south > MAX_SPAN_DEGREES or box.east - box.west > MAX_SPAN_DEGREES
    ):
        raise ValueError(
            f"bbox: at most {MAX_SPAN_DEGREES:g} degrees on a side at 1:10m; ask for detail 110m"
        )
    arcs, polygons, boxes = _topology(detail)
    found: list[list[Ring]] = []
    for polygon in polygons:
        rings = []
        for k, indexes in enumerate(polygon):
            arc_boxes = boxes[[~i if i < 0 else i for i in indexes]]
            lo, hi = arc_boxes[:, :2].min(axis=0), arc_boxes[:, 2:].max(axis=0)
            if hi[0] < box.west or lo[0] > box.east or hi[1] < box.south or lo[1] > box.north:
                if k == 0:
                    break  # the outer ring misses the box: so do its holes
                continue
            ring = _ring(arcs, indexes)
            inside = lo[0] >= box.west and hi[0] <= box.east
            inside = inside and lo[1] >= box.south and hi[1] <= box.north
            clipped = ring if inside else _clip(ring, box)
            if len(clipped) >= 3:
                rings.append(clipped)
            elif k == 0:
                break
        if rings:
            found.append(rings)
    return found


@lru_cache(maxsize=32)
def _cached_geojson(box: Bounds, detail: Detail) -> str:
    features = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[round(float(x), 5), round(float(y), 5)] for x, y in ring] for ring in rings
                ],
            },
        }
        for rings in land_rings(box, detail)
    ]
    return json.dumps(
        {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features},
        separators=(",", ":"),
    )


def land_geojson(box: Bounds, detail: Detail = "10m") -> str:
    """:func:`land_rings` as a GeoJSON FeatureCollection (RFC 7946: positions are
    longitude, latitude), as text; remembered for the last boxes asked for."""
    return _cached_geojson(box, detail)


def world_bounds() -> Bounds:
    """The whole world (for ``detail="110m"``)."""
    return Bounds(-90.0, -180.0, 90.0, 180.0)
