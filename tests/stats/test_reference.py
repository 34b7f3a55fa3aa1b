"""Reference figures: the packaged data file, the importer on a fixture in the published
layout, revisions kept across releases, the force's renaming."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from published_tables import write_tables

from crowdguard.errors import InputError
from crowdguard.stats.importer import import_tables
from crowdguard.stats.reference import (
    area_id,
    comparable,
    latest,
    load_reference,
    merge,
    revisions,
    series,
    write_reference,
)
from crowdguard.stats.years import FinancialYear


def test_the_packaged_figures_hold_domain_section_6() -> None:
    figures = load_reference()
    best = latest(figures)
    value = lambda a, m, y: best[(a, m, FinancialYear(y))].value  # noqa: E731
    assert value("hampshire", "firearms_operations", 2018) == 283
    assert value("hampshire", "firearms_operations", 2017) == 189
    assert value("hampshire", "arv_operations", 2012) == 427
    assert value("england-and-wales", "firearms_operations", 2024) == 17589
    assert value("england-and-wales", "firearms_operations", 2023) == 18400  # revised
    assert value("england-and-wales", "discharge_incidents", 2024) == 2
    fact2 = best[("hampshire", "firearms_operations", FinancialYear(2018))]
    assert fact2.label == "FACT-2nd" and "Andover" in fact2.source


def test_missing_years_are_stated_missing_not_zero() -> None:
    figures = load_reference()
    gaps = {
        y.label
        for y, f in series(
            figures,
            area="hampshire",
            measure="firearms_operations",
            first=FinancialYear(2012),
            last=FinancialYear(2024),
        )
        if f is None
    }
    assert gaps == {"2011/12", "2012/13", "2013/14", "2014/15", "2015/16", "2018/19",
                    "2019/20", "2022/23", "2023/24"}  # fmt: skip
    stated = [f for f in figures if f.status == "missing" and f.area == "hampshire"]
    assert stated and all(f.value is None and f.note for f in stated)


def test_revisions_between_releases_are_kept() -> None:
    (change,) = [r for r in revisions(load_reference()) if r.year == FinancialYear(2023)]
    assert [v for _, v in change.values] == [18395, 18400]


def test_pre_2009_years_are_not_comparable() -> None:
    assert not comparable(FinancialYear(2008)) and comparable(FinancialYear(2009))


@pytest.mark.parametrize(
    "name",
    ["Hampshire", "HAMPSHIRE", "Hampshire Constabulary", "Hampshire & Isle of Wight",
     "Hampshire and Isle of Wight Constabulary", "Hampshire [note 4]"],
)  # fmt: skip
def test_the_force_renaming_maps_to_one_series(name: str) -> None:
    assert area_id(name) == "hampshire"


def _workbook(tmp_path: Path, name: str, hampshire_name: str, ops: list[object]) -> Path:
    return write_tables(
        tmp_path / name,
        years=[2022, 2023, 2024],
        forces={
            "operations": {
                hampshire_name: ops,
                "Thames Valley": [410, 398, 420],
                "England and Wales": [18257, 18395, 17589],
            },
            "arv": {hampshire_name: [280, "[x]", 300], "England and Wales": [16800, 16900, 16313]},
            "officers": {hampshire_name: [130, 128, 131]},
        },
    )


def test_the_importer_reads_the_published_ods_layout(tmp_path: Path) -> None:
    path = _workbook(tmp_path, "tables.ods", "Hampshire and Isle of Wight", [302, 296, 310])
    figures = import_tables(
        path, release="April 2023 to March 2024", release_year=2024,
        published=dt.date(2024, 7, 11),
    )  # fmt: skip
    got = {(f.area, f.measure, f.year.label): f.value for f in figures}
    assert got[("hampshire", "firearms_operations", "2023/24")] == 310
    assert got[("thames-valley", "firearms_operations", "2021/22")] == 410
    assert got[("england-and-wales", "arv_operations", "2023/24")] == 16313
    assert got[("hampshire", "armed_officers", "2022/23")] == 128
    missing = [f for f in figures if f.key == ("hampshire", "arv_operations", FinancialYear(2023))]
    assert missing[0].status == "missing" and "[x]" in missing[0].note


def test_importing_two_releases_keeps_the_revision(tmp_path: Path) -> None:
    older = import_tables(
        _workbook(tmp_path, "2023.ods", "Hampshire", [302, 296, 999]),
        release="April 2022 to March 2023", release_year=2023,
    )  # fmt: skip
    newer = import_tables(
        _workbook(tmp_path, "2024.ods", "Hampshire and Isle of Wight", [302, 299, 310]),
        release="April 2023 to March 2024", release_year=2024,
    )  # fmt: skip
    held, added = merge(load_reference(), older)
    held, added_again = merge(held, newer)
    assert added > 0 and added_again > 0
    store = tmp_path / "reference.csv"
    write_reference(held, store)
    back = load_reference(store)
    (change,) = [
        r for r in revisions(back)
        if r.area == "hampshire" and r.measure == "firearms_operations" and r.year.ending == 2023
    ]  # fmt: skip
    assert [v for _, v in change.values] == [296, 299]
    best = latest(back)
    assert best[("hampshire", "firearms_operations", FinancialYear(2023))].value == 299
    # the imported 2021/22 figure (302) agrees with the Daily Echo's, already held
    assert best[("hampshire", "firearms_operations", FinancialYear(2022))].value == 302
    # a year stated missing in the packaged file is filled by the import
    assert best[("hampshire", "firearms_operations", FinancialYear(2024))].status == "published"
    # re-importing the same release changes nothing
    _, none = merge(back, newer)
    assert none == 0


def test_a_release_is_never_rewritten(tmp_path: Path) -> None:
    first = import_tables(
        _workbook(tmp_path, "a.ods", "Hampshire", [1, 2, 3]), release="R", release_year=2024
    )
    second = import_tables(
        _workbook(tmp_path, "b.ods", "Hampshire", [1, 2, 4]), release="R", release_year=2024
    )
    held, _ = merge([], first)
    with pytest.raises(InputError, match="never rewritten"):
        merge(held, second)


def test_the_importer_reads_a_long_csv(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "Financial year,Police force area,Region,Number of firearms operations\n"
        "2022/23,Hampshire,South East,296\n2023/24,Hampshire and Isle of Wight,South East,310\n"
        "2023/24,Thames Valley,South East,[x]\n",
        encoding="utf-8",
    )
    figures = import_tables(path, release="Firearms operations (CSV)", release_year=2024)
    got = {(f.area, f.year.label): f.value for f in figures}
    assert got == {("hampshire", "2022/23"): 296, ("hampshire", "2023/24"): 310,
                   ("thames-valley", "2023/24"): None}  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip at all", "not an OpenDocument"),
        (None, "is a folder"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "tables.ods"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_tables(path, release="R", release_year=2024)


def test_a_bad_cell_names_the_sheet_and_row(tmp_path: Path) -> None:
    path = _workbook(tmp_path, "bad.ods", "Hampshire", [302, "lots", 310])
    with pytest.raises(InputError, match=r"Table_1.*row 5.*'lots'"):
        import_tables(path, release="R", release_year=2024)


def test_a_csv_without_firearms_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no table of firearms figures"):
        import_tables(path, release="R", release_year=2024)


def test_stats_import_merges_releases_into_the_data_folder_and_stats_use_them(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from crowdguard.cli.main import app

    data = tmp_path / "data"

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--data-dir", str(data)])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    older = _workbook(tmp_path, "2023.ods", "Hampshire", [302, 296, 999])
    newer = _workbook(tmp_path, "2024.ods", "Hampshire and Isle of Wight", [302, 299, 310])
    out = run("stats", "import", str(older), "--release", "2022/23", "--release-year", "2023")
    assert "2023.ods:" in out and "published.csv" in out
    run("stats", "import", str(newer), "--release", "2023/24", "--release-year", "2024")
    held = load_reference(data / "published.csv")
    (change,) = [
        r for r in revisions(held)
        if r.area == "hampshire" and r.measure == "firearms_operations" and r.year.ending == 2023
    ]  # fmt: skip
    assert [v for _, v in change.values] == [296, 299]  # the revision is kept
    assert len(held) > len(load_reference())  # the packaged figures are kept too
    bad = CliRunner().invoke(
        app, ["stats", "import", str(tmp_path), "--release", "x", "--release-year", "2024"]
    )
    assert bad.exit_code != 0 and "is a folder" in str(bad.exception)
