"""Figure (issue 2): the risk model over the whole demo season, ``build_targets``.

Builds every target of the embedded Hampshire & Isle of Wight scenario (18 venues, 37
days, 60-minute slots) seven times in one process and prints the Markdown row for
docs/benchmarks.md. Baseline, measured in the same run: reading and validating the demo
scenario file (``demo_scenario()``), the step that always comes before it. Target: well under
a second.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

from crowdguard.risk import build_targets
from crowdguard.scenario import demo_scenario

RUNS = 7
TARGET_SECONDS = 1.0


def timed(work: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return times


def timing_row() -> str:
    """The table row: build_targets over the demo season, median of RUNS, with loading the
    demo as the baseline measured in the same run."""
    scenario = demo_scenario()
    build_targets(scenario)  # warm-up: imports, zoneinfo cache
    load = statistics.median(timed(demo_scenario))
    build_times = timed(lambda: build_targets(scenario))
    build = statistics.median(build_times)
    n = len(build_targets(scenario))
    machine = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    return (
        f"| risk model, demo season ({n} targets) | {machine} "
        f"| `python bench/risk_build_targets.py` | {build:.4f} "
        f"(runs {', '.join(f'{t:.4f}' for t in build_times)}) | {load:.4f} "
        f"| {build / load:.2f} | < {TARGET_SECONDS:.0f} s |"
    )


def main() -> None:
    print("| figure | machine | command | median of 7 (s) | baseline: load demo (s) | ratio to baseline | target |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print(timing_row())


if __name__ == "__main__":
    main()
