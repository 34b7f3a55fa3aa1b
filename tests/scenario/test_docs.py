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
    import yaml

    hours = OpeningHours.model_validate(yaml.safe_load(blocks()[1]))
    assert len(hours.exceptions) == 3


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
