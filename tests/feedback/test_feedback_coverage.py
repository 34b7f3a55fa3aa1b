"""A security plan's review moves the patrols: weaker plans draw more coverage.

The issue's acceptance test: a plan that loses its hostile vehicle mitigation measurably
raises its venue's coverage in the optimal season plan; removing the lockdown procedure
raises marauding harm and risk; a plan with nothing open leaves the plan exactly as if
there were no plan; and the influence figures agree with two explicit solves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from crowdguard.patrols.planner import PatrolPlan
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.plans.influence import plan_influence
from crowdguard.risk.explain import explain_target
from crowdguard.risk.payoffs import build_targets
from crowdguard.risk.plan_gaps import linked_plans, plan_gaps_for
from crowdguard.scenario.load import demo_scenario
from crowdguard.scenario.schema import Scenario

# These tests exercise the free-placement season game (fast, exact, checked against LPs);
# the patrol-graph mode has its own tests in tests/planner/test_routes_mode.py.

WINCHESTER = "winchester-cathedral-market"
ICE_RINK = "portsmouth-guildhall-square-ice-rink"
HVM_FIELDS = (
    "vehicle_dynamics_assessment",
    "required_mass_kg",
    "required_speed_kmh",
    "hvm_products",
    "max_gap_m",
    "emergency_routes",
)

MakeScenario = Callable[[Callable[[dict[str, Any]], None]], Scenario]


def unchanged(plan: dict[str, Any]) -> None:
    """Keep the plan as it is."""


def drop_hvm(plan: dict[str, Any]) -> None:
    """The organiser's HVM section is gone: no VDA, no rated products, no barriers."""
    for name in HVM_FIELDS:
        plan["physical"].pop(name, None)


def drop_rated_products(plan: dict[str, Any]) -> None:
    """Only the rated products are gone (the VDA remains): M3 becomes partial."""
    plan["physical"].pop("hvm_products")


def drop_lockdown(plan: dict[str, Any]) -> None:
    plan["procedures"].pop("lockdown")


def venue_mean(plan: PatrolPlan, venue: str) -> float:
    mask = np.array(plan.targets.venue) == venue
    return float(plan.coverage[mask].mean())


def test_losing_hvm_raises_the_venues_coverage(edited_demo: MakeScenario) -> None:
    before = make_plan(
        PlanInputs.read(edited_demo(unchanged)), PlanOptions(seed=1, mode="free", what_ifs=False)
    )
    partial = make_plan(
        PlanInputs.read(edited_demo(drop_rated_products)),
        PlanOptions(seed=1, mode="free", what_ifs=False),
    )
    after = make_plan(
        PlanInputs.read(edited_demo(drop_hvm)), PlanOptions(seed=1, mode="free", what_ifs=False)
    )
    assert after.plan_gaps[WINCHESTER]["vehicle"] > partial.plan_gaps[WINCHESTER]["vehicle"] > 1.0
    # Mean coverage over the season: a clear margin, not rounding noise.
    b, p, a = (venue_mean(x, WINCHESTER) for x in (before, partial, after))
    assert p > b + 0.01
    assert a > p + 0.01
    assert after.certificate["holds"]
    # The findings the planner reports name the HVM item.
    assert "M3" in after.linked_plans[WINCHESTER].findings_moving_risk


def test_removing_lockdown_raises_marauding_harm_and_risk(edited_demo: MakeScenario) -> None:
    with_lockdown, without = edited_demo(unchanged), edited_demo(drop_lockdown)
    at = dt.datetime(2026, 12, 12, 16)  # Sat 12 Dec 2026 16:00, the market is open
    fine, open_ = (explain_target(s, WINCHESTER, at) for s in (with_lockdown, without))
    m_fine, m_open = (next(a for a in e.attacks if a.kind == "marauding") for e in (fine, open_))
    assert m_open.mitigated > m_fine.mitigated
    assert m_open.unmitigated == pytest.approx(m_fine.unmitigated)
    assert any(name == "security plan (P3)" for name, _ in m_open.mitigations)
    assert open_.risk > fine.risk
    assert open_.security_plan is not None and "P3" in open_.security_plan.findings_moving_risk
    # Over the whole season, every one of the market's targets carries more risk.
    gaps_fine, gaps_open = plan_gaps_for(with_lockdown), plan_gaps_for(without)
    assert gaps_open[WINCHESTER]["marauding"] > 1.0 == gaps_fine[WINCHESTER]["marauding"]
    t0 = build_targets(with_lockdown, plan_gaps=gaps_fine)
    t1 = build_targets(without, plan_gaps=gaps_open)
    mask = np.array(t0.venue) == WINCHESTER
    assert np.all(t1.risk[mask] > t0.risk[mask])
    assert np.array_equal(t1.risk[~mask], t0.risk[~mask])


def test_a_plan_with_nothing_open_leaves_the_plan_as_without_plans() -> None:
    scenario = demo_scenario()
    links = linked_plans(scenario)
    assert links[WINCHESTER].multipliers == {"vehicle": 1.0, "marauding": 1.0, "ied": 1.0}
    # Only Winchester's (fully resolved) plan applies: identical to no plan at all.
    only = {WINCHESTER: links[WINCHESTER].multipliers}
    with_plan = make_plan(
        PlanInputs(scenario, plan_gaps=only),
        PlanOptions(seed=7, days=5, mode="free", what_ifs=False),
    )
    without = make_plan(
        PlanInputs(scenario), PlanOptions(seed=7, days=5, mode="free", what_ifs=False)
    )
    assert np.array_equal(with_plan.coverage, without.coverage)
    assert np.array_equal(with_plan.targets.risk, without.targets.risk)
    assert with_plan.rosters() == without.rosters()


def test_linked_plans_shift_coverage_toward_weak_plans() -> None:
    scenario = demo_scenario()
    linked = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=2, days=7, mode="free", what_ifs=False)
    )
    ignored = make_plan(
        PlanInputs(scenario), PlanOptions(seed=2, days=7, mode="free", what_ifs=False)
    )
    weak = [v for v, gaps in linked.plan_gaps.items() if max(gaps.values()) > 1.0]
    assert ICE_RINK in weak
    for venue in weak:
        assert venue_mean(linked, venue) > venue_mean(ignored, venue)


def test_influence_agrees_with_two_explicit_solves() -> None:
    scenario = demo_scenario()
    days = 6
    # the pipeline's security-plan what-ifs (free placement: the plan's own solve is reused)
    plan = make_plan(
        PlanInputs.read(scenario),
        PlanOptions(seed=3, days=days, mode="free", what_ifs=True),
    )
    influences = plan.influences
    gaps = plan.plan_gaps
    for venue in (ICE_RINK, WINCHESTER):
        actual = make_plan(
            PlanInputs(scenario, plan_gaps=gaps),
            PlanOptions(seed=0, days=days, mode="free", what_ifs=False),
        )
        resolved_gaps = {**gaps, venue: {"vehicle": 1.0, "marauding": 1.0, "ied": 1.0}}
        resolved = make_plan(
            PlanInputs(scenario, plan_gaps=resolved_gaps),
            PlanOptions(seed=0, days=days, mode="free", what_ifs=False),
        )
        mask = np.array(actual.targets.venue) == venue
        hours = scenario.slot_minutes / 60
        found = influences[venue]
        assert found.mean_coverage == pytest.approx(actual.coverage[mask].mean())
        assert found.mean_coverage_if_resolved == pytest.approx(resolved.coverage[mask].mean())
        delta = (actual.coverage[mask].sum() - resolved.coverage[mask].sum()) * hours
        assert found.patrol_hours_delta == pytest.approx(delta)
    assert influences[ICE_RINK].patrol_hours_delta > 0.5  # a poor plan draws patrols
    assert influences[WINCHESTER].patrol_hours_delta == 0.0  # nothing open, no effect
    # Findings that moved coverage carry their titles from the review.
    titles = dict(influences[ICE_RINK].findings)
    review = plan.linked_plans[ICE_RINK].review
    assert all(titles[f.rule] == f.title for f in review.findings if f.rule in titles)
    # Same figures without a precomputed plan.
    again = {i.venue: i for i in plan_influence(scenario, plan.linked_plans, days=days)}
    assert again[ICE_RINK].patrol_hours_delta == pytest.approx(found_delta(influences, ICE_RINK))


def found_delta(influences: Mapping[str, Any], venue: str) -> float:
    value = influences[venue].patrol_hours_delta
    assert isinstance(value, float)
    return value
