"""Fixtures for the sweep tests: a small synthetic county whose harm curve is known exactly."""

from __future__ import annotations

from typing import Any

import pytest

from crowdguard.scenario.schema import Scenario


def flat_county(venues: int = 4, effectiveness: float = 0.6) -> Scenario:
    """``venues`` identical shopping streets open 10:00-12:00 on one day, one team, one base.

    Every venue-slot carries the same risk ``R``, so with ``n`` teams the equilibrium covers
    each with ``min(n, k) / k`` and the expected harm is ``R (1 - e min(n, k) / k)`` (the
    defender's payoffs ``-(1 - e) R`` covered, ``-R`` uncovered): linear until every venue
    has a team, flat after. Synthetic data, not a place.
    """
    spec: dict[str, Any] = {
        "id": "flat-county",
        "name": "Flat county (synthetic)",
        "start": "2026-12-01",
        "end": "2026-12-01",
        "threat_level": "SUBSTANTIAL",
        "venues": [
            {
                "id": f"street-{i}",
                "name": f"Street {i} (synthetic)",
                "kind": "shopping_street",
                "lat": 51.0 + 0.01 * i,
                "lon": -1.3,
                "opening_hours": {"daily": "10:00-12:00"},
                "peak_occupancy": 5000,
                "hourly_profile": {10: 1.0, 11: 1.0},
            }
            for i in range(venues)
        ],
        "bases": [{"id": "hq", "name": "HQ (synthetic)", "lat": 51.0, "lon": -1.31}],
        "teams": [{"callsign": "team-1", "base": "hq", "shifts": ["10:00-12:00"]}],
        "patrol": {"effectiveness": effectiveness},
    }
    return Scenario.model_validate(spec)


@pytest.fixture
def county() -> Scenario:
    """The four-street synthetic county of :func:`flat_county`."""
    return flat_county()
