"""Figure (issue 2): the whole demo, `crowdguard demo`, end to end, install excluded.

Runs the command as a planner would (a fresh Python process each time, so imports count),
five times, and prints the Markdown row for docs/benchmarks.md. Target: under 60 s.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET_SECONDS = 60.0


def main() -> None:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(RUNS):
            began = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "crowdguard",
                    "demo",
                    "--seed",
                    str(run),
                    "-q",
                    "--out",
                    str(Path(folder) / "demo"),
                ],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - began)
    median = statistics.median(times)
    machine = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    print("| figure | machine | command | median of 5 (s) | target | ratio to target |")
    print("|---|---|---|---|---|---|")
    print(
        f"| whole demo end to end | {machine} | `python bench/demo_end_to_end.py` "
        f"| {median:.2f} (runs {', '.join(f'{t:.2f}' for t in times)}) "
        f"| < {TARGET_SECONDS:.0f} s | {median / TARGET_SECONDS:.3f} |"
    )


if __name__ == "__main__":
    main()
