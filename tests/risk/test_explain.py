"""``explain_target`` and ``crowdguard explain`` tell the same story as the planner's numbers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from crowdguard.errors import InputError
from crowdguard.risk import build_targets, explain_target
from crowdguard.scenario import demo_path, demo_scenario

DEMO = demo_scenario()
WHEN = dt.datetime(2026, 12, 12, 14, 30)  # inside the 14:00 slot
VENUE = "winchester-cathedral-market"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", "explain", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "160"},
    )


def planner_target(venue: str, start: dt.datetime) -> dict[str, float]:
    targets = build_targets(DEMO, days=[start.date()])
    i = targets.ids.index(f"{venue}@{start.isoformat()}")
    return {
        "crowd": float(targets.crowd[i]),
        "risk": float(targets.risk[i]),
        "defender_covered": float(targets.defender_covered[i]),
        "defender_uncovered": float(targets.defender_uncovered[i]),
        "attacker_covered": float(targets.attacker_covered[i]),
        "attacker_uncovered": float(targets.attacker_uncovered[i]),
    }


def test_explanation_matches_build_targets() -> None:
    result = explain_target(DEMO, VENUE, WHEN)
    start = dt.datetime(2026, 12, 12, 14, tzinfo=ZoneInfo("Europe/London"))
    assert result.start == start
    for field, value in planner_target(VENUE, start).items():
        assert getattr(result, field) == pytest.approx(value), field


def test_explanation_adds_up() -> None:
    r = explain_target(DEMO, VENUE, WHEN)
    assert r.crowd == pytest.approx(
        min(r.capacity, r.peak_occupancy * r.profile_share * r.day_factor * r.open_share)
    )
    for attack in r.attacks:
        product = attack.unmitigated
        for _, factor in attack.mitigations:
            product *= factor
        assert attack.mitigated == pytest.approx(product)
    assert r.harm == pytest.approx(sum(a.share * a.mitigated for a in r.attacks))
    assert r.risk == pytest.approx(r.likelihood * r.harm)
    assert sum(a.share for a in r.attacks) == pytest.approx(1.0)


def test_mitigations_listed_are_the_venues() -> None:
    r = explain_target(DEMO, "winchester-high-street", WHEN)
    vehicle = next(a for a in r.attacks if a.kind == "vehicle")
    assert any("HVM (rated)" in name for name, _ in vehicle.mitigations)
    street = explain_target(DEMO, "ryde-union-street", WHEN)
    assert all(a.mitigations == () for a in street.attacks)  # Ryde has none in the demo


def test_aware_and_naive_times_agree() -> None:
    aware = dt.datetime(2026, 12, 12, 14, 30, tzinfo=dt.UTC)  # GMT in December
    assert explain_target(DEMO, VENUE, aware) == explain_target(DEMO, VENUE, WHEN)


def test_unknown_venue_suggests_close_matches() -> None:
    with pytest.raises(InputError, match="did you mean winchester-cathedral-market"):
        explain_target(DEMO, "winchester-catedral-market", WHEN)


def test_closed_time_gives_the_hours_that_day() -> None:
    with pytest.raises(InputError, match=r"closed at .* hours that day are 10:00-20:00"):
        explain_target(DEMO, VENUE, dt.datetime(2026, 12, 12, 21, 0))
    with pytest.raises(InputError, match="closed all day"):
        explain_target(DEMO, "southampton-westquay", dt.datetime(2026, 12, 25, 12, 0))


def test_a_time_outside_the_season_is_refused() -> None:
    with pytest.raises(InputError, match=r"outside scenario .* runs 2026-11-27\.\.2027-01-02"):
        explain_target(DEMO, "southampton-westquay", dt.datetime(2027, 2, 1, 12, 0))


def test_cli_prints_the_breakdown_in_words_and_numbers() -> None:
    result = run("demo", VENUE, "2026-12-12T14:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    numbers = planner_target(VENUE, dt.datetime(2026, 12, 12, 14, tzinfo=ZoneInfo("Europe/London")))
    for words in ("Expected crowd", "Vehicle as a weapon", "Marauding", "IED", "SUBSTANTIAL",
                  "HVM (rated)", "stewards", "defender, covered", "attacker, uncovered"):  # fmt: skip
        assert words in out, words
    assert f"{numbers['crowd']:,.0f}" in out
    for key in ("defender_covered", "defender_uncovered", "attacker_covered", "attacker_uncovered"):
        assert f"{numbers[key]:,.2f}" in out, key


def test_cli_json_and_scenario_file() -> None:
    result = run(str(demo_path()), "ryde-union-street", "2026-12-19T11:00", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    start = dt.datetime(2026, 12, 19, 11, tzinfo=ZoneInfo("Europe/London"))
    assert data["start"] == start.isoformat()
    assert data["response_minutes"] > 10  # the Isle of Wight waits longer for armed officers
    for field, value in planner_target("ryde-union-street", start).items():
        assert data[field] == pytest.approx(value), field


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("demo", "winchester-catedral-market", "2026-12-12T14:00"), "did you mean"),
        (("demo", VENUE, "2026-12-12T21:00"), "10:00-20:00"),
        (("demo", VENUE, "12/12/2026 2pm"), "TIME: '12/12/2026 2pm'"),
        (("no-such-file.yaml", VENUE, "2026-12-12T14:00"), "no-such-file.yaml"),
    ],
)
def test_cli_errors_exit_2_with_one_line(args: tuple[str, ...], expected: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert result.stdout == ""
