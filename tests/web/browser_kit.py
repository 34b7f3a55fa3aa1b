"""What every browser test shares: Debian's chromium (never ``playwright install``), tabs
that record script errors and any request leaving 127.0.0.1 (which they refuse), logging in
through the page's form, axe-core (vendored from npm by ``scripts/vendor-web``) and a
check that nothing is wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect

CHROMIUM = Path("/usr/bin/chromium")
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
TIMEOUT_MS = 20_000
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDE = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}


class Tab:
    """A page in its own browser context that records script errors and refuses (and
    records) every request to anywhere but 127.0.0.1."""

    def __init__(self, browser: Browser, **options: Any) -> None:
        viewport = options.pop("viewport", {"width": 1280, "height": 1000})
        self.context = browser.new_context(viewport=viewport, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.outside: list[str] = []
        self.context.route("**/*", self._only_here)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _only_here(self, route: Route, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(request.url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        # Refused requests (401, 403, 422) are logged by chromium itself; expected here.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()


def log_in(page: Page, base_url: str, path: str, username: str) -> Page:
    """Open ``path`` anonymously (its login form), log in as ``username``, land on it."""
    page.goto(f"{base_url}{path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    expect(page.locator("#whoami")).to_contain_text(username)
    return page


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Critical and serious axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol: the pages' CSP refuses inline scripts, rightly.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ['violations']});
            return result.violations
              .filter(v => v.impact === 'critical' || v.impact === 'serious')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return found


def overflow_px(page: Page) -> int:
    """How far the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def check_page(page: Page, name: str, shots: Path | None = None) -> None:
    """axe at 1400 and 390 px wide (zero critical or serious), no sideways scrolling on a
    phone; screenshots of both widths to ``shots`` when given."""
    problems = []
    for label, size in (("wide", WIDE), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # let the map and the layout settle
        violations = axe_violations(page)
        if violations:
            problems.append((label, violations))
        if label == "phone":
            assert overflow_px(page) <= 1, f"{name}: {overflow_px(page)} px wider than a phone"
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=label == "wide")
    page.set_viewport_size(WIDE)
    assert not problems, f"{name}: axe found {problems}"
