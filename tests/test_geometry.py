"""The one geometry module: distances on the sphere and the local projection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crowdguard.geometry import (
    EARTH_RADIUS_M,
    METRES_PER_DEGREE,
    Bounds,
    LocalProjection,
    bounding_box,
    great_circle_km,
    great_circle_m,
    haversine_m,
)

LAT, LON = 51.0632, -1.3080  # Winchester


def test_haversine_matches_a_quarter_meridian() -> None:
    # Pole to equator along a meridian is a quarter of the circumference.
    assert float(haversine_m(0.0, 0.0, 90.0, 0.0)) == pytest.approx(math.pi * EARTH_RADIUS_M / 2)
    assert float(haversine_m(LAT, LON, LAT, LON)) == 0.0


def test_one_degree_of_latitude_is_111_km_and_the_scalar_forms_agree() -> None:
    assert great_circle_km(50.0, -1.0, 51.0, -1.0) == pytest.approx(111.19, abs=0.05)
    for lat2, lon2 in [(LAT + 0.0004, LON), (50.7, -1.1), (-33.9, 151.2)]:
        assert great_circle_m(LAT, LON, lat2, lon2) == pytest.approx(
            float(haversine_m(LAT, LON, lat2, lon2)), rel=1e-12
        )
        assert great_circle_km(LAT, LON, lat2, lon2) * 1000 == pytest.approx(
            great_circle_m(LAT, LON, lat2, lon2)
        )


def test_haversine_broadcasts_over_arrays() -> None:
    lats = np.array([LAT, 50.7, 50.9])
    lons = np.array([LON, -1.1, -1.4])
    matrix = haversine_m(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
    assert matrix.shape == (3, 3)
    assert np.allclose(np.diag(matrix), 0.0)
    assert np.allclose(matrix, matrix.T)


def test_the_local_projection_keeps_county_distances_within_half_a_percent() -> None:
    # Portsmouth to Winchester (about 36 km) and Ryde to Southampton across the Solent.
    pairs = [((50.7954, -1.1089), (LAT, LON)), ((50.7307, -1.1613), (50.9097, -1.4044))]
    lats = [p[0] for pair in pairs for p in pair]
    projection = LocalProjection.about(lats)
    for a, b in pairs:
        ax, ay = projection.xy(*a)
        bx, by = projection.xy(*b)
        assert math.hypot(ax - bx, ay - by) == pytest.approx(great_circle_m(*a, *b), rel=0.005)
        assert projection.inverse(ax, ay) == pytest.approx(a)
    assert projection.xy_array(np.array([LAT]), np.array([LON]))[0] == pytest.approx(
        projection.xy(LAT, LON)
    )
    assert projection.aspect == pytest.approx(1 / math.cos(math.radians(projection.lat0)))
    with pytest.raises(ValueError, match="lats"):
        LocalProjection.about([])


def test_the_bounding_box_holds_the_circle_and_spans_all_longitudes_near_a_pole() -> None:
    box = bounding_box(LAT, LON, 50.0)
    for bearing in range(0, 360, 15):
        # Points 50 m away in every direction fall inside the box.
        dn = 50.0 * math.cos(math.radians(bearing)) / METRES_PER_DEGREE
        de = (
            50.0
            * math.sin(math.radians(bearing))
            / (METRES_PER_DEGREE * math.cos(math.radians(LAT)))
        )
        assert box.contains(LAT + dn, LON + de)
    assert not box.contains(LAT + 0.001, LON)  # 111 m north
    polar = bounding_box(89.99, 10.0, 5000.0)
    assert (polar.west, polar.east) == (-180.0, 180.0)
    wrapped = bounding_box(0.0, 179.9999, 50.0)
    assert (wrapped.west, wrapped.east) == (-180.0, 180.0)


def test_bounds_around_points_and_padded() -> None:
    box = Bounds.around([(50.7, -1.5), (51.1, -0.9)])
    assert box == Bounds(50.7, -1.5, 51.1, -0.9)
    padded = box.padded(0.1, at_least_m=2000)
    assert padded.south < 50.7 and padded.north > 51.1 and padded.west < -1.5
    assert box.padded(0.0, at_least_m=1000).north - 51.1 == pytest.approx(1000 / METRES_PER_DEGREE)
    with pytest.raises(ValueError, match="points"):
        Bounds.around([])
