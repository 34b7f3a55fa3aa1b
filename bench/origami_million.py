"""Figure (issue 2): ORIGAMI on 1,000,000 targets: wall time and peak memory.

For each deployment-to-saturation ratio d:s in {0.1, 0.5, 0.9} (Jain, Leyton-Brown, Tambe,
AAAI 2012), five runs, each in a fresh Python subprocess so the memory figure is that run's
own: the child generates a 1,000,000-target game (outside the timed region), then times
``solve(game, "origami")`` end to end (sort, prefix sums, coverage, attack set and
certificate) and reads the process's peak resident set size (``resource.getrusage`` max RSS,
which includes the interpreter, NumPy/SciPy and the game's own arrays) and the solve's own
peak allocation (``tracemalloc``, a second, untimed solve). Targets: under 2 s and under
1 GB. The baseline, measured in the same run, is generating the game (``generate_game``).
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys

N_TARGETS = 1_000_000
RATIOS = (0.1, 0.5, 0.9)
RUNS = 5
TARGET_SECONDS = 2.0
TARGET_BYTES = 1 << 30

CHILD = """
import dataclasses, json, resource, sys, time, tracemalloc
from crowdguard.games import generate_game, saturation, solve
n, ratio, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
began = time.perf_counter()
game = generate_game(n, 1, seed=seed)
generate_seconds = time.perf_counter() - began
game = dataclasses.replace(game, resources=max(1, round(ratio * saturation(game))))
began = time.perf_counter()
solution = solve(game, "origami")
seconds = time.perf_counter() - began
max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
tracemalloc.start()
solve(game, "origami")
solve_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"seconds": seconds, "solver_seconds": solution.seconds,
                  "generate_seconds": generate_seconds, "max_rss": max_rss,
                  "solve_peak": solve_peak, "resources": game.resources,
                  "attack_set": len(solution.attack_set)}))
"""


def run_child(ratio: float, seed: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(N_TARGETS), str(ratio), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(result.stdout)
    return data


def main() -> None:
    machine = f"{platform.machine()}, Python {platform.python_version()}, 2 cores (shared)"
    print(
        "| figure | machine | command | d:s | m | median of 5: solve() (s) | of which ORIGAMI (s) "
        "| baseline: generate_game (s) | ratio to baseline | peak RSS (MB) | solve peak alloc (MB) "
        "| target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for ratio in RATIOS:
        runs = [run_child(ratio, seed) for seed in range(RUNS)]

        def median(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        seconds = median("seconds")
        assert seconds < TARGET_SECONDS and median("max_rss") < TARGET_BYTES
        print(
            f"| ORIGAMI, n = {N_TARGETS:,} | {machine} | `python bench/origami_million.py` "
            f"| {ratio} | {median('resources'):,.0f} | {seconds:.3f} | {median('solver_seconds'):.3f} "
            f"| {median('generate_seconds'):.3f} | {seconds / median('generate_seconds'):.2f} "
            f"| {median('max_rss') / 2**20:.0f} | {median('solve_peak') / 2**20:.0f} "
            f"| < {TARGET_SECONDS:.0f} s, < 1 GB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
