"""Plots of the statistics tables (Matplotlib, PNG or SVG, for reports and briefings).

Every function draws one :class:`~crowdguard.stats.trends.Table` and nothing else, so the
picture and its CSV always agree. Missing values are NaN, which Matplotlib leaves as gaps
in a line. The operations plot shades the years before the year ending March 2009 and
labels them "not comparable".
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from crowdguard.stats.reference import FIRST_COMPARABLE
from crowdguard.stats.trends import Cell, Table, TableName

__all__ = ["PlotFormat", "plot", "plot_table"]

PlotFormat = Literal["png", "svg"]


def _number(cell: Cell) -> float:
    if cell is None or isinstance(cell, bool | str):
        return math.nan
    return float(cell)


def _save(figure: Figure, fmt: PlotFormat) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight", metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()


def _column(table: Table, name: str) -> list[Cell]:
    index = table.columns.index(name)
    return [row[index] for row in table.rows]


def _operations(table: Table) -> Figure:
    years = [str(c) for c in _column(table, "year")]
    x = list(range(len(years)))
    figure, (local, national) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axes, prefix in ((local, "Hampshire"), (national, "England and Wales")):
        for column, style in (
            (f"{prefix} operations (published)", "-o"),
            (f"{prefix} ARV operations (published)", "--s"),
        ):
            axes.plot(x, [_number(c) for c in _column(table, column)], style, label=column)
        axes.set_title(prefix)
        axes.set_ylabel("operations per year")
        first_comparable = next(
            (i for i, y in enumerate(years) if int(y[:4]) + 1 >= FIRST_COMPARABLE.ending), None
        )
        if first_comparable is None or first_comparable > 0:
            edge = len(years) if first_comparable is None else first_comparable
            axes.axvspan(-0.5, edge - 0.5, color="0.9", zorder=0)
            axes.text(
                (edge - 1) / 2, 1.0, "not comparable before\nyear ending March 2009",
                transform=axes.get_xaxis_transform(), ha="center", va="top", fontsize=8,
            )  # fmt: skip
    ours = [_number(c) for c in _column(table, "our operations")]
    ours_arv = [_number(c) for c in _column(table, "our ARV operations")]
    local.plot(x, ours, "D", color="black", label="our operations (this log)")
    local.plot(x, ours_arv, "x", color="black", label="our ARV operations (this log)")
    step = max(1, len(years) // 10)
    for axes in (local, national):
        axes.set_xticks(x[::step], years[::step], rotation=45, ha="right")
        axes.set_ylim(bottom=0)
        axes.legend(fontsize=7, loc="lower left")
    figure.suptitle(table.title + " (gaps: no figure held)", fontsize=10)
    return figure


def _response(table: Table) -> Figure:
    figure, axes = plt.subplots(figsize=(8, 4))
    months = sorted({str(m) for m in _column(table, "month")})
    for grade in sorted({str(g) for g in _column(table, "grade")}):
        by_month = {str(row[0]): _number(row[3]) for row in table.rows if str(row[1]) == grade}
        axes.plot(months, [by_month.get(m, math.nan) for m in months], "-o", label=grade)
    axes.set_ylabel("median minutes to first armed unit")
    axes.set_title(table.title, fontsize=10)
    axes.set_ylim(bottom=0)
    if months:
        axes.legend(title="grade", fontsize=8)
    return figure


def _patrols(table: Table) -> Figure:
    venues = [str(v) for v in _column(table, "venue")]
    planned = [_number(c) for c in _column(table, "planned hours")]
    delivered = [_number(c) for c in _column(table, "delivered hours")]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(venues) + 1.5))
    y = list(range(len(venues)))
    axes.barh([v + 0.2 for v in y], planned, height=0.4, label="planned", color="0.7")
    axes.barh([v - 0.2 for v in y], delivered, height=0.4, label="delivered", color="C0")
    axes.set_yticks(y, venues)
    axes.set_xlabel("hours over the period")
    axes.set_title(table.title, fontsize=10)
    axes.legend(fontsize=8)
    return figure


def _reports(table: Table) -> Figure:
    categories = [str(c) for c in _column(table, "category")]
    grades = [c for c in table.columns[1:-1]]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(categories) + 1.5))
    left = [0.0] * len(categories)
    for grade in grades:
        values = [_number(c) for c in _column(table, grade)]
        axes.barh(categories, values, left=left, label=grade)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel("reports")
    axes.set_title(table.title, fontsize=10)
    if grades:
        axes.legend(title="grade", fontsize=8)
    return figure


def _plan_reviews(table: Table) -> Figure:
    labels = [f"{row[0]}: {row[1]}" for row in table.rows]
    values = [_number(row[2]) for row in table.rows]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(labels) + 1.5))
    axes.barh(labels, values, color="C2")
    axes.set_xlabel("reviews")
    axes.set_title(table.title, fontsize=10)
    return figure


_DRAW: dict[str, Callable[[Table], Figure]] = {
    TableName.operations_by_year: _operations,
    TableName.response_times: _response,
    TableName.patrol_hours: _patrols,
    TableName.public_reports: _reports,
    TableName.plan_reviews: _plan_reviews,
}


def plot_table(table: Table) -> Figure:
    """The Matplotlib figure for a table built by :mod:`crowdguard.stats.trends`."""
    try:
        draw = _DRAW[table.name]
    except KeyError:
        raise ValueError(f"no plot for table {table.name!r}") from None
    return draw(table)


def plot(table: Table, fmt: PlotFormat = "png") -> bytes:
    """The table's plot as PNG or SVG bytes (no creation date: reproducible files)."""
    return _save(plot_table(table), fmt)
