"""Event security plans in the served system: submit, review, letter, resubmit, accept.

Runs on SQLite and (through ``scripts/test``) PostgreSQL. Expected findings come from the
demo plans' documented content (the Guildhall ice rink has no lockdown procedure, P3) and
from the pure engine run on the same plan, never from the server's own answers.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from server_helpers import venue
from sqlalchemy import Engine, inspect

from crowdguard.audit.service import verify_chain
from crowdguard.plans import DEMO_DIR, parse_plan, review
from crowdguard.plans.overrides import apply_overrides
from crowdguard.plans.revisions import PlanStatus, ReviewItem, due_for_review
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import downgrade, make_sessionmaker, session_scope, upgrade
from crowdguard.users.models import Role

API = "/api/v1/security-plans"
Headers = dict[str, str]


def demo_plan(name: str = "portsmouth-guildhall-ice-rink") -> dict[str, Any]:
    """A demo plan as a JSON body (YAML dates become ISO strings)."""
    data = yaml.safe_load((DEMO_DIR / f"{name}.yaml").read_text())
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def with_lockdown(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with a complete lockdown procedure (checklist item P3 satisfied)."""
    revised = copy.deepcopy(plan)
    revised.setdefault("procedures", {})["lockdown"] = {
        "how_entry_stops": "Rink gates shut and stewards hold the exits",
        "authorised_by": "Duty manager",
        "time_to_secure_minutes": 3,
    }
    return revised


def finding_rules(body: dict[str, Any]) -> list[str]:
    """Rule ids of the findings in a review response (or in a submission's review)."""
    public = body if "plan_id" in body else body["review"]
    return [f["rule"] for f in public["review"]["findings"]]


@pytest.fixture
def staff(as_role: Callable[..., Headers]) -> dict[str, Headers]:
    """Headers for an admin (who sets up venues) and a planner (the reviewer)."""
    return {"admin": as_role(Role.admin), "planner": as_role(Role.planner)}


@pytest.fixture
def make_event(client: TestClient, staff: dict[str, Headers]) -> Callable[..., int]:
    """Create an event as the given organiser (the venue once); returns the event id."""
    made: list[int] = []

    def make(headers: Headers, starts: str = "2026-12-12T16:00:00+00:00") -> int:
        if not made:
            r = client.post("/api/v1/venues", json=venue(), headers=staff["admin"])
            assert r.status_code == 201, r.text
        start = dt.datetime.fromisoformat(starts)
        body = {
            "name": "Ice rink",
            "venue_id": "winchester-market",
            "starts_at": starts,
            "ends_at": (start + dt.timedelta(hours=5)).isoformat(),
            "expected_attendance": 1200,
        }
        r = client.post("/api/v1/events", json=body, headers=headers)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return int(r.json()["id"])

    return make


def audit_actions(engine: Engine) -> list[tuple[str, str | None, dict[str, Any]]]:
    from sqlalchemy import select

    from crowdguard.audit.tables import AuditRow

    with session_scope(make_sessionmaker(engine)) as session:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.entity == "security_plan").order_by(AuditRow.id)
        ).all()
        return [(r.action, r.actor, dict(r.detail)) for r in rows]


def chain_intact(engine: Engine) -> bool:
    with session_scope(make_sessionmaker(engine)) as session:
        return verify_chain(session=session).intact


# -- the whole workflow, on both databases ------------------------------------------------


def test_submit_review_letter_resubmit_diff_accept(
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla)
    first = demo_plan()

    # Submit: reviewed at once, version 1, status submitted.
    r = client.post(API, json={"event_id": event_id, "plan": first}, headers=orla)
    assert r.status_code == 201, r.text
    body = r.json()
    plan_id = body["plan"]["id"]
    assert body["plan"]["status"] == "submitted"
    assert body["plan"]["current_version"] == 1
    # 1,200 people with ticket checks at an open-air event: enhanced duties (TPPA s.3).
    assert body["review"]["review"]["tier"] == "enhanced"
    assert "P3" in finding_rules(body)  # no lockdown procedure in this plan
    # The served review is the engine's review of the same plan on the same day.
    today = clock.now().date()
    expected = review(parse_plan(first), on=today)
    assert body["review"]["review"]["score"] == expected.score
    assert finding_rules(body) == [f.rule for f in expected.findings]
    # Due 14 days before the event opens on 12 December.
    assert body["plan"]["review_due"] == "2026-11-28"

    # The organiser sees it in their list and reads the letter in three formats.
    mine = client.get(API, headers=orla).json()
    assert [p["id"] for p in mine["items"]] == [plan_id] and mine["total"] == 1
    md = client.get(f"{API}/{plan_id}/letter", headers=orla)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "Portsmouth Guildhall Square Ice Rink" in md.text
    assert "Lockdown procedure" in md.text
    html = client.get(f"{API}/{plan_id}/letter", params={"format": "html"}, headers=orla)
    assert html.headers["content-type"].startswith("text/html")
    assert "<h1>Security plan review: Portsmouth Guildhall Square Ice Rink</h1>" in html.text
    csp = html.headers["content-security-policy"]  # issue 12: nothing may load or run
    assert "default-src 'none'" in csp and "script-src" not in csp
    pdf = client.get(f"{API}/{plan_id}/letter", params={"format": "pdf"}, headers=orla)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"

    # Resubmitting while the plan awaits review is not a move the workflow allows.
    early = client.post(f"{API}/{plan_id}/versions", json={"plan": first}, headers=orla)
    assert early.status_code == 409 and "status" in early.json()["detail"]

    # The planner finds it in the queue (overdue on 5 December) and issues advice.
    queue = client.get(f"{API}/queue", headers=staff["planner"]).json()
    assert [p["id"] for p in queue["items"]] == [plan_id]
    for status in ("under_review", "advice_issued"):
        r = client.post(
            f"{API}/{plan_id}/status", json={"status": status}, headers=staff["planner"]
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    assert client.get(f"{API}/queue", headers=staff["planner"]).json()["items"] == []

    # The organiser adds a lockdown procedure and resubmits: version 2, P3 resolved.
    second = with_lockdown(first)
    r = client.post(f"{API}/{plan_id}/versions", json={"plan": second}, headers=orla)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["plan"]["current_version"] == 2 and body["plan"]["status"] == "resubmitted"
    assert [c["rule"] for c in body["diff"]["resolved"]] == ["P3"]
    assert body["diff"]["new"] == [] and body["diff"]["worsened"] == []
    assert "P3" not in finding_rules(body)
    assert body["review"]["review"]["score"] > review(parse_plan(first), on=today).score

    # Both versions stay readable, exactly as submitted.
    v1 = client.get(f"{API}/{plan_id}/versions/1", headers=orla).json()
    v2 = client.get(f"{API}/{plan_id}/versions/2", headers=orla).json()
    assert v1["plan"]["procedures"].get("lockdown") is None
    assert v2["plan"]["procedures"]["lockdown"]["authorised_by"] == "Duty manager"
    old_review = client.get(f"{API}/{plan_id}/review", params={"version": 1}, headers=orla)
    assert "P3" in finding_rules(old_review.json())

    # Back in the queue; the planner accepts it.
    queue = client.get(f"{API}/queue", headers=staff["planner"]).json()
    assert [p["id"] for p in queue["items"]] == [plan_id]
    for status in ("under_review", "accepted"):
        r = client.post(
            f"{API}/{plan_id}/status", json={"status": status}, headers=staff["planner"]
        )
        assert r.status_code == 200, r.text
    assert client.get(f"{API}/{plan_id}", headers=orla).json()["status"] == "accepted"
    assert client.get(f"{API}/queue", headers=staff["planner"]).json()["total"] == 0

    # Every step is in the audit trail, and the chain still verifies.
    actions = [(a, who) for a, who, _ in audit_actions(engine)]
    assert actions == [
        ("security_plan.submit", "orla"),
        ("security_plan.status", "planner-user"),
        ("security_plan.status", "planner-user"),
        ("security_plan.resubmit", "orla"),
        ("security_plan.status", "planner-user"),
        ("security_plan.status", "planner-user"),
    ]
    assert chain_intact(engine)


def test_workflow_refuses_moves_it_does_not_allow(
    client: TestClient,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    plan_id = client.post(
        API, json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla
    ).json()["plan"]["id"]
    # submitted -> accepted skips the review.
    r = client.post(
        f"{API}/{plan_id}/status", json={"status": "accepted"}, headers=staff["planner"]
    )
    assert r.status_code == 409
    assert "under_review" in r.json()["detail"]
    # "resubmitted" is not a reviewer's move: only a resubmission sets it.
    r = client.post(
        f"{API}/{plan_id}/status", json={"status": "resubmitted"}, headers=staff["planner"]
    )
    assert r.status_code == 422
    # A second first submission for the same event points at the resubmission route.
    again = client.post(
        API,
        json={
            "event_id": client.get(f"{API}/{plan_id}", headers=orla).json()["event_id"],
            "plan": demo_plan(),
        },
        headers=orla,
    )
    assert again.status_code == 409 and f"/{plan_id}/versions" in again.json()["detail"]


# -- organisers see only their own ----------------------------------------------------------


def test_organisers_cannot_reach_other_organisers_plans(
    client: TestClient, as_role: Callable[..., Headers], make_event: Callable[..., int]
) -> None:
    orla = as_role(Role.organiser, username="orla")
    otto = as_role(Role.organiser, username="otto")
    orla_event, otto_event = make_event(orla), make_event(otto)
    # Submitting for someone else's event: 404, as the events slice answers.
    r = client.post(API, json={"event_id": otto_event, "plan": demo_plan()}, headers=orla)
    assert r.status_code == 404 and "event_id" in r.json()["detail"]
    plan_id = client.post(
        API, json={"event_id": orla_event, "plan": demo_plan()}, headers=orla
    ).json()["plan"]["id"]
    assert client.get(API, headers=otto).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    for path in ("", "/review", "/letter", "/versions/1"):
        assert client.get(f"{API}/{plan_id}{path}", headers=otto).status_code == 404, path
    r = client.post(f"{API}/{plan_id}/versions", json={"plan": demo_plan()}, headers=otto)
    assert r.status_code == 404
    # Organisers may not move the workflow or override findings at all.
    r = client.post(f"{API}/{plan_id}/status", json={"status": "under_review"}, headers=orla)
    assert r.status_code == 403
    assert client.get(f"{API}/queue", headers=orla).status_code == 403


def test_lists_page_like_the_other_slices(
    client: TestClient,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    ids = [
        client.post(
            API, json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla
        ).json()["plan"]["id"]
        for _ in range(3)
    ]
    page = client.get(API, params={"limit": 2, "offset": 1}, headers=staff["planner"]).json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == ids[1:]
    assert client.get(API, params={"limit": 0}, headers=orla).status_code == 422
    only = client.get(API, params={"status": "accepted"}, headers=orla).json()
    assert only["total"] == 0


# -- the review queue -----------------------------------------------------------------------


def test_queue_matches_the_pure_due_for_review_rule(
    client: TestClient,
    clock: FakeClock,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    # Openings from overdue to far ahead; today is 5 December 2026.
    starts = ["2027-01-20", "2026-12-12", "2026-12-22", "2026-12-19", "2026-12-30"]
    plans: dict[int, str] = {}
    for day in starts:
        event_id = make_event(orla, starts=f"{day}T12:00:00+00:00")
        r = client.post(API, json={"event_id": event_id, "plan": demo_plan()}, headers=orla)
        plans[r.json()["plan"]["id"]] = day
    # One plan already advised is out of the queue whatever its date.
    advised = next(pid for pid, day in plans.items() if day == "2026-12-19")
    for status in ("under_review", "advice_issued"):
        client.post(f"{API}/{advised}/status", json={"status": status}, headers=staff["planner"])
    statuses = {pid: PlanStatus.submitted for pid in plans} | {advised: PlanStatus.advice_issued}
    items = [
        ReviewItem(event=str(pid), opens=dt.date.fromisoformat(day), status=statuses[pid])
        for pid, day in plans.items()
    ]
    for within in (0, 7, 30):
        expected = [
            int(i.event) for i in due_for_review(items, clock.now().date(), within_days=within)
        ]
        got = client.get(
            f"{API}/queue", params={"within_days": within}, headers=staff["planner"]
        ).json()
        assert [p["id"] for p in got["items"]] == expected, within
        assert got["total"] == len(expected)
        dues = [p["review_due"] for p in got["items"]]
        assert dues == sorted(dues)


def test_a_rescheduled_event_moves_its_review_into_the_queue(
    client: TestClient,
    clock: FakeClock,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla, starts="2027-01-20T12:00:00+00:00")  # due 6 January
    plan_id = client.post(API, json={"event_id": event_id, "plan": demo_plan()}, headers=orla)
    plan_id = plan_id.json()["plan"]["id"]
    queue = f"{API}/queue"
    assert client.get(queue, headers=staff["planner"]).json()["total"] == 0
    moved = client.patch(
        f"/api/v1/events/{event_id}",
        json={"starts_at": "2026-12-15T12:00:00+00:00", "ends_at": "2026-12-15T18:00:00+00:00"},
        headers=orla,
    )
    assert moved.status_code == 200, moved.text
    due = dt.date(2026, 12, 15) - dt.timedelta(days=14)
    got = client.get(queue, headers=staff["planner"]).json()
    assert [(p["id"], p["review_due"]) for p in got["items"]] == [(plan_id, due.isoformat())]


def test_an_event_with_a_plan_cannot_be_deleted_and_lose_its_reviews(
    client: TestClient,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla)
    plan_id = client.post(API, json={"event_id": event_id, "plan": demo_plan()}, headers=orla)
    plan_id = plan_id.json()["plan"]["id"]
    for headers in (orla, staff["planner"]):
        refused = client.delete(f"/api/v1/events/{event_id}", headers=headers)
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith("event_id: ")
    assert client.get(f"{API}/{plan_id}/review", headers=orla).status_code == 200
    other = make_event(orla)  # an event without a plan still goes
    assert client.delete(f"/api/v1/events/{other}", headers=orla).status_code == 204


def test_analysts_see_counts_only(
    client: TestClient,
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    client.post(API, json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla)
    client.post(
        API,
        json={"event_id": make_event(orla), "plan": demo_plan("winchester-cathedral-market")},
        headers=orla,
    )
    analyst = as_role(Role.analyst)
    counts = client.get(f"{API}/counts", headers=analyst).json()
    assert counts["total"] == 2 and counts["by_status"] == {"submitted": 2}
    assert sum(counts["by_tier"].values()) == 2
    assert client.get(API, headers=analyst).status_code == 403
    assert client.get(f"{API}/1/review", headers=analyst).status_code == 403


# -- overrides --------------------------------------------------------------------------------


def test_override_needs_a_reason_is_audited_and_changes_the_effective_review(
    client: TestClient,
    engine: Engine,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    submitted = client.post(
        API, json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla
    ).json()
    plan_id = submitted["plan"]["id"]
    engine_score = submitted["review"]["review"]["score"]
    url = f"{API}/{plan_id}/overrides"
    for reason in ("", "   "):
        r = client.post(
            url,
            json={"rule": "P3", "status": "adequate", "reason": reason},
            headers=staff["planner"],
        )
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "reason"]
    r = client.post(url, json={"rule": "P3", "status": "adequate"}, headers=staff["planner"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    r = client.post(
        url, json={"rule": "Z9", "status": "adequate", "reason": "x"}, headers=staff["planner"]
    )
    assert r.status_code == 400 and r.json()["detail"].startswith("rule:")
    assert audit_actions(engine) == [audit_actions(engine)[0]]  # refusals leave no trace

    why = "Lockdown procedure seen on site visit, 3 Dec; not in the written plan"
    r = client.post(
        url, json={"rule": "P3", "status": "adequate", "reason": why}, headers=staff["planner"]
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert "P3" not in finding_rules(body)
    assert body["engine_score"] == engine_score
    # One critical item from 0 to 2 of 22 items' 44 points (G4 is two items since issue 13):
    # +4.5 percentage points.
    assert len(body["review"]["items"]) == 22
    assert body["review"]["score"] == pytest.approx(engine_score + 100 * 2 / 44, abs=0.11)
    assert body["overrides"][0]["by"] == "planner-user"
    assert body["overrides"][0]["old_status"] == "absent"

    # The organiser sees the effective review and letter, but not who overrode.
    seen = client.get(f"{API}/{plan_id}/review", headers=orla).json()
    assert "P3" not in finding_rules(seen)
    assert seen["overrides"][0]["by"] is None and seen["overrides"][0]["reason"] == why
    letter = client.get(f"{API}/{plan_id}/letter", headers=orla).text
    good, _, rest = letter.partition("## What must improve")
    assert "Lockdown procedure" in good.partition("## What is good")[2]  # now counted as good
    assert "Lockdown procedure" not in rest  # and no longer asked for
    assert client.get(f"{API}/{plan_id}", headers=orla).json()["score"] == body["review"]["score"]

    # Audited with who and why; the chain still verifies.
    action, actor, detail = audit_actions(engine)[-1]
    assert (action, actor) == ("security_plan.override", "planner-user")
    assert detail["reason"] == why and detail["rule"] == "P3"
    assert (detail["from"], detail["to"]) == ("absent", "adequate")
    assert chain_intact(engine)
    verify = client.get("/api/v1/audit/verify", headers=staff["admin"]).json()
    assert verify["intact"] is True

    # Organisers may not override.
    r = client.post(url, json={"rule": "P3", "status": "absent", "reason": "no"}, headers=orla)
    assert r.status_code == 403


def test_override_equals_reviewing_the_plan_that_has_that_evidence() -> None:
    """Independent check: overriding P3 to adequate scores like adding a lockdown section."""
    day = dt.date(2026, 11, 1)
    poor = parse_plan(demo_plan())
    fixed = parse_plan(with_lockdown(demo_plan()))
    engine_fixed = review(fixed, on=day)
    statuses = {item.rule: item.status for item in engine_fixed.items}
    overridden = apply_overrides(review(poor, on=day), statuses)
    assert overridden == engine_fixed
    # Overriding every item to its own status changes nothing.
    base = review(poor, on=day)
    assert apply_overrides(base, {i.rule: i.status for i in base.items}) == base


# -- bad input and security -----------------------------------------------------------------


def test_bad_plans_are_422_naming_the_field(
    client: TestClient, as_role: Callable[..., Headers], make_event: Callable[..., int]
) -> None:
    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla)
    no_event_id = demo_plan()
    del no_event_id["event"]["id"]
    bad_dates = demo_plan()
    bad_dates["dates"]["closes"] = "2026-11-01"
    typo = demo_plan()
    typo["ocupancy"] = {"maximum": 10}
    bad_rating = demo_plan()
    bad_rating["physical"] = {"hvm_products": [{"rating": "7500[N3]/50/90:1.0"}]}
    cases: list[tuple[Any, list[str]]] = [
        ({"event_id": event_id, "plan": no_event_id}, ["body", "plan", "event", "id"]),
        ({"event_id": event_id, "plan": bad_dates}, ["body", "plan", "dates"]),
        ({"event_id": event_id, "plan": typo}, ["body", "plan", "ocupancy"]),
        ({"event_id": event_id, "plan": bad_rating}, ["body", "plan", "physical", "hvm_products"]),
        ({"event_id": 0, "plan": demo_plan()}, ["body", "event_id"]),
        ({"plan": demo_plan()}, ["body", "event_id"]),
    ]
    for body, loc in cases:
        r = client.post(API, json=body, headers=orla)
        assert r.status_code == 422, (loc, r.text)
        locs = [e["loc"] for e in r.json()["detail"]]
        assert any(found[: len(loc)] == loc for found in locs), (loc, locs)
    assert client.get(API, headers=orla).json()["total"] == 0
    r = client.get(f"{API}/1/letter", params={"format": "docx"}, headers=orla)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "format"]


def test_a_plan_is_data_never_a_path(
    client: TestClient,
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
    tmp_path: Any,
) -> None:
    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla)
    secret = tmp_path / "plan.yaml"
    secret.write_text(yaml.safe_dump(demo_plan()))
    for body in (
        {"event_id": event_id, "plan": str(secret)},
        {"event_id": event_id, "plan": f"file://{secret}"},
        {"event_id": event_id, "path": str(secret)},
        {"event_id": event_id, "plan": {"$ref": str(secret)}},
    ):
        r = client.post(API, json=body, headers=orla)
        assert r.status_code == 422, body
        assert "Winter Rinks" not in r.text  # nothing from the file comes back
    # A path in a text field is kept as text and never opened.
    plan = demo_plan()
    plan["event"]["organiser"] = str(secret)
    r = client.post(API, json={"event_id": event_id, "plan": plan}, headers=orla)
    assert r.status_code == 201
    assert r.json()["review"]["review"]["organiser"] == str(secret)


def test_resubmission_must_be_the_same_event(
    client: TestClient,
    staff: dict[str, Headers],
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    orla = as_role(Role.organiser, username="orla")
    plan_id = client.post(
        API, json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla
    ).json()["plan"]["id"]
    for status in ("under_review", "advice_issued"):
        client.post(f"{API}/{plan_id}/status", json={"status": status}, headers=staff["planner"])
    other = demo_plan("winchester-cathedral-market")
    r = client.post(f"{API}/{plan_id}/versions", json={"plan": other}, headers=orla)
    assert r.status_code == 400 and r.json()["detail"].startswith("plan.event.id:")
    assert client.get(f"{API}/{plan_id}", headers=orla).json()["current_version"] == 1


# -- migration --------------------------------------------------------------------------------

TABLES = {
    "security_plans",
    "security_plan_versions",
    "security_plan_reviews",
    "security_plan_overrides",
}


def test_migration_0002_adds_and_removes_the_plan_tables(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0001")
    assert TABLES.isdisjoint(inspect(bare_engine).get_table_names())
    upgrade(bare_engine, "0002")
    assert set(inspect(bare_engine).get_table_names()) >= TABLES
    upgrade(bare_engine)
    downgrade(bare_engine, "0001")
    names = set(inspect(bare_engine).get_table_names())
    assert TABLES.isdisjoint(names) and "events" in names
    downgrade(bare_engine, "base")
    assert TABLES.isdisjoint(inspect(bare_engine).get_table_names())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_pdf_letter_rendering_holds_up_no_public_report(
    client: TestClient,
    clock: FakeClock,
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WeasyPrint takes up to a second; on SQLite (one writer, one database slot) the
    letter request gives both back before rendering, so a report is acknowledged meanwhile."""
    import threading
    import time

    from crowdguard.plans import api as plans_api

    orla = as_role(Role.organiser, username="orla")
    event_id = make_event(orla)
    plan_id = client.post(
        API, json={"event_id": event_id, "plan": demo_plan()}, headers=orla
    ).json()["plan"]["id"]
    rendering, finish = threading.Event(), threading.Event()
    real = plans_api.render_pdf

    def slow(review: Any) -> bytes:
        rendering.set()
        finish.wait(60)
        return real(review)

    monkeypatch.setattr(plans_api, "render_pdf", slow)
    letters: list[Any] = []
    worker = threading.Thread(
        target=lambda: letters.append(
            client.get(f"{API}/{plan_id}/letter", params={"format": "pdf"}, headers=orla)
        )
    )
    worker.start()
    try:
        assert rendering.wait(30), "the letter never started rendering"
        began = time.monotonic()
        report = client.post(
            "/api/v1/reports",
            json={
                "category": "unattended_item",
                "location": {"lat": 50.7989, "lon": -1.0912},
                "observed_at": (clock.now() - dt.timedelta(minutes=5)).isoformat(),
                "description": "A holdall left under the ice rink's ticket booth",
            },
        )
        assert report.status_code == 201, report.text
        assert time.monotonic() - began < 10 and worker.is_alive()
    finally:
        finish.set()
        worker.join(120)
    assert letters and letters[0].status_code == 200
    assert letters[0].content[:5] == b"%PDF-"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_migration_0011_rewrites_stored_plans_to_todays_schema(
    client: TestClient,
    engine: Engine,
    as_role: Callable[..., Headers],
    make_event: Callable[..., int],
) -> None:
    """Issue 13 item 7: a plan stored with ``body_corporate`` and ``entry_checks:
    invitation`` (both refused or deprecated today) reads back after the upgrade as a
    body corporate's private event (``public_access: false``)."""
    from sqlalchemy import text

    orla = as_role(Role.organiser, username="orla")
    plan = demo_plan()
    plan["event"]["responsible_person_type"] = "body_corporate"
    r = client.post(API, json={"event_id": make_event(orla), "plan": plan}, headers=orla)
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan"]["id"]

    def stored() -> dict[str, Any]:
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT plan FROM security_plan_versions")).scalar_one()
        return dict(json.loads(raw) if isinstance(raw, str) else raw)

    downgrade(engine, "0010")
    old = stored()
    assert old["event"]["body_corporate"] is True and "public_access" not in old
    assert "responsible_person_type" not in old["event"]
    old["entry_checks"] = "invitation"  # what an organiser could write before issue 13
    with engine.begin() as conn:
        conn.execute(text("UPDATE security_plan_versions SET plan = :p"), {"p": json.dumps(old)})

    upgrade(engine)
    new = stored()
    assert "body_corporate" not in new["event"]
    assert new["event"]["responsible_person_type"] == "body_corporate"
    assert (new["public_access"], new["entry_checks"]) == (False, "none")
    r = client.get(f"{API}/{plan_id}/versions/1", headers=orla)
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["public_access"] is False


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_old_body_corporate_field_is_read_with_a_deprecation_notice(
    client: TestClient, as_role: Callable[..., Headers], make_event: Callable[..., int]
) -> None:
    """Issue 13 item 6: ``body_corporate`` is still accepted, mapped to
    ``responsible_person_type``, and the response says what to write instead."""
    orla = as_role(Role.organiser, username="orla")
    plan = demo_plan()
    plan["event"].pop("responsible_person_type", None)
    plan["event"]["body_corporate"] = True
    r = client.post(API, json={"event_id": make_event(orla), "plan": plan}, headers=orla)
    assert r.status_code == 201, r.text
    [notice] = r.json()["notices"]
    assert notice.startswith("plan.event.body_corporate: event.body_corporate is deprecated")
    assert "responsible_person_type" in notice
    plan_id = r.json()["plan"]["id"]
    stored = client.get(f"{API}/{plan_id}/versions/1", headers=orla).json()["plan"]["event"]
    assert stored["responsible_person_type"] == "body_corporate" and "body_corporate" not in stored
    again = client.post(
        f"{API}", json={"event_id": make_event(orla), "plan": demo_plan()}, headers=orla
    )
    assert again.status_code == 201 and again.json()["notices"] == []
    private = {**demo_plan(), "entry_checks": "invitation"}
    refused = client.post(API, json={"event_id": make_event(orla), "plan": private}, headers=orla)
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "plan", "entry_checks"]
    assert "public_access: false" in error["msg"]
