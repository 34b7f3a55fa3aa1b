"""The pages in a real browser: Debian's chromium driven by Playwright against a real
``crowdguard serve`` subprocess on a free loopback port, with a temporary data folder
(seeded with the Hampshire demo on first start).

1. A member of the public files a report through the form (with JavaScript: the map and
   the category questions; without it: plain form posts) and gets a reference.
2. A control-room user logged in on the board sees that report arrive live, without a
   reload; recommends and assigns a unit from the keyboard; and sees the unit's state
   change, including a change made elsewhere (pushed by the server).

Assertions are on the DOM, never on pixels; screenshots go to the test's tmp folder.
Skipped (not failed) only when /usr/bin/chromium is absent. Never ``playwright install``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True
    )

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from served import ServedProcess  # noqa: E402

from crowdguard.scenario.load import demo_scenario  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Without the background-networking flags chromium's own connections are refused here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
REFERENCE = re.compile(r"CG-[A-Z0-9]{4}-[A-Z0-9]{4}")
TIMEOUT_MS = 20_000
VENUES = {v.id: v for v in demo_scenario().venues}


def add_user(data_dir: Path, name: str, role: str) -> None:
    """``crowdguard user add NAME --role ROLE --password-stdin --data-dir DIR``."""
    subprocess.run(
        [sys.executable, "-m", "crowdguard", "user", "add", name, "--role", role,
         "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n", capture_output=True, text=True, check=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """``crowdguard serve`` on a fresh data folder, with a control and a planner account."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    add_user(data_dir, "controller", "control")
    add_user(data_dir, "planner", "planner")
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


class Tab:
    """A page in its own browser context that records script errors."""

    def __init__(self, browser: Browser, **options: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000}, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # Refused requests (401, 422) are logged by chromium itself; they are expected here.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tabs(browser: Browser) -> Iterator[list[Tab]]:
    """Open tabs (closed after the test); each must end without a script error."""
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.close()
    assert [e for tab in opened for e in tab.errors] == []


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
    """Fill the form as a member of the public would, with the venue chosen on the map."""
    page.goto(f"{server.base_url}/report")
    expect(page.locator("#emergency-banner")).to_have_text("In an emergency call 999")
    page.select_option("#category", "hostile_reconnaissance")
    page.fill("#description", description)
    dot = page.locator(f"#venue-map g.venue[data-venue='{venue}']")
    dot.focus()
    page.keyboard.press("Enter")  # the map's venue dots work from the keyboard
    expect(page.locator("#venue_id")).to_have_value(venue)
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

    # A click on the map beside a venue marks a point where the server's projection puts it.
    venue = VENUES["southampton-westquay"]
    svg = page.locator("#venue-map")
    svg.scroll_into_view_if_needed()
    dot = page.locator(f"#venue-map g.venue[data-venue='{venue.id}'] circle").bounding_box()
    frame = svg.bounding_box()
    assert dot is not None and frame is not None
    centre_x = dot["x"] + dot["width"] / 2 - frame["x"]
    centre_y = dot["y"] + dot["height"] / 2 - frame["y"]
    svg.click(position={"x": centre_x, "y": centre_y + 40})  # 40 px south of the dot
    expect(page.locator("#map-point")).to_be_visible()
    lat = float(page.input_value("#location_lat"))
    lon = float(page.input_value("#location_lon"))
    assert lon == pytest.approx(venue.lon, abs=0.01)
    assert venue.lat - 0.2 < lat < venue.lat - 0.005
    assert float(page.input_value("#location_precision_m")) > 0
    page.click("#clear-point")
    assert page.input_value("#location_lat") == ""

    # Choose the market from the map with the keyboard, answer HOT, send.
    market = "winchester-cathedral-market"
    page.locator(f"#venue-map g.venue[data-venue='{market}']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#venue_id")).to_have_value(market)
    expect(page.locator(f"#venue-map g.venue[data-venue='{market}']")).to_have_class(
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


def test_the_board_shows_a_new_report_live_and_dispatches_a_unit(
    server: ServedProcess, browser: Browser, tabs: list[Tab], tmp_path: Path
) -> None:
    board = open_tab(browser, tabs)
    board.goto(f"{server.base_url}/board")
    expect(board.locator("#board")).to_be_hidden()
    board.fill("#username", "controller")
    board.fill("#password", PASSWORD)
    board.click("#login button[type=submit]")
    expect(board.locator("#board")).to_have_attribute("data-live", "1")
    expect(board.locator("#units tbody tr")).to_have_count(len(demo_scenario().teams))
    board.evaluate("window.notReloaded = true")

    # A member of the public reports in another browser.
    public = open_tab(browser, tabs)
    reference = file_report(
        public, server, "portsmouth-gunwharf-quays", "Two men filming the barriers and exits."
    )

    row = board.locator(f"#report-{reference}")
    expect(row).to_be_visible()
    assert board.evaluate("window.notReloaded") is True  # pushed, not reloaded
    expect(board.locator("#reports tbody tr").first).to_have_id(f"report-{reference}")
    expect(row).to_contain_text("Hostile reconnaissance")
    expect(row).to_contain_text("Gunwharf")
    expect(board.locator(f"path.report[data-reference='{reference}']")).to_have_count(1)

    # Recommend, then assign the fastest unit from the keyboard (focus moves to it).
    row.get_by_role("button", name=f"Recommend a unit for {reference}").click()
    first = board.locator("#recommendations button.assign").first
    expect(first).to_be_focused()
    callsign = first.inner_text().removeprefix("Assign ")
    unit = board.locator(f"#unit-{callsign}")
    expect(unit).to_have_attribute("data-state", "available")
    board.keyboard.press("Enter")
    expect(unit).to_have_attribute("data-state", "en_route")
    expect(unit).to_contain_text(reference)
    expect(row).to_contain_text("assigned")
    expect(board.locator("#dispatch-message")).to_contain_text(f"{callsign} assigned")
    expect(board.locator("line.link")).to_have_count(1)
    board.screenshot(path=str(tmp_path / "board-assigned.png"), full_page=True)

    # A change made elsewhere (another controller, through the API) is pushed too.
    response = httpx.post(
        f"{server.base_url}/api/v1/dispatch/units/{callsign}/release",
        headers=control_headers(server),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    expect(unit).to_have_attribute("data-state", "available")
    assert board.evaluate("window.notReloaded") is True

    # The grade filter (the legend) hides the report's row and its map mark.
    grade = stored_report(server, reference)["grade"]
    board.uncheck(f"#show-{grade}")
    expect(row).to_be_hidden()
    expect(board.locator(f"path.report[data-reference='{reference}']")).to_have_count(0)
    board.check(f"#show-{grade}")
    expect(row).to_be_visible()

    board.click("#logout")
    expect(board.locator("#login-panel")).to_be_visible()
    expect(board.locator("#reports tbody tr")).to_have_count(0)
    expect(board.locator("#board-map path.base, #board-map path.report")).to_have_count(0)
    assert board.evaluate("sessionStorage.getItem('crowdguard-token')") is None


def test_the_board_refuses_accounts_outside_the_control_room(
    server: ServedProcess, browser: Browser, tabs: list[Tab]
) -> None:
    board = open_tab(browser, tabs)
    board.goto(f"{server.base_url}/board")
    board.fill("#username", "planner")
    board.fill("#password", PASSWORD)
    board.click("#login button[type=submit]")
    expect(board.locator("#login-message")).to_contain_text("control-room and admin accounts")
    expect(board.locator("#board")).to_be_hidden()
    assert board.evaluate("sessionStorage.getItem('crowdguard-token')") is None

    board.fill("#username", "controller")
    board.fill("#password", "not the password")
    board.click("#login button[type=submit]")
    expect(board.locator("#login-message")).to_contain_text("Log-in refused")
