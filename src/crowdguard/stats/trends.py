"""The tables behind every statistics plot, exportable as CSV.

Each plot in :mod:`crowdguard.stats.plots` draws one :class:`Table` built here, and the
same table goes into briefings and ``crowdguard stats ... --format csv``: a reader can
always check a picture against its numbers. Missing values stay empty cells (gaps), never
zeros. Built from plain aggregates (:mod:`crowdguard.stats.models`) and reference figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from crowdguard.stats.models import (
    OperationsAggregate,
    PatrolAggregate,
    PlanReviewAggregate,
    ReportsAggregate,
    ResponseAggregate,
)
from crowdguard.stats.reference import Figure, comparable, series
from crowdguard.stats.years import FinancialYear

__all__ = [
    "PLOTTED",
    "Cell",
    "Table",
    "TableName",
    "format_cell",
    "operations_by_month_table",
    "operations_table",
    "operations_trend_table",
    "ours_by_year",
    "patrols_table",
    "plan_reviews_table",
    "reports_table",
    "response_table",
]

Cell = str | int | float | bool | None


class TableName(StrEnum):
    """Every statistics table (and plot) by name: the file stem of its CSV and image."""

    operations_by_year = "operations-by-year"
    operations_by_month = "operations-by-month"
    response_times = "response-times"
    patrol_hours = "patrol-hours"
    public_reports = "public-reports"
    plan_reviews = "plan-reviews"


PLOTTED: frozenset[str] = frozenset(set(TableName) - {TableName.operations_by_month})
"""The tables :mod:`crowdguard.stats.plots` draws (the month table is the year plot's detail)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table: ``name`` is its file stem (``operations-by-year``)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()

    def to_csv(self) -> str:
        """CSV with a header row; empty cells for missing values."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if c is None else _text(c) for c in row])
        return out.getvalue()

    def to_markdown(self) -> str:
        """A Markdown table (missing values shown as an en dash)."""
        lines = [
            "| " + " | ".join(self.columns) + " |",
            "|" + "|".join("---" for _ in self.columns) + "|",
        ]
        for row in self.rows:
            lines.append("| " + " | ".join("–" if c is None else _text(c) for c in row) + " |")
        return "\n".join(lines) + "\n"

    def as_records(self) -> list[dict[str, Cell]]:
        """One dict per row (for JSON)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def format_cell(cell: Cell, missing: str = "–") -> str:
    """A cell as text: ``missing`` for a gap, yes/no, whole floats without ``.0``."""
    if cell is None:
        return missing
    return _text(cell)


def _text(cell: Cell) -> str:
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else f"{cell:g}"
    return str(cell)


PUBLISHED_SERIES = (
    ("hampshire", "firearms_operations", "Hampshire operations (published)"),
    ("hampshire", "arv_operations", "Hampshire ARV operations (published)"),
    ("england-and-wales", "firearms_operations", "England and Wales operations (published)"),
    ("england-and-wales", "arv_operations", "England and Wales ARV operations (published)"),
)


def operations_table(
    figures: Iterable[Figure],
    *,
    ours: Mapping[FinancialYear, tuple[int, int]],
    first: FinancialYear,
    last: FinancialYear,
) -> Table:
    """Operations and ARV operations per financial year: the published series beside our
    own counts (``ours``: year -> (operations, ARV operations)) from ``first`` to
    ``last``; years before the year ending March 2009 are marked not comparable."""
    held = list(figures)
    columns = ["year", "comparable"] + [label for _, _, label in PUBLISHED_SERIES]
    columns += ["our operations", "our ARV operations"]
    lines = {
        (area, measure): dict(series(held, area=area, measure=measure, first=first, last=last))
        for area, measure, _ in PUBLISHED_SERIES
    }
    rows: list[tuple[Cell, ...]] = []
    for ending in range(first.ending, last.ending + 1):
        year = FinancialYear(ending)
        published: list[Cell] = []
        for area, measure, _ in PUBLISHED_SERIES:
            figure = lines[(area, measure)].get(year)
            published.append(None if figure is None else figure.value)
        own = ours.get(year)
        rows.append(
            (year.label, comparable(year), *published, *(own if own is not None else (None, None)))
        )
    return Table(
        name=TableName.operations_by_year,
        title="Firearms operations and ARV operations per year (year ending 31 March)",
        columns=tuple(columns),
        rows=tuple(rows),
        notes=(
            "Empty: no figure held (a gap, not zero).",
            "Not comparable before the year ending March 2009 (quality-assured series).",
            "Our counts follow the Home Office rules; patrol hours are never added to them.",
        ),
    )


def operations_trend_table(aggregate: OperationsAggregate, figures: Iterable[Figure]) -> Table:
    """:func:`operations_table` over every year held: the first published year to the
    last year of the period, our counts in the years the period touches."""
    held = list(figures)
    years = [f.year for f in held] + [FinancialYear(y.year_ending) for y in aggregate.by_year]
    return operations_table(held, ours=ours_by_year(aggregate), first=min(years), last=max(years))


def operations_by_month_table(aggregate: OperationsAggregate) -> Table:
    """Our counts month by month over the period (every month listed, zeros included)."""
    return Table(
        name=TableName.operations_by_month,
        title="Firearms operations by month (this log)",
        columns=(
            "month",
            "operations",
            "ARV operations",
            "discharge incidents",
            "self-authorised",
            "deployments",
        ),
        rows=tuple(
            (
                m.month,
                m.operations,
                m.arv_operations,
                m.discharge_incidents,
                m.self_authorised,
                m.deployments,
            )
            for m in aggregate.by_month
        ),
        notes=("Counted in the month of authorisation (Europe/London).",),
    )


def ours_by_year(aggregate: OperationsAggregate) -> dict[FinancialYear, tuple[int, int]]:
    """Our (operations, ARV operations) per financial year from an aggregate."""
    return {
        FinancialYear(y.year_ending): (y.operations, y.arv_operations) for y in aggregate.by_year
    }


def response_table(aggregate: ResponseAggregate) -> Table:
    """Response times by month and grade."""
    return Table(
        name=TableName.response_times,
        title="Response times, call to first armed unit on scene (minutes)",
        columns=("month", "grade", "operations", "median", "90th percentile", "longest"),
        rows=tuple(
            (r.month, r.grade, r.operations, r.median_minutes, r.p90_minutes, r.max_minutes)
            for r in aggregate.rows
        ),
        notes=("Percentiles by nearest rank; operations without an arrival are left out.",),
    )


def patrols_table(aggregate: PatrolAggregate) -> Table:
    """Patrol hours planned and delivered per venue."""
    return Table(
        name=TableName.patrol_hours,
        title="Protective patrol hours, planned and delivered, per venue",
        columns=("venue", "planned hours", "delivered hours", "delivered share"),
        rows=tuple(
            (v.venue, v.planned_hours, v.delivered_hours, v.delivered_share)
            for v in aggregate.venues
        ),
        notes=(
            "Delivered: planned less the time the team was away on a deployment.",
            "A separate measure: never part of the Home Office operations count.",
        ),
    )


def reports_table(aggregate: ReportsAggregate) -> Table:
    """Public reports by category (rows) and grade (columns)."""
    grades = sorted({g for row in aggregate.by_category_grade.values() for g in row})
    return Table(
        name=TableName.public_reports,
        title="Public reports of concern by category and grade",
        columns=("category", *grades, "total"),
        rows=tuple(
            (category, *(row.get(g, 0) for g in grades), sum(row.values()))
            for category, row in aggregate.by_category_grade.items()
        ),
    )


def plan_reviews_table(aggregate: PlanReviewAggregate) -> Table:
    """Security-plan reviews by legal verdict and by tier."""
    rows: list[tuple[Cell, ...]] = [("verdict", k, v) for k, v in aggregate.by_verdict.items()]
    rows += [("tier", k, v) for k, v in aggregate.by_tier.items()]
    return Table(
        name=TableName.plan_reviews,
        title="Event security-plan reviews by outcome and tier",
        columns=("by", "value", "reviews"),
        rows=tuple(rows),
    )
