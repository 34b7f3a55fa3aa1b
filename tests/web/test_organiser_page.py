"""The event organiser's page over HTTP (no browser): registering an event, writing the
security plan in the form (errors next to fields, nothing stored), pasting it as YAML,
reading the review, revising after advice and seeing findings resolved, and what an
organiser never sees (other organisers' events, anything operational, reviewers' names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from html_parse import parse
from pydantic import ValidationError
from sqlalchemy import Engine

from crowdguard.plans import demo_plans
from crowdguard.plans.review import load_plan
from crowdguard.plans.schema import SecurityPlan
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role, UserCreate
from crowdguard.users.service import create_user
from crowdguard.web.plan_form import field_errors, form_values, plan_data, plan_form

PASSWORD = "correct horse battery"
EXAMPLE = Path(str(resources.files("crowdguard.plans").joinpath("templates/example-plan.yaml")))
EVENT = {
    "name": "Cathedral Close Winter Fair",
    "venue_id": "winchester-cathedral-market",
    "starts_at": "2026-12-18T10:00",
    "ends_at": "2026-12-23T18:00",
    "expected_attendance": "2500",
}


def register(client: TestClient, **changes: str) -> str:
    """Register an event through the page's form; the event page's address."""
    response = client.post("/organiser/events", data={**EVENT, **changes}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0]


def form_of(html: str) -> dict[str, str | list[str]]:
    """What a browser would post from the plan form as shown (text, checked boxes, the
    selected options), the way a person leaves every field they did not touch."""
    page = parse(html)
    out: dict[str, str | list[str]] = {}

    def add(name: str, value: str) -> None:
        have = out.get(name)
        if have is None:
            out[name] = value
        else:
            out[name] = [*(have if isinstance(have, list) else [have]), value]

    select = None
    for element in page.elements:
        if "form#plan-form" not in element.parents:
            continue
        name = element.get("name")
        if element.tag == "select":
            select = name
        elif element.tag == "option" and select and "selected" in element.attrs:
            add(select, element.get("value") or "")
        elif element.tag == "input" and name:
            if element.get("type") == "checkbox":
                if "checked" in element.attrs:
                    add(name, element.get("value") or "on")
            else:
                add(name, element.get("value") or "")
        elif element.tag == "textarea" and name:
            add(name, page.text_by_id.get(element.get("id") or "", "").strip())
    return out


def planner_moves(client: TestClient, headers: dict[str, str], plan_id: int, *steps: str) -> None:
    for status in steps:
        response = client.post(
            f"/api/v1/security-plans/{plan_id}/status", json={"status": status}, headers=headers
        )
        assert response.status_code == 200, response.text


# --- the form and the schema ------------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE, *demo_plans()], ids=lambda p: Path(p).stem)
def test_every_shipped_plan_goes_through_the_form_unchanged(path: Path) -> None:
    plan = load_plan(path)
    data, _ = plan_data(form_values(plan.model_dump(mode="json")))
    assert SecurityPlan.model_validate(data) == plan


def test_the_form_has_every_section_of_the_schema_with_the_examples_guidance() -> None:
    form = plan_form({})
    paths = {g.path for g in form.groups}
    assert paths == {"", *(n for n in SecurityPlan.model_fields if n not in {
        "public_access", "entry_checks", "fictional_details"})}  # fmt: skip
    fields = {f.path: f for g in form.groups for f in g.walk()}
    assert "TPPA s.10" in fields["event.responsible_person_type"].hint  # the example's note
    assert fields["physical.hvm_products.0.rating"].example == "V/7500[N3]/48/90:2.5/6.0"
    procedures = next(g for g in form.groups if g.path == "procedures")
    assert "s.5(3)" in procedures.intro  # the section's clause, from its schema docstring


def test_an_error_in_a_second_row_goes_back_to_that_row() -> None:
    values = {"_submitted": "1", "event.id": "fair", "event.name": "Fair", "event.organiser": "Me",
              "physical.hvm_products.1.name": "Barrier", "physical.hvm_products.1.rating": "tall",
              "physical.hvm_products.1.standard": "ISO 22343-1",
              "physical.hvm_products.1.foundation": "A"}  # fmt: skip
    data, moved = plan_data(values)
    assert len(data["physical"]["hvm_products"]) == 1  # the empty first row is dropped
    with pytest.raises(ValidationError) as caught:
        SecurityPlan.model_validate(data)
    errors = field_errors(caught.value, moved)
    assert list(errors) == ["physical.hvm_products.1.rating"]


@pytest.mark.parametrize(
    ("path", "typed", "expected"),
    [
        ("occupancy.maximum", "1e999", "whole number"),
        ("movement.density_limit_per_m2", "NaN", "finite number"),
        ("movement.density_limit_per_m2", "-2", "greater than 0"),
        ("dates.closes", "2026-02-30", "YYYY-MM-DD"),
        ("training.exercised_on", "tomorrow", "YYYY-MM-DD"),
        ("physical.hvm_products.0.standard", "BS 1", "ISO 22343-1"),
        ("entry_checks", "invitation", "not an entry check"),
    ],
)
def test_hostile_or_mistyped_values_come_back_next_to_their_field(
    path: str, typed: str, expected: str
) -> None:
    values = {"_submitted": "1", "event.id": "fair", "event.name": "Fair", "event.organiser": "Me",
              "occupancy.maximum": "10", "dates.opens": "2026-02-01", "dates.closes": "2026-02-02",
              "physical.hvm_products.0.name": "Barrier", "physical.hvm_products.0.foundation": "A",
              "physical.hvm_products.0.rating": "V/7500[N3]/48/90:2.5/6.0",
              "physical.hvm_products.0.standard": "ISO 22343-1", path: typed}  # fmt: skip
    data, moved = plan_data(values)
    with pytest.raises(ValidationError) as caught:
        SecurityPlan.model_validate(data)
    errors = field_errors(caught.value, moved)
    assert path in errors and expected in errors[path], errors
    form = plan_form(values, errors)
    shown = {f.path: f for g in form.groups for f in g.walk()}[path]
    assert shown.error == errors[path] and shown.value == typed  # what was typed is kept


def test_a_section_level_error_is_said_at_the_section() -> None:
    values = {"_submitted": "1", "event.id": "fair", "event.name": "Fair", "event.organiser": "Me",
              "dates.opens": "2026-12-20", "dates.closes": "2026-12-01"}  # fmt: skip
    data, moved = plan_data(values)
    with pytest.raises(ValidationError) as caught:
        SecurityPlan.model_validate(data)
    errors = field_errors(caught.value, moved)
    assert "before opens" in errors["dates"]
    assert plan_form(values, errors).errors()[0][:2] == ("g-dates", "Dates")


# --- the journey ---------------------------------------------------------------------------------


def test_an_organiser_registers_writes_fixes_an_error_and_revises_after_advice(
    client: TestClient, signed_in: Callable[[Role], str], as_role: Callable[[Role], dict[str, str]]
) -> None:
    signed_in(Role.organiser)
    empty = parse(client.get("/organiser").text)
    assert empty.has_id("no-events") and empty.has_id("register-event")

    refused = client.post("/organiser/events", data={**EVENT, "ends_at": "2026-12-17T10:00"})
    assert refused.status_code == 422
    page = parse(refused.text)
    assert "after" in page.text("event-ends_at-error")
    assert page.by_id("event-name").get("value") == EVENT["name"]  # what was typed is kept

    event_page = register(client)
    assert "Event registered" in parse(client.get(event_page + "?done=registered").text).text(
        "organiser-done"
    )
    # A first plan starts from the event's own details.
    start = client.get(event_page + "/plan").text
    values = form_of(start)
    assert values["event.name"] == EVENT["name"] and values["venue.id"] == EVENT["venue_id"]
    assert values["dates.opens"] == "2026-12-18" and values["public_access"] == "on"

    # A validation error: said next to the field, what was typed kept, nothing stored.
    values |= {"event.organiser": "Close Events Ltd", "occupancy.maximum": "lots"}
    bad = client.post(event_page + "/plan", data=values)
    assert bad.status_code == 422
    page = parse(bad.text)
    assert page.text("f-occupancy-maximum-error") == "enter a whole number, such as 2500"
    assert page.by_id("f-occupancy-maximum").get("aria-invalid") == "true"
    assert page.by_id("f-event-organiser").get("value") == "Close Events Ltd"
    summary = page.text("error-summary")  # the summary names the section and the field
    assert "Occupancy: Maximum: enter a whole number" in summary
    assert "#f-occupancy-maximum" in [a.get("href") for a in page.all("a")]
    assert client.get("/api/v1/security-plans").json()["total"] == 0

    values["occupancy.maximum"] = "2500"
    sent = client.post(event_page + "/plan", data=values, follow_redirects=False)
    assert sent.status_code == 303
    page = parse(client.get(sent.headers["location"]).text)
    assert "version 1" in page.text("plan-title")
    assert "waiting for the police" in page.text("plan-state")
    assert page.has_id("finding-P1")  # no evacuation procedure yet
    assert not page.has_id("revise-plan")  # not before the review
    plan_id = int(page.by_id("letter-html").get("href").split("/")[4])  # type: ignore[union-attr]

    # Revising before the review is refused by the workflow, with the reason.
    early = client.post(event_page + "/plan", data=values)
    assert early.status_code == 409 and "cannot go from submitted" in parse(early.text).text(
        "plan-problem"
    )

    planner = as_role(Role.planner)
    planner_moves(client, planner, plan_id, "under_review", "advice_issued")
    letter = client.get(f"/api/v1/security-plans/{plan_id}/letter?format=html")
    assert letter.status_code == 200 and "Evacuation" in letter.text

    page = parse(client.get(event_page).text)
    assert page.has_id("revise-plan")
    revise = form_of(client.get(event_page + "/plan").text)
    assert revise["event.organiser"] == "Close Events Ltd"  # the current version, to revise
    revise |= {
        "procedures.evacuation.routes": "North gate to Great Minster Street\nSouth gate",
        "procedures.evacuation.modes": ["partial", "full"],
        "procedures.evacuation.disabled_people": "Stewards at the accessible gates",
        "procedures.evacuation.dispersal": "Along three streets",
        "procedures.evacuation.emergency_access": "Via Colebrook Street",
        "procedures.evacuation.map": "Annex A",
    }
    again = client.post(event_page + "/plan", data=revise, follow_redirects=False)
    assert again.status_code == 303, again.text
    page = parse(client.get(event_page).text)
    assert "version 2" in page.text("plan-title")
    assert not page.has_id("finding-P1")
    assert "P1" in page.text("version-2") and "Resolved since version 1" in page.text("version-2")
    assert page.has_id("version-1")


def test_a_pasted_plan_is_read_like_a_file_and_its_errors_name_the_line(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.organiser)
    event_page = register(client)
    text = EXAMPLE.read_text(encoding="utf-8")
    broken = text.replace("  cctv: true", "  cctv: true\n  ccvt: true", 1)
    refused = client.post(event_page + "/plan", data={"plan_text": broken})
    assert refused.status_code == 422
    message = parse(refused.text).text("plan-text-error")
    line = broken.splitlines().index("  ccvt: true") + 1
    assert message.startswith(f"the pasted plan:{line}: monitoring.ccvt: unknown field")
    assert parse(refused.text).text("plan-text").startswith("# CrowdGuard")  # kept
    too_big = client.post(event_page + "/plan", data={"plan_text": "x" * 200_001})
    assert too_big.status_code == 413
    sent = client.post(event_page + "/plan", data={"plan_text": text}, follow_redirects=False)
    assert sent.status_code == 303
    page = parse(client.get(event_page).text)
    assert "Enhanced" in page.text("review-tier") or "Standard" in page.text("review-tier")


# --- what an organiser never sees ------------------------------------------------------------


def second_organiser(engine: Engine, clock: FakeClock) -> None:
    with session_scope(make_sessionmaker(engine)) as session:
        create_user(
            session=session,
            data=UserCreate(username="other-organiser", password=PASSWORD, role=Role.organiser),
            actor="test",
            now=clock.now(),
        )


def test_an_organiser_sees_only_their_own_events_and_nothing_operational(
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    signed_in: Callable[[Role], str],
    as_role: Callable[[Role], dict[str, str]],
) -> None:
    second_organiser(engine, clock)
    client.post("/login", data={"username": "other-organiser", "password": PASSWORD})
    theirs = register(client, name="Someone Else's Market")
    client.post(theirs + "/plan", data={"plan_text": EXAMPLE.read_text(encoding="utf-8")})
    client.post("/logout")

    name = signed_in(Role.organiser)
    mine = register(client)
    sent = client.post(mine + "/plan", data={"plan_text": EXAMPLE.read_text(encoding="utf-8")})
    assert sent.status_code == 200  # followed to the event page
    plan_id = int(parse(sent.text).by_id("letter-html").get("href").split("/")[4])  # type: ignore[union-attr]
    planner = as_role(Role.planner)
    planner_moves(client, planner, plan_id, "under_review")
    override = client.post(
        f"/api/v1/security-plans/{plan_id}/overrides",
        json={"rule": "P1", "status": "partial", "reason": "The map is not to scale"},
        headers=planner,
    )
    assert override.status_code == 201, override.text

    listing = client.get("/organiser").text
    assert "Someone Else" not in listing and EVENT["name"] in listing
    for path in (theirs, theirs + "/plan"):
        assert client.get(path).status_code == 404
    post = client.post(theirs + "/plan", data={"plan_text": EXAMPLE.read_text(encoding="utf-8")})
    assert post.status_code == 404

    page = client.get(mine).text
    assert "The map is not to scale" in page  # the reason is the organiser's to read ...
    assert "planner-user" not in page  # ... but not who wrote it
    everything = listing + page + client.get(mine + "/plan").text
    for word in ("roster", "footfall", "callsign", "dispatch", "/planner", "/board", "/officer"):
        assert word not in everything.lower(), word
    scenario = demo_scenario()
    for team in scenario.teams:
        assert team.callsign not in everything
    for base in scenario.bases:
        assert base.name not in everything
    assert name in everything  # signed in as themselves throughout


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.organiser])
def test_other_roles_are_refused_the_organiser_pages(
    client: TestClient, signed_in: Callable[[Role], str], role: Role
) -> None:
    signed_in(role)
    response = client.get("/organiser")
    assert response.status_code == 403 and "event organiser" in parse(response.text).text("refusal")
    assert client.post("/organiser/events", data=EVENT).status_code == 403
    for path in ("/organiser/events/1", "/organiser/events/1/plan"):  # one gate for every route
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert parse(refused.text).by_id("refusal").get("id") == "refusal"


def test_a_visitor_is_asked_to_log_in_and_the_times_are_local(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    page = parse(client.get("/organiser/events/1").text)
    assert page.by_id("login").get("action") == "/login"
    signed_in(Role.organiser)
    event_page = register(client, starts_at="2026-06-18T10:00", ends_at="2026-06-20T18:00")
    event = client.get("/api/v1/events").json()["items"][0]
    # 10:00 in London in June is 09:00 UTC (British Summer Time).
    assert dt.datetime.fromisoformat(event["starts_at"]) == dt.datetime(
        2026, 6, 18, 9, 0, tzinfo=dt.UTC
    )
    assert "Thu 18 Jun 2026 10:00" in parse(client.get(event_page).text).text("event-facts")
