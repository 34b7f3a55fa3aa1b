"""Every endpoint x every role (and the anonymous public): allowed or refused as documented.

The expected matrix below is written by hand from the access rules in ``docs/api.md``; a
test also checks it names every operation in the OpenAPI document, so a new endpoint
cannot slip in without a decision about who may call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_helpers import roster_contract, scenario, team, venue
from sqlalchemy import Engine

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.schema import Scenario, Team, Venue
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues import service as venues
from crowdguard.venues.models import EventCreate

A, P, C, OF, G, N = (
    Role.admin,
    Role.planner,
    Role.control,
    Role.officer,
    Role.organiser,
    Role.analyst,
)
EVERYONE = {A, P, C, OF, G, N}
DAY = "2026-12-05"
PERIOD = "2026-11-01:2027-01-31"
REF = "CG-AAAA-BBBB"  # no such report: allowed roles get 404, others 403
EVENT = {
    "name": "Lantern parade",
    "venue_id": "winchester-market",
    "starts_at": "2026-12-12T16:00:00+00:00",
    "ends_at": "2026-12-12T19:00:00+00:00",
    "expected_attendance": 3000,
}

# (method, path template, body, roles allowed). Anonymous is refused everywhere but /health.
MATRIX: list[tuple[str, str, Any, set[Role]]] = [
    ("GET", "/api/v1/auth/me", None, EVERYONE),
    ("GET", "/api/v1/users", None, {A}),
    (
        "POST",
        "/api/v1/users",
        {"username": "new-{role}", "password": "long enough pw", "role": "analyst"},
        {A},
    ),
    ("GET", "/api/v1/users/1", None, {A}),
    ("PATCH", "/api/v1/users/1", {"active": True}, {A}),
    ("DELETE", "/api/v1/users/999999", None, {A}),
    ("GET", "/api/v1/venues", None, {A, P, C, N}),
    ("POST", "/api/v1/venues", venue("venue-{role}"), {A, P}),
    ("GET", "/api/v1/venues/winchester-market", None, {A, P, C, N}),
    ("PATCH", "/api/v1/venues/winchester-market", {"peak_occupancy": 2500}, {A, P}),
    ("DELETE", "/api/v1/venues/no-such-venue", None, {A, P}),
    ("GET", "/api/v1/teams", None, {A, P, C}),
    ("POST", "/api/v1/teams", team("team-{role}"), {A, P}),
    ("GET", "/api/v1/teams/arv-1", None, {A, P, C}),
    ("PATCH", "/api/v1/teams/arv-1", {"kind": "arv"}, {A, P}),
    ("DELETE", "/api/v1/teams/no-such-team", None, {A, P}),
    ("GET", "/api/v1/scenarios", None, {A, P}),
    ("POST", "/api/v1/scenarios", {**scenario(), "id": "scenario-{role}"}, {A, P}),
    ("GET", "/api/v1/scenarios/tiny", None, {A, P}),
    ("PUT", "/api/v1/scenarios/tiny", scenario("tiny"), {A, P}),
    ("DELETE", "/api/v1/scenarios/no-such-scenario", None, {A, P}),
    ("GET", "/api/v1/events", None, {A, P, C, N, G}),
    ("POST", "/api/v1/events", EVENT, {A, P, G}),
    ("GET", "/api/v1/events/venue-choices", None, {A, P, G}),
    ("GET", "/api/v1/events/1", None, {A, P, C, N, G}),
    ("PATCH", "/api/v1/events/1", {"expected_attendance": 3100}, {A, P, G}),
    ("DELETE", "/api/v1/events/999999", None, {A, P, G}),
    ("POST", "/api/v1/plans", {"scenario_id": "no-such-scenario"}, {A, P}),
    ("GET", "/api/v1/plans", None, {A, P, N}),
    ("GET", "/api/v1/plans/1", None, {A, P, N}),
    ("GET", "/api/v1/plans/1/seed", None, {A, P}),
    ("GET", "/api/v1/plans/1/rosters", None, {A, P}),
    ("GET", "/api/v1/plans/1/report", None, {A, P}),
    ("GET", f"/api/v1/rosters/{DAY}", None, {A, P, C, OF}),
    ("GET", f"/api/v1/rosters/{DAY}/teams/arv-1", None, {A, P, C, OF}),
    ("GET", f"/api/v1/rosters/{DAY}/teams/arv-2", None, {A, P, C}),
    ("GET", "/api/v1/audit", None, {A}),
    ("GET", "/api/v1/audit/verify", None, {A}),
    # Event security plans: organisers submit and read their own (404 for anyone else's).
    ("GET", "/api/v1/security-plans", None, {A, P, G}),
    ("POST", "/api/v1/security-plans", {"event_id": 1, "plan": {}}, {A, P, G}),
    ("GET", "/api/v1/security-plans/queue", None, {A, P}),
    ("GET", "/api/v1/security-plans/counts", None, {A, P, N}),
    ("GET", "/api/v1/security-plans/1", None, {A, P, G}),
    ("GET", "/api/v1/security-plans/1/versions/1", None, {A, P, G}),
    ("POST", "/api/v1/security-plans/1/versions", {"plan": {}}, {A, P, G}),
    ("GET", "/api/v1/security-plans/1/review", None, {A, P, G}),
    ("GET", "/api/v1/security-plans/1/letter", None, {A, P, G}),
    ("POST", "/api/v1/security-plans/1/status", {"status": "under_review"}, {A, P}),
    (
        "POST",
        "/api/v1/security-plans/1/overrides",
        {"rule": "P3", "status": "adequate", "reason": "seen on site"},
        {A, P},
    ),
    # Reports of concern: the control room reads and grades; intake is public (below).
    ("GET", "/api/v1/reports", None, {A, C}),
    ("GET", f"/api/v1/reports/{REF}", None, {A, C}),
    ("POST", f"/api/v1/reports/{REF}/grade", {"grade": "priority", "reason": "why"}, {A, C}),
    ("POST", f"/api/v1/reports/{REF}/duplicate-of", {"of": "CG-ZZZZ-ZZZZ"}, {A, C}),
    # Dispatch: control room and admins only.
    ("GET", "/api/v1/dispatch/units", None, {A, C}),
    ("GET", "/api/v1/dispatch/places", None, {A, C}),
    ("POST", "/api/v1/dispatch/recommend", {"location": {"lat": 51.06, "lon": -1.31}}, {A, C}),
    ("POST", "/api/v1/dispatch/assign", {"unit": "arv-1", "report": REF}, {A, C}),
    ("POST", "/api/v1/dispatch/units/no-such-team/release", None, {A, C}),
    ("POST", "/api/v1/dispatch/units/no-such-team/state", {"state": "off_duty"}, {A, C}),
    ("POST", "/api/v1/dispatch/units/no-such-team/replan", {}, {A, C}),
    (
        "POST",
        "/api/v1/dispatch/tasks",
        {"location": {"lat": 51.06, "lon": -1.31}, "description": "999 call: a fight"},
        {A, C},
    ),
    ("GET", "/api/v1/dispatch/tasks", None, {A, C}),
    ("GET", "/api/v1/dispatch/tasks/999999", None, {A, C}),
    ("POST", "/api/v1/dispatch/tasks/999999/close", {"outcome": "resolved"}, {A, C}),
    # Statistics: aggregates only, for analysts, planners and admins (no roster, no report).
    ("GET", f"/api/v1/stats/operations?period={PERIOD}", None, {A, P, N}),
    ("GET", f"/api/v1/stats/response?period={PERIOD}", None, {A, P, N}),
    ("GET", f"/api/v1/stats/patrols?period={PERIOD}", None, {A, P, N}),
    ("GET", f"/api/v1/stats/reports?period={PERIOD}", None, {A, P, N}),
    ("GET", f"/api/v1/stats/plan-reviews?period={PERIOD}", None, {A, P, N}),
    ("GET", f"/api/v1/stats/tables/patrol-hours?period={PERIOD}", None, {A, P, N}),
    # The operations log names units and times: control room and admins only.
    ("GET", "/api/v1/operations", None, {A, C}),
    (
        "POST",
        "/api/v1/operations",
        {
            "incident": "escort-{role}",
            "unit": "arv-1",
            "purpose": "escort",
            "authorised_at": "2026-12-05T10:00:00+00:00",
            "authorised_by": "insp-tfc",
        },
        {A, C},
    ),
    ("PATCH", "/api/v1/operations/999999", {"discharges": 0}, {A, C}),
]
# A stored result with everything plan.json can carry that analysts must not see.
RESULT: dict[str, Any] = {
    "solver": "fake",
    "defender_utility": -1.0,
    "seed": "user-seed",
    "attacked_target": "winchester-market@2026-12-05T10:00:00+00:00",
    "attack_set": ["winchester-market@2026-12-05T10:00:00+00:00"],
    "coverage": [
        {
            "venue": "winchester-market",
            "start": "2026-12-05T10:00:00+00:00",
            "end": "2026-12-05T11:00:00+00:00",
            "coverage": 0.5,
            "risk": 42.0,
        }
    ],
    "plan_reviews": [
        {"venue": "winchester-market", "event": "lantern-parade", "tier": "enhanced",
         "verdict": "not_compliant", "findings_moving_risk": ["lockdown"], "multipliers": {}}
    ],
}  # fmt: skip
# Fields each role must never receive in any answer it gets (issue 12, item 8: an
# authorisation matrix on fields, not only on operations). ``seed`` is nobody's but through
# GET /plans/{id}/seed.
NEVER: dict[Role, set[str]] = {
    A: set(),
    P: set(),
    C: {"seed", "scenario_snapshot", "plan_reviews"},
    OF: {"seed", "scenario_snapshot", "plan_reviews", "contact", "risk"},
    G: {"seed", "scenario_snapshot", "plan_reviews", "segments", "risk", "footfall"},
    N: {
        "seed",
        "scenario_snapshot",
        "security_plans",
        "plan_reviews",
        "findings_moving_risk",
        "multipliers",
        "attack_set",
        "attacked_target",
        "risk",
        "segments",
        "contact",
    },
}
# Open to everyone, the anonymous public included (checked below).
PUBLIC: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/reports", None),  # body built per call (the report of concern)
]
# Not in the matrix: /auth/token (anyone may try to log in), /auth/logout (covered in
# test_auth), /health (public liveness, checked below), /board/stream (an endless
# event stream: its access is tested in tests/server/test_board.py).
UNMATRIXED = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/board/stream"),
}


@pytest.fixture
def world(engine: Engine, clock: FakeClock, add_user: Callable[..., int]) -> None:
    """A venue, two teams, a scenario, an event owned by someone else, and published rosters."""
    owner = add_user("someone-else", Role.organiser)
    with session_scope(make_sessionmaker(engine)) as session:
        now = clock.now()
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=now
        )
        for callsign in ("arv-1", "arv-2"):
            venues.create_team(
                session=session, team=Team.model_validate(team(callsign)), actor="t", now=now
            )
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(scenario()), actor="t", now=now
        )
        venues.create_event(
            session=session,
            data=EventCreate.model_validate(EVENT),
            organiser_id=owner,
            actor="t",
            now=now,
        )
        plan = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny", seed=1), actor="t", now=now
        )
        jobs.finish_plan(
            session=session,
            plan_id=plan.id,
            now=now,
            result=RESULT,
            rosters={DAY: roster_contract(DAY, ["arv-1", "arv-2"])},
        )
    clock.set(dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC))  # mid-shift: officers may look


def _call(
    client: TestClient, method: str, path: str, body: Any, headers: dict[str, str], role: str
) -> int:
    if isinstance(body, dict):
        import json

        body = json.loads(json.dumps(body).replace("{role}", role))
    return client.request(method, path, json=body, headers=headers).status_code


def _template(path: str) -> str:
    """Replace every concrete id in a path by ``{x}``, and every ``{name}`` likewise."""
    ids = {
        "1",
        "999999",
        "winchester-market",
        "no-such-venue",
        "arv-1",
        "arv-2",
        "no-such-team",
        "tiny",
        "no-such-scenario",
        "patrol-hours",
        DAY,
        REF,
    }
    path = path.split("?", 1)[0]
    return "/".join("{x}" if p in ids or p.startswith("{") else p for p in path.split("/"))


def test_matrix_covers_every_operation(app: FastAPI) -> None:
    spec = app.openapi()
    operations = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    expected = {(m, _template(p)) for m, p in operations - UNMATRIXED}
    covered = {(m, _template(p)) for m, p, _, _ in MATRIX} | {(m, p) for m, p, _ in PUBLIC}
    assert covered == expected


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_gets_exactly_its_rights(
    client: TestClient, world: None, as_role: Callable[..., dict[str, str]], role: Role
) -> None:
    headers = as_role(role, team="arv-1" if role is Role.officer else None)
    wrong = []
    for method, path, body, allowed in MATRIX:
        status = _call(client, method, path, body, headers, role.value)
        assert status < 500, f"{method} {path} as {role.value}: {status}"
        if (role in allowed) == (status == 403):
            wrong.append(f"{method} {path}: {status} (allowed={role in allowed})")
        assert status != 401, f"{method} {path} as {role.value}: 401 with a valid token"
    assert wrong == [], f"{role.value}: " + "; ".join(wrong)


def _keys(value: Any) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_no_role_receives_a_field_it_must_not_see(
    client: TestClient, world: None, as_role: Callable[..., dict[str, str]], role: Role
) -> None:
    """Every GET a role may call, every field of the answer: analysts get aggregates only
    (no security plan by event, no risk, no attack set), nobody gets a seed from an
    ordinary read."""
    headers = as_role(role, team="arv-1" if role is Role.officer else None)
    seen: dict[str, set[str]] = {}
    for method, path, _, allowed in MATRIX:
        if method != "GET" or role not in allowed or path.endswith("/seed"):
            continue
        response = client.get(path, headers=headers)
        if response.status_code == 200 and "json" in response.headers["content-type"]:
            seen[path] = _keys(response.json()) & NEVER[role]
    assert {p: f for p, f in seen.items() if f} == {}
    if role is N:
        result = client.get("/api/v1/plans/1", headers=headers).json()["result"]
        assert result["plan_reviews_by_tier"] == {"enhanced": 1}
        assert result["coverage"][0]["coverage"] == 0.5


def _concern() -> dict[str, Any]:
    return {
        "category": "unattended_item",
        "location": {"venue_id": "winchester-market"},
        "observed_at": "2026-12-05T11:50:00+00:00",
        "description": "A rucksack left under a bench for twenty minutes",
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_public_gets_nothing_but_health_and_the_report_form(
    client: TestClient, world: None
) -> None:
    for method, path, body, _ in MATRIX:
        assert _call(client, method, path, body, {}, "anon") == 401, f"{method} {path}"
    assert client.get("/api/v1/health").status_code == 200
    for method, path, _ in PUBLIC:
        r = client.request(method, path, json=_concern())
        assert r.status_code == 201, r.text
        assert set(r.json()) == {"reference", "received_at", "message"}  # no grade, no location


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_may_report_a_concern(
    client: TestClient, world: None, as_role: Callable[..., dict[str, str]], role: Role
) -> None:
    headers = as_role(role, team="arv-1" if role is Role.officer else None)
    for method, path, _ in PUBLIC:
        assert client.request(method, path, json=_concern(), headers=headers).status_code == 201


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_organiser_sees_and_changes_only_their_own_events(
    client: TestClient, world: None, as_role: Callable[..., dict[str, str]]
) -> None:
    mine = as_role(Role.organiser, username="orla")
    created = client.post("/api/v1/events", json={**EVENT, "organiser_id": 1}, headers=mine)
    assert created.status_code == 201
    assert created.json()["organiser_id"] != 1  # forced to the caller
    listing = client.get("/api/v1/events", headers=mine).json()
    assert [e["id"] for e in listing["items"]] == [created.json()["id"]]
    assert client.get("/api/v1/events/1", headers=mine).status_code == 404  # someone else's
    assert client.patch("/api/v1/events/1", json={"name": "x"}, headers=mine).status_code == 404
    assert client.delete("/api/v1/events/1", headers=mine).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_organiser_finds_the_venue_id_for_an_event_without_seeing_risk_estimates(
    client: TestClient, world: None, as_role: Callable[..., dict[str, str]]
) -> None:
    mine = as_role(Role.organiser, username="orla")
    assert client.get("/api/v1/venues", headers=mine).status_code == 403
    choices = client.get("/api/v1/events/venue-choices", headers=mine).json()
    assert choices["total"] == 1
    (choice,) = choices["items"]
    assert set(choice) == {"id", "name", "town", "kind"}  # no footfall, attractiveness, HVM
    event = {**EVENT, "venue_id": choice["id"]}
    assert client.post("/api/v1/events", json=event, headers=mine).status_code == 201
