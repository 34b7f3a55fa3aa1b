"""``crowdguard explain SCENARIO VENUE TIME``: why a venue carries the risk it does at a time.

Prints, in words and numbers, the risk model's arithmetic (``docs/theory/risk.md``) for the
target of VENUE in the slot containing TIME: the expected crowd and how it is derived, each
attack type's consequence and each mitigation's effect, the threat level's effect and the
four security-game payoffs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crowdguard.errors import InputError
from crowdguard.risk.explain import Explanation, explain_target
from crowdguard.scenario import demo_scenario, load_scenario
from crowdguard.scenario.schema import MAX_DENSITY, Scenario

__all__ = ["explain", "register"]


def register(app: typer.Typer) -> None:
    """Add the top-level ``explain`` command."""
    app.command("explain")(explain)


def explain(
    scenario: Annotated[
        str, typer.Argument(help="Scenario file (YAML or JSON), or 'demo' for the embedded one.")
    ],
    venue: Annotated[str, typer.Argument(help="Venue id, e.g. winchester-cathedral-market.")],
    time: Annotated[
        str, typer.Argument(help="Local date and time, e.g. 2026-12-12T14:00 (Europe/London).")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
) -> None:
    """Explain the crowd, consequence, mitigation, threat and payoffs of one target."""
    loaded = _scenario(scenario)
    when = _parse_time(time)
    result = explain_target(loaded, venue, when)
    if as_json:
        typer.echo(json.dumps(_jsonable(result), indent=2))
        return
    _print(result, Console())


def _scenario(name: str) -> Scenario:
    return demo_scenario() if name == "demo" else load_scenario(name)


def _parse_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"TIME: {text!r} is not a local date and time; expected YYYY-MM-DDTHH:MM, "
            "e.g. 2026-12-12T14:00"
        ) from None


def _jsonable(result: Explanation) -> dict[str, object]:
    data = dataclasses.asdict(result)
    data["start"] = result.start.isoformat()
    data["end"] = result.end.isoformat()
    data["threat_level"] = result.threat_level.value
    return data


def _print(r: Explanation, console: Console) -> None:
    console.print(
        f"[bold]{r.venue_name}[/bold] ({r.venue_id}, {r.kind.replace('_', ' ')}), "
        f"{r.start:%a %d %b %Y %H:%M}-{r.end:%H:%M} {r.start.tzname()}; "
        f"open {', '.join(r.hours_that_day)} that day."
    )

    crowd = Table(title="1. Expected crowd", title_justify="left", show_header=True)
    crowd.add_column("factor")
    crowd.add_column("value", justify="right")
    crowd.add_column("why")
    crowd.add_row("peak occupancy", f"{r.peak_occupancy:,}", "people at the season's busiest hour")
    crowd.add_row("hourly profile", f"x {r.profile_share:.2f}", f"from {r.profile_source}")
    crowd.add_row("day factor", f"x {r.day_factor:.2f}", r.day_reason)
    if r.open_share < 1:
        crowd.add_row("open share of slot", f"x {r.open_share:.2f}", "open for part of the slot")
    cap_note = (
        f"what {r.area_m2:,.0f} m^2 holds at {MAX_DENSITY:g} people/m^2 (no capacity given)"
        if r.capacity_assumed
        else "capacity from the scenario"
    )
    crowd.add_row("cap", f"{r.capacity:,.0f}", cap_note)
    crowd.add_row("[bold]expected crowd[/bold]", f"[bold]{r.crowd:,.0f}[/bold]", "people present")
    crowd.add_row("footprint", f"{r.area_m2:,.0f} m^2", r.area_source)
    crowd.add_row("density", f"{r.density:.2f}", "people per m^2: expected crowd / footprint")
    console.print(crowd)
    if r.footprint_warning:
        console.print(f"[yellow]warning: {r.footprint_warning}[/yellow]")

    harm = Table(title="2. Consequence of an unopposed attack", title_justify="left")
    harm.add_column("attack type")
    harm.add_column("share", justify="right")
    harm.add_column("harmed, no mitigation", justify="right")
    harm.add_column("mitigations (factor)")
    harm.add_column("harmed, mitigated", justify="right")
    for a in r.attacks:
        measures = ", ".join(f"{name} x{f:.2f}" for name, f in a.mitigations) or "none"
        harm.add_row(
            a.name, f"{a.share:.2f}", f"{a.unmitigated:,.1f}", measures, f"{a.mitigated:,.1f}"
        )
    harm.add_row("[bold]share-weighted harm[/bold]", "", "", "", f"[bold]{r.harm:,.1f}[/bold]")
    console.print(harm)
    console.print(
        f"  How: vehicle = {r.attacks[0].how}; marauding = {r.attacks[1].how} "
        f"({r.response_minutes:.0f} min here); IED = {r.attacks[2].how}."
    )

    if r.security_plan is not None:
        plan = r.security_plan
        multipliers = ", ".join(f"{k} x{v:.2f}" for k, v in plan.multipliers.items())
        moving = " ".join(plan.findings_moving_risk) or "none"
        console.print(
            f"  Security plan {plan.plan} ({plan.event}, {plan.verdict}): {multipliers}; "
            f"findings moving risk: {moving}"
            + (
                f"; left to the scenario: {', '.join(plan.counted_by_scenario)}"
                if plan.counted_by_scenario
                else ""
            )
            + ". See docs/theory/risk.md, 'Security plans feed the risk'."
        )
    console.print(
        f"[bold]3. Threat level[/bold] {r.threat_level.value}: likelihood weight "
        f"{r.likelihood:.2f}, so risk = {r.likelihood:.2f} x {r.harm:,.1f} = "
        f"[bold]{r.risk:,.1f}[/bold] people (threat-weighted). It also sets the attacker's "
        f"penalty when a patrol is present: {r.penalty:.0f}."
    )
    if r.threat_source:
        console.print(f"  Source: {r.threat_source}")

    pay = Table(title="4. Security-game payoffs", title_justify="left")
    pay.add_column("payoff")
    pay.add_column("value", justify="right")
    pay.add_column("formula")
    e = r.effectiveness
    pay.add_row("defender, covered", f"{r.defender_covered:,.2f}", f"-(1 - {e:.2f}) x risk")
    pay.add_row("defender, uncovered", f"{r.defender_uncovered:,.2f}", "-risk")
    pay.add_row(
        "attacker, covered",
        f"{r.attacker_covered:,.2f}",
        f"(1 - {e:.2f}) x {r.attractiveness:.2f} x harm - {r.penalty:.0f}",
    )
    pay.add_row(
        "attacker, uncovered", f"{r.attacker_uncovered:,.2f}", f"{r.attractiveness:.2f} x harm"
    )
    console.print(pay)
    console.print(
        f"  A patrol on scene prevents {e:.0%} of the harm (patrol.effectiveness); "
        "attractiveness weights the attacker's reward only."
    )
