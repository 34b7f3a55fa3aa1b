"""Figure (issue 3): how one day's patrol solve grows with venues, slots and teams.

A synthetic county twice the demo's size: venues scattered over mainland Hampshire
(seeded), eight staging points, teams split over two shifts, every venue open through the
shifts, payoffs from the real risk model (``crowdguard.risk.build_targets``). Each
configuration is solved with ``plan_day`` (MILP + certificate + tie-break LP +
decomposition), median of 3 runs. A demo-sized synthetic day (18 venues, 12 slots, 8 teams)
is also solved by the naive multiple-LPs baseline in the same run (same optimum to 1e-6);
on the 36-venue day that baseline needs 432 LPs of 25,000 variables, too slow to repeat.
Writes ``docs/benchmarks/patrols-scaling.png`` and prints Markdown rows. Target: the
36-venue, 16-team day under 30 s.
"""

from __future__ import annotations

import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.risk import build_targets
from crowdguard.scenario.schema import Scenario

RUNS = 3
TARGET_SECONDS = 30.0
KINDS = ("christmas_market", "shopping_street", "shopping_centre", "town_centre")
OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "patrols-scaling.png"


def synthetic_county(n_venues: int, n_teams: int, hours: int, seed: int) -> Scenario:
    """A seeded synthetic county: ``n_venues`` venues, 8 bases, two shifts from 10:00."""
    rng = np.random.default_rng(seed)
    first = 10
    half = hours // 2
    shifts = [
        f"{first:02d}:00-{first + half:02d}:00",
        f"{first + half:02d}:00-{first + hours:02d}:00",
    ]
    open_hours = f"{first:02d}:00-{first + hours:02d}:00"
    every_day = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), open_hours)
    venues = [
        {
            "id": f"venue-{i}",
            "name": f"Venue {i}",
            "kind": KINDS[i % len(KINDS)],
            "lat": float(rng.uniform(50.80, 51.30)),
            "lon": float(rng.uniform(-1.60, -0.80)),
            "opening_hours": {"weekly": every_day},
            "peak_occupancy": int(rng.integers(500, 5000)),
        }
        for i in range(n_venues)
    ]
    bases = [
        {"id": f"base-{j}", "name": f"Base {j}", "lat": float(lat), "lon": float(lon)}
        for j, (lat, lon) in enumerate(
            zip(rng.uniform(50.85, 51.25, 8), rng.uniform(-1.5, -0.9, 8), strict=True)
        )
    ]
    teams = [
        {
            "callsign": f"team-{k}",
            "base": f"base-{k % 8}",
            "kind": "arv" if k % 2 else "foot",
            "shifts": [shifts[k % 2]],
        }
        for k in range(n_teams)
    ]
    return Scenario.model_validate(
        {
            "id": "synthetic-county",
            "name": "Synthetic county",
            "start": dt.date(2026, 12, 5),
            "end": dt.date(2026, 12, 5),
            "threat_level": "SUBSTANTIAL",
            "venues": venues,
            "bases": bases,
            "teams": teams,
        }
    )


def solve(n_venues: int, n_teams: int, hours: int, method: Any = "milp") -> tuple[list[float], Any]:
    """Median-ready timings of ``plan_day`` on one configuration, and the last plan."""
    scenario = synthetic_county(n_venues, n_teams, hours, seed=2026)
    day = scenario.start
    targets = build_targets(scenario, days=[day])
    travel = straight_line_travel(places_of(scenario))
    times, plan = [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        plan = plan_day(scenario, day, targets, travel, method=method)
        times.append(time.perf_counter() - began)
    return times, plan


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    machine = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    grids = {
        "venues": [(v, 16, 12) for v in (9, 18, 27, 36)],
        "slots": [(36, 16, h) for h in (6, 8, 10, 12)],
        "teams": [(36, t, 12) for t in (4, 8, 12, 16)],
    }
    print("| figure | machine | command | median of 3 (s) | baseline (s) | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    medians: dict[str, list[tuple[int, float]]] = {}
    for axis, configs in grids.items():
        medians[axis] = []
        for venues, teams, hours in configs:
            times, plan = solve(venues, teams, hours)
            median = statistics.median(times)
            x = {"venues": venues, "slots": hours, "teams": teams}[axis]
            medians[axis].append((x, median))
            print(
                f"| patrol day, {venues} venues x {hours} slots x {teams} teams "
                f"({plan.graph.n_arcs} arcs, sweep: {axis}) | {machine} "
                f"| `python bench/patrol_scaling.py` | {median:.2f} "
                f"(runs {', '.join(f'{t:.2f}' for t in times)}) | - | - "
                f"| < {TARGET_SECONDS:.0f} s at 36 x 12 x 16 |",
                flush=True,
            )
    if "--no-baseline" not in sys.argv:
        milp_times, milp_plan = solve(18, 8, 12)
        lps_times, lps_plan = solve(18, 8, 12, method="multiple-lps")
        gap = abs(milp_plan.defender_utility - lps_plan.defender_utility)
        assert gap <= 1e-6, f"MILP and multiple LPs disagree by {gap}"
        m, b = statistics.median(milp_times), statistics.median(lps_times)
        print(
            f"| patrol day 18 x 12 x 8, MILP vs multiple LPs (gap {gap:.1e}) | {machine} "
            f"| `python bench/patrol_scaling.py` | {m:.2f} | {b:.2f} | {b / m:.1f}x faster | - |"
        )
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    for ax, (axis, points) in zip(axes, medians.items(), strict=True):
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o")
        ax.set_xlabel(axis)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("plan_day seconds (median of 3)")
    fig.suptitle("One patrol day: solve time vs venues, slots, teams (others at 36 / 12 / 16)")
    fig.tight_layout()
    tmp = OUT.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(OUT)


if __name__ == "__main__":
    main()
