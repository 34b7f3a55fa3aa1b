"""Figure (issue 12): SIGTERM to exit of ``crowdguard serve`` with a plan job solving, and
no process left behind.

Starts ``crowdguard serve`` as a real subprocess on loopback with the embedded SQLite store,
adds an admin, queues a plan of the whole demo season (37 days, solved in worker processes,
one per core), waits until the solve's worker processes are up, then sends SIGTERM and
times how long the server takes to exit. Afterwards it counts the server's former worker
processes still alive (before issue 12 they survived, re-parented to PID 1, for up to 22
minutes). The baseline, in the same run, is the same SIGTERM to an idle server (no job).
Each figure is the median over ``--runs`` runs. Prints Markdown rows for
docs/benchmarks/shutdown.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))
from served import ServedProcess, add_admin, children_of, process_alive

PASSWORD = "a long enough password"


def one_run(with_job: bool) -> tuple[float, int, int]:
    """(seconds from SIGTERM to exit, workers seen, workers alive 2 s after the exit)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        server = ServedProcess(data).start(timeout=300)
        assert server.process is not None
        workers: set[int] = set()
        try:
            if with_job:
                add_admin(data, None, "admin", PASSWORD)
                headers = server.token("admin", PASSWORD)
                queued = httpx.post(
                    f"{server.base_url}/api/v1/plans",
                    json={"scenario_id": "hampshire-iow-christmas-2026"},
                    headers=headers,
                    timeout=60,
                )
                queued.raise_for_status()
                deadline = time.monotonic() + 300
                while not workers and time.monotonic() < deadline:
                    workers = children_of(server.process.pid)
                    time.sleep(0.2)
            began = time.perf_counter()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=120)
            took = time.perf_counter() - began
        finally:
            server.kill()
        time.sleep(2)
        left = [pid for pid in workers if process_alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        return took, len(workers), len(left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    load = os.getloadavg()[0]
    idle = [one_run(False) for _ in range(args.runs)]
    busy = [one_run(True) for _ in range(args.runs)]
    command = f"`python bench/shutdown.py --runs {args.runs}`"
    print(
        "| server | machine | command | runs | SIGTERM to exit, median s (max) | solver workers seen | left alive 2 s after | target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, rows, target in (
        ("idle (baseline)", idle, "baseline"),
        ("solving the 37-day demo season", busy, "< 10 s, none left"),
    ):
        times = [r[0] for r in rows]
        print(
            f"| {label} | {machine} | {command} | {len(rows)} | "
            f"{statistics.median(times):.2f} ({max(times):.2f}) | "
            f"{sum(r[1] for r in rows)} | {sum(r[2] for r in rows)} | {target} |"
        )
    print(f"\nload average (1 min) at the start: {load:.1f}")


if __name__ == "__main__":
    main()
