"""The season plan is the Stackelberg optimum, and its rosters honour it."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog

from crowdguard.errors import PlanError
from crowdguard.patrols.planner import teams_on_duty
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario

# These tests exercise the free-placement season game (fast, exact, checked against LPs);
# the patrol-graph mode has its own tests in tests/planner/test_routes_mode.py.


def season_sse_by_multiple_lps(scenario: Scenario) -> float:
    """Independent reference: Conitzer & Sandholm's multiple LPs over the whole season.

    For each target t: maximise U_d(t) subject to t being a best response, coverage in [0, 1]
    and, per slot, coverage summing to at most the teams on duty. The best LP is the SSE.
    """
    targets = build_targets(scenario)
    n = len(targets)
    dc, du = targets.defender_covered, targets.defender_uncovered
    ac, au = targets.attacker_covered, targets.attacker_uncovered
    slot_rows = []
    slot_caps = []
    for s, start in enumerate(targets.slot_starts):
        members = targets.slot == s
        end = targets.end[int(np.flatnonzero(members)[0])]
        slot_rows.append(members.astype(float))
        slot_caps.append(len(teams_on_duty(scenario, start, end)))
    best = -np.inf
    for t in range(n):
        # attacker utility at t >= at every t':  au_t' - (au_t'-ac_t')c_t' <= au_t - (au_t-ac_t)c_t
        rows = []
        rhs = []
        for other in range(n):
            if other == t:
                continue
            row = np.zeros(n)
            row[other] = -(au[other] - ac[other])
            row[t] += au[t] - ac[t]
            rows.append(row)
            rhs.append(au[t] - au[other])
        objective = np.zeros(n)
        objective[t] = -(dc[t] - du[t])
        result = linprog(
            objective,
            A_ub=np.vstack([*rows, *slot_rows]) if rows else np.vstack(slot_rows),
            b_ub=np.array(rhs + slot_caps, dtype=float),
            bounds=[(0, 1)] * n,
            method="highs",
        )
        if result.status == 0:
            best = max(best, du[t] - result.fun)
    return float(best)


def test_season_optimum_matches_multiple_lps(scenario: Scenario) -> None:
    plan = make_plan(PlanInputs.read(scenario), PlanOptions(seed=1, mode="free", what_ifs=False))
    assert plan.certificate["holds"]
    sse = season_sse_by_multiple_lps(scenario)
    # the default (robust) plan states the SSE's harm, less at most its price of robustness
    strong = plan.certificate.get("strong_defender_utility", plan.defender_utility)
    assert strong == pytest.approx(sse, abs=1e-6)
    price = plan.certificate.get("price_of_robustness", 0.0)
    assert plan.defender_utility == pytest.approx(sse - price, abs=1e-6)
    assert 0 <= price <= 1e-3 * abs(sse)


def test_more_teams_never_make_things_worse(scenario: Scenario) -> None:
    data = scenario.model_dump()
    data["teams"].append({"callsign": "bravo-2", "base": "ops-win", "shifts": ["10:00-16:00"]})
    richer = make_plan(
        PlanInputs.read(Scenario.model_validate(data)),
        PlanOptions(seed=1, mode="free", what_ifs=False),
    )
    assert (
        richer.defender_utility
        >= make_plan(
            PlanInputs.read(scenario), PlanOptions(seed=1, mode="free", what_ifs=False)
        ).defender_utility
        - 1e-9
    )


def test_rosters_only_use_teams_on_shift_and_never_double_book(scenario: Scenario) -> None:
    plan = make_plan(PlanInputs.read(scenario), PlanOptions(seed=3, mode="free", what_ifs=False))
    shifts = {
        "alpha-1": ("10:00", "13:00"),
        "alpha-2": ("10:00", "16:00"),
        "bravo-1": ("13:00", "16:00"),
    }
    for day, drawn in plan.rosters().items():
        roster = drawn.document()
        assert roster["date"] == day
        at_venue: Counter[tuple[str, str]] = Counter()
        for team in roster["teams"]:
            first, last = shifts[team["team"]]
            for segment in team["segments"]:
                start = dt.datetime.fromisoformat(segment["start"])
                end = dt.datetime.fromisoformat(segment["end"])
                assert start.strftime("%H:%M") >= first and end.strftime("%H:%M") <= last
                assert start.date().isoformat() == day
                if segment["kind"] == "patrol":
                    hour = start
                    while hour < end:
                        at_venue[(segment["venue"], hour.isoformat())] += 1
                        hour += dt.timedelta(hours=1)
        assert all(count == 1 for count in at_venue.values())


def test_daily_draws_reproduce_the_coverage_in_expectation(scenario: Scenario) -> None:
    """Redraw one day many times: each venue-hour is patrolled as often as its coverage."""
    from crowdguard.patrols.planner import _draw_day

    plan = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=0, days=1, mode="free", what_ifs=False)
    )
    day = plan.days[0]
    slots = sorted(set(plan.targets.slot.tolist()))
    rng = random.Random(11)
    draws = 4_000
    counts = Counter()
    for _ in range(draws):
        roster = _draw_day(
            scenario, plan.targets, plan.coverage, plan.slot_teams, slots, day, rng
        ).document()
        for team in roster["teams"]:
            for segment in team["segments"]:
                if segment["kind"] != "patrol":
                    continue
                hour = dt.datetime.fromisoformat(segment["start"])
                while hour < dt.datetime.fromisoformat(segment["end"]):
                    counts[f"{segment['venue']}@{hour.isoformat()}"] += 1
                    hour += dt.timedelta(hours=1)
    for target_id, coverage in zip(plan.targets.ids, plan.coverage, strict=True):
        sigma = np.sqrt(coverage * (1 - coverage) / draws)
        assert abs(counts[target_id] / draws - coverage) <= 4 * sigma + 1e-9, target_id


def test_seed_reproduces_and_secrets_varies(make_scenario: Any) -> None:
    long = make_scenario(end=dt.date(2026, 12, 31))
    assert (
        make_plan(PlanInputs.read(long), PlanOptions(seed=5, mode="free", what_ifs=False)).rosters()
        == make_plan(
            PlanInputs.read(long), PlanOptions(seed=5, mode="free", what_ifs=False)
        ).rosters()
    )
    assert (
        make_plan(PlanInputs.read(long), PlanOptions(seed=5, mode="free", what_ifs=False)).rosters()
        != make_plan(
            PlanInputs.read(long), PlanOptions(seed=6, mode="free", what_ifs=False)
        ).rosters()
    )
    assert (
        make_plan(PlanInputs.read(long), PlanOptions(mode="free", what_ifs=False)).rosters()
        != make_plan(PlanInputs.read(long), PlanOptions(mode="free", what_ifs=False)).rosters()
    )


def test_plan_json_follows_the_contract(scenario: Scenario) -> None:
    document = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=1, mode="free", what_ifs=False)
    ).plan_json()
    assert document["scenario"] == "small"
    assert {"solver", "defender_utility", "attacker_utility", "coverage"} <= document.keys()
    first = document["coverage"][0]
    assert set(first) == {"venue", "start", "end", "coverage", "risk"}
    start = dt.datetime.fromisoformat(first["start"])
    assert start.utcoffset() is not None  # timezone-aware local time
    assert all(0 <= row["coverage"] <= 1 for row in document["coverage"])


def test_days_limits_the_horizon_and_rejects_nonsense(scenario: Scenario) -> None:
    assert list(
        make_plan(
            PlanInputs.read(scenario), PlanOptions(seed=1, days=2, mode="free", what_ifs=False)
        ).rosters()
    ) == ["2026-12-04", "2026-12-05"]
    with pytest.raises(PlanError, match="--days"):
        make_plan(PlanInputs.read(scenario), PlanOptions(days=0, mode="free", what_ifs=False))


def test_no_team_idles_while_a_venue_is_not_fully_covered(make_scenario: Any) -> None:
    """Teams on shift are all used: per slot, coverage sums to min(teams, open venues).

    The one exception is the slot of the target the attacker is led to: raising its
    coverage would change the attacker's choice, so only that target may stay short.
    """
    from crowdguard.patrols.planner import slot_teams_for

    busy = make_scenario(
        teams=[
            {"callsign": f"team-{i}", "base": "ops-win", "shifts": ["10:00-16:00"]}
            for i in range(3)
        ]
    )
    plan = make_plan(PlanInputs.read(busy), PlanOptions(seed=2, mode="free", what_ifs=False))
    teams = slot_teams_for(busy, plan.targets)
    used = np.bincount(plan.targets.slot, weights=plan.coverage)
    open_venues = np.bincount(plan.targets.slot)
    expected = np.minimum([len(t) for t in teams], open_venues).astype(float)
    attacked = plan.targets.ids.index(plan.attacked_target)
    short = plan.targets.slot[attacked]
    assert used[short] <= expected[short] + 1e-6
    others = np.arange(len(used)) != short
    np.testing.assert_allclose(used[others], expected[others], atol=1e-6)
    strong = plan.certificate.get("strong_defender_utility", plan.defender_utility)
    assert strong == pytest.approx(season_sse_by_multiple_lps(busy), abs=1e-6)
