"""Figures (issue 16): what-if sweeps on Dask, on this 2-core box.

Three figures the issue names, written to ``docs/benchmarks/sweep.md`` (and printed):

* **Speed-up on 2 workers against 1** for a 200-task sweep (target: at least 1.7x): the
  demo, free placement over its first 7 days, teams 2..11 at SEVERE, 20 seeds: 200 seed
  tasks and 10 solve tasks. Each run is timed from the first submit to the last row
  written (``run_sweep`` with the cluster already up); the cluster's start is timed
  apart. A serial run (:class:`~crowdguard.sweep.SerialBackend`, no Dask) is the
  baseline for the overhead, measured in the same run. The rows of every run are
  checked equal to the serial run's.
* **Overhead per task** (target: under 50 ms), per row since seeds run
  ``SEEDS_PER_TASK`` to a task: 1,000 no-op rows (the solve and the
  simulate steps replaced by functions that return at once) through the same runner on
  one worker: wall time / tasks. Also, for the real tasks above, (1-worker Dask time -
  serial time) / tasks: what Dask adds to a real task, shipping included.
* **The full grid**: 40 team counts x 3 threat levels x 200 seeds (24,000 seed tasks,
  120 solves) of the demo on 2 local workers, free placement over the first 7 days (the
  whole 37-day season in routes mode costs about 100 s per solve and 0.6 s per seed on
  this box; ``docs/scaling.md`` extrapolates it from the per-task costs measured here).
  One run (it takes minutes); its wall time, per-task cost and the proportionality points.

Run: ``python bench/sweep_dask.py`` (all), ``--part small`` (the first two) or ``--part
full``; each part's figures are kept in ``docs/benchmarks/sweep-data.json`` so one part can
be rerun alone. The machine is shared: the load average before and after each part is
written beside it, and for Dask runs the workers' *occupancy* (the share of their time spent
computing tasks, from Dask's task stream), which separates what Dask leaves idle from what
the machine's other work takes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
DATA = ROOT / "docs" / "benchmarks" / "sweep-data.json"
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


def timed_sweep(
    backend: Any, grid: dict[str, Any], folder: Path, busy: list[float] | None = None
) -> float:
    """Seconds for one sweep; with a Dask backend, ``busy`` gets the workers' compute seconds."""
    from contextlib import nullcontext

    from distributed import get_task_stream

    stream = nullcontext() if busy is None else get_task_stream(backend._client)
    began = time.perf_counter()
    with stream as tasks:
        outcome = run_sweep(demo_scenario(), **grid, options=OPTIONS, out=folder,
                            backend=backend, resamples=200)  # fmt: skip
    seconds = time.perf_counter() - began
    assert outcome.complete, outcome.run.failed
    if busy is not None:
        busy.append(
            sum(
                part["stop"] - part["start"]
                for task in tasks.data
                for part in task["startstops"]
                if part["action"] == "compute"
            )
        )
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
            times: list[float] = []
            busy: list[float] = []
            for i in range(RUNS):
                folder = scratch / f"dask{workers}-{i}"
                times.append(timed_sweep(backend, SMALL, folder, busy))
                assert pq.read_table(folder / "results.parquet").equals(reference)
        result[f"dask{workers}"] = times
        # the share of worker time spent computing tasks: what Dask leaves idle, apart
        # from what the machine's other work takes
        result[f"occupancy{workers}"] = statistics.median(
            b / (workers * t) for b, t in zip(busy, times, strict=True)
        )
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


def commit() -> str:
    """The code measured: the checkout's commit (``+`` when it has uncommitted changes)."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()  # fmt: skip

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+" if git("status", "--porcelain", "--untracked-files=no", "src") else "")


def history_rows(history: list[dict[str, Any]]) -> list[str]:
    """Every small part kept, newest first: the speed-up moves with the machine's load."""
    lines = [
        "",
        "Every run of the small part (newest first): on this shared box the speed-up follows "
        "the other work's load, not the code; occupancy stays near the same share when the "
        "cores are taken by other processes, because the tasks then compute more slowly.",
        "",
        "| date | code | load (1 / 5 min) | 1 worker (s) | 2 workers (s) | speed-up | serial (s) "
        "| no-op overhead per task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in history:
        t1, t2 = statistics.median(s["dask1"]), statistics.median(s["dask2"])
        per_noop = statistics.median(s["noop"]) / (NOOP_POINTS * (NOOP_SEEDS + 1)) * 1000
        lines.append(
            f"| {s['date']} {s.get('time', '')} | {s.get('commit', '-')} | {s['load']} "
            f"| {t1:.2f} | {t2:.2f} | {t1 / t2:.2f}x | {statistics.median(s['serial']):.2f} "
            f"| {per_noop:.1f} ms per row |"
        )
    return lines


def fmt(times: list[float]) -> str:
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"{statistics.median(times):.2f} (runs {runs})"


def render(data: dict[str, Any]) -> str:
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    command = "`python bench/sweep_dask.py`"
    lines = [
        "# Benchmarks: what-if sweeps on Dask (issue 16)",
        "",
        f"Rerun with {command} (`--part small` or `--part full` for one part; the other "
        "part's last figures are kept in `sweep-data.json`). The box has 2 cores shared with "
        "other engineers' work: the load average (1 / 5 minutes) is given for each part; a "
        "load above 2 means the workers competed for the cores with other processes, which "
        "caps the speed-up. *Occupancy* is the share of the workers' wall time spent "
        "computing tasks (Dask's task stream): what the scheduling leaves idle, apart from "
        "the machine's other load. Times run from the first task submitted to the last file "
        "written, with the local cluster already started (its start is given apart). The "
        "200-task sweep: the demo, free placement over its first 7 days, teams 2..11 at "
        "SEVERE, 20 seeds (200 seeds and 10 solves; since 17:10 UTC on 2026-12-07 the seeds "
        "run 8 to a task, `SEEDS_PER_TASK`, so a row's overhead is shared by 8; since "
        "commit 43ee439 on the same day, on more than one worker the last point's seeds go "
        "in shrinking tasks, guided self-scheduling, and the three figures are drawn as "
        "tasks on the workers instead of one after the other in the client); every Dask "
        "run's rows equal the serial run's. Per-task CPU costs are in the next section.",
        "",
        "| figure | machine | command | median of runs (s) | baseline, same run (s) | result "
        "| target | load, date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    s = data.get("small")
    if s is not None:
        tasks = len(SMALL["teams"]) * (len(SMALL["seeds"]) + 1)
        t_serial, t1, t2 = (statistics.median(s[k]) for k in ("serial", "dask1", "dask2"))
        per_noop = statistics.median(s["noop"]) / (NOOP_POINTS * (NOOP_SEEDS + 1)) * 1000
        per_real = (t1 - t_serial) / tasks * 1000
        when = f"{s['load']}; {s['date']}"
        lines += [
            f"| 200-task sweep, 2 workers vs 1 | {machine} | {command} | 2 workers: "
            f"{fmt(s['dask2'])} | 1 worker: {fmt(s['dask1'])} | speed-up {t1 / t2:.2f}x; "
            f"occupancy {s['occupancy2']:.0%} (1 worker: {s['occupancy1']:.0%}) | >= 1.7x "
            f"| {when} |",
            f"| the same sweep, serial (no Dask) | {machine} | {command} | {fmt(s['serial'])} "
            f"| - | Dask adds {per_real:.1f} ms per row on 1 worker | - | {when} |",
            f"| overhead per row: {NOOP_POINTS * (NOOP_SEEDS + 1):,} no-op rows, 1 worker "
            f"| {machine} | {command} | {fmt(s['noop'])} | - | {per_noop:.1f} ms per row "
            f"| < 50 ms | {when} |",
            f"| LocalCluster start, 1 / 2 workers | {machine} | {command} | "
            f"{s['start1']:.2f} / {s['start2']:.2f} | - | - | - | {when} |",
        ]
    f = data.get("full")
    if f is not None:
        per_task = f["seconds"] / f["rows"] * 2 * 1000
        start = "" if f.get("start") is None else f"; cluster start {f['start']:.1f} s"
        lines.append(
            f"| full grid: 40 teams x 3 threats x 200 seeds, free placement, 7 days, 2 workers "
            f"| {machine} | {command} | {f['seconds']:.0f} (one run) | - | {f['rows']:,} rows, "
            f"{f['solved']} solves; {per_task:.0f} ms per row per worker{start} | - "
            f"| {f['load']}; {f['date']} |"
        )
        if f.get("note"):
            lines += ["", f["note"]]
        lines += ["", "Proportionality points of the full grid (threshold 1% of the harm at "
                  "1 team, `harm_realised`, 95% paired bootstrap over seeds):", ""]  # fmt: skip
        lines += [f"- {p}" for p in f["points"]]
    if data.get("small_history"):
        lines += history_rows(data["small_history"])
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", choices=["all", "small", "full"], default="all",
                        help="small: speed-up and overhead; full: the 24,000-task grid")  # fmt: skip
    args = parser.parse_args()
    data = json.loads(DATA.read_text(encoding="utf-8")) if DATA.is_file() else {}
    today = dt.date.today().isoformat()
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        scratch = Path(tmp)
        if args.part in ("all", "small"):
            timed_sweep(SerialBackend(), {**SMALL, "seeds": range(1)}, scratch / "warm")
            small = speedup(scratch)
            noop = overhead()
            small["noop"] = noop["noop"]
            small["load"] = f"{small['load']}; no-op part {noop['load']}"
            when = dt.datetime.now(dt.UTC).strftime("%H:%M UTC")
            data["small"] = {**small, "date": today, "time": when, "commit": commit()}
            data["small_history"] = [data["small"], *data.get("small_history", [])][:10]
            DATA.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            OUT.write_text(render(data), encoding="utf-8")
        if args.part in ("all", "full"):
            data["full"] = {**full(scratch), "date": today}
            DATA.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    text = render(data)
    OUT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
