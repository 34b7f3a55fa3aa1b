"""Need-to-know rosters: who sees which team's assignment, and when."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import roster_contract, scenario
from sqlalchemy import Engine

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.schema import Scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

DAY = "2026-12-05"  # GMT in December: 10:00 local is 10:00 UTC
DAY_URL = f"/api/v1/rosters/{DAY}"


@pytest.fixture
def published(engine: Engine, clock: FakeClock) -> int:
    """A finished plan with rosters for arv-1 and arv-2 on DAY, shifts from 10:00."""
    with session_scope(make_sessionmaker(engine)) as session:
        venues.create_scenario(
            session=session,
            scenario=Scenario.model_validate(scenario()),
            actor="t",
            now=clock.now(),
        )
        plan = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny", seed=7), actor="t", now=clock.now()
        )
        jobs.finish_plan(
            session=session,
            plan_id=plan.id,
            now=clock.now(),
            result={"solver": "fake", "coverage": []},
            rosters={DAY: roster_contract(DAY, ["arv-1", "arv-2"])},
        )
        return plan.id


def test_planner_sees_every_team(
    client: TestClient, as_role: Callable[..., dict[str, str]], published: int
) -> None:
    response = client.get(DAY_URL, headers=as_role(Role.planner))
    assert response.status_code == 200
    body = response.json()
    assert [t["team"] for t in body["teams"]] == ["arv-1", "arv-2"]
    assert body["plan_id"] == published
    segments = body["teams"][0]["segments"]
    assert [s["kind"] for s in segments] == ["transit", "patrol", "base"]
    assert segments[1]["venue"] == "winchester-market"


def test_control_sees_every_team(
    client: TestClient, as_role: Callable[..., dict[str, str]], published: int
) -> None:
    assert len(client.get(DAY_URL, headers=as_role(Role.control)).json()["teams"]) == 2


def test_officer_sees_nothing_before_the_lead_time(
    client: TestClient, as_role: Callable[..., dict[str, str]], clock: FakeClock, published: int
) -> None:
    officer = as_role(Role.officer, team="arv-1")
    clock.set(dt.datetime(2026, 12, 5, 7, 59, tzinfo=dt.UTC))  # shift at 10:00, lead 2 h
    # Not an empty 200 an officer would read as "no plan today": when it will be visible.
    for url in (DAY_URL, f"{DAY_URL}/teams/arv-1"):
        too_early = client.get(url, headers=officer)
        assert too_early.status_code == 403
        detail = too_early.json()["detail"]
        assert "your team's roster for Sat 05 Dec 2026 is visible from 08:00 (Europe/London)" in (
            detail
        )
        assert "winchester-market" not in detail and "plan" not in detail  # nothing leaks


def test_officer_sees_own_team_from_the_lead_time(
    client: TestClient, as_role: Callable[..., dict[str, str]], clock: FakeClock, published: int
) -> None:
    officer = as_role(Role.officer, team="arv-1")
    clock.set(dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC))
    day = client.get(DAY_URL, headers=officer).json()
    assert [t["team"] for t in day["teams"]] == ["arv-1"]
    own = client.get(f"{DAY_URL}/teams/arv-1", headers=officer)
    assert own.status_code == 200
    assert own.json()["team"] == "arv-1"


def test_officer_never_sees_another_team(
    client: TestClient, as_role: Callable[..., dict[str, str]], clock: FakeClock, published: int
) -> None:
    officer = as_role(Role.officer, team="arv-1")
    clock.set(dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC))  # mid-shift
    response = client.get(f"{DAY_URL}/teams/arv-2", headers=officer)
    assert response.status_code == 403
    assert "arv-2" not in {t["team"] for t in client.get(DAY_URL, headers=officer).json()["teams"]}


def test_lead_time_is_configurable(
    settings,
    engine: Engine,
    clock: FakeClock,
    published: int,
    add_user: Callable[..., int],  # type: ignore[no-untyped-def]
) -> None:
    import dataclasses

    from server_helpers import PASSWORD
    from server_helpers import TestClient as Client

    from crowdguard.api.app import create_app

    short = dataclasses.replace(settings, officer_lead_minutes=30)
    add_user("olly", Role.officer, "arv-1")
    with Client(create_app(short, clock=clock, engine=engine)) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "olly", "password": PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        clock.set(dt.datetime(2026, 12, 5, 9, 29, tzinfo=dt.UTC))
        assert client.get(f"{DAY_URL}/teams/arv-1", headers=headers).status_code == 403
        clock.set(dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC))
        assert client.get(f"{DAY_URL}/teams/arv-1", headers=headers).status_code == 200


@pytest.mark.parametrize("role", [Role.analyst, Role.organiser])
def test_analysts_and_organisers_never_see_rosters(
    client: TestClient, as_role: Callable[..., dict[str, str]], published: int, role: Role
) -> None:
    headers = as_role(role)
    assert client.get(DAY_URL, headers=headers).status_code == 403
    assert client.get(f"{DAY_URL}/teams/arv-1", headers=headers).status_code == 403


def test_public_sees_nothing(client: TestClient, published: int) -> None:
    assert client.get(DAY_URL).status_code == 401
    assert client.get(f"{DAY_URL}/teams/arv-1").status_code == 401


def test_every_roster_read_and_refusal_is_audited(
    client: TestClient, as_role: Callable[..., dict[str, str]], clock: FakeClock, published: int
) -> None:
    planner = as_role(Role.planner)
    officer = as_role(Role.officer, team="arv-1")
    client.get(DAY_URL, headers=planner)
    client.get(f"{DAY_URL}/teams/arv-2", headers=officer)  # refused
    admin = as_role(Role.admin)
    entries = client.get("/api/v1/audit?limit=200", headers=admin).json()["items"]
    reads = [(e["actor"], e["action"], e["entity_id"]) for e in entries if e["entity"] == "roster"]
    assert ("planner-user", "roster.read", DAY) in reads
    assert ("officer-user", "roster.denied", f"{DAY}/arv-2") in reads
    assert client.get("/api/v1/audit/verify", headers=admin).json()["intact"] is True


def test_an_officer_with_no_roster_that_day_gets_an_empty_list(
    client: TestClient, as_role: Callable[..., dict[str, str]], clock: FakeClock, published: int
) -> None:
    clock.set(dt.datetime(2026, 12, 5, 7, 0, tzinfo=dt.UTC))
    unrostered = as_role(Role.officer, team="arv-7")
    body = client.get(DAY_URL, headers=unrostered).json()
    assert body["teams"] == [] and body["plan_id"] is None and body["more_from"] is None
    rostered = as_role(Role.officer, team="arv-1", username="olly")
    no_plan = client.get("/api/v1/rosters/2026-12-24", headers=rostered)
    assert no_plan.status_code == 200 and no_plan.json()["teams"] == []


def test_a_day_without_a_plan_is_empty_and_an_unknown_team_is_404(
    client: TestClient, as_role: Callable[..., dict[str, str]], published: int
) -> None:
    planner = as_role(Role.planner)
    assert client.get("/api/v1/rosters/2026-12-24", headers=planner).json()["teams"] == []
    assert client.get(f"{DAY_URL}/teams/arv-9", headers=planner).status_code == 404


def test_roster_contents_never_reach_the_logs(
    client: TestClient,
    as_role: Callable[..., dict[str, str]],
    clock: FakeClock,
    published: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # SQL echo on: values must stay hidden
    planner = as_role(Role.planner)
    officer = as_role(Role.officer, team="arv-1")
    clock.set(dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC))
    client.get(DAY_URL, headers=planner)
    client.get(f"{DAY_URL}/teams/arv-1", headers=officer)
    client.get(f"{DAY_URL}/teams/arv-2", headers=officer)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("winchester-market", "10:20", "2026-12-05T10:00", "hq-eastleigh", "patrol"):
        assert secret not in logged


def _segment(kind: str, start: str, end: str, venue: str | None = None) -> dict[str, object]:
    at = lambda hhmm: f"{DAY}T{hhmm}:00"  # noqa: E731 (local time, GMT in December)
    body: dict[str, object] = {"kind": kind, "start": at(start), "end": at(end)}
    if venue is not None:
        body["venue"] = venue
    return body


def _publish_split_day(engine: Engine, clock: FakeClock, shifts: list[str], team: str) -> None:
    """A plan whose scenario gives arv-1 ``shifts`` and whose roster has a morning run
    (10:00-12:00) and an evening run (starting 16:00 or 18:00) for ``team``."""
    body = scenario("split")
    body["teams"][0]["shifts"] = shifts
    evening = "16:00" if shifts[-1].startswith("16") else "18:00"
    roster = {
        "date": DAY,
        "teams": [
            {
                "team": team,
                "base": "hq-eastleigh",
                "segments": [
                    _segment("transit", "10:00", "10:20"),
                    _segment("patrol", "10:20", "12:00", "winchester-market"),
                    *(
                        [_segment("base", "12:00", "16:00")]
                        if evening == "16:00" and shifts[0].endswith("16:00")
                        else []
                    ),
                    _segment("patrol", evening, "20:00", "winchester-market"),
                    _segment("base", "20:00", "22:00"),
                ],
            }
        ],
    }
    with session_scope(make_sessionmaker(engine)) as session:
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(body), actor="t", now=clock.now()
        )
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id="split", seed=3),
            actor="t",
            now=clock.now(),
        )
        jobs.finish_plan(
            session=session,
            plan_id=plan.id,
            now=clock.now(),
            result={"solver": "fake", "coverage": []},
            rosters={DAY: roster},
        )


def _starts(response: Any) -> list[str]:
    return [s["start"][11:16] for s in response.json()["segments"]]


@pytest.mark.parametrize(
    ("shifts", "team", "evening"),
    [
        (["10:00-12:00", "18:00-22:00"], "arv-1", "18:00"),  # shifts from the snapshot
        (["10:00-16:00", "16:00-22:00"], "arv-1", "16:00"),  # back to back: still two shifts
        (["10:00-16:00"], "arv-9", "18:00"),  # team not in the snapshot: runs split at gaps
    ],
)
def test_officer_sees_each_shift_only_from_its_own_lead_time(
    client: TestClient,
    add_user: Callable[..., int],
    login: Callable[[str], dict[str, str]],
    clock: FakeClock,
    engine: Engine,
    shifts: list[str],
    team: str,
    evening: str,
) -> None:
    _publish_split_day(engine, clock, shifts, team)
    add_user("olly", Role.officer, team)
    add_user("pat", Role.planner)
    url = f"{DAY_URL}/teams/{team}"
    evening_hour = int(evening[:2])

    def at(moment: dt.datetime) -> dict[str, str]:
        clock.set(moment)
        return login("olly")  # a fresh token: the day outlasts one

    early = client.get(url, headers=at(dt.datetime(2026, 12, 5, 7, 59, tzinfo=dt.UTC)))
    assert early.status_code == 403 and "08:00" in early.json()["detail"]
    # From 08:00 the morning shift is visible, the evening one is not.
    officer = at(dt.datetime(2026, 12, 5, evening_hour - 3, 59, tzinfo=dt.UTC))
    morning = client.get(url, headers=officer)
    assert morning.status_code == 200
    assert evening not in _starts(morning) and "20:00" not in _starts(morning)
    assert morning.json()["ends_at"] <= f"{DAY}T16:00:00Z"
    listed = client.get(DAY_URL, headers=officer).json()
    assert [len(t["segments"]) for t in listed["teams"]] == [len(morning.json()["segments"])]
    assert listed["more_from"] == f"{DAY}T{evening_hour - 2:02d}:00:00Z"  # the evening's release
    # From two hours before the evening shift, the whole day.
    officer = at(dt.datetime(2026, 12, 5, evening_hour - 2, 0, tzinfo=dt.UTC))
    whole = client.get(url, headers=officer)
    assert whole.status_code == 200
    assert evening in _starts(whole) and whole.json()["ends_at"] == f"{DAY}T22:00:00Z"
    assert client.get(DAY_URL, headers=officer).json()["more_from"] is None
    # Planners always see the whole day.
    assert _starts(client.get(url, headers=login("pat"))) == _starts(whole)
