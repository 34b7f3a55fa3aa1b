"""``crowdguard review``: review an event security plan and write the advice letter.

    crowdguard review PLAN.yaml [--format md|html|pdf|json] [--out FILE] [--on DATE]
    crowdguard review --example > my-plan.yaml

The review engine is :mod:`crowdguard.plans.review`; this module only translates options,
writes output atomically (temp file, then rename) and reports bad input as a
:class:`~crowdguard.errors.ReviewError` (exit status 2).
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crowdguard.cli.files import write_atomic
from crowdguard.errors import InputError, ReviewError

__all__ = ["OutputFormat", "register", "review_command"]


class OutputFormat(StrEnum):
    """What ``crowdguard review`` writes."""

    md = "md"
    html = "html"
    pdf = "pdf"
    json = "json"


def _parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--on: {text!r} is not a date; expected YYYY-MM-DD") from None


def review_command(
    plan: Annotated[
        Path | None,
        typer.Argument(
            help="The security plan to review (YAML or JSON; - reads stdin).", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Advice letter (md, html, pdf) or JSON findings."),
    ] = OutputFormat.md,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write to this file instead of standard output (pdf needs it)."
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="Review date YYYY-MM-DD (default today): dates the letter."),
    ] = None,
    days_before: Annotated[
        int,
        typer.Option(
            "--days-before", min=0, help="Ask for resubmission this many days before opening."
        ),
    ] = 14,
    example: Annotated[
        bool, typer.Option("--example", help="Print a complete, commented example plan and exit.")
    ] = False,
) -> None:
    """Review an event security plan against Martyn's Law and the CTSA checklist."""
    from crowdguard.plans import EXAMPLE_PLAN, load_plan, review
    from crowdguard.plans.letter import render_letter, render_pdf
    from crowdguard.plans.review import loads_plan

    if example:
        text = EXAMPLE_PLAN.read_text(encoding="utf-8")
        if out is not None:
            write_atomic(out, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return
    if plan is None:
        raise InputError("PLAN: no plan file given; try `crowdguard review --example` for one")
    if fmt is OutputFormat.pdf and out is None:
        raise InputError(
            "--out: --format pdf needs --out FILE (a PDF is not written to a terminal)"
        )
    day = _parse_day(on)
    if str(plan) == "-":
        submitted = loads_plan(sys.stdin.read(), source="<stdin>")
    elif plan.is_dir():
        raise ReviewError(f"{plan}: is a folder; expected a plan file (YAML or JSON)")
    elif not plan.is_file():
        raise ReviewError(f"{plan}: no such file")
    else:
        submitted = load_plan(plan)
    result = review(submitted, on=day)
    if fmt is OutputFormat.json:
        data = (result.to_json_text() + "\n").encode("utf-8")
    elif fmt is OutputFormat.pdf:
        data = render_pdf(result, days_before=days_before)
    else:
        data = render_letter(result, fmt.value, days_before=days_before).encode("utf-8")  # type: ignore[arg-type]
    if out is not None:
        write_atomic(out, data)
        typer.echo(
            f"{result.event}: tier {result.tier.value}, score {result.score}%, "
            f"{result.good_practice_verdict}; wrote {out}",
            err=True,
        )
    else:
        sys.stdout.write(data.decode("utf-8"))


def register(app: typer.Typer) -> None:
    """Add the top-level ``review`` command."""
    app.command("review")(review_command)
