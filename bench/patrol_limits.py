"""Figure (issue 11 s.2): transit share and protection of the demo plan with and without the
operational limits, in the same run; writes ``docs/benchmarks/patrols-limits.md``.

The demo season's first week (``DAYS``) is planned on the patrol graph five ways: without
limits (the baseline), with each limit alone and with all three (the defaults proposed for
the demo: transit at most a third of a shift, a home sector of 20 km around the base on
its own side of the water, visits of at least an hour). For each plan: the expected harm
against a best-informed attacker (people), what the limits cost against the plan without
them (``certificate.operational_limits``, solved in the same call), and the share of each
team-shift spent in transit and on patrol over ``DRAWS`` roster draws per day (every draw
is a roster an officer could be handed: the cap holds on each, not on average).

Run: ``python bench/patrol_limits.py`` then ``python bench/assemble_docs.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.scenario import Scenario, demo_scenario

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "patrols-limits.md"
DAYS = 7
DRAWS = 20
DEMO_LIMITS: dict[str, float] = {
    "max_transit_share": 1 / 3,
    "home_radius_km": 20.0,
    "min_stay_minutes": 60.0,
}
CONFIGS: list[tuple[str, dict[str, float]]] = [
    ("no limits (baseline)", {}),
    ("transit at most 1/3 of a shift", {"max_transit_share": 1 / 3}),
    ("home sector 20 km", {"home_radius_km": 20.0}),
    ("visits of at least 60 min", {"min_stay_minutes": 60.0}),
    ("all three (proposed demo defaults)", DEMO_LIMITS),
]


def limited(scenario: Scenario, limits: dict[str, float]) -> Scenario:
    data = scenario.model_dump(mode="json")
    data["patrol"].update(limits)
    return Scenario.model_validate(data)


def minutes(segment: dict[str, Any]) -> float:
    start = dt.datetime.fromisoformat(segment["start"])
    return (dt.datetime.fromisoformat(segment["end"]) - start).total_seconds() / 60


def shares(plan: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per team-day of every draw: the share of its rostered time in transit, on patrol."""
    transit, patrol = [], []
    for day in plan.day_plans.values():
        for k in range(DRAWS):
            for team in day.draw(random.Random(k)).document()["teams"]:
                total = sum(minutes(s) for s in team["segments"])
                if total <= 0:
                    continue
                by_kind = {
                    kind: sum(minutes(s) for s in team["segments"] if s["kind"] == kind)
                    for kind in ("transit", "patrol")
                }
                transit.append(by_kind["transit"] / total)
                patrol.append(by_kind["patrol"] / total)
    return np.array(transit), np.array(patrol)


def main() -> None:
    load = os.getloadavg()[0]
    scenario = demo_scenario()
    rows = []
    for label, limits in CONFIGS:
        started = time.perf_counter()
        options = PlanOptions(seed=1, days=DAYS, what_ifs=False)
        plan = make_plan(PlanInputs.read(limited(scenario, limits)), options)
        seconds = time.perf_counter() - started
        transit, patrol = shares(plan)
        report = plan.certificate.get("operational_limits")
        cost = "-" if report is None else f"{report['cost']:.2f}"
        without = "-" if report is None else f"{report['harm_without_limits']:.1f}"
        rows.append(
            f"| {label} | {-plan.defender_utility:.1f} | {without} | {cost} | "
            f"{transit.mean():.0%} | {np.percentile(transit, 90):.0%} | {transit.max():.0%} | "
            f"{patrol.mean():.0%} | {seconds:.1f} |"
        )
        print(rows[-1], flush=True)
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    text = "\n".join(
        [
            "# Benchmarks: operational limits (issue 11)",
            "",
            f"Measured on {dt.date.today():%Y-%m-%d} ({machine}), load average {load:.1f} at "
            f"the start (the box is shared); command `python bench/patrol_limits.py`. The "
            f"demo season's first {DAYS} days on the patrol graph, seed 1, each plan in the "
            f"same run; shares over {DRAWS} roster draws per day of every team-shift "
            "(transit includes the drive out and back). Harm: expected people harmed "
            "against a best-informed attacker; 'without' and 'cost': the same days solved "
            "in the same call with the limits lifted (the baseline row is that plan).",
            "",
            "| limits | harm | harm without the limits | cost | mean transit share | "
            "P90 transit share | largest transit share | mean patrol share | seconds |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Reading it: the transit cap holds on every drawn roster (the largest share is "
            "at most a third), at the cost in harm shown; the home sector keeps island "
            "teams on the island and mainland teams near their base; a minimum stay makes "
            "briefings simpler (fewer, longer visits).",
            "",
        ]
    )
    OUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
