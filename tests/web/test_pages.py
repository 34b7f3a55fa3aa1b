"""The public report form and the board page over HTTP (no browser, no JavaScript).

A browser without JavaScript posts the form exactly as these tests do, so they are the
no-JavaScript path; ``test_browser.py`` drives the same pages in chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from demo_roster import PATROLS, store_demo_roster
from fastapi import FastAPI
from fastapi.testclient import TestClient
from html_parse import Page, parse
from sqlalchemy import Engine, select

from crowdguard.api.events import BoardEvent, EventBus
from crowdguard.api.limits import DatabaseGate
from crowdguard.audit.service import verify_chain
from crowdguard.audit.tables import AuditRow
from crowdguard.dispatch.models import MANUAL_STATES
from crowdguard.reports.intake import IntakeWriter
from crowdguard.reports.models import EMERGENCY_REMINDER, ReportCategory
from crowdguard.reports.tables import ReportRow
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.web.pages import (
    CATEGORY_LABELS,
    FIELD_HELP,
    GRADE_LABELS,
    UNIT_STATE_LABELS,
)

BANNER = "In an emergency call 999"
REFERENCE = re.compile(r"CG-[A-Z0-9]{4}-[A-Z0-9]{4}")
VENUE = "winchester-cathedral-market"
GOOD = {
    "category": "unattended_item",
    "description": "A black rucksack left under the bench by the ice rink for 20 minutes.",
    "venue_id": VENUE,
    "location_text": "by the ice rink entrance",
}


def stored(client: TestClient, control: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/reports", headers=control)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def reference_on(page: Page) -> str:
    reference = page.text("reference")
    assert REFERENCE.fullmatch(reference), reference
    return reference


# --- the form ----------------------------------------------------------------------------


def test_form_lists_every_category_and_stored_venue_under_the_banner(reader: TestClient) -> None:
    response = reader.get("/report")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.text("emergency-banner") == BANNER
    assert EMERGENCY_REMINDER in page.text("emergency-reminder")
    options = {e.get("value") for e in page.all("option") if "select#category" in e.parents}
    assert options == {"", *(c.value for c in ReportCategory)}
    for label in CATEGORY_LABELS.values():
        assert label in page.text("category")
    venues = {e.get("value") for e in page.all("option") if "select#venue_id" in e.parents}
    assert venues == {"", *(v.id for v in demo_scenario().venues)}
    # the map's markers come from the page's venue data: public places, with name, town and
    # point only (the base map itself is /map/land.geojson, tested below)
    data = json.loads(page.text("venue-data"))
    assert {v["id"] for v in data} == {v.id for v in demo_scenario().venues}
    assert all(set(v) == {"id", "name", "town", "lat", "lon"} for v in data)
    assert page.by_id("venue-map").get("data-tile-url") == ""  # the offline base map


def test_form_is_anonymous_by_default_with_optional_contact(reader: TestClient) -> None:
    page = parse(reader.get("/report").text)
    for name in ("contact_name", "contact_phone", "contact_email"):
        field = page.by_id(name)
        assert "required" not in field.attrs
        assert field.get("value") == ""
    assert "stay anonymous" in page.text("main")


def test_every_input_has_a_label_and_the_honeypot_is_hidden_from_people(
    reader: TestClient,
) -> None:
    page = parse(reader.get("/report").text)
    fields = [
        e
        for e in page.elements
        if e.tag in {"input", "select", "textarea"} and e.get("type") != "hidden"
    ]
    assert len(fields) > 15
    unlabelled = [e.get("id") for e in fields if e.get("id") not in page.label_targets]
    assert unlabelled == []
    honeypot = page.by_id("website")
    assert honeypot.get("tabindex") == "-1"
    assert honeypot.get("autocomplete") == "off"
    wrapper = next(e for e in page.elements if e.tag == "div" and e.get("class") == "hp")
    assert wrapper.get("aria-hidden") == "true"
    assert "div.hp" in honeypot.parents
    assert page.all("html")[0].get("lang") == "en-GB"


def test_a_form_without_javascript_stores_the_report_and_shows_its_reference(
    client: TestClient, control: dict[str, str], clock: FakeClock
) -> None:
    response = client.post("/report", data=GOOD)
    assert response.status_code == 201
    page = parse(response.text)
    assert page.text("emergency-banner") == BANNER
    reference = reference_on(page)
    assert "What happens next" in response.text
    assert "14:00 on 5 December 2026" in page.text("main")  # the clock, in UK time
    assert "will not contact you" in response.text  # no phone or e-mail: anonymous
    [item] = stored(client, control)
    report = item["report"]
    assert report["reference"] == reference
    assert report["category"] == "unattended_item"
    assert report["location"]["venue_id"] == VENUE
    assert report["location"]["text"] == "by the ice rink entrance"
    assert report["anonymous"] is True
    assert report["contact"] is None
    assert dt.datetime.fromisoformat(report["observed_at"]) == clock.now()  # "when" left empty


def test_every_optional_part_of_the_form_reaches_the_record(
    client: TestClient, control: dict[str, str]
) -> None:
    response = client.post(
        "/report",
        data={
            **GOOD,
            "venue_id": "",
            "location_lat": "51.06071",
            "location_lon": "-1.31302",
            "location_precision_m": "40",
            "observed_at": "2026-12-05T13:50",  # London time (UTC in December)
            "item_obvious": "on",
            "item_description": "black rucksack, wires showing",
            "vehicle_vrm": "AB12 CDE",
            "person_description": "man in a grey hoodie",
            "person_direction": "towards the High Street",
            "contact_name": "Sam",
            "contact_phone": "+44 7700 900123",
            "contact_email": "sam@example.org",
        },
    )
    assert response.status_code == 201, response.text
    assert "may call or e-mail you" in response.text
    [item] = stored(client, control)
    report = item["report"]
    assert report["location"] == {
        "venue_id": None,
        "lat": 51.06071,
        "lon": -1.31302,
        "text": "by the ice rink entrance",
        "precision_m": 40.0,
    }
    assert report["observed_at"].startswith("2026-12-05T13:50:00")
    assert report["items"] == [
        {
            "description": "black rucksack, wires showing",
            "hidden": False,
            "obviously_suspicious": True,
            "not_typical": False,
        }
    ]
    assert report["vehicles"] == [{"description": "a vehicle (see the report)", "vrm": "AB12 CDE"}]
    assert report["persons"] == [
        {"description": "man in a grey hoodie", "direction_of_travel": "towards the High Street"}
    ]
    assert report["contact"] == {
        "name": "Sam",
        "phone": "+44 7700 900123",
        "email": "sam@example.org",
    }
    assert report["anonymous"] is False
    assert item["grade"] == "immediate"  # a HOT item: the flag from the form reached triage


def test_a_reporter_who_says_someone_is_hurt_is_told_again_to_call_999(
    client: TestClient,
) -> None:
    response = client.post("/report", data={**GOOD, "casualties": "on"})
    assert response.status_code == 201
    assert "call 999 now" in parse(response.text).text("urgent-reminder")
    calm = client.post("/report", data=GOOD)
    assert not parse(calm.text).has_id("urgent-reminder")


# (form data, the fields refused)
BAD_FORMS: list[tuple[dict[str, str], set[str]]] = [
    ({}, {"category", "description", "location"}),
    ({**GOOD, "category": "gossip"}, {"category"}),
    ({**GOOD, "description": "   "}, {"description"}),
    ({**GOOD, "description": "x" * 4001}, {"description"}),
    ({**GOOD, "venue_id": "", "location_text": ""}, {"location"}),
    ({**GOOD, "venue_id": "no-such-place"}, {"venue_id"}),  # refused by the intake writer
    ({**GOOD, "venue_id": "no-such-place", "contact_phone": "?"}, {"venue_id", "contact_phone"}),
    ({**GOOD, "location_lat": "51.06"}, {"location_lon"}),
    ({**GOOD, "location_lon": "-1.31"}, {"location_lat"}),
    ({**GOOD, "location_lat": "north", "location_lon": "-1.31"}, {"location_lat"}),
    ({**GOOD, "location_lat": "95", "location_lon": "-1.31"}, {"location_lat"}),
    ({**GOOD, "observed_at": "yesterday teatime"}, {"observed_at"}),
    ({**GOOD, "observed_at": "2026-12-05T15:30"}, {"observed_at"}),  # 90 min in the future
    ({**GOOD, "contact_phone": "call me"}, {"contact_phone"}),
    ({**GOOD, "contact_email": "sam at example"}, {"contact_email"}),
    ({**GOOD, "vehicle_vrm": "AB12-CDE!"}, {"vehicle_vrm"}),
    ({**GOOD, "person_direction": "x" * 201}, {"person_direction"}),
]


@pytest.mark.parametrize(("form", "refused"), BAD_FORMS)
def test_a_refused_form_names_each_field_with_what_it_expects_and_stores_nothing(
    client: TestClient, control: dict[str, str], form: dict[str, str], refused: set[str]
) -> None:
    response = client.post("/report", data=form)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.text("emergency-banner") == BANNER
    shown = {
        (e.get("id") or "").removesuffix("-error")
        for e in page.all("p")
        if e.get("class") == "field-error"
    }
    assert shown == refused
    for name in refused:
        assert FIELD_HELP[name] in page.text(f"{name}-error")
        assert FIELD_HELP[name] in page.text("error-summary")
        if name != "location":
            field = page.by_id(name)
            assert field.get("aria-invalid") == "true"
            assert f"{name}-error" in (field.get("aria-describedby") or "").split()
    # what the reporter typed is kept, so they fix one field instead of starting again
    if form.get("description", "").strip() and "description" not in refused:
        assert page.text("description") == form["description"]
    if form.get("contact_phone"):
        assert page.by_id("contact_phone").get("value") == form["contact_phone"]
    assert stored(client, control) == []


def test_what_was_typed_comes_back_as_text_never_as_markup(
    client: TestClient, control: dict[str, str]
) -> None:
    attack = '</textarea><script>alert("x")</script><b onmouseover="x">'
    response = client.post(
        "/report",
        data={**GOOD, "description": attack, "location_text": attack, "contact_phone": "?"},
    )
    assert response.status_code == 422
    assert "<script>" not in response.text and "<b onmouseover" not in response.text
    page = parse(response.text)
    assert page.text("description") == attack  # shown back, escaped
    assert page.by_id("location_text").get("value") == attack
    assert stored(client, control) == []


def test_an_oversized_form_is_refused_with_the_form_and_stores_nothing(
    client: TestClient, control: dict[str, str]
) -> None:
    response = client.post("/report", data={**GOOD, "description": "x" * 70_000})
    assert response.status_code == 413
    page = parse(response.text)
    assert page.text("emergency-banner") == BANNER
    assert "too long" in page.text("error-summary")
    assert stored(client, control) == []


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(
    client: TestClient, control: dict[str, str]
) -> None:
    response = client.post("/report", data={**GOOD, "website": "https://spam.example"})
    assert response.status_code == 201
    reference_on(parse(response.text))
    assert stored(client, control) == []
    assert client.post("/report", data=GOOD).status_code == 201
    assert len(stored(client, control)) == 1


@pytest.mark.parametrize("report_rate", [2])
def test_past_the_rate_limit_the_form_says_when_to_retry_and_keeps_the_text(
    client: TestClient, control: dict[str, str]
) -> None:
    for _ in range(2):
        assert client.post("/report", data=GOOD).status_code == 201
    response = client.post("/report", data=GOOD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    page = parse(response.text)
    assert "call 999" in page.text("error-summary")
    assert page.text("description") == GOOD["description"]
    assert len(stored(client, control)) == 2


# --- the form goes through the report intake writer --------------------------------------


def _stored_by_writer(engine: Engine) -> tuple[set[str], list[str], bool]:
    """The references stored, those with a ``report.create`` audit row, and whether the
    audit chain verifies (read straight from the store)."""
    with session_scope(make_sessionmaker(engine)) as session:
        references = set(session.scalars(select(ReportRow.reference)))
        audited = list(
            session.scalars(select(AuditRow.entity_id).where(AuditRow.action == "report.create"))
        )
        return references, audited, verify_chain(session=session).intact


@pytest.mark.parametrize("report_rate", [0])  # every post comes from one test address
def test_concurrent_form_reports_are_all_stored_by_the_intake_writer(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    writer: IntakeWriter = app.state.report_intake

    def post(i: int) -> str:
        response = client.post("/report", data={**GOOD, "description": f"Bag {i} by the rink."})
        assert response.status_code == 201, response.text
        return reference_on(parse(response.text))

    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(post, range(40)))
    assert len(set(references)) == 40
    stored_references, audited, intact = _stored_by_writer(engine)
    assert stored_references == set(references)
    assert sorted(audited) == sorted(references)  # one report.create row each
    assert intact
    assert writer.stats.stored == 40 and writer.stats.failed == 0


def test_a_form_report_waiting_for_the_writer_holds_no_database_slot(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    """On SQLite the gate has one slot and the writer needs it: a form post that held it
    while waiting would deadlock. Here the writer waits to be drained by hand; meanwhile
    a gated request is served, and the post is answered only once its batch is stored."""
    gate = app.state.report_intake.gate  # the one the request middleware uses
    assert isinstance(gate, DatabaseGate) and gate.slots == 1
    writer = app.state.report_intake = IntakeWriter(
        sessions=make_sessionmaker(engine), gate=gate, autostart=False
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(client.post, "/report", data=GOOD)
        try:
            for _ in range(500):
                if writer.waiting:
                    break
                threading.Event().wait(0.01)
            assert writer.waiting == 1 and not pending.done()
            assert gate._free == 1, "a form report waiting for the writer holds the slot"
            assert client.get("/report").status_code == 200  # a gated request is served
            assert _stored_by_writer(engine)[0] == set()  # not acknowledged, not stored
            assert writer.drain() == 1  # through the gate, as the writer's thread would
        finally:
            writer.gate = None  # after a failure above: let the post finish, never deadlock
            writer.drain()
        response = pending.result(timeout=30)
    assert response.status_code == 201, response.text
    assert _stored_by_writer(engine)[0] == {reference_on(parse(response.text))}


def test_a_full_intake_queue_gives_the_busy_page_and_the_report_can_be_sent_again(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    shared = app.state.report_intake
    app.state.report_intake = IntakeWriter(sessions=make_sessionmaker(engine), max_queued=0)
    typed = {**GOOD, "contact_phone": "+44 7700 900123", "item_obvious": "on"}
    response = client.post("/report", data=typed)
    assert response.status_code == 503
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    page = parse(response.text)
    assert page.text("emergency-banner") == BANNER
    assert EMERGENCY_REMINDER in page.text("emergency-reminder")  # the 999 line
    assert "has not been sent yet" in page.text("error-summary")
    assert page.text("retry-after") == str(retry_after)
    assert _stored_by_writer(engine)[0] == set()
    # What was typed comes back, to send again with one button once the queue has room.
    hidden = {
        e.get("name"): e.get("value")
        for e in page.all("input")
        if e.get("type") == "hidden" and "form#resend-form" in e.parents
    }
    assert hidden == typed
    assert page.by_id("send").get("type") == "submit"
    app.state.report_intake = shared
    again = client.post("/report", data={k: v for k, v in hidden.items() if k and v is not None})
    assert again.status_code == 201, again.text
    assert _stored_by_writer(engine)[0] == {reference_on(parse(again.text))}


def test_the_public_never_sees_another_report_a_grade_a_base_or_a_contact(
    client: TestClient,
) -> None:
    first = client.post(
        "/report",
        data={**GOOD, "contact_name": "Sam Secret", "contact_email": "sam@example.org"},
    )
    reference = reference_on(parse(first.text))
    scenario = demo_scenario()
    for path in ("/", "/report", "/board"):
        text = client.get(path).text
        assert reference not in text
        assert "Sam Secret" not in text and "sam@example.org" not in text
        for base in scenario.bases:
            assert base.name not in text and base.id not in text
    second = client.post("/report", data=GOOD)
    assert reference not in second.text
    shown = parse(second.text).text("main")
    assert not re.search(r"\bP[1-6]\b", shown)
    for word in ("grade", "priority", "scheduled", "no deployment", "no_deployment", "triage"):
        assert word not in shown.lower()


# --- the board ---------------------------------------------------------------------------


def test_the_board_page_is_a_login_form_without_data_for_a_visitor(
    client: TestClient, control: dict[str, str]
) -> None:
    reference = reference_on(parse(client.post("/report", data=GOOD).text))
    response = client.get("/board")
    assert response.status_code == 200
    page = parse(response.text)
    assert {"username", "password"} <= page.label_targets
    assert page.by_id("password").get("type") == "password"
    assert page.by_id("login").get("action") == "/login"
    assert "board" not in page.text_by_id and "reports" not in page.text_by_id
    assert reference not in response.text


@pytest.mark.parametrize("role", [Role.planner, Role.officer, Role.organiser, Role.analyst])
def test_board_data_needs_a_control_or_admin_login(
    client: TestClient, as_role: Callable[[Role], dict[str, str]], role: Role
) -> None:
    for path in ("/api/v1/dispatch/places", "/api/v1/dispatch/units", "/api/v1/board/stream"):
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/dispatch/places", headers=as_role(role)).status_code == 403


@pytest.mark.parametrize("role", [Role.control, Role.admin])
def test_the_map_places_come_from_the_documented_api(
    client: TestClient, as_role: Callable[[Role], dict[str, str]], role: Role
) -> None:
    headers = as_role(role)
    response = client.get("/api/v1/dispatch/places", headers=headers)
    assert response.status_code == 200
    body = response.json()
    scenario = demo_scenario()
    assert {v["id"] for v in body["venues"]} == {v.id for v in scenario.venues}
    assert {b["id"] for b in body["bases"]} == {b.id for b in scenario.bases}
    assert body["unit_bases"] == {t.callsign: t.base for t in scenario.teams}
    assert body["scenario_id"] == scenario.id
    assert client.get("/board/places", headers=headers).status_code == 404  # the old route
    assert "/board/places" not in client.get("/static/board.js").text


def test_the_board_offers_every_control_room_action_labelled_with_a_place_for_its_error(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.control)
    page = parse(client.get("/board").text)
    # Grade override (a reason is asked for), closing a task (an outcome is asked for).
    assert {"grade-new", "grade-reason", "close-outcome"} <= page.label_targets
    grades = {e.get("value") for e in page.all("option") if "select#grade-new" in e.parents}
    assert grades == set(GRADE_LABELS)
    for button in ("grade-submit", "close-submit", "recommend-selected"):
        assert page.by_id(button).tag == "button" and page.text(button)
    # Each action's refusal is shown next to it and announced.
    for error in ("grade-error", "duplicate-error", "close-error", "replan-error"):
        assert page.by_id(error).get("role") == "alert"
    for field, error in (("grade-reason", "grade-error"), ("close-outcome", "close-error")):
        assert page.by_id(field).get("aria-describedby") == error
    assert "advice only" in page.text("replan-slots")
    # The board names every state a unit can be moved to (the moves come from the API).
    script = next(e for e in page.all("script") if e.get("id") == "board-labels")
    assert script.get("type") == "application/json"
    labels = json.loads(page.text_by_id["board-labels"])
    assert set(MANUAL_STATES) <= set(labels["states"]) == set(UNIT_STATE_LABELS)
    assert labels["grades"] == GRADE_LABELS
    # A call's venue: the server lists every venue by name, and none is chosen at first.
    venues = [e for e in page.all("option") if "select#call-venue" in e.parents]
    assert venues[0].get("value") == ""
    assert {e.get("value") for e in venues[1:]} == {v.id for v in demo_scenario().venues}


class RecordingBus:
    """Records what the app's board bus publishes (what every other board is sent).

    It wraps the app's own bus rather than replacing ``app.state.board_bus``: the report
    intake writer publishes form reports to the bus it was given when the app was built."""

    def __init__(self, bus: EventBus) -> None:
        self.sent: list[BoardEvent] = []
        publish = bus.publish

        def record(item: BoardEvent) -> None:
            self.sent.append(item)
            publish(item)

        bus.publish = record  # type: ignore[method-assign]

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        sent, self.sent = self.sent, []
        return [(e.kind, e.data.model_dump(mode="json")) for e in sent]


def test_every_board_action_is_an_api_call_every_other_board_hears_about(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    clock: FakeClock,
    as_role: Callable[[Role], dict[str, str]],
) -> None:
    """The calls the board makes, in a control room's order, and the events they push."""
    store_demo_roster(engine, clock.now().date(), clock.now())
    bus = RecordingBus(app.state.board_bus)
    control = as_role(Role.control)
    # A HOT item and a weapon seen: P1, with APP grounds for an armed response.
    hot = {**GOOD, "item_obvious": "on", "weapons_seen": "on"}
    first = reference_on(parse(client.post("/report", data=hot).text))
    second = reference_on(parse(client.post("/report", data=hot).text))
    assert [k for k, _ in bus.take()] == ["report-created", "report-created"]
    api = "/api/v1"

    # Grade override: refused without a reason (422 naming the field), nothing pushed.
    refused = client.post(
        f"{api}/reports/{first}/grade", json={"grade": "priority", "reason": " "}, headers=control
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "reason"]
    assert bus.take() == []
    graded = client.post(
        f"{api}/reports/{first}/grade",
        json={"grade": "priority", "reason": "Stewards say it is a lost bag"},
        headers=control,
    )
    assert graded.status_code == 200, graded.text
    record = graded.json()
    assert (record["grade"], record["code"], record["overridden"]) == ("priority", "P2", True)
    assert record["triage"]["grade"] == "immediate"  # what the rules said is kept ...
    assert "hot_item" in [r["rule"] for r in record["triage"]["reasons"]]  # ... and why
    [(kind, data)] = bus.take()
    assert (kind, data["reference"], data["grade"]) == ("report-graded", first, "priority")
    assert data["override"]["by"] == "control-user"
    assert data["override"]["reason"] == "Stewards say it is a lost bag"

    # Duplicates: suggested both ways; marking one pushes the mark; a loop is a 409.
    assert _record(client, control, second)["duplicates"] == [first]
    marked = client.post(
        f"{api}/reports/{second}/duplicate-of", json={"of": first}, headers=control
    )
    assert marked.status_code == 200 and marked.json()["report"]["duplicate_of"] == first
    [(kind, data)] = bus.take()
    assert (kind, data["reference"], data["duplicate_of"]) == ("report-updated", second, first)
    loop = client.post(f"{api}/reports/{first}/duplicate-of", json={"of": second}, headers=control)
    assert loop.status_code == 409 and "already marked a duplicate" in loop.json()["detail"]

    # Units are placed by today's roster, and carry the moves they may make.
    units = {u["callsign"]: u for u in client.get(f"{api}/dispatch/units", headers=control).json()}
    for callsign, venue in PATROLS.items():
        assert units[callsign]["position"]["place_id"] == venue
    bases = {t.callsign: t.base for t in demo_scenario().teams}
    assert units["alpha-3"]["position"]["place_id"] == bases["alpha-3"]  # no roster: at base
    assert units["alpha-1"]["next_states"] == ["en_route", "committed", "off_duty"]

    # Recommend and assign: the unit on patrol at the market is nearest; it goes en route.
    ranked = client.post(f"{api}/dispatch/recommend", json={"report": first}, headers=control)
    best = ranked.json()["recommendations"][0]
    assert (best["unit"], best["position"]) == ("alpha-1", f"patrol at {VENUE}")
    assert ranked.json()["arvs_offered"] is True  # alpha-1 is an ARV
    assert "authority of a firearms commander" in ranked.json()["authority"]
    assert best["missed"] and best["missed"][0]["venue"] == VENUE  # the patrols it will miss
    sent = client.post(
        f"{api}/dispatch/assign", json={"unit": "alpha-1", "report": first}, headers=control
    ).json()
    task = sent["task"]["id"]
    assert sent["unit"]["state"] == "en_route"
    assert sent["unit"]["next_states"] == ["on_scene", "available"]
    assert [k for k, _ in bus.take()] == ["unit-state", "task-state", "report-updated"]

    # The rest of the day without it: the gap, and coverage before and after by slot.
    out = client.post(f"{api}/dispatch/units/alpha-1/replan", json={}, headers=control).json()
    assert out["gap"][0]["venue"] == VENUE and out["gap_minutes"] > 0
    assert out["slots"] and out["targets"]
    assert bus.take() == []  # advice: nothing stored changed, nothing to push

    # The unit moves on scene, committed, available; each move is pushed.
    for state, task_state in (("on_scene", "on_scene"), ("committed", "on_scene")):
        moved = client.post(
            f"{api}/dispatch/units/alpha-1/state", json={"state": state}, headers=control
        )
        assert moved.status_code == 200, moved.text
        events = bus.take()
        assert events[0] == ("unit-state", moved.json()["unit"])
        assert ("task-state", task_state) in [(k, d.get("state")) for k, d in events]
    refused = client.post(
        f"{api}/dispatch/units/alpha-1/state", json={"state": "committed"}, headers=control
    )
    assert refused.status_code == 409 and "cannot go to committed" in refused.json()["detail"]
    assert bus.take() == []
    freed = client.post(
        f"{api}/dispatch/units/alpha-1/state", json={"state": "available"}, headers=control
    )
    assert freed.json()["unit"]["state"] == "available"
    assert bus.take()[0][0] == "unit-state"

    # Closing the task: an outcome is required; closing pushes the task and the report.
    blank = client.post(f"{api}/dispatch/tasks/{task}/close", json={"outcome": ""}, headers=control)
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "outcome"]
    closed = client.post(
        f"{api}/dispatch/tasks/{task}/close", json={"outcome": "Lost bag returned"}, headers=control
    )
    assert closed.status_code == 200, closed.text
    kinds = dict(bus.take())
    assert kinds["task-state"]["state"] == "closed"
    assert kinds["report-updated"]["status"] == "closed"


def _record(client: TestClient, headers: dict[str, str], reference: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/reports/{reference}", headers=headers)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


# --- pages and assets --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/report", "/board", "/login"])
def test_pages_forbid_inline_and_foreign_scripts(reader: TestClient, path: str) -> None:
    response = reader.get(path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    page = parse(response.text)
    for script in page.all("script"):
        src = script.get("src")
        assert src is None or src.startswith("/static/"), src
        if src is not None:  # every script named is one the package serves
            assert reader.get(src).status_code == 200, src
        if src is None:
            assert script.get("type") == "application/json"  # data, never code
    for link in page.all("link"):
        href = link.get("href") or ""
        assert href.startswith(("/static/", "data:")), href


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("board.js", "text/javascript"),
        ("cgmap.js", "text/javascript"),
        ("report.js", "text/javascript"),
        ("style.css", "text/css"),
    ],
)
def test_static_assets_are_served_from_the_package(
    reader: TestClient, name: str, media_type: str
) -> None:
    response = reader.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    urls = set(re.findall(r"https?://[^\s\"'`)]+", response.text))
    assert urls <= {"https://leafletjs.com"}  # a link in the map's credits; no CDN, no tiles


@pytest.mark.parametrize(
    "name", ["pages.py", "..%2Fpages.py", "../pages.py", "board.JS", "x.js", "vendor", "map.js"]
)
def test_anything_else_under_static_is_not_found(reader: TestClient, name: str) -> None:
    assert reader.get(f"/static/{name}").status_code == 404


def test_the_base_map_draws_the_solent_and_the_isle_of_wight_offline(reader: TestClient) -> None:
    """Natural Earth 1:10m land cut to a box round the demo county: the Isle of Wight is an
    island of its own (the Solent runs between it and the mainland)."""
    response = reader.get("/map/land.geojson?bbox=50.3,-2.3,51.6,-0.3")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    land = response.json()
    rings = [f["geometry"]["coordinates"][0] for f in land["features"]]
    for ring in rings:  # everything cut to the box
        assert all(-2.3 <= x <= -0.3 and 50.3 <= y <= 51.6 for x, y in ring)
    wight = [r for r in rings if all(50.55 < y < 50.8 and -1.6 < x < -1.05 for x, y in r)]
    assert len(wight) == 1 and len(wight[0]) > 30  # drawn in detail, apart from the mainland
    ryde, newport, winchester = (-1.16, 50.73), (-1.29, 50.70), (-1.31, 51.06)
    solent = (-1.25, 50.80)  # open water between Cowes and Southampton Water

    def on_land(point: tuple[float, float]) -> bool:
        return any(_inside(point, ring) for ring in rings)

    assert on_land(newport) and on_land(winchester) and on_land(ryde)
    assert not on_land(solent)
    world = reader.get("/map/land.geojson?detail=110m")
    assert world.status_code == 200 and len(world.json()["features"]) > 50


@pytest.mark.parametrize(
    "bbox", ["", "1,2,3", "nan,0,1,1", "51,-1,50,0", "0,0,1,1e999", "-95,0,1,1", "0,0,60,60"]
)
def test_a_bad_base_map_box_is_a_clear_4xx(reader: TestClient, bbox: str) -> None:
    response = reader.get("/map/land.geojson", params={"bbox": bbox})
    assert 400 <= response.status_code < 500
    assert "bbox" in response.json()["detail"]


def _inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Ray casting (even-odd rule)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
