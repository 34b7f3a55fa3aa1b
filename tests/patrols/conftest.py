"""Small hand-built scenarios and targets for the patrol tests.

``Targets`` here mirrors the fields of ``crowdguard.risk.payoffs.Targets`` that the patrol
layer reads, so these tests do not depend on the risk model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from crowdguard.scenario.schema import Scenario

LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2026, 12, 5)  # a Saturday

# Real-ish places from domain.md section 7 (coordinates [ESTIMATE])
VENUES = [
    ("winchester-market", 51.0606, -1.3131, False),
    ("winchester-high-street", 51.0619, -1.3140, False),
    ("southampton-westquay", 50.9035, -1.4060, False),
    ("southampton-market", 50.9040, -1.4042, False),
    ("eastleigh-swan", 50.9695, -1.3510, False),
    ("portsmouth-gunwharf", 50.7960, -1.1065, False),
    ("portsmouth-commercial-road", 50.7990, -1.0895, False),
    ("fareham-west-street", 50.8530, -1.1790, False),
    ("gosport-high-street", 50.7960, -1.1250, False),
    ("havant-meridian", 50.8527, -0.9830, False),
    ("newport-st-james", 50.7010, -1.2925, True),
    ("ryde-union-street", 50.7300, -1.1615, True),
]
BASES = [
    ("ops-winchester", 51.0640, -1.3150, False),
    ("pic-southampton", 50.9075, -1.4160, False),
    ("pic-portsmouth", 50.8340, -1.0590, False),
    ("stn-newport", 50.7000, -1.2900, True),
]


@dataclass(frozen=True)
class Targets:
    """The fields of ``crowdguard.risk.payoffs.Targets`` the patrol layer reads."""

    ids: tuple[str, ...]
    venue: tuple[str, ...]
    start: tuple[dt.datetime, ...]
    end: tuple[dt.datetime, ...]
    crowd: np.ndarray
    risk: np.ndarray
    defender_covered: np.ndarray
    defender_uncovered: np.ndarray
    attacker_covered: np.ndarray
    attacker_uncovered: np.ndarray


def scenario(
    venues: list[tuple[str, float, float, bool]] | None = None,
    bases: list[tuple[str, float, float, bool]] | None = None,
    teams: list[dict[str, Any]] | None = None,
    *,
    hours: str = "10:00-16:00",
    dwell: float = 30.0,
    response: float = 10.0,
) -> Scenario:
    """A one-day scenario; every venue open ``hours`` every day."""
    venues = VENUES[:3] if venues is None else venues
    bases = BASES[:2] if bases is None else bases
    if teams is None:
        teams = [
            {"callsign": "foot-1", "base": bases[0][0], "kind": "foot", "shifts": [hours]},
            {"callsign": "arv-1", "base": bases[1][0], "kind": "arv", "shifts": [hours]},
        ]
    return Scenario.model_validate(
        {
            "id": "test",
            "name": "Test",
            "start": DAY,
            "end": DAY,
            "threat_level": "SUBSTANTIAL",
            "venues": [
                {
                    "id": v,
                    "name": v,
                    "kind": "shopping_street",
                    "lat": lat,
                    "lon": lon,
                    "island": island,
                    "opening_hours": {
                        "weekly": {
                            d: hours for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                        }
                    },
                    "peak_occupancy": 1000,
                }
                for v, lat, lon, island in venues
            ],
            "bases": [
                {"id": b, "name": b, "lat": lat, "lon": lon, "island": island}
                for b, lat, lon, island in bases
            ],
            "teams": teams,
            "patrol": {"min_dwell_minutes": dwell, "response_target_minutes": response},
        }
    )


def targets_for(
    sc: Scenario, seed: int, day: dt.date = DAY, first: int = 10, last: int = 16
) -> Targets:
    """Hourly targets for every venue from ``first`` to ``last`` o'clock, random payoffs."""
    rng = np.random.default_rng(seed)
    ids, venue, start, end = [], [], [], []
    for v in sc.venues:
        for hour in range(first, last):
            s = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
            ids.append(f"{v.id}@{s.isoformat()}")
            venue.append(v.id)
            start.append(s)
            end.append(s + dt.timedelta(hours=1))
    n = len(ids)
    crowd = rng.uniform(200, 3000, n)
    risk = rng.uniform(1, 10, n)
    return Targets(
        ids=tuple(ids),
        venue=tuple(venue),
        start=tuple(start),
        end=tuple(end),
        crowd=crowd,
        risk=risk,
        defender_covered=rng.uniform(0, 1, n),
        defender_uncovered=-risk,
        attacker_covered=-rng.uniform(1, 10, n),
        attacker_uncovered=risk,
    )


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    return scenario


@pytest.fixture
def make_targets() -> Callable[..., Targets]:
    return targets_for


@pytest.fixture
def known_places() -> tuple[
    list[tuple[str, float, float, bool]], list[tuple[str, float, float, bool]]
]:
    """(venues, bases) from domain.md section 7, as (id, lat, lon, island)."""
    return VENUES, BASES
