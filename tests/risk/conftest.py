"""Small scenarios built in code for the risk-model tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crowdguard.scenario import Scenario

ScenarioFactory = Callable[..., Scenario]


def venue_dict(**overrides: Any) -> dict[str, Any]:
    """A mainland shopping street open 09:00-18:00 every day, 1,000 people at peak."""
    venue: dict[str, Any] = {
        "id": "street",
        "name": "Street",
        "kind": "shopping_street",
        "lat": 51.0,
        "lon": -1.3,
        "opening_hours": {
            "weekly": {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        },
        "peak_occupancy": 1000,
    }
    venue.update(overrides)
    return venue


def scenario_dict(venues: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test",
        "name": "Test",
        "start": "2026-12-01",
        "end": "2026-12-03",
        "threat_level": "SUBSTANTIAL",
        "venues": venues,
        "bases": [{"id": "hq", "name": "HQ", "lat": 51.0, "lon": -1.3}],
        "teams": [{"callsign": "alpha-1", "base": "hq", "shifts": ["10:00-16:00"]}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_scenario() -> ScenarioFactory:
    """``make_scenario(venue_overrides..., scenario=dict(...))`` -> a one-venue Scenario."""

    def make(*, scenario: dict[str, Any] | None = None, **venue: Any) -> Scenario:
        return Scenario.model_validate(scenario_dict([venue_dict(**venue)], **(scenario or {})))

    return make
