"""The loader turns every kind of bad scenario file into one line naming file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crowdguard.errors import CrowdGuardError, PlanError, ScenarioError
from crowdguard.scenario import Scenario, load_scenario, parse_scenario
from crowdguard.scenario.schema import TimeRange

GOOD = """\
id: test-season
name: Test season
start: 2026-12-01
end: 2026-12-07
threat_level: SUBSTANTIAL
venues:
  - id: market
    name: Market
    kind: christmas_market
    lat: 51.06
    lon: -1.31
    opening_hours:
      weekly:
        mon: "10:00-18:00"
        fri: "10:00-20:00"
    peak_occupancy: 1000
  - id: high-street
    name: High Street
    kind: shopping_street
    lat: 51.07
    lon: -1.32
    opening_hours:
      weekly: {sat: "09:00-18:00"}
    peak_occupancy: 500
bases:
  - {id: hq, name: HQ, lat: 51.0, lon: -1.3}
teams:
  - {callsign: alpha-1, base: hq, shifts: ["10:00-16:00"]}
"""


def write(tmp_path: Path, text: str, name: str = "winter.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, name: str = "winter.yaml") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert message.startswith(str(path)), "errors name the file"
    return message


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle`` (found independently)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert isinstance(scenario, Scenario)
    assert [v.id for v in scenario.venues] == ["market", "high-street"]


def test_json_loads_the_same_as_yaml(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(GOOD)
    text = json.dumps(data, default=str, indent=2)
    assert load_scenario(write(tmp_path, text, "winter.json")) == parse_scenario(GOOD)


def test_json_indented_with_tabs_loads(tmp_path: Path) -> None:
    import yaml

    text = json.dumps(yaml.safe_load(GOOD), default=str, indent="\t")
    assert load_scenario(write(tmp_path, text, "winter.json")) == parse_scenario(GOOD)


def test_bad_opening_hours_name_the_weekday_and_line(tmp_path: Path) -> None:
    text = GOOD.replace('fri: "10:00-20:00"', 'fri: "Fri 10:00-25:00"')
    message = error_of(tmp_path, text)
    line = line_of(text, "Fri 10:00-25:00")
    assert f"winter.yaml:{line}: venues[0].opening_hours.weekly.fri:" in message
    assert "'Fri 10:00-25:00' is not a time range" in message
    assert "HH:MM-HH:MM" in message


def test_opening_hours_that_end_before_they_start(tmp_path: Path) -> None:
    text = GOOD.replace('mon: "10:00-18:00"', 'mon: "18:00-10:00"')
    message = error_of(tmp_path, text)
    assert f":{line_of(text, '18:00-10:00')}: venues[0].opening_hours.weekly.mon:" in message
    assert "ends before it starts" in message


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("    peak_occupancy: 500", "    peak_occupancy: [500")
    message = error_of(tmp_path, text)
    assert "malformed YAML" in message
    # PyYAML reports the problem at or just after the unclosed bracket.
    reported = int(message.split(":")[1])
    assert line_of(text, "[500") <= reported <= line_of(text, "[500") + 2


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, '{"id": "x",\n "name": "y",\n "start": }\n', "winter.json")
    assert message.startswith(str(tmp_path / "winter.json") + ":3:")
    assert "malformed" in message


def test_unknown_field_is_named_with_a_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("    peak_occupancy: 500", "    peak_occupancy: 500\n    peek_hour: 14")
    message = error_of(tmp_path, text)
    assert (
        f":{line_of(text, 'peek_hour')}: venues[1].peek_hour: unknown field 'peek_hour'" in message
    )
    assert "did you mean 'peak_occupancy'" in message or "hourly_profile" in message


def test_unknown_top_level_field(tmp_path: Path) -> None:
    text = GOOD + "treat_level: SEVERE\n"
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'treat_level')}: treat_level: unknown field" in message
    assert "did you mean 'threat_level'" in message


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    text = GOOD.replace("peak_occupancy: 1000", "peak_occupancy: lots")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'lots')}: venues[0].peak_occupancy:" in message
    assert "'lots'" in message and "integer" in message


def test_unknown_threat_level(tmp_path: Path) -> None:
    text = GOOD.replace("threat_level: SUBSTANTIAL", "threat_level: HIGH")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'HIGH')}: threat_level:" in message
    assert "SUBSTANTIAL" in message  # the allowed values are listed


def test_duplicate_venue_ids(tmp_path: Path) -> None:
    text = GOOD.replace("id: high-street", "id: market")
    message = error_of(tmp_path, text)
    # The second 'id: market' is the duplicate.
    second = [n for n, line in enumerate(text.splitlines(), 1) if "id: market" in line][1]
    assert f":{second}: venues[1].id: duplicate id 'market'" in message


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    peak_occupancy: 500", "    peak_occupancy: 500\n    peak_occupancy: 900"
    )
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'peak_occupancy: 900')}: venues[1]: key 'peak_occupancy'" in message


def test_venue_outside_the_uk(tmp_path: Path) -> None:
    text = GOOD.replace("lat: 51.07", "lat: 48.85").replace("lon: -1.32", "lon: 2.35")  # Paris
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'lat: 48.85')}: venues[1].lat:" in message
    assert "outside the United Kingdom" in message


def test_team_whose_base_is_missing(tmp_path: Path) -> None:
    text = GOOD.replace("base: hq", "base: nowhere")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'base: nowhere')}: teams[0].base:" in message
    assert "'nowhere'" in message and "hq" in message


def test_overlapping_shifts_name_the_team_the_day_and_the_fix(tmp_path: Path) -> None:
    text = GOOD.replace('shifts: ["10:00-16:00"]', 'shifts: ["10:00-16:00", "15:00-18:00"]')
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'callsign: alpha-1')}: teams[0]:" in message
    assert "team 'alpha-1' has overlapping shifts on mon (10:00-16:00 and 15:00-18:00)" in message
    assert "merge them into one shift" in message


def test_shifts_on_different_days_or_back_to_back_may_share_hours(tmp_path: Path) -> None:
    text = GOOD.replace(
        'shifts: ["10:00-16:00"]',
        'shifts: [{hours: "10:00-16:00", days: [mon]}, {hours: "12:00-18:00", days: [tue]}, '
        '"18:00-22:00"]',
    )
    assert len(load_scenario(write(tmp_path, text)).teams[0].shifts) == 3


def test_a_shift_shorter_than_one_dwell_names_the_fix(tmp_path: Path) -> None:
    text = GOOD.replace('shifts: ["10:00-16:00"]', 'shifts: ["10:00-10:20"]')
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'callsign: alpha-1')}: teams[0].shifts:" in message
    assert "10:00-10:20 of team 'alpha-1' lasts 20 min, shorter than one dwell" in message
    assert "lengthen the shift or lower patrol.min_dwell_minutes" in message


def test_a_shift_holding_no_whole_slot_names_the_fix(tmp_path: Path) -> None:
    text = GOOD.replace('shifts: ["10:00-16:00"]', 'shifts: ["10:15-11:10"]')
    message = error_of(tmp_path, text)
    assert (
        "teams[0].shifts: shift 10:15-11:10 of team 'alpha-1' holds no whole 60-minute" in message
    )
    assert "align the shift with the slots or lower slot_minutes" in message
    half_hours = "slot_minutes: 15\n" + text.replace("10:15-11:10", "10:15-11:00")
    assert load_scenario(write(tmp_path, half_hours)).slot_minutes == 15


def test_an_unknown_team_kind_names_the_kinds_and_the_fix(tmp_path: Path) -> None:
    text = GOOD.replace("base: hq, shifts", "base: hq, kind: dog, shifts")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'kind: dog')}: teams[0].kind:" in message
    assert "kind 'dog', which is not a team kind (arv, foot)" in message
    assert "add it under patrol.team_kinds" in message


def test_a_scenario_adds_a_team_kind_and_changes_a_default(tmp_path: Path) -> None:
    text = GOOD.replace("base: hq, shifts", "base: hq, kind: dog, shifts") + (
        "patrol:\n  team_kinds:\n    dog: {travel_multiplier: 1.1, effectiveness: 0.9}\n"
        "    arv: {travel_multiplier: 1.0, effectiveness: 0.5}\n"
    )
    kinds = load_scenario(write(tmp_path, text)).patrol.kinds()
    assert kinds["dog"].effectiveness == 0.9 and kinds["arv"].effectiveness == 0.5
    assert kinds["foot"].travel_multiplier == 1.2  # untouched defaults remain
    bad = text.replace("effectiveness: 0.9", "effectiveness: 1.5")
    message = error_of(tmp_path, bad)
    assert "patrol.team_kinds.dog.effectiveness" in message


def test_empty_venue_list(tmp_path: Path) -> None:
    head, _, tail = GOOD.partition("venues:\n")
    text = head + "venues: []\n" + tail[tail.index("bases:") :]
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'venues: []')}: venues:" in message
    assert "at least one venue" in message


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    text = GOOD.replace("    peak_occupancy: 500\n", "")
    message = error_of(tmp_path, text)
    assert "venues[1].peak_occupancy: required field is missing" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.yaml: no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("text", "got"), [("", "an empty file"), ("- 1\n- 2\n", "a list")])
def test_not_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    assert got in error_of(tmp_path, text)


def test_errors_are_crowdguard_errors_with_exit_code_2() -> None:
    with pytest.raises(CrowdGuardError) as info:
        parse_scenario("id: [", source="inline")
    assert info.value.exit_code == 2
    assert str(info.value).startswith("inline:")


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('fri: "10:00-20:00"', 'fri: "25:00-26:00"'))
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "explain", str(path), "market", "2026-12-04T12:00"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "venues[0].opening_hours.weekly.fri" in lines[0]


def test_impossible_date_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("start: 2026-12-01", "start: 2026-13-01")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, '2026-13-01')}: '2026-13-01' is not a date" in message


# -- opening hours a force writes (H:MM, daily, date ranges); errors that suggest the fix


def test_a_one_digit_hour_is_the_same_range_as_two_digits() -> None:
    assert TimeRange.parse("9:00-17:30") == TimeRange.parse("09:00-17:30")
    assert str(TimeRange.parse("9:00 - 17:30")) == "09:00-17:30"


def test_one_digit_hours_load_in_opening_hours_and_shifts(tmp_path: Path) -> None:
    text = GOOD.replace('mon: "10:00-18:00"', 'mon: "9:00-17:30"').replace(
        'shifts: ["10:00-16:00"]', 'shifts: ["9:00-15:00"]'
    )
    scenario = load_scenario(write(tmp_path, text))
    monday = dt.date(2026, 11, 30)
    assert [str(r) for r in scenario.venues[0].open_ranges(monday)] == ["09:00-17:30"]
    assert str(scenario.teams[0].shifts[0].hours) == "09:00-15:00"


def test_the_range_error_says_both_forms_are_accepted(tmp_path: Path) -> None:
    message = error_of(tmp_path, GOOD.replace('fri: "10:00-20:00"', 'fri: "10-20"'))
    assert "expected H:MM-H:MM or HH:MM-HH:MM" in message


DAILY = GOOD.replace(
    """      weekly:
        mon: "10:00-18:00"
        fri: "10:00-20:00"
""",
    """      daily: "10:00-18:00"
      weekly: {sun: closed, thu: "10:00-21:00"}
      exceptions:
        "2026-12-02..2026-12-04": "9:00-22:00"   # late nights
        2026-12-06: "12:00-16:00"
""",
)


def test_daily_hours_apply_on_days_weekly_and_exceptions_leave_out() -> None:
    hours = parse_scenario(DAILY).venues[0]
    by_day = {
        d.isoformat(): [str(r) for r in hours.open_ranges(d)] for d in parse_scenario(DAILY).days
    }
    assert by_day["2026-12-01"] == ["10:00-18:00"]  # Tuesday: daily
    assert by_day["2026-12-02"] == ["09:00-22:00"]  # Wednesday: the late-night range
    assert by_day["2026-12-03"] == ["09:00-22:00"]  # Thursday: the range beats weekly
    assert by_day["2026-12-05"] == ["10:00-18:00"]  # Saturday: daily again
    assert by_day["2026-12-06"] == ["12:00-16:00"]  # Sunday: the date beats weekly 'closed'
    assert by_day["2026-12-07"] == ["10:00-18:00"]


def test_late_nights_reach_the_risk_model() -> None:
    from crowdguard.risk.payoffs import build_targets

    targets = build_targets(parse_scenario(DAILY), days=[dt.date(2026, 12, 2)])
    market_hours = sorted(
        s.hour for s, v in zip(targets.start, targets.venue, strict=True) if v == "market"
    )
    assert market_hours == list(range(9, 22))


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ('"2026-12-04..2026-12-02"', "ends before it starts"),
        ('"2026-12-xx..2026-12-02"', "is not a date range; expected YYYY-MM-DD..YYYY-MM-DD"),
        ('"2026-01-01..2027-12-31"', "runs 730 days; expected at most 366"),
    ],
)
def test_a_bad_date_range_is_named(tmp_path: Path, key: str, says: str) -> None:
    text = DAILY.replace('"2026-12-02..2026-12-04"', key)
    message = error_of(tmp_path, text)
    assert "venues[0].opening_hours.exceptions" in message and says in message


def test_a_date_named_twice_is_refused(tmp_path: Path) -> None:
    text = DAILY.replace("2026-12-06:", "2026-12-03:")
    message = error_of(tmp_path, text)
    assert "2026-12-03 is named twice" in message


def test_a_near_miss_kind_suggests_the_kind(tmp_path: Path) -> None:
    text = GOOD.replace("kind: christmas_market", "kind: outlet")
    message = error_of(tmp_path, text)
    assert f":{line_of(text, 'kind: outlet')}: venues[0].kind:" in message
    assert "did you mean 'outlet_village'?" in message
    assert "'outlet' is not one of christmas_market, shopping_street" in message


def test_a_lower_case_threat_level_suggests_the_level(tmp_path: Path) -> None:
    message = error_of(tmp_path, GOOD.replace("SUBSTANTIAL", "substantial"))
    assert "did you mean 'SUBSTANTIAL'?" in message


def test_a_bad_callsign_is_explained_without_a_regular_expression(tmp_path: Path) -> None:
    text = GOOD.replace("callsign: alpha-1", "callsign: Alpha 1")
    message = error_of(tmp_path, text)
    assert (
        f":{line_of(text, 'Alpha 1')}: teams[0].callsign: 'Alpha 1' is not an identifier" in message
    )
    assert "lower-case letters and digits" in message and "did you mean 'alpha-1'?" in message
    assert "^" not in message and "(?:" not in message and "pattern" not in message


def test_a_tab_in_the_indentation_says_use_spaces(tmp_path: Path) -> None:
    text = GOOD.replace("    peak_occupancy: 500", "\tpeak_occupancy: 500")
    message = error_of(tmp_path, text)
    assert message.endswith(
        f"winter.yaml:{line_of(text, chr(9) + 'peak')}: YAML does not allow tabs for indentation; use spaces"
    )


def test_a_tab_inside_a_value_is_not_blamed_on_indentation(tmp_path: Path) -> None:
    text = GOOD.replace("name: Test season", "name: 'Test\tseason'")
    assert load_scenario(write(tmp_path, text)).name == "Test\tseason"


def test_a_mistyped_venue_in_a_pin_gets_a_suggestion() -> None:
    from crowdguard.cli.plan import parse_override
    from crowdguard.pipeline import DayOptions, PlanInputs, PlanOptions, make_plan

    scenario = parse_scenario(GOOD)
    pin = parse_override("alpha-1@markt@2026-12-04T12:00", "pin")
    with pytest.raises(PlanError, match=r"no venue or base 'markt'; did you mean 'market'\?"):
        make_plan(
            PlanInputs.read(scenario),
            PlanOptions(seed=1, days=7, routes=DayOptions(overrides=[pin]), what_ifs=False),
        )
    team = parse_override("alpha1@market@2026-12-04T12:00", "pin")
    with pytest.raises(PlanError, match=r"no team 'alpha1'; did you mean 'alpha-1'\?"):
        make_plan(
            PlanInputs.read(scenario),
            PlanOptions(seed=1, days=7, routes=DayOptions(overrides=[team]), what_ifs=False),
        )
