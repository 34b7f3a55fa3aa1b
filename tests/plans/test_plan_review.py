"""Review invariants: verdicts, percentages, ordering of findings, demo plans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from plans_testdata import REVIEW_DAY, merge, plan_from

from crowdguard.plans import EXAMPLE_PLAN, Review, demo_plans, load_plan, review

EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
SECTIONS = sorted(k for k in EXAMPLE if k != "event")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def from_sections(chosen: set[str]) -> Any:
    return plan_from({k: EXAMPLE[k] for k in chosen})


def check_invariants(result: Review) -> None:
    points = sum(i.score for i in result.items)
    assert result.score == round(100 * points / (2 * len(result.items)), 1)
    assert {f.rule for f in result.findings} == {i.rule for i in result.items if i.score < 2}
    ranks = [SEVERITY_RANK[f.severity] for f in result.findings]
    assert ranks == sorted(ranks)
    zero_critical = [i.rule for i in result.items if i.critical and i.score == 0]
    assert result.critical_failures == zero_critical
    # The law at a tier never asks for more than the full checklist (read at the enhanced
    # tier), and a finding is legal exactly when the item falls short of the law.
    items = {i.rule: i for i in result.items}
    assert all(i.legal_score >= i.score for i in result.items)
    for finding in result.findings:
        item = items[finding.rule]
        assert finding.legal == (item.legal and item.legal_score < 2), finding.rule
    if zero_critical:
        assert result.good_practice_verdict == "improvement required"
        assert result.findings[0].severity == "critical"
        assert result.findings[0].status == "absent"
    else:
        assert result.good_practice_verdict != "improvement required"


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(SECTIONS)))
def test_invariants_hold_for_any_subset_of_sections(chosen: set[str]) -> None:
    check_invariants(review(from_sections(chosen), on=dt.date(2026, 11, 12)))


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(SECTIONS)), st.sampled_from(SECTIONS))
def test_adding_evidence_never_lowers_any_item(chosen: set[str], extra: str) -> None:
    day = dt.date(2026, 11, 12)
    before = review(from_sections(chosen), on=day)
    after = review(from_sections(chosen | {extra}), on=day)
    for old, new in zip(before.items, after.items, strict=True):
        assert new.score >= old.score, (extra, old.rule)


def test_one_critical_gap_means_improvement_required_even_with_a_high_total() -> None:
    no_lockdown = merge(EXAMPLE, {})
    del no_lockdown["procedures"]["lockdown"]
    result = review(plan_from(base=no_lockdown), on=dt.date(2026, 11, 12))
    assert result.score > 90
    assert result.critical_failures == ["P3"]
    assert result.legal_verdict == "improvement required"
    assert result.good_practice_verdict == "improvement required"
    assert result.findings[0].rule == "P3"


def test_example_plan_reviews_clean() -> None:
    result = review(load_plan(EXAMPLE_PLAN), on=dt.date(2026, 11, 12))
    assert result.findings == []
    assert result.score == 100.0
    assert result.legal_verdict == result.good_practice_verdict == "satisfactory"


def test_demo_plans_span_exemplary_to_poor() -> None:
    paths = demo_plans()
    names = {p.stem for p in paths}
    assert {
        "winchester-cathedral-market",
        "southampton-christmas-market",
        "gunwharf-quays-christmas-village",
        "portsmouth-guildhall-ice-rink",
    } <= names
    scores = {p.stem: review(load_plan(p), on=REVIEW_DAY) for p in paths}
    for result in scores.values():
        check_invariants(result)
    ordered = [
        scores[n].score
        for n in (
            "winchester-cathedral-market",
            "southampton-christmas-market",
            "gunwharf-quays-christmas-village",
            "portsmouth-guildhall-ice-rink",
        )
    ]
    assert ordered == sorted(ordered, reverse=True)
    assert scores["winchester-cathedral-market"].tier.value == "standard"  # a cathedral
    assert scores["southampton-christmas-market"].tier.value == "none"  # open street, free
    assert scores["gunwharf-quays-christmas-village"].tier.value == "enhanced"  # premises
    assert scores["portsmouth-guildhall-ice-rink"].tier.value == "enhanced"  # ticketed
    assert scores["winchester-cathedral-market"].critical_failures == []
    assert "M3" in scores["portsmouth-guildhall-ice-rink"].critical_failures


def test_json_contract_has_exactly_the_documented_keys() -> None:
    data = review(plan_from(), on=REVIEW_DAY).to_json()
    assert list(data) == ["event", "tier", "score", "critical_failures", "duties_in_force",
                          "commencement", "findings"]  # fmt: skip
    assert list(data["findings"][0]) == [  # type: ignore[index]
        "rule", "title", "tier", "severity", "status", "legal", "section", "source", "advice"
    ]  # fmt: skip


def test_demo_plan_venues_are_venues_of_the_embedded_scenario() -> None:
    scenario = __import__("crowdguard.scenario", fromlist=["demo_path"])
    if not hasattr(scenario, "demo_path"):  # pragma: no cover - scenario slice not built
        return
    data = yaml.safe_load(Path(scenario.demo_path()).read_text(encoding="utf-8"))
    venues = {v["id"]: v for v in data["venues"]}
    for path in demo_plans():
        plan = load_plan(path)
        assert plan.venue is not None
        assert plan.venue.id in venues, path.name
        capacity = venues[plan.venue.id].get("capacity")
        if capacity and plan.occupancy is not None:
            assert plan.occupancy.maximum <= capacity, path.name
