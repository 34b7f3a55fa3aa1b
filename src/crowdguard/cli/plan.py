"""``crowdguard plan`` and ``crowdguard demo``: solve a season and write its outputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crowdguard.errors import InputError
from crowdguard.scenario.schema import Scenario

__all__ = ["register", "run_plan"]

DEFAULT_DEMO_OUT = Path("crowdguard-demo")

SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Make roster draws reproducible (tests, audits). Without it draws use `secrets`.",
        min=0,
    ),
]
DaysOption = Annotated[
    int | None, typer.Option("--days", help="Plan only the first K days of the period.", min=1)
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the report path.")]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="routes: walkable routes from each team's base (default); "
        "free: teams placed anywhere in each slot (fast what-ifs).",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", help="Processes solving days in parallel (default: all cores).", min=1
    ),
]
RouteDayOption = Annotated[
    str | None,
    typer.Option(
        "--route-day",
        help="Date (YYYY-MM-DD) whose drawn routes the report maps (default: the riskiest day).",
    ),
]


def _load(spec: str) -> Scenario:
    from crowdguard.scenario.load import demo_scenario, load_scenario

    if spec == "demo":
        return demo_scenario()
    path = Path(spec)
    if not path.exists():
        raise InputError(f"SCENARIO {spec}: no such file (give a YAML scenario or 'demo')")
    return load_scenario(path)


def run_plan(
    scenario: Scenario,
    out: Path,
    *,
    seed: int | None,
    days: int | None,
    quiet: bool,
    mode: str = "routes",
    workers: int | None = None,
    route_day: str | None = None,
) -> Path:
    """Solve, write the output folder, print the summary; returns the report path."""
    from crowdguard.patrols.planner import make_plan
    from crowdguard.plans.influence import attach_influence
    from crowdguard.report.html import plan_review_summaries, venue_summaries
    from crowdguard.report.output import write_plan_outputs

    console = Console(stderr=quiet)
    if not console.is_terminal:
        console = Console(stderr=quiet, width=150)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    ) as progress:
        if mode not in ("routes", "free"):
            raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
        horizon = scenario.days[:days] if days else scenario.days
        chosen_route_day = None
        if route_day is not None:
            try:
                chosen_route_day = dt.date.fromisoformat(route_day)
            except ValueError:
                raise InputError(f"--route-day {route_day!r}: expected a date YYYY-MM-DD") from None
            if chosen_route_day not in horizon:
                raise InputError(
                    f"--route-day {route_day}: outside the planned days "
                    f"{horizon[0].isoformat()}..{horizon[-1].isoformat()}"
                )
        task = progress.add_task("solving", total=1.0)

        def update(fraction: float, label: str) -> None:
            progress.update(task, completed=fraction, description=f"solving {label}")

        plan = make_plan(
            scenario,
            seed=seed,
            days=days,
            progress=update,
            mode="free" if mode == "free" else "routes",
            workers=workers,
        )
        if plan.linked_plans:
            progress.update(task, description="security plans: what-if resolved", completed=1.0)
            attach_influence(plan)
        progress.update(task, description="writing report", completed=1.0)
        notes: list[str] = []
        paths = write_plan_outputs(plan, out, notes=notes, route_day=chosen_route_day)
    for note in notes:
        Console(stderr=True).print(f"[yellow]{note}[/yellow]")
    report = paths["report"]
    if quiet:
        typer.echo(str(report))
        return report

    table = Table(
        title=f"{scenario.name}: {plan.days[0]:%d %b %Y} to {plan.days[-1]:%d %b %Y}, "
        f"threat {scenario.threat_level}, {len(scenario.teams)} teams",
        title_justify="left",
    )
    for column, justify in (
        ("Venue", "left"),
        ("Town", "left"),
        ("Mean cover", "right"),
        ("Patrol h", "right"),
        ("Mean risk", "right"),
        ("Peak risk", "right"),
        ("Peak slot", "left"),
        ("Cover at peak", "right"),
    ):
        table.add_column(
            column,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=column == "Venue",
            overflow="ellipsis",
            max_width=38 if column == "Venue" else None,
        )
    for v in venue_summaries(plan):
        table.add_row(
            v.name,
            v.town,
            f"{v.mean_coverage:.2f}",
            f"{v.patrol_hours:.0f}",
            f"{v.mean_risk:.1f}",
            f"{v.peak_risk:.1f}",
            v.peak_slot,
            f"{v.peak_slot_coverage:.2f}",
        )
    console.print(table)
    reviews = plan_review_summaries(plan)
    if reviews:
        moved = Table(title="Security plans that moved coverage", title_justify="left")
        for column, justify in (
            ("Venue", "left"),
            ("Verdict", "left"),
            ("Findings moving risk", "left"),
            ("x veh/mar/ied", "right"),
            ("Cover", "right"),
            ("If resolved", "right"),
            ("Patrol h moved", "right"),
        ):
            moved.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in reviews:
            m = r.multipliers
            moved.add_row(
                r.venue_name,
                r.verdict,
                " ".join(rule for rule, _ in r.findings) or "none",
                f"{m['vehicle']:.2f}/{m['marauding']:.2f}/{m['ied']:.2f}",
                f"{r.mean_coverage:.3f}",
                "-"
                if r.mean_coverage_if_resolved is None
                else f"{r.mean_coverage_if_resolved:.3f}",
                "-" if r.patrol_hours_delta is None else f"{r.patrol_hours_delta:+.1f}",
            )
        console.print(moved)
    verdict = "[green]holds[/green]" if plan.certificate.get("holds") else "[red]FAILED[/red]"
    console.print(
        f"Expected harm against a best-informed attacker: [bold]{-plan.defender_utility:.1f}[/bold] "
        f"people (attacker's best: {plan.attacked_target}); certificate {verdict}; "
        f"solved {len(plan.targets)} venue-slots in {plan.seconds:.2f} s."
    )
    draw = "seeded (reproducible)" if seed is not None else "drawn with `secrets`"
    console.print(f"Rosters ({draw}): {paths['rosters']}/")
    if "letters" in paths:
        console.print(f"Advice letters: {paths['letters']}/")
    console.print(f"Report: [bold]{report}[/bold]")
    return report


def plan_command(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file, or 'demo'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    seed: SeedOption = None,
    days: DaysOption = None,
    quiet: QuietOption = False,
    mode: ModeOption = "routes",
    workers: WorkersOption = None,
    route_day: RouteDayOption = None,
) -> None:
    """Solve a season's patrol plan; write plan.json, rosters/ and report.html into --out."""
    run_plan(
        _load(scenario),
        out,
        seed=seed,
        days=days,
        quiet=quiet,
        mode=mode,
        workers=workers,
        route_day=route_day,
    )


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = DEFAULT_DEMO_OUT,
    seed: SeedOption = None,
    days: DaysOption = None,
    quiet: QuietOption = False,
    mode: ModeOption = "routes",
    workers: WorkersOption = None,
    route_day: RouteDayOption = None,
) -> None:
    """Plan the embedded Hampshire & Isle of Wight demo season (27 Nov 2026 to 2 Jan 2027)."""
    run_plan(
        _load("demo"),
        out,
        seed=seed,
        days=days,
        quiet=quiet,
        mode=mode,
        workers=workers,
        route_day=route_day,
    )


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``demo`` to the root app."""
    app.command("plan")(plan_command)
    app.command("demo")(demo_command)
