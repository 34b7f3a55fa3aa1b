"""Figures (issue 16): what-if sweeps on Dask, on this 2-core box.

Three figures the issue names, written to ``docs/benchmarks/sweep.md`` (and printed):

* **Speed-up on 2 workers against 1** for a 200-task sweep (target: at least 1.7x): the
  demo, free placement over its first 7 days, teams 2..11 at SEVERE, 20 seeds: 200 seed
  tasks and 10 solve tasks. Each run is timed from the first submit to the last row
  written (``run_sweep`` with the cluster already up); the cluster's start is timed
  apart. A serial run (:class:`~crowdguard.sweep.SerialBackend`, no Dask) is the
  baseline for the overhead, measured in the same run. The rows of every run are
  checked equal to the serial run's.
* **Overhead per task** (target: under 50 ms): 1,000 no-op tasks (the solve and the
  simulate steps replaced by functions that return at once) through the same runner on
  one worker: wall time / tasks. Also, for the real tasks above, (1-worker Dask time -
  serial time) / tasks: what Dask adds to a real task, shipping included.
* **The full grid**: 40 team counts x 3 threat levels x 200 seeds (24,000 seed tasks,
  120 solves) of the demo on 2 local workers, free placement over the first 7 days (the
  whole 37-day season in routes mode costs about 100 s per solve and 0.6 s per seed on
  this box; ``docs/scaling.md`` extrapolates it from the per-task costs measured here).
  One run (it takes minutes); its wall time, per-task cost and the proportionality points.

Run: ``python bench/sweep_dask.py`` (all), ``--skip-full`` (the first two only). The
machine is shared: the load average before and after each part is written beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from crowdguard.scenario import demo_scenario
from crowdguard.scenario.schema import ThreatLevel
from crowdguard.sweep import (
    DaskBackend,
    GridPoint,
    SerialBackend,
    SweepContext,
    SweepOptions,
    build_context,
    parse_teams,
    run_sweep,
)
from crowdguard.sweep.runner import run_tasks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "sweep.md"
RUNS = 3
OPTIONS = SweepOptions(mode="free", days=7)
SMALL = {"teams": list(range(2, 12)), "threats": [ThreatLevel.SEVERE], "seeds": range(20)}
FULL = {
    "teams": parse_teams("1:40"),
    "threats": [ThreatLevel.SUBSTANTIAL, ThreatLevel.SEVERE, ThreatLevel.CRITICAL],
    "seeds": range(200),
}
NOOP_POINTS, NOOP_SEEDS = 10, 100


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def noop_solve(context: SweepContext, point: GridPoint) -> GridPoint:
    """A solve task that does nothing: what is left is the runner's and Dask's cost."""
    return point


def noop_simulate(context: SweepContext, point: GridPoint, seed: int) -> dict[str, Any]:
    return {"threat": point.threat.value, "teams": point.teams, "seed": seed}


def timed_sweep(backend: Any, grid: dict[str, Any], folder: Path) -> float:
    began = time.perf_counter()
    outcome = run_sweep(demo_scenario(), **grid, options=OPTIONS, out=folder, backend=backend,
                        resamples=200)  # fmt: skip
    seconds = time.perf_counter() - began
    assert outcome.complete, outcome.run.failed
    return seconds


def speedup(scratch: Path) -> dict[str, Any]:
    before = load()
    serial: list[float] = []
    for i in range(RUNS):
        serial.append(timed_sweep(SerialBackend(), SMALL, scratch / f"serial-{i}"))
    reference = pq.read_table(scratch / "serial-0" / "results.parquet")
    result: dict[str, Any] = {"serial": serial}
    for workers in (1, 2):
        began = time.perf_counter()
        with DaskBackend(workers=workers) as backend:
            result[f"start{workers}"] = time.perf_counter() - began
            times = []
            for i in range(RUNS):
                folder = scratch / f"dask{workers}-{i}"
                times.append(timed_sweep(backend, SMALL, folder))
                assert pq.read_table(folder / "results.parquet").equals(reference)
        result[f"dask{workers}"] = times
    result["load"] = f"{before} before, {load()} after"
    return result


def overhead() -> dict[str, Any]:
    before = load()
    context = build_context(demo_scenario(), OPTIONS)
    points = [GridPoint(ThreatLevel.SEVERE, n) for n in range(1, NOOP_POINTS + 1)]
    seeds = range(NOOP_SEEDS)
    times = []
    with DaskBackend(workers=1) as backend:
        for _ in range(RUNS):
            rows: list[dict[str, Any]] = []
            began = time.perf_counter()
            run = run_tasks(context, points, seeds, backend=backend, on_row=rows.append,
                            solve=noop_solve, simulate=noop_simulate)  # type: ignore[arg-type]  # fmt: skip
            times.append(time.perf_counter() - began)
            assert run.computed == len(rows) == NOOP_POINTS * NOOP_SEEDS
    return {"noop": times, "load": f"{before} before, {load()} after"}


def full(scratch: Path) -> dict[str, Any]:
    before = load()
    began = time.perf_counter()
    with DaskBackend(workers=2) as backend:
        started = time.perf_counter() - began
        t0 = time.perf_counter()
        outcome = run_sweep(demo_scenario(), **FULL, options=OPTIONS, out=scratch / "full",
                            backend=backend)  # fmt: skip
        seconds = time.perf_counter() - t0
    assert outcome.complete, outcome.run.failed
    return {
        "seconds": seconds,
        "start": started,
        "rows": outcome.rows,
        "solved": outcome.run.solved,
        "points": [p.describe() for p in outcome.points],
        "load": f"{before} before, {load()} after",
    }


def fmt(times: list[float]) -> str:
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"{statistics.median(times):.2f} (runs {runs})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full", action="store_true", help="skip the 24,000-task grid")
    args = parser.parse_args()
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    today = dt.date.today().isoformat()
    command = "`python bench/sweep_dask.py`"
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        scratch = Path(tmp)
        timed_sweep(SerialBackend(), {**SMALL, "seeds": range(1)}, scratch / "warm")
        s = speedup(scratch)
        o = overhead()
        f = None if args.skip_full else full(scratch)
    tasks = len(SMALL["teams"]) * len(SMALL["seeds"])
    t_serial, t1, t2 = (statistics.median(s[k]) for k in ("serial", "dask1", "dask2"))
    ratio = t1 / t2
    noop_tasks = NOOP_POINTS * (NOOP_SEEDS + 1)
    per_noop = statistics.median(o["noop"]) / noop_tasks * 1000
    per_real = (t1 - t_serial) / (tasks + len(SMALL["teams"])) * 1000
    lines = [
        "# Benchmarks: what-if sweeps on Dask (issue 16)",
        "",
        f"Measured on {today}; rerun with {command}. The box has 2 cores shared with other "
        "engineers' work: the load average (1 / 5 minutes) is given for each part, and a load "
        "above 2 means the workers competed for the cores with other processes, which caps the "
        "speed-up. Times are from the first task submitted to the last file written, with the "
        "local cluster already started (its start is given apart). Grid of the 200-task sweep: "
        "the demo, free placement over its first 7 days, teams 2..11 at SEVERE, 20 seeds "
        f"(200 seed tasks and 10 solves); every Dask run's rows equal the serial run's.",
        "",
        "| figure | machine | command | median of runs (s) | baseline, same run (s) | result "
        "| target | load |",
        "|---|---|---|---|---|---|---|---|",
        f"| 200-task sweep, 2 workers vs 1 | {machine} | {command} | 2 workers: {fmt(s['dask2'])} "
        f"| 1 worker: {fmt(s['dask1'])} | speed-up {ratio:.2f}x | >= 1.7x | {s['load']} |",
        f"| the same sweep, serial (no Dask) | {machine} | {command} | {fmt(s['serial'])} | - "
        f"| Dask adds {per_real:.1f} ms per real task on 1 worker | - | {s['load']} |",
        f"| overhead per task: {noop_tasks:,} no-op tasks, 1 worker | {machine} | {command} "
        f"| {fmt(o['noop'])} | - | {per_noop:.1f} ms per task | < 50 ms | {o['load']} |",
        f"| LocalCluster start, 1 / 2 workers | {machine} | {command} | {s['start1']:.2f} / "
        f"{s['start2']:.2f} | - | - | - | {s['load']} |",
    ]
    if f is not None:
        per_task = f["seconds"] / f["rows"] * 2 * 1000
        lines.append(
            f"| full grid: 40 teams x 3 threats x 200 seeds, free placement, 7 days, 2 workers "
            f"| {machine} | {command} | {f['seconds']:.1f} (one run) | - | {f['rows']:,} rows, "
            f"{f['solved']} solves; {per_task:.0f} ms per row per worker; cluster start "
            f"{f['start']:.1f} s | - | {f['load']} |"
        )
        lines += ["", "Proportionality points of the full grid (threshold 1% of the harm at "
                  "1 team, `harm_realised`, 95% paired bootstrap over seeds):", ""]  # fmt: skip
        lines += [f"- {p}" for p in f["points"]]
    text = "\n".join(lines) + "\n"
    OUT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
