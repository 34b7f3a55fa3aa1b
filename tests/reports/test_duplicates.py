"""Duplicate suggestions: same category, within 50 m and 30 minutes."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from crowdguard.reports.duplicates import (
    DuplicateCandidate,
    nearest_duplicates,
    suggest_duplicates,
)

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


def test_nearest_duplicates_keeps_the_k_nearest_in_time() -> None:
    new = at("new", 0, 15)
    earlier = [at(f"m{m:02d}", 1, m) for m in range(0, 31, 3)]  # every 3 minutes, 0..30
    pairs = nearest_duplicates(new, earlier, k=4)
    assert [p.second if p.first == "new" else p.first for p in pairs] == [
        "m15",
        "m12",
        "m18",
        "m09",
    ]
    assert [p.minutes_apart for p in pairs] == pytest.approx([0, 3, 3, 6])
    # Each pair names the earlier-observed report first, as suggest_duplicates does.
    assert (pairs[1].first, pairs[1].second) == ("m12", "new")
    assert (pairs[2].first, pairs[2].second) == ("new", "m18")


def test_nearest_duplicates_ties_go_to_the_nearer_then_by_id() -> None:
    new = at("new", 0, 0)
    pairs = nearest_duplicates(new, [at("b", 30, 5), at("a", 30, 5), at("c", 10, 5)], k=2)
    assert [p.first if p.second == "new" else p.second for p in pairs] == ["c", "a"]


def test_nearest_duplicates_applies_the_same_test_as_suggest_duplicates() -> None:
    rng = np.random.default_rng(7)
    new = at("new", 0, 0)
    others = [
        at(f"r{i}", float(rng.uniform(-80, 80)), float(rng.uniform(-45, 45)), category=kind)
        for i, kind in enumerate(rng.choice(["unattended_item", "weapons"], size=300))
    ]
    near = nearest_duplicates(new, others, k=len(others))
    everything = suggest_duplicates([new, *others])
    expected = {
        p.first if p.second == "new" else p.second
        for p in everything
        if "new" in (p.first, p.second)
    }
    assert {p.first if p.second == "new" else p.second for p in near} == expected
    gaps = [p.minutes_apart for p in near]
    assert gaps == sorted(gaps)
    assert nearest_duplicates(new, others, k=3) == near[:3]


def test_nearest_duplicates_refuses_bad_limits_and_ignores_itself() -> None:
    with pytest.raises(ValueError, match="k must be"):
        nearest_duplicates(at("a"), [at("b")], k=0)
    with pytest.raises(ValueError, match="radius_m"):
        nearest_duplicates(at("a"), [at("b")], k=1, radius_m=-1)
    assert nearest_duplicates(at("a"), [at("a")], k=1) == []
