"""The patrol options a planner uses: pins, forbids, variant caps, response and visibility floors.

Each test checks what a planner would see (drawn rosters, plan.json, exit codes), against
quantities computed independently of the option's code path (the risk model's crowd, the
plain plan without the option).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from crowdguard.errors import PlanError
from crowdguard.patrols.planner import PatrolPlan
from crowdguard.patrols.season_routes import DatedOverride
from crowdguard.patrols.visibility import PASS_BY
from crowdguard.pipeline import DayOptions, PlanInputs, PlanOptions, make_plan
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario

DAY = dt.date(2026, 12, 5)
AT = dt.datetime(2026, 12, 5, 14, 0)
TOL = 1e-6


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *args], capture_output=True, text=True, check=False
    )


def write_scenario(path: Path, scenario: Scenario) -> Path:
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    return path


def segment_at(roster: dict[str, Any], team: str, when: dt.datetime) -> dict[str, Any] | None:
    """The segment of ``team`` in ``roster`` covering local time ``when``."""
    for entry in roster["teams"]:
        if entry["team"] != team:
            continue
        for segment in entry["segments"]:
            start = dt.datetime.fromisoformat(segment["start"]).replace(tzinfo=None)
            end = dt.datetime.fromisoformat(segment["end"]).replace(tzinfo=None)
            if start <= when < end:
                return dict(segment)
    return None


def draws(plan: PatrolPlan, date: str, n: int = 40) -> list[dict[str, Any]]:
    return [plan.day_plans[date].draw(random.Random(i)).document() for i in range(n)]


def test_a_pin_puts_the_team_there_in_every_roster_and_only_that_day(scenario: Scenario) -> None:
    plain = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=2, days=3, workers=1, what_ifs=False)
    )
    pinned = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(
            seed=2,
            days=3,
            workers=1,
            routes=DayOptions(overrides=[DatedOverride("alpha-2", "market", AT)]),
            what_ifs=False,
        ),
    )
    for roster in draws(pinned, DAY.isoformat()):
        segment = segment_at(roster, "alpha-2", AT)
        assert segment is not None
        assert (segment["kind"], segment.get("venue")) == ("patrol", "market")
    # without the pin the team is sometimes elsewhere, so the pin did something
    plain_places = {
        (s or {}).get("venue")
        for s in (segment_at(r, "alpha-2", AT) for r in draws(plain, "2026-12-05"))
    }
    assert plain_places != {"market"}
    (row,) = pinned.override_rows()
    assert row["team"] == "alpha-2" and row["venue"] == "market" and row["kind"] == "pin"
    assert row["at"] == "2026-12-05T14:00"
    assert row["presence_after"] == pytest.approx(1.0)
    assert row["utility_cost"] >= -TOL
    assert row["entropy_after"] <= row["entropy_before"] + TOL
    # the pinned day's plain solve is the day without the pin: same utility minus the cost
    assert pinned.day_plans["2026-12-05"].defender_utility == pytest.approx(
        plain.day_plans["2026-12-05"].defender_utility - row["utility_cost"], abs=1e-6
    )
    position = {t: i for i, t in enumerate(plain.targets.ids)}
    for other in ("2026-12-04", "2026-12-06"):
        index = [position[t] for t in plain.day_plans[other].target_ids]
        np.testing.assert_allclose(pinned.coverage[index], plain.coverage[index], atol=1e-6)


def test_a_forbid_keeps_the_team_away_in_every_roster(scenario: Scenario) -> None:
    plain = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=3, days=[DAY], workers=1, what_ifs=False)
    )
    assert any(
        (segment_at(r, "alpha-2", AT) or {}).get("venue") == "westquay"
        for r in draws(plain, DAY.isoformat())
    )
    forbid = DatedOverride("alpha-2", "westquay", AT, "forbid")
    plan = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(
            seed=3, days=[DAY], workers=1, routes=DayOptions(overrides=[forbid]), what_ifs=False
        ),
    )
    for roster in draws(plan, DAY.isoformat()):
        assert (segment_at(roster, "alpha-2", AT) or {}).get("venue") != "westquay"
    (row,) = plan.override_rows()
    assert row["presence_before"] > 0 and row["presence_after"] == pytest.approx(0.0)
    assert row["utility_cost"] >= -TOL


@pytest.mark.parametrize(
    ("flag", "value", "named"),
    [
        ("--pin", "nobody@market@2026-12-05T14:00", "nobody"),
        ("--pin", "alpha-2@nowhere@2026-12-05T14:00", "nowhere"),
        ("--pin", "alpha-2@market@2027-03-01T14:00", "2027-03-01"),
        ("--pin", "alpha-2@market@5 Dec 14:00", "TEAM@VENUE@YYYY-MM-DDTHH:MM"),
        ("--forbid", "alpha-2-market", "--forbid"),
    ],
)
def test_a_bad_override_exits_2_naming_it(
    tmp_path: Path, scenario: Scenario, flag: str, value: str, named: str
) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    result = run("plan", str(source), "--out", str(tmp_path / "out"), flag, value)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_override_the_teams_cannot_honour_exits_2_with_the_fix(
    tmp_path: Path, scenario: Scenario
) -> None:
    """alpha-1 works 10:00-13:00: it cannot be anywhere at 15:00."""
    source = write_scenario(tmp_path / "small.yaml", scenario)
    result = run(
        "plan", str(source), "--out", str(tmp_path / "out"), "--days", "2",
        "--pin", "alpha-1@market@2026-12-05T15:00",
    )  # fmt: skip
    assert result.returncode == 2
    assert "pin alpha-1 at market" in result.stderr and "2026-12-05" in result.stderr
    assert "alpha-1 is not on shift for the whole 15:00 slot (its shift: 10:00-13:00)" in (
        result.stderr
    )
    assert "pin a time within its shift or another team" in result.stderr


def test_one_variant_gives_one_route_per_team_and_reports_its_cost(
    tmp_path: Path, scenario: Scenario
) -> None:
    plan = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(seed=1, days=2, workers=1, routes=DayOptions(max_variants=1), what_ifs=False),
    )
    for day in plan.day_plans.values():
        assert all(len(lottery) == 1 for lottery in day.routes.values())
        assert day.variants_cost is not None and day.variants_cost >= -TOL
    # one route per team: every draw is the same roster
    date = plan.days[0].isoformat()
    assert len({json.dumps(r, sort_keys=True) for r in draws(plan, date, 10)}) == 1
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run("plan", str(source), "--out", str(out), "--days", "2", "--max-variants", "1")
    assert result.returncode == 0, result.stderr
    assert "--max-variants 1" in result.stdout
    written = json.loads((out / "plan.json").read_text())
    assert written["variants_cost"] >= -TOL
    assert len(written["variants_cost_by_day"]) == 2


def test_a_response_floor_raises_the_worst_response_where_crowds_qualify(
    scenario: Scenario,
) -> None:
    plain = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=2, workers=1, what_ifs=False)
    )
    floored = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(
            seed=1,
            days=2,
            workers=1,
            routes=DayOptions(response_floor=0.6, response_min_crowd=3000),
            what_ifs=False,
        ),
    )
    crowd = build_targets(scenario, days=plain.days).crowd
    qualifying = crowd >= 3000
    assert qualifying.any() and not qualifying.all()
    assert plain.response is not None and floored.response is not None
    assert plain.response[qualifying].min() < 0.6  # the floor has work to do
    assert floored.response[qualifying].min() >= 0.6 - TOL
    assert floored.defender_utility <= plain.defender_utility + TOL


def test_an_impossible_response_floor_exits_2(tmp_path: Path, scenario: Scenario) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    result = run(
        "plan", str(source), "--out", str(tmp_path / "out"), "--days", "1",
        "--response-floor", "0.9", "--response-min-crowd", "3000",
    )  # fmt: skip
    assert result.returncode == 2
    assert "response_floor=0.9" in result.stderr and "lower the floor" in result.stderr


def test_a_visibility_floor_is_met_in_expectation(tmp_path: Path, scenario: Scenario) -> None:
    floor = 4000.0
    plain = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, days=2, workers=1, what_ifs=False)
    )
    assert min(r["expected_shoppers"] for r in plain.visibility_rows()) < floor
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run(
        "plan", str(source), "--out", str(out), "--days", "2", "--visibility-floor", str(floor)
    )
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "plan.json").read_text())
    # recompute from the written coverage and the risk model's crowd, not from the planner
    targets = build_targets(scenario, days=[dt.date(2026, 12, 4), dt.date(2026, 12, 5)])
    crowd = {t: c for t, c in zip(targets.ids, targets.crowd, strict=True)}
    seen: dict[str, float] = {}
    for row in written["coverage"]:
        start = dt.datetime.fromisoformat(row["start"])
        key = f"{row['venue']}@{start.astimezone(dt.UTC).isoformat()}"
        seen.setdefault(start.date().isoformat(), 0.0)
        seen[start.date().isoformat()] += PASS_BY * crowd[key] * row["coverage"]
    for day in written["visibility"]:
        assert seen[day["date"]] >= floor - 1.0  # coverage is rounded to 6 places in plan.json
        assert day["expected_shoppers"] == pytest.approx(seen[day["date"]], abs=1.0)
    report = (out / "report.html").read_text()
    assert "Price of visibility" in report or "What reassurance costs" in report


def test_options_are_refused_in_free_mode(tmp_path: Path, scenario: Scenario) -> None:
    with pytest.raises(PlanError, match="routes mode"):
        make_plan(
            PlanInputs.read(scenario),
            PlanOptions(mode="free", days=1, routes=DayOptions(max_variants=2), what_ifs=False),
        )
    with pytest.raises(PlanError, match="routes mode"):
        make_plan(
            PlanInputs.read(scenario),
            PlanOptions(
                mode="free",
                days=1,
                routes=DayOptions(overrides=[DatedOverride("alpha-2", "market", AT)]),
                what_ifs=False,
            ),
        )
    source = write_scenario(tmp_path / "small.yaml", scenario)
    result = run(
        "plan", str(source), "--out", str(tmp_path / "out"), "--mode", "free",
        "--visibility-floor", "100",
    )  # fmt: skip
    assert result.returncode == 2 and "routes mode" in result.stderr


def test_the_cli_shows_overrides_and_their_cost_everywhere(
    tmp_path: Path, scenario: Scenario
) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run(
        "plan", str(source), "--out", str(out), "--days", "2", "--seed", "1",
        "--pin", "alpha-2@market@2026-12-05T14:00",
        "--forbid", "bravo-1@westquay@2026-12-04T13:00",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Overrides and their cost" in result.stdout
    written = json.loads((out / "plan.json").read_text())
    rows = {(r["kind"], r["team"], r["venue"], r["at"]): r for r in written["overrides"]}
    assert set(rows) == {
        ("pin", "alpha-2", "market", "2026-12-05T14:00"),
        ("forbid", "bravo-1", "westquay", "2026-12-04T13:00"),
    }
    for row in rows.values():
        assert row["utility_cost"] >= -TOL
        assert row["entropy_before"] >= 0 and row["entropy_after"] >= 0
    roster = json.loads((out / "rosters" / "2026-12-05.json").read_text())
    assert segment_at(roster, "alpha-2", AT) == {
        **(segment_at(roster, "alpha-2", AT) or {}),
        "kind": "patrol",
        "venue": "market",
    }
    report = (out / "report.html").read_text()
    assert "Overrides and their cost" in report and "alpha-2" in report


def _severed_road_map(path: Path, scenario: Scenario, crossing_minutes: float) -> Path:
    """A road map of the small scenario whose only Winchester-Southampton road is slow.

    Each place is a road node; the two towns' places are a few minutes apart, and the one
    road between the towns (base to base) takes ``crossing_minutes``.
    """
    import networkx as nx

    town = {"market": "win", "high-street": "win", "ops-win": "win"}
    roads = nx.Graph()
    places = [*scenario.venues, *scenario.bases]
    for place in places:
        roads.add_node(place.id, y=place.lat, x=place.lon)
    for a in places:
        for b in places:
            if a.id < b.id and town.get(a.id, "sou") == town.get(b.id, "sou"):
                roads.add_edge(a.id, b.id, minutes=3.0)
    roads.add_edge("ops-win", "pic-sou", minutes=crossing_minutes)
    nx.write_graphml(roads, path)
    return path


def test_a_road_graph_from_a_local_file_shapes_the_routes(
    tmp_path: Path, scenario: Scenario
) -> None:
    """By straight line Winchester is 33 min from Southampton and the 6-hour alpha-2 visits
    it; on this map the only road takes 150 min, so no route crosses between the towns."""
    straight = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(seed=1, days=[dt.date(2026, 12, 5)], workers=1, what_ifs=False),
    )
    crossing = straight.day_plans["2026-12-05"].routes["alpha-2"]
    assert any(s.venue in {"market", "high-street"} for _, segments in crossing for s in segments)
    roads = _severed_road_map(tmp_path / "roads.graphml", scenario, crossing_minutes=150.0)
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run(
        "plan", str(source), "--out", str(out), "--seed", "1", "--road-graph", str(roads),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "plan.json").read_text())
    assert written["travel_model"] == "road graph roads.graphml"
    travel = json.loads((out / "travel_times.json").read_text())
    ids = [p["id"] for p in travel["places"]]
    minutes = travel["minutes"]
    assert minutes[ids.index("market")][ids.index("high-street")] == pytest.approx(3.0)
    assert minutes[ids.index("market")][ids.index("westquay")] == pytest.approx(156.0)
    winchester = {"market", "high-street"}
    for path in sorted((out / "rosters").glob("*.json")):
        for entry in json.loads(path.read_text())["teams"]:
            patrolled = {s["venue"] for s in entry["segments"] if s["kind"] == "patrol"}
            home_town = winchester if entry["base"] == "ops-win" else {"westquay"}
            assert patrolled <= home_town, (path.name, entry["team"], patrolled)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (None, "is not a file"),
        ("<graphml><broken", "cannot read"),
        ("far", "the map does not cover it"),
        ("severed", "no road from"),
    ],
)
def test_a_bad_road_graph_exits_2_naming_the_file_and_the_fix(
    tmp_path: Path, scenario: Scenario, content: str | None, named: str
) -> None:
    import networkx as nx

    roads = tmp_path / "roads.graphml"
    if content == "far":
        far = nx.Graph()
        far.add_edge("a", "b", minutes=1.0)
        nx.set_node_attributes(far, {"a": 53.0, "b": 53.01}, "y")
        nx.set_node_attributes(far, {"a": -2.0, "b": -2.0}, "x")
        nx.write_graphml(far, roads)
    elif content == "severed":
        _severed_road_map(roads, scenario, crossing_minutes=1.0)
        severed = nx.read_graphml(roads)
        severed.remove_edge("ops-win", "pic-sou")
        nx.write_graphml(severed, roads)
    elif content is not None:
        roads.write_text(content)
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run("plan", str(source), "--out", str(out), "--days", "1", "--road-graph", str(roads))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "roads.graphml" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_the_response_floor_is_reported_in_the_summary_plan_json_and_report(
    tmp_path: Path, scenario: Scenario
) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run(
        "plan", str(source), "--out", str(out), "--days", "2", "--seed", "1",
        "--response-floor", "0.6", "--response-min-crowd", "3000",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "plan.json").read_text())
    check = written["response_floor_check"]
    # recompute from the written rows and the risk model's crowd (every slot here has a team)
    targets = build_targets(scenario, days=[dt.date(2026, 12, 4), dt.date(2026, 12, 5)])
    crowd = dict(zip(targets.ids, targets.crowd, strict=True))
    bound = [
        row["response_probability"]
        for row in written["coverage"]
        if crowd[
            f"{row['venue']}@{dt.datetime.fromisoformat(row['start']).astimezone(dt.UTC).isoformat()}"
        ]
        >= 3000
    ]
    assert check["venue_slots"] == len(bound) > 0
    assert check["lowest"] == pytest.approx(min(bound), abs=1e-4)
    assert check["lowest"] >= 0.6 - TOL
    assert (
        f"Response floor 0.6 (a team within 10 min) met at {len(bound)} venue-slots with at "
        f"least 3000 people and a team on shift; lowest chance there {check['lowest']:.2f}."
    ) in " ".join(result.stdout.split())
    report = (out / "report.html").read_text()
    assert "Response floor <b>0.6</b>" in report and "Team within 10 min (mean)" in report


def test_the_visibility_curve_reuses_the_plain_day_and_parallel_points_agree(
    scenario: Scenario,
) -> None:
    from crowdguard.patrols.travel import places_of, straight_line_travel
    from crowdguard.patrols.whatifs import visibility_tradeoff

    plan = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(seed=1, days=[DAY], workers=1, visibility_points=3, visibility_day=DAY),
    )
    assert plan.visibility_tradeoff_day == DAY
    serial = plan.visibility_tradeoff
    day = plan.day_plans[DAY.isoformat()]
    assert serial[0]["defender_utility"] == day.defender_utility
    assert serial[0]["expected_visibility"] == day.expected_visibility
    targets = build_targets(scenario, days=[DAY])
    travel = straight_line_travel(places_of(scenario))
    fresh = visibility_tradeoff(scenario, DAY, targets, travel, points=3, workers=2)
    for a, b in zip(serial, fresh, strict=True):
        assert a["visibility_floor"] == pytest.approx(b["visibility_floor"])
        assert a["defender_utility"] == pytest.approx(b["defender_utility"], abs=1e-6)
    assert fresh[-1]["expected_visibility"] >= fresh[-1]["visibility_floor"] - 1e-6


def test_parallel_days_report_the_earliest_failing_day(scenario: Scenario) -> None:
    """Every day fails; whichever worker finishes first, the error names the first date."""
    for _ in range(3):
        with pytest.raises(PlanError) as info:
            make_plan(
                PlanInputs.read(scenario),
                PlanOptions(
                    days=3, workers=3, routes=DayOptions(response_floor=0.99), what_ifs=False
                ),
            )
        assert str(info.value).startswith("2026-12-04: response_floor=0.99")
