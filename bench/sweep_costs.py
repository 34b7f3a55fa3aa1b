"""Figures (issue 16 section 3): the per-task costs a sweep's time and cluster size follow from.

``docs/scaling.md`` estimates a national sweep from two costs per task, measured here on
the demo (18 venues, 37 days) with the sweep's own task functions
(:func:`~crowdguard.sweep.solve_point`, :func:`~crowdguard.sweep.simulate_seed`):

* a **solve** per grid point (the season's plan at that deployment and threat level);
* a **seed** per grid point and seed (one season of rosters drawn and simulated).

Both are given as CPU seconds (``time.process_time``: what a dedicated core would spend,
little affected by other work on this shared box) and wall seconds, at 8, 20 and 40 teams,
for routes (walkable routes, the planner's default) over the first 7 days (routes mode
solves each day apart, so a season costs about 37/7 times as much) and for free placement
over the whole season and over the first 7 days (the grid of ``bench/sweep_dask.py``, whose
wall time on 2 workers checks the estimate). Median of 3 seeds per point; one solve per point.

Run: ``python bench/sweep_costs.py``; writes ``docs/benchmarks/sweep-costs.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from crowdguard.scenario import demo_scenario
from crowdguard.scenario.schema import ThreatLevel
from crowdguard.sweep import GridPoint, SweepOptions, build_context, simulate_seed, solve_point

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "sweep-costs.md"
TEAMS = (8, 20, 40)
SEEDS = 3
CASES = (
    ("routes, first 7 days", SweepOptions(mode="routes", days=7)),
    ("free placement, 37 days", SweepOptions(mode="free")),
    ("free placement, first 7 days", SweepOptions(mode="free", days=7)),
)


def measured(work: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = work()
    return time.process_time() - cpu, time.perf_counter() - wall, out


def main() -> None:
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    scenario = demo_scenario()
    rows = []
    before = os.getloadavg()[0]
    for label, options in CASES:
        context = build_context(scenario, options)
        solve_point(context, GridPoint(ThreatLevel.SEVERE, 2))  # warm-up: imports, caches
        for teams in TEAMS:
            point = GridPoint(ThreatLevel.SEVERE, teams)
            cpu, wall, plan = measured(partial(solve_point, context, point))
            seeds = [measured(partial(simulate_seed, context, plan, s)) for s in range(SEEDS)]
            row = seeds[0][2]
            rows.append(
                f"| {label}, {teams} teams | {machine} | `python bench/sweep_costs.py` "
                f"| solve: {cpu:.2f} CPU / {wall:.2f} wall | seed: "
                f"{statistics.median(s[0] for s in seeds):.3f} CPU / "
                f"{statistics.median(s[1] for s in seeds):.3f} wall "
                f"| {row['incidents']} incidents, {len(context.days)} days |"
            )
            sys.stdout.write(rows[-1] + "\n")
    after = os.getloadavg()[0]
    text = "\n".join(
        [
            "# Benchmarks: sweep task costs (issue 16)",
            "",
            f"Measured on {dt.date.today().isoformat()} on the shared 2-core box (load average "
            f"{before:.1f} at the start, {after:.1f} at the end: CPU seconds are the figure to "
            "use, wall seconds show the contention). One solve and the median of "
            f"{SEEDS} seeds per point, SEVERE, the demo (18 venues, 8 teams cycled to the "
            "counts shown). `docs/scaling.md` builds its estimate from these.",
            "",
            "| task | machine | command | solve per grid point (s) | seed per grid point "
            "and seed (s) | work |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    OUT.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
