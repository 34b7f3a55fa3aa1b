"""The default planning mode: walkable routes from each team's base, day by day."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario

SHIFTS = {
    "alpha-1": ("10:00", "13:00"),
    "alpha-2": ("10:00", "16:00"),
    "bravo-1": ("13:00", "16:00"),
}


def test_each_day_is_the_patrol_graph_optimum(scenario: Scenario) -> None:
    """The season assembles exactly what plan_day finds for each day on its own."""
    plan = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=2, workers=1, what_ifs=False)
    )
    assert plan.mode == "routes" and plan.certificate["holds"]
    travel = straight_line_travel(places_of(scenario))
    position = {t: i for i, t in enumerate(plan.targets.ids)}
    for day in plan.days:
        alone = plan_day(scenario, day, build_targets(scenario, days=[day]), travel)
        index = [position[t] for t in alone.target_ids]
        np.testing.assert_allclose(plan.coverage[index], alone.coverage, atol=1e-6)
    best_day = max(plan.day_plans.values(), key=lambda d: d.attacker_utility)
    assert plan.attacker_utility == pytest.approx(best_day.attacker_utility, abs=1e-6)


def test_parallel_days_give_the_same_plan(scenario: Scenario) -> None:
    serial = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=3, workers=1, what_ifs=False)
    )
    parallel = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=3, workers=2, what_ifs=False)
    )
    np.testing.assert_allclose(serial.coverage, parallel.coverage, atol=1e-6)
    assert serial.rosters() == parallel.rosters()


def test_rosters_start_and_end_at_base_within_the_shift(scenario: Scenario) -> None:
    plan = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=5, days=2, workers=1, what_ifs=False)
    )
    venues = {v.id for v in scenario.venues}
    for roster in (r.document() for r in plan.rosters().values()):
        assert {t["team"] for t in roster["teams"]} == set(SHIFTS)
        for team in roster["teams"]:
            first, last = SHIFTS[team["team"]]
            segments = team["segments"]
            starts = [dt.datetime.fromisoformat(s["start"]) for s in segments]
            ends = [dt.datetime.fromisoformat(s["end"]) for s in segments]
            assert starts[0].strftime("%H:%M") == first
            assert ends[-1].strftime("%H:%M") <= last
            assert all(a == b for a, b in zip(ends, starts[1:], strict=False))  # no gaps
            for segment in segments:
                assert segment["kind"] in {"patrol", "transit", "base"}
                if segment["kind"] == "patrol":
                    assert segment["venue"] in venues


def test_plan_json_reports_response_time(scenario: Scenario) -> None:
    document = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=1, workers=1, what_ifs=False)
    ).plan_json()
    assert document["mode"] == "routes"
    assert all(0 <= row["response_probability"] <= 1 for row in document["coverage"])
    by_venue = {row["venue"]: row for row in document["response_by_venue"]}
    assert set(by_venue) == {"market", "high-street", "westquay"}
    for row in by_venue.values():
        assert row["target_minutes"] == 10.0
        assert 0 <= row["min_probability"] <= row["mean_probability"] <= 1


def test_more_teams_never_make_a_day_worse(scenario: Scenario) -> None:
    data = scenario.model_dump()
    data["teams"].append({"callsign": "bravo-2", "base": "ops-win", "shifts": ["10:00-16:00"]})
    richer = make_plan(
        PlanInputs.read(Scenario.model_validate(data)),
        PlanOptions(seed=1, days=1, workers=1, what_ifs=False),
    )
    assert (
        richer.defender_utility
        >= make_plan(
            PlanInputs.read(scenario), PlanOptions(seed=1, days=1, workers=1, what_ifs=False)
        ).defender_utility
        - 1e-6
    )


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [("--mode", "teleport", "--mode"), ("--route-day", "2030-01-01", "--route-day"),
     ("--route-day", "Friday", "--route-day")],
)  # fmt: skip
def test_bad_mode_and_route_day_are_usage_errors(
    tmp_path: Path, scenario: Scenario, option: str, value: str, needle: str
) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(yaml.safe_dump(scenario.model_dump(mode="json")))
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "plan", str(source), "--out", str(tmp_path / "o"),
         option, value],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()
