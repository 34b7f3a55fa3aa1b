"""Build a small ODS workbook in the layout of the Home Office's firearms data tables.

The gov.uk accessible layout: a cover sheet, a contents sheet and a notes sheet, then one
sheet per table whose first cell is the title, a line or two of notes, a header row with
the police force area code, the force, the region and one column per year ("Year ending
31 March 2023 [note 2]"), and gov.uk's missing-value marks ([x], [z]). The figures are
invented for the test except where a comment names the release.
"""

from __future__ import annotations

from pathlib import Path

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

HEADER = ["Police force area code", "Police force area", "Region"]


def _cell(value: object, repeat: int = 1) -> TableCell:
    if value is None:
        cell = TableCell(numbercolumnsrepeated=repeat) if repeat > 1 else TableCell()
        return cell
    if isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=f"{value:,}"))
        return cell
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def _sheet(name: str, rows: list[list[object]]) -> Table:
    table = Table(name=name)
    for values in rows:
        row = TableRow()
        for value in values:
            row.addElement(_cell(value))
        row.addElement(_cell(None, repeat=20))  # trailing empties, as LibreOffice writes them
        table.addElement(row)
    return table


def write_tables(
    path: Path, *, years: list[int], forces: dict[str, dict[str, list[object]]]
) -> Path:
    """Write the workbook: ``forces[table][name]`` gives one row of values per year.

    Tables: ``operations`` (Table 1), ``arv`` (Table 2), ``officers`` (Table 5).
    """
    titles = {
        "operations": "Table 1: Firearms operations, by police force area, England and Wales, "
        f"years ending 31 March {years[0]} to {years[-1]}",
        "arv": "Table 2: Firearms operations involving armed response vehicles (ARVs), by "
        "police force area, England and Wales",
        "officers": "Table 5: Armed officers, by police force area, as at 31 March",
    }
    book = OpenDocumentSpreadsheet()
    book.spreadsheet.addElement(
        _sheet("Cover_sheet", [["Police use of firearms statistics, England and Wales"],
                               ["Published 11 July 2024"]])
    )  # fmt: skip
    book.spreadsheet.addElement(
        _sheet(
            "Contents",
            [["Contents"], ["Worksheet", "Description"], ["Table_1", titles["operations"]]],
        )
    )
    book.spreadsheet.addElement(
        _sheet("Notes", [["Notes"], ["Note number", "Note text"], ["note 2", "Revised figures."]])
    )
    regions = {"Hampshire": "South East", "Hampshire and Isle of Wight": "South East",
               "Thames Valley": "South East", "England and Wales": ""}  # fmt: skip
    for number, key in ((1, "operations"), (2, "arv"), (5, "officers")):
        header = HEADER + [
            f"Year ending 31 March {y}" + (" [note 2]" if y == years[-2] else "") for y in years
        ]
        rows: list[list[object]] = [
            [titles[key]],
            [
                "This worksheet contains one table. Some cells refer to notes in the Notes worksheet."
            ],
            ["Source: Home Office, Annual Data Requirement"],
            header,
        ]
        for i, (force, values) in enumerate(forces.get(key, {}).items()):
            rows.append([f"E230000{i:02d}", force, regions.get(force, "South East"), *values])
        book.spreadsheet.addElement(_sheet(f"Table_{number}", rows))
    book.save(str(path))
    return path
