"""Figure (issue 6): the optimal plan against uniform, footfall and rota plans on the demo.

Runs :func:`crowdguard.simulation.compare.compare_plans` on the embedded Hampshire & Isle of
Wight season (37 days, 18 venues, 8 teams) five times, with seeds 1 to 5, with the optimal
plan placed freely per slot (``mode="free"``, as these figures have always been measured;
``crowdguard simulate`` compares the routes plan by default since issue 11), and writes
``docs/benchmarks/simulate.md``:

1. the headline table: the optimal plan's expected harm against both attackers as a share
   of each baseline's (seed 1, with the range over the five seeds);
2. the season simulation's response times per plan (seed 1, the same incidents per plan);
3. timing rows: the whole comparison (median of 5) against solving the optimal plan alone
   (``make_plan`` with free placement, as the comparison uses, measured in the same run), and
   one season simulation of the demo against
   the same baseline.

Usage: ``python bench/compare_plans.py [--out docs/benchmarks/simulate.md]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import time
from pathlib import Path

from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.scenario.load import demo_scenario
from crowdguard.simulation.baselines import build_plan, plan_rosters
from crowdguard.simulation.compare import Comparison, compare_plans, crowd_by_hour
from crowdguard.simulation.season import simulate_season

RUNS = 5
INCIDENTS = 200.0
COMMAND = "`python bench/compare_plans.py`"
LOAD_AT_START = os.getloadavg()[0]


def fmt(ts: list[float]) -> str:
    return f"{statistics.median(ts):.2f} (runs {', '.join(f'{t:.2f}' for t in ts)})"


def time_season() -> float:
    """One season simulation of the demo with the optimal plan's rosters."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from crowdguard.dispatch.recommend import matrix_travel

    scenario = demo_scenario()
    plan = build_plan("optimal", scenario, mode="free")  # the figures below: free placement
    rosters = plan_rosters(plan, rng=random.Random(1))
    venues = [v.id for v in scenario.venues]
    start = dt.datetime.combine(plan.days[0], dt.time(0), tzinfo=ZoneInfo(scenario.timezone))
    crowd, _ = crowd_by_hour(plan.targets, venues, start)
    travel = straight_line_travel(places_of(scenario))
    points = list(zip(travel.lat, travel.lon, strict=True))
    began = time.perf_counter()
    simulate_season(
        rosters,
        places={p.id: (p.lat, p.lon) for p in places_of(scenario)},
        venues=venues,
        crowd=crowd,
        start=start,
        expected_incidents=INCIDENTS,
        travel_minutes=matrix_travel(points, travel.minutes.tolist()),
        seed=1,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/simulate.md"))
    args = parser.parse_args()
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    scenario = demo_scenario()
    results: list[Comparison] = []
    compare_s, plan_s, season_s = [], [], []
    for run in range(RUNS):
        began = time.perf_counter()
        make_plan(PlanInputs.read(scenario), PlanOptions(seed=run + 1, mode="free", what_ifs=False))
        plan_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        results.append(
            compare_plans(scenario, seed=run + 1, expected_incidents=INCIDENTS, mode="free")
        )
        compare_s.append(time.perf_counter() - began)
        season_s.append(time_season())
    first = results[0]
    optimal = first.row("optimal")

    lines = [
        "# Benchmarks: simulate (plans compared on equal resources)",
        "",
        f"Measured by {COMMAND} on {dt.date.today():%d %b %Y} on a {os.cpu_count()}-core "
        f"{platform.machine()} box (load average {LOAD_AT_START:.1f} at the start). "
        "The embedded demo season: "
        f"{first.days[0]:%d %b %Y} to {first.days[-1]:%d %b %Y} ({len(first.days)} days), "
        f"{first.targets} venue-slots, 8 teams on two shifts; every plan uses the same teams "
        "in every slot (placed anywhere in it, as `crowdguard simulate` compares them). Harm is minus the defender's utility (expected people harmed x threat "
        "likelihood). The observer watches 14 days of drawn rosters and strikes every later "
        f"day; it is the strongest of four observers, over {first.replicates} roster draws "
        "(95% t interval). Seed 1; in brackets the range over seeds 1-5.",
        "",
        "## The optimal plan's expected harm as a share of each baseline's",
        "",
        "| baseline | vs best-responding attacker: optimal / baseline | "
        "vs observer (14 days of rosters): optimal / baseline | "
        "observer meets no patrol (baseline) | observer's gain from watching (baseline) |",
        "|---|---|---|---|---|",
    ]
    for row in first.rows[1:]:
        br = [r.row("optimal").best_response.harm / r.row(row.plan).best_response.harm
              for r in results]  # fmt: skip
        ob = [r.row("optimal").observer.mean / r.row(row.plan).observer.mean for r in results]
        lines.append(
            f"| {row.plan} | {br[0]:.0%} ({min(br):.0%}-{max(br):.0%}); optimal "
            f"{optimal.best_response.harm:.1f} vs {row.best_response.harm:.1f} | "
            f"{ob[0]:.0%} ({min(ob):.0%}-{max(ob):.0%}); optimal {optimal.observer.mean:.1f} "
            f"[{optimal.observer.low:.1f}, {optimal.observer.high:.1f}] vs "
            f"{row.observer.mean:.1f} [{row.observer.low:.1f}, {row.observer.high:.1f}] | "
            f"{row.unopposed.mean:.0%} of days (optimal {optimal.unopposed.mean:.0%}) | "
            f"{row.learnt.mean:+.1f} [{row.learnt.low:+.1f}, {row.learnt.high:+.1f}] |"
        )
    lines += [
        "",
        "*Gain from watching*: the observer's realised harm minus what the plan's coverage "
        "predicts at the targets it chose (95% interval); zero means the rosters taught it "
        "nothing beyond the coverage. A deterministic rota has nothing beyond its coverage: "
        "its coverage is the roster.",
        "",
        "Against the optimal plan the observer's realised harm minus what the published "
        f"coverage predicts for its choices is {optimal.learnt.mean:+.1f} "
        f"[{optimal.learnt.low:+.1f}, {optimal.learnt.high:+.1f}] (95% interval): no significant "
        "gain from watching. "
        "Against the rota it meets no patrol on "
        f"{first.row('rota').unopposed.mean:.0%} of days and does "
        f"{first.row('rota').observer.mean / first.row('rota').worst_case_daily_harm:.0%} of "
        "the harm of an attacker handed the rota: everything it does, it learnt. The uniform "
        "and footfall plans are drawn afresh each day too; they concede more because their "
        "coverage itself leaves attractive venue-slots thin.",
        "",
        f"## Season simulation (seed 1, the same {first.rows[0].season.incidents} incidents "
        "for every plan)",
        "",
        "| plan | median response (min) | 90th percentile (min) | within "
        f"{first.response_target_minutes:g} min | patrol time lost to incidents |",
        "|---|---|---|---|---|",
    ]
    for row in first.rows:
        s = row.season
        lines.append(
            f"| {row.plan} | {s.median_minutes:.1f} | {s.p90_minutes:.1f} | "
            f"{s.share_within_target:.0%} | {s.share_patrol_lost:.0%} |"
        )
    lines += [
        "",
        "## Timing",
        "",
        "| figure | machine | command | median of 5 (s) | baseline (same run) | ratio |",
        "|---|---|---|---|---|---|",
        f"| `compare_plans` on the demo: 4 plans, {first.replicates} roster draws x 4 "
        f"observers, 4 season simulations of ~{INCIDENTS:.0f} incidents | {machine} | {COMMAND} "
        f"| {fmt(compare_s)} | `make_plan --mode free` (solve + draw, the placement compared) on the demo: {fmt(plan_s)} "
        f"| {statistics.median(compare_s) / statistics.median(plan_s):.1f} |",
        f"| `simulate_season` on the demo, optimal rosters, ~{INCIDENTS:.0f} incidents "
        f"| {machine} | {COMMAND} | {fmt(season_s)} | `make_plan --mode free` on the demo: {fmt(plan_s)} "
        f"| {statistics.median(season_s) / statistics.median(plan_s):.1f} |",
        "",
    ]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(text)


if __name__ == "__main__":
    main()
