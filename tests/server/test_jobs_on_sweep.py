"""A served plan says where its deployment sits on a sweep of its scenario (issue 16), when
the server keeps one (``CROWDGUARD_SWEEPS``), as ``crowdguard plan --sweep`` does."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from server_helpers import TestClient

from crowdguard.scenario.schema import Scenario, ThreatLevel
from crowdguard.store.settings import Settings
from crowdguard.sweep import SerialBackend, SweepOptions, run_sweep
from crowdguard.users.models import Role

# the sweep tests' synthetic county (tests/sweep/conftest.py), loaded by path
_spec = importlib.util.spec_from_file_location(
    "sweep_fixtures", Path(__file__).parents[1] / "sweep" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
flat_county = _fixtures.flat_county


def _county() -> Scenario:
    county = flat_county()
    second = county.teams[0].model_copy(update={"callsign": "team-2"})
    return county.model_copy(update={"teams": [*county.teams, second]})


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The server keeps its sweeps in ``tmp_path/sweeps``: one of this county, one of another."""
    sweeps = tmp_path / "sweeps"
    county = _county()
    for name, scenario in (("other", county.model_copy(update={"id": "elsewhere"})),
                           ("county", county)):  # fmt: skip
        run_sweep(scenario, teams=[1, 2, 3, 4, 5], threats=[ThreatLevel.SUBSTANTIAL],
                  seeds=range(3), options=SweepOptions(mode="free"), out=sweeps / name,
                  backend=SerialBackend(), metric="harm_stated", resamples=20)  # fmt: skip
    (sweeps / "not-a-sweep").mkdir()
    return Settings(database_url=db_url, data_dir=tmp_path, sweeps_dir=sweeps)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_served_plan_is_placed_on_the_servers_sweep_of_its_scenario(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    headers = as_role(Role.planner)
    county = _county()
    stored = client.post("/api/v1/scenarios", json=county.model_dump(mode="json"), headers=headers)
    assert stored.status_code == 201, stored.text
    plan_id = client.post(
        "/api/v1/plans", json={"scenario_id": county.id, "seed": 3}, headers=headers
    ).json()["id"]
    deadline = time.monotonic() + 300
    while True:
        done: dict[str, Any] = client.get(f"/api/v1/plans/{plan_id}", headers=headers).json()
        if done["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert done["status"] == "done", done["error"]
    placed = done["result"]["proportionality"]
    assert placed["sweep"]["folder"] == "county" and placed["sweep"]["same_scenario"] is True
    assert (placed["teams"], placed["threat"], placed["position"]) == (2, "SUBSTANTIAL", "below")
    assert placed["point"]["teams"] == 4
