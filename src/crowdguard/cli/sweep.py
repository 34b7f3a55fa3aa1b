"""``crowdguard sweep SCENARIO``: what-if sweeps over team counts and threat levels on Dask.

The work is :func:`crowdguard.sweep.run_sweep`; this module parses the options, picks the
backend (a local Dask cluster by default, ``--scheduler ADDRESS`` for an existing one,
``--serial`` for none), shows a Rich progress bar over the tasks and prints the
proportionality points. See ``docs/howto/run-a-sweep.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from crowdguard.errors import InputError

if TYPE_CHECKING:
    from crowdguard.sweep import SweepEvent, SweepOutcome

__all__ = ["register", "sweep_command"]


def _code_version() -> str:
    """The package version, plus the git commit when run from a checkout (``0.1.0+g1a2b3c4``).

    A checkout with uncommitted changes says so (``0.1.0+g1a2b3c4-dirty``): its rows may not
    be reproducible from the commit alone.
    """
    import subprocess

    from crowdguard import __version__

    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            [
                *("git", "-C", str(here), "describe", "--always", "--dirty"),
                *("--abbrev=10", "--match=NOMATCH"),
            ],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return __version__
    sha = result.stdout.strip()
    return f"{__version__}+g{sha}" if result.returncode == 0 and sha else __version__


def _summary(console: Console, outcome: SweepOutcome) -> None:
    points = outcome.points
    if points:
        first = points[0]
        table = Table(
            title=f"Proportionality points ({first.metric}, threshold {first.threshold_spec})",
            title_justify="left",
        )
        for column in ("Threat", "Teams", "Team-hours", "Interval (teams)", "Threshold/team",
                       "Seeds"):  # fmt: skip
            table.add_column(column, justify="left" if column == "Threat" else "right")
        for p in points:
            if p.teams is None:
                teams, hours = "beyond grid", "-"
            else:
                teams = str(p.teams)
                hours = "-" if p.team_hours is None else f"{p.team_hours:,.0f}"
            if p.exact:
                interval = "exact"
            else:
                low = "beyond" if p.low is None else str(p.low)
                high = "beyond" if p.high is None else str(p.high)
                interval = f"{low}-{high}"
            table.add_row(p.threat, teams, hours, interval, f"{p.threshold:.3g}", str(p.seeds))
        console.print(table)
    if outcome.today is not None:
        console.print(f"Today's deployment: {outcome.today.describe()}")
    run = outcome.run
    rate = f"{run.seconds / run.computed * 1000:.0f} ms/row" if run.computed else "-"
    console.print(
        f"{outcome.rows} rows ({run.computed} computed, {outcome.reused} reused from the "
        f"journal) on {run.backend} with {run.workers} worker(s) in {run.seconds:.1f} s ({rate})."
    )
    if run.retried:
        console.print(f"[yellow]{len(run.retried)} failed attempt(s) retried:[/yellow]")
        for f in run.retried[:10]:
            console.print(f"  {f.task} (attempt {f.attempt}): {f.error}")
    folder = outcome.paths["manifest"].parent
    names = ", ".join(p.name for k, p in outcome.paths.items() if k != "manifest")
    console.print(f"Wrote {names} in {folder}/")


def sweep_command(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file, or 'demo'.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for results, figures and the journal.")
    ],
    teams: Annotated[
        str | None,
        typer.Option(
            "--teams",
            help="Team counts: A:B (inclusive), A:B:STEP or a list 4,8,12 "
            "(default 1 to twice the scenario's teams).",
        ),
    ] = None,
    threat: Annotated[
        str | None,
        typer.Option(
            "--threat",
            help="Threat levels, comma-separated, e.g. SUBSTANTIAL,SEVERE,CRITICAL "
            "(default: the scenario's own).",
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option("--seeds", help="Seeds per grid point (rosters and incidents).", min=1)
    ] = 200,
    first_seed: Annotated[
        int, typer.Option("--first-seed", help="First seed (seeds run from it upwards).", min=0)
    ] = 0,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Local Dask workers (default: one per core).", min=1),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786."
        ),
    ] = None,
    serial: Annotated[
        bool,
        typer.Option("--serial", help="Run in this process without Dask (checks, debugging)."),
    ] = False,
    days: Annotated[
        int | None, typer.Option("--days", help="Plan only the first K days.", min=1)
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode", help="routes: walkable routes (default, as `plan`); free: fast what-ifs."
        ),
    ] = "routes",
    incidents: Annotated[
        float,
        typer.Option(
            "--incidents",
            help="Armed calls expected over the scenario's whole period (prorated by --days).",
        ),
    ] = 200.0,
    max_variants: Annotated[
        int | None,
        typer.Option("--max-variants", help="As `plan`: at most K routes per team per day.", min=1),
    ] = None,
    response_floor: Annotated[
        float | None,
        typer.Option("--response-floor", help="As `plan`: keep a team within reach with P."),
    ] = None,
    response_min_crowd: Annotated[
        float | None,
        typer.Option("--response-min-crowd", help="As `plan`: where at least N people.", min=0),
    ] = None,
    visibility_floor: Annotated[
        float | None,
        typer.Option("--visibility-floor", help="As `plan`: shoppers passing a patrol per day."),
    ] = None,
    road_graph: Annotated[
        Path | None,
        typer.Option("--road-graph", help="As `plan`: travel times from a GraphML or OSM file."),
    ] = None,
    threshold: Annotated[
        str,
        typer.Option(
            "--threshold",
            help="Harm one more team must remove to count: a number per team, or a percentage "
            "of the harm at the fewest teams (default 1%).",
        ),
    ] = "1%",
    metric: Annotated[
        str,
        typer.Option(
            "--metric",
            help="Harm the proportionality point is read from: harm_realised (default, with a "
            "bootstrap interval), harm_stated, harm_daily or harm_worst_tie.",
        ),
    ] = "harm_realised",
    retries: Annotated[
        int, typer.Option("--retries", help="Retries of a failed task before it is reported.")
    ] = 2,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Discard what --out holds instead of resuming it.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Sweep team counts x threat levels x seeds; write results, figures, proportionality."""
    from crowdguard.cli.plan import _load
    from crowdguard.sweep import (
        DaskBackend,
        SerialBackend,
        SweepOptions,
        parse_teams,
        parse_threats,
        parse_threshold,
        run_sweep,
    )
    from crowdguard.sweep.proportion import HARM_METRICS

    if serial and (workers is not None or scheduler is not None):
        raise InputError("--serial: runs without Dask; drop --workers/--scheduler")
    if metric not in HARM_METRICS:
        raise InputError(f"--metric {metric!r}: expected one of {', '.join(HARM_METRICS)}")
    if retries < 0:
        raise InputError(f"--retries {retries}: expected 0 or more")
    if not math.isfinite(incidents) or incidents < 0:
        raise InputError(f"--incidents {incidents}: expected a number >= 0")
    if response_min_crowd is not None and response_floor is None:
        raise InputError("--response-min-crowd: needs --response-floor P (0 < P < 1)")
    limit = parse_threshold(threshold)
    inputs = _load(scenario)
    loaded = inputs.scenario
    counts = parse_teams(teams) if teams is not None else list(range(1, 2 * len(loaded.teams) + 1))
    levels = parse_threats(threat) if threat is not None else [loaded.threat_level]
    if mode not in ("routes", "free"):
        raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
    travel = None
    travel_model = "straight-line"
    if road_graph is not None:
        from crowdguard.patrols.travel import places_of, road_graph_travel

        travel = road_graph_travel(places_of(loaded), road_graph)
        travel_model = f"road graph {road_graph.name}"
    options = SweepOptions(
        days=days,
        mode="free" if mode == "free" else "routes",
        expected_incidents=incidents,
        max_variants=max_variants,
        response_floor=response_floor,
        response_min_crowd=response_min_crowd or 0.0,
        visibility_floor=visibility_floor,
        travel_model=travel_model,
    )
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    backend = SerialBackend() if serial else DaskBackend(workers=workers, scheduler=scheduler)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    )
    task = progress.add_task("starting", total=None)

    def started(to_run: int, reused: int) -> None:
        note = f" ({reused} rows reused from {out}/journal.jsonl)" if reused else ""
        progress.update(task, total=to_run, completed=0, description=f"sweeping{note}")

    def follow(event: SweepEvent) -> None:
        progress.update(task, completed=event.done)
        if event.kind in ("retry", "failed") and event.failure is not None:
            verb = "retrying" if event.kind == "retry" else "FAILED"
            progress.console.print(
                f"[yellow]{event.failure.task}: attempt {event.failure.attempt} failed "
                f"({event.failure.error}); {verb}[/yellow]"
            )

    try:
        with progress:
            progress.update(task, description="starting the cluster" if not serial else "starting")
            with backend:
                where = getattr(backend, "address", "") or "this process"
                progress.update(task, description=f"connected to {where}")
                outcome = run_sweep(
                    loaded,
                    teams=counts,
                    threats=levels,
                    seeds=range(first_seed, first_seed + seeds),
                    options=options,
                    out=out,
                    backend=backend,
                    travel=travel,
                    security_plans=inputs.security_plans,
                    threshold=limit,
                    metric=metric,
                    retries=retries,
                    fresh=fresh,
                    code_version=_code_version(),
                    on_event=follow,
                    on_start=started,
                )
    except KeyboardInterrupt:
        journal = out / "journal.jsonl"
        kept = sum(1 for _ in journal.open(encoding="utf-8")) if journal.is_file() else 0
        typer.echo(
            f"crowdguard: interrupted; {kept} finished row(s) kept in {journal}; rerun the same "
            "command to resume",
            err=True,
        )
        raise typer.Exit(130) from None
    _summary(console, outcome)
    if outcome.run.failed:
        first = outcome.run.failed[0]
        typer.echo(
            f"crowdguard: error: {len(outcome.run.failed)} task(s) failed after {retries + 1} "
            f"attempt(s), first {first.task}: {first.error}; their rows are missing from the "
            f"results (listed in {out}/sweep.json); rerun the same command to retry only them",
            err=True,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the top-level ``sweep`` command."""
    app.command("sweep")(sweep_command)
