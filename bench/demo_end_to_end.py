"""Figure (issues 2, 3 and 11): the whole demo, `crowdguard demo`, end to end, install excluded.

Runs the command as a planner would (a fresh Python process each time, so imports count)
``RUNS`` times as shipped, and in the same run as many times with ``--without-limits`` (the
demo before its operational limits: no transit cap, home sector or minimum stay; decision
0009), alternating the two so the shared box's load falls on both alike. As shipped, each
day is solved twice: with the limits, and without them to report their price. Writes
``docs/benchmarks/demo.md``. Target (issue 2): under 60 s.

Run: ``python bench/demo_end_to_end.py`` then ``python bench/assemble_docs.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "demo.md"
RUNS = 3
TARGET_SECONDS = 60.0
CONFIGS = {
    "as shipped (operational limits, priced)": [],
    "without limits (`--without-limits`, before decision 0009)": ["--without-limits"],
}


def run(folder: Path, seed: int, extra: list[str]) -> float:
    began = time.perf_counter()
    command = [sys.executable, "-m", "crowdguard", "demo", "--seed", str(seed), "-q"]
    subprocess.run(
        [*command, "--out", str(folder / "demo"), *extra],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def main() -> None:
    loads = [os.getloadavg()[0]]
    times: dict[str, list[float]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(RUNS):
            for name, extra in CONFIGS.items():
                times[name].append(run(Path(folder), seed, extra))
                print(name, f"{times[name][-1]:.1f} s", flush=True)
                loads.append(os.getloadavg()[0])
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    shipped, before = (statistics.median(times[name]) for name in CONFIGS)
    rows = []
    for name in CONFIGS:
        median = statistics.median(times[name])
        rows.append(
            f"| whole demo end to end, {name} | {machine} | `python bench/demo_end_to_end.py` "
            f"| {median:.2f} (runs {', '.join(f'{t:.2f}' for t in times[name])}) "
            f"| < {TARGET_SECONDS:.0f} s | {median / TARGET_SECONDS:.3f} |"
        )
    text = "\n".join(
        [
            "# Benchmarks: the demo end to end (issues 2 and 3)",
            "",
            "`python bench/demo_end_to_end.py` runs `crowdguard demo --seed N -q` in a fresh "
            "process each time (imports, scenario loading, the risk model, the season solved "
            "day by day on the patrol graph in worker processes on both cores, the "
            "security-plan what-ifs, rosters, the HTML report with its figures and the advice "
            "letters all count; installation does not). Since routes became the default "
            '(decision 0002) this one command is also issue 3\'s "whole 37-day season" '
            "figure. Since decision 0009 the demo sets operational limits (transit at most a "
            "third of a shift, a 20 km home sector, stays of at least an hour) and each day is "
            "also solved without them to price them; the same run times the demo without "
            "its limits (`--without-limits`), the figure before.",
            "",
            f"Measured on {dt.date.today():%Y-%m-%d} on the shared 2-core box; load average "
            f"{min(loads):.1f} to {max(loads):.1f} during the run (other engineers' work).",
            "",
            f"| figure | machine | command | median of {RUNS} (s) | target | ratio to target |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"As shipped / without limits: {shipped / before:.2f}x (the price of the limits "
            "is one more solve per day; a limited day's graph is smaller by the home sectors "
            "and larger by the stays' stages and one commodity per team; "
            "`bench/patrol_limits.py` times the solve alone).",
            "",
            "Earlier figures: 30.2 s (2026-12-03, load 0.3) before the ferry crossings and the "
            "limits; 8.9 s before routes became the default, when the demo placed teams freely "
            "in each slot (one LP per slot).",
            "",
        ]
    )
    OUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
