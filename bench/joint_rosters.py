"""Figure (issue 10, section 1): joint rosters, how long they take and how often they are exact.

Every day of the demo season (or the first ``--days``) is planned as ``plan_day`` plans it,
with joint rosters: column generation over whole-force schedules whose protection equals the
certified coverage (:mod:`crowdguard.patrols.joint`). Two ways in the same run:

* **ours**: schedules priced first by shortest paths (the pricing MILP only when those do
  not improve the master), and widened to the whole graph when the equilibrium's own arcs
  hold no exact mixture;
* **baseline**: every schedule priced by the MILP, over the equilibrium's arcs only (the
  column generation as it was before, with its cap of 200 schedules).

Per day: seconds in the column generation (wall and this process's CPU, which other work on
the box does not inflate), schedules found, and whether the rosters deliver the certified
coverage exactly (otherwise the day is certified over the schedules found and the gap is
reported, as in the plan).

    python bench/joint_rosters.py [--days 12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from crowdguard.patrols import dayplan, joint
from crowdguard.patrols.travel import scenario_travel
from crowdguard.risk import build_targets
from crowdguard.scenario import demo_scenario

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "joint-rosters.md"


def _plan(scenario: Any, day: dt.date, travel: Any, baseline: bool) -> dict[str, Any]:
    spent = {"cpu": 0.0}

    def timed(*args: Any, **kwargs: Any) -> Any:
        if baseline:
            kwargs = {**kwargs, "graph": None, "widen": False, "max_columns": 200}
        began = time.process_time()
        try:
            return joint.joint_schedules(*args, **kwargs)
        finally:
            spent["cpu"] += time.process_time() - began

    original = dayplan.joint_schedules
    dayplan.joint_schedules = timed
    try:
        plan = dayplan.plan_day(scenario, day, build_targets(scenario, days=[day]), travel)
    finally:
        dayplan.joint_schedules = original
    c = plan.certificate
    return {
        "seconds": float(c["joint_seconds"]),
        "cpu": spent["cpu"],
        "columns": int(c["joint_columns"]),
        "exact": bool(c["joint_exact"]),
        "harm": -plan.defender_utility,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=12, help="first K days of the demo")
    args = parser.parse_args()
    scenario = demo_scenario()
    travel = scenario_travel(scenario)
    days = scenario.days[: args.days]
    load = os.getloadavg()[0]
    rows, ours, base = [], [], []
    for day in days:
        fast = _plan(scenario, day, travel, baseline=False)
        slow = _plan(scenario, day, travel, baseline=True)
        ours.append(fast)
        base.append(slow)
        rows.append(
            f"| {day.isoformat()} | {fast['seconds']:.2f} | {fast['cpu']:.2f} | "
            f"{fast['columns']} | {'yes' if fast['exact'] else 'no'} | {fast['harm']:.2f} | "
            f"{slow['seconds']:.2f} | {slow['cpu']:.2f} | {slow['columns']} | "
            f"{'yes' if slow['exact'] else 'no'} | {slow['harm']:.2f} |"
        )
        print(rows[-1], flush=True)
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"

    def spread(values: list[float]) -> str:
        return (
            f"median {statistics.median(values):.2f} s, p95 {np.percentile(values, 95):.2f} s, "
            f"worst {max(values):.2f} s"
        )

    text = [
        "# Benchmarks: joint rosters (issue 10, section 1)",
        "",
        f"Measured on {dt.date.today().isoformat()}, {machine}, load average {load:.1f} at the "
        f"start and {os.getloadavg()[0]:.1f} at the end (the box was shared with other work: "
        "wall times are pessimistic; CPU times are this process's own). Rerun with "
        "`python bench/joint_rosters.py`.",
        "",
        "| figure | machine | command | ours | baseline, same run | exact days (ours / baseline) |",
        "|---|---|---|---|---|---|",
        f"| joint rosters of one demo day, first {len(days)} days | {machine} | "
        f"`python bench/joint_rosters.py --days {len(days)}` | wall "
        f"{spread([r['seconds'] for r in ours])}; CPU {spread([r['cpu'] for r in ours])} | "
        f"MILP pricing only: wall {spread([r['seconds'] for r in base])}; CPU "
        f"{spread([r['cpu'] for r in base])} | {sum(r['exact'] for r in ours)} / "
        f"{sum(r['exact'] for r in base)} of {len(days)} |",
        "",
        "Harm is the certified expected harm of the day's plan (people); on a day that is not "
        "exact it is certified over the schedules found.",
        "",
        "| day | ours (s) | ours, CPU (s) | schedules | exact | harm | baseline (s) | "
        "baseline, CPU (s) | schedules | exact | harm |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    OUT.write_text("\n".join(text))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
