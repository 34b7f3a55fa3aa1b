"""Figure (issue 2): ORIGAMI against the ERASER MILP on 1,000-target games.

For each deployment-to-saturation ratio d:s in {0.1, 0.5, 0.9} (Jain, Leyton-Brown, Tambe,
AAAI 2012: 0.5 is the hard middle), five random games (the literature's generator, seeds
0..4, independent payoffs) are solved by ORIGAMI and by ERASER (HiGHS MILP), the baseline,
in the same run. Each solve is timed end to end through ``solve()`` (solver plus certificate);
the games are generated outside the timed region. Both answers must agree to 1e-6 in the
defender's utility (asserted). Prints the Markdown rows for docs/benchmarks/games.md.
Target: ORIGAMI at least 1,000x faster.
"""

from __future__ import annotations

import dataclasses
import platform
import statistics
import time

from crowdguard.games import SecurityGame, generate_game, saturation, solve

N_TARGETS = 1_000
RATIOS = (0.1, 0.5, 0.9)
SEEDS = range(5)
TARGET_SPEEDUP = 1_000


def timed_solve(game: SecurityGame, method: str) -> tuple[float, float]:
    began = time.perf_counter()
    solution = solve(game, method)
    return time.perf_counter() - began, solution.defender_utility


def main() -> None:
    machine = f"{platform.machine()}, Python {platform.python_version()}, 2 cores (shared)"
    print(
        "| figure | machine | command | d:s | m (median) | ORIGAMI median of 5 (ms) "
        "| baseline: ERASER MILP median of 5 (s) | speed-up | max abs. utility gap | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    solve(generate_game(10, 2, seed=0), "eraser")  # warm-up: imports, HiGHS
    for ratio in RATIOS:
        origami_times, eraser_times, gaps, resources = [], [], [], []
        for seed in SEEDS:
            game = generate_game(N_TARGETS, 1, seed=seed)
            m = max(1, round(ratio * saturation(game)))
            game = dataclasses.replace(game, resources=m)
            resources.append(m)
            fast, fast_value = timed_solve(game, "origami")
            slow, slow_value = timed_solve(game, "eraser")
            gap = abs(fast_value - slow_value)
            assert gap <= 1e-6, (ratio, seed, fast_value, slow_value)
            origami_times.append(fast)
            eraser_times.append(slow)
            gaps.append(gap)
        fast_median = statistics.median(origami_times)
        slow_median = statistics.median(eraser_times)
        print(
            f"| ORIGAMI vs ERASER, n = {N_TARGETS:,} | {machine} "
            f"| `python bench/origami_vs_eraser.py` | {ratio} | {statistics.median(resources):.0f} "
            f"| {fast_median * 1e3:.3f} | {slow_median:.2f} | {slow_median / fast_median:,.0f}x "
            f"| {max(gaps):.1e} | >= {TARGET_SPEEDUP:,}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
