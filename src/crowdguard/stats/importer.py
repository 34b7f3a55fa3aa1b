"""Import the Home Office's published firearms tables (ODS or CSV) as reference figures.

The gov.uk data tables of *Police use of firearms statistics* are OpenDocument
spreadsheets in the government's accessible layout: a cover sheet, a contents sheet and a
notes sheet, then one sheet per table whose first cell is the table's title (for example
"Table 1: Firearms operations, by police force area, England and Wales, years ending 31
March 2009 to 2024"), a few lines of notes, and a header row naming the police force area
(and often its code and region) and one column per year. Missing values are written as
gov.uk's shorthand: ``[x]`` not available, ``[z]`` not applicable, ``[c]`` suppressed,
or the older ``..`` and ``:``. Some releases give a long table instead: one row per force
and year with a value column. Both layouts are read; CSV files of either layout too.

ODS is read with odfpy (cells repeated with ``number-columns-repeated`` expanded, as
LibreOffice writes them). What a sheet counts is taken from its title (ARV, discharges,
deployable officers, armed officers, firearms operations); a sheet whose title names none
of these, or which has no header row, is skipped (the cover, contents and notes sheets).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crowdguard.errors import InputError
from crowdguard.stats.reference import Figure, area_id
from crowdguard.stats.years import FinancialYear

__all__ = ["Sheet", "import_tables", "read_sheets"]

MAX_BYTES = 50 * 1024 * 1024
MAX_CELLS = 2_000_000
_MISSING = {"", "..", ":", "-", "[x]", "[z]", "[c]", "[u]", "x", "z", "c", "n/a", "na"}


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet's name and its rows of cell texts."""

    name: str
    rows: list[list[str]]


def _ods_sheets(path: Path) -> list[Sheet]:
    from odf.namespaces import TABLENS, TEXTNS
    from odf.opendocument import load

    try:
        document = load(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: not an OpenDocument spreadsheet ({type(exc).__name__}); "
            "expected the .ods data tables"
        ) from None
    except Exception as exc:  # odfpy raises XML errors of several kinds on a damaged file
        raise InputError(f"{path}: could not be read as ODS ({type(exc).__name__})") from None

    def text_of(cell: object) -> str:
        parts: list[str] = []

        def walk(node: object) -> None:
            for child in getattr(node, "childNodes", []):
                if getattr(child, "nodeType", None) == child.TEXT_NODE:
                    parts.append(str(child.data))
                elif getattr(child, "qname", None) == (TEXTNS, "s"):
                    parts.append(" ")
                else:
                    walk(child)
                    if getattr(child, "qname", None) == (TEXTNS, "p"):
                        parts.append(" ")

        walk(cell)
        return " ".join("".join(parts).split())

    sheets: list[Sheet] = []
    cells = 0
    for table in document.spreadsheet.getElementsByType(_table_type()):
        rows: list[list[str]] = []
        for row in table.childNodes:
            if getattr(row, "qname", None) != (TABLENS, "table-row"):
                continue
            values: list[str] = []
            for cell in row.childNodes:
                if getattr(cell, "qname", None) not in (
                    (TABLENS, "table-cell"),
                    (TABLENS, "covered-table-cell"),
                ):
                    continue
                repeat = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
                text = text_of(cell)
                values.extend([text] * (min(repeat, 1024) if text else min(repeat, 64)))
            while values and values[-1] == "":
                values.pop()
            repeat_rows = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
            for _ in range(min(repeat_rows, 1 if not values else 1024)):
                rows.append(values)
            cells += len(values) * min(repeat_rows, 1024)
            if cells > MAX_CELLS:
                raise InputError(f"{path}: more than {MAX_CELLS} cells; not a data table")
        sheets.append(Sheet(str(table.getAttrNS(TABLENS, "name")), rows))
    return sheets


def _table_type() -> type:
    from odf.table import Table

    return Table  # type: ignore[no-any-return]


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of an ODS file, or the one sheet of a CSV file."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected an .ods or .csv file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; not a data table")
    if path.suffix.lower() == ".ods":
        return _ods_sheets(path)
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; expected a CSV file") from None
        rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines())]
        return [Sheet(path.stem, rows)]
    raise InputError(f"{path}: expected an .ods or .csv file (the Home Office data tables)")


_MEASURE_BY_TITLE = (
    ("arv_operations", re.compile(r"armed response vehicle|\bARVs?\b", re.I)),
    ("discharge_incidents", re.compile(r"discharg", re.I)),
    ("deployable_armed_officers", re.compile(r"deployable", re.I)),
    ("armed_officers", re.compile(r"armed officers|firearms officers|\bAFOs?\b", re.I)),
    ("firearms_operations", re.compile(r"firearms operations", re.I)),
)
_YEAR = (
    re.compile(r"(?:year ending|ye)\s*(?:31\s*)?(?:mar(?:ch)?)\s*(\d{4})", re.I),
    re.compile(r"april\s*(\d{4})\s*to\s*march\s*(\d{4})", re.I),
    re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$"),
)
_NOTE = re.compile(r"\[(?:note|notes)\s*[^\]]*\]", re.I)


def _year(text: str) -> FinancialYear | None:
    """A financial year from a header cell ("2017/18", "Year ending March 2018", ...)."""
    clean = _NOTE.sub("", text).replace("(number)", "").strip()
    match = _YEAR[0].search(clean)
    if match:
        return FinancialYear(int(match.group(1)))
    match = _YEAR[1].search(clean)
    if match and int(match.group(2)) == int(match.group(1)) + 1:
        return FinancialYear(int(match.group(2)))
    match = _YEAR[2].match(clean)
    if match:
        first, second = int(match.group(1)), match.group(2)
        ending = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
        if ending <= first:
            ending += 100
        return FinancialYear(ending) if ending == first + 1 else None
    return None


def _measure(title: str) -> str | None:
    for measure, pattern in _MEASURE_BY_TITLE:
        if pattern.search(title):
            return measure
    return None


def _is_area_header(cell: str) -> bool:
    text = _NOTE.sub("", cell).strip().lower()
    return text in ("police force area", "force", "police force", "force name", "area")


def _value(text: str, where: str) -> float | None:
    raw = _NOTE.sub("", text).strip().lower().replace(",", "")
    if raw in _MISSING:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a number or a missing-value mark") from None
    if value != value or value < 0 or value > 1e9:
        raise InputError(f"{where}: {text!r} is out of range")
    return value


def _figures(
    sheet: Sheet, *, source: str, release: str, release_year: int, published: dt.date | None
) -> Iterator[Figure]:
    title = next((c for row in sheet.rows[:3] for c in row if c), sheet.name)
    header_at = next(
        (i for i, row in enumerate(sheet.rows[:40]) if any(_is_area_header(c) for c in row)),
        None,
    )
    if header_at is None:
        return
    found = _measure(title) or _measure(sheet.name)
    if found is None:  # a bare CSV: the value column's name says what it counts
        found = next((m for c in sheet.rows[header_at] if (m := _measure(c))), None)
    if found is None:
        return
    measure = found
    header = sheet.rows[header_at]
    area_col = next(i for i, c in enumerate(header) if _is_area_header(c))
    year_cols = {i: y for i, c in enumerate(header) if (y := _year(c)) is not None}
    long_year = next(
        (i for i, c in enumerate(header) if re.search(r"financial year|^year$", c, re.I)), None
    )
    value_col = next(
        (
            i
            for i, c in enumerate(header)
            if i not in (area_col, long_year) and re.search(r"number|value|count", c, re.I)
        ),
        None,
    )
    if not year_cols and (long_year is None or value_col is None):
        raise InputError(
            f"{source} sheet {sheet.name!r}: a header row names the police force area but no "
            "year columns (e.g. 'Year ending 31 March 2024') nor a 'Financial year' and a "
            "value column"
        )

    def figure(area: str, year: FinancialYear, value: float | None, note: str) -> Figure:
        return Figure(
            area=area_id(area),
            measure=measure,
            year=year,
            value=value,
            status="missing" if value is None else "published",
            release=release,
            release_year=release_year,
            published=published,
            source=source,
            label="FACT",
            note=note,
        )

    for number, row in enumerate(sheet.rows[header_at + 1 :], start=header_at + 2):
        area = row[area_col] if area_col < len(row) else ""
        if not area:
            continue
        where = f"{source} sheet {sheet.name!r} row {number}"
        if year_cols:
            for col, year in year_cols.items():
                cell = row[col] if col < len(row) else ""
                value = _value(cell, f"{where} ({header[col]})")
                yield figure(area, year, value, f"marked {cell!r}" if value is None else "")
        else:
            assert long_year is not None and value_col is not None
            year_text = row[long_year] if long_year < len(row) else ""
            long = _year(year_text)
            if long is None:
                raise InputError(f"{where}: {year_text!r} is not a financial year")
            cell = row[value_col] if value_col < len(row) else ""
            value = _value(cell, where)
            yield figure(area, long, value, f"marked {cell!r}" if value is None else "")


def import_tables(
    path: Path,
    *,
    release: str,
    release_year: int,
    published: dt.date | None = None,
    source: str | None = None,
) -> list[Figure]:
    """Every figure in the published tables at ``path``, attributed to ``release``.

    ``release_year`` is the year ending of the newest year the release covers (it orders
    releases when a figure is revised). Raises :class:`InputError` naming the file, sheet
    and row for anything unreadable, and when no table of firearms figures is found.
    """
    if not release.strip():
        raise InputError("--release: name the release (e.g. 'April 2023 to March 2024')")
    if not 1990 < release_year < 2200:
        raise InputError(f"--release-year: {release_year} is not a plausible year")
    name = source or path.name
    figures: list[Figure] = []
    for sheet in read_sheets(path):
        figures.extend(
            _figures(
                sheet,
                source=name,
                release=release.strip(),
                release_year=release_year,
                published=published,
            )
        )
    if not figures:
        raise InputError(
            f"{path}: no table of firearms figures found (expected sheets titled e.g. "
            "'Table 1: Firearms operations, by police force area' with a 'Police force area' "
            "header row)"
        )
    seen: dict[tuple[str, str, FinancialYear], float | None] = {}
    for f in figures:
        if f.key in seen and seen[f.key] != f.value:
            raise InputError(
                f"{path}: {f.area} {f.measure} {f.year.label} appears twice with different "
                "values in one release"
            )
        seen[f.key] = f.value
    unique = {(f.key): f for f in figures}
    return list(unique.values())
