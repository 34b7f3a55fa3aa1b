"""Published armed-policing figures to compare our own counts with.

``data/published.csv`` holds the figures of ``domain.md`` section 6 for England and Wales
and for Hampshire, one row per figure *and release*: the Home Office revises figures
between releases (2022/23 was 18,395 operations in the 2023 release and 18,400 in the 2024
one), and both rows are kept; :func:`latest` picks the newest release's value and
:func:`revisions` lists the changes. Years with no figure held are rows of status
``missing`` with a note, never zeros, so plots draw them as gaps. Figures seen only in a
secondary source keep the label ``FACT-2nd``.

Before the year ending March 2009 the figures were not quality-assured the same way and
are **not comparable** with later years (gov.uk release, year ending March 2014, section 5;
``domain.md`` section 6): :func:`comparable` says so for every year.

Forces are identified by a slug of their name; :func:`area_id` maps the names the tables
have used for one force to one id. Hampshire Constabulary became Hampshire and Isle of
Wight Constabulary: ``Hampshire``, ``Hampshire Constabulary``, ``Hampshire & Isle of
Wight`` and ``Hampshire and Isle of Wight Constabulary`` are all ``hampshire``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crowdguard.errors import InputError
from crowdguard.stats.years import FinancialYear, parse_financial_year

__all__ = [
    "AREA_NAMES",
    "COLUMNS",
    "FIRST_COMPARABLE",
    "IMPORTED_NAME",
    "MEASURES",
    "PACKAGED",
    "Figure",
    "Revision",
    "area_id",
    "comparable",
    "latest",
    "load_reference",
    "merge",
    "read_reference",
    "reference_in",
    "revisions",
    "series",
    "to_csv",
    "write_reference",
]

PACKAGED = Path(__file__).parent / "data" / "published.csv"
IMPORTED_NAME = "published.csv"
"""The reference file ``crowdguard stats import`` keeps in the data folder."""
FIRST_COMPARABLE = FinancialYear(2009)
"""The first year of the quality-assured series (year ending 31 March 2009)."""

MEASURES: dict[str, str] = {
    "firearms_operations": "firearms operations",
    "arv_operations": "firearms operations involving an ARV",
    "arv_share_pct": "share of operations involving an ARV (%)",
    "discharge_incidents": "incidents in which firearms were discharged at persons",
    "armed_officers": "armed officers at 31 March",
    "deployable_armed_officers": "operationally deployable armed officers at 31 March",
}
AREA_NAMES: dict[str, str] = {
    "hampshire": "Hampshire (Hampshire & Isle of Wight Constabulary)",
    "england-and-wales": "England and Wales",
}
COLUMNS = (
    "area", "measure", "year", "value", "status", "release", "release_year", "published",
    "source", "label", "note",
)  # fmt: skip

Status = Literal["published", "missing"]

_ALIASES = {
    "hampshire-and-isle-of-wight": "hampshire",
    "hampshire-isle-of-wight": "hampshire",
    "england-wales": "england-and-wales",
    "total-england-and-wales": "england-and-wales",
    "england-and-wales-total": "england-and-wales",
    "metropolitan": "metropolitan-police",
}


def area_id(name: str) -> str:
    """A stable id for a force or area name as the tables print it (renamings handled)."""
    text = re.sub(r"\[.*?\]", " ", name.lower())  # gov.uk note markers: "[note 3]"
    text = text.replace("&", " and ")
    text = re.sub(r"\b(constabulary|police service|police force|police)\b", " ", text)
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return _ALIASES.get(slug, slug)


def comparable(year: FinancialYear) -> bool:
    """True from the year ending March 2009 on (the quality-assured series)."""
    return year >= FIRST_COMPARABLE


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure (or a year stated missing) from one release."""

    area: str
    measure: str
    year: FinancialYear
    value: float | None
    status: Status
    release: str
    release_year: int | None
    published: dt.date | None
    source: str
    label: str
    note: str

    @property
    def key(self) -> tuple[str, str, FinancialYear]:
        """What the figure is of: area, measure, year."""
        return (self.area, self.measure, self.year)

    def order(self) -> tuple[int, dt.date]:
        """Release order: newer releases sort later."""
        return (self.release_year or 0, self.published or dt.date.min)


def _number(text: str, where: str) -> float | None:
    raw = text.strip().replace(",", "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{where}.value: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0 or value > 1e9:
        raise InputError(f"{where}.value: {text!r} is not a count or share")
    return value


def read_reference(text: str, *, source: str) -> list[Figure]:
    """Figures from CSV text with :data:`COLUMNS` (errors name ``source`` and the line)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}")
    figures: list[Figure] = []
    for line, row in enumerate(reader, start=2):
        where = f"{source} line {line}"
        status = (row["status"] or "").strip()
        if status not in ("published", "missing"):
            raise InputError(f"{where}.status: {status!r}; expected published or missing")
        value = _number(row["value"] or "", where)
        if (value is None) != (status == "missing"):
            raise InputError(f"{where}: a published figure needs a value, a missing one none")
        published = (row["published"] or "").strip()
        release_year = (row["release_year"] or "").strip()
        try:
            day = dt.date.fromisoformat(published) if published else None
            ryear = int(release_year) if release_year else None
        except ValueError:
            raise InputError(f"{where}: published/release_year is not a date/year") from None
        figures.append(
            Figure(
                area=area_id(row["area"] or ""),
                measure=(row["measure"] or "").strip(),
                year=parse_financial_year(row["year"] or ""),
                value=value,
                status="published" if status == "published" else "missing",
                release=(row["release"] or "").strip(),
                release_year=ryear,
                published=day,
                source=(row["source"] or "").strip(),
                label=(row["label"] or "").strip(),
                note=(row["note"] or "").strip(),
            )
        )
    return figures


def reference_in(data_dir: Path) -> Path | None:
    """The imported reference file in ``data_dir`` (None: use the packaged figures)."""
    path = data_dir / IMPORTED_NAME
    return path if path.is_file() else None


def load_reference(path: Path | None = None) -> list[Figure]:
    """The figures in ``path`` (default: the packaged ``data/published.csv``)."""
    target = path or PACKAGED
    if target.is_dir():
        raise InputError(f"{target}: is a folder; expected a reference CSV file")
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{target}: no such reference file") from None
    except UnicodeDecodeError:
        raise InputError(f"{target}: not UTF-8 text; expected a reference CSV file") from None
    return read_reference(text, source=str(target))


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def to_csv(figures: Iterable[Figure]) -> str:
    """CSV text with :data:`COLUMNS`, sorted by area, measure, year and release."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in sorted(figures, key=lambda f: (f.area, f.measure, f.year, f.order(), f.release)):
        writer.writerow(
            [
                f.area, f.measure, f.year.label, _fmt(f.value), f.status, f.release,
                "" if f.release_year is None else f.release_year,
                "" if f.published is None else f.published.isoformat(),
                f.source, f.label, f.note,
            ]
        )  # fmt: skip
    return out.getvalue()


def write_reference(figures: Iterable[Figure], path: Path) -> None:
    """Write the figures to ``path`` atomically (a temporary file, then a rename)."""
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(to_csv(figures))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class Revision:
    """A figure whose value changed between releases (oldest first)."""

    area: str
    measure: str
    year: FinancialYear
    values: tuple[tuple[str, float], ...]


def merge(held: Iterable[Figure], new: Iterable[Figure]) -> tuple[list[Figure], int]:
    """Add a release's figures to those held; returns the figures and how many were new.

    A figure from a release already held for the same area, measure and year is the same
    figure: re-importing a release changes nothing, and a different value for it is an
    error (a release is never silently rewritten). A figure from another release is kept
    beside the older one (a revision). A missing-year row gives way to a real figure for
    that year and is dropped.
    """
    figures = {(f.key, f.release): f for f in held}
    added = 0
    for f in new:
        same = figures.get((f.key, f.release))
        if same is not None:
            if same.value != f.value:
                raise InputError(
                    f"{f.area} {f.measure} {f.year.label}: release {f.release!r} is held with "
                    f"{_fmt(same.value) or 'missing'}, the import says {_fmt(f.value) or 'missing'}; "
                    "a release is never rewritten (name the new release differently)"
                )
            continue
        figures[(f.key, f.release)] = f
        added += 1
    with_values = {k for (k, _), f in figures.items() if f.status == "published"}
    kept = [f for f in figures.values() if not (f.status == "missing" and f.key in with_values)]
    return kept, added


def latest(figures: Iterable[Figure]) -> dict[tuple[str, str, FinancialYear], Figure]:
    """Per area, measure and year: the newest release's figure (a missing row only when
    no release has a value)."""
    best: dict[tuple[str, str, FinancialYear], Figure] = {}
    for f in figures:
        held = best.get(f.key)
        if held is None:
            best[f.key] = f
            continue
        if (f.status, f.order()) > (held.status, held.order()):
            best[f.key] = f  # "published" > "missing"; then the newer release
    return best


def revisions(figures: Iterable[Figure]) -> list[Revision]:
    """Figures published with different values by different releases."""
    groups: dict[tuple[str, str, FinancialYear], list[Figure]] = defaultdict(list)
    for f in figures:
        if f.value is not None:
            groups[f.key].append(f)
    out: list[Revision] = []
    for (area, measure, year), group in sorted(groups.items()):
        if len({f.value for f in group}) > 1:
            ordered = sorted(group, key=Figure.order)
            out.append(
                Revision(
                    area, measure, year, tuple((f.release, float(f.value or 0)) for f in ordered)
                )
            )
    return out


def series(
    figures: Iterable[Figure],
    *,
    area: str,
    measure: str,
    first: FinancialYear,
    last: FinancialYear,
) -> list[tuple[FinancialYear, Figure | None]]:
    """Every year ``first``..``last`` with the latest figure, or None where none is held
    (a gap, never a zero)."""
    best = latest(figures)
    out: list[tuple[FinancialYear, Figure | None]] = []
    for ending in range(first.ending, last.ending + 1):
        year = FinancialYear(ending)
        figure = best.get((area, measure, year))
        out.append((year, figure if figure is not None and figure.value is not None else None))
    return out
