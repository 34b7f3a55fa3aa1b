"""Figure (issue 3): one day of patrols on the demo, solved to optimality and certified.

The embedded Hampshire & Isle of Wight scenario (18 venues, 8 teams on two shifts
10:00-16:00 / 16:00-22:00, hourly slots) on its busiest day in the first week. Timed, five
times each, in the same run:

* ``plan_day`` end to end (graph, ERASER-style MILP over the flow polytope, certificate,
  least-predictable tie-break LP, path decomposition, response probabilities);
* the SSE solve alone with the MILP, and with the naive baseline (multiple LPs,
  Conitzer and Sandholm 2006) over the same polytope: same optimum to 1e-6, speed-up ratio.

Target: plan_day under 5 s.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

from crowdguard.games.flow import FlowPayoffs, solve_flow_game
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.graph import build_graph, flow_polytope
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.risk import build_targets
from crowdguard.scenario import demo_scenario

RUNS = 5
TARGET_SECONDS = 5.0


def timed(work: Callable[[], object]) -> list[float]:
    """Wall-clock seconds of ``RUNS`` calls."""
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    scenario = demo_scenario()
    travel = straight_line_travel(places_of(scenario))
    day = max(scenario.days[:7], key=lambda d: len(build_targets(scenario, days=[d])))
    targets = build_targets(scenario, days=[day])
    graph = build_graph(scenario, day, targets, travel)
    polytope = flow_polytope(graph)
    payoffs = FlowPayoffs(
        targets.defender_covered,
        targets.defender_uncovered,
        targets.attacker_covered,
        targets.attacker_uncovered,
    )
    milp = solve_flow_game(payoffs, polytope, method="milp")
    lps = solve_flow_game(payoffs, polytope, method="multiple-lps")
    gap = abs(milp.defender_utility - lps.defender_utility)
    assert gap <= 1e-6, f"MILP and multiple LPs disagree by {gap}"
    plan_times = timed(lambda: plan_day(scenario, day, targets, travel))
    milp_times = timed(lambda: solve_flow_game(payoffs, polytope, method="milp"))
    lps_times = timed(lambda: solve_flow_game(payoffs, polytope, method="multiple-lps"))
    plan_s, milp_s, lps_s = (statistics.median(t) for t in (plan_times, milp_times, lps_times))
    machine = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    size = (
        f"{len(scenario.venues)} venues, {len(targets.ids)} targets, {len(scenario.teams)} teams, "
        f"{graph.n_nodes} nodes, {graph.n_arcs} arcs"
    )
    print(f"<!-- day {day.isoformat()}: {size}; |MILP - multiple LPs| = {gap:.1e} -->")
    print("| figure | machine | command | median of 5 (s) | baseline (s) | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| plan_day, demo busiest day ({size}) | {machine} | `python bench/patrol_day.py` "
        f"| {plan_s:.3f} (runs {', '.join(f'{t:.3f}' for t in plan_times)}) "
        f"| multiple LPs solve {lps_s:.3f} | {lps_s / plan_s:.1f}x faster | < {TARGET_SECONDS:.0f} s |"
    )
    print(
        f"| flow SSE solve only, MILP vs multiple LPs (same optimum, gap {gap:.1e}) | {machine} "
        f"| `python bench/patrol_day.py` | {milp_s:.3f} | {lps_s:.3f} "
        f"| {lps_s / milp_s:.1f}x faster | - |"
    )


if __name__ == "__main__":
    main()
