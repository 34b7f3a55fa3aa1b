"""``crowdguard scenario check|load``: validate a force's scenario file, put it in the store.

A plain command group (:data:`scenario_app`); each command is one function.

* ``check FILE`` validates the file exactly as ``crowdguard plan`` does (one line naming the
  file, line and field on error, exit 2) and summarises what it describes: the period and
  threat level, the venues and how much they are open, the teams and their shift hours, and
  the warnings a planner should clear before planning (risk resting on a default footprint,
  a venue never open in the period, an exception dated outside it, no threat source).
* ``load FILE`` puts the scenario, its venues and its teams into the served store (the one
  ``crowdguard serve`` uses, ``--data-dir`` or ``CROWDGUARD_DATABASE_URL``), all or nothing,
  audited as the CLI's change; ``--replace`` overwrites records that are already there.

See ``docs/howto/write-a-scenario.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crowdguard.errors import InputError
from crowdguard.scenario.schema import Scenario, TimeRange

__all__ = ["register", "scenario_app", "scenario_summary", "scenario_warnings"]

scenario_app = typer.Typer(
    name="scenario", help="Check a scenario file, load it into the store.", no_args_is_help=True
)

FileArgument = Annotated[
    Path, typer.Argument(help="Scenario file (YAML or JSON), or 'demo' for the embedded demo.")
]


def _load(path: Path) -> Scenario:
    """The scenario file, or the embedded demo for ``demo`` (as ``plan`` and ``simulate``)."""
    from crowdguard.scenario.load import demo_path, load_scenario

    if str(path) == "demo" and not path.exists():
        return load_scenario(demo_path())
    return load_scenario(path)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _minutes(ranges: list[TimeRange]) -> float:
    """Total minutes of the ranges (an overnight shift counts to its end the next day)."""
    return sum(end - start for start, end in (r.minutes() for r in ranges))


def scenario_warnings(scenario: Scenario) -> list[str]:
    """What a planner should clear before planning (the scenario is valid regardless)."""
    from crowdguard.risk.footprint import footprint_warnings

    warnings = list(footprint_warnings(scenario))
    days = scenario.days
    for venue in scenario.venues:
        if not any(venue.open_ranges(day) for day in days):
            warnings.append(
                f"{venue.id}: never open between {scenario.start} and {scenario.end}; "
                "check its opening_hours, opens and closes"
            )
        outside = sorted(d for d in venue.opening_hours.exceptions if not days[0] <= d <= days[-1])
        if outside:
            shown = ", ".join(d.isoformat() for d in outside[:3])
            more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
            warnings.append(
                f"{venue.id}: opening_hours.exceptions on {shown}{more} fall outside the period "
                f"{scenario.start}..{scenario.end} (last year's dates?)"
            )
    from crowdguard.patrols.graph import outside_home_sectors

    stranded = outside_home_sectors(scenario)
    if stranded:
        warnings.append(
            f"{', '.join(stranded)}: outside every team's home sector (within "
            f"patrol.home_radius_km {scenario.patrol.home_radius_km:g} km of its base, on its "
            "side of the water, or listed in its base's sector): never patrolled; add it to "
            "a base's sector or raise home_radius_km"
        )
    if not scenario.threat_source.strip():
        warnings.append(
            "threat_source is empty: record who set the threat level and when you checked it"
        )
    unsourced = [v.id for v in scenario.venues if not v.source.strip()]
    if unsourced:
        warnings.append(
            f"{len(unsourced)} venue(s) give no source for their figures ({', '.join(unsourced[:5])}"
            f"{', ...' if len(unsourced) > 5 else ''}); label each [FACT], [FACT-2nd] or [ESTIMATE]"
        )
    return warnings


def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    """The numbers ``scenario check`` prints (also its ``--json`` document)."""
    from crowdguard.risk.footprint import footprint

    days = scenario.days
    venues = []
    for venue in scenario.venues:
        open_days = [d for d in days if venue.open_ranges(d)]
        ground = footprint(venue)
        venues.append(
            {
                "id": venue.id,
                "name": venue.name,
                "kind": venue.kind.value,
                "town": venue.town,
                "peak_occupancy": venue.peak_occupancy,
                "area_m2": round(ground.area_m2, 1),
                "area_source": ground.source,
                "open_days": len(open_days),
                "open_hours": round(sum(_minutes(venue.open_ranges(d)) for d in days) / 60, 1),
                "security_plan": venue.security_plan,
            }
        )
    team_hours = 0.0
    for team in scenario.teams:
        for day in days:
            weekday = day.strftime("%a").lower()
            team_hours += sum(
                _minutes([s.hours]) for s in team.shifts if weekday in {d.value for d in s.days}
            )
    return {
        "id": scenario.id,
        "name": scenario.name,
        "start": scenario.start.isoformat(),
        "end": scenario.end.isoformat(),
        "days": len(days),
        "timezone": scenario.timezone,
        "slot_minutes": scenario.slot_minutes,
        "threat_level": scenario.threat_level.value,
        "threat_source": scenario.threat_source,
        "venues": venues,
        "venue_kinds": dict(Counter(v.kind.value for v in scenario.venues)),
        "bases": len(scenario.bases),
        "teams": len(scenario.teams),
        "team_kinds": dict(Counter(t.kind for t in scenario.teams)),
        "team_hours": round(team_hours / 60, 1),
        "operational_limits": scenario.patrol.limits(),
        "warnings": scenario_warnings(scenario),
    }


@scenario_app.command("check")
def check(
    file: FileArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
) -> None:
    """Validate a scenario file and summarise it (exit 2 with the file, line and field if bad)."""
    scenario = _load(file)
    summary = scenario_summary(scenario)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary["venue_kinds"].items())
    teams = ", ".join(f"{n} {k}" for k, n in summary["team_kinds"].items())
    console.print(
        f"[bold]{file}[/bold]: valid. [bold]{scenario.name}[/bold] ({scenario.id}), "
        f"{scenario.start:%a %d %b %Y} to {scenario.end:%a %d %b %Y} ({summary['days']} days), "
        f"threat {summary['threat_level']}, {scenario.slot_minutes}-minute slots, "
        f"{scenario.timezone}."
    )
    console.print(
        f"{_count(len(scenario.venues), 'venue')} ({kinds}); {_count(summary['bases'], 'base')}; "
        f"{_count(summary['teams'], 'team')} ({teams}), "
        f"{summary['team_hours']:,.0f} team-hours on shift."
    )
    limits = summary["operational_limits"]
    if limits:
        named = ", ".join(f"{k} {v:g}" for k, v in limits.items())
        console.print(f"Operational limits: {named} (each priced when you plan).")
    else:
        console.print("Operational limits: none (patrol.home_radius_km, max_transit_share, "
                      "min_stay_minutes unset).")  # fmt: skip
    table = Table(title="Venues", title_justify="left")
    for column, justify in (
        ("Venue", "left"),
        ("Kind", "left"),
        ("Town", "left"),
        ("Peak", "right"),
        ("Footprint m^2", "right"),
        ("from", "left"),
        ("Open days", "right"),
        ("Open h", "right"),
        ("Plan", "left"),
    ):
        table.add_column(
            column,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=column == "Venue",
            max_width=16 if column == "Town" else None,
        )
    for v in summary["venues"]:
        table.add_row(
            v["id"],
            v["kind"].replace("_", " "),
            v["town"],
            f"{v['peak_occupancy']:,}",
            f"{v['area_m2']:,.0f}",
            "DEFAULT" if v["area_source"] == "default" else v["area_source"],
            str(v["open_days"]),
            f"{v['open_hours']:,.0f}",
            "yes" if v["security_plan"] else "",
        )
    console.print(table)
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning: {warning}[/yellow]")
    if not summary["warnings"]:
        console.print("No warnings.")


@scenario_app.command("load")
def load(
    file: FileArgument,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Overwrite the scenario, venues and teams already in the store."
        ),
    ] = False,
    drop_plan_links: Annotated[
        bool,
        typer.Option(
            "--drop-plan-links",
            help="Store venues without the security-plan files they link (the server reads "
            "no local files; submit organisers' plans through the API instead).",
        ),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder of the embedded SQLite store (default: per-user data folder; "
            "CROWDGUARD_DATABASE_URL selects PostgreSQL instead).",
        ),
    ] = None,
) -> None:
    """Put a scenario, its venues and its teams into the served store (all or nothing)."""
    from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade
    from crowdguard.store.settings import resolve_settings
    from crowdguard.venues.service import put_scenario_records

    scenario = _load(file)
    linked = [
        (i, v)
        for i, v in enumerate(scenario.venues)
        if v.security_plan and not v.security_plan.startswith("demo:")
    ]
    if linked and not drop_plan_links:
        i, venue = linked[0]
        raise InputError(
            f"{file}: venues[{i}].security_plan: venue {venue.id!r} links the plan file "
            f"{venue.security_plan}; the served store links only plans shipped with CrowdGuard "
            "(demo:<name>). Load with --drop-plan-links and submit the organiser's plan to "
            "/api/v1/security-plans, or remove the link"
        )
    dropped = [v.id for _, v in linked]
    if dropped:
        scenario = scenario.model_copy(
            update={
                "venues": [
                    v.model_copy(update={"security_plan": None}) if v.id in dropped else v
                    for v in scenario.venues
                ]
            }
        )
    settings = resolve_settings(data_dir)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            counts = put_scenario_records(
                session=session,
                scenario=scenario,
                actor="cli",
                now=dt.datetime.now(dt.UTC),
                replace=replace,
            )
    finally:
        engine.dispose()
    where = (
        str(settings.data_dir) if settings.is_sqlite else "the database at CROWDGUARD_DATABASE_URL"
    )
    typer.echo(
        f"loaded scenario {scenario.id!r} ({_count(len(scenario.venues), 'venue')}, "
        f"{_count(len(scenario.teams), 'team')}; {counts['created']} records created, "
        f"{counts['replaced']} replaced) into {where}"
    )
    if dropped:
        typer.echo(f"security-plan links dropped for {', '.join(dropped)}", err=True)
    typer.echo(
        f'plan it: POST /api/v1/plans with {{"scenario_id": "{scenario.id}"}} '
        "(planner or admin), or from the planner page"
    )


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` command group to the root app."""
    app.add_typer(scenario_app, name="scenario")
