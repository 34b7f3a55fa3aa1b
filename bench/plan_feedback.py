"""Figure (issue 5 items 6, 8): what linking security plans costs the season planner.

Solves the embedded Hampshire & Isle of Wight season (four venues link demo plans) five
times each way in one process and prints Markdown rows for docs/benchmarks:

* baseline: ``make_plan(PlanInputs(scenario), PlanOptions(seed=0, what_ifs=False))``, the plan without plans;
* ``make_plan(PlanInputs.read(scenario), ...)``: the linked plans reviewed and applied;
* ``plan_influence``: the counterfactual "open findings resolved", one extra season solve
  per linked plan whose multipliers are not all 1.

Target: the linked plans add well under a second; the influence is about one season solve
per weak plan.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.plans.influence import plan_influence
from crowdguard.scenario import demo_scenario

RUNS = 5


def timed(work: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    scenario = demo_scenario()
    plan = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=0, what_ifs=False)
    )  # warm-up: imports, rule catalogue, zoneinfo
    baseline_times = timed(
        lambda: make_plan(PlanInputs(scenario), PlanOptions(seed=0, what_ifs=False))
    )
    linked_times = timed(
        lambda: make_plan(PlanInputs.read(scenario), PlanOptions(seed=0, what_ifs=False))
    )
    influence_times = timed(lambda: plan_influence(scenario, plan.linked_plans, days=plan.days))
    baseline = statistics.median(baseline_times)
    weak = sum(1 for gaps in plan.plan_gaps.values() if max(gaps.values()) > 1.0)
    machine = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    print(
        "| figure | machine | command | median of 5 (s) | baseline: make_plan without plans (s) "
        "| ratio to baseline |"
    )
    print("|---|---|---|---|---|---|")
    for label, times in (
        (f"make_plan, demo season, {len(plan.plan_gaps)} linked plans", linked_times),
        (f"plan_influence, {weak} weak plans re-solved", influence_times),
    ):
        median = statistics.median(times)
        print(
            f"| {label} | {machine} | `python bench/plan_feedback.py` | {median:.3f} "
            f"(runs {', '.join(f'{t:.3f}' for t in times)}) | {baseline:.3f} "
            f"| {median / baseline:.2f} |"
        )


if __name__ == "__main__":
    main()
