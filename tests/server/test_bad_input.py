"""Bad input gets a 4xx naming the field, never a 5xx or a traceback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from server_helpers import scenario, venue

from crowdguard.users.models import Role


@pytest.fixture
def planner(as_role: Callable[..., dict[str, str]]) -> dict[str, str]:
    return as_role(Role.planner)


def _fields(response_json: dict[str, object]) -> list[str]:
    detail = response_json["detail"]
    assert isinstance(detail, list)
    return [".".join(str(p) for p in d["loc"]) for d in detail]  # type: ignore[index]


def test_oversized_body_is_413(client: TestClient, planner: dict[str, str], app) -> None:  # type: ignore[no-untyped-def]
    limit = app.state.context.settings.max_body_bytes
    body = {**venue(), "source": "x" * (limit + 10)}
    response = client.post("/api/v1/venues", json=body, headers=planner)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_oversized_streamed_body_without_length_is_413(
    client: TestClient,
    planner: dict[str, str],
    app,  # type: ignore[no-untyped-def]
) -> None:
    limit = app.state.context.settings.max_body_bytes

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/venues",
        content=chunks(),
        headers={**planner, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/0",
        "/api/v1/events/2147483648",
        "/api/v1/plans/99999999999999999999",
        "/api/v1/users/-1",
    ],
)
def test_ids_out_of_range_are_422(
    client: TestClient, as_role: Callable[..., dict[str, str]], path: str
) -> None:
    response = client.get(path, headers=as_role(Role.admin))
    assert response.status_code == 422
    assert any(f.endswith("_id") for f in _fields(response.json()))


def test_unknown_fields_are_rejected_by_name(client: TestClient, planner: dict[str, str]) -> None:
    response = client.post("/api/v1/venues", json={**venue(), "colour": "red"}, headers=planner)
    assert response.status_code == 422
    assert "body.colour" in _fields(response.json())


def test_wrong_types_are_reported_per_field(client: TestClient, planner: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/venues",
        json={**venue(), "peak_occupancy": "lots", "lat": "north"},
        headers=planner,
    )
    assert response.status_code == 422
    fields = _fields(response.json())
    assert "body.peak_occupancy" in fields and "body.lat" in fields


def test_server_validation_mirrors_the_scenario_model(
    client: TestClient, planner: dict[str, str]
) -> None:
    paris = client.post("/api/v1/venues", json=venue(lat=48.85, lon=2.35), headers=planner)
    assert paris.status_code == 422
    assert "outside the United Kingdom" in paris.text
    bad_team = {
        **scenario(),
        "teams": [{"callsign": "arv-1", "base": "nowhere", "shifts": ["10:00-16:00"]}],
    }
    response = client.post("/api/v1/scenarios", json=bad_team, headers=planner)
    assert response.status_code == 422
    assert "teams[0].base" in response.text


def test_bad_partial_update_names_the_field(client: TestClient, planner: dict[str, str]) -> None:
    client.post("/api/v1/venues", json=venue(), headers=planner)
    response = client.patch(
        "/api/v1/venues/winchester-market", json={"capacity": 10}, headers=planner
    )  # below peak_occupancy 2400
    assert response.status_code == 400
    assert response.json()["detail"].startswith("venue.")
    assert "capacity" in response.json()["detail"]


def test_malformed_json_is_422_not_500(client: TestClient, planner: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/venues",
        content=b"{not json",
        headers={**planner, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_nul_characters_are_refused(client: TestClient, planner: dict[str, str]) -> None:
    response = client.post("/api/v1/venues", json={**venue(), "name": "a\u0000b"}, headers=planner)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_bad_pagination_is_422(client: TestClient, planner: dict[str, str]) -> None:
    for query in ("limit=0", "limit=201", "offset=-1", "limit=ten"):
        response = client.get(f"/api/v1/venues?{query}", headers=planner)
        assert response.status_code == 422, query


def test_pagination_windows_and_total(client: TestClient, planner: dict[str, str]) -> None:
    for i in range(5):
        client.post("/api/v1/venues", json=venue(f"venue-{i}"), headers=planner)
    page = client.get("/api/v1/venues?limit=2&offset=3", headers=planner).json()
    assert page["total"] == 5
    assert [v["id"] for v in page["items"]] == ["venue-3", "venue-4"]


def test_event_times_need_an_offset_and_order(client: TestClient, planner: dict[str, str]) -> None:
    client.post("/api/v1/venues", json=venue(), headers=planner)
    base = {"name": "Parade", "venue_id": "winchester-market", "expected_attendance": 10}
    naive = client.post(
        "/api/v1/events",
        json={**base, "starts_at": "2026-12-12T16:00:00", "ends_at": "2026-12-12T18:00:00"},
        headers=planner,
    )
    assert naive.status_code == 422 and "body.starts_at" in _fields(naive.json())
    backwards = client.post(
        "/api/v1/events",
        json={**base, "starts_at": "2026-12-12T18:00:00Z", "ends_at": "2026-12-12T16:00:00Z"},
        headers=planner,
    )
    assert backwards.status_code == 422 and "ends_at" in backwards.text


def test_percent_zero_zero_in_json_text_is_fine(
    client: TestClient, planner: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/venues", json={**venue(), "name": "Sale 50%00 off"}, headers=planner
    )
    assert response.status_code == 201


def test_nul_in_a_login_form_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "ad\x00min", "password": "x" * 10}
    )
    assert response.status_code == 400
