"""The planner's page over HTTP (no browser): the rosters download (planners and admins
only, audited), the security-plan review queue with due dates, and the calendar heatmap by
date of a season plan."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from html_parse import parse
from sqlalchemy import Engine
from test_role_pages import SUNDAY, store_sunday

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role

# --- the rosters download ---------------------------------------------------------------------


def test_a_planner_downloads_every_roster_of_a_plan_and_the_read_is_audited(
    client: TestClient, engine: Engine, clock: FakeClock, as_role: Callable[[Role], dict[str, str]]
) -> None:
    store_sunday(engine, clock.now())  # plan 1: Sunday's rosters of alpha-1 and bravo-2
    planner = as_role(Role.planner)
    response = client.get("/api/v1/plans/1/rosters", headers=planner)
    assert response.status_code == 200, response.text
    assert 'filename="plan-1-rosters.json"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [d["date"] for d in body["days"]] == [SUNDAY]
    assert [t["team"] for t in body["days"][0]["teams"]] == ["alpha-1", "bravo-2"]
    assert body["days"][0]["teams"][0]["segments"][1]["venue"] == "winchester-cathedral-market"
    admin = as_role(Role.admin)
    trail = client.get("/api/v1/audit?limit=5", headers=admin).json()["items"]
    read = next(e for e in trail if e["action"] == "roster.read" and e["entity"] == "plan")
    assert read["actor"] == "planner-user" and read["entity_id"] == "1"
    assert client.get("/api/v1/plans/99/rosters", headers=planner).status_code == 404


def test_a_plan_without_a_drawn_report_is_a_404_that_says_so(
    client: TestClient, engine: Engine, clock: FakeClock, as_role: Callable[[Role], dict[str, str]]
) -> None:
    store_sunday(engine, clock.now())  # finished by hand: no job drew its report
    response = client.get("/api/v1/plans/1/report", headers=as_role(Role.planner))
    assert response.status_code == 404 and "has no report" in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.control, Role.officer, Role.analyst, Role.organiser])
def test_no_other_role_downloads_a_plans_rosters(
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    as_role: Callable[[Role], dict[str, str]],
    role: Role,
) -> None:
    store_sunday(engine, clock.now())
    headers = as_role(role)
    response = client.get("/api/v1/plans/1/rosters", headers=headers)
    assert response.status_code == 403
    assert "alpha-1" not in response.text
    assert client.get("/api/v1/plans/1/report", headers=headers).status_code == 403


def test_the_plans_list_links_each_done_plans_rosters(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    store_sunday(engine, clock.now())
    signed_in(Role.planner)
    page = parse(client.get("/planner").text)
    link = page.by_id("rosters-1").get("href")
    assert link == "/api/v1/plans/1/rosters"
    assert client.get(link).json()["plan_id"] == 1  # with the page's cookie


# --- the review queue ---------------------------------------------------------------------------


def test_the_review_queue_lists_plans_due_soon_overdue_first(
    client: TestClient,
    clock: FakeClock,
    as_role: Callable[[Role], dict[str, str]],
    signed_in: Callable[[Role], str],
) -> None:
    organiser = as_role(Role.organiser)
    today = clock.now().date()  # Saturday 5 December 2026

    def event_with_plan(name: str, opens_in_days: int) -> int:
        opens = dt.datetime.combine(today + dt.timedelta(days=opens_in_days), dt.time(10))
        event = client.post(
            "/api/v1/events",
            json={"name": name, "venue_id": "winchester-cathedral-market",
                  "starts_at": opens.isoformat() + "Z",
                  "ends_at": (opens + dt.timedelta(days=2)).isoformat() + "Z",
                  "expected_attendance": 900},
            headers=organiser,
        )  # fmt: skip
        assert event.status_code == 201, event.text
        plan = client.post(
            "/api/v1/security-plans",
            json={"event_id": event.json()["id"],
                  "plan": {"event": {"id": "fair", "name": name, "organiser": "Me"}}},
            headers=organiser,
        )  # fmt: skip
        assert plan.status_code == 201, plan.text
        return int(plan.json()["plan"]["id"])

    soon = event_with_plan("Fair opening in three weeks", 21)  # due in 7 days
    late = event_with_plan("Fair opening in ten days", 10)  # was due 4 days ago
    event_with_plan("Fair opening in March", 100)  # not due for months
    signed_in(Role.planner)
    page = parse(client.get("/planner").text)
    rows = [e.get("id") for e in page.all("tr") if (e.get("id") or "").startswith("review-")]
    assert rows == [f"review-{late}", f"review-{soon}"]
    assert "overdue by 4 days" in page.text(f"review-{late}")
    assert "in 7 days" in page.text(f"review-{soon}")
    assert "March" not in page.text("review-queue")
    assert "(2)" in page.text("queue-title")


def test_an_empty_review_queue_says_so(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.planner)
    assert "Nothing to review" in parse(client.get("/planner").text).text("queue-empty")


# --- the calendar by date -------------------------------------------------------------------------


def store_three_day_plan(engine: Engine, now: dt.datetime) -> int:
    """A finished plan whose coverage covers three days at two venues."""
    rows: list[dict[str, Any]] = []
    for day, coverage in (("2026-12-05", 0.2), ("2026-12-06", 0.6), ("2026-12-07", 1.0)):
        for venue in ("winchester-cathedral-market", "portsmouth-gunwharf-quays"):
            for hour in (10, 11):
                rows.append({"venue": venue, "start": f"{day}T{hour}:00:00+00:00",
                             "end": f"{day}T{hour + 1}:00:00+00:00",
                             "coverage": coverage if venue.startswith("win") else 0.0,
                             "risk": 1.0})  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=2, days=3),
            actor="test",
            now=now,
        )
        result = {"solver": "hand-written", "defender_utility": -1.0, "coverage": rows}
        jobs.finish_plan(session=session, plan_id=plan.id, now=now, result=result, rosters={})
        return plan.id


def test_a_season_plan_has_a_calendar_of_coverage_by_venue_and_date(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    plan = store_three_day_plan(engine, clock.now())
    signed_in(Role.planner)
    page = parse(client.get(f"/planner?plan={plan}").text)
    calendar = page.text("calendar")
    assert "05/12 06/12 07/12" in calendar
    assert "Winchester Cathedral Christmas Market (Inner Close) 20 60 100" in calendar
    cells = [e.get("class") for e in page.all("td") if "table#calendar" in e.parents]
    assert cells[3:] == ["heat-1", "heat-4", "heat-7"]  # Gunwharf first, by venue id


# --- routes along the travel model -----------------------------------------------------------


def test_a_route_to_the_island_is_drawn_through_the_ferry_terminals_not_over_the_water(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    """Issue 14: "routes drawn along the travel model". Portsmouth's armed response vehicle
    patrols Newport: its drawn route goes by the car ferry the travel model took."""
    from crowdguard.patrols.travel import scenario_travel

    demo = demo_scenario()
    day = "2026-12-06"
    base = next(t.base for t in demo.teams if t.callsign == "bravo-2")
    roster = {"date": day, "teams": [{"team": "bravo-2", "base": base, "segments": [
        {"kind": "transit", "venue": "newport-st-james-square", "start": f"{day}T10:00:00",
         "end": f"{day}T11:30:00"},
        {"kind": "patrol", "venue": "newport-st-james-square", "start": f"{day}T11:30:00",
         "end": f"{day}T14:00:00"}]}]}  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo.id, seed=1),
            actor="test",
            now=clock.now(),
        )
        jobs.finish_plan(session=session, plan_id=plan.id, now=clock.now(),
                         result={"solver": "hand-written", "coverage": []},
                         rosters={day: roster})  # fmt: skip
    signed_in(Role.planner)
    page = parse(client.get(f"/planner?plan={plan.id}&day={day}").text)
    [route] = json.loads(page.text("routes-data"))
    ferry = scenario_travel(demo).crossing(base, "newport-st-james-square")
    assert ferry is not None and ferry.vehicles
    mainland = [ferry.mainland.lat, ferry.mainland.lon]
    island = [ferry.island.lat, ferry.island.lon]
    path = route["path"]
    assert path[1:3] == [mainland, island] and path[4:6] == [island, mainland]  # out and back
    assert len(path) == 7  # base, two terminals, Newport, two terminals, base


# --- what an override would cost ---------------------------------------------------------------


def whatif(client: TestClient, **changes: str) -> Any:
    data = {"scenario_id": demo_scenario().id, "team": "alpha-1", "action": "pin",
            "place": "winchester-cathedral-market", "at": "2026-12-05T14:00", **changes}  # fmt: skip
    return client.post("/planner/override-cost", data=data)


def test_a_planner_prices_a_pin_before_applying_it(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.planner)
    response = whatif(client)  # the day solved with and without the pin (a few seconds)
    assert response.status_code == 200, response.text
    page = parse(response.text)
    assert page.text("whatif-presence") == "100%"  # a pinned team is where the pin says
    assert float(page.text("whatif-utility")) >= 0  # a pin never improves the day
    assert "Anyone who learns of the pin" in page.text("whatif-result")
    assert page.text("whatif-command").endswith(
        "--pin alpha-1@winchester-cathedral-market@2026-12-05T14:00"
    )
    assert page.by_id("whatif-team").get("id") == "whatif-team"  # the form again, to try more
    # Applied only once its cost is on the page: the button starts a plan with this pin.
    apply = page.by_id("whatif-apply-box")
    assert (apply.get("data-action"), apply.get("data-team"), apply.get("data-at")) == (
        "pin",
        "alpha-1",
        "2026-12-05T14:00",
    )
    assert apply.get("data-place") == "winchester-cathedral-market"
    assert apply.get("data-scenario") == demo_scenario().id
    assert "start a plan with this pin" in page.text("whatif-apply")
    assert page.by_id("whatif-apply").get("form") == "start-plan"


def test_the_start_form_offers_no_override_until_one_is_priced(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.planner)
    page = parse(client.get("/planner").text)
    assert "whatif-apply" not in client.get("/planner").text
    for field in ("plan-response-floor", "plan-response-crowd", "plan-visibility-floor"):
        assert page.by_id(field).get("type") == "number"
    demo = demo_scenario()
    assert (page.by_id("plan-start").get("value"), page.by_id("plan-end").get("max")) == (
        demo.start.isoformat(),
        demo.end.isoformat(),
    )
    ticked = [e.get("value") for e in page.all("input") if e.get("name") == "teams"]
    assert ticked == sorted(t.callsign for t in demo_scenario().teams)  # all, to untick some


def test_a_plan_with_a_pin_and_floors_shows_what_they_cost(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    """The plan's page says what was applied and what it cost (``plan.json``'s
    ``overrides``, ``response_floor_check`` and ``visibility``), not only the CLI."""
    pin = {"action": "pin", "team": "alpha-1", "place": "winchester-cathedral-market",
           "at": "2026-12-05T14:00"}  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate.model_validate(
                {
                    "scenario_id": demo_scenario().id,
                    "days": 9,
                    "overrides": [pin],
                    "response_floor": 0.25,
                    "visibility_floor": 500,
                }
            ),
            actor="test",
            now=clock.now(),
        )
        result = {
            "solver": "hand-written", "defender_utility": -1.0, "coverage": [],
            "overrides": [{"kind": "pin", "team": "alpha-1", "venue": "winchester-cathedral-market",
                           "at": "2026-12-05T14:00", "utility_cost": 0.1234,
                           "entropy_before": 3.0, "entropy_after": 1.0,
                           "presence_before": 0.4, "presence_after": 1.0}],
            "options": {"response_floor": 0.25, "response_min_crowd": 0.0,
                        "visibility_floor": 500, "max_variants": None},
            "response_floor_check": {"floor": 0.25, "min_crowd": 0.0, "target_minutes": 15,
                                     "venue_slots": 40, "lowest": 0.31},
            "visibility": [{"date": "2026-12-05", "expected_shoppers": 812.4},
                           {"date": "2026-12-06", "expected_shoppers": 640.0}],
        }  # fmt: skip
        jobs.finish_plan(session=session, plan_id=plan.id, now=clock.now(), result=result)
    signed_in(Role.planner)
    page = parse(client.get(f"/planner?plan={plan.id}").text)
    said = page.text("plan-options")
    assert (
        "Pinned: alpha-1 at Winchester Cathedral Christmas Market (Inner Close), 2026-12-05 14:00; cost 0.123"
        in said
    )
    assert "40% → 100%" in said
    assert "Response floor 25% (a team within 15 min) at 40 venue-slots; lowest" in said
    assert "lowest chance there 31%" in said
    assert "Visibility floor 500 shoppers a day; lowest day 2026-12-06: 640." in said


@pytest.mark.parametrize(
    ("changes", "where", "expected"),
    [
        ({"at": "14:00"}, "whatif-at-error", "local date and time"),
        ({"team": "zulu-9"}, "whatif-team-error", "no team 'zulu-9'"),
        ({"place": "../etc"}, "whatif-place-error", "no venue or base"),
        ({"at": "2027-03-01T14:00"}, "whatif-error", "outside the scenario period"),
        ({"action": "maybe"}, "whatif-action-error", "choose pin or forbid"),
    ],
)
def test_a_bad_override_is_refused_next_to_its_field(
    client: TestClient,
    signed_in: Callable[[Role], str],
    changes: dict[str, str],
    where: str,
    expected: str,
) -> None:
    signed_in(Role.planner)
    response = whatif(client, **changes)
    assert response.status_code == 422
    assert expected in parse(response.text).text(where)


def test_a_second_what_if_waits_for_the_first(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    from crowdguard.jobs import whatif as machinery

    signed_in(Role.planner)
    assert machinery._ONE_AT_A_TIME.acquire(blocking=False)  # one is being solved
    try:
        response = whatif(client)
    finally:
        machinery._ONE_AT_A_TIME.release()
    assert response.status_code == 429
    assert "try again" in parse(response.text).text("whatif-error")


@pytest.mark.parametrize("role", [Role.control, Role.officer, Role.analyst, Role.organiser])
def test_only_planners_price_overrides(
    client: TestClient, signed_in: Callable[[Role], str], role: Role
) -> None:
    signed_in(role)
    response = whatif(client)
    assert response.status_code == 403 and "whatif-result" not in response.text
