"""Hostile input to the API (issue 12): a 4xx naming the field, never a 5xx, never stored.

Non-finite numbers (``NaN``, ``Infinity``, ``1e999``) used to reach the handlers (Python's
JSON parser accepts them), be stored by SQLite as ``Infinity``, break PostgreSQL with a
``DataError`` and make the 422 itself fail to encode: a 500 to anonymous callers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from server_helpers import TestClient, scenario, venue
from sqlalchemy import Engine

from crowdguard.errors import InputError
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues.tables import VenueRow

Headers = dict[str, str]
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400]
EVENT = {
    "name": "Lantern parade",
    "venue_id": "winchester-market",
    "starts_at": "2026-12-12T16:00:00+00:00",
    "ends_at": "2026-12-12T19:00:00+00:00",
    "expected_attendance": 3000,
}


def _post(client: TestClient, method: str, path: str, text: str, headers: Headers) -> Any:
    return client.request(
        method, path, content=text.encode(), headers={**headers, "Content-Type": "application/json"}
    )


def _assert_names(response: Any, *loc: object) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", *loc], detail
    assert "finite number" in detail[0]["msg"]


@pytest.fixture
def world(client: TestClient, as_role: Callable[..., Headers]) -> dict[str, Headers]:
    planner = as_role(Role.planner)
    control = as_role(Role.control)
    assert client.post("/api/v1/venues", json=venue(), headers=planner).status_code == 201
    assert client.post("/api/v1/events", json=EVENT, headers=planner).status_code == 201
    return {"planner": planner, "control": control, "anonymous": {}}


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_numbers_are_a_422_naming_the_field_on_every_write(
    client: TestClient, world: dict[str, Headers], number: str
) -> None:
    planner, control = world["planner"], world["control"]
    v = json.dumps({**venue("other-market"), "lat": 0.5})
    cases = [
        ("POST", "/api/v1/reports", f'{{"category": {number}}}', {}, ("category",)),
        ("POST", "/api/v1/reports", f"[{number}]", {}, (0,)),
        ("POST", "/api/v1/venues", v.replace("0.5", number), planner, ("lat",)),
        (
            "POST",
            "/api/v1/events",
            json.dumps({**EVENT, "expected_attendance": 1}).replace(": 1}", f": {number}}}"),
            planner,
            ("expected_attendance",),
        ),
        (
            "PATCH",
            "/api/v1/events/1",
            f'{{"expected_attendance": {number}}}',
            planner,
            ("expected_attendance",),
        ),
        (
            "POST",
            "/api/v1/plans",
            f'{{"scenario_id": "tiny", "seed": {number}}}',
            planner,
            ("seed",),
        ),
        (
            "POST",
            "/api/v1/dispatch/recommend",
            f'{{"location": {{"lat": {number}, "lon": -1.31}}}}',
            control,
            ("location", "lat"),
        ),
        (
            "POST",
            "/api/v1/dispatch/tasks",
            f'{{"location": {{"lat": 51.06, "lon": {number}}}, "description": "a fight"}}',
            control,
            ("location", "lon"),
        ),
        (
            "POST",
            "/api/v1/security-plans",
            '{"event_id": 1, "plan": {"physical_security": {"time_to_secure_minutes": '
            f"{number}}}}}}}",
            planner,
            ("plan", "physical_security", "time_to_secure_minutes"),
        ),
    ]
    for method, path, text, headers, loc in cases:
        _assert_names(_post(client, method, path, text, headers), *loc)


def test_media_types_are_case_insensitive(client: TestClient, world: dict[str, Headers]) -> None:
    # RFC 9110 section 8.3.1: the NUL filter and the number check apply whatever the case.
    nul = client.post(
        "/api/v1/auth/token",
        content=b"username=ad%00min&password=xxxxxxxxxx",
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded"},
    )
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]
    json_upper = _post(client, "POST", "/api/v1/reports", '{"category": NaN}', {})
    upper = client.post(
        "/api/v1/reports",
        content=b'{"category": NaN}',
        headers={"Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert json_upper.status_code == upper.status_code == 422


def test_nesting_past_the_limit_is_a_422(client: TestClient, world: dict[str, Headers]) -> None:
    body = '{"event_id": 1, "plan": ' + "[" * 5000 + "]" * 5000 + "}"
    response = _post(client, "POST", "/api/v1/security-plans", body, world["planner"])
    assert response.status_code == 422
    assert "nested" in response.json()["detail"][0]["msg"]


def test_ordinary_numbers_with_exponents_still_pass(
    client: TestClient, world: dict[str, Headers]
) -> None:
    body = json.dumps({**venue("exponent-market"), "lat": 0.5}).replace("0.5", "5.10606e1")
    response = _post(client, "POST", "/api/v1/venues", body, world["planner"])
    assert response.status_code == 201, response.text


def test_non_finite_numbers_are_never_stored(engine: Engine, clock: FakeClock) -> None:
    """The store refuses them whatever path they come by (the edge's backstop): a float
    column, a number deep in a JSON column, and an integer past 64 bits."""
    from crowdguard.jobs.tables import PlanRow

    sessions = make_sessionmaker(engine)

    def plan(**changes: Any) -> PlanRow:
        fields: dict[str, Any] = {
            "scenario_id": "tiny",
            "scenario_snapshot": scenario(),
            "status": "queued",
            "progress": 0.0,
            "seed": 1,
            "seed_given": True,
            "version": "t",
            "created_at": clock.now(),
        }
        return PlanRow(**{**fields, **changes})

    snapshot = scenario()
    snapshot["venues"][0]["lat"] = math.nan
    for row, where in (
        (plan(progress=math.inf), r"plans\.progress: not a finite number"),
        (plan(scenario_snapshot=snapshot), r"plans\.scenario_snapshot\.venues\[0\]\.lat: "),
        (plan(seed=10**400), r"plans\.seed: not a finite number in range"),
        (
            VenueRow(
                id="m",
                name="m",
                data={"lat": -math.inf},
                created_at=clock.now(),
                updated_at=clock.now(),
            ),
            r"venues\.data\.lat",
        ),
    ):
        with pytest.raises(InputError, match=where), session_scope(sessions) as session:
            session.add(row)
    with session_scope(sessions) as session:  # and a finite row goes in as before
        session.add(plan())


def test_a_validation_error_quoting_infinity_still_encodes() -> None:
    import asyncio

    from fastapi.exceptions import RequestValidationError

    from crowdguard.api.errors import _request_validation_error

    error = RequestValidationError(
        [{"loc": ("query", "x"), "msg": "too big", "type": "less_than", "input": math.inf}]
    )
    response = asyncio.run(_request_validation_error(None, error))  # type: ignore[arg-type]
    assert response.status_code == 422
    assert json.loads(response.body)["detail"][0]["input"] == "inf"


def test_every_answer_says_nosniff(client: TestClient, world: dict[str, Headers]) -> None:
    for response in (
        client.get("/api/v1/health"),
        client.get("/api/v1/venues"),  # 401
        client.get("/api/v1/venues", headers=world["planner"]),
        _post(client, "POST", "/api/v1/reports", "[NaN]", {}),  # answered by the middleware
        client.get("/api/v1/nowhere"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/venues", "GET, OPTIONS, POST"),
        ("/api/v1/venues/winchester-market", "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/reports", "GET, OPTIONS, POST"),
        ("/api/v1/events/1", "DELETE, GET, OPTIONS, PATCH"),
    ],
)
def test_allow_lists_every_method_of_the_resource(
    client: TestClient, path: str, methods: str
) -> None:
    options = client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == methods
    wrong = client.put(path)
    assert wrong.status_code == 405 and wrong.headers["allow"] == methods
    assert client.options("/api/v1/nowhere").status_code == 404


def test_a_roster_date_must_be_a_date(
    client: TestClient, as_role: Callable[..., Headers], app: FastAPI
) -> None:
    admin = as_role(Role.admin)
    for text in ("0", "1733356800", "2026-02-30", "5th December"):
        response = client.get(f"/api/v1/rosters/{text}", headers=admin)
        assert response.status_code == 422, text
        assert response.json()["detail"][0]["loc"] == ["path", "date"]
    assert client.get("/api/v1/rosters/2026-12-05", headers=admin).status_code == 200
    del app  # the fixture only builds the app
