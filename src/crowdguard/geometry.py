"""Distances and map projections on the Earth: the one place they are written.

Everything in CrowdGuard that measures or draws places uses these functions: duplicate
reports (50 m), the straight-line travel model, the dispatch recommender, the plan report's
figures and the web pages' maps. Before this module there were three copies of the
haversine formula (in kilometres, in metres, vectorised) and three of the local projection,
each with its own Earth radius.

* **Distance** is the great-circle distance on a sphere of the mean Earth radius
  :data:`EARTH_RADIUS_M` (6,371,008.8 m, the IUGG mean radius R1; Moritz, "Geodetic
  Reference System 1980", *Bulletin Géodésique* 54, 1980), by the haversine formula
  (Sinnott, "Virtues of the haversine", *Sky and Telescope* 68(2), 1984), which stays
  accurate for the few metres between two reports of one incident. On the WGS 84 ellipsoid
  the spherical figure is within 0.3% (Hampshire is about 0.1% off), well inside the
  other errors of a straight-line travel model.
* **Projection** to local metres is the equirectangular projection about a reference
  latitude (Snyder, *Map Projections: A Working Manual*, USGS Professional Paper 1395,
  1987, p. 90): ``x = R * lon * cos(lat0)``, ``y = R * lat``, both in radians. Over a
  county (100 km) it distorts distances by well under 1%, enough for drawing a map,
  clustering labels and bounding a search. Web maps (Leaflet) use Web Mercator in the
  browser; nothing on the server needs it.

Pure functions over floats and NumPy arrays; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_KM",
    "EARTH_RADIUS_M",
    "METRES_PER_DEGREE",
    "Bounds",
    "LocalProjection",
    "bounding_box",
    "great_circle_km",
    "great_circle_m",
    "haversine_m",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius in metres (IUGG R1)."""
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0
"""The same radius in kilometres."""
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180.0
"""Metres along a meridian per degree of latitude (and along the equator per degree of
longitude) on the sphere: about 111.2 km."""

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lat1: float | FloatArray,
    lon1: float | FloatArray,
    lat2: float | FloatArray,
    lon2: float | FloatArray,
) -> FloatArray:
    """Great-circle distance in metres between points given in degrees (vectorised:
    arrays broadcast like NumPy's arithmetic)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`haversine_m` for one pair of points, without NumPy's per-call overhead."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`great_circle_m` in kilometres."""
    return great_circle_m(lat1, lon1, lat2, lon2) / 1000.0


@dataclass(frozen=True, slots=True)
class Bounds:
    """A latitude/longitude box in degrees (south, west, north, east)."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies in the box (edges included)."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def padded(self, fraction: float, at_least_m: float = 0.0) -> Bounds:
        """The box grown on every side by ``fraction`` of its larger side, and by at least
        ``at_least_m`` metres."""
        lat_mid = (self.south + self.north) / 2
        cos_lat = max(math.cos(math.radians(lat_mid)), 0.01)
        span_m = max(
            (self.north - self.south) * METRES_PER_DEGREE,
            (self.east - self.west) * METRES_PER_DEGREE * cos_lat,
        )
        pad_m = max(at_least_m, fraction * span_m)
        dlat = pad_m / METRES_PER_DEGREE
        dlon = pad_m / (METRES_PER_DEGREE * cos_lat)
        return Bounds(
            max(-90.0, self.south - dlat),
            max(-180.0, self.west - dlon),
            min(90.0, self.north + dlat),
            min(180.0, self.east + dlon),
        )

    @classmethod
    def around(cls, points: Sequence[tuple[float, float]]) -> Bounds:
        """The smallest box holding ``points`` (lat, lon); ``ValueError`` when empty."""
        if not points:
            raise ValueError("points: expected at least one (lat, lon) point")
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        return cls(min(lats), min(lons), max(lats), max(lons))


def bounding_box(lat: float, lon: float, radius_m: float) -> Bounds:
    """A box holding the whole circle of ``radius_m`` around ``(lat, lon)`` (1% slack),
    for a database search before an exact distance check. Near a pole (where every
    longitude is close) or across the antimeridian the box spans all longitudes."""
    margin = 1.01 * radius_m / METRES_PER_DEGREE  # degrees of latitude
    box = Bounds(lat - margin, -180.0, lat + margin, 180.0)
    cos_lat = math.cos(math.radians(lat))
    if cos_lat > 0.01:
        spread = margin / cos_lat
        if lon - spread >= -180.0 and lon + spread <= 180.0:
            box = Bounds(box.south, lon - spread, box.north, lon + spread)
    return box


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """The equirectangular projection about ``lat0`` (degrees): metres east and north.

    ``x`` grows east and ``y`` north from the point (0, 0) of latitude and longitude; only
    differences matter. :meth:`inverse` undoes :meth:`xy`.
    """

    lat0: float

    @classmethod
    def about(cls, lats: Sequence[float] | FloatArray) -> LocalProjection:
        """The projection about the mean of ``lats`` (a place's own latitude if one)."""
        values = np.asarray(lats, dtype=float)
        if values.size == 0:
            raise ValueError("lats: expected at least one latitude")
        return cls(float(values.mean()))

    @property
    def metres_per_degree_lon(self) -> float:
        """Metres per degree of longitude at ``lat0``."""
        return METRES_PER_DEGREE * math.cos(math.radians(self.lat0))

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """One point in metres (east, north)."""
        return lon * self.metres_per_degree_lon, lat * METRES_PER_DEGREE

    def xy_array(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """Many points: an ``(n, 2)`` array of metres (east, north)."""
        return np.column_stack(
            [np.asarray(lon, dtype=float) * self.metres_per_degree_lon,
             np.asarray(lat, dtype=float) * METRES_PER_DEGREE]
        )  # fmt: skip

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a point given in metres."""
        return y / METRES_PER_DEGREE, x / self.metres_per_degree_lon

    @property
    def aspect(self) -> float:
        """The y/x scale of a plot in degrees that shows distances true (matplotlib's
        ``set_aspect``)."""
        return 1.0 / math.cos(math.radians(self.lat0))
