"""Figure (issue 11 s.2): transit share and protection of the demo plan with and without the
operational limits, in the same run; writes ``docs/benchmarks/patrols-limits.md``.

The whole demo season is planned on the patrol graph without limits (the baseline: the
demo's limits lifted) and with all three (the demo's own, decision 0009: transit at most a
third of a shift, a home sector of 20 km around the base on its own side of the water plus
the outliers a base lists, visits of at least an hour); the first week (``WEEK`` days) also
with each limit alone. For each plan: the expected harm against a best-informed attacker (people), what the
limits cost against the plan without them (``certificate.operational_limits``, solved in
the same call), the share of each team-shift spent in transit and on patrol over ``DRAWS``
roster draws per day (every draw is a roster an officer could be handed: the cap holds on
each, not on average), how much of the island teams' patrol time is on the mainland, and
Newport's mean cover (the force's highest-risk place, on the island).

A second table times one demo day (the busiest of the first week) through the planner,
``RUNS`` times each: without limits, with them, and with them priced (what ``crowdguard
plan`` does: the day solved again without them).

Run: ``python bench/patrol_limits.py`` then ``python bench/assemble_docs.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from crowdguard.patrols.season_routes import DayOptions
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.risk import build_targets
from crowdguard.scenario import Scenario, demo_scenario
from patrol_day import RUNS, timed  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "patrols-limits.md"
WEEK = 7
DRAWS = 10
NEWPORT = "newport-st-james-square"


def configs(scenario: Scenario) -> list[tuple[str, int | None, dict[str, float]]]:
    """(label, days: None for the whole season, limits) of every plan the table shows."""
    demo = scenario.patrol.limits()
    return [
        ("whole season, no limits (baseline)", None, {}),
        ("whole season, all three (the demo's, decision 0009)", None, demo),
        (f"first {WEEK} days, no limits (baseline)", WEEK, {}),
        (f"first {WEEK} days, transit at most {demo['max_transit_share']:g} of a shift", WEEK,
         {"max_transit_share": demo["max_transit_share"]}),
        (f"first {WEEK} days, home sector {demo['home_radius_km']:g} km", WEEK,
         {"home_radius_km": demo["home_radius_km"]}),
        (f"first {WEEK} days, visits of at least {demo['min_stay_minutes']:g} min", WEEK,
         {"min_stay_minutes": demo["min_stay_minutes"]}),
        (f"first {WEEK} days, all three", WEEK, demo),
    ]  # fmt: skip


def limited(scenario: Scenario, limits: dict[str, float]) -> Scenario:
    data = scenario.without_limits().model_dump(mode="json")
    data["patrol"].update(limits)
    return Scenario.model_validate(data)


def minutes(segment: dict[str, Any]) -> float:
    start = dt.datetime.fromisoformat(segment["start"])
    return (dt.datetime.fromisoformat(segment["end"]) - start).total_seconds() / 60


def shares(plan: Any, scenario: Scenario) -> tuple[np.ndarray, np.ndarray, float]:
    """Per team-day of every draw: the share of its rostered time in transit, on patrol; and
    the share of the island teams' patrol minutes spent on the mainland."""
    island_base = {b.id for b in scenario.bases if b.island}
    island_venue = {v.id for v in scenario.venues if v.island}
    transit, patrol = [], []
    island_patrol = island_on_mainland = 0.0
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
                if team["base"] in island_base:
                    island_patrol += by_kind["patrol"]
                    island_on_mainland += sum(
                        minutes(s)
                        for s in team["segments"]
                        if s["kind"] == "patrol" and s["venue"] not in island_venue
                    )
    mainland = island_on_mainland / island_patrol if island_patrol else 0.0
    return np.array(transit), np.array(patrol), mainland


def day_rows(scenario: Scenario) -> tuple[str, list[str]]:
    """One demo day through the planner, without limits, with them, and with them priced."""
    day = max(scenario.days[:7], key=lambda d: len(build_targets(scenario, days=[d])))
    inputs = {
        "without limits": (scenario.without_limits(), True),
        "with the demo's limits, not priced": (scenario, False),
        "with the demo's limits, priced (as `crowdguard plan`)": (scenario, True),
    }
    medians: dict[str, float] = {}
    rows = []
    for label, (sc, price) in inputs.items():
        options = PlanOptions(
            seed=1, days=[day], workers=1, what_ifs=False, routes=DayOptions(price_limits=price)
        )
        plan_inputs = PlanInputs.read(sc)
        times = timed(lambda: make_plan(plan_inputs, options))  # noqa: B023
        medians[label] = statistics.median(times)
        ratio = medians[label] / medians["without limits"]
        rows.append(
            f"| {label} | {medians[label]:.2f} (runs {', '.join(f'{t:.2f}' for t in times)}) "
            f"| {ratio:.2f}x |"
        )
        print(rows[-1], flush=True)
    return day.isoformat(), rows


def main() -> None:
    loads = [os.getloadavg()[0]]
    scenario = demo_scenario()
    rows = []
    for label, days, limits in configs(scenario):
        started = time.perf_counter()
        options = PlanOptions(seed=1, days=days, what_ifs=False)
        plan = make_plan(PlanInputs.read(limited(scenario, limits)), options)
        seconds = time.perf_counter() - started
        loads.append(os.getloadavg()[0])
        transit, patrol, mainland = shares(plan, scenario)
        newport = [i for i, v in enumerate(plan.targets.venue) if v == NEWPORT]
        report = plan.certificate.get("operational_limits")
        cost = "-" if report is None else f"{report['cost']:.2f}"
        without = "-" if report is None else f"{report['harm_without_limits']:.1f}"
        rows.append(
            f"| {label} | {-plan.defender_utility:.1f} | {without} | {cost} | "
            f"{transit.mean():.0%} | {np.percentile(transit, 90):.0%} | {transit.max():.0%} | "
            f"{patrol.mean():.0%} | {mainland:.0%} | "
            f"{float(np.mean(plan.coverage[newport])):.2f} | {seconds:.1f} |"
        )
        print(rows[-1], flush=True)
    day, timings = day_rows(scenario)
    loads.append(os.getloadavg()[0])
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    text = "\n".join(
        [
            "# Benchmarks: operational limits (issue 11)",
            "",
            f"Measured on {dt.date.today():%Y-%m-%d} ({machine}), load average "
            f"{min(loads):.1f} to {max(loads):.1f} during the run (the box is shared); command "
            f"`python bench/patrol_limits.py`. The demo on the patrol graph, seed 1, "
            f"each plan in the same run; shares over {DRAWS} roster draws per day of every "
            "team-shift (transit includes the drive out and back). Harm: expected people "
            "harmed against a best-informed attacker; 'without' and 'cost': the same days "
            "solved in the same call with the limits lifted (the baseline row is that plan). "
            "Seconds include pricing the limits (each day solved twice).",
            "",
            "| limits | harm | harm without the limits | cost | mean transit share | "
            "P90 transit share | largest transit share | mean patrol share | island teams' "
            "patrol on the mainland | Newport mean cover | seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Reading it: the transit cap holds on every drawn roster (the largest share is "
            "at most the cap), at the cost in harm shown; the home sector keeps island teams "
            "on the island and mainland teams near their base; a minimum stay makes briefings "
            "simpler (fewer, longer visits).",
            "",
            f"One demo day ({day}, the busiest of the first week) through the planner "
            f"(`make_plan`, one worker, no what-ifs), median of {RUNS}, same run:",
            "",
            f"| day solved | median of {RUNS} (s) | against without limits |",
            "|---|---|---|",
            *timings,
            "",
            "The shared box's load moved during the run: read the runs' ranges, not only the "
            "medians.",
            "",
        ]
    )
    OUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
