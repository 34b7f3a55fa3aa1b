"""The pages in a real browser: Debian's chromium driven by Playwright against a real
``crowdguard serve`` subprocess on a free loopback port, with a temporary data folder
(seeded with the Hampshire demo on first start).

1. A member of the public files a report through the form (with JavaScript: the map and
   the category questions; without it: plain form posts) and gets a reference.
2. A control-room user logged in on the board sees that report arrive live, without a
   reload, and works it through: marks a repeat as a duplicate, overrides the grade with a
   reason (refused without one), recommends and assigns a unit from the keyboard, sees the
   patrols it will miss and asks for the rest-of-day re-plan, moves the unit on scene,
   committed and available (a move another controller made first is refused with the
   server's message), and closes the task with an outcome. A second controller's board,
   in its own browser context, sees every change pushed live.

The store is seeded before the server starts (the demo, the accounts, and a finished plan
whose roster for today has five teams on patrol all day), so units have a rostered place
whatever the time of the run.

Assertions are on the DOM, never on pixels; screenshots go to the test's tmp folder.
Skipped (not failed) only when /usr/bin/chromium is absent. Never ``playwright install``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True
    )

import argon2  # noqa: E402
from argon2.profiles import CHEAPEST  # noqa: E402
from browser_kit import (  # noqa: E402
    CHROMIUM_ARGS,
    PASSWORD,
    PHONE,
    Tab,
    check_page,
    log_in,
    overflow_px,
)
from demo_roster import PATROLS, store_demo_roster  # noqa: E402
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from served import ServedProcess  # noqa: E402

from crowdguard.rosters.service import store_rosters  # noqa: E402
from crowdguard.scenario.load import demo_scenario  # noqa: E402
from crowdguard.stats import service as stats  # noqa: E402
from crowdguard.stats.models import DeploymentCreate  # noqa: E402
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade  # noqa: E402
from crowdguard.store.demo import seed_demo  # noqa: E402
from crowdguard.users import service as users  # noqa: E402
from crowdguard.users.models import Role, UserCreate  # noqa: E402
from crowdguard.web.common import HOME  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REFERENCE = re.compile(r"CG-[A-Z0-9]{4}-[A-Z0-9]{4}")
VENUES = {v.id: v for v in demo_scenario().venues}


ACCOUNTS = {
    "controller": Role.control,
    "controller2": Role.control,
    "planner": Role.planner,
    "officer": Role.officer,
    "officer2": Role.officer,
    "admin": Role.admin,
    "organiser": Role.organiser,
}


def seed_store(data_dir: Path) -> None:
    """The demo, the accounts (with argon2's cheapest hashes: the server verifies with the
    parameters stored in each hash) and today's roster, before the server starts."""
    data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{data_dir / 'crowdguard.sqlite3'}")
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", argon2.PasswordHasher.from_parameters(CHEAPEST))
        with session_scope(make_sessionmaker(engine)) as session:
            seed_demo(session=session, now=now)
            for name, role in ACCOUNTS.items():
                users.create_user(
                    session=session,
                    data=UserCreate(
                        username=name,
                        password=PASSWORD,
                        role=role,
                        team="alpha-1" if role is Role.officer else None,
                    ),
                    actor="test",
                    now=now,
                )
    store_demo_roster(engine, now.astimezone(ZoneInfo("Europe/London")).date(), now)
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """``crowdguard serve`` on a seeded data folder: two control accounts and a planner."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    seed_store(data_dir)
    served = ServedProcess(data_dir).start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium (Debian's; nothing downloaded)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tabs(browser: Browser) -> Iterator[list[Tab]]:
    """Open tabs (closed after the test); each must end without a script error."""
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.close()
    assert [e for tab in opened for e in tab.errors] == []
    assert [u for tab in opened for u in tab.outside] == []  # nothing left 127.0.0.1


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where page screenshots go: ``docs/screenshots`` with CROWDGUARD_SCREENSHOTS=1 (to
    refresh the docs' pictures), else the test's own folder."""
    if os.environ.get("CROWDGUARD_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    return tmp_path / "shots"


def open_tab(browser: Browser, tabs: list[Tab], **options: Any) -> Page:
    tab = Tab(browser, **options)
    tabs.append(tab)
    return tab.page


def control_headers(server: ServedProcess) -> dict[str, str]:
    return server.token("controller", PASSWORD)


def stored_report(server: ServedProcess, reference: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.base_url}/api/v1/reports/{reference}", headers=control_headers(server), timeout=30
    )
    response.raise_for_status()
    record: dict[str, Any] = response.json()
    return record


def file_report(page: Page, server: ServedProcess, venue: str, description: str) -> str:
    """Fill the form as a member of the public would, choosing the venue from the list."""
    page.goto(f"{server.base_url}/report")
    expect(page.locator("#emergency-banner")).to_have_text("In an emergency call 999")
    page.select_option("#category", "hostile_reconnaissance")
    page.fill("#description", description)
    page.select_option("#venue_id", venue)
    with page.expect_navigation():
        page.click("#send")
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    return reference


# --- 1. the public ------------------------------------------------------------------------


def test_the_public_reports_through_the_form_with_the_map_and_gets_a_reference(
    server: ServedProcess, browser: Browser, tabs: list[Tab], tmp_path: Path
) -> None:
    page = open_tab(browser, tabs)
    page.goto(f"{server.base_url}/report")
    expect(page.locator("#emergency-banner")).to_have_text("In an emergency call 999")

    # The questions follow the category.
    page.select_option("#category", "unattended_item")
    expect(page.locator("#item-questions")).to_be_visible()
    expect(page.locator("#vehicle-questions")).to_be_hidden()
    page.select_option("#category", "attack_in_progress")
    expect(page.locator("#attack-warning")).to_be_visible()
    page.select_option("#category", "unattended_item")
    expect(page.locator("#attack-warning")).to_be_hidden()

    # The offline base map is drawn (Natural Earth land), and a click on the map beside a
    # venue marks a point south of it.
    expect(page.locator("#venue-map")).to_have_attribute("data-base", "land")
    expect(page.locator("#venue-map path.land").first).to_be_attached()
    venue = VENUES["southampton-westquay"]
    svg = page.locator("#venue-map")
    page.select_option("#venue_id", venue.id)  # the list shows the place on the map
    svg.scroll_into_view_if_needed()
    dot = page.locator(f"#venue-map .cg-marker[data-venue='{venue.id}']").bounding_box()
    frame = svg.bounding_box()
    assert dot is not None and frame is not None
    centre_x = dot["x"] + dot["width"] / 2 - frame["x"]
    centre_y = dot["y"] + dot["height"] / 2 - frame["y"]
    svg.click(position={"x": centre_x, "y": centre_y + 40})  # 40 px south of the dot
    expect(page.locator("#venue-map")).to_have_attribute("data-point", "1")
    lat = float(page.input_value("#location_lat"))
    lon = float(page.input_value("#location_lon"))
    assert lon == pytest.approx(venue.lon, abs=0.01)
    assert venue.lat - 0.2 < lat < venue.lat - 0.001
    assert float(page.input_value("#location_precision_m")) > 0
    page.click("#clear-point")
    assert page.input_value("#location_lat") == ""

    # Choose the market from the map with the keyboard, answer HOT, send.
    market = "winchester-cathedral-market"
    page.select_option("#venue_id", market)  # brought into view...
    page.select_option("#venue_id", "")  # ...and unchosen again
    expect(page.locator(f"#venue-map .cg-marker[data-venue='{market}']")).not_to_have_class(
        re.compile(r"\bchosen\b")
    )
    page.locator(f"#venue-map .cg-marker[data-venue='{market}']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#venue_id")).to_have_value(market)
    expect(page.locator(f"#venue-map .cg-marker[data-venue='{market}']")).to_have_class(
        re.compile(r"\bchosen\b")
    )
    page.fill("#description", "A rucksack under the bench by the ice rink, wires showing.")
    page.check("#item_obvious")
    page.fill("#location_text", "by the ice rink entrance")
    page.screenshot(path=str(tmp_path / "report-form.png"), full_page=True)
    with page.expect_navigation() as navigation:
        page.click("#send")
    response = navigation.value
    assert response is not None and response.status == 201
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    expect(page.locator("#emergency-banner")).to_be_visible()
    expect(page.locator("main")).to_contain_text("What happens next")
    page.screenshot(path=str(tmp_path / "report-received.png"), full_page=True)

    record = stored_report(server, reference)
    assert record["report"]["location"]["venue_id"] == market
    assert record["report"]["location"]["lat"] is None  # the point was cleared
    assert record["report"]["items"][0]["obviously_suspicious"] is True
    assert record["grade"] == "immediate"
    assert record["report"]["anonymous"] is True


def test_without_javascript_the_form_still_refuses_and_accepts(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    page = open_tab(browser, tabs, java_script_enabled=False)
    page.goto(f"{server.base_url}/report")
    expect(page.locator("#vehicle-questions")).to_be_visible()  # nothing hidden without JS
    expect(page.locator("#use-location")).to_be_hidden()  # needs JavaScript

    with page.expect_navigation() as navigation:
        page.click("#send")
    response = navigation.value
    assert response is not None and response.status == 422
    expect(page.locator("#error-summary")).to_contain_text("Choose what your report is about")
    expect(page.locator("#description-error")).to_be_visible()

    page.select_option("#category", "suspicious_vehicle")
    page.fill("#description", "White van parked on the pavement by the bollards since 9am.")
    page.select_option("#venue_id", "portsmouth-gunwharf-quays")
    page.fill("#vehicle_vrm", "AB12 CDE")
    with page.expect_navigation() as navigation:
        page.click("#send")
    response = navigation.value
    assert response is not None and response.status == 201
    reference = page.locator("#reference").inner_text()
    record = stored_report(server, reference)
    assert record["report"]["vehicles"][0]["vrm"] == "AB12 CDE"


# --- 2. the control room -------------------------------------------------------------------


def open_board(page: Page, server: ServedProcess, username: str) -> Page:
    log_in(page, server.base_url, "/board", username)
    expect(page.locator("#board")).to_have_attribute("data-live", "1")
    expect(page.locator("#units tbody tr")).to_have_count(len(demo_scenario().teams))
    page.evaluate("window.notReloaded = true")
    return page


def test_the_board_works_a_report_through_and_a_second_board_sees_every_change_live(
    server: ServedProcess, browser: Browser, tabs: list[Tab], tmp_path: Path
) -> None:
    board = open_board(open_tab(browser, tabs), server, "controller")
    other = open_board(open_tab(browser, tabs), server, "controller2")  # another control room
    boards = (board, other)
    # Units are drawn where today's roster has them: on patrol, or at base without a roster.
    bases = {t.callsign: t.base for t in demo_scenario().teams}
    for callsign, venue in PATROLS.items():
        expect(board.locator(f".cg-marker[data-unit='{callsign}']")).to_have_attribute(
            "data-place", venue
        )
    expect(board.locator(".cg-marker[data-unit='alpha-3']")).to_have_attribute(
        "data-place", bases["alpha-3"]
    )
    expect(board.locator("#unit-alpha-2")).to_contain_text("Patrol at Gunwharf")

    # A member of the public reports in another browser; someone else reports it again.
    public = open_tab(browser, tabs)
    first = file_report(
        public, server, "portsmouth-gunwharf-quays", "Two men filming the barriers and exits."
    )
    repeat = httpx.post(
        f"{server.base_url}/api/v1/reports",
        json={
            "category": "hostile_reconnaissance",
            "location": {"venue_id": "portsmouth-gunwharf-quays"},
            "observed_at": dt.datetime.now(dt.UTC).isoformat(),
            "description": "Two men photographing the security barriers",
        },
        timeout=30,
    )
    assert repeat.status_code == 201, repeat.text
    second = repeat.json()["reference"]
    row = board.locator(f"#report-{first}")
    for page in boards:
        expect(page.locator(f"#report-{first}")).to_contain_text("Hostile reconnaissance")
        expect(page.locator(f"#report-{second}")).to_contain_text(f"possible duplicate of {first}")
        assert page.evaluate("window.notReloaded") is True  # pushed, not reloaded
    expect(board.locator("#reports tbody tr").first).to_have_id(f"report-{second}")
    expect(row).to_contain_text("Gunwharf")
    expect(board.locator(f".cg-marker[data-reference='{first}']")).to_have_count(1)
    other.get_by_role("button", name=f"Details of {first}").click()  # the other room follows it
    expect(other.locator("#selected-title")).to_contain_text(first)

    # Mark the repeat as a duplicate; the reverse mark would be a loop: the server's 409.
    board.get_by_role("button", name=f"Details of {second}").click()
    board.get_by_role("button", name=f"Mark {second} as a duplicate of {first}").click()
    for page in boards:
        expect(page.locator(f"#report-{second}")).to_contain_text(f"duplicate of {first}")
    board.get_by_role("button", name=f"Details of {first}").click()
    expect(board.locator("#triage-rules li").first).to_be_visible()  # the rules that fired
    board.get_by_role("button", name=f"Mark {first} as a duplicate of {second}").click()
    expect(board.locator("#duplicate-error")).to_contain_text(
        f"{second} is already marked a duplicate of {first}"
    )

    # Override the grade: refused without a reason (422, the server's words), then with one.
    grade = stored_report(server, first)["grade"]
    board.select_option("#grade-new", "refer")
    board.click("#grade-submit")
    expect(board.locator("#grade-error")).to_contain_text("reason: String should have at least")
    expect(other.locator(f"#report-{first}")).to_have_attribute("data-grade", grade)
    reason = "Venue says they are a licensed news crew; refer to CT Policing"
    board.fill("#grade-reason", reason)
    board.focus("#grade-submit")
    board.keyboard.press("Enter")
    for page in boards:
        expect(page.locator(f"#report-{first}")).to_have_attribute("data-grade", "refer")
        expect(page.locator("#override-note")).to_contain_text("by controller at")
        expect(page.locator("#override-note")).to_contain_text(reason)
    expect(board.locator("#grade-error")).to_be_hidden()
    # A board opened later reads who and why from the stored report, not from the push.
    later = open_board(open_tab(browser, tabs), server, "controller")
    later.get_by_role("button", name=f"Details of {first}").click()
    expect(later.locator("#override-note")).to_contain_text("by controller at")
    expect(later.locator("#override-note")).to_contain_text(reason)

    # Recommend, then assign the fastest unit from the keyboard (focus moves to it).
    row.get_by_role("button", name=f"Recommend a unit for {first}").click()
    assign = board.locator("#recommendations button.assign").first
    expect(assign).to_be_focused()
    # Hostile reconnaissance gives no APP grounds for armed officers: no ARV is offered, and
    # the board says who would have to authorise one.
    expect(board.locator("#dispatch-message")).to_contain_text("No ARV offered")
    expect(board.locator("#dispatch-message")).to_contain_text("authority of a firearms commander")
    callsign = assign.inner_text().removeprefix("Assign ")
    unit = board.locator(f"#unit-{callsign}")
    unit_there = other.locator(f"#unit-{callsign}")
    expect(unit).to_have_attribute("data-state", "available")
    board.keyboard.press("Enter")
    for page in boards:
        expect(page.locator(f"#unit-{callsign}")).to_have_attribute("data-state", "en_route")
        expect(page.locator(f"#unit-{callsign}")).to_contain_text(first)
        expect(page.locator(f"#report-{first}")).to_have_attribute("data-status", "assigned")
    expect(board.locator("#dispatch-message")).to_contain_text(f"{callsign} assigned")
    expect(board.locator("#board-map")).to_have_attribute("data-links", "1")

    # The patrols the team will miss; focus is on the re-plan, and it shows the gap.
    expect(board.locator("#missed-list li").first).to_contain_text(callsign)
    replan = board.locator(f"#replan-{callsign}")
    expect(replan).to_be_focused()
    board.keyboard.press("Enter")
    expect(board.locator("#replan-result")).to_be_visible()
    expect(board.locator("#replan-summary")).to_contain_text("of rostered patrol go uncovered")
    expect(board.locator("#replan-slots tbody tr").first).to_be_visible()
    board.screenshot(path=str(tmp_path / "board-replan.png"), full_page=True)

    # Unit moves, only those the state machine allows: on scene, committed, available.
    expect(unit.locator("button")).to_have_text(
        [re.compile(r"to On scene$"), re.compile(r"to Available$")]
    )
    unit.get_by_role("button", name=f"Move {callsign} to on scene").click()
    expect(unit_there).to_have_attribute("data-state", "on_scene")
    expect(board.locator(f".cg-marker[data-unit='{callsign}']")).to_have_attribute(
        "data-place",
        re.compile(r"^task-\d+$"),  # drawn at the incident
    )

    # Another controller commits the unit a moment before this board's click: a 409, with
    # the server's message next to the buttons, and the board shows the state pushed.
    def another_controller_first(route: Route) -> None:
        done = httpx.post(
            f"{server.base_url}/api/v1/dispatch/units/{callsign}/state",
            json={"state": "committed"},
            headers=server.token("controller2", PASSWORD),
            timeout=30,
        )
        assert done.status_code == 200, done.text
        route.continue_()

    pattern = f"**/api/v1/dispatch/units/{callsign}/state"
    board.route(pattern, another_controller_first)
    unit.get_by_role("button", name=f"Move {callsign} to committed").click()
    expect(board.locator(f"#unit-error-{callsign}")).to_contain_text(
        f"unit {callsign} is committed; cannot go to committed"
    )
    board.unroute(pattern)
    for page in boards:
        expect(page.locator(f"#unit-{callsign}")).to_have_attribute("data-state", "committed")
    unit.get_by_role("button", name=f"Move {callsign} to available").click()
    for page in boards:
        expect(page.locator(f"#unit-{callsign}")).to_have_attribute("data-state", "available")
    expect(board.locator(f"#unit-error-{callsign}")).to_be_hidden()

    # Close the task: an outcome is required (422), then it closes for every board.
    board.click("#close-submit")
    expect(board.locator("#close-error")).to_contain_text("outcome: String should have at least")
    board.fill("#close-outcome", "Spoke to the crew; filming for the local news, no offence")
    board.press("#close-outcome", "Enter")
    for page in boards:
        expect(page.locator(f"#report-{first}")).to_have_attribute("data-status", "closed")
        expect(page.locator("#task-title")).to_contain_text("closed")
        assert page.evaluate("window.notReloaded") is True
    board.screenshot(path=str(tmp_path / "board-closed.png"), full_page=True)

    # The grade filter (the legend) hides the report's row and its map mark.
    board.uncheck("#show-refer")
    expect(row).to_be_hidden()
    expect(board.locator(f".cg-marker[data-reference='{first}']")).to_have_count(0)
    board.check("#show-refer")
    expect(row).to_be_visible()

    with board.expect_navigation():
        board.click("#logout")
    expect(board.locator("#login-message")).to_contain_text("You have logged out")
    board.goto(f"{server.base_url}/board")  # the cookie is gone: the login form, no data
    expect(board.locator("#login")).to_be_visible()
    expect(board.locator("#reports")).to_have_count(0)


def test_the_board_refuses_accounts_outside_the_control_room(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    board = open_tab(browser, tabs)
    board.goto(f"{server.base_url}/board")
    board.fill("#username", "controller")
    board.fill("#password", "not the password")
    board.click("#login-submit")
    expect(board.locator("#login-message")).to_contain_text("Log-in refused")

    log_in(board, server.base_url, "/board", "planner")  # a planner is sent to the board...
    expect(board.locator("#refusal")).to_contain_text("control room")
    expect(board.locator("#own-page")).to_have_attribute("href", HOME[Role.planner])  # home
    expect(board.locator("#board")).to_have_count(0)


def test_a_call_taken_by_phone_is_opened_sent_and_closed_on_the_board(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    """A 999 call has no public report: the controller opens a task at a venue, sends the
    fastest unit and closes the task; the second board follows every step."""
    board = open_board(open_tab(browser, tabs), server, "controller")
    other = open_board(open_tab(browser, tabs), server, "controller2")
    boards = (board, other)
    venues = board.locator("#call-venue option")
    assert venues.count() == len(demo_scenario().venues) + 1
    expect(board.locator("#call-venue")).to_have_value("")  # no venue until one is chosen
    board.fill("#call-description", "999 call")
    board.click("#call-submit")
    expect(board.locator("#call-error")).to_contain_text("choose where")
    board.fill("#call-description", "")
    board.select_option("#call-venue", "portsmouth-gunwharf-quays")

    # Refused without saying what happened (the server's field message), then opened.
    board.click("#call-submit")
    expect(board.locator("#call-error")).to_contain_text("Task not opened: ")
    expect(board.locator("#call-error")).to_contain_text("description")
    what = "999 call: man with a knife by the carousel"
    board.fill("#call-description", what)
    board.click("#call-submit")
    expect(board.locator("#selected-title")).to_contain_text(f"(call): {what}")
    expect(board.locator("#selected-details")).to_contain_text("Gunwharf")
    expect(board.locator("#selected-details")).to_contain_text("by controller")
    expect(board.locator("#report-only")).to_be_hidden()  # no triage or grade for a call
    call_row = board.locator("#calls tbody tr").first
    row_id = call_row.get_attribute("id")
    assert row_id is not None and row_id.startswith("call-")
    for page in boards:
        expect(page.locator(f"#{row_id}")).to_contain_text(what)
        expect(page.locator(f"#{row_id}")).to_have_attribute("data-state", "open")

    # Recommend and send the fastest unit, as for a report.
    board.click("#recommend-selected")
    assign = board.locator("#recommendations button.assign").first
    expect(assign).to_be_focused()
    # A call taken by phone has no triage: the board still says who must authorise armed
    # deployment.
    expect(board.locator("#dispatch-message")).to_contain_text("authority of a firearms commander")
    callsign = assign.inner_text().removeprefix("Assign ")
    board.keyboard.press("Enter")
    expect(board.locator("#dispatch-message")).to_contain_text(f"{callsign} assigned to task")
    for page in boards:
        expect(page.locator(f"#{row_id}")).to_have_attribute("data-state", "en_route")
        expect(page.locator(f"#{row_id}")).to_contain_text(callsign)
        expect(page.locator(f"#unit-{callsign}")).to_have_attribute("data-state", "en_route")
    expect(board.locator("#missed-list li").first).to_contain_text(callsign)

    # Close it with an outcome: the unit is free again on both boards.
    board.fill("#close-outcome", "Man detained; knife recovered")
    board.click("#close-submit")
    for page in boards:
        expect(page.locator(f"#{row_id}")).to_have_attribute("data-state", "closed")
        expect(page.locator(f"#unit-{callsign}")).to_have_attribute("data-state", "available")
    other.get_by_role("button", name=f"Details of task {row_id.removeprefix('call-')}").click()
    expect(other.locator("#selected-title")).to_contain_text(what)
    expect(other.locator("#selected-details")).to_contain_text("Closed")


# --- 4. the officer, the API docs, every page's accessibility -------------------------------


def test_an_officer_sees_their_shift_and_its_route_on_a_phone_and_nothing_else(
    server: ServedProcess, browser: Browser, tabs: list[Tab], shots: Path
) -> None:
    page = open_tab(browser, tabs, viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, server.base_url, "/officer", "officer")
    expect(page.locator("#shift")).to_contain_text("Winchester Cathedral Christmas Market")
    expect(page.locator("#shift-status")).to_contain_text("Team alpha-1")
    expect(page.locator("#route-map")).to_have_attribute("data-base", "land")
    expect(page.locator("#route-map .cg-marker")).to_have_count(3)  # base, venue, base
    expect(page.locator("#route-map path.route")).to_have_count(1)
    body = page.locator("main").inner_text()
    for callsign, venue in PATROLS.items():  # no other team, no other team's venue
        if callsign != "alpha-1":
            assert callsign not in body and VENUES[venue].name not in body
    # The API answers the page's cookie for their own team only.
    today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    other = page.request.get(f"{server.base_url}/api/v1/rosters/{today}/teams/bravo-2")
    assert other.status == 403
    page.goto(f"{server.base_url}/board")
    expect(page.locator("#refusal")).to_contain_text("control room")
    expect(page.locator("#own-page")).to_have_attribute("href", "/officer")
    page.goto(f"{server.base_url}/officer")
    check_page(page, "officer", shots)


def test_the_api_docs_work_offline(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    page = open_tab(browser, tabs)
    page.goto(f"{server.base_url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()  # the operations are drawn
    assert page.locator(".opblock").count() > 20
    expect(page.locator(".information-container")).to_contain_text("CrowdGuard")


def test_an_analyst_hovers_the_trend_chart_hides_a_series_and_downloads_its_csv(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    """Issue 15 item 3: the analyst page's charts are interactive (uPlot): drawn, a series
    hidden from its legend, and the table behind one downloads as CSV with the page's
    cookie. One timed response is logged first (entered by hand, as control would)."""
    call = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    engine = make_engine(f"sqlite:///{server.data_dir / 'crowdguard.sqlite3'}")
    with session_scope(make_sessionmaker(engine)) as session:
        entry = DeploymentCreate(
            incident="inc-chart", unit="arv-chart", opened_at=call, grade="immediate",
            authorised_at=call, authorised_by="insp-tfc", deployed_at=call,
            arrived_at=call + dt.timedelta(minutes=7), ended_at=call + dt.timedelta(minutes=30),
            from_patrol=False,
        )  # fmt: skip
        stats.record_deployment(session=session, data=entry, actor="test", now=call)
    engine.dispose()
    page = open_tab(browser, tabs)
    log_in(page, server.base_url, "/analyst", "planner")
    expect(page.locator("#trend-chart canvas")).to_have_count(1)
    expect(page.locator("#response-chart canvas")).to_have_count(1)
    expect(page.locator("#response-chart .u-legend")).to_contain_text("immediate (median minutes)")
    legend = page.locator("#trend-chart .u-legend .u-series", has_text="our operations").first
    expect(legend).to_be_visible()
    legend.click()
    expect(legend).to_have_class(re.compile(r"\bu-off\b"))
    link = page.locator("#csv-operations-by-year").get_attribute("href")
    answer = page.request.get(f"{server.base_url}{link}")
    assert answer.status == 200 and answer.text().startswith("year,comparable,")


@pytest.mark.parametrize(
    ("path", "username"),
    [
        ("/", None),
        ("/report", None),
        ("/login", None),
        ("/board", "controller"),
        ("/analyst", "planner"),
    ],
)
def test_every_page_passes_axe_wide_and_on_a_phone(
    server: ServedProcess, browser: Browser, tabs: list[Tab], shots: Path,
    path: str, username: str | None,
) -> None:  # fmt: skip
    page = open_tab(browser, tabs)
    if username is None:
        page.goto(f"{server.base_url}{path}")
    else:
        log_in(page, server.base_url, path, username)
        if path == "/board":
            expect(page.locator("#board")).to_have_attribute("data-live", "1")
    name = {"/": "home"}.get(path, path.strip("/"))
    check_page(page, name, shots)


# --- 5. a restart under an open board -------------------------------------------------------


def test_a_board_open_across_a_server_restart_shows_the_report_sent_to_the_new_server(
    browser: Browser, tabs: list[Tab], tmp_path: Path
) -> None:
    """Issue 12 item 13: SIGTERM ends the board's stream at once ('closing'); the page says
    it is disconnected, reconnects to the new server and reads its lists again."""
    data_dir = tmp_path / "data"
    seed_store(data_dir)
    first = ServedProcess(data_dir).start()
    try:
        board = open_board(open_tab(browser, tabs), first, "controller")
        started = time.monotonic()
        first.stop()
        stopped_in = time.monotonic() - started
        assert stopped_in < 10, f"SIGTERM to exit took {stopped_in:.1f} s with a board open"
        expect(board.locator("#board")).to_have_attribute("data-live", "0")
        expect(board.locator("#status")).to_contain_text("Disconnected")
        second = ServedProcess(data_dir)
        second.port, second.base_url = first.port, first.base_url  # the same address
        second.start()
        try:
            response = httpx.post(
                f"{second.base_url}/api/v1/reports",
                json={
                    "category": "weapons",
                    "observed_at": dt.datetime.now(dt.UTC).isoformat(),
                    "location": {"venue_id": "winchester-cathedral-market"},
                    "description": "A man showing a knife in his waistband by the carousel",
                },
                timeout=30,
            )
            assert response.status_code == 201, response.text
            reference = response.json()["reference"]
            expect(board.locator(f"#report-{reference}")).to_be_visible(timeout=30_000)
            expect(board.locator("#board")).to_have_attribute("data-live", "1")
            expect(board.locator("#status")).to_contain_text("Live")
        finally:
            second.stop()
    finally:
        first.stop()


# --- 6. the planner ----------------------------------------------------------------------------


def test_a_planner_starts_a_plan_watches_it_and_opens_a_day_with_routes(
    server: ServedProcess, browser: Browser, tabs: list[Tab], shots: Path
) -> None:
    page = open_tab(browser, tabs)
    log_in(page, server.base_url, "/planner", "planner")
    page.fill("#plan-days", "0")
    page.click("#plan-submit")
    expect(page.locator("#plan-error")).to_contain_text("Days to plan")
    second_day = demo_scenario().days[1]
    page.fill("#plan-start", second_day.isoformat())  # the period: from the second day ...
    page.fill("#plan-days", "1")  # ... one day of it
    page.click("#plan-submit")
    expect(page.locator("#plan-progress-box")).to_be_visible()
    page.wait_for_url(re.compile(r"/planner\?plan=\d+$"), timeout=240_000)
    expect(page.locator("#plan-status")).to_contain_text("done")
    expect(page.locator("#day-title")).to_contain_text(f"{second_day:%a %d %b %Y}")
    expect(page.locator("#season-map")).to_have_attribute("data-base", "land")
    expect(page.locator("#heatmap tbody tr").first).to_be_visible()
    expect(page.locator("#timeline .timeline-row").first).to_be_visible()
    expect(page.locator("#season-map path.route").first).to_be_attached()
    check_page(page, "planner", shots)
    # The plan's report, drawn when the job finished, and its rosters, as files to keep.
    plan_id = page.url.rsplit("=", 1)[1]
    report = page.request.get(f"{server.base_url}/api/v1/plans/{plan_id}/report")
    assert (
        report.status == 200 and "default-src 'none'" in report.headers["content-security-policy"]
    )
    assert (
        "<h1>Armed patrol plan: " in report.text() and "Coverage by venue and hour" in report.text()
    )
    link = page.locator(f"#rosters-{plan_id}").get_attribute("href")
    rosters = page.request.get(f"{server.base_url}{link}")
    assert rosters.status == 200 and rosters.json()["plan_id"] == int(plan_id)


def test_a_planner_prices_a_pin_then_applies_it_with_a_floor_and_sees_its_cost(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    """Issue 14: overrides "with their cost and predictability warning before they are
    applied": the page prices the pin, and only then offers to start a plan with it."""
    page = open_tab(browser, tabs)
    log_in(page, server.base_url, "/planner", "planner")
    expect(page.locator("#whatif-apply")).to_have_count(0)  # nothing to apply before a price
    page.fill("#plan-days", "1")  # typed before pricing: kept, the what-if is priced in place
    first_day = demo_scenario().days[0].isoformat()
    page.check("#whatif-pin")
    page.select_option("#whatif-team", "alpha-1")
    page.select_option("#whatif-place", "winchester-cathedral-market")
    page.fill("#whatif-at", "")
    page.click("#whatif-submit")  # htmx: a field's error comes back in place
    expect(page.locator("#whatif-at-error")).to_contain_text("local date and time")
    page.fill("#whatif-at", f"{first_day}T14:00")
    page.click("#whatif-submit")
    expect(page.locator("#whatif-presence")).to_have_text("100%", timeout=120_000)
    expect(page.locator("#whatif-result")).to_contain_text("Anyone who learns of the pin")
    expect(page.locator("#plan-days")).to_have_value("1")
    page.click("#plan-floors summary")
    page.fill("#plan-visibility-floor", "-5")
    page.click("#whatif-apply")
    expect(page.locator("#whatif-apply-error")).to_contain_text("Visibility floor")
    page.fill("#plan-visibility-floor", "100")
    page.click("#plan-teams summary")
    page.uncheck("#plan-team-bravo-4")  # on leave
    page.click("#whatif-apply")
    expect(page.locator("#plan-progress-box")).to_be_visible()
    page.wait_for_url(re.compile(r"/planner\?plan=\d+$"), timeout=240_000)
    expect(page.locator("#plan-status")).to_contain_text("done")
    options = page.locator("#plan-options")
    expect(options.locator(".plan-override")).to_contain_text(
        "Pinned: alpha-1 at Winchester Cathedral Christmas Market"
    )
    expect(options.locator(".plan-override")).to_contain_text("→ 100%")
    expect(options.locator(".plan-floor")).to_contain_text("Visibility floor 100 shoppers a day")
    plan = page.request.get(f"{server.base_url}/api/v1/plans/{page.url.rsplit('=', 1)[1]}").json()
    teams = [t["callsign"] for t in plan["scenario_snapshot"]["teams"]]
    assert "bravo-4" not in teams and len(teams) == len(demo_scenario().teams) - 1


# --- 7. the administrator ----------------------------------------------------------------------


def test_an_admin_disables_an_account_which_is_then_logged_out(
    server: ServedProcess, browser: Browser, tabs: list[Tab], shots: Path
) -> None:
    officer = open_tab(browser, tabs, viewport=PHONE)
    log_in(officer, server.base_url, "/officer", "officer2")
    admin = open_tab(browser, tabs)
    log_in(admin, server.base_url, "/admin", "admin")
    check_page(admin, "admin", shots)
    admin.click("#disable-officer2")
    expect(admin.locator("#admin-done")).to_contain_text("officer2 disabled")
    expect(admin.locator("#account-officer2")).to_have_attribute("data-active", "no")
    officer.reload()
    expect(officer.locator("#login")).to_be_visible()  # signed out
    admin.click("#verify")
    expect(admin.locator("#chain-result")).to_contain_text("Intact")


# --- 8. the event organiser -----------------------------------------------------------------------


def test_an_organiser_sends_a_plan_fixes_an_error_reads_the_letter_and_revises(
    server: ServedProcess, browser: Browser, tabs: list[Tab], shots: Path
) -> None:
    page = open_tab(browser, tabs)
    log_in(page, server.base_url, "/organiser", "organiser")
    opens = dt.date.today() + dt.timedelta(days=30)
    page.fill("#event-name", "Riverside Winter Fair")
    page.select_option("#event-venue", "winchester-cathedral-market")
    page.fill("#event-starts", f"{opens.isoformat()}T10:00")
    page.fill("#event-ends", f"{(opens + dt.timedelta(days=5)).isoformat()}T18:00")
    page.fill("#event-attendance", "2500")
    with page.expect_navigation():
        page.click("#register-submit")
    expect(page.locator("#organiser-done")).to_contain_text("Event registered")
    with page.expect_navigation():
        page.click("#write-plan")
    expect(page.locator("#f-event-name")).to_have_value("Riverside Winter Fair")  # from the event
    page.fill("#f-event-organiser", "Riverside Events Ltd")
    page.click("#g-occupancy > summary")
    page.fill("#f-occupancy-maximum", "about 2,500")
    with page.expect_navigation():
        page.click("#plan-send")
    expect(page.locator("#error-summary")).to_contain_text("Occupancy: Maximum")
    expect(page.locator("#f-occupancy-maximum-error")).to_contain_text("whole number")
    check_page(page, "organiser-plan", shots)
    page.fill("#f-occupancy-maximum", "2500")
    with page.expect_navigation():
        page.click("#plan-send")
    expect(page.locator("#plan-state")).to_contain_text("waiting for the police")
    expect(page.locator("#finding-P1")).to_contain_text("Evacuation")

    # The police review it and issue advice; the organiser reads the letter on a phone.
    plan_id = int(page.locator("#letter-html").get_attribute("href").split("/")[4])  # type: ignore[union-attr]
    planner = server.token("planner", PASSWORD)
    for status in ("under_review", "advice_issued"):
        moved = httpx.post(
            f"{server.base_url}/api/v1/security-plans/{plan_id}/status",
            json={"status": status}, headers=planner, timeout=30,
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
    page.reload()
    expect(page.locator("#revise-plan")).to_be_visible()
    check_page(page, "organiser", shots)
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        page.click("#letter-html")
    expect(page.locator("h1")).to_contain_text("Riverside Winter Fair")
    assert overflow_px(page) <= 1
    page.go_back()
    page.set_viewport_size({"width": 1280, "height": 1000})

    # A revision with an evacuation procedure resolves P1.
    with page.expect_navigation():
        page.click("#revise-plan")
    expect(page.locator("#f-event-organiser")).to_have_value("Riverside Events Ltd")
    page.click("#g-procedures > summary")
    page.fill("#f-procedures-evacuation-routes", "North gate to Great Minster Street\nSouth gate")
    page.check("#f-procedures-evacuation-modes-partial")
    page.check("#f-procedures-evacuation-modes-full")
    page.fill("#f-procedures-evacuation-disabled-people", "Stewards at the accessible gates")
    page.fill("#f-procedures-evacuation-dispersal", "Along three streets")
    page.fill("#f-procedures-evacuation-emergency-access", "Via Colebrook Street")
    page.fill("#f-procedures-evacuation-map", "Annex A")
    with page.expect_navigation():
        page.click("#plan-send")
    expect(page.locator("#plan-title")).to_contain_text("version 2")
    expect(page.locator("#version-2 .resolved")).to_contain_text("P1")
    expect(page.locator("#finding-P1")).to_have_count(0)
    body = page.locator("main").inner_text()
    for callsign in PATROLS:  # nothing operational
        assert callsign not in body


# --- 9. the board's P1 alert and off-shift units ------------------------------------------------

AWAY = """
window.__away = false;
window.__beeps = 0;
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return window.__away; } });
Document.prototype.hasFocus = function () { return !window.__away; };
if (window.AudioContext) {
  const make = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__beeps += 1; return make.call(this); };
}
"""
"""The operator "works elsewhere": another window has the focus (headless chromium gives
every page the focus, so the test says when it has not), and each tone is counted."""


def roster_earlier_today(server: ServedProcess, callsign: str) -> None:
    """Give ``callsign`` (no roster so far) a patrol that ended before now, today, in the
    plan the board reads: rostered today but not now, so off shift."""
    london = ZoneInfo("Europe/London")
    now = dt.datetime.now(london)
    start = now.replace(hour=0, minute=0) if now.hour >= 1 else now.replace(hour=23, minute=0)
    end = start + dt.timedelta(minutes=30)
    base = {t.callsign: t.base for t in demo_scenario().teams}[callsign]
    engine = make_engine(f"sqlite:///{server.data_dir / 'crowdguard.sqlite3'}")
    segment = {"kind": "patrol", "venue": "winchester-high-street",
               "start": start.strftime("%Y-%m-%dT%H:%M:00"),
               "end": end.strftime("%Y-%m-%dT%H:%M:00")}  # fmt: skip
    with session_scope(make_sessionmaker(engine)) as session:
        store_rosters(
            session=session,
            plan_id=1,
            rosters={now.date().isoformat(): {"teams": [
                {"team": callsign, "base": base, "segments": [segment]}]}},
        )  # fmt: skip
    engine.dispose()


def test_a_p1_while_the_operator_works_elsewhere_alerts_and_off_shift_units_say_so(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    roster_earlier_today(server, "alpha-3")
    tab = Tab(browser)
    tabs.append(tab)
    tab.context.add_init_script(AWAY)
    board = open_board(tab.page, server, "controller")
    # Units with no roster now are "Off shift", not the green "Available" of a unit on duty.
    off = board.locator("#unit-alpha-3")
    expect(off).to_have_attribute("data-shift", "off")
    expect(off).to_contain_text("Off shift")
    expect(off).not_to_contain_text("Available")
    on = board.locator("#unit-alpha-1")  # on patrol all day
    expect(on).to_have_attribute("data-shift", "on")
    expect(on).to_contain_text("Available")
    title = board.title()
    board.click("#sound")  # sound is allowed only after a gesture
    expect(board.locator("#sound")).to_have_attribute("aria-pressed", "true")

    board.evaluate("window.__away = true")
    response = httpx.post(
        f"{server.base_url}/api/v1/reports",
        json={"category": "weapons", "observed_at": dt.datetime.now(dt.UTC).isoformat(),
              "location": {"venue_id": "southampton-westquay"},
              "description": "A man waving a large knife outside the ice rink",
              "weapons_seen": True},
        timeout=30,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    banner = board.locator("#p1-alert")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_have_attribute("data-reference", reference)
    expect(board.locator("#p1-text")).to_contain_text(reference)
    expect(board.locator("#p1-text")).to_contain_text("WestQuay")
    board.wait_for_function("document.title.startsWith('(1) P1')")
    board.wait_for_function("window.__beeps >= 2")  # two tones

    # Back at the board: the title is restored and the alert opens the report.
    board.evaluate("window.__away = false; window.dispatchEvent(new Event('focus'))")
    board.wait_for_function(f"document.title === {title!r}")
    board.click("#p1-open")
    expect(banner).to_be_hidden()
    expect(board.locator("#selected-title")).to_contain_text(reference)
