"""One sweep from start to finish: grid, tasks, journal, results, figures, proportionality.

:func:`run_sweep` is what ``crowdguard sweep`` calls; it takes data (a scenario, the grid,
the options) and a backend, and writes the sweep folder (:mod:`crowdguard.sweep.results`):
``results.parquet``, ``results.csv``, ``harm.png``, ``response.png``, ``patrol_lost.png``,
``proportionality.json`` and ``sweep.json``. Rerun on the same folder, it resumes: the rows
already in its journal are kept and only the missing (point, seed) tasks run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crowdguard import __version__
from crowdguard.patrols.travel import TravelTimes
from crowdguard.scenario.schema import Scenario, ThreatLevel
from crowdguard.sweep.grid import GridPoint
from crowdguard.sweep.plots import NAMES, draw
from crowdguard.sweep.proportion import (
    DEFAULT_RESAMPLES,
    Proportionality,
    Threshold,
    TodayOnCurve,
    parse_threshold,
    proportionality,
    where_today,
)
from crowdguard.sweep.results import SweepFolder, open_sweep, write_atomic
from crowdguard.sweep.runner import (
    DEFAULT_RETRIES,
    Backend,
    SeedFunction,
    SolveFunction,
    SweepEvent,
    SweepRun,
    run_tasks,
)
from crowdguard.sweep.task import SweepOptions, build_context, simulate_seed, solve_point

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = ["SweepOutcome", "run_sweep"]

DEFAULT_THRESHOLD = "1%"


@dataclass
class SweepOutcome:
    """What a sweep produced: the run's figures, the files, the proportionality points."""

    run: SweepRun
    rows: int
    reused: int
    expected: int
    paths: dict[str, Path]
    points: list[Proportionality] = field(default_factory=list)
    today: TodayOnCurve | None = None
    """Where the scenario's own deployment sits, when the grid holds its team count."""

    @property
    def complete(self) -> bool:
        """Every (point, seed) of the grid has its row."""
        return self.rows >= self.expected and not self.run.failed


def run_sweep(
    scenario: Scenario,
    *,
    teams: Sequence[int],
    threats: Sequence[ThreatLevel],
    seeds: Sequence[int],
    options: SweepOptions,
    out: Path,
    backend: Backend,
    travel: TravelTimes | None = None,
    threshold: Threshold | str = DEFAULT_THRESHOLD,
    metric: str = "harm_realised",
    resamples: int = DEFAULT_RESAMPLES,
    retries: int = DEFAULT_RETRIES,
    fresh: bool = False,
    code_version: str = __version__,
    on_event: Callable[[SweepEvent], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    solve: SolveFunction = solve_point,
    simulate: SeedFunction = simulate_seed,
    security_plans: Mapping[str, SecurityPlan] | None = None,
) -> SweepOutcome:
    """Run the sweep into ``out`` (module docstring); resume what ``out`` already holds.

    ``security_plans``: the venues' linked plans as the loader read them (``None``: read
    once here from the scenario's references).

    ``on_start(to_run, reused)`` is called once the folder is open, before any task runs.
    ``backend`` is entered by the caller (``with DaskBackend(...) as backend``). When the
    grid holds the scenario's own team count at its own threat level, the outcome says where
    that deployment sits on the curve (:func:`~crowdguard.sweep.proportion.where_today`).
    """
    limit = threshold if isinstance(threshold, Threshold) else parse_threshold(threshold)
    context = build_context(
        scenario,
        options,
        travel=travel,
        code_version=code_version,
        security_plans=security_plans,
    )
    points = [GridPoint(t, n) for t in threats for n in teams]
    identity = {
        "scenario": scenario.id,
        "scenario_digest": context.scenario_digest,
        "options": {**options.to_json(), "days_planned": len(context.days)},
        "crowdguard": __version__,
    }
    grid = {
        "teams": list(teams),
        "threats": [t.value for t in threats],
        "seeds": [min(seeds), max(seeds)] if seeds else [],
        "seed_count": len(seeds),
    }
    folder = open_sweep(out, identity, fresh=fresh, grid=grid)
    wanted = {(p.threat.value, p.teams, s) for p in points for s in seeds}
    done = folder.done & wanted
    if on_start is not None:
        on_start(len(wanted) - len(done), len(done))
    try:
        run = run_tasks(
            context,
            points,
            seeds,
            backend=backend,
            done=done,
            on_row=folder.append,
            on_event=on_event,
            retries=retries,
            solve=solve,
            simulate=simulate,
        )
    finally:
        folder.close()
    today = (len(scenario.teams), scenario.threat_level.value)
    return _finish(
        folder, run, wanted, len(done), code_version, limit, metric, resamples, today, backend
    )


def _finish(
    folder: SweepFolder,
    run: SweepRun,
    wanted: set[tuple[str, int, int]],
    reused: int,
    code_version: str,
    threshold: Threshold,
    metric: str,
    resamples: int,
    today: tuple[int, str],
    backend: Backend,
) -> SweepOutcome:
    """Write results, proportionality points and figures from the journal's rows.

    The figures are drawn as tasks on ``backend`` (:func:`_draw_figures`), the two that
    need only the rows while the results and the proportionality points are worked out
    here."""
    rows = [r for r in folder.sorted_rows() if (r["threat"], r["teams"], r["seed"]) in wanted]
    figures = _Figures(backend, rows) if rows else None
    paths = folder.write_results()
    points: list[Proportionality] = []
    placed: TodayOnCurve | None = None
    teams_per_threat: dict[str, set[int]] = {t: set() for t, _, _ in wanted}
    for r in rows:
        teams_per_threat[r["threat"]].add(r["teams"])
    if rows and all(len(v) >= 2 for v in teams_per_threat.values()):
        points = proportionality(rows, threshold=threshold, metric=metric, resamples=resamples)
        teams, threat = today
        if any(r["threat"] == threat and r["teams"] == teams for r in rows):
            placed = where_today(rows, teams=teams, threat=threat, threshold=threshold,
                                 metric=metric, resamples=resamples)  # fmt: skip
        document: dict[str, Any] = {
            "definition": "the smallest deployment past which every further team reduces "
            f"mean {metric} by less than the threshold per team",
            "threshold": str(threshold),
            "metric": metric,
            "points": [p.to_json() for p in points],
        }
        if placed is not None:
            document["today"] = {
                "teams": placed.teams,
                "threat": placed.threat,
                "team_hours": placed.team_hours,
                "harm": placed.harm,
                "next_team_reduces": placed.next_team_reduces,
                "position": placed.position,
                "summary": placed.describe(),
            }
        text = json.dumps(document, indent=2) + "\n"
        path = folder.path / "proportionality.json"
        write_atomic(path, lambda h: h.write(text))
        paths["proportionality"] = path
    if figures is not None:
        paths.update(figures.finish(points, placed, folder.path))
    folder.save_manifest(
        code_version=code_version,
        last_run={
            "backend": run.backend,
            "workers": run.workers,
            "rows_computed": run.computed,
            "rows_reused": reused,
            "points_solved": run.solved,
            "seconds": round(run.seconds, 3),
            "retried": [f.to_json() for f in run.retried],
            "failed": [f.to_json() for f in run.failed],
        },
    )
    paths["manifest"] = folder.path / "sweep.json"
    return SweepOutcome(
        run=run,
        rows=len(rows),
        reused=reused,
        expected=len(wanted),
        paths=paths,
        points=points,
        today=placed,
    )


@dataclass(frozen=True)
class _Rows:
    """The rows, shipped to the workers as one object."""

    rows: list[dict[str, Any]]


def _draw(name: str, shared: _Rows, *args: Any) -> bytes:
    """A figure task (:func:`crowdguard.sweep.plots.draw`)."""
    return draw(name, shared.rows, *args)


class _Figures:
    """The sweep's figures drawn as tasks on its backend (:func:`crowdguard.sweep.plots.draw`):
    on Dask they are drawn side by side on the workers, the rows shipped once
    (``Backend.share``), instead of one after the other in this process after the tasks
    (they were a tenth of the 200-task sweep's time, issue 16's figure). A figure whose task
    fails is drawn here."""

    def __init__(self, backend: Backend, rows: list[dict[str, Any]]) -> None:
        self.backend = backend
        self.rows = rows
        self.token = uuid.uuid4().hex[:8]
        self.shared = backend.share(_Rows(rows))  # one object: a list would scatter per row
        self.handles: dict[Any, str] = {}
        for name in NAMES:
            if name != "harm":  # the rows are all they need: started now
                self._submit(name)

    def _submit(self, name: str, *args: Any) -> None:
        handle = self.backend.submit(_draw, name, self.shared, *args,
                                     key=f"crowdguard-sweep-{self.token}-figure-{name}",
                                     priority=2)  # fmt: skip
        self.handles[handle] = name

    def finish(
        self, points: Sequence[Proportionality], today: TodayOnCurve | None, folder: Path
    ) -> dict[str, Path]:
        """Draw the harm figure (it shows the points and today's deployment), wait for all
        three and write them into ``folder``."""
        self._submit("harm", list(points), today)
        drawn: dict[str, bytes] = {}
        for handle in self.backend.completed():
            name = self.handles.pop(handle, None)
            if name is None:
                continue
            value, error = self.backend.outcome(handle)
            self.backend.release(handle)
            drawn[name] = value if error is None else draw(name, self.rows, points, today)
            if not self.handles:
                break
        paths = {}
        for name in NAMES:
            png = drawn[name] if name in drawn else draw(name, self.rows, points, today)
            paths[name] = folder / f"{name}.png"
            write_atomic(paths[name], lambda h, png=png: h.write(png), binary=True)
        return paths
