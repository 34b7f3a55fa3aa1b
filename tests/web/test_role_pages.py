"""The signed-in pages over HTTP (no browser): login and role-aware navigation, each page
refusing other roles with a pointer to their own, the officer's next shift (own team only,
only once released), and the API docs served from the package (no CDN)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from html_parse import parse
from sqlalchemy import Engine

from crowdguard import basemap, web
from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.load import demo_scenario
from crowdguard.stats import service as stats
from crowdguard.stats.models import DeploymentCreate
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.web.common import HOME, PAGES

SUNDAY = "2026-12-06"
PASSWORD = "correct horse battery"


def store_sunday(engine: Engine, now: dt.datetime) -> None:
    """Sunday's roster: alpha-1 (the officers' team, shift 10:00-16:00) patrols the
    cathedral market then WestQuay; bravo-2 patrols Gunwharf Quays all shift."""

    def seg(kind: str, venue: str | None, start: str, end: str) -> dict[str, str | None]:
        return {"kind": kind, "venue": venue, "start": f"{SUNDAY}T{start}:00",
                "end": f"{SUNDAY}T{end}:00"}  # fmt: skip

    bases = {t.callsign: t.base for t in demo_scenario().teams}
    roster = {
        "date": SUNDAY,
        "teams": [
            {
                "team": "alpha-1",
                "base": bases["alpha-1"],
                "segments": [
                    seg("transit", "winchester-cathedral-market", "10:00", "10:30"),
                    seg("patrol", "winchester-cathedral-market", "10:30", "12:00"),
                    seg("transit", "southampton-westquay", "12:00", "12:30"),
                    seg("patrol", "southampton-westquay", "12:30", "15:30"),
                    seg("transit", None, "15:30", "16:00"),
                ],
            },
            {
                "team": "bravo-2",
                "base": bases["bravo-2"],
                "segments": [seg("patrol", "portsmouth-gunwharf-quays", "10:00", "16:00")],
            },
        ],
    }
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=1),
            actor="test",
            now=now,
        )
        jobs.finish_plan(
            session=session, plan_id=plan.id, now=now, result={"solver": "hand-written"},
            rosters={SUNDAY: roster},
        )  # fmt: skip


def log_in_again(client: TestClient, name: str) -> None:
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


# --- login and navigation ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_to_its_own_page_and_is_refused_the_others(
    client: TestClient, signed_in: Callable[[Role], str], role: Role
) -> None:
    name = signed_in(role)
    home = parse(client.get("/").text)
    links = [e.get("href") for e in home.all("a")]
    assert all(path in links for path, (_, roles) in PAGES.items() if role in roles)
    for path, (_, roles) in PAGES.items():
        response = client.get(path)
        if role in roles:
            assert response.status_code == 200, (role, path)
            assert name in parse(response.text).text("whoami")
        else:
            assert response.status_code == 403, (role, path)
            page = parse(response.text)
            assert page.by_id("own-page").get("href") == HOME[role]
            assert "not for your account" in response.text


def test_a_visitor_gets_the_login_form_and_lands_on_the_page_asked_for(
    client: TestClient, as_role: Callable[[Role], dict[str, str]]
) -> None:
    as_role(Role.officer)
    form = parse(client.get("/officer").text)
    assert form.by_id("login").get("action") == "/login"
    data = {"username": "officer-user", "password": "wrong", "next": "/officer"}
    refused = client.post("/login", data=data, follow_redirects=False)
    assert refused.status_code == 401 and "Log-in refused" in refused.text
    data["password"] = PASSWORD
    ok = client.post("/login", data={**data, "next": "https://evil.example/"},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/officer"  # never elsewhere
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert "Log in" in client.get("/officer").text  # the session is over


def test_a_cross_site_post_with_the_cookie_is_refused(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.admin)
    attack = client.post(
        "/api/v1/auth/logout",
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert attack.status_code == 403 and "Origin" in attack.json()["detail"]
    assert client.get("/board").status_code == 200  # still signed in


# --- the officer ---------------------------------------------------------------------------


def test_an_officer_sees_only_their_next_shift_once_released(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    store_sunday(engine, clock.now())
    signed_in(Role.officer)  # team alpha-1
    # Saturday 14:00: nothing today; Sunday's 10:00 shift is released 2 hours before.
    early = parse(client.get("/officer").text)
    assert early.text("shift-status") == "Your next shift is available from 08:00 tomorrow."
    assert not early.has_id("shift")

    clock.set(dt.datetime(2026, 12, 6, 8, 5, tzinfo=dt.UTC))  # London is on UTC in December
    log_in_again(client, "officer-user")  # the session of the day before has expired
    response = client.get("/officer")
    page = parse(response.text)
    table = page.text("shift")
    assert "Winchester Cathedral Christmas Market" in table and "WestQuay" in table
    assert "10:30" in table and "15:30" in table
    assert "team alpha-1" in page.text("shift-status").lower()
    assert "Gunwharf" not in response.text and "bravo" not in response.text  # other teams
    route = json.loads(page.text("route-data"))
    assert [p["kind"] for p in route] == ["base", "venue", "venue", "base"]
    assert (
        route[0]["name"] == route[-1]["name"] == "Southampton Central police investigation centre"
    )

    # After the shift: nothing left, and nothing further rostered.
    clock.set(dt.datetime(2026, 12, 6, 16, 30, tzinfo=dt.UTC))
    log_in_again(client, "officer-user")
    done = parse(client.get("/officer").text)
    assert "No shift is rostered" in done.text("shift-status")


def test_an_officer_s_route_to_the_island_goes_by_the_ferry_it_takes(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    """Issue 14: routes drawn along the travel model. alpha-1 (Southampton, a vehicle team)
    patrols Newport: the officer's map goes through the car ferry's two terminals each way,
    never in a straight line over the Solent."""
    from crowdguard.patrols.travel import scenario_travel

    demo = demo_scenario()
    base = next(t.base for t in demo.teams if t.callsign == "alpha-1")
    venue = "newport-st-james-square"
    roster = {"date": SUNDAY, "teams": [{"team": "alpha-1", "base": base, "segments": [
        {"kind": "transit", "venue": venue, "start": f"{SUNDAY}T10:00:00",
         "end": f"{SUNDAY}T11:30:00"},
        {"kind": "patrol", "venue": venue, "start": f"{SUNDAY}T11:30:00",
         "end": f"{SUNDAY}T15:00:00"}]}]}  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo.id, seed=1),
            actor="test",
            now=clock.now(),
        )
        jobs.finish_plan(session=session, plan_id=plan.id, now=clock.now(),
                         result={"solver": "hand-written"}, rosters={SUNDAY: roster})  # fmt: skip
    clock.set(dt.datetime(2026, 12, 6, 8, 5, tzinfo=dt.UTC))
    signed_in(Role.officer)
    page = parse(client.get("/officer").text)
    path = json.loads(page.text("route-path"))
    ferry = scenario_travel(demo).crossing(base, venue)
    assert ferry is not None
    mainland = [ferry.mainland.lat, ferry.mainland.lon]
    island = [ferry.island.lat, ferry.island.lon]
    assert path[1:3] == [mainland, island] and path[4:6] == [island, mainland]
    stops = json.loads(page.text("route-data"))
    assert [p["kind"] for p in stops] == ["base", "venue", "base"]  # the markers: the stops


def test_an_officer_on_a_night_shift_still_sees_it_after_midnight(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    """Issue 11 s.3: a shift crossing midnight is rostered under the date it starts; at
    01:00 the officer's page still shows the night's remaining patrol, not "no shift"."""
    night = {
        "date": SUNDAY,
        "teams": [
            {
                "team": "alpha-1",
                "base": "portsmouth-central",
                "segments": [
                    {"kind": "patrol", "venue": "portsmouth-gunwharf-quays",
                     "start": f"{SUNDAY}T22:00:00", "end": "2026-12-07T01:30:00"},
                    {"kind": "transit", "start": "2026-12-07T01:30:00",
                     "end": "2026-12-07T02:00:00"},
                ],
            }
        ],
    }  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=1),
            actor="test",
            now=clock.now(),
        )
        jobs.finish_plan(
            session=session, plan_id=plan.id, now=clock.now(),
            result={"solver": "hand-written"}, rosters={SUNDAY: night},
        )  # fmt: skip
    signed_in(Role.officer)  # team alpha-1
    clock.set(dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC))  # Monday 01:00 in London
    log_in_again(client, "officer-user")
    page = parse(client.get("/officer").text)
    assert page.has_id("shift"), page.text("shift-status")
    table = page.text("shift")
    assert "Gunwharf" in table and "01:30" in table


def test_an_officer_asking_the_api_for_another_team_is_refused(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    store_sunday(engine, clock.now())
    signed_in(Role.officer)
    clock.set(dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC))
    log_in_again(client, "officer-user")
    other = client.get(f"/api/v1/rosters/{SUNDAY}/teams/bravo-2")  # with the page's cookie
    assert other.status_code == 403 and "own team" in other.json()["detail"]
    assert client.get(f"/api/v1/rosters/{SUNDAY}/teams/alpha-1").status_code == 200


# --- the API docs ----------------------------------------------------------------------------


def test_the_api_docs_load_swagger_ui_from_the_package(reader: TestClient) -> None:
    response = reader.get("/api/v1/docs")
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources and all(s.startswith("/static/vendor/swagger-ui/") for s in sources), sources
    assert "cdn" not in response.text.lower()
    for source in sources:
        assert reader.get(source).status_code == 200, source
    assert "validatorUrl" in response.text  # no call to the public validator


# --- the vendored libraries ------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder",
    [Path(web.__file__).parent / "static" / "vendor", Path(basemap.__file__).parent / "vendor"],
)
def test_every_vendored_file_is_the_one_recorded_with_its_licence(folder: Path) -> None:
    """scripts/vendor-web's manifest: each package's version, licence and file hashes."""
    manifest = json.loads((folder / "VENDORED.json").read_text(encoding="utf-8"))
    assert manifest
    for key, package in manifest.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), key
        assert package["licence"] and package["integrity"].startswith("sha512-"), key
        assert any("LICEN" in name.upper() for name in package["files"]), key
        for name, digest in package["files"].items():
            data = (folder / key / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{key}/{name} changed"


# --- the planner ------------------------------------------------------------------------------


def store_season_plan(engine: Engine, now: dt.datetime, *, worst_tie: float | None) -> int:
    """A finished plan with hand-written coverage rows (plan.json's contract) and Sunday's
    rosters; ``worst_tie`` is issue 10's field, present only in newer plans."""
    result: dict[str, object] = {
        "solver": "hand-written",
        "defender_utility": -1.25,
        "coverage": [
            {"venue": "winchester-cathedral-market", "start": f"{SUNDAY}T10:00:00",
             "end": f"{SUNDAY}T11:00:00", "coverage": 0.9, "risk": 4.0},
            {"venue": "winchester-cathedral-market", "start": f"{SUNDAY}T11:00:00",
             "end": f"{SUNDAY}T12:00:00", "coverage": 0.5, "risk": 3.0},
            {"venue": "portsmouth-gunwharf-quays", "start": f"{SUNDAY}T10:00:00",
             "end": f"{SUNDAY}T11:00:00", "coverage": 0.1, "risk": 1.0},
        ],
    }  # fmt: skip
    if worst_tie is not None:
        result["worst_tie_defender_utility"] = worst_tie
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=1),
            actor="test",
            now=now,
        )
        jobs.finish_plan(session=session, plan_id=plan.id, now=now, result=result, rosters={})
        return plan.id


def test_the_planner_sees_the_season_by_venue_and_hour_and_the_stated_harm(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    store_sunday(engine, clock.now())  # plan 1: Sunday's rosters
    plan = store_season_plan(engine, clock.now(), worst_tie=None)
    signed_in(Role.planner)
    page = parse(client.get(f"/planner?plan={plan}&day={SUNDAY}").text)
    assert page.text("stated-harm") == "-1.250"
    assert not page.has_id("worst-tie")  # an older plan has no worst-tie figure
    heat = page.text("heatmap")
    assert "Winchester Cathedral Christmas Market" in heat and "10 11" in heat
    assert "90 50" in heat  # per cent, by hour
    markers = {m["id"]: m for m in json.loads(page.text("season-data"))}
    assert markers["winchester-cathedral-market"]["coverage"] == pytest.approx(0.7)
    assert markers["winchester-cathedral-market"]["risk_step"] == 7  # the highest risk
    assert markers["portsmouth-gunwharf-quays"]["coverage_step"] == 1
    # The day: a timeline per team and a route per team (from the newest plan for the day).
    rows = [e.get("data-team") for e in page.all("div") if e.get("data-team")]
    assert rows == ["alpha-1", "bravo-2"]
    routes = {r["team"]: r for r in json.loads(page.text("routes-data"))}
    assert [s["id"] for s in routes["alpha-1"]["stops"]][1:3] == [
        "winchester-cathedral-market",
        "southampton-westquay",
    ]
    newer = store_season_plan(engine, clock.now(), worst_tie=-2.5)
    page = parse(client.get(f"/planner?plan={newer}").text)
    assert page.text("worst-tie") == "-2.500"
    assert "seed" not in client.get(f"/planner?plan={newer}").text.lower().replace(
        "secret seed", ""
    )


@pytest.mark.parametrize("query", ["plan=0", "plan=abc", "day=2026-02-30", "plan=99999999999"])
def test_a_bad_planner_query_is_a_clear_4xx(
    client: TestClient, signed_in: Callable[[Role], str], query: str
) -> None:
    signed_in(Role.planner)
    response = client.get(f"/planner?{query}")
    assert 400 <= response.status_code < 500


# --- the administrator ------------------------------------------------------------------------


def test_an_admin_adds_and_disables_an_account_whose_session_then_ends(
    app: object, client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.admin)
    bad = client.post("/admin/users", data={"username": "Bad Name", "password": "short",
                                            "role": "officer", "team": ""})  # fmt: skip
    assert bad.status_code == 422
    page = parse(bad.text)
    assert "username" in page.text("new-username-error").lower() or page.text("new-username-error")
    assert page.text("new-password-error")  # too short, said next to the field
    assert page.by_id("new-username").get("value") == "Bad Name"  # what was typed is kept
    made = client.post("/admin/users", data={"username": "pc-jones", "password": PASSWORD,
                                             "role": "officer", "team": "alpha-1"},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    # pc-jones logs in elsewhere...
    with TestClient(app) as other:  # type: ignore[arg-type]
        assert other.post("/login", data={"username": "pc-jones", "password": PASSWORD},
                          follow_redirects=False).status_code == 303  # fmt: skip
        assert other.get("/officer").status_code == 200
        listing = parse(client.get("/admin").text)
        assert "officer" in listing.text("account-pc-jones")
        form = next(e for e in listing.all("form") if "tr#account-pc-jones" in e.parents)
        done = client.post(str(form.get("action")), data={"action": "disable"})
        assert done.status_code == 200 and "disabled" in parse(done.text).text("admin-done")
        assert "Log in" in other.get("/officer").text  # ...and is signed out at once
    # The audit trail shows both and the chain is intact.
    verified = parse(client.post("/admin/audit/verify").text)
    assert verified.text("chain-result").startswith("Intact")
    assert "user.update" in verified.text("audit") and "user.create" in verified.text("audit")


def test_an_admin_cannot_disable_themselves_and_is_told_why(
    client: TestClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.admin)
    listing = client.get("/admin")
    me = re.search(r'id="account-admin-user"', listing.text)
    assert me is not None
    assert 'id="disable-admin-user"' not in listing.text  # no button for oneself
    own_id = next(
        a["id"]
        for a in client.get("/api/v1/users").json()["items"]
        if a["username"] == "admin-user"
    )
    refused = client.post(f"/admin/users/{own_id}", data={"action": "disable"})
    assert refused.status_code == 409
    assert "own account" in parse(refused.text).text("account-error-admin-user")


# --- the analyst --------------------------------------------------------------------------------


def test_an_analyst_sees_the_aggregates_and_no_roster_or_report_text(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    store_sunday(engine, clock.now())
    text = "A grey holdall left under the bench by the carousel for an hour."
    sent = client.post(
        "/report",
        data={"category": "unattended_item", "description": text,
              "venue_id": "winchester-cathedral-market"},
    )  # fmt: skip
    assert sent.status_code == 201
    signed_in(Role.analyst)
    response = client.get("/analyst")  # this financial year (2026/27)
    assert response.status_code == 200
    page = parse(response.text)
    assert page.by_id("period").get("value") == "2026/27"
    assert "Public reports (1)" in page.text("reports-title")
    assert "unattended item" in page.text("reports-counts")
    assert page.text("ops-summary").startswith("0 operations")
    assert "2026/27" in page.text("ops-by-year")
    for secret in (text, "alpha-1", "bravo-2", "Gunwharf", "holdall"):
        assert secret not in response.text  # counts only: no report text, no roster
    bad = client.get("/analyst?period=2026-13-01:2027-01-01")
    assert bad.status_code == 422 and "period" in parse(bad.text).text("period-error")


def test_the_analyst_chart_has_its_table_and_every_table_its_csv(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    """Issue 15 item 3: the trend is drawn from data in the page (ours beside the published
    series, gaps as null, years before 2008/09 flagged), shown as a table too, and each
    table links to its CSV, which the analyst's cookie downloads."""
    store_sunday(engine, clock.now())
    call = dt.datetime(2026, 12, 6, 14, 0, tzinfo=dt.UTC)
    with session_scope(make_sessionmaker(engine)) as session:
        entry = DeploymentCreate(
            incident="inc-1", unit="alpha-1", opened_at=call, grade="immediate",
            authorised_at=call, authorised_by="insp-tfc", deployed_at=call,
            arrived_at=call + dt.timedelta(minutes=9), ended_at=call + dt.timedelta(minutes=40),
        )  # fmt: skip
        stats.record_deployment(session=session, data=entry, actor="ctl", now=call)
    signed_in(Role.analyst)
    page = parse(client.get("/analyst?period=2026/27").text)
    response = json.loads(page.text("response-data"))
    assert response["months"][0] == "2026-04" and len(response["months"]) == 12
    (line,) = response["series"]
    assert line["label"] == "immediate (median minutes)"
    assert line["values"][8] == 9.0 and line["values"][7] is None  # December; November a gap
    trend = json.loads(page.text("trend-data"))
    rows = {row[0]: dict(zip(trend["columns"], row, strict=True)) for row in trend["rows"]}
    assert rows["1996/97"]["Hampshire operations (published)"] == 245
    assert rows["1996/97"]["comparable"] is False and rows["2017/18"]["comparable"] is True
    assert rows["2026/27"]["our operations"] == 1  # our count for the period's year
    assert rows["2017/18"]["our operations"] is None  # no log that year: a gap, not zero
    assert "245" in page.text("trend-table")
    link = page.by_id("csv-operations-by-year").get("href")
    assert link == "/api/v1/stats/tables/operations-by-year?period=2026%2F27&format=csv"
    csv = client.get(link)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("year,comparable,Hampshire operations")
    for name in ("operations-by-month", "response-times", "plan-reviews", "public-reports"):
        assert client.get(page.by_id(f"csv-{name}").get("href")).status_code == 200
