"""Public reports through the API: intake, abuse controls, control-room reads, grade
overrides and duplicate suggestions, on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from server_helpers import venue
from sqlalchemy import Engine, func, select

from crowdguard.api.app import create_app
from crowdguard.audit.tables import AuditRow
from crowdguard.reports.api import REPORT_MAX_BYTES
from crowdguard.reports.tables import ReportRow
from crowdguard.scenario.schema import Venue
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.store.settings import Settings
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)  # a Saturday: the market is open
MARKET = (51.0606, -1.3131)
REFERENCE = re.compile(r"^CG-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")
Headers = dict[str, str]


def concern(**changes: Any) -> dict[str, Any]:
    """A valid report body (a point 30 m north of the market, seen 10 minutes ago)."""
    body: dict[str, Any] = {
        "category": "suspicious_vehicle",
        "location": {"lat": MARKET[0] + 0.00027, "lon": MARKET[1]},
        "observed_at": (NOON - dt.timedelta(minutes=10)).isoformat(),
        "description": "White van parked on the pedestrian street, engine running.",
    }
    body.update(changes)
    return body


@pytest.fixture
def world(engine: Engine, clock: FakeClock) -> None:
    """The Winchester market is a stored venue; it is noon on a Saturday."""
    with session_scope(make_sessionmaker(engine)) as session:
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=clock.now()
        )
    clock.set(NOON)


@pytest.fixture
def control(world: None, as_role: Callable[..., Headers]) -> Headers:
    return as_role(Role.control)


def _count(engine: Engine, table: Any, **where: Any) -> int:
    with session_scope(make_sessionmaker(engine)) as session:
        stmt = select(func.count()).select_from(table)
        for name, value in where.items():
            stmt = stmt.where(getattr(table, name) == value)
        return int(session.scalar(stmt) or 0)


def _audit(engine: Engine, action: str) -> list[AuditRow]:
    with session_scope(make_sessionmaker(engine)) as session:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_a_report_is_stored_and_answered_201_with_a_reference_and_the_999_reminder(
    client: TestClient, control: Headers, engine: Engine
) -> None:
    body = concern(contact={"name": "Sam", "phone": "+44 7700 900123"})
    r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert set(receipt) == {"reference", "received_at", "message"}
    assert REFERENCE.match(receipt["reference"])
    assert "999" in receipt["message"]
    assert dt.datetime.fromisoformat(receipt["received_at"]) == NOON

    record = client.get(f"/api/v1/reports/{receipt['reference']}", headers=control)
    assert record.status_code == 200, record.text
    stored = record.json()
    assert stored["report"]["description"] == body["description"]
    assert stored["report"]["location"]["lat"] == body["location"]["lat"]
    assert stored["report"]["contact"]["phone"] == "+44 7700 900123"
    assert stored["report"]["anonymous"] is False
    assert stored["report"]["status"] == "triaged"
    # 30 m from an open crowded place, seen 10 minutes ago: rule 8, Priority (P2).
    assert (stored["grade"], stored["code"]) == ("priority", "P2")
    assert "near_open_crowded_place" in [r["rule"] for r in stored["triage"]["reasons"]]
    [created] = _audit(engine, "report.create")
    assert created.entity_id == receipt["reference"] and created.actor is None


def test_an_anonymous_report_is_accepted_and_flagged_for_research(
    client: TestClient, control: Headers
) -> None:
    r = client.post("/api/v1/reports", json=concern())
    assert r.status_code == 201, r.text
    stored = client.get(f"/api/v1/reports/{r.json()['reference']}", headers=control).json()
    assert stored["report"]["anonymous"] is True
    assert stored["report"]["contact"] is None
    assert "anonymous" in [x["rule"] for x in stored["triage"]["reasons"]]
    # A name alone is no way to call back: still anonymous for triage.
    named = client.post("/api/v1/reports", json=concern(contact={"name": "Sam"}))
    record = client.get(f"/api/v1/reports/{named.json()['reference']}", headers=control).json()
    assert record["report"]["anonymous"] is True


def _errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in response.json()["detail"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_input_gets_422_naming_each_field(
    client: TestClient, world: None, engine: Engine
) -> None:
    body = concern(category="rumour", description="", observed_at="2026-12-05T11:50:00")
    body["location"] = {"lat": 51.06}
    errors = _errors(client.post("/api/v1/reports", json=body))
    assert "body.category" in errors and "suspicious_vehicle" in errors["body.category"]
    assert "body.description" in errors
    assert "timezone" in errors["body.observed_at"]
    assert "lat and lon must be given together" in errors["body.location"]

    errors = _errors(client.post("/api/v1/reports", json=concern(location={})))
    assert "venue_id" in errors["body.location"]
    errors = _errors(client.post("/api/v1/reports", json=concern(colour="red")))
    assert "body.colour" in errors
    errors = _errors(client.post("/api/v1/reports", json=concern(contact={"phone": "call me"})))
    assert "body.contact.phone" in errors
    errors = _errors(client.post("/api/v1/reports", content=b"{not json"))
    assert errors  # names the position of the JSON error
    assert _count(engine, ReportRow) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unknown_venue_and_impossible_times_are_field_errors_not_server_errors(
    client: TestClient, world: None, engine: Engine
) -> None:
    errors = _errors(client.post("/api/v1/reports", json=concern(location={"venue_id": "nope"})))
    assert "no crowded place 'nope'" in errors["body.location.venue_id"]
    tomorrow = (NOON + dt.timedelta(days=1)).isoformat()
    errors = _errors(client.post("/api/v1/reports", json=concern(observed_at=tomorrow)))
    assert "expected a time between" in errors["body.observed_at"]
    for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        errors = _errors(client.post("/api/v1/reports", json=concern(observed_at=edge)))
        assert "body.observed_at" in errors
    # Five minutes ahead is a fast phone clock, not an error; a venue alone is a location.
    ahead = (NOON + dt.timedelta(minutes=5)).isoformat()
    at_venue = concern(observed_at=ahead, location={"venue_id": "winchester-market"})
    assert client.post("/api/v1/reports", json=at_venue).status_code == 201
    assert _count(engine, ReportRow) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_oversized_body_is_refused_with_413_with_or_without_content_length(
    client: TestClient, world: None, engine: Engine
) -> None:
    big = json.dumps(concern(description="x" * (REPORT_MAX_BYTES + 10))).encode()
    r = client.post("/api/v1/reports", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and str(REPORT_MAX_BYTES) in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    r = client.post(
        "/api/v1/reports", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413, r.text
    # Just under the cap is not a size problem (the description limit answers instead).
    padded = json.dumps(concern(description="x" * (REPORT_MAX_BYTES - 1000))).encode()
    assert len(padded) < REPORT_MAX_BYTES
    r = client.post("/api/v1/reports", content=padded, headers={"content-type": "application/json"})
    assert "body.description" in _errors(r)
    assert _count(engine, ReportRow) == 0


@pytest.fixture
def rate_limited_app(
    settings: Settings, engine: Engine, clock: FakeClock, world: None
) -> Iterator[FastAPI]:
    limited = Settings(
        database_url=settings.database_url, data_dir=settings.data_dir, report_rate_per_minute=3
    )
    yield create_app(limited, clock=clock, engine=engine)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_past_the_per_address_rate_429_with_retry_after_then_allowed_again(
    rate_limited_app: FastAPI, clock: FakeClock, engine: Engine
) -> None:
    one = TestClient(rate_limited_app, client=("203.0.113.5", 40000))
    other = TestClient(rate_limited_app, client=("198.51.100.7", 40000))
    for _ in range(3):
        assert one.post("/api/v1/reports", json=concern()).status_code == 201
    clock.advance(dt.timedelta(seconds=20))
    refused = one.post("/api/v1/reports", json=concern())
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"  # the oldest of the three leaves the window
    assert "999" in refused.json()["detail"]
    # Malformed bodies count too (a bot cannot probe for free), and are refused the same.
    assert one.post("/api/v1/reports", json={"nonsense": 1}).status_code == 429
    # Another address is not affected.
    assert other.post("/api/v1/reports", json=concern()).status_code == 201
    clock.advance(dt.timedelta(seconds=41))
    assert one.post("/api/v1/reports", json=concern()).status_code == 201
    assert _count(engine, ReportRow) == 5


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rate_limit_zero_means_no_limit(
    settings: Settings, engine: Engine, clock: FakeClock, world: None
) -> None:
    unlimited = Settings(
        database_url=settings.database_url, data_dir=settings.data_dir, report_rate_per_minute=0
    )
    client = TestClient(create_app(unlimited, clock=clock, engine=engine))
    statuses = {client.post("/api/v1/reports", json=concern()).status_code for _ in range(15)}
    assert statuses == {201}


def test_the_honeypot_is_answered_201_but_nothing_is_stored_or_audited(
    client: TestClient, world: None, engine: Engine
) -> None:
    audit_rows = _count(engine, AuditRow)
    r = client.post("/api/v1/reports", json=concern(website="http://spam.example"))
    assert r.status_code == 201
    assert REFERENCE.match(r.json()["reference"])
    assert set(r.json()) == {"reference", "received_at", "message"}
    assert _count(engine, ReportRow) == 0
    assert _count(engine, AuditRow) == audit_rows


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", [Role.planner, Role.officer, Role.organiser, Role.analyst])
def test_location_and_contact_are_for_the_control_room_only(
    client: TestClient, world: None, as_role: Callable[..., Headers], role: Role
) -> None:
    r = client.post("/api/v1/reports", json=concern(contact={"email": "sam@example.org"}))
    reference = r.json()["reference"]
    assert "location" not in r.text and "sam@example.org" not in r.text
    headers = as_role(role)
    for path in ("/api/v1/reports", f"/api/v1/reports/{reference}"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert "sam@example.org" not in refused.text and "51.06" not in refused.text
    assert client.get(f"/api/v1/reports/{reference}").status_code == 401
    control = as_role(Role.control, username="ctl")
    seen = client.get(f"/api/v1/reports/{reference}", headers=control).json()
    assert seen["report"]["contact"]["email"] == "sam@example.org"


def test_listing_filters_and_pages_newest_first(
    client: TestClient, control: Headers, clock: FakeClock
) -> None:
    made: list[tuple[str, str]] = []
    bodies = [
        concern(category="attack_in_progress", description="Shots fired near the stalls"),
        concern(category="crowd_safety_non_ct", description="Crush at the gate"),
        concern(),
        concern(category="online_content", description="A post praising an attack"),
        concern(category="crowd_safety_non_ct", description="Lost child by the carousel"),
    ]
    for body in bodies:
        clock.advance(dt.timedelta(minutes=1))
        r = client.post("/api/v1/reports", json=body)
        assert r.status_code == 201, r.text
        made.append((r.json()["reference"], body["category"]))
    newest_first = [ref for ref, _ in reversed(made)]

    page = client.get("/api/v1/reports?limit=2&offset=1", headers=control).json()
    assert page["total"] == 5 and (page["limit"], page["offset"]) == (2, 1)
    assert [i["report"]["reference"] for i in page["items"]] == newest_first[1:3]

    def refs(query: str) -> list[str]:
        r = client.get(f"/api/v1/reports?{query}", headers=control)
        assert r.status_code == 200, r.text
        return [i["report"]["reference"] for i in r.json()["items"]]

    assert refs("grade=immediate") == [made[0][0]]
    assert refs("grade=no_deployment") == [made[4][0], made[1][0]]
    assert refs("category=online_content") == [made[3][0]]
    assert refs("status=triaged") == newest_first
    assert refs("status=closed") == []
    assert refs("grade=no_deployment&category=online_content") == []
    assert client.get("/api/v1/reports?grade=urgent", headers=control).status_code == 422
    assert client.get("/api/v1/reports?limit=0", headers=control).status_code == 422


def test_a_grade_override_is_audited_with_who_and_why_and_the_chain_verifies(
    client: TestClient, control: Headers, engine: Engine, as_role: Callable[..., Headers]
) -> None:
    reference = client.post("/api/v1/reports", json=concern()).json()["reference"]
    path = f"/api/v1/reports/{reference}/grade"
    for reason in ("", "   "):
        body = {"grade": "immediate", "reason": reason}
        assert "body.reason" in _errors(client.post(path, json=body, headers=control))
    body = {"grade": "P1", "reason": "x"}
    assert "body.grade" in _errors(client.post(path, json=body, headers=control))
    assert _audit(engine, "report.grade") == []

    why = "Second caller says the driver is carrying a rifle"
    r = client.post(path, json={"grade": "immediate", "reason": why}, headers=control)
    assert r.status_code == 200, r.text
    record = r.json()
    assert (record["grade"], record["code"], record["overridden"]) == ("immediate", "P1", True)
    assert record["triage"]["grade"] == "priority"  # what the rules said stays on record
    [row] = _audit(engine, "report.grade")
    assert row.actor == "control-user" and row.entity_id == reference
    assert row.detail["from"] == "priority" and row.detail["to"] == "immediate"
    assert row.detail["reason"] == why
    assert "near_open_crowded_place" in row.detail["rules_fired"]

    back = client.post(path, json={"grade": "scheduled", "reason": "Van was a market trader"})
    assert back.status_code == 401  # the token is required
    back = client.post(
        path, json={"grade": "scheduled", "reason": "Van was a market trader"}, headers=control
    )
    assert (back.json()["grade"], back.json()["code"]) == ("scheduled", "P3")
    assert [r.detail["from"] for r in _audit(engine, "report.grade")] == ["priority", "immediate"]
    # The next operator to open the report sees who changed it last, from what, and why.
    reopened = client.get(f"/api/v1/reports/{reference}", headers=control).json()
    assert reopened["override"]["by"] == "control-user"
    assert reopened["override"]["reason"] == "Van was a market trader"
    assert (reopened["override"]["from_grade"], reopened["override"]["to_grade"]) == (
        "immediate",
        "scheduled",
    )
    fresh = client.post("/api/v1/reports", json=concern()).json()["reference"]
    assert client.get(f"/api/v1/reports/{fresh}", headers=control).json()["override"] is None
    admin = as_role(Role.admin, username="auditor")
    chain = client.get("/api/v1/audit/verify", headers=admin).json()
    assert chain["intact"], chain["reason"]
    assert (
        client.post(
            "/api/v1/reports/CG-AAAA-AAAA/grade",
            json={"grade": "immediate", "reason": "x"},
            headers=control,
        ).status_code
        == 404
    )


def _at(north_m: float, minutes: float, **changes: Any) -> dict[str, Any]:
    """A report ``north_m`` metres north of a fixed point, observed ``minutes`` after 11:20."""
    lat = 51.0650 + north_m / 111_195.0  # metres per degree of latitude (mean Earth radius)
    when = NOON - dt.timedelta(minutes=40) + dt.timedelta(minutes=minutes)
    return concern(location={"lat": lat, "lon": -1.3100}, observed_at=when.isoformat(), **changes)


def test_duplicates_are_suggested_for_the_same_category_within_50_m_and_30_minutes(
    client: TestClient, control: Headers
) -> None:
    def post(body: dict[str, Any]) -> str:
        r = client.post("/api/v1/reports", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["reference"])

    first = post(_at(0, 0))
    near = post(_at(30, 10))  # 30 m, 10 minutes later: a possible duplicate
    other_kind = post(_at(5, 5, category="unattended_item", description="A bag"))
    far = post(_at(130, 5))  # 130 m from the first, 100 m from the second
    later = post(_at(0, 31))  # same spot, 31 minutes after the first, 21 after the second

    def suggested(reference: str) -> list[str]:
        r = client.get(f"/api/v1/reports/{reference}", headers=control)
        return list(r.json()["duplicates"])

    assert suggested(first) == [near]
    assert sorted(suggested(near)) == sorted([first, later])
    assert suggested(other_kind) == []
    assert suggested(far) == []
    assert suggested(later) == [near]

    mark = client.post(f"/api/v1/reports/{near}/duplicate-of", json={"of": first}, headers=control)
    assert mark.status_code == 200 and mark.json()["report"]["duplicate_of"] == first
    path = f"/api/v1/reports/{first}/duplicate-of"
    assert client.post(path, json={"of": first}, headers=control).status_code == 409
    assert client.post(path, json={"of": near}, headers=control).status_code == 409  # a loop
    assert client.post(path, json={"of": "CG-ZZZZ-ZZZZ"}, headers=control).status_code == 404
    assert "body.of" in _errors(client.post(path, json={"of": "nope"}, headers=control))


def test_reports_arriving_together_still_see_each_other_as_duplicates(
    client: TestClient, control: Headers
) -> None:
    """Eight reports of one thing at once (PostgreSQL runs them concurrently): each lists
    the seven others, so no pair is lost to two transactions not seeing each other."""
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> str:
        r = client.post("/api/v1/reports", json=_at(i, i))
        assert r.status_code == 201, r.text
        return str(r.json()["reference"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(post, range(8)))
    for reference in references:
        record = client.get(f"/api/v1/reports/{reference}", headers=control).json()
        assert sorted(record["duplicates"]) == sorted(set(references) - {reference})


def test_a_surge_about_one_incident_links_each_report_to_at_most_ten_nearest_in_time(
    engine: Engine, world: None
) -> None:
    """Thirty reports of one thing, a minute apart: each names at most the ten stored reports
    observed nearest in time to it (no earlier report is rewritten), and each pair is visible
    from both sides, so every report still reaches the rest of the surge."""
    from crowdguard.reports import service
    from crowdguard.reports.models import ReportSubmission

    sessions = make_sessionmaker(engine)
    made: list[str] = []
    for i in range(30):
        body = _at(i % 7, i * 0.9)  # within 7 m, 54 s apart: all possible duplicates
        with session_scope(sessions) as session:
            report = ReportSubmission.model_validate(body)
            _, row = service.submit_report(session=session, report=report, now=NOON)
            assert row is not None
            made.append(row.reference)
    with session_scope(sessions) as session:
        rows = {r: service.get_report(session=session, reference=r) for r in made}
        for i, reference in enumerate(made):
            own = rows[reference].duplicates
            assert own == sorted(made[max(0, i - 10) : i])  # the ten just before it
            both = rows[reference].possible_duplicates
            assert set(own) <= set(both) and len(both) <= 20
            for other in both:  # every pair is seen from both sides
                assert reference in rows[other].possible_duplicates
        assert rows[made[0]].possible_duplicates == sorted(made[1:11])
        assert service.record_view(rows[made[15]]).duplicates == sorted(made[5:15] + made[16:26])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_duplicate_pairs_survive_migration_0004_down_and_up(
    bare_engine: Engine, clock: FakeClock
) -> None:
    """Down to 0003 every pair is written back into both reports' lists (what 0003 reads);
    up again, the lists are read as before. Written and read at head (the ORM is head's),
    stepping down through every later revision on the way."""
    from sqlalchemy import text

    from crowdguard.reports import service
    from crowdguard.reports.models import ReportSubmission
    from crowdguard.store.db import downgrade, upgrade

    upgrade(bare_engine)
    sessions = make_sessionmaker(bare_engine)
    with session_scope(sessions) as session:
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=NOON
        )
    made: list[str] = []
    for i in range(3):
        with session_scope(sessions) as session:
            report = ReportSubmission.model_validate(_at(i, i))
            _, row = service.submit_report(session=session, report=report, now=NOON)
            assert row is not None
            made.append(row.reference)
    downgrade(bare_engine, "0003")
    with bare_engine.connect() as conn:
        lists = {
            r: sorted(json.loads(d))
            for r, d in conn.execute(text("SELECT reference, duplicates FROM reports"))
        }
    assert lists == {r: sorted(set(made) - {r}) for r in made}
    upgrade(bare_engine)
    with session_scope(sessions) as session:
        for r in made:
            assert service.get_report(session=session, reference=r).possible_duplicates == sorted(
                set(made) - {r}
            )
