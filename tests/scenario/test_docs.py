"""The YAML in docs/howto/write-a-scenario.md loads, and its quoted errors are real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crowdguard.errors import ScenarioError
from crowdguard.scenario import OpeningHours, parse_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto" / "write-a-scenario.md"


def blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_first_scenario_loads() -> None:
    scenario = parse_scenario(blocks()[0], source="winter.yaml")
    assert scenario.venues[0].id == "winchester-cathedral-market"
    assert {t.base for t in scenario.teams} <= {b.id for b in scenario.bases}


def test_the_opening_hours_example_loads() -> None:
    import datetime as dt

    import yaml

    hours = OpeningHours.model_validate(yaml.safe_load(blocks()[1]))
    assert len(hours.exceptions) == 10 + 3  # a ten-day run of late nights and three dates
    assert [str(r) for r in hours.on(dt.date(2026, 12, 17))] == ["09:00-20:00"]  # late night
    assert [str(r) for r in hours.on(dt.date(2026, 12, 10))] == ["09:00-19:00"]  # Thursday
    assert [str(r) for r in hours.on(dt.date(2026, 12, 9))] == ["09:00-17:30"]  # daily
    assert hours.on(dt.date(2026, 12, 25)) == []


def test_the_quoted_error_is_what_the_loader_says() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    quoted = re.search(r"`(winter\.yaml:\d+: venues\[0\][^`]*)`", text)
    assert quoted is not None
    bad = blocks()[0].replace('fri: "10:00-20:00"', 'fri: "Fri 10:00-25:00"')
    with pytest.raises(ScenarioError) as info:
        parse_scenario(bad, source="winter.yaml")
    assert str(info.value) == quoted.group(1)


def test_the_quoted_typo_hint_is_what_the_loader_says() -> None:
    bad = blocks()[0].replace("peak_occupancy:", "peek_occupancy:")
    with pytest.raises(ScenarioError, match="did you mean 'peak_occupancy'"):
        parse_scenario(bad, source="winter.yaml")


def test_the_team_kinds_example_loads() -> None:
    scenario = parse_scenario(blocks()[0] + blocks()[2], source="winter.yaml")
    kinds = scenario.patrol.kinds()
    assert kinds["arv"].effectiveness == 0.7 and kinds["cycle"].travel_multiplier == 1.5
    assert kinds["foot"].travel_multiplier == 1.2


def test_the_crossings_example_loads_and_is_the_route_taken() -> None:
    from crowdguard.patrols.travel import Place, straight_line_travel

    scenario = parse_scenario(blocks()[0] + blocks()[3], source="winter.yaml")
    (route,) = scenario.crossings or []
    yarmouth = Place("yarmouth-town", 50.7060, -1.4990, island=True)
    milford = Place("milford", 50.7260, -1.5870)
    travel = straight_line_travel([yarmouth, milford], crossings=scenario.crossings)
    assert travel.crossing("milford", "yarmouth-town") == route
    assert travel.between("milford", "yarmouth-town") > route.crossing_minutes + route.wait_minutes


@pytest.mark.parametrize(
    ("change", "row"),
    [
        (("kind: foot", "kind: dog"), 3),
        (('shifts: ["10:00-16:00"]', 'shifts: ["10:00-16:00", "15:00-18:00"]'), 4),
        (('shifts: ["10:00-16:00"]', 'shifts: ["10:00-10:20"]'), 5),
    ],
)
def test_the_common_errors_table_quotes_the_loader(change: tuple[str, str], row: int) -> None:
    table = DOC.read_text(encoding="utf-8").split("## Common errors")[1]
    quoted = re.findall(r"^\| `([^`]*)`", table, re.M)[row]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(blocks()[0].replace(*change), source="winter.yaml")
    assert quoted in str(info.value)


@pytest.mark.parametrize(
    ("change", "row"),
    [
        (("kind: christmas_market", "kind: outlet"), 9),
        (("callsign: alpha-1", "callsign: Alpha 1"), 10),
        (("    peak_occupancy: 2400", "\tpeak_occupancy: 2400"), 11),
        (("    capacity: 3500", "    capacity: 10000\n    area_m2: 1000"), 13),
        (
            (
                '["10:00-16:00"]}\n  - {callsign: bravo-1, base: winchester-staging, kind: arv, '
                'shifts: ["16:00-22:00"]',
                '["1:00-9:00"]}\n  - {callsign: bravo-1, base: '
                'winchester-staging, kind: arv, shifts: ["18:00-02:00"]',
            ),
            14,
        ),
    ],
)
def test_the_new_rows_of_the_common_errors_table_quote_the_loader(
    change: tuple[str, str], row: int
) -> None:
    table = DOC.read_text(encoding="utf-8").split("## Common errors")[1].split("## ")[0]
    quoted = re.findall(r"^\| `([^`]*)`", table, re.M)[row]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(blocks()[0].replace(*change), source="winter.yaml")
    for part in quoted.split("..."):
        assert part.strip(" ;") in str(info.value)


def test_the_date_range_row_of_the_common_errors_table_quotes_the_loader() -> None:
    table = DOC.read_text(encoding="utf-8").split("## Common errors")[1].split("## ")[0]
    quoted = re.findall(r"^\| `([^`]*)`", table, re.M)[12]
    bad = blocks()[0].replace(
        'sun: "10:00-18:00"}',
        'sun: "10:00-18:00"}\n      exceptions: {"2026-12-24..2026-12-14": closed}',
    )
    with pytest.raises(ScenarioError, match=re.escape(quoted)):
        parse_scenario(bad, source="winter.yaml")


def _reference_block() -> str:
    from crowdguard.scenario.reference import BEGIN, END

    text = DOC.read_text(encoding="utf-8")
    return text.split(BEGIN)[1].split(END)[0].strip()


def test_the_field_reference_is_the_schema_s() -> None:
    """Regenerate with ``python -m crowdguard.scenario.reference`` when this fails."""
    from crowdguard.scenario.reference import field_reference

    assert _reference_block() == field_reference().strip()


def test_every_field_of_every_model_is_described() -> None:
    from crowdguard.scenario.reference import MODELS

    undescribed = [
        f"{model.__name__}.{name}"
        for model, _ in MODELS
        for name, info in model.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert undescribed == []


def test_the_reference_lists_the_fields_the_old_page_left_out() -> None:
    """Issue 11: town, notes, timezone, a base's island, a required name, kind default foot."""
    block = _reference_block()
    sections = dict(re.findall(r"### (\w+)\n(.*?)(?=\n### |\Z)", block, re.S))

    def row(model: str, field: str) -> list[str]:
        line = next(r for r in sections[model].splitlines() if r.startswith(f"| `{field}` |"))
        return [c.strip() for c in line.strip("|").split("|")]

    assert row("Venue", "town")[2] == "empty"
    assert row("Scenario", "notes")[2] == "empty"
    assert row("Scenario", "timezone")[2] == "`Europe/London`"
    assert row("Base", "island")[2] == "`false`"
    assert row("Base", "name")[2] == "**required**"
    assert row("Team", "kind")[2] == "`foot`"
    assert row("Venue", "area_m2")[2] == "none"
    assert row("OpeningHours", "daily")[2] == "none"


def test_the_check_output_on_the_page_is_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from crowdguard.cli.main import main

    text = DOC.read_text(encoding="utf-8")
    shown = text.split("$ crowdguard scenario check winter.yaml\n")[1].split("```")[0]
    (tmp_path / "winter.yaml").write_text(blocks()[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["crowdguard", "scenario", "check", "winter.yaml"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code in (0, None)
    printed = capsys.readouterr().out
    assert " ".join(printed.split()) == " ".join(shown.split())
