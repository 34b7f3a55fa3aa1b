"""Suggest possible duplicate reports: same category, within 50 m and 30 minutes.

Peer systems' users ask for duplicate suggestions within about 50 m (FixMyStreet issue
#1677, ``domain.md`` section 9). Two reports are *possible duplicates* when they share a
category, their points are at most ``radius_m`` apart on the sphere (great-circle
distance, :mod:`crowdguard.geometry`) and they were observed at most ``window``
apart. Suggestions only: an operator confirms or rejects each one.

Method (fast for 10,000 reports):

1. Project every point to local metres (equirectangular about the mean latitude) and scale
   time so that ``window`` maps to ``radius_m``: each report is a point in 3-D.
2. A pair meeting both limits is within ``radius_m * sqrt(2)`` in that space, so a k-d tree
   (:class:`scipy.spatial.KDTree`, ``query_pairs``) returns a small superset of candidates.
3. Each candidate is checked exactly: same category, haversine distance, time difference.

At intake one new report is compared with the stored ones (:func:`nearest_duplicates`): the
store hands over the reports nearest in time around it, and only the ``k`` nearest in time
that meet both limits are suggested. The bound keeps a surge of reports about one incident
from costing each new report work (and suggestions) in proportion to all earlier ones; the
``k``-nearest links still chain every report of the surge to the others.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import KDTree

from crowdguard.geometry import LocalProjection, great_circle_m, haversine_m
from crowdguard.reports.models import ReportControl

__all__ = [
    "DuplicateCandidate",
    "DuplicatePair",
    "candidate_from_report",
    "nearest_duplicates",
    "suggest_duplicates",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """The parts of a report the duplicate check needs (its id, category, point, time)."""

    id: str
    category: str
    lat: float
    lon: float
    observed_at: dt.datetime


def candidate_from_report(
    report: ReportControl, venues: Mapping[str, tuple[float, float]] | None = None
) -> DuplicateCandidate | None:
    """The duplicate-check view of a stored report, or None without a point.

    The point is the report's map point, else its venue's point from ``venues``
    (id -> ``(lat, lon)``); a report located only by text cannot be compared.
    """
    point = report.location.point
    if point is None and report.location.venue_id is not None and venues:
        point = venues.get(report.location.venue_id)
    if point is None:
        return None
    return DuplicateCandidate(
        report.reference, report.category.value, point[0], point[1], report.observed_at
    )


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two reports that may describe the same thing; ``first`` was observed no later."""

    first: str
    second: str
    distance_m: float
    minutes_apart: float


def suggest_duplicates(
    reports: Sequence[DuplicateCandidate],
    *,
    radius_m: float = 50.0,
    window: dt.timedelta = dt.timedelta(minutes=30),
) -> list[DuplicatePair]:
    """Every pair of reports with the same category within ``radius_m`` and ``window``.

    Pairs come sorted by the first report's time, then the second's. Limits are inclusive.
    Times must be timezone-aware (they are compared as instants).
    """
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number of metres, got {radius_m}")
    if window <= dt.timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    n = len(reports)
    if n < 2:
        return []
    lat = np.fromiter((r.lat for r in reports), dtype=np.float64, count=n)
    lon = np.fromiter((r.lon for r in reports), dtype=np.float64, count=n)
    t0 = min(r.observed_at for r in reports)
    seconds = np.fromiter(
        ((r.observed_at - t0).total_seconds() for r in reports), dtype=np.float64, count=n
    )
    _, codes = np.unique(np.array([r.category for r in reports]), return_inverse=True)

    # Step 1: local metres and scaled time.
    xy = LocalProjection.about(lat).xy_array(lat, lon)
    x, y = xy[:, 0], xy[:, 1]
    z = seconds * (radius_m / window.total_seconds())
    # Keep categories apart: an offset far beyond the search radius.
    w = codes.astype(np.float64) * radius_m * 1000.0
    points = np.column_stack([x, y, z, w])

    # Step 2: candidate pairs (2% slack covers the projection error over a county).
    pairs = KDTree(points).query_pairs(r=radius_m * math.sqrt(2) * 1.02, output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = pairs[:, 0], pairs[:, 1]

    # Step 3: exact check.
    same = codes[i] == codes[j]
    gap = np.abs(seconds[i] - seconds[j])
    dist = haversine_m(lat[i], lon[i], lat[j], lon[j])
    keep = same & (gap <= window.total_seconds()) & (dist <= radius_m)
    i, j, dist, gap = i[keep], j[keep], dist[keep], gap[keep]
    swap = (seconds[j] < seconds[i]) | ((seconds[j] == seconds[i]) & (j < i))
    first = np.where(swap, j, i)
    second = np.where(swap, i, j)
    order = np.lexsort((seconds[second], seconds[first]))
    return [
        DuplicatePair(
            first=reports[int(first[k])].id,
            second=reports[int(second[k])].id,
            distance_m=float(dist[k]),
            minutes_apart=float(gap[k]) / 60.0,
        )
        for k in order
    ]


def nearest_duplicates(
    new: DuplicateCandidate,
    earlier: Iterable[DuplicateCandidate],
    *,
    k: int,
    radius_m: float = 50.0,
    window: dt.timedelta = dt.timedelta(minutes=30),
) -> list[DuplicatePair]:
    """The at most ``k`` reports of ``earlier`` that may duplicate ``new``, nearest in time.

    Same test as :func:`suggest_duplicates` (same category, within ``radius_m`` and
    ``window``, limits inclusive); of those that pass, the ``k`` observed nearest in time to
    ``new`` are kept (ties: nearer in distance, then id), in that order. Each pair names its
    earlier-observed report ``first``, as :func:`suggest_duplicates` does.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number of metres, got {radius_m}")
    if window <= dt.timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    limit = window.total_seconds()
    found: list[tuple[float, float, str, DuplicatePair]] = []
    for other in earlier:
        if other.id == new.id or other.category != new.category:
            continue
        gap = abs((other.observed_at - new.observed_at).total_seconds())
        if gap > limit:
            continue
        distance = great_circle_m(new.lat, new.lon, other.lat, other.lon)
        if distance > radius_m:
            continue
        before = (other.observed_at, other.id) <= (new.observed_at, new.id)
        first, second = (other, new) if before else (new, other)
        pair = DuplicatePair(first.id, second.id, distance, gap / 60.0)
        found.append((gap, distance, other.id, pair))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found[:k]]
