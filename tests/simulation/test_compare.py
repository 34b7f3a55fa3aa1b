"""compare_plans on the demo: the rota is learnt by the observer, the optimal plan is not."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crowdguard.errors import InputError
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.load import demo_scenario
from crowdguard.scenario.schema import Scenario
from crowdguard.simulation.compare import Comparison, compare_plans, crowd_by_hour, parse_plans


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return demo_scenario()


@pytest.fixture(scope="module")
def comparison(demo: Scenario) -> Comparison:
    """The whole demo season, every plan, eight roster draws (a few seconds); the optimal
    plan placed freely per slot, the game's own optimum (routes: below)."""
    return compare_plans(demo, seed=11, replicates=8, expected_incidents=150, mode="free")


def test_rows_follow_the_plans_asked_for(comparison: Comparison) -> None:
    assert [r.plan for r in comparison.rows] == ["optimal", "uniform", "footfall", "rota"]
    assert comparison.row("optimal").best_response_ratio == pytest.approx(1.0)
    assert comparison.row("optimal").observer_ratio == pytest.approx(1.0)


def test_optimal_concedes_least_to_the_best_responding_attacker(comparison: Comparison) -> None:
    optimal = comparison.row("optimal").best_response.harm
    for row in comparison.rows[1:]:
        assert row.best_response.harm >= optimal - 1e-6
        assert row.best_response_ratio == pytest.approx(row.best_response.harm / optimal)


def test_the_observer_learns_the_rota(comparison: Comparison) -> None:
    """A fixed rota is learnt: the watcher finds an unpatrolled venue-slot every day, does as
    much harm as an attacker handed the rota, and far more than against the optimal plan."""
    rota, optimal = comparison.row("rota"), comparison.row("optimal")
    assert rota.unopposed.mean == 1.0
    assert rota.observer.mean >= 0.95 * rota.worst_case_daily_harm
    assert rota.observer.low > optimal.observer.high  # separated 95% intervals
    assert rota.observer_ratio > 1.2


def test_the_observer_learns_nothing_beyond_the_optimal_coverage(comparison: Comparison) -> None:
    """Against the optimal plan the watcher's realised harm is what the published coverage
    predicts for the targets it chose (no significant gain from watching), and it meets a
    patrol as often as the coverage says it should."""
    optimal = comparison.row("optimal")
    assert optimal.learnt.low <= 0.0 <= optimal.learnt.high
    assert optimal.unopposed.low <= optimal.unopposed_by_coverage <= optimal.unopposed.high
    assert optimal.unopposed.mean < 0.8  # it is met by a patrol on many days
    assert optimal.observer.mean < 0.95 * optimal.worst_case_daily_harm


def test_every_plan_meets_the_same_incidents(comparison: Comparison) -> None:
    counts = {r.season.incidents for r in comparison.rows}
    assert len(counts) == 1 and counts.pop() > 0
    for row in comparison.rows:
        s = row.season
        assert s.served + s.unserved == s.incidents
        assert row.response_minutes.size == s.incidents
        served = row.response_minutes[np.isfinite(row.response_minutes)]
        assert np.median(served) == pytest.approx(s.median_minutes)
        assert 0.0 <= s.share_within_target <= 1.0
        assert 0.0 <= s.patrol_minutes_lost <= s.patrol_minutes_rostered


def test_baselines_roster_the_same_patrol_time(comparison: Comparison) -> None:
    """Equal resources: the baselines use every team on duty, the optimal plan no more."""
    rostered = {r.plan: r.season.patrol_minutes_rostered for r in comparison.rows}
    assert rostered["uniform"] == rostered["footfall"] == rostered["rota"]
    assert rostered["optimal"] <= rostered["uniform"]


def test_json_is_complete(comparison: Comparison) -> None:
    doc = comparison.to_json()
    assert doc["seed"] == 11 and doc["seed_source"] == "user"
    assert doc["window_days"] == 14 and doc["days"] == 37
    plan = doc["plans"][3]
    assert plan["plan"] == "rota"
    assert plan["observer"]["unopposed_share"]["mean"] == 1.0
    assert set(plan["observer"]["by_observer"]) == {
        "hour-frequency",
        "hour-recency",
        "weekday-frequency",
        "weekday-recency",
    }


def test_same_seed_same_comparison(demo: Scenario) -> None:
    kwargs = {
        "plans": ("uniform", "rota"), "seed": 4, "days": 10, "window": 7, "replicates": 2,
        "mode": "free",
    }  # fmt: skip
    first = compare_plans(demo, expected_incidents=20, **kwargs).to_json()  # type: ignore[arg-type]
    second = compare_plans(demo, expected_incidents=20, **kwargs).to_json()  # type: ignore[arg-type]
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_without_a_seed_one_is_drawn_and_recorded(demo: Scenario) -> None:
    result = compare_plans(
        demo, plans=("rota",), days=9, window=7, replicates=1, expected_incidents=5, mode="free"
    )
    assert not result.seeded and result.seed >= 0
    assert result.row("rota").observer_ratio > 0  # optimal still solved as the reference


def test_crowd_by_hour_keeps_every_person_hour(demo: Scenario) -> None:
    days = [demo.start + dt.timedelta(days=d) for d in range(3)]
    targets = build_targets(demo, days=days)
    start = min(targets.start).replace(hour=0)
    crowd, hours = crowd_by_hour(targets, [v.id for v in demo.venues], start)
    slot_hours = np.array(
        [(e - s).total_seconds() / 3600 for s, e in zip(targets.start, targets.end, strict=True)]
    )
    assert crowd.sum() == pytest.approx(float((targets.crowd * slot_hours).sum()))
    assert hours >= 3 * 22


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"plans": ("optimal", "bogus")}, "--plans: unknown plan 'bogus'"),
        ({"window": 0}, "--window 0"),
        ({"days": 10, "window": 14}, "--days 10"),
        ({"expected_incidents": -1.0}, "--incidents -1.0"),
    ],
)
def test_bad_options_are_one_line_errors(
    demo: Scenario, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message) as info:
        compare_plans(demo, seed=1, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_parse_plans() -> None:
    assert parse_plans("rota, optimal,rota") == ("rota", "optimal")
    with pytest.raises(InputError, match="--plans: empty"):
        parse_plans(" , ")


HOWTO = Path(__file__).resolve().parents[2] / "docs" / "howto" / "compare-plans.md"


@pytest.mark.parametrize(
    "block", re.findall(r"```python\n(.*?)```", HOWTO.read_text(encoding="utf-8"), re.S)
)
def test_howto_python_blocks_run(block: str) -> None:
    exec(compile(block, str(HOWTO), "exec"), {})


def test_by_default_the_optimal_plan_is_the_routes_plan_a_planner_gets(demo: Scenario) -> None:
    """Issue 11: simulate compared a free-placement plan, not the routes plan the planner
    gets; now the routes plan is the default, its rosters drawn from its routes."""
    from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
    from crowdguard.simulation.baselines import build_plan, plan_rosters

    routes = build_plan("optimal", demo, days=2)
    planned = make_plan(
        PlanInputs.read(demo), PlanOptions(seed=0, days=2, what_ifs=False)
    )  # what `crowdguard plan` solves
    assert np.allclose(routes.coverage, planned.coverage)
    drawn = {d: r.document() for d, r in plan_rosters(routes, rng=random.Random(1)).items()}
    kinds = {s["kind"] for r in drawn.values() for t in r["teams"] for s in t["segments"]}
    assert "transit" in kinds  # teams drive between venues, as the planner's rosters say
    free = build_plan("optimal", demo, days=2, mode="free")
    drawn = {d: r.document() for d, r in plan_rosters(free, rng=random.Random(1)).items()}
    assert "transit" not in {
        s["kind"] for r in drawn.values() for t in r["teams"] for s in t["segments"]
    }
    result = compare_plans(
        demo, plans=("optimal", "uniform"), days=9, window=7, replicates=1,
        expected_incidents=5, seed=2,
    )  # fmt: skip
    assert result.mode == "routes" and result.to_json()["optimal_mode"] == "routes"
    assert result.row("optimal").best_response_ratio == pytest.approx(1.0)


def test_a_few_days_get_their_share_of_the_seasons_calls(demo: Scenario) -> None:
    """--days 3 compares three days with their share (by crowd) of the season's expected
    calls, not all of them: with the whole season's 200 crammed into three days every team
    was always attending, the median response was a day and 'patrol lost' read 100%."""
    comparison = compare_plans(
        demo, plans=("uniform",), seed=1, days=3, window=2, replicates=1,
        expected_incidents=200, mode="free",
    )  # fmt: skip
    row = comparison.row("uniform").season
    assert row.incidents < 45  # Poisson around ~18, not ~200
    assert row.share_patrol_lost < 0.5
    assert row.median_minutes < 120
    season = build_targets(demo)
    horizon = build_targets(demo, days=demo.days[:3])

    def crowd_hours(t: Any) -> float:
        return sum(
            float(c) * (b - a).total_seconds() / 3600
            for c, a, b in zip(t.crowd, t.start, t.end, strict=True)
        )

    share = crowd_hours(horizon) / crowd_hours(season)
    assert 0.05 < share < 0.15  # three of 37 days, late November (quieter than December)
    assert comparison.compared_incidents == pytest.approx(200 * share)
    assert comparison.to_json()["expected_incidents_compared"] == pytest.approx(
        200 * share, abs=1e-3
    )


def test_the_whole_season_keeps_every_expected_call(comparison: Comparison) -> None:
    assert comparison.compared_incidents is None
    assert comparison.to_json()["expected_incidents_compared"] == 150
