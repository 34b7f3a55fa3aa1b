"""Figures (issue 10, section 4): a one-day plan end to end, and the whole demo season, by phase.

``crowdguard demo --days 1`` must take under 5 s end to end, the whole demo season under
30 s. Each run is a fresh Python process (imports count) running the command as a planner
would; inside it, the time goes to the phase being run, each phase timed *exclusively* (a
phase inside another is taken out of the outer one's time), so the phases add up to the
run's wall time:

* **import**: Python imports (outermost ``import`` statements and ``importlib.import_module``
  calls), wherever they happen;
* **load**: reading the scenario and its security plans;
* **solve**: the season's equilibrium (and, for the season, every day's work done in the
  solver's worker processes, seen as the wait for them);
* **joint rosters**: the whole-force schedules of days solved in this process
  (:func:`crowdguard.patrols.joint.joint_schedules`);
* **visibility curve**: the price-of-visibility what-if;
* **what-ifs**: the security-plan what-ifs (:func:`crowdguard.plans.influence.plan_influence`);
* **report figures**: the heatmaps, the maps and the curves (Matplotlib);
* **report**: the rest of the HTML report (tables, template);
* **PDF letters** and **letters (md/html)**: the advice letters;
* **rosters**: the roster draws; **plan.json**: the plan's JSON;
* **writing**: the rest of writing the folder; **other**: the rest (the CLI, the summary
  printed, Python's start and exit are outside the process's own clock and are in the wall
  time only).

The baseline is another commit (default ``main``'s head when this is run from a branch,
``--baseline REF``) measured in the same run, interleaved with the current tree: its
``src/`` is exported with ``git archive`` and put first on ``PYTHONPATH`` (same virtualenv).

Run: ``python bench/plan_phases.py`` (both figures, 5 runs of the day and 3 of the season
each), ``--part day`` or ``--part season``, ``--baseline REF``, ``--runs N``. Writes
``docs/benchmarks/plan-speed.md`` (the day and season parts' last figures are kept in
``docs/benchmarks/plan-speed-data.json`` so one part can be rerun alone).
"""

from __future__ import annotations

import argparse
import builtins
import datetime as dt
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "plan-speed.md"
DATA = ROOT / "docs" / "benchmarks" / "plan-speed-data.json"
PHASES = [
    "import",
    "load",
    "solve",
    "joint rosters",
    "visibility curve",
    "what-ifs",
    "report figures",
    "report",
    "PDF letters",
    "letters (md/html)",
    "rosters",
    "plan.json",
    "writing",
    "other",
]
TARGETS = {"day": 5.0, "season": 30.0}
ARGS = {"day": ["--days", "1"], "season": []}


# -- the child: one run, timed by phase ------------------------------------------------------


class Clock:
    """Exclusive time per phase on the main thread: a stack of running phases."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.stack: list[list[Any]] = [["other", time.perf_counter()]]
        self.main = threading.main_thread()

    def enter(self, phase: str) -> bool:
        if threading.current_thread() is not self.main:
            return False
        now = time.perf_counter()
        top = self.stack[-1]
        self.totals[top[0]] += now - top[1]
        self.stack.append([phase, now])
        return True

    def leave(self) -> None:
        now = time.perf_counter()
        phase, began = self.stack.pop()
        self.totals[phase] += now - began
        self.stack[-1][1] = now

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            entered = self.enter(phase)
            try:
                return function(*args, **kwargs)
            finally:
                if entered:
                    self.leave()

        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper


def _patch(clock: Clock, module: str, name: str, phase: str) -> None:
    """Time ``module.name`` (a function, or ``Class.method``) as ``phase``, if it exists."""
    try:
        owner: Any = importlib.import_module(module)
    except ImportError:
        return
    *path, last = name.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return
    function = getattr(owner, last, None)
    if function is not None:
        setattr(owner, last, clock.timed(phase, function))


def child(argv: list[str]) -> None:
    """Run ``crowdguard demo`` with ``argv`` and print the phases' times as JSON."""
    began = time.perf_counter()
    clock = Clock()
    real_import = builtins.__import__
    real_import_module = importlib.import_module
    depth = [0]

    def counted(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outermost = depth[0] == 0
            entered = outermost and clock.enter("import")
            depth[0] += 1
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if entered:
                    clock.leave()

        return wrapper

    builtins.__import__ = counted(real_import)
    importlib.import_module = counted(real_import_module)  # type: ignore[assignment]
    # the phases, patched where they are looked up (their modules imported now count as import)
    for module, name, phase in [
        ("crowdguard.cli.plan", "_load", "load"),
        ("crowdguard.pipeline", "solve_plan", "solve"),
        ("crowdguard.patrols.dayplan", "joint_schedules", "joint rosters"),
        ("crowdguard.pipeline", "_visibility_curve", "visibility curve"),
        ("crowdguard.pipeline", "plan_influence", "what-ifs"),
        ("crowdguard.report.html", "heatmap_png", "report figures"),
        ("crowdguard.report.html", "venue_map_svg", "report figures"),
        ("crowdguard.report.html", "tradeoff_png", "report figures"),
        ("crowdguard.report.html", "sweep_position_png", "report figures"),
        ("crowdguard.report.html", "render_report", "report"),
        ("crowdguard.plans.letter", "render_pdf", "PDF letters"),
        ("crowdguard.plans.letter", "render_letter", "letters (md/html)"),
        ("crowdguard.patrols.planner", "PatrolPlan.rosters", "rosters"),
        ("crowdguard.patrols.planner", "PatrolPlan.plan_json", "plan.json"),
        ("crowdguard.report.output", "write_plan_outputs", "writing"),
    ]:
        _patch(clock, module, name, phase)
    from crowdguard.cli.main import main as cli

    sys.argv = ["crowdguard", "demo", *argv]
    try:
        cli()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    top = clock.stack[-1]
    clock.totals[top[0]] += time.perf_counter() - top[1]
    clock.totals["total in process"] = time.perf_counter() - began
    print("PHASES " + json.dumps(clock.totals), file=sys.__stderr__)


# -- the parent: runs, baseline, tables ------------------------------------------------------


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def export(ref: str, folder: Path) -> tuple[Path, str]:
    """``ref``'s ``src/`` under ``folder``; returns it and the short commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src", commit


def one_run(src: Path, part: str, out: Path, seed: int) -> dict[str, float]:
    """One run in a fresh process; the phases and the wall time seen from outside."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--",
        *ARGS[part],
        "--seed",
        str(seed),
        "-q",
        "--out",
        str(out),
    ]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=src.parent)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"run failed ({src}):\n{done.stderr[-3000:]}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("PHASES "))
    phases: dict[str, float] = json.loads(line[len("PHASES ") :])
    phases["wall"] = wall
    return phases


def measure(part: str, runs: int, baseline: str) -> dict[str, Any]:
    """``runs`` runs of the current tree and of ``baseline``, interleaved."""
    with tempfile.TemporaryDirectory() as folder:
        base_src, base_commit = export(baseline, Path(folder))
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "src"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        before = load_average()
        results: dict[str, list[dict[str, float]]] = {"current": [], "baseline": []}
        for run in range(runs):
            for which, src in (("current", ROOT / "src"), ("baseline", base_src)):
                phases = one_run(src, part, Path(folder) / f"out-{which}", seed=run)
                results[which].append(phases)
                print(f"{part} run {run + 1} {which}: {phases['wall']:.2f} s", file=sys.stderr)
        after = load_average()
    return {
        "part": part,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": head + (" + uncommitted changes" if dirty else ""),
        "baseline": f"{baseline} ({base_commit})",
        "load": f"{before} before, {after} after",
        "runs": results,
    }


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r.get(key, 0.0) for r in runs)


def tables(data: dict[str, Any]) -> list[str]:
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    lines = [
        "| figure | machine | command | median of runs (s) | baseline, same run (s) | target "
        "| met | load (1 / 5 min), date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {"day": "`crowdguard demo --days 1`", "season": "`crowdguard demo` (37 days)"}
    for part in ("day", "season"):
        if part not in data:
            continue
        d = data[part]
        current, base = d["runs"]["current"], d["runs"]["baseline"]
        walls = ", ".join(f"{r['wall']:.2f}" for r in current)
        base_walls = ", ".join(f"{r['wall']:.2f}" for r in base)
        m = median(current, "wall")
        lines.append(
            f"| {names[part]} end to end | {machine} | `python bench/plan_phases.py --part {part}` "
            f"| {m:.2f} (runs {walls}; code {d['code']}) "
            f"| {median(base, 'wall'):.2f} (runs {base_walls}; {d['baseline']}) "
            f"| < {TARGETS[part]:g} s | {'yes' if m < TARGETS[part] else 'no'} "
            f"| {d['load']}; {d['date']} |"
        )
    for part in ("day", "season"):
        if part not in data:
            continue
        d = data[part]
        current, base = d["runs"]["current"], d["runs"]["baseline"]
        lines += [
            "",
            f"Where the time goes, {names[part]} (median of each phase over the runs, "
            "exclusive: the phases add up to the time in the process; Python's start and "
            "exit make the rest of the wall time):",
            "",
            "| phase | now (s) | baseline (s) |",
            "|---|---|---|",
        ]
        for phase in [*PHASES, "total in process", "wall"]:
            now, then = median(current, phase), median(base, phase)
            if phase in PHASES and now < 0.005 and then < 0.005:
                continue
            label = {"total in process": "**in the process**", "wall": "**wall**"}.get(phase, phase)
            lines.append(f"| {label} | {now:.2f} | {then:.2f} |")
    return lines


HEADER = """# Benchmarks: a plan end to end, by phase (issue 10, section 4)

`python bench/plan_phases.py` runs `crowdguard demo --days 1 -q` (five times) and the whole
demo season, `crowdguard demo -q` (three times), each in a fresh Python process as a planner
would run them, interleaved with the same runs of the baseline commit (its `src/` exported
with `git archive`, same virtualenv). Inside each run the time is split into phases, each
timed exclusively (the bench script's docstring lists them); *wall* is measured from outside
and includes Python's start and exit. The box has 2 cores shared with other engineers' work:
the load average (1 / 5 minutes) before and after is given with each figure."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--part", choices=["day", "season", "all"], default="all")
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child:
        child(args.rest)
        return
    data: dict[str, Any] = json.loads(DATA.read_text()) if DATA.exists() else {}
    for part in ("day", "season") if args.part == "all" else (args.part,):
        runs = args.runs or (5 if part == "day" else 3)
        data[part] = measure(part, runs, args.baseline)
    text = "\n".join([HEADER, "", *tables(data)]) + "\n"
    print(text)
    if not args.no_write:
        DATA.write_text(json.dumps(data, indent=1) + "\n")
        OUT.write_text(text)


if __name__ == "__main__":
    main()
