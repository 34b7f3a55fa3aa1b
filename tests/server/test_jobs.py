"""Plan jobs: queued -> running -> done|failed, progress, stored inputs, rosters served."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from server_helpers import FakePlan, roster_contract, scenario

import crowdguard
from crowdguard.jobs.runner import Planner
from crowdguard.users.models import Role

DAY = "2026-12-05"


def _wait(
    client: TestClient, plan_id: int, headers: dict[str, str], timeout: float = 300
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/plans/{plan_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"plan {plan_id} did not finish in {timeout} s")


class _Recorder:
    """A stand-in planner that records its call and reports progress."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def __call__(
        self,
        scenario: Any,
        *,
        seed: int | None = None,
        days: int | None = None,
        progress: Callable[..., None] | None = None,
        submitted: Any = None,
    ) -> FakePlan:
        self.calls.append({"scenario": scenario.id, "seed": seed, "days": days})
        assert submitted == {}, "no security plan was submitted in these tests"
        if progress is not None:
            progress(0.5, "half")
        if self.fail:
            raise ValueError("no feasible patrol")
        return FakePlan({DAY: roster_contract(DAY, ["arv-1", "arv-2"])})


recorder = _Recorder()
failing = _Recorder(fail=True)


@pytest.fixture
def make_planner(request: pytest.FixtureRequest) -> Callable[[], Planner]:
    from crowdguard.jobs.runner import default_planner

    chosen = getattr(request, "param", recorder)
    if chosen == "real":
        return default_planner
    chosen.calls.clear()
    return lambda: chosen


def test_a_job_runs_stores_its_inputs_and_serves_rosters(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    planner = as_role(Role.planner)
    assert client.post("/api/v1/scenarios", json=scenario(), headers=planner).status_code == 201
    started = client.post(
        "/api/v1/plans", json={"scenario_id": "tiny", "seed": 42, "days": 2}, headers=planner
    )
    assert started.status_code == 202, started.text
    assert started.json()["status"] in ("queued", "running", "done")
    assert started.headers["Location"] == f"/api/v1/plans/{started.json()['id']}"
    done = _wait(client, started.json()["id"], planner)
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1.0
    assert recorder.calls == [{"scenario": "tiny", "seed": 42, "days": 2}]
    assert "seed" not in done and done["seed_given"] is True  # GET /plans/{id}/seed has it
    assert done["scenario_snapshot"]["id"] == "tiny"
    assert done["result"]["solver"] == "fake" == done["solver"]
    teams = client.get(f"/api/v1/rosters/{DAY}", headers=planner).json()["teams"]
    assert [t["team"] for t in teams] == ["arv-1", "arv-2"]


def test_without_a_seed_the_rosters_come_from_secrets_and_no_seed_is_kept(
    client: TestClient, as_role: Callable[..., dict[str, str]], engine: Any
) -> None:
    """Issue 12, item 7: a seed drawn in secret and stored would rebuild every roster from
    an ordinary read. Without a requested seed the planner gets none (its draws come from
    ``secrets.SystemRandom``) and nothing is stored that could reproduce them."""
    from crowdguard.jobs.tables import PlanRow
    from crowdguard.store.db import make_sessionmaker, session_scope

    planner = as_role(Role.planner)
    client.post("/api/v1/scenarios", json=scenario(), headers=planner)
    first = _wait(
        client,
        client.post("/api/v1/plans", json={"scenario_id": "tiny"}, headers=planner).json()["id"],
        planner,
    )
    assert first["seed_given"] is False and "seed" not in first
    assert [c["seed"] for c in recorder.calls] == [None]
    with session_scope(make_sessionmaker(engine)) as session:
        assert session.get(PlanRow, first["id"]).seed is None  # type: ignore[union-attr]
    missing = client.get(f"/api/v1/plans/{first['id']}/seed", headers=planner)
    assert missing.status_code == 404 and "secrets" in missing.json()["detail"]


def test_a_requested_seed_is_read_only_by_roster_roles_and_audited_per_day(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    """A seed is its rosters: planners and admins (who may read every roster) get it from
    its own endpoint, and each read is a ``roster.read`` of every day it unlocks."""
    planner = as_role(Role.planner)
    admin = as_role(Role.admin)
    client.post("/api/v1/scenarios", json=scenario(), headers=planner)
    plan_id = client.post(
        "/api/v1/plans", json={"scenario_id": "tiny", "seed": 42, "days": 2}, headers=planner
    ).json()["id"]
    _wait(client, plan_id, planner)
    read = client.get(f"/api/v1/plans/{plan_id}/seed", headers=planner)
    assert read.status_code == 200, read.text
    assert read.json() == {"plan_id": plan_id, "seed": 42, "days": ["2026-12-05", "2026-12-06"]}
    for role in (Role.analyst, Role.control, Role.officer, Role.organiser):
        denied = client.get(f"/api/v1/plans/{plan_id}/seed", headers=as_role(role))
        assert denied.status_code == 403, role
    trail = client.get("/api/v1/audit?limit=100", headers=admin).json()
    via_seed = [
        e
        for e in trail["items"]
        if e["action"] == "roster.read" and (e["detail"] or {}).get("via") == "plan seed"
    ]
    assert sorted(e["entity_id"] for e in via_seed) == ["2026-12-05", "2026-12-06"]
    assert {e["actor"] for e in via_seed} == {"planner-user"}


def test_the_listing_is_summaries_without_results_snapshots_or_seeds(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    """A season's result is over a megabyte: a page of 50 must not carry them. Every reader
    gets the same summary, with the defender utility read out of the stored result."""
    planner = as_role(Role.planner)
    client.post("/api/v1/scenarios", json=scenario(), headers=planner)
    ids = [
        client.post(
            "/api/v1/plans", json={"scenario_id": "tiny", "seed": s, "days": 1}, headers=planner
        ).json()["id"]
        for s in (1, 2, 3)
    ]
    for plan_id in ids:
        _wait(client, plan_id, planner)
    for headers in (planner, as_role(Role.admin), as_role(Role.analyst)):
        page = client.get("/api/v1/plans?limit=2&offset=1", headers=headers).json()
        assert page["total"] == 3 and [p["id"] for p in page["items"]] == ids[1::-1]
        for item in page["items"]:
            assert set(item) == {
                "id",
                "scenario_id",
                "status",
                "progress",
                "solver",
                "days",
                "created_at",
                "finished_at",
                "defender_utility",
                "worst_tie_defender_utility",
            }
            assert (item["status"], item["days"], item["solver"]) == ("done", 1, "fake")
            assert item["defender_utility"] == -1.0  # FakePlan's plan.json
    full = client.get(f"/api/v1/plans/{ids[0]}", headers=planner).json()
    assert full["result"]["defender_utility"] == -1.0 and full["seed_given"] is True


def test_analyst_sees_aggregates_but_not_the_seed(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    planner = as_role(Role.planner)
    client.post("/api/v1/scenarios", json=scenario(), headers=planner)
    plan_id = client.post(
        "/api/v1/plans", json={"scenario_id": "tiny", "seed": 1}, headers=planner
    ).json()["id"]
    _wait(client, plan_id, planner)
    analyst = as_role(Role.analyst)
    seen = client.get(f"/api/v1/plans/{plan_id}", headers=analyst).json()
    assert seen["status"] == "done" and seen["result"]["defender_utility"] == -1.0
    assert "seed" not in seen and "scenario_snapshot" not in seen
    assert client.get(f"/api/v1/plans/{plan_id}/seed", headers=analyst).status_code == 403
    listing = client.get("/api/v1/plans", headers=analyst).json()
    assert listing["total"] == 1 and "seed" not in listing["items"][0]
    assert (
        client.post("/api/v1/plans", json={"scenario_id": "tiny"}, headers=analyst).status_code
        == 403
    )


@pytest.mark.parametrize("make_planner", [failing], indirect=True)
def test_a_failing_solve_is_recorded_not_raised(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    planner = as_role(Role.planner)
    client.post("/api/v1/scenarios", json=scenario(), headers=planner)
    plan_id = client.post("/api/v1/plans", json={"scenario_id": "tiny"}, headers=planner).json()[
        "id"
    ]
    done = _wait(client, plan_id, planner)
    assert done["status"] == "failed"
    assert "no feasible patrol" in done["error"]
    assert client.get(f"/api/v1/rosters/{DAY}", headers=planner).json()["teams"] == []


def test_plan_for_an_unknown_scenario_is_404(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/plans", json={"scenario_id": "nope"}, headers=as_role(Role.planner)
    )
    assert response.status_code == 404
    assert "scenario_id" in response.json()["detail"]


@pytest.mark.skipif(
    importlib.util.find_spec("crowdguard.patrols.planner") is None, reason="planner not built yet"
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("make_planner", ["real"], indirect=True)
def test_the_real_planner_on_the_demo_for_one_day(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    from crowdguard.scenario.load import demo_scenario

    demo = demo_scenario()
    headers = as_role(Role.planner)
    stored = client.post("/api/v1/scenarios", json=demo.model_dump(mode="json"), headers=headers)
    assert stored.status_code == 201, stored.text
    plan_id = client.post(
        "/api/v1/plans", json={"scenario_id": demo.id, "seed": 5, "days": 1}, headers=headers
    ).json()["id"]
    done = _wait(client, plan_id, headers)
    assert done["status"] == "done", done["error"]
    coverage = done["result"]["coverage"]
    assert coverage and {"venue", "start", "end", "coverage", "risk"} <= set(coverage[0])
    first_day = demo.days[0].isoformat()
    day = client.get(f"/api/v1/rosters/{first_day}", headers=headers).json()
    assert {t["team"] for t in day["teams"]} <= {t.callsign for t in demo.teams}
    assert day["teams"], "the demo's first day has rosters"
    # Reproducible for audit: the stored inputs give the same plan again.
    from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
    from crowdguard.scenario.schema import Scenario

    seed = client.get(f"/api/v1/plans/{plan_id}/seed", headers=headers).json()["seed"]
    again = make_plan(
        PlanInputs.read(Scenario.model_validate(done["scenario_snapshot"])),
        PlanOptions(seed=seed, days=done["days"], what_ifs=False),
    )
    assert again.plan_json()["coverage"] == coverage


@pytest.mark.skipif(
    importlib.util.find_spec("crowdguard.patrols.planner") is None, reason="planner not built yet"
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("make_planner", ["real"], indirect=True)
def test_a_planner_reproduces_a_served_plan_with_the_cli(
    client: TestClient, as_role: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    """The audit path of docs/howto/run-the-server.md. A plan drawn in secret reproduces its
    coverage (a linear programme's optimum) from the stored snapshot, never its rosters, and
    says ``"seed": "secrets"``; a plan asked for a seed gives it (audited) to a planner, and
    ``crowdguard plan`` with it rebuilds the same rosters."""
    headers = as_role(Role.planner)
    assert client.post("/api/v1/scenarios", json=scenario(), headers=headers).status_code == 201

    def served(body: dict[str, Any]) -> dict[str, Any]:
        plan_id = client.post("/api/v1/plans", json=body, headers=headers).json()["id"]
        done = _wait(client, plan_id, headers)
        assert done["status"] == "done", done["error"]
        return done

    def replay(plan: dict[str, Any], *seed: str) -> Path:
        snapshot = tmp_path / f"plan-{plan['id']}-inputs.yaml"
        snapshot.write_text(yaml.safe_dump(plan["scenario_snapshot"]), encoding="utf-8")
        out = tmp_path / f"again-{plan['id']}"
        args = [str(snapshot), *seed, "--days", str(plan["days"]), "--out", str(out)]
        again = subprocess.run(
            [sys.executable, "-m", "crowdguard", "plan", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        replayed = json.loads((out / "plan.json").read_text())
        assert replayed["coverage"] == plan["result"]["coverage"]
        assert replayed["solver"] == plan["solver"]
        return out

    secret = served({"scenario_id": "tiny", "days": 1})
    assert secret["seed_given"] is False and secret["version"] == crowdguard.__version__
    assert secret["result"]["seed"] == "secrets"  # not "user-seed": none was given
    replay(secret)

    seeded = served({"scenario_id": "tiny", "days": 1, "seed": 7})
    assert seeded["result"]["seed"] == "user-seed"
    seed = client.get(f"/api/v1/plans/{seeded['id']}/seed", headers=headers).json()["seed"]
    out = replay(seeded, "--seed", str(seed))

    def segments(teams: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        return {
            t["team"]: [{k: v for k, v in seg.items() if v is not None} for seg in t["segments"]]
            for t in teams
        }

    stored = client.get(f"/api/v1/rosters/{DAY}", headers=headers).json()["teams"]
    cli_rosters = json.loads((out / "rosters" / f"{DAY}.json").read_text())["teams"]
    assert stored and segments(stored) == segments(cli_rosters)


def test_jobs_interrupted_by_a_stop_are_marked_failed(engine: Any, clock: Any) -> None:
    from crowdguard.jobs import service as jobs
    from crowdguard.jobs.models import PlanCreate
    from crowdguard.scenario.schema import Scenario
    from crowdguard.store.db import make_sessionmaker, session_scope
    from crowdguard.venues import service as venues

    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        venues.create_scenario(
            session=session,
            scenario=Scenario.model_validate(scenario()),
            actor="t",
            now=clock.now(),
        )
        queued = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny"), actor="t", now=clock.now()
        )
        running = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny"), actor="t", now=clock.now()
        )
        jobs.mark_running(session=session, plan_id=running.id, now=clock.now())
        ids = (queued.id, running.id)
    with session_scope(sessions) as session:
        assert jobs.fail_interrupted(session=session, now=clock.now()) == 2
    with session_scope(sessions) as session:
        for plan_id in ids:
            row = jobs.get_plan(session=session, plan_id=plan_id)
            assert row.status == "failed" and "interrupted" in (row.error or "")
        assert jobs.fail_interrupted(session=session, now=clock.now()) == 0
