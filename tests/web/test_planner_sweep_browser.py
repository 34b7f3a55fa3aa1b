"""The planner's page, in a real browser, says where a served plan's deployment sits on a real
sweep of its scenario (issue 16): a sweep of the demo is run into the server's
``CROWDGUARD_SWEEPS`` folder, ``crowdguard serve`` starts on it, a planner starts a one-day
plan from the page, and the finished plan's page shows the sentence.

With ``CROWDGUARD_SCREENSHOTS=1`` the page's screenshot refreshes
``docs/screenshots/planner-sweep-wide.png`` (``docs/howto/run-a-sweep.md``), as the other
pages' pictures are made (``tests/web/test_browser.py``). Skipped (not failed) only when
Debian's chromium is absent; never ``playwright install``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True
    )

import argon2  # noqa: E402
from argon2.profiles import CHEAPEST  # noqa: E402
from browser_kit import CHROMIUM_ARGS, PASSWORD, Tab, check_page, log_in  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from served import ServedProcess  # noqa: E402

from crowdguard.scenario.load import demo_scenario_and_plans  # noqa: E402
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade  # noqa: E402
from crowdguard.store.demo import seed_demo  # noqa: E402
from crowdguard.sweep import SerialBackend, SweepOptions, run_sweep  # noqa: E402
from crowdguard.users import service as users  # noqa: E402
from crowdguard.users.models import Role, UserCreate  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _seed(data_dir: Path) -> None:
    """The demo and a planner account, before the server starts."""
    data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{data_dir / 'crowdguard.sqlite3'}")
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", argon2.PasswordHasher.from_parameters(CHEAPEST))
        with session_scope(make_sessionmaker(engine)) as session:
            seed_demo(session=session, now=now)
            users.create_user(
                session=session,
                data=UserCreate(username="planner", password=PASSWORD, role=Role.planner),
                actor="test",
                now=now,
            )
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """``crowdguard serve`` with a sweep of the demo (7 to 10 teams at the demo's threat
    level, free placement over one day, 8 seeds) in its sweeps folder."""
    root = tmp_path_factory.mktemp("swept")
    demo, documents = demo_scenario_and_plans()
    run_sweep(demo, teams=[6, 7, 8, 9, 10], threats=[demo.threat_level],
              seeds=range(8), options=SweepOptions(mode="free", days=1),
              out=root / "sweeps" / "demo-day", backend=SerialBackend(),
              security_plans=documents, resamples=50)  # fmt: skip
    _seed(root / "data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROWDGUARD_SWEEPS", str(root / "sweeps"))
        served = ServedProcess(root / "data").start()
    yield served
    served.stop()


def test_the_planner_page_places_a_served_plan_on_the_sweep(
    server: ServedProcess, tmp_path: Path
) -> None:
    docs = os.environ.get("CROWDGUARD_SCREENSHOTS") == "1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = Tab(browser)
        try:
            page = tab.page
            log_in(page, server.base_url, "/planner", "planner")
            page.fill("#plan-days", "1")
            page.click("#plan-submit")
            page.wait_for_url(re.compile(r"/planner\?plan=\d+$"), timeout=240_000)
            expect(page.locator("#plan-status")).to_contain_text("done")
            sentence = page.locator("#on-sweep")
            expect(sentence).to_contain_text("On the what-if sweep of this scenario")
            expect(sentence).to_contain_text("8 teams at SUBSTANTIAL")
            expect(sentence).to_contain_text("the proportionate range")
            check_page(page, "planner-sweep", tmp_path / "shots")
            if docs:  # the page as a planner sees it, the sentence in view
                page.set_viewport_size({"width": 1400, "height": 900})
                sentence.evaluate("e => e.scrollIntoView({block: 'center'})")
                folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                page.screenshot(path=str(folder / "planner-sweep-wide.png"))
            assert tab.errors == [] and tab.outside == []
        finally:
            tab.close()
            browser.close()
