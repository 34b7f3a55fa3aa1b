"""``crowdguard plan`` and ``crowdguard demo``: solve a season and write its outputs.

The patrol options a planner needs (routes mode): ``--pin`` / ``--forbid`` (the ARMOR
"add/suppress" control, Pita et al., AAMAS 2008, shown with what it costs),
``--max-variants``, ``--response-floor`` with ``--response-min-crowd``,
``--visibility-floor``, and ``--road-graph`` (travel times from a local GraphML or OSM XML
road map); see ``docs/howto/plan-patrols.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from crowdguard.cli.progress import long_run
from crowdguard.errors import InputError
from crowdguard.scenario.schema import Scenario

if TYPE_CHECKING:
    from crowdguard.patrols.planner import PatrolPlan
    from crowdguard.patrols.season_routes import DatedOverride
    from crowdguard.pipeline import PlanInputs

__all__ = ["parse_override", "register", "run_plan"]

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

OVERRIDE_FORM = "TEAM@VENUE@YYYY-MM-DDTHH:MM"
PinOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pin",
        help=f"Put a team at a venue in the slot holding a time: {OVERRIDE_FORM} "
        "(repeatable; routes mode; its cost is reported).",
    ),
]
ForbidOption = Annotated[
    list[str] | None,
    typer.Option(
        "--forbid",
        help=f"Keep a team away from a venue in the slot holding a time: {OVERRIDE_FORM} "
        "(repeatable; routes mode).",
    ),
]
MaxVariantsOption = Annotated[
    int | None,
    typer.Option(
        "--max-variants",
        help="At most K different routes per team per day (simpler briefings; cost reported).",
        min=1,
    ),
]
ResponseFloorOption = Annotated[
    float | None,
    typer.Option(
        "--response-floor",
        help="Keep the chance a team is within the response target at least P (0 < P < 1) "
        "at venue-slots with at least --response-min-crowd people, while teams are on shift.",
    ),
]
ResponseMinCrowdOption = Annotated[
    float | None,
    typer.Option(
        "--response-min-crowd",
        help="Apply --response-floor only where at least N people are expected (default 0).",
        min=0,
    ),
]
RoadGraphOption = Annotated[
    Path | None,
    typer.Option(
        "--road-graph",
        help="Travel times from your own road map, offline: a GraphML file (e.g. saved by "
        "OSMnx) or an OpenStreetMap XML extract (.osm/.xml). Default: straight-line model.",
    ),
]
TieOption = Annotated[
    str,
    typer.Option(
        "--tie",
        help="robust (default): the stated harm holds whatever tie the attacker breaks, "
        "within --tie-margin; strong: the strong Stackelberg plan (ties broken our way).",
    ),
]
TieMarginOption = Annotated[
    float,
    typer.Option(
        "--tie-margin",
        help="Share of the stated harm the worst tie may add before robustness is paid for.",
        min=0.0,
        max=0.5,
    ),
]
SweepOption = Annotated[
    Path | None,
    typer.Option(
        "--sweep",
        help="A `crowdguard sweep --out` folder of this scenario: the report and plan.json "
        "show where today's deployment sits on its curve of harm against teams.",
    ),
]
WithoutLimitsOption = Annotated[
    bool,
    typer.Option(
        "--without-limits",
        help="Plan as if the scenario set no operational limits (patrol.home_radius_km, "
        "max_transit_share, min_stay_minutes): the unconstrained plan they are priced against.",
    ),
]
VisibilityFloorOption = Annotated[
    float | None,
    typer.Option(
        "--visibility-floor",
        help="Keep the expected shoppers passing a patrol at least N per day.",
        min=0,
    ),
]


def parse_override(text: str, action: Literal["pin", "forbid"]) -> DatedOverride:
    """``alpha-1@market@2026-12-05T14:00`` -> a dated pin or forbid (:class:`InputError` else)."""
    from crowdguard.patrols.season_routes import DatedOverride

    flag = f"--{action}"
    parts = text.split("@")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise InputError(
            f"{flag} {text!r}: expected {OVERRIDE_FORM}, e.g. arv-1@winchester-market@2026-12-05T14:00"
        )
    team, venue, when = parts
    try:
        at = dt.datetime.strptime(when, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise InputError(
            f"{flag} {text!r}: {when!r} is not a local date and time; expected {OVERRIDE_FORM}"
        ) from None
    return DatedOverride(team, venue, at, action)


def _print_option_costs(console: Console, plan: PatrolPlan) -> None:
    """The "Overrides and their cost" table and the variant cap's price (ARMOR-style warnings)."""
    rows = plan.override_rows()
    if rows:
        table = Table(title="Overrides and their cost", title_justify="left")
        for column, justify in (
            ("Override", "left"),
            ("Utility lost (day)", "right"),
            ("Team's route entropy, bits", "right"),
            ("Presence before -> after", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in rows:
            table.add_row(
                f"{r['kind']} {r['team']} at {r['venue']} {r['at'].replace('T', ' ')}",
                f"{r['utility_cost']:.2f}",
                f"{r['entropy_before']:.2f} -> {r['entropy_after']:.2f}",
                f"{r['presence_before']:.2f} -> {r['presence_after']:.2f}",
            )
        console.print(table)
        console.print(
            "[yellow]A pinned slot is fully predictable to anyone who learns of the pin; "
            "utility lost is in expected people harmed on that day.[/yellow]"
        )
    cost = plan.variants_cost()
    if cost is not None:
        console.print(
            f"[yellow]--max-variants {plan.options.max_variants}: costs {cost:.2f} defender "
            f"utility summed over {len(plan.day_plans)} days (expected people harmed).[/yellow]"
        )
    check = plan.response_floor_check()
    if check is not None:
        worst = "-" if check["lowest"] is None else f"{check['lowest']:.2f}"
        console.print(
            f"Response floor {check['floor']:g} (a team within {check['target_minutes']:g} min) "
            f"met at {check['venue_slots']} venue-slots with at least "
            f"{check['min_crowd']:g} people and a team on shift; lowest chance there {worst}."
        )
    floor = plan.options.visibility_floor
    if floor is not None:
        lowest = min(plan.visibility_rows(), key=lambda r: r["expected_shoppers"])
        console.print(
            f"Visibility floor {floor:g} shoppers/day met; lowest day {lowest['date']}: "
            f"{lowest['expected_shoppers']:.0f}."
        )


def _load(spec: str) -> PlanInputs:
    """The scenario named on the command line with its security plans, each file read once."""
    from crowdguard.pipeline import PlanInputs
    from crowdguard.scenario.load import demo_scenario_and_plans, load_scenario_and_plans

    if spec == "demo":
        return PlanInputs(*demo_scenario_and_plans())
    path = Path(spec)
    if not path.exists():
        raise InputError(f"SCENARIO {spec}: no such file (give a YAML scenario or 'demo')")
    return PlanInputs(*load_scenario_and_plans(path))


def run_plan(
    scenario: Scenario | PlanInputs,
    out: Path,
    *,
    seed: int | None,
    days: int | None,
    quiet: bool,
    mode: str = "routes",
    workers: int | None = None,
    route_day: str | None = None,
    pins: list[str] | None = None,
    forbids: list[str] | None = None,
    max_variants: int | None = None,
    response_floor: float | None = None,
    response_min_crowd: float | None = None,
    visibility_floor: float | None = None,
    road_graph: Path | None = None,
    tie: str = "robust",
    tie_margin: float = 0.01,
    sweep: Path | None = None,
    without_limits: bool = False,
) -> Path:
    """Solve, write the output folder, print the summary; returns the report path.

    ``scenario``: the inputs as the loader read them (:func:`_load`), or a scenario whose
    linked security plans are then read here.
    """
    from crowdguard.patrols.options import PlanOptions
    from crowdguard.patrols.season_routes import DayOptions
    from crowdguard.pipeline import PlanInputs, make_plan
    from crowdguard.report.html import plan_review_summaries, venue_summaries
    from crowdguard.report.output import write_plan_outputs
    from crowdguard.report.render import Renderer

    inputs = scenario if isinstance(scenario, PlanInputs) else PlanInputs.read(scenario)
    if without_limits:
        if not inputs.scenario.patrol.limits():
            raise InputError(
                "--without-limits: the scenario sets no operational limits "
                "(patrol.home_radius_km, max_transit_share, min_stay_minutes); drop the option"
            )
        inputs = dataclasses.replace(inputs, scenario=inputs.scenario.without_limits())
    scenario = inputs.scenario
    console = Console(stderr=quiet)
    if not console.is_terminal:
        console = Console(stderr=quiet, width=150)
    if days is not None and days < 1:
        raise InputError(f"--days {days}: expected a whole number of days >= 1")
    horizon = scenario.days[:days] if days else scenario.days
    # the report's figures and the letters' PDFs are drawn by worker processes, the letters
    # while the plan solves (none with --workers 1: everything then runs in this process);
    # they are forked now, before anything is solved here or the progress bar's thread runs
    drawers = 0 if workers == 1 else min(2, workers or os.cpu_count() or 1)
    with (
        Renderer(drawers if drawers > 1 else 0) as renderer,
        long_run("solving", total=len(horizon), unit="days", quiet=quiet) as (update, say),
    ):
        if mode not in ("routes", "free"):
            raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
        if tie not in ("robust", "strong"):
            raise InputError(f"--tie {tie!r}: expected 'robust' or 'strong'")
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
        overrides = [parse_override(t, "pin") for t in pins or []]
        overrides += [parse_override(t, "forbid") for t in forbids or []]
        if response_min_crowd is not None and response_floor is None:
            raise InputError("--response-min-crowd: needs --response-floor P (0 < P < 1)")
        if response_floor is not None and not 0 < response_floor < 1:
            raise InputError(
                f"--response-floor {response_floor}: expected a probability strictly between 0 and 1"
            )
        if road_graph is not None:
            from crowdguard.patrols.travel import places_of, road_graph_travel

            update(0.0, f"(reading road graph {road_graph.name})")
            inputs = dataclasses.replace(
                inputs,
                travel=road_graph_travel(places_of(scenario), road_graph),
                travel_model=f"road graph {road_graph.name}",
            )
        if sweep is not None:
            from crowdguard.sweep.results import read_sweep

            inputs = dataclasses.replace(inputs, sweep=read_sweep(sweep))
        options = PlanOptions(
            seed=seed,
            days=days,
            mode="free" if mode == "free" else "routes",
            workers=workers,
            routes=DayOptions(
                overrides=tuple(overrides),
                max_variants=max_variants,
                response_floor=response_floor,
                response_min_crowd=response_min_crowd or 0.0,
                visibility_floor=visibility_floor,
                tie="strong" if tie == "strong" else "robust",
                tie_margin=tie_margin,
            ),
            visibility_day=chosen_route_day,
        )
        plan = make_plan(
            inputs,
            options,
            progress=update,
            stage=say,
            reviewed=renderer.letters,
            executor=renderer.executor,
        )
        say("writing report")
        notes: list[str] = []
        paths = write_plan_outputs(
            plan, out, notes=notes, route_day=chosen_route_day, renderer=renderer
        )
    for note in notes:
        Console(stderr=True).print(f"[yellow]{note}[/yellow]")
    from crowdguard.patrols.graph import outside_home_sectors
    from crowdguard.risk.footprint import footprint_warnings

    warnings = list(footprint_warnings(scenario))  # risk resting on a default by kind
    stranded = outside_home_sectors(scenario)
    if stranded:
        warnings.append(
            f"{', '.join(stranded)}: outside every team's home sector, so never patrolled "
            "(list it in a base's sector or raise patrol.home_radius_km)"
        )
    for warning in warnings:
        Console(stderr=True).print(f"[yellow]warning: {warning}[/yellow]")
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
    _print_option_costs(console, plan)
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
    worst = -plan.worst_tie_defender_utility()
    price = plan.certificate.get("price_of_robustness")
    console.print(
        f"If the attacker breaks every tie against us: [bold]{worst:.1f}[/bold] people "
        f"(tie rule: {plan.options.tie if plan.mode == 'routes' else 'strong'}"
        + ("" if price is None else f"; robustness costs {price:.2f} against the strong plan")
        + ")."
    )
    if plan.on_sweep is not None:
        console.print(f"On the sweep's curve: {plan.on_sweep['summary']}.")
    limits = plan.certificate.get("operational_limits")
    if limits:  # their price beside the plan (issue 11 s.2)
        named = ", ".join(f"{k} {v:g}" for k, v in limits["limits"].items())
        console.print(
            f"Operational limits ({named}): [bold]{limits['harm_with_limits']:.1f}[/bold] "
            f"people; without them {limits['harm_without_limits']:.1f} (the limits cost "
            f"{limits['cost']:.2f})."
        )
    if without_limits:
        console.print(
            "[yellow]Planned without the scenario's operational limits (--without-limits): "
            "these rosters may break the home sector, transit cap or minimum stay the "
            "scenario sets.[/yellow]"
        )
    draw = f"seed {seed}, reproducible" if seed is not None else "drawn with `secrets`"
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
    pin: PinOption = None,
    forbid: ForbidOption = None,
    max_variants: MaxVariantsOption = None,
    response_floor: ResponseFloorOption = None,
    response_min_crowd: ResponseMinCrowdOption = None,
    visibility_floor: VisibilityFloorOption = None,
    road_graph: RoadGraphOption = None,
    tie: TieOption = "robust",
    tie_margin: TieMarginOption = 0.01,
    sweep: SweepOption = None,
    without_limits: WithoutLimitsOption = False,
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
        pins=pin,
        forbids=forbid,
        max_variants=max_variants,
        response_floor=response_floor,
        response_min_crowd=response_min_crowd,
        visibility_floor=visibility_floor,
        road_graph=road_graph,
        tie=tie,
        tie_margin=tie_margin,
        sweep=sweep,
        without_limits=without_limits,
    )


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = DEFAULT_DEMO_OUT,
    seed: SeedOption = None,
    days: DaysOption = None,
    quiet: QuietOption = False,
    mode: ModeOption = "routes",
    workers: WorkersOption = None,
    route_day: RouteDayOption = None,
    pin: PinOption = None,
    forbid: ForbidOption = None,
    max_variants: MaxVariantsOption = None,
    response_floor: ResponseFloorOption = None,
    response_min_crowd: ResponseMinCrowdOption = None,
    visibility_floor: VisibilityFloorOption = None,
    road_graph: RoadGraphOption = None,
    tie: TieOption = "robust",
    tie_margin: TieMarginOption = 0.01,
    sweep: SweepOption = None,
    without_limits: WithoutLimitsOption = False,
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
        pins=pin,
        forbids=forbid,
        max_variants=max_variants,
        response_floor=response_floor,
        response_min_crowd=response_min_crowd,
        visibility_floor=visibility_floor,
        road_graph=road_graph,
        tie=tie,
        tie_margin=tie_margin,
        sweep=sweep,
        without_limits=without_limits,
    )


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``demo`` to the root app."""
    app.command("plan")(plan_command)
    app.command("demo")(demo_command)
