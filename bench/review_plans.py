"""Figure (issue 5): review 1,000 varied event security plans. Target: under 10 s.

The plans are generated from the demo plans and the example plan by seeded perturbations
(sections dropped, flags flipped, list entries removed, occupancy and entry checks
redrawn), so every tier and every score level occurs. Times ``review()`` over the 1,000
validated plans, median of 5 runs, and, in the same run, the baseline: validating the same
1,000 plans with pydantic (``parse_plan``), the unavoidable cost of reading them at all.
Prints the Markdown row for docs/benchmarks/plans.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import platform
import random
import statistics
import time
from collections import Counter
from typing import Any

import yaml

from crowdguard.plans import EXAMPLE_PLAN, default_rules, demo_plans, parse_plan, review

RUNS = 5
TARGET_SECONDS = 10.0


def _perturb(node: Any, rng: random.Random) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if isinstance(value, bool):
                out[key] = (not value) if rng.random() < 0.15 else value
            else:
                out[key] = _perturb(value, rng)
        return out
    if isinstance(node, list) and node and all(isinstance(v, str) for v in node):
        return node if rng.random() < 0.8 else []
    return copy.deepcopy(node)


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` plan dicts drawn from the demo and example plans with seeded perturbations."""
    rng = random.Random(seed)
    bases = [yaml.safe_load(p.read_text("utf-8")) for p in [*demo_plans(), EXAMPLE_PLAN]]
    plans = []
    for i in range(n):
        plan = _perturb(rng.choice(bases), rng)
        for section in [k for k in plan if k != "event"]:
            if rng.random() < 0.2:
                del plan[section]
        plan["event"]["id"] = f"{plan['event']['id']}-{i}"
        if "occupancy" in plan:
            plan["occupancy"]["maximum"] = rng.choice([150, 199, 200, 500, 799, 800, 2500, 9000])
        plan["entry_checks"] = rng.choice(["none", "none", "ticket", "pass"])
        plans.append(plan)
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    data = generate(args.plans, args.seed)
    day = dt.date(2026, 11, 1)
    default_rules()  # load the catalogue once (a per-process cost, not per plan)
    review_times, parse_times = [], []
    for _ in range(RUNS):
        began = time.perf_counter()
        plans = [parse_plan(d) for d in data]
        parse_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        results = [review(p, on=day) for p in plans]
        review_times.append(time.perf_counter() - began)
    tiers = Counter(r.tier.value for r in results)
    verdicts = Counter(r.good_practice_verdict for r in results)
    median, baseline = statistics.median(review_times), statistics.median(parse_times)
    machine = f"{platform.machine()}, Python {platform.python_version()}, 2 cores (shared)"
    print(f"<!-- tiers {dict(tiers)}; verdicts {dict(verdicts)} -->")
    print(
        "| figure | machine | command | median of 5 (s) | baseline: pydantic validation of the same plans (s) | ratio to baseline | target |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| review {args.plans:,} plans | {machine} | `python bench/review_plans.py` "
        f"| {median:.3f} (runs {', '.join(f'{t:.3f}' for t in review_times)}) "
        f"| {baseline:.3f} | {median / baseline:.2f} | < {TARGET_SECONDS:.0f} s |"
    )


if __name__ == "__main__":
    main()
