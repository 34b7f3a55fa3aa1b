"""Small scenarios built in code, so planner tests do not depend on the demo's numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crowdguard.scenario.schema import Scenario


def small_scenario(**overrides: Any) -> Scenario:
    """Three Winchester/Southampton venues, two bases, three teams on two shifts, three days."""
    data: dict[str, Any] = {
        "id": "small",
        "name": "Small test season",
        "start": dt.date(2026, 12, 4),
        "end": dt.date(2026, 12, 6),
        "threat_level": "SUBSTANTIAL",
        "venues": [
            {
                "id": "market",
                "name": "Cathedral market",
                "kind": "christmas_market",
                "town": "Winchester",
                "lat": 51.0606,
                "lon": -1.3131,
                "opening_hours": {
                    "weekly": {
                        d: "10:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                    }
                },
                "peak_occupancy": 2400,
                "attractiveness": 2.0,
            },
            {
                "id": "high-street",
                "name": "High Street",
                "kind": "shopping_street",
                "town": "Winchester",
                "lat": 51.0619,
                "lon": -1.3140,
                "opening_hours": {
                    "weekly": {d: "10:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
                },
                "peak_occupancy": 3000,
                "mitigations": {"hvm": "rated", "hvm_rating": "V/7500[N3]/48/90:28.1/18.0"},
            },
            {
                "id": "westquay",
                "name": "WestQuay",
                "kind": "shopping_centre",
                "town": "Southampton",
                "lat": 50.9035,
                "lon": -1.4060,
                "opening_hours": {
                    "weekly": {
                        d: "12:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                    }
                },
                "peak_occupancy": 5000,
            },
        ],
        "bases": [
            {"id": "ops-win", "name": "Winchester stand-in", "lat": 51.064, "lon": -1.315},
            {"id": "pic-sou", "name": "Southampton stand-in", "lat": 50.9075, "lon": -1.416},
        ],
        "teams": [
            {"callsign": "alpha-1", "base": "ops-win", "shifts": ["10:00-13:00"]},
            {"callsign": "alpha-2", "base": "pic-sou", "shifts": ["10:00-16:00"]},
            {"callsign": "bravo-1", "base": "pic-sou", "shifts": ["13:00-16:00"]},
        ],
    }
    data.update(overrides)
    return Scenario.model_validate(data)


@pytest.fixture
def scenario() -> Scenario:
    return small_scenario()


@pytest.fixture
def make_scenario() -> Any:
    """The factory, for tests that vary the small scenario."""
    return small_scenario
