"""The grid: team counts and threat levels parsed, deployments cycled from the scenario."""

from __future__ import annotations

import datetime as dt

import pytest

from crowdguard.errors import InputError
from crowdguard.scenario.load import demo_scenario
from crowdguard.scenario.schema import ThreatLevel
from crowdguard.sweep import GridPoint, cycle_order, parse_teams, parse_threats, team_hours, vary


def test_team_ranges_lists_and_steps() -> None:
    assert parse_teams("2:5") == [2, 3, 4, 5]
    assert parse_teams("2:10:4") == [2, 6, 10]
    assert parse_teams("8, 4,4") == [4, 8]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2-40", "expected A:B"),
        ("5:2", "no team counts"),
        ("0:3", "outside 1..1000"),
        ("2:4000", "outside 1..1000"),
        ("1:4:0", "step"),
        ("", "no team counts"),
    ],
)
def test_bad_team_ranges_name_the_option(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match="--teams") as caught:
        parse_teams(text)
    assert fragment in str(caught.value)


def test_threat_levels_lowest_first_and_checked() -> None:
    assert parse_threats("critical,SUBSTANTIAL") == [ThreatLevel.SUBSTANTIAL, ThreatLevel.CRITICAL]
    with pytest.raises(InputError, match="'HIGH' is not a threat level"):
        parse_threats("SEVERE,HIGH")


def test_small_deployments_keep_both_shifts_and_large_ones_cycle_bases() -> None:
    scenario = demo_scenario()
    order = [t.callsign for t in cycle_order(scenario.teams)]
    assert order[:4] == ["alpha-1", "bravo-1", "alpha-2", "bravo-2"]
    two = vary(scenario, GridPoint(ThreatLevel.SEVERE, 2))
    assert {str(t.shifts[0].hours) for t in two.teams} == {"10:00-16:00", "16:00-22:00"}
    assert two.threat_level is ThreatLevel.SEVERE
    big = vary(scenario, GridPoint(ThreatLevel.SUBSTANTIAL, 20))
    callsigns = [t.callsign for t in big.teams]
    assert len(set(callsigns)) == 20
    assert callsigns[8] == "alpha-1-x2" and callsigns[16] == "alpha-1-x3"
    # each original base is used in proportion: 20 = 2 full cycles + 4
    bases = [t.base for t in big.teams]
    assert bases.count("southampton-central-pic") == 2 * 2 + 2
    # the copy is a valid scenario (call signs are slugs, bases exist)
    type(scenario).model_validate(big.model_dump())


def test_team_hours_count_shift_hours_over_the_days() -> None:
    scenario = demo_scenario()
    days = scenario.days[:3]
    assert team_hours(scenario, days) == 8 * 6 * 3
    assert team_hours(vary(scenario, GridPoint(ThreatLevel.LOW, 3)), days) == 3 * 6 * 3
    assert team_hours(scenario, [dt.date(2026, 12, 1)]) == 48
