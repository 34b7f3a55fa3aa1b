"""Over the API a venue may link only a shipped security plan: the server reads no client path."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import scenario, venue

from crowdguard.users.models import Role


@pytest.mark.parametrize("link", ["/etc/hostname.yaml", "../../secrets.json", "plans/mine.yml"])
def test_file_links_are_refused_everywhere(
    client: TestClient, as_role: Callable[..., dict[str, str]], link: str
) -> None:
    headers = as_role(Role.planner)
    body = scenario("linked")
    body["venues"][0]["security_plan"] = link
    created = client.post("/api/v1/scenarios", json=body, headers=headers)
    assert created.status_code == 400
    assert "venues[0].security_plan" in created.json()["detail"]
    assert client.get("/api/v1/scenarios/linked", headers=headers).status_code == 404

    single: dict[str, Any] = {**venue("linked-venue"), "security_plan": link}
    assert client.post("/api/v1/venues", json=single, headers=headers).status_code == 400


def test_shipped_plans_may_be_linked(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    headers = as_role(Role.planner)
    body = scenario("linked")
    body["venues"][0] = venue("winchester-cathedral-market")
    body["venues"][0]["security_plan"] = "demo:winchester-cathedral-market"
    assert client.post("/api/v1/scenarios", json=body, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("link", "says"),
    [
        ("demo:no-such-plan", "is not a shipped plan; expected one of demo:"),
        (
            "demo:portsmouth-guildhall-ice-rink",
            "is for venue 'portsmouth-guildhall-square-ice-rink'",
        ),
    ],
)
def test_links_the_cli_refuses_are_refused_at_once(
    client: TestClient, as_role: Callable[..., dict[str, str]], link: str, says: str
) -> None:
    """Server validation mirrors ``crowdguard plan``: a missing shipped plan, or one for
    another venue, is a 400 naming the field when stored, not a plan job failing later."""
    from crowdguard.errors import ScenarioError
    from crowdguard.scenario.load import parse_scenario

    headers = as_role(Role.planner)
    body = scenario("linked")
    body["venues"][0]["security_plan"] = link
    with pytest.raises(ScenarioError, match=r"venues\[0\]\.security_plan"):
        parse_scenario(json.dumps(body), source="linked.json")  # what the CLI says
    created = client.post("/api/v1/scenarios", json=body, headers=headers)
    assert created.status_code == 400
    detail = created.json()["detail"]
    assert detail.startswith("venues[0].security_plan: ") and says in detail
    assert "/" not in detail.split(": ", 1)[1].replace("demo:", "")  # no server path
    single: dict[str, Any] = {**venue(), "security_plan": link}
    assert client.post("/api/v1/venues", json=single, headers=headers).status_code == 400
