"""Small builders shared by the server tests (hand-written data, not code under test).

Test modules import shared names from here, never ``from conftest import ...``: with
several test folders on ``sys.path`` the module called ``conftest`` may be another
folder's, depending on which folders a run names and in what order.
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, text

from crowdguard.scenario.schema import Scenario

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx is what this project ships.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: F401 (re-exported to the tests)

PASSWORD = "correct horse battery"


def fresh_postgres(base_url: str) -> Iterator[str]:
    """A new, empty database in the private cluster for one test; dropped afterwards."""
    name = f"cg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def venue(
    venue_id: str = "winchester-market", lat: float = 51.0606, lon: float = -1.3131
) -> dict[str, Any]:
    """A valid venue body."""
    return {
        "id": venue_id,
        "name": "Cathedral Christmas Market",
        "kind": "christmas_market",
        "town": "Winchester",
        "lat": lat,
        "lon": lon,
        "opening_hours": {"weekly": {"sat": "10:00-20:00", "sun": "10:00-18:00"}},
        "peak_occupancy": 2400,
    }


def team(callsign: str = "arv-1", base: str = "hq-eastleigh") -> dict[str, Any]:
    """A valid team body."""
    return {"callsign": callsign, "base": base, "kind": "arv", "shifts": ["10:00-16:00"]}


def scenario(scenario_id: str = "tiny") -> dict[str, Any]:
    """A small valid scenario body: one venue, one base, two teams."""
    body = {
        "id": scenario_id,
        "name": "Tiny test season",
        "start": "2026-12-05",
        "end": "2026-12-06",
        "threat_level": "SUBSTANTIAL",
        "venues": [venue()],
        "bases": [{"id": "hq-eastleigh", "name": "Leigh Road", "lat": 50.971, "lon": -1.361}],
        "teams": [team("arv-1"), team("arv-2")],
    }
    Scenario.model_validate(body)  # the fixture itself must be valid
    return body


def roster_contract(day: str, teams: list[str], start_hour: int = 10) -> dict[str, Any]:
    """A roster in the design.md contract, local (Europe/London) times."""
    d = dt.date.fromisoformat(day)
    at = lambda h, m=0: dt.datetime(d.year, d.month, d.day, h, m).isoformat()  # noqa: E731
    return {
        "date": day,
        "teams": [
            {
                "team": name,
                "base": "hq-eastleigh",
                "segments": [
                    {"kind": "transit", "start": at(start_hour), "end": at(start_hour, 20)},
                    {
                        "kind": "patrol",
                        "venue": "winchester-market",
                        "start": at(start_hour, 20),
                        "end": at(start_hour + 2),
                    },
                    {"kind": "base", "start": at(start_hour + 2), "end": at(start_hour + 6)},
                ],
            }
            for name in teams
        ],
    }


class FakePlan:
    """What the planner returns: ``plan_json()`` and ``rosters()``."""

    def __init__(self, rosters: dict[str, dict[str, Any]]) -> None:
        self._rosters = rosters

    def plan_json(self) -> dict[str, Any]:
        return {
            "scenario": "tiny",
            "solver": "fake",
            "defender_utility": -1.0,
            "attacker_utility": 1.0,
            "coverage": [],
        }

    def rosters(self) -> dict[str, dict[str, Any]]:
        return self._rosters
