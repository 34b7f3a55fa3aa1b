"""``crowdguard audit rosters DIR``: can an observer learn the patrols from past rosters?

Adds the ``rosters`` command to the ``audit`` sub-app of :mod:`crowdguard.cli.audit`; the
work is :func:`crowdguard.patrols.audit.audit_rosters`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]


def rosters(
    directory: Annotated[
        Path,
        typer.Argument(help="Plan output folder (reads DIR/rosters/*.json, else DIR/*.json)."),
    ],
    window: int = typer.Option(14, "--window", help="Days of history the observer has watched."),
    permutations: int = typer.Option(
        999, "--permutations", min=10, help="Day shuffles for the permutation test."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the shuffles (the test, not the plan)."),
    alpha: float = typer.Option(0.01, "--alpha", help="Significance level (Bonferroni)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Predict tomorrow's team placements from the last K days; compare with coverage alone."""
    from crowdguard.patrols.audit import audit_rosters, load_rosters, planned_vs_delivered

    result = audit_rosters(
        load_rosters(directory),
        window=window,
        permutations=permutations,
        rng=np.random.default_rng(seed),
        alpha=alpha,
    )
    protection = planned_vs_delivered(directory)
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "protection": protection}))
        return
    table = Table(title=f"Observer with {window} days of rosters ({result.predictions} guesses)")
    for column in ("predictor", "hit rate", "advantage", "p-value"):
        table.add_column(column)
    table.add_row("published coverage only", f"{result.baseline_hit_rate:.3f}", "-", "-")
    for name, row in result.observers.items():
        table.add_row(
            name, f"{row['hit_rate']:.3f}", f"{row['advantage']:+.3f}", f"{row['p_value']:.3f}"
        )
    console = Console()
    console.print(table)
    verdict = (
        "PREDICTABLE: an observer learns the patrols from past rosters"
        if result.significant
        else "no significant advantage over the published coverage"
    )
    console.print(verdict)
    if protection is not None:
        check = Table(title="Protection: planned vs delivered by the drawn rosters")
        for column in ("planned coverage", "venue-slots", "mean planned", "mean delivered"):
            check.add_column(column)
        for band in protection["bands"]:
            check.add_row(
                band["band"],
                str(band["venue_slots"]),
                "-" if band["mean_planned"] is None else f"{band['mean_planned']:.3f}",
                "-" if band["mean_delivered"] is None else f"{band['mean_delivered']:.3f}",
            )
        console.print(check)
        exact, days = protection["days_exact"], protection["days"]
        console.print(
            "Every roster is drawn from a distribution whose protection, computed exactly, "
            f"is the certified coverage. On {exact} of {days} days that is the flow "
            "equilibrium itself; "
            + (
                f"on the other {days - exact} no joint distribution over its routes was found, so the "
                "day was re-solved over the rosters that can be drawn and certified there "
                f"(expected harm added: {protection['implementation_gap']:.3f}). "
                if exact < days
                else ""
            )
            + "One draw per day: 'mean delivered' is a sample of that distribution."
        )


def register(app: typer.Typer) -> None:
    """Add ``rosters`` to the ``audit`` sub-app (created by ``crowdguard.cli.audit``)."""
    from crowdguard.cli.audit import audit_app

    audit_app.command("rosters")(rosters)
