"""Security plans submitted through the service move the served patrol plan (issue 5, item 6).

An organiser's weak plan for an event at a venue raises that venue's risk, so a plan job
queued after the submission gives the venue more patrol cover than the same job (same
scenario, day and seed) queued before it; the job keeps the review it used, so it stays
reproducible whatever is submitted later. Runs the real planner on one demo day, on SQLite
and (through ``scripts/test``) PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crowdguard.plans import DEMO_DIR
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues.service import load_scenario_records

VENUE = "winchester-cathedral-market"  # its linked demo plan is near-exemplary
DAY = "2026-11-27"
Headers = dict[str, str]


def _wait(client: TestClient, plan_id: int, headers: Headers) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/plans/{plan_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            assert body["status"] == "done", body["error"]
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not finish")


def _plan(client: TestClient, headers: Headers) -> dict[str, Any]:
    started = client.post(
        "/api/v1/plans",
        json={"scenario_id": "hampshire-iow-christmas-2026", "seed": 7, "days": 1},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    return _wait(client, started.json()["id"], headers)


def _mean_cover(result: dict[str, Any], venue: str) -> float:
    rows = [r["coverage"] for r in result["coverage"] if r["venue"] == venue]
    assert rows, f"no slots for {venue}"
    return sum(rows) / len(rows)


def _weak_plan() -> dict[str, Any]:
    """The demo's poorest plan (no lockdown, no rated HVM...), written for VENUE."""
    data = yaml.safe_load((DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml").read_text())
    plan: dict[str, Any] = json.loads(json.dumps(data, default=str))
    plan["venue"]["id"] = VENUE
    plan["event"]["id"] = "cathedral-late-opening"
    return plan


@pytest.mark.slow
def test_a_weak_submitted_plan_draws_patrols_and_the_job_keeps_its_review(
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    as_role: Callable[..., Headers],
) -> None:
    # The demo without its operational limits (decision 0009): with them, Winchester's places
    # are patrolled by its own teams only and, on this one day, the venue's cover does not
    # follow its risk up; the feed from a submitted plan to the risk is what is tested here.
    with session_scope(make_sessionmaker(engine)) as session:
        load_scenario_records(
            session=session, scenario=demo_scenario().without_limits(), actor="system",
            now=clock.now(),
        )  # fmt: skip
    planner = as_role(Role.planner)
    organiser = as_role(Role.organiser, username="orla")

    before = _plan(client, planner)
    assert before["security_plans"] == []
    linked = {r["venue"]: r for r in before["result"]["plan_reviews"]}
    assert linked[VENUE]["source"] == f"demo:{VENUE}"
    assert linked[VENUE]["findings_moving_risk"] == []

    event = client.post(
        "/api/v1/events",
        json={
            "name": "Cathedral late opening",
            "venue_id": VENUE,
            "starts_at": f"{DAY}T10:00:00+00:00",
            "ends_at": f"{DAY}T20:00:00+00:00",
            "expected_attendance": 2400,
        },
        headers=organiser,
    )
    assert event.status_code == 201, event.text
    submitted = client.post(
        "/api/v1/security-plans",
        json={"event_id": event.json()["id"], "plan": _weak_plan()},
        headers=organiser,
    )
    assert submitted.status_code == 201, submitted.text
    plan_id = submitted.json()["plan"]["id"]

    after = _plan(client, planner)
    (kept,) = after["security_plans"]
    assert (kept["venue"], kept["security_plan_id"], kept["version"]) == (VENUE, plan_id, 1)
    assert "P3" in [f["rule"] for f in kept["review"]["findings"]]  # no lockdown procedure
    row = {r["venue"]: r for r in after["result"]["plan_reviews"]}[VENUE]
    assert row["source"] == f"submitted security plan #{plan_id} v1 (submitted)"
    assert "P3" in row["findings_moving_risk"]
    assert row["multipliers"]["marauding"] > 1.0
    assert row["patrol_hours_delta"] > 0  # "by how much", as `crowdguard plan` reports it
    assert _mean_cover(after["result"], VENUE) > _mean_cover(before["result"], VENUE) + 0.01

    # An adviser who saw the missing measures on site overrides them: the next job follows.
    for rule in row["findings_moving_risk"]:
        r = client.post(
            f"/api/v1/security-plans/{plan_id}/overrides",
            json={"rule": rule, "status": "adequate", "reason": "seen in place on site visit"},
            headers=planner,
        )
        assert r.status_code == 201, r.text
    resolved = _plan(client, planner)
    row = {r["venue"]: r for r in resolved["result"]["plan_reviews"]}[VENUE]
    assert row["findings_moving_risk"] == []
    assert _mean_cover(resolved["result"], VENUE) == pytest.approx(
        _mean_cover(before["result"], VENUE), abs=1e-6
    )
    # The earlier job still holds the review it was solved with.
    again = client.get(f"/api/v1/plans/{after['id']}", headers=planner).json()
    assert again["security_plans"] == after["security_plans"]
