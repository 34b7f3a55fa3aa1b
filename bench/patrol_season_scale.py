"""Figure (issue 10, section 3): a 37-day season of a 40-place, 16-team county on 2 cores.

The county is generated (:mod:`crowdguard.scenario.generate`): 40 places in towns, 8 staging
points, 16 teams on overlapping shifts, every place open the same hours with the same crowd
every day (the hard case: many equal targets, and every day the same patrol graph). The
season is planned as ``crowdguard plan`` plans it (routes mode, robust tie rule, joint
rosters, certified), without the what-ifs (the visibility curve and plan influence, which
section 4 measures), in 2 worker processes.

Baseline, same run: the same days solved cold, one at a time (no warm start from the first
day's bases), on the first ``--cold-days`` days; the season's cold time is estimated as
their median times the days, over 2 workers.

    python bench/patrol_season_scale.py [--days 37] [--cold-days 3] [--runs 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path

from crowdguard.patrols.options import PlanOptions
from crowdguard.patrols.season_routes import solve_days
from crowdguard.pipeline import PlanInputs, make_plan
from crowdguard.scenario.generate import generate_scenario

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "patrol-season-scale.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=37, help="days in the season")
    parser.add_argument("--cold-days", type=int, default=3, help="days solved cold (baseline)")
    parser.add_argument("--runs", type=int, default=1, help="season plans timed (median)")
    args = parser.parse_args()
    county = generate_scenario(
        venues=40,
        bases=8,
        teams=16,
        shifts="overlapping",
        seed=1700,
        hours="equal",
        risks="equal",
        days=args.days,
    )
    load = os.getloadavg()[0]
    seasons: list[float] = []
    plan = None
    for _ in range(args.runs):
        began = time.perf_counter()
        plan = make_plan(PlanInputs(county), PlanOptions(seed=1, workers=2, what_ifs=False))
        seasons.append(time.perf_counter() - began)
        print(f"season: {seasons[-1]:.1f} s", flush=True)
    assert plan is not None and plan.certificate["holds"]
    days = sorted(plan.day_plans)
    warm = sum(bool(plan.day_plans[d].certificate.get("minimax_warm_start")) for d in days)
    day_seconds = [plan.day_plans[d].seconds for d in days]
    cold: list[float] = []
    for day in county.days[: args.cold_days]:
        began = time.perf_counter()
        solve_days(county, [day], None, workers=1)  # a fresh reference each time: cold
        cold.append(time.perf_counter() - began)
        print(f"cold day {day}: {cold[-1]:.1f} s", flush=True)
    estimate = statistics.median(cold) * len(days) / 2
    median = statistics.median(seasons)
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    text = [
        "# Benchmarks: a season of a large generated county (issue 10, section 3)",
        "",
        f"Measured on {dt.date.today().isoformat()}, {machine}, load average {load:.1f} at the "
        "start (the box was shared with other work: absolute times are pessimistic). Rerun "
        "with `python bench/patrol_season_scale.py`.",
        "",
        "| figure | machine | command | median (s) | runs | baseline, same run | target | met |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(days)}-day season, 40 places, 16 teams, overlapping shifts, equal hours and "
        f"risks: planned, certified, joint rosters, 2 workers | {machine} | "
        f"`python bench/patrol_season_scale.py` | {median:.1f} | {len(seasons)} | cold days "
        f"(no warm start): median {statistics.median(cold):.1f} s a day over {len(cold)} days, "
        f"about {estimate:.0f} s for the season on 2 workers | < 120 | "
        f"{'yes' if median < 120 else 'no'} |",
        "",
        f"Days warm-started from the first day's bases: {warm} of {len(days)}. Solve time of a "
        f"day inside the season (the flow game only): median "
        f"{statistics.median(day_seconds):.2f} s, worst {max(day_seconds):.2f} s.",
        "",
    ]
    OUT.write_text("\n".join(text))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
