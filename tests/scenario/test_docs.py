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
