"""``crowdguard review``: review an event security plan and write the advice letter.

    crowdguard review PLAN.yaml [--format md|html|pdf|json] [--out FILE] [--on DATE]
                                [--commencement DATE]
    crowdguard review --example > my-plan.yaml
    crowdguard review --example --format pdf --out example-letter.pdf

The review engine is :mod:`crowdguard.plans.review`; this module only translates options,
writes output atomically (temp file, then rename) and reports bad input as a
:class:`~crowdguard.errors.ReviewError` (exit status 2). Deprecation notices (an old field
name that is still read) go to stderr as warnings.

``--commencement`` (or ``CROWDGUARD_MARTYNS_LAW_COMMENCEMENT``) is the date the Act's duties
are commenced; unknown by default, so the letter is written as advice about duties that will
apply (``domain.md`` section 2: only s.27 is commenced as of the 2026 season).
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
from crowdguard.store.settings import COMMENCEMENT_ENV, parse_commencement

__all__ = ["COMMENCEMENT_ENV", "MAX_DAYS_BEFORE", "OutputFormat", "register", "review_command"]


class OutputFormat(StrEnum):
    """What ``crowdguard review`` writes."""

    md = "md"
    html = "html"
    pdf = "pdf"
    json = "json"


MAX_DAYS_BEFORE = 3660
"""``--days-before`` at most ten years: anything longer is a typo, not a review policy."""


def _parse_day(text: str | None, option: str = "--on") -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a date; expected YYYY-MM-DD") from None


def review_command(
    plan: Annotated[
        Path | None,
        typer.Argument(
            help="The security plan to review (YAML or JSON; - reads stdin).", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Advice letter (md, html, pdf) or JSON findings [default: md]. With "
            "--example: review the example plan and write its letter in this format.",
            show_default=False,
        ),
    ] = None,
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
    commencement: Annotated[
        str | None,
        typer.Option(
            "--commencement",
            envvar=COMMENCEMENT_ENV,
            help="Date YYYY-MM-DD the Act's duties are commenced (default: not yet known, so "
            "the letter is advice about duties that will apply).",
            show_default=False,
        ),
    ] = None,
    days_before: Annotated[
        int,
        typer.Option(
            "--days-before",
            help=f"Ask for resubmission this many days before opening (0 to {MAX_DAYS_BEFORE}).",
        ),
    ] = 14,
    example: Annotated[
        bool,
        typer.Option(
            "--example",
            help="Print a complete, commented example plan and exit (with --format: its letter).",
        ),
    ] = False,
) -> None:
    """Review an event security plan against Martyn's Law and the CTSA checklist."""
    from crowdguard.plans import EXAMPLE_PLAN, load_plan, review
    from crowdguard.plans.letter import render_letter, render_pdf
    from crowdguard.plans.review import loads_plan

    if not 0 <= days_before <= MAX_DAYS_BEFORE:
        raise InputError(
            f"--days-before: {days_before} is out of range; expected 0 to {MAX_DAYS_BEFORE} "
            "days (ten years), e.g. 14"
        )
    if example and plan is not None:
        raise InputError("--example: give either a PLAN to review or --example, not both")
    if example and fmt is None:
        text = EXAMPLE_PLAN.read_text(encoding="utf-8")
        if out is not None:
            write_atomic(out, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return
    if plan is None and not example:
        raise InputError("PLAN: no plan file given; try `crowdguard review --example` for one")
    fmt = fmt or OutputFormat.md
    if fmt is OutputFormat.pdf and out is None:
        raise InputError(
            "--out: --format pdf needs --out FILE (a PDF is not written to a terminal)"
        )
    day = _parse_day(on)
    commenced = parse_commencement(commencement, name="--commencement")
    notices: list[str] = []
    if example:
        submitted = load_plan(EXAMPLE_PLAN, notices=notices)
    elif str(plan) == "-":
        submitted = loads_plan(sys.stdin.read(), source="<stdin>", notices=notices)
    else:
        assert plan is not None
        if plan.is_dir():
            raise ReviewError(f"{plan}: is a folder; expected a plan file (YAML or JSON)")
        if not plan.is_file():
            raise ReviewError(f"{plan}: no such file")
        submitted = load_plan(plan, notices=notices)
    for notice in notices:
        typer.echo(f"crowdguard: warning: {notice}", err=True)
    result = review(submitted, on=day, commencement=commenced)
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
