"""Dispatch through the API on a hand-built map, on SQLite and PostgreSQL (``db_url``).

The map: Ryde and Newport markets on the Isle of Wight, Gunwharf Quays in Portsmouth across
the Solent, one mainland base. At noon the roster has ``arv-1`` patrolling Portsmouth and
``arv-2`` patrolling Newport. Portsmouth is nearer Ryde as the crow flies, but the crossing
makes Newport nearer by travel time; both teams share a base, so ranking from the base (or
by straight line) would pick ``arv-1``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import venue
from sqlalchemy import Engine, select

from crowdguard.audit.tables import AuditRow
from crowdguard.geometry import haversine_m
from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.schema import Scenario, Team, Venue
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

DAY = "2026-12-05"  # a Saturday; GMT, so local time is UTC
NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
PLACES = {
    "ryde-market": (50.7300, -1.1600, True),
    "newport-market": (50.7010, -1.2930, True),
    "portsmouth-gunwharf": (50.7960, -1.1080, False),
}
BASE = {"id": "hq-eastleigh", "name": "Leigh Road", "lat": 50.971, "lon": -1.361}
Headers = dict[str, str]


def _venue(venue_id: str) -> dict[str, Any]:
    lat, lon, island = PLACES[venue_id]
    return {**venue(venue_id, lat, lon), "island": island, "name": venue_id.replace("-", " ")}


def _team(callsign: str) -> dict[str, Any]:
    return {"callsign": callsign, "base": BASE["id"], "kind": "arv", "shifts": ["10:00-16:00"]}


def _scenario() -> dict[str, Any]:
    return {
        "id": "solent",
        "name": "Solent markets",
        "start": DAY,
        "end": "2026-12-06",
        "threat_level": "SUBSTANTIAL",
        "venues": [_venue(v) for v in PLACES],
        "bases": [BASE],
        "teams": [_team("arv-1"), _team("arv-2")],
        # One quick vehicle ferry, 50 minutes terminal to terminal: the times below are
        # worked out on it (the demo's real Solent routes take longer).
        "crossings": [
            {
                "id": "gunwharf-ryde",
                "name": "Gunwharf - Ryde (test ferry)",
                "mainland": {"name": "Gunwharf", "lat": 50.7960, "lon": -1.1080},
                "island": {"name": "Ryde", "lat": 50.7330, "lon": -1.1600},
                "crossing_minutes": 35,
                "wait_minutes": 15,
            }
        ],
    }


def _patrol(venue_id: str, start: str, end: str) -> dict[str, Any]:
    return {"kind": "patrol", "venue": venue_id, "start": f"{DAY}T{start}", "end": f"{DAY}T{end}"}


ROSTER = {
    "date": DAY,
    "teams": [
        {
            "team": "arv-1",
            "base": BASE["id"],
            "segments": [_patrol("portsmouth-gunwharf", "10:00", "16:00")],
        },
        {
            "team": "arv-2",
            "base": BASE["id"],
            "segments": [
                _patrol("newport-market", "10:00", "13:00"),
                _patrol("ryde-market", "13:00", "16:00"),
            ],
        },
    ],
}


def store_world(engine: Engine, clock: FakeClock, *, with_plan: bool = True) -> None:
    """Venues, two teams, the scenario and (optionally) a finished plan with today's roster."""
    with session_scope(make_sessionmaker(engine)) as session:
        now = clock.now()
        for venue_id in PLACES:
            venues.create_venue(
                session=session, venue=Venue.model_validate(_venue(venue_id)), actor="t", now=now
            )
        for callsign in ("arv-1", "arv-2"):
            venues.create_team(
                session=session, team=Team.model_validate(_team(callsign)), actor="t", now=now
            )
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(_scenario()), actor="t", now=now
        )
        if with_plan:
            plan = jobs.create_plan(
                session=session, data=PlanCreate(scenario_id="solent", seed=1), actor="t", now=now
            )
            jobs.finish_plan(
                session=session,
                plan_id=plan.id,
                now=now,
                result={"solver": "hand-written"},
                rosters={DAY: ROSTER},
            )
    clock.set(NOON)


@pytest.fixture
def world(engine: Engine, clock: FakeClock) -> None:
    store_world(engine, clock)


@pytest.fixture
def control(world: None, as_role: Callable[..., Headers]) -> Headers:
    return as_role(Role.control)


def report_at(client: TestClient, venue_id: str = "ryde-market", **changes: Any) -> str:
    body = {
        "category": "attack_in_progress",
        "location": {"venue_id": venue_id},
        "observed_at": (NOON - dt.timedelta(minutes=2)).isoformat(),
        "description": "A man with a knife is chasing people by the carousel now",
        **changes,
    }
    r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def _audit_actions(engine: Engine) -> list[str]:
    with session_scope(make_sessionmaker(engine)) as session:
        return list(session.scalars(select(AuditRow.action).order_by(AuditRow.id)).all())


def test_recommend_ranks_by_travel_time_from_rostered_positions_not_straight_line(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    ryde, newport, portsmouth = (PLACES[v][:2] for v in PLACES)
    assert haversine_m(*portsmouth, *ryde) < haversine_m(*newport, *ryde)  # the trap
    reference = report_at(client)
    r = client.post("/api/v1/dispatch/recommend", json={"report": reference}, headers=control)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["roster_date"], result["scenario_id"]) == (DAY, "solent")
    assert result["location"] == {"lat": ryde[0], "lon": ryde[1]}
    first, second = result["recommendations"]
    assert (first["unit"], second["unit"]) == ("arv-2", "arv-1")
    assert first["position"] == "patrol at newport-market"
    assert second["position"] == "patrol at portsmouth-gunwharf"
    assert first["eta_minutes"] < 30 < 50 < second["eta_minutes"]  # the Solent crossing
    # Sending arv-2 costs its patrols from now until it is back where its roster has it when
    # it leaves the scene (Newport until 13:00, then Ryde): the coverage gap.
    busy_until = dt.datetime.fromisoformat(first["busy_until"])
    expected = first["eta_minutes"] + 30 + first["return_minutes"]
    assert (busy_until - NOON).total_seconds() / 60 == pytest.approx(expected, abs=0.02)
    assert busy_until > NOON + dt.timedelta(hours=1)
    missed = [(m["venue"], dt.datetime.fromisoformat(m["start"])) for m in first["missed"]]
    assert missed == [("newport-market", NOON), ("ryde-market", NOON + dt.timedelta(hours=1))]
    assert dt.datetime.fromisoformat(first["missed"][-1]["end"]) == busy_until
    assert first["missed_minutes"] == pytest.approx(expected, abs=0.02)
    assert "dispatch.recommend" in _audit_actions(engine)
    assert "roster.read" in _audit_actions(engine)  # the positions came from an audited read
    # An attack with a knife gives APP grounds: ARVs are offered, on a firearms commander's
    # authority, which the board shows above the ranking.
    assert result["arvs_offered"] is True
    assert result["firearms_grounds"] == ["attack_in_progress", "weapon_words_now"]
    assert "authority of a firearms commander" in result["authority"]

    # From a map point instead of a report: same ranking; k limits the list.
    by_point = client.post(
        "/api/v1/dispatch/recommend",
        json={"location": {"lat": ryde[0], "lon": ryde[1]}, "k": 1},
        headers=control,
    )
    assert [x["unit"] for x in by_point.json()["recommendations"]] == ["arv-2"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_recommend_refuses_what_it_cannot_rank(
    client: TestClient, control: Headers, engine: Engine, clock: FakeClock
) -> None:
    text_only = report_at(client, location={"text": "somewhere near the pier"})
    r = client.post("/api/v1/dispatch/recommend", json={"report": text_only}, headers=control)
    assert r.status_code == 409 and "no map point or venue" in r.json()["detail"]
    r = client.post("/api/v1/dispatch/recommend", json={"report": "CG-ZZZZ-ZZZZ"}, headers=control)
    assert r.status_code == 404
    both = {"report": text_only, "location": {"lat": 50.7, "lon": -1.2}}
    r = client.post("/api/v1/dispatch/recommend", json=both, headers=control)
    assert r.status_code == 422 and "exactly one" in r.text
    clock.set(NOON + dt.timedelta(hours=6))  # 18:00: both teams are off shift
    r = client.post(
        "/api/v1/dispatch/recommend",
        json={"location": {"lat": 50.73, "lon": -1.16}},
        headers=control,
    )
    assert r.status_code == 409
    # In words, not coordinates and an ISO timestamp (issue 14's board fix).
    detail = r.json()["detail"]
    assert "all 2 units are off shift" in detail
    assert "18:00 on Sat 5 Dec" in detail
    assert "50.73" not in detail and "T18:00" not in detail


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_hot_item_alone_is_p1_but_no_arv_is_offered_for_it(
    client: TestClient, control: Headers
) -> None:
    """APP: armed officers only where someone is armed or so dangerous that firearms may be
    needed. The Solent world has only ARVs, so a HOT item alone ranks none of them, and the
    refusal says why; a weapon seen at the same place offers them."""
    item = {"description": "holdall, wires showing", "obviously_suspicious": True}
    hot = report_at(
        client,
        category="unattended_item",
        description="A holdall left under the stall",
        items=[item],
    )
    record = client.get(f"/api/v1/reports/{hot}", headers=control).json()
    assert record["code"] == "P1"
    assert "4 Cs" in " ".join(record["triage"]["advice"])
    r = client.post("/api/v1/dispatch/recommend", json={"report": hot}, headers=control)
    assert r.status_code == 409
    assert "2 ARVs held back (no APP grounds for an armed response)" in r.json()["detail"]

    armed = report_at(client, category="unattended_item", description="Bag", weapons_seen=True)
    r = client.post("/api/v1/dispatch/recommend", json={"report": armed}, headers=control)
    assert r.status_code == 200 and r.json()["arvs_offered"] is True
    assert [x["unit"] for x in r.json()["recommendations"]] == ["arv-2", "arv-1"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_recommend_without_any_scenario_is_a_409_saying_what_to_load(
    client: TestClient, as_role: Callable[..., Headers]
) -> None:
    control = as_role(Role.control)
    r = client.post(
        "/api/v1/dispatch/recommend",
        json={"location": {"lat": 50.73, "lon": -1.16}},
        headers=control,
    )
    assert r.status_code == 409 and "POST /api/v1/scenarios" in r.json()["detail"]


def _units(client: TestClient, headers: Headers) -> dict[str, dict[str, Any]]:
    r = client.get("/api/v1/dispatch/units", headers=headers)
    assert r.status_code == 200, r.text
    return {u["callsign"]: u for u in r.json()}


def _report(client: TestClient, headers: Headers, reference: str) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/reports/{reference}", headers=headers).json())


def test_one_call_assigns_and_moves_unit_task_and_report_automatically(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    assert {u: x["state"] for u, x in _units(client, control).items()} == {
        "arv-1": "available",
        "arv-2": "available",
    }
    reference = report_at(client)
    r = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-2", "report": reference}, headers=control
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["unit"]["state"] == "en_route"
    task = result["task"]
    assert (task["state"], task["report_ref"], task["unit_ids"]) == (
        "en_route",
        reference,
        ["arv-2"],
    )
    assert result["unit"]["task_id"] == task["id"]
    assert [(e["kind"], e["from_state"], e["to_state"]) for e in result["events"]] == [
        ("unit", "available", "assigned"),
        ("task", "open", "assigned"),
        ("unit", "assigned", "en_route"),
        ("task", "assigned", "en_route"),
    ]
    assert _report(client, control, reference)["report"]["status"] == "assigned"
    assert _units(client, control)["arv-2"]["state"] == "en_route"
    detail = client.get(f"/api/v1/dispatch/tasks/{task['id']}", headers=control).json()
    assert [e["to_state"] for e in detail["timeline"]] == ["assigned", "en_route"]
    actions = _audit_actions(engine)
    assert "dispatch.assign" in actions and "report.status" in actions

    # A busy unit cannot be sent again: 409 naming the unit and its state.
    other = report_at(client, "newport-market")
    again = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-2", "report": other}, headers=control
    )
    assert again.status_code == 409
    assert "unit arv-2 is en_route" in again.json()["detail"]
    # ... and is no longer recommended.
    ranked = client.post("/api/v1/dispatch/recommend", json={"report": other}, headers=control)
    assert [x["unit"] for x in ranked.json()["recommendations"]] == ["arv-1"]
    # A second unit joins the same task rather than opening another.
    joined = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-1", "task": task["id"]}, headers=control
    ).json()
    assert joined["task"]["id"] == task["id"]
    assert joined["task"]["unit_ids"] == ["arv-2", "arv-1"]
    tasks = client.get("/api/v1/dispatch/tasks?state=en_route", headers=control).json()
    assert [t["id"] for t in tasks["items"]] == [task["id"]] and tasks["total"] == 1


def test_two_control_rooms_cannot_send_the_same_unit_at_once(
    client: TestClient, control: Headers
) -> None:
    """Eight assignments of one unit race (concurrently on PostgreSQL): exactly one wins,
    the rest are 409, and the unit is on exactly one task."""
    from concurrent.futures import ThreadPoolExecutor

    references = [
        report_at(client, description=f"Report {i}: man with a knife now") for i in range(8)
    ]

    def send(reference: str) -> int:
        body = {"unit": "arv-1", "report": reference}
        return client.post("/api/v1/dispatch/assign", json=body, headers=control).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, references))
    assert sorted(statuses) == [200] + [409] * 7
    unit = _units(client, control)["arv-1"]
    tasks = client.get("/api/v1/dispatch/tasks", headers=control).json()["items"]
    assert [t["id"] for t in tasks if "arv-1" in t["unit_ids"]] == [unit["task_id"]]


def _state(client: TestClient, headers: Headers, unit: str, state: str) -> Any:
    return client.post(
        f"/api/v1/dispatch/units/{unit}/state", json={"state": state}, headers=headers
    )


def test_a_unit_moves_through_the_state_machine_and_closing_the_task_frees_it(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    reference = report_at(client)
    task_id = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-2", "report": reference}, headers=control
    ).json()["task"]["id"]

    on_scene = _state(client, control, "arv-2", "on_scene")
    assert on_scene.status_code == 200, on_scene.text
    assert on_scene.json()["unit"]["state"] == "on_scene"
    assert on_scene.json()["task"]["state"] == "on_scene"  # first arrival moves the task
    committed = _state(client, control, "arv-2", "committed").json()
    assert (committed["unit"]["state"], committed["unit"]["task_id"]) == ("committed", task_id)

    refused = _state(client, control, "arv-2", "off_duty")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "unit arv-2 is committed; cannot go to off_duty (allowed: available, on_scene)"
    )
    assert _units(client, control)["arv-2"]["state"] == "committed"  # unchanged by a refusal

    closed = client.post(
        f"/api/v1/dispatch/tasks/{task_id}/close",
        json={"outcome": "Man detained by arv-2; no injuries"},
        headers=control,
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["task"]["state"] == "closed"
    assert [(u["callsign"], u["state"], u["task_id"]) for u in body["units"]] == [
        ("arv-2", "available", None)
    ]
    assert _report(client, control, reference)["report"]["status"] == "closed"
    again = client.post(
        f"/api/v1/dispatch/tasks/{task_id}/close", json={"outcome": "twice"}, headers=control
    )
    assert again.status_code == 409 and f"task {task_id} is closed" in again.json()["detail"]
    blank = client.post(
        f"/api/v1/dispatch/tasks/{task_id}/close", json={"outcome": " "}, headers=control
    )
    assert blank.status_code == 422
    closing = [a for a in _audit_actions(engine) if a.startswith("dispatch.")]
    assert closing == ["dispatch.assign", "dispatch.state", "dispatch.state", "dispatch.close"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_invalid_moves_are_409_naming_unit_and_states(client: TestClient, control: Headers) -> None:
    r = _state(client, control, "arv-1", "on_scene")
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "unit arv-1 is available; cannot go to on_scene "
        "(allowed: assigned, committed, en_route, off_duty)"
    )
    assert _state(client, control, "arv-1", "off_duty").json()["unit"]["state"] == "off_duty"
    r = _state(client, control, "arv-1", "en_route")
    assert r.status_code == 409 and "unit arv-1 is off_duty" in r.json()["detail"]
    r = client.post("/api/v1/dispatch/units/arv-1/release", headers=control)
    assert r.status_code == 200 and r.json()["unit"]["state"] == "available"  # back on duty
    r = client.post("/api/v1/dispatch/units/arv-1/release", headers=control)
    assert r.status_code == 409 and "unit arv-1 is available" in r.json()["detail"]
    # "assigned" is reached by assigning, not by setting a state: a field error.
    r = _state(client, control, "arv-1", "assigned")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "state"]
    assert _state(client, control, "arv-9", "en_route").status_code == 404
    closed = client.post("/api/v1/dispatch/tasks/99/close", json={"outcome": "x"}, headers=control)
    assert closed.status_code == 404
    assert client.get("/api/v1/dispatch/tasks/99", headers=control).status_code == 404
    r = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-1", "report": "CG-ZZZZ-ZZZZ"}, headers=control
    )
    assert r.status_code == 404


def test_releasing_the_only_unit_reopens_the_task_and_its_report(
    client: TestClient, control: Headers
) -> None:
    reference = report_at(client)
    sent = client.post(
        "/api/v1/dispatch/assign",
        json={"unit": "arv-1", "report": reference, "en_route": False},
        headers=control,
    ).json()
    assert (sent["unit"]["state"], sent["task"]["state"]) == ("assigned", "assigned")
    moving = _state(client, control, "arv-1", "en_route").json()
    assert (moving["unit"]["state"], moving["task"]["state"]) == ("en_route", "en_route")
    r = client.post("/api/v1/dispatch/units/arv-1/release", headers=control)
    assert r.status_code == 200, r.text
    released = r.json()
    assert (released["unit"]["state"], released["unit"]["task_id"]) == ("available", None)
    assert (released["task"]["state"], released["task"]["unit_ids"]) == ("open", [])
    assert _report(client, control, reference)["report"]["status"] == "triaged"
    # The open task can be given to another unit by id.
    again = client.post(
        "/api/v1/dispatch/assign",
        json={"unit": "arv-2", "task": sent["task"]["id"]},
        headers=control,
    ).json()
    assert again["task"]["state"] == "en_route" and again["task"]["unit_ids"] == ["arv-2"]


def _replan(client: TestClient, headers: Headers, unit: str, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/dispatch/units/{unit}/replan", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _ends_at_base_by(segments: list[dict[str, Any]], shift_end: str) -> bool:
    """The last segment is at base, or the drive home, and ends at the shift end."""
    last = segments[-1]
    return last["kind"] in ("base", "transit") and last["end"][11:16] == shift_end


def test_the_coverage_gap_is_reported_and_the_rest_of_the_day_replanned_without_the_team(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    out = _replan(client, control, "arv-2", seed=7)
    assert (out["placement"], out["fallback"]) == ("patrol_graph", None)
    assert "patrol graph" in out["method"] and "travel_multiplier" in out["travel_model"]
    # The gap: arv-2's rostered patrols from noon to the end of its day.
    assert [(m["venue"], m["start"][11:16], m["end"][11:16]) for m in out["gap"]] == [
        ("newport-market", "12:00", "13:00"),
        ("ryde-market", "13:00", "16:00"),
    ]
    assert out["gap_minutes"] == 240.0
    # The other team starts where its roster has it now: on site at Portsmouth since 10:00.
    assert out["starts"] == [
        {"team": "arv-1", "place": "portsmouth-gunwharf", "ready": "2026-12-05T12:00:00Z",
         "how": "patrolling portsmouth-gunwharf since 10:00"}
    ]  # fmt: skip
    assert out["notes"] == ["arv-2 is not expected back today: the after plan leaves it out"]
    slots = out["slots"]
    assert [s["start"][11:16] for s in slots] == [f"{h:02d}:00" for h in range(12, 20)]
    for s in slots:
        on_shift = s["start"][11:16] < "16:00"
        assert s["teams_before"] == (["arv-1", "arv-2"] if on_shift else [])
        assert s["teams_after"] == (["arv-1"] if on_shift else [])
    # The day's worst slot is in the evening, when no team is on shift either way.
    worst = max(slots, key=lambda s: s["attacker_utility_after"])
    assert worst["teams_before"] == []
    assert out["worst_attacker_utility_after"] == worst["attacker_utility_after"]
    assert out["worst_attacker_utility_before"] == max(s["attacker_utility_before"] for s in slots)
    # Coverage per venue-slot: two ARVs (0.8 each) before, one after; none after 16:00.
    by_slot: dict[str, list[tuple[float, float]]] = {}
    for t in out["targets"]:
        by_slot.setdefault(t["start"], []).append((t["coverage_before"], t["coverage_after"]))
    for start, pairs in by_slot.items():
        before, after = (sum(p[i] for p in pairs) for i in (0, 1))
        if start[11:16] < "16:00":
            assert before <= 1.6 + 1e-6 and after <= 0.8 + 1e-6
        else:
            assert before == after == 0.0
    # The new roster: only arv-1 is left, from noon, back at base by its shift end.
    roster = out["roster"]
    assert roster["date"] == DAY and [t["team"] for t in roster["teams"]] == ["arv-1"]
    segments = roster["teams"][0]["segments"]
    assert dt.datetime.fromisoformat(segments[0]["start"]) == NOON
    assert _ends_at_base_by(segments, "16:00")
    assert {s["venue"] for s in segments if s["kind"] == "patrol"} <= set(PLACES)
    assert _replan(client, control, "arv-2", seed=7)["roster"] == roster  # a seed reproduces
    assert "dispatch.replan" in _audit_actions(engine)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_team_expected_back_rejoins_from_its_incident_on_the_patrol_graph(
    client: TestClient, control: Headers
) -> None:
    reference = report_at(client)  # Ryde
    sent = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-2", "report": reference}, headers=control
    )
    assert sent.status_code == 200, sent.text
    back = (NOON + dt.timedelta(hours=2)).isoformat()
    out = _replan(client, control, "arv-2", back_at=back, seed=3)  # from its task's location
    assert out["gap_minutes"] == 120.0
    assert [(m["venue"], m["end"][11:16]) for m in out["gap"]] == [
        ("newport-market", "13:00"),
        ("ryde-market", "14:00"),
    ]
    teams = {s["start"][11:16]: s["teams_after"] for s in out["slots"]}
    assert teams["12:00"] == teams["13:00"] == ["arv-1"]
    assert teams["14:00"] == teams["15:00"] == ["arv-1", "arv-2"]
    start = next(x for x in out["starts"] if x["team"] == "arv-2")
    assert (start["place"], start["ready"]) == ("incident", "2026-12-05T14:00:00Z")
    arv2 = next(t for t in out["roster"]["teams"] if t["team"] == "arv-2")["segments"]
    assert arv2[0]["kind"] == "transit" and arv2[0]["start"][11:16] == "14:00"
    assert _ends_at_base_by(arv2, "16:00")
    # Free at 15:00 on the island, arv-2 cannot be back at its mainland base by 16:00: it is
    # named, not planned. From Portsmouth (a location given in the request wins over the
    # task's) it can.
    late = (NOON + dt.timedelta(hours=3)).isoformat()
    island = _replan(client, control, "arv-2", back_at=late, seed=3)
    assert "arv-2" not in [x["team"] for x in island["starts"]]
    assert any(n.startswith("arv-2 cannot get from incident at 15:00") for n in island["notes"])
    portsmouth = {"lat": PLACES["portsmouth-gunwharf"][0], "lon": PLACES["portsmouth-gunwharf"][1]}
    there = _replan(client, control, "arv-2", back_at=late, seed=3, location=portsmouth)
    assert ("arv-2", "incident") in [(x["team"], x["place"]) for x in there["starts"]]
    for bad in (NOON.isoformat(), "2026-12-05T14:00:00"):
        r = client.post(
            "/api/v1/dispatch/units/arv-2/replan", json={"back_at": bad}, headers=control
        )
        assert r.status_code in (400, 422) and "back_at" in r.text
    # A unit on no task must say where it rejoins from.
    r = client.post("/api/v1/dispatch/units/arv-1/replan", json={"back_at": back}, headers=control)
    assert r.status_code == 409 and "give location" in r.json()["detail"]
    r = client.post("/api/v1/dispatch/units/arv-9/replan", json={}, headers=control)
    assert r.status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_while_a_replan_solves_the_public_and_the_control_room_still_get_through(
    client: TestClient, control: Headers, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-plan solves for seconds. On SQLite (one writer, one database slot) it must not
    hold the store meanwhile: a report is acknowledged and a roster read while it solves."""
    import threading
    import time

    from crowdguard.dispatch import service as dispatch_service

    solving, finish = threading.Event(), threading.Event()
    real = dispatch_service.replan_day

    def slow(*args: Any, **kwargs: Any) -> Any:
        solving.set()
        finish.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(dispatch_service, "replan_day", slow)
    answers: list[Any] = []
    worker = threading.Thread(
        target=lambda: answers.append(
            client.post("/api/v1/dispatch/units/arv-2/replan", json={"seed": 1}, headers=control)
        )
    )
    worker.start()
    try:
        assert solving.wait(30), "the re-plan never started solving"
        began = time.monotonic()
        reference = report_at(client)  # 201: stored and acknowledged
        roster = client.get(f"/api/v1/rosters/{DAY}", headers=control)
        assert roster.status_code == 200
        assert time.monotonic() - began < 10  # not after the solve: it is still waiting
        assert not finish.is_set() and worker.is_alive()
    finally:
        finish.set()
        worker.join(120)
    assert answers and answers[0].status_code == 200, answers
    assert answers[0].json()["placement"] == "patrol_graph"
    # The re-plan's audit row was committed before the solve, so before the report's.
    actions = _audit_actions(engine)
    assert actions.index("dispatch.replan") < actions.index("report.create")
    assert reference.startswith("CG-")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_unit_busy_elsewhere_is_left_out_of_the_replan(
    client: TestClient, control: Headers
) -> None:
    moved = client.post(
        "/api/v1/dispatch/units/arv-1/state", json={"state": "committed"}, headers=control
    )
    assert moved.status_code == 200, moved.text
    out = _replan(client, control, "arv-2", seed=1)
    assert "arv-1: unit is committed; left out of both plans" in out["notes"]
    assert out["roster"]["teams"] == [] and out["starts"] == []
    assert all(s["teams_after"] == [] for s in out["slots"])


# --- where units are now, and the map's places ---------------------------------------------


def test_units_are_placed_where_todays_roster_has_them_now_with_their_allowed_moves(
    client: TestClient, control: Headers, engine: Engine, clock: FakeClock
) -> None:
    units = _units(client, control)
    newport, portsmouth = PLACES["newport-market"][:2], PLACES["portsmouth-gunwharf"][:2]
    assert units["arv-1"]["position"] == {
        "kind": "patrol",
        "place_id": "portsmouth-gunwharf",
        "from_place_id": None,
        "lat": portsmouth[0],
        "lon": portsmouth[1],
        "until": "2026-12-05T16:00:00Z",
    }
    arv2 = units["arv-2"]["position"]
    assert (arv2["kind"], arv2["place_id"], arv2["until"]) == (
        "patrol",
        "newport-market",
        "2026-12-05T13:00:00Z",
    )
    assert (arv2["lat"], arv2["lon"]) == newport
    # The moves the state machine allows by hand, from the one table (assigned excluded).
    assert units["arv-1"]["next_states"] == ["en_route", "committed", "off_duty"]
    assert "roster.read" in _audit_actions(engine)  # positions are a roster read

    # An hour on, arv-2 has moved to Ryde; after its shift, it is off shift at its base.
    clock.set(NOON + dt.timedelta(hours=1, minutes=30))
    assert _units(client, control)["arv-2"]["position"]["place_id"] == "ryde-market"
    clock.set(NOON + dt.timedelta(hours=5))
    late = _units(client, control)["arv-2"]["position"]
    assert (late["kind"], late["place_id"], late["until"]) == ("off_shift", BASE["id"], None)
    assert (late["lat"], late["lon"]) == (BASE["lat"], BASE["lon"])

    # A state change answers (and publishes) the unit without a position, with its moves.
    clock.set(NOON)
    moved = _state(client, control, "arv-1", "committed").json()["unit"]
    assert moved["position"] is None
    assert moved["next_states"] == ["on_scene", "available"]
    assert _units(client, control)["arv-1"]["position"]["place_id"] == "portsmouth-gunwharf"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_unit_in_transit_is_drawn_along_its_way_and_one_without_a_roster_at_its_base(
    client: TestClient, engine: Engine, clock: FakeClock, as_role: Callable[..., Headers]
) -> None:
    store_world(engine, clock, with_plan=False)
    control = as_role(Role.control)
    units = _units(client, control)
    for callsign in ("arv-1", "arv-2"):  # no plan, no roster: at the base all day
        position = units[callsign]["position"]
        assert (position["kind"], position["place_id"], position["until"]) == (
            "base",
            BASE["id"],
            None,
        )
    roster = {
        "date": DAY,
        "teams": [
            {
                "team": "arv-1",
                "base": BASE["id"],
                "segments": [
                    {"kind": "transit", "start": f"{DAY}T11:30", "end": f"{DAY}T12:30"},
                    _patrol("portsmouth-gunwharf", "12:30", "16:00"),
                ],
            }
        ],
    }
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="solent", seed=2), actor="t", now=NOON
        )
        jobs.finish_plan(
            session=session, plan_id=plan.id, now=NOON, result={}, rosters={DAY: roster}
        )
    units = _units(client, control)
    transit = units["arv-1"]["position"]
    assert (transit["kind"], transit["place_id"], transit["from_place_id"]) == (
        "transit",
        "portsmouth-gunwharf",
        BASE["id"],
    )
    portsmouth = PLACES["portsmouth-gunwharf"]
    assert transit["lat"] == pytest.approx((BASE["lat"] + portsmouth[0]) / 2, abs=1e-6)
    assert transit["lon"] == pytest.approx((BASE["lon"] + portsmouth[1]) / 2, abs=1e-6)
    assert transit["until"] == "2026-12-05T12:30:00Z"
    assert units["arv-2"]["position"]["kind"] == "base"  # not on today's roster


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_a_scenario_units_are_listed_with_no_position(
    client: TestClient, engine: Engine, clock: FakeClock, as_role: Callable[..., Headers]
) -> None:
    with session_scope(make_sessionmaker(engine)) as session:
        venues.create_team(
            session=session, team=Team.model_validate(_team("arv-1")), actor="t", now=NOON
        )
    control = as_role(Role.control)
    [unit] = client.get("/api/v1/dispatch/units", headers=control).json()
    assert (unit["callsign"], unit["state"], unit["position"]) == ("arv-1", "available", None)
    places = client.get("/api/v1/dispatch/places", headers=control).json()
    assert places == {
        "venues": [],
        "bases": [],
        "unit_bases": {"arv-1": BASE["id"]},
        "scenario_id": None,
    }


def test_the_places_route_gives_venues_bases_and_each_units_base(
    client: TestClient, control: Headers, as_role: Callable[..., Headers]
) -> None:
    r = client.get("/api/v1/dispatch/places", headers=control)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {v["id"]: (v["lat"], v["lon"]) for v in body["venues"]} == {
        v: PLACES[v][:2] for v in PLACES
    }
    assert body["bases"] == [BASE]
    assert body["unit_bases"] == {"arv-1": BASE["id"], "arv-2": BASE["id"]}
    assert body["scenario_id"] == "solent"
    assert client.get("/api/v1/dispatch/places").status_code == 401
    assert client.get("/api/v1/dispatch/places", headers=as_role(Role.planner)).status_code == 403


# --- team kinds in the ranking --------------------------------------------------------------


def _kinds_world(engine: Engine, clock: FakeClock, team_kinds: dict[str, Any]) -> None:
    """A foot team and an ARV at the same base, no roster (both at base), and a scenario."""
    with session_scope(make_sessionmaker(engine)) as session:
        now = clock.now()
        for venue_id in PLACES:
            venues.create_venue(
                session=session, venue=Venue.model_validate(_venue(venue_id)), actor="t", now=now
            )
        teams = [{**_team("arv-1"), "kind": "arv"}, {**_team("foot-1"), "kind": "foot"}]
        for body in teams:
            venues.create_team(session=session, team=Team.model_validate(body), actor="t", now=now)
        scenario = {**_scenario(), "teams": teams, "patrol": {"team_kinds": team_kinds}}
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(scenario), actor="t", now=now
        )
    clock.set(NOON)


@pytest.mark.parametrize(
    ("team_kinds", "first", "ratio"),
    [
        ({}, "arv-1", 1.2),
        ({"foot": {"travel_multiplier": 0.9, "effectiveness": 1.0}}, "foot-1", 0.9),
    ],
)
def test_at_the_same_distance_the_faster_kind_ranks_first(
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    as_role: Callable[..., Headers],
    team_kinds: dict[str, Any],
    first: str,
    ratio: float,
) -> None:
    """Both teams wait at the same base. With the default kinds an ARV drives at 1.0 and a
    foot team at 1.2 times the model's minutes; a scenario that makes foot teams faster
    (``patrol.team_kinds``) turns the order round. The capability filter still applies."""
    _kinds_world(engine, clock, team_kinds)
    control = as_role(Role.control)
    ryde = {"lat": PLACES["ryde-market"][0], "lon": PLACES["ryde-market"][1]}
    r = client.post("/api/v1/dispatch/recommend", json={"location": ryde}, headers=control)
    assert r.status_code == 200, r.text
    ranked = {x["unit"]: x for x in r.json()["recommendations"]}
    assert r.json()["recommendations"][0]["unit"] == first
    assert (ranked["arv-1"]["kind"], ranked["foot-1"]["kind"]) == ("arv", "foot")
    assert ranked["foot-1"]["travel_multiplier"] == ratio
    assert ranked["foot-1"]["eta_minutes"] == pytest.approx(
        ratio * ranked["arv-1"]["eta_minutes"], abs=0.02
    )
    assert ranked["foot-1"]["return_minutes"] == pytest.approx(
        ratio * ranked["arv-1"]["return_minutes"], abs=0.02
    )
    assert "travel_multiplier" in r.json()["travel_model"]


# --- incidents from a call, without a public report -----------------------------------------


def test_a_control_room_incident_goes_from_a_call_to_closed_without_a_report(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    """A 999 call: the control user opens a task from a location and a short description,
    ranks units for it, sends one, marks it on scene and closes the task: the same
    self-maintaining states as a report's task, no report anywhere."""
    ryde = {"lat": PLACES["ryde-market"][0], "lon": PLACES["ryde-market"][1]}
    body = {"location": ryde, "description": "999 call: man with a knife on Union Street"}
    r = client.post("/api/v1/dispatch/tasks", json=body, headers=control)
    assert r.status_code == 201, r.text
    task = r.json()
    assert (task["state"], task["report_ref"], task["unit_ids"]) == ("open", None, [])
    assert (task["lat"], task["lon"]) == (ryde["lat"], ryde["lon"])
    assert task["description"] == body["description"]
    assert task["opened_by"] == "control-user"
    listed = client.get("/api/v1/dispatch/tasks?state=open", headers=control).json()
    assert [t["id"] for t in listed["items"]] == [task["id"]]

    ranked = client.post("/api/v1/dispatch/recommend", json={"task": task["id"]}, headers=control)
    assert ranked.status_code == 200, ranked.text
    assert ranked.json()["location"] == ryde
    assert [x["unit"] for x in ranked.json()["recommendations"]] == ["arv-2", "arv-1"]

    sent = client.post(
        "/api/v1/dispatch/assign", json={"unit": "arv-2", "task": task["id"]}, headers=control
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["unit"]["state"], sent.json()["task"]["state"]) == ("en_route", "en_route")
    arrived = client.post(
        "/api/v1/dispatch/units/arv-2/state", json={"state": "on_scene"}, headers=control
    )
    assert arrived.json()["task"]["state"] == "on_scene"
    closed = client.post(
        f"/api/v1/dispatch/tasks/{task['id']}/close",
        json={"outcome": "Man detained; knife recovered"},
        headers=control,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["task"]["state"] == "closed"
    assert [(u["callsign"], u["state"]) for u in closed.json()["units"]] == [("arv-2", "available")]
    detail = client.get(f"/api/v1/dispatch/tasks/{task['id']}", headers=control).json()
    assert [e["to_state"] for e in detail["timeline"]] == [
        "assigned", "en_route", "on_scene", "closed"
    ]  # fmt: skip
    assert detail["task"]["description"] == body["description"]
    actions = [a for a in _audit_actions(engine) if a.startswith(("dispatch.", "report."))]
    assert actions == [
        "dispatch.open", "dispatch.recommend", "dispatch.assign", "dispatch.state", "dispatch.close"
    ]  # fmt: skip
    reports = client.get("/api/v1/reports", headers=control).json()
    assert reports["total"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_opening_a_task_needs_a_location_and_a_description(
    client: TestClient, control: Headers, as_role: Callable[..., Headers]
) -> None:
    ryde = {"lat": 50.73, "lon": -1.16}
    for body, field in (
        ({"location": ryde, "description": "  "}, "description"),
        ({"location": ryde}, "description"),
        ({"description": "a call"}, "location"),
        ({"location": {"lat": 95, "lon": -1.16}, "description": "a call"}, "location"),
        ({"location": ryde, "description": "x" * 501}, "description"),
        ({"location": ryde, "description": "a call", "report": "CG-AAAA-BBBB"}, "report"),
    ):
        r = client.post("/api/v1/dispatch/tasks", json=body, headers=control)
        assert r.status_code == 422, body
        assert field in r.json()["detail"][0]["loc"], r.json()
    both = {"task": 1, "location": ryde}
    r = client.post("/api/v1/dispatch/recommend", json=both, headers=control)
    assert r.status_code == 422 and "exactly one of location, report or task" in r.text
    r = client.post("/api/v1/dispatch/recommend", json={"task": 99}, headers=control)
    assert r.status_code == 404
    planner = as_role(Role.planner)
    r = client.post(
        "/api/v1/dispatch/tasks", json={"location": ryde, "description": "x"}, headers=planner
    )
    assert r.status_code == 403


def test_migration_0006_steps_down_and_up_keeping_every_task(
    bare_engine: Engine, clock: FakeClock
) -> None:
    """Tasks gain ``description`` and ``opened_by`` with a plain ALTER (no table rebuild, so
    nothing cascades on SQLite): down to 0005 every task and every other row stays; up again
    the columns are back (null for what was stored below 0006)."""
    from sqlalchemy import inspect, text

    from crowdguard.dispatch import service as dispatch
    from crowdguard.dispatch.models import IncidentLocation, TaskCreate
    from crowdguard.store.db import downgrade, upgrade

    upgrade(bare_engine)
    store_world(bare_engine, clock)
    with session_scope(make_sessionmaker(bare_engine)) as session:
        opened = dispatch.open_task(
            session=session,
            data=TaskCreate(
                location=IncidentLocation(lat=50.73, lon=-1.16), description="999: a fight"
            ),
            actor="ctrl",
            now=NOON,
        )
        task_id = opened.id

    def counts() -> dict[str, int]:
        tables = ("dispatch_tasks", "plans", "rosters", "audit_log", "venues", "teams")
        with bare_engine.connect() as conn:
            return {
                t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables
            }

    def columns() -> set[str]:
        return {c["name"] for c in inspect(bare_engine).get_columns("dispatch_tasks")}

    before = counts()
    assert before["dispatch_tasks"] == 1 and before["rosters"] > 0
    downgrade(bare_engine, "0005")
    assert counts() == before
    assert not {"description", "opened_by"} & columns()
    upgrade(bare_engine)
    assert counts() == before
    assert {"description", "opened_by"} <= columns()
    with session_scope(make_sessionmaker(bare_engine)) as session:
        row = dispatch.get_task(session=session, task_id=task_id)
        assert (row.lat, row.description, row.opened_by) == (50.73, None, None)
