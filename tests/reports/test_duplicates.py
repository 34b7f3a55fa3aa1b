"""Duplicate suggestions: same category, within 50 m and 30 minutes."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from crowdguard.reports.duplicates import DuplicateCandidate, haversine_m, suggest_duplicates

T0 = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)
LAT, LON = 51.0632, -1.3080
R = 6_371_008.8
M_PER_DEG_LAT = R * math.pi / 180


def at(
    ident: str, north_m: float = 0.0, minutes: float = 0.0, category: str = "unattended_item"
) -> DuplicateCandidate:
    return DuplicateCandidate(
        ident, category, LAT + north_m / M_PER_DEG_LAT, LON, T0 + dt.timedelta(minutes=minutes)
    )


def test_haversine_matches_a_quarter_meridian() -> None:
    # Pole to equator along a meridian is a quarter of the circumference.
    assert float(haversine_m(0.0, 0.0, 90.0, 0.0)) == pytest.approx(math.pi * R / 2)
    assert float(haversine_m(LAT, LON, LAT, LON)) == 0.0


@pytest.mark.parametrize(
    ("north_m", "minutes", "expected"),
    [(40, 10, True), (49, 29, True), (51, 0, False), (10, 31, False), (0, 0, True)],
)
def test_inside_and_outside_50_m_and_30_minutes(
    north_m: float, minutes: float, expected: bool
) -> None:
    pairs = suggest_duplicates([at("a"), at("b", north_m, minutes)])
    assert bool(pairs) is expected
    if expected:
        assert pairs[0].distance_m == pytest.approx(north_m, abs=0.01)
        assert pairs[0].minutes_apart == pytest.approx(minutes)


def test_different_categories_are_never_duplicates() -> None:
    assert suggest_duplicates([at("a"), at("b", 5, 1, category="suspicious_vehicle")]) == []


def test_the_earlier_report_comes_first() -> None:
    pairs = suggest_duplicates([at("late", 0, 20), at("early", 10, 5)])
    assert [(p.first, p.second) for p in pairs] == [("early", "late")]


def test_agrees_with_brute_force_on_a_crowded_afternoon() -> None:
    rng = np.random.default_rng(7)
    n = 400
    north = rng.normal(0, 80, n)
    east = rng.normal(0, 80, n)
    minutes = rng.uniform(0, 240, n)
    cats = rng.choice(["unattended_item", "suspicious_vehicle", "hostile_reconnaissance"], n)
    reports = [
        DuplicateCandidate(
            f"r{i}",
            str(cats[i]),
            LAT + north[i] / M_PER_DEG_LAT,
            LON + east[i] / (M_PER_DEG_LAT * math.cos(math.radians(LAT))),
            T0 + dt.timedelta(minutes=float(minutes[i])),
        )
        for i in range(n)
    ]

    def great_circle(a: DuplicateCandidate, b: DuplicateCandidate) -> float:
        # Spherical law of cosines: an independent formula from the one under test.
        p1, p2 = math.radians(a.lat), math.radians(b.lat)
        dl = math.radians(b.lon - a.lon)
        c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        return R * math.acos(min(1.0, c))

    expected = {
        frozenset((a.id, b.id))
        for i, a in enumerate(reports)
        for b in reports[i + 1 :]
        if a.category == b.category
        and abs((a.observed_at - b.observed_at).total_seconds()) <= 1800
        and great_circle(a, b) <= 50.0
    }
    found = {frozenset((p.first, p.second)) for p in suggest_duplicates(reports)}
    assert len(expected) > 20  # the fixture is dense enough to test something
    assert found == expected


def test_ten_thousand_reports_in_one_call() -> None:
    rng = np.random.default_rng(3)
    n = 10_000
    reports = [
        DuplicateCandidate(
            f"r{i}",
            "unattended_item",
            LAT + float(rng.normal(0, 0.05)),
            LON + float(rng.normal(0, 0.05)),
            T0 + dt.timedelta(minutes=float(rng.uniform(0, 60 * 24 * 37))),
        )
        for i in range(n)
    ]
    pairs = suggest_duplicates(reports)
    for p in pairs:
        assert p.distance_m <= 50 and p.minutes_apart <= 30


def test_bad_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="radius_m"):
        suggest_duplicates([at("a"), at("b")], radius_m=0)
    with pytest.raises(ValueError, match="window"):
        suggest_duplicates([at("a"), at("b")], window=dt.timedelta(0))


def test_stored_reports_are_compared_by_point_or_venue() -> None:
    from crowdguard.reports.duplicates import candidate_from_report
    from crowdguard.reports.models import ReportControl, ReportCreate

    def stored(ref: str, location: dict[str, object]) -> ReportControl:
        create = ReportCreate.model_validate(
            {
                "category": "unattended_item",
                "location": location,
                "observed_at": T0.isoformat(),
                "description": "bag",
            }
        )
        return ReportControl.from_create(create, reference=ref, received_at=T0)

    venues = {"winchester-market": (LAT, LON)}
    by_point = candidate_from_report(stored("a", {"lat": LAT, "lon": LON}))
    by_venue = candidate_from_report(stored("b", {"venue_id": "winchester-market"}), venues)
    by_text = candidate_from_report(stored("c", {"text": "by the carousel"}), venues)
    assert by_point is not None and by_venue is not None and by_text is None
    assert [(p.first, p.second) for p in suggest_duplicates([by_point, by_venue])] == [("a", "b")]
