"""The tables behind the plots (gaps stay gaps, CSV matches) and the plots drawn from them."""

from __future__ import annotations

import csv
import io

import pytest
from briefing_data import sample

from crowdguard.stats.briefing import briefing_tables
from crowdguard.stats.plots import plot
from crowdguard.stats.reference import load_reference
from crowdguard.stats.trends import PLOTTED, Table, operations_trend_table


def _rows(table: Table) -> dict[str, dict[str, str]]:
    reader = csv.DictReader(io.StringIO(table.to_csv()))
    return {row[table.columns[0]]: row for row in reader}


def test_the_operations_trend_puts_ours_beside_the_published_and_keeps_gaps() -> None:
    data = sample()
    rows = _rows(operations_trend_table(data.operations, load_reference()))
    assert rows["1996/97"]["comparable"] == "no" and rows["2008/09"]["comparable"] == "yes"
    assert rows["2017/18"]["Hampshire operations (published)"] == "283"
    assert rows["2016/17"]["Hampshire operations (published)"] == "189"
    # 2018/19 is stated missing for Hampshire: an empty cell, never a zero
    assert rows["2018/19"]["Hampshire operations (published)"] == ""
    assert rows["2018/19"]["England and Wales operations (published)"] == "20192"
    assert (rows["2026/27"]["our operations"], rows["2026/27"]["our ARV operations"]) == (
        "23",
        "21",
    )
    assert rows["2025/26"]["our operations"] == ""  # the log does not cover it
    assert list(rows) == sorted(rows)  # every year in order, none skipped
    assert len(rows) == 2027 - 1997 + 1


def test_every_briefing_table_exports_to_csv_with_its_header() -> None:
    for table in briefing_tables(sample()):
        lines = table.to_csv().splitlines()
        assert lines[0].split(",") == list(table.columns)
        assert len(lines) == len(table.rows) + 1


@pytest.mark.parametrize("name", sorted(PLOTTED))
def test_every_plot_draws_its_table_as_png_and_svg(name: str) -> None:
    table = next(t for t in briefing_tables(sample()) if t.name == name)
    png = plot(table, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    svg = plot(table, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<dc:date>" not in svg  # no creation date: the same table, the same file


def test_the_operations_plot_marks_the_years_that_are_not_comparable() -> None:
    table = next(t for t in briefing_tables(sample()) if t.name == "operations-by-year")
    svg = plot(table, "svg").decode("utf-8")
    assert "not comparable before" in svg or "not comparable" in svg.replace("\n", " ")


def test_a_table_without_a_plot_is_refused_by_name() -> None:
    table = Table(name="nonsense", title="x", columns=("a",), rows=())
    with pytest.raises(ValueError, match="no plot for table 'nonsense'"):
        plot(table)
