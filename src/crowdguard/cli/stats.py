"""``crowdguard stats ...`` (aggregates for analysts) and ``crowdguard brief`` (briefings).

    crowdguard stats operations|response|patrols|reports|plan-reviews --period FROM:TO
        [--format table|csv|json] [--out FILE] [--plot FILE.png|FILE.svg] [--data-dir DIR]
    crowdguard stats import TABLES.ods|TABLES.csv --release NAME --release-year YYYY
    crowdguard brief --period FROM:TO --audience commissioner|public --format md|html|pdf
        --out FILE [--data-dir DIR]

Every command reads the store of ``--data-dir`` (or ``CROWDGUARD_DATABASE_URL``) and prints
counts only, the same aggregates the ``/api/v1/stats`` endpoints serve
(:mod:`crowdguard.stats.service`). The published figures come from ``--reference FILE``,
else ``DATA_DIR/published.csv`` when ``stats import`` has written one, else the packaged
``stats/data/published.csv``. A commissioner's briefing is OFFICIAL-SENSITIVE and written
owner-only (0600).
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crowdguard.cli.files import write_atomic
from crowdguard.errors import InputError
from crowdguard.stats.briefing import Audience

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from crowdguard.stats.trends import Table
    from crowdguard.stats.years import Period

__all__ = ["brief_command", "register", "stats_app"]

stats_app = typer.Typer(
    name="stats",
    help="Home Office-comparable counts and trends (aggregates only).",
    no_args_is_help=True,
)


class StatsFormat(StrEnum):
    """How ``crowdguard stats`` prints an aggregate."""

    table = "table"
    csv = "csv"
    json = "json"


class ByWhat(StrEnum):
    """Which operations table: month by month in the period, or year by year beside the
    published series."""

    month = "month"
    year = "year"


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory holding the embedded store (default: per-user data folder; "
        "CROWDGUARD_DATABASE_URL selects PostgreSQL instead).",
    ),
]
PeriodOpt = Annotated[
    str,
    typer.Option(
        "--period",
        help="FROM:TO as YYYY-MM-DD:YYYY-MM-DD (inclusive, Europe/London) or a financial "
        "year such as 2026/27.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    StatsFormat, typer.Option("--format", "-f", help="A table to read, CSV, or JSON.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Also draw the table to FILE.png or FILE.svg."),
]
ReferenceOpt = Annotated[
    Path | None,
    typer.Option(
        "--reference",
        help="Published figures CSV (default: DATA_DIR/published.csv if imported, else the "
        "packaged figures).",
    ),
]


def _actor() -> str:
    """Who reads the rosters, for the audit trail (the operating-system account)."""
    try:
        return f"cli:{getpass.getuser()}"[:80]
    except (KeyError, OSError):  # no account name (a container without a passwd entry)
        return "cli"


@contextmanager
def _store(data_dir: Path | None) -> Iterator[Session]:
    """A read session on an existing, migrated store (never creates an empty one)."""
    from crowdguard.store.db import current_revision, make_engine, make_sessionmaker, session_scope
    from crowdguard.store.settings import resolve_settings

    settings = resolve_settings(data_dir)
    missing = InputError(
        f"--data-dir {settings.data_dir}: no CrowdGuard store there; "
        "run `crowdguard db upgrade` or `crowdguard serve` first"
    )
    file = settings.sqlite_file
    if file is not None and not file.exists():
        raise missing
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) is None:
            raise missing
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _reference(reference: Path | None, data_dir: Path | None) -> Path | None:
    if reference is not None:
        return reference
    from crowdguard.stats.reference import reference_in
    from crowdguard.store.settings import resolve_settings

    return reference_in(resolve_settings(data_dir).data_dir)


def _emit(
    *,
    aggregate: BaseModel,
    table: Table,
    fmt: StatsFormat,
    out: Path | None,
    plot_to: Path | None,
    headline: str,
) -> None:
    """Print (or write) the aggregate as a table, CSV or JSON; draw the plot if asked."""
    if plot_to is not None:
        suffix = plot_to.suffix.lower().lstrip(".")
        if suffix not in ("png", "svg"):
            raise InputError(f"--plot: {plot_to} must end in .png or .svg")
    if fmt is StatsFormat.json:
        text = aggregate.model_dump_json(indent=2) + "\n"
    elif fmt is StatsFormat.csv:
        text = table.to_csv()
    else:
        text = ""
    if out is not None:
        if fmt is StatsFormat.table:
            text = table.to_markdown()
        write_atomic(out, text.encode("utf-8"))
    elif fmt is StatsFormat.table:
        _print_table(table, headline)
    else:
        sys.stdout.write(text)
    if plot_to is not None:
        from crowdguard.stats.plots import plot

        write_atomic(plot_to, plot(table, "svg" if suffix == "svg" else "png"), option="--plot")
        typer.echo(f"wrote {plot_to}", err=True)


def _print_table(table: Table, headline: str) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    from crowdguard.stats.trends import format_cell

    console = Console(highlight=False)
    rich = RichTable(title=table.title)
    for column in table.columns:
        rich.add_column(column, justify="left" if column == table.columns[0] else "right")
    for row in table.rows:
        rich.add_row(*(format_cell(c) for c in row))
    if headline:
        console.print(headline)
    console.print(rich)
    for note in table.notes:
        console.print(f"[dim]{note}[/dim]")


def _period(text: str) -> Period:
    from crowdguard.stats.years import parse_period

    return parse_period(text, option="--period")


@stats_app.command("operations")
def operations(
    period: PeriodOpt,
    fmt: FormatOpt = StatsFormat.table,
    by: Annotated[
        ByWhat,
        typer.Option("--by", help="month: this period; year: every year beside the published."),
    ] = ByWhat.month,
    arv_definition: Annotated[
        str,
        typer.Option(
            "--arv-definition",
            help="involving (current releases) or initial_or_sole (releases before 2019).",
        ),
    ] = "involving",
    reference: ReferenceOpt = None,
    out: OutOpt = None,
    plot_to: PlotOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Firearms operations by the Home Office rules (one incident, one operation)."""
    from crowdguard.errors import did_you_mean
    from crowdguard.stats import service
    from crowdguard.stats.operations import ArvDefinition
    from crowdguard.stats.reference import load_reference
    from crowdguard.stats.trends import operations_by_month_table, operations_trend_table

    try:
        definition = ArvDefinition(arv_definition)
    except ValueError:
        known = [d.value for d in ArvDefinition]
        hint = did_you_mean(arv_definition, known)
        raise InputError(
            f"--arv-definition: {arv_definition!r} is not one of {', '.join(known)}"
            + (f"; {hint}" if hint else "")
        ) from None
    chosen = _period(period)
    path = _reference(reference, data_dir)
    figures = load_reference(path)
    with _store(data_dir) as session:
        aggregate = service.operations_aggregate(
            session=session, period=chosen, arv_definition=definition, reference=path
        )
    table = (
        operations_trend_table(aggregate, figures)
        if by is ByWhat.year
        else operations_by_month_table(aggregate)
    )
    excluded = ", ".join(f"{k}: {v}" for k, v in sorted(aggregate.excluded.items()))
    headline = (
        f"{chosen}: {aggregate.operations} firearms operations, {aggregate.arv_operations} "
        f"ARV operations ({definition.value}), {aggregate.self_authorised} self-authorised, "
        f"{aggregate.discharge_incidents} with discharges; {aggregate.deployments} deployments"
        + (f"; not counted: {excluded}" if excluded else "")
    )
    _emit(aggregate=aggregate, table=table, fmt=fmt, out=out, plot_to=plot_to, headline=headline)


def _simple(
    name: str,
    build: Callable[[Session, Period], BaseModel],
    to_table: Callable[[BaseModel], Table],
    headline: Callable[[BaseModel], str],
) -> Callable[..., None]:
    def command(
        period: PeriodOpt,
        fmt: FormatOpt = StatsFormat.table,
        out: OutOpt = None,
        plot_to: PlotOpt = None,
        data_dir: DataDir = None,
    ) -> None:
        chosen = _period(period)
        with _store(data_dir) as session:
            aggregate = build(session, chosen)
        _emit(
            aggregate=aggregate,
            table=to_table(aggregate),
            fmt=fmt,
            out=out,
            plot_to=plot_to,
            headline=headline(aggregate),
        )

    command.__name__ = name.replace("-", "_")
    return command


def _register_simple() -> None:
    from crowdguard.stats import service
    from crowdguard.stats import trends as t
    from crowdguard.stats.models import (
        PatrolAggregate,
        PlanReviewAggregate,
        ReportsAggregate,
        ResponseAggregate,
    )

    def response(session: Session, period: Period) -> BaseModel:
        return service.response_aggregate(session=session, period=period)

    def patrols(session: Session, period: Period) -> BaseModel:
        now = dt.datetime.now(dt.UTC)
        return service.patrol_aggregate(session=session, period=period, actor=_actor(), now=now)

    def reports(session: Session, period: Period) -> BaseModel:
        return service.reports_aggregate(session=session, period=period)

    def reviews(session: Session, period: Period) -> BaseModel:
        return service.plan_review_aggregate(session=session, period=period)

    def patrol_line(a: BaseModel) -> str:
        assert isinstance(a, PatrolAggregate)
        return (
            f"{a.period}: {a.planned_hours:g} patrol hours planned, {a.delivered_hours:g} "
            f"delivered over {a.days_with_rosters} days; {a.responses_from_patrol} operations "
            "took a team off a patrol (a separate measure, never in the operations count)"
        )

    def response_line(a: BaseModel) -> str:
        assert isinstance(a, ResponseAggregate)
        return f"{a.period}: {sum(r.operations for r in a.rows)} operations with an arrival"

    def reports_line(a: BaseModel) -> str:
        assert isinstance(a, ReportsAggregate)
        return f"{a.period}: {a.total} public reports"

    def reviews_line(a: BaseModel) -> str:
        assert isinstance(a, PlanReviewAggregate)
        return f"{a.period}: {a.reviews} security-plan reviews"

    commands = (
        ("response", response, t.response_table, response_line,
         "Response times (call in -> first armed unit on scene) by month and grade."),
        ("patrols", patrols, t.patrols_table, patrol_line,
         "Patrol hours planned and delivered per venue (the roster read is audited)."),
        ("reports", reports, t.reports_table, reports_line,
         "Public reports by category and grade (counts only)."),
        ("plan-reviews", reviews, t.plan_reviews_table, reviews_line,
         "Security-plan reviews by verdict and tier."),
    )  # fmt: skip
    for name, build, to_table, line, help_text in commands:
        stats_app.command(name, help=help_text)(
            _simple(name, build, to_table, line)  # type: ignore[arg-type]
        )


_register_simple()


@stats_app.command("import")
def import_command(
    tables: Annotated[
        Path, typer.Argument(help="The Home Office data tables (.ods or .csv).", show_default=False)
    ],
    release: Annotated[
        str,
        typer.Option("--release", help="The release's name, e.g. 'April 2023 to March 2024'."),
    ],
    release_year: Annotated[
        int,
        typer.Option("--release-year", help="Year ending of the newest year it covers (2024)."),
    ],
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date YYYY-MM-DD.")
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            help="Reference CSV to merge into (default: DATA_DIR/published.csv, started from "
            "the packaged figures).",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Merge a Home Office release into the reference figures (revisions kept)."""
    from crowdguard.stats.importer import import_tables
    from crowdguard.stats.reference import IMPORTED_NAME, load_reference, merge, write_reference
    from crowdguard.store.settings import resolve_settings

    day: dt.date | None = None
    if published is not None:
        try:
            day = dt.date.fromisoformat(published)
        except ValueError:
            raise InputError(
                f"--published: {published!r} is not a date; expected YYYY-MM-DD"
            ) from None
    if tables.is_dir():
        raise InputError(f"{tables}: is a folder; expected an .ods or .csv file")
    if not tables.is_file():
        raise InputError(f"{tables}: no such file")
    target = into or resolve_settings(data_dir).data_dir / IMPORTED_NAME
    held = load_reference(target if target.is_file() else None)
    new = import_tables(
        tables, release=release, release_year=release_year, published=day, source=tables.name
    )
    merged, added = merge(held, new)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_reference(merged, target)
    typer.echo(f"{tables.name}: {len(new)} figures read, {added} new or revised; wrote {target}")


class BriefFormat(StrEnum):
    """What ``crowdguard brief`` writes."""

    md = "md"
    html = "html"
    pdf = "pdf"


def brief_command(
    period: PeriodOpt,
    audience: Annotated[
        Audience,
        typer.Option(
            "--audience",
            help="commissioner (everything, OFFICIAL-SENSITIVE) or public (whitelisted "
            "aggregate statements only).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The file to write.", show_default=False)
    ],
    fmt: Annotated[BriefFormat, typer.Option("--format", "-f", help="md, html or pdf.")] = (
        BriefFormat.md
    ),
    reference: ReferenceOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Write the commissioner's briefing or the public summary for a period."""
    from crowdguard.stats import briefing, service

    chosen = _period(period)
    if audience is Audience.public:
        briefing.check_public_period(chosen)
    with _store(data_dir) as session:
        data = service.briefing_data(
            session=session,
            period=chosen,
            actor=_actor(),
            now=dt.datetime.now(dt.UTC),
            reference=_reference(reference, data_dir),
        )
    body = briefing.render_briefing(data, audience, fmt.value)
    private = audience is Audience.commissioner
    write_atomic(out, body, private=private)
    marking = f" ({briefing.MARKING}, owner-only)" if private else ""
    typer.echo(f"wrote {out}{marking}", err=True)


def register(app: typer.Typer) -> None:
    """Attach ``stats`` and the top-level ``brief`` command."""
    app.add_typer(stats_app, name="stats")
    app.command("brief")(brief_command)
