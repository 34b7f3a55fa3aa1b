"""Linking plans to venues: resolution, one-line errors, the multipliers' rules."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdguard.errors import InputError, ScenarioError
from crowdguard.plans import DEMO_DIR, load_plan, review
from crowdguard.plans.risk_feedback import mitigation_gaps
from crowdguard.risk.payoffs import build_targets
from crowdguard.risk.plan_gaps import linked_plans, plan_multipliers
from crowdguard.scenario.load import demo_path, demo_scenario, load_scenario, resolve_plan_ref
from crowdguard.scenario.schema import Mitigations

WINCHESTER_REF = "security_plan: demo:winchester-cathedral-market"
DEMO_EVENTS = {
    "winchester-cathedral-market": "winchester-cathedral-market",
    "southampton-christmas-market": "southampton-christmas-market",
    "portsmouth-gunwharf-quays": "gunwharf-quays-christmas-village",
    "portsmouth-guildhall-square-ice-rink": "portsmouth-guildhall-ice-rink",
}


def demo_text_with(ref: str) -> str:
    return demo_path().read_text(encoding="utf-8").replace(WINCHESTER_REF, f"security_plan: {ref}")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_demo_links_its_four_plans_and_they_match_their_venues() -> None:
    scenario = demo_scenario()
    linked = {v.id: v.security_plan for v in scenario.venues if v.security_plan}
    assert {v: ref.removeprefix("demo:") for v, ref in linked.items() if ref} == DEMO_EVENTS
    for venue, event in DEMO_EVENTS.items():
        plan = load_plan(resolve_plan_ref(f"demo:{event}"))
        assert plan.venue is not None and plan.venue.id == venue
        assert plan.event.id == event


def test_winchester_hvm_agrees_with_its_plan() -> None:
    """The plan cites a rated certificate, so the scenario says rated with that rating."""
    venue = demo_scenario().venue("winchester-cathedral-market")
    plan = yaml.safe_load((DEMO_DIR / "winchester-cathedral-market.yaml").read_text())
    ratings = [p["rating"] for p in plan["physical"]["hvm_products"]]
    assert venue.mitigations.hvm == "rated"
    assert venue.mitigations.hvm_rating in ratings


def test_relative_plan_path_resolves_against_the_scenario_file(tmp_path: Path) -> None:
    sub = tmp_path / "plans"
    sub.mkdir()
    (sub / "w.yaml").write_text((DEMO_DIR / "winchester-cathedral-market.yaml").read_text())
    (tmp_path / "s.yaml").write_text(demo_text_with("plans/w.yaml"))
    scenario = load_scenario(tmp_path / "s.yaml")
    venue = scenario.venue("winchester-cathedral-market")
    assert venue.security_plan == str((sub / "w.yaml").resolve())
    assert "winchester-cathedral-market" in linked_plans(scenario)


def test_the_scenario_says_whether_the_acts_duties_are_commenced() -> None:
    """Issue 13 item 1: unset (the default), linked plans are reviewed as advice on duties
    that will apply; with a date on or before the review, as duties in force."""
    scenario = demo_scenario()
    assert scenario.martyns_law_commencement is None
    on = dt.date(2026, 12, 1)
    before = linked_plans(scenario, on=on)["winchester-cathedral-market"].review
    assert (before.duties_in_force, before.commencement) == (False, None)
    commenced = scenario.model_copy(update={"martyns_law_commencement": dt.date(2026, 11, 1)})
    after = linked_plans(commenced, on=on)["winchester-cathedral-market"].review
    assert (after.duties_in_force, after.commencement) == (True, dt.date(2026, 11, 1))


def test_the_commencement_date_is_read_from_the_scenario_file(tmp_path: Path) -> None:
    text = demo_path().read_text(encoding="utf-8")
    (tmp_path / "s.yaml").write_text(f"martyns_law_commencement: 2027-04-01\n{text}")
    assert load_scenario(tmp_path / "s.yaml").martyns_law_commencement == dt.date(2027, 4, 1)
    (tmp_path / "bad.yaml").write_text(f"martyns_law_commencement: 2027-02-30\n{text}")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:1: '2027-02-30' is not a date"):
        load_scenario(tmp_path / "bad.yaml")


def test_missing_plan_names_the_venue_the_path_and_the_line(tmp_path: Path) -> None:
    text = demo_text_with("nowhere/plan.yaml")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert f"s.yaml:{line_of(text, 'nowhere/plan.yaml')}:" in message
    assert "winchester-cathedral-market" in message and "nowhere/plan.yaml" in message


def test_plan_for_another_venue_names_both(tmp_path: Path) -> None:
    text = demo_text_with("demo:portsmouth-guildhall-ice-rink")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    message = str(caught.value)
    assert f":{line_of(text, 'demo:portsmouth-guildhall-ice-rink')}:" in message
    assert "portsmouth-guildhall-square-ice-rink" in message
    assert "winchester-cathedral-market" in message


def test_unknown_demo_plan_and_invalid_plan_are_errors(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(demo_text_with("demo:no-such-plan"))
    with pytest.raises(ScenarioError, match="no-such-plan"):
        load_scenario(tmp_path / "s.yaml")
    (tmp_path / "bad.yaml").write_text("event: 3\n")
    (tmp_path / "t.yaml").write_text(demo_text_with("bad.yaml"))
    with pytest.raises(ScenarioError, match=r"venues\[0\]\.security_plan: venue 'winchester"):
        load_scenario(tmp_path / "t.yaml")


def test_cli_exits_2_with_one_line_for_a_missing_plan(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(demo_text_with("gone.yaml"))
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "plan", str(tmp_path / "s.yaml"), "--out",
         str(tmp_path / "out"), "--days", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "gone.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("gaps", "field"),
    [
        ({"nowhere": {"vehicle": 1.2}}, "nowhere"),
        ({"winchester-cathedral-market": {"arson": 1.2}}, "arson"),
        ({"winchester-cathedral-market": {"ied": 0.5}}, "0.5"),
        ({"winchester-cathedral-market": {"ied": float("nan")}}, "nan"),
    ],
)
def test_bad_plan_gaps_are_input_errors(gaps: dict[str, dict[str, float]], field: str) -> None:
    with pytest.raises(InputError, match=field):
        build_targets(demo_scenario(), days=[demo_scenario().start], plan_gaps=gaps)


def test_multipliers_match_risk_feedback_when_the_scenario_records_no_gap() -> None:
    everything = Mitigations(hvm="rated", cctv=True, entry_search=True, lockdown_procedure=True)
    for path in sorted(DEMO_DIR.glob("*.yaml")):
        result = review(load_plan(path))
        multipliers, _, counted = plan_multipliers(result, everything)
        assert multipliers == mitigation_gaps(result)
        assert counted == []


def test_a_gap_the_scenario_already_records_is_not_counted_twice() -> None:
    result = review(load_plan(DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml"))
    statuses = {i.rule: i.status for i in result.items}
    assert statuses["M3"] == "absent" and statuses["P3"] == "absent"
    with_measures = Mitigations(hvm="rated", lockdown_procedure=True)
    without = Mitigations(hvm="none", lockdown_procedure=False)
    full, _, _ = plan_multipliers(result, with_measures)
    reduced, reasons, counted = plan_multipliers(result, without)
    # The factor of an item the scenario already counts (hvm none, no lockdown) is removed.
    assert reduced["vehicle"] == pytest.approx(full["vehicle"] / 1.6, abs=1e-3)
    assert reduced["marauding"] == pytest.approx(full["marauding"] / 1.35, abs=1e-3)
    assert "M3 (vehicle)" in counted and "P3 (marauding)" in counted
    assert not any(r.startswith("M3") for r in reasons["vehicle"])


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(sorted(DEMO_EVENTS)),
    st.sampled_from(["vehicle", "marauding", "ied"]),
    st.floats(1.0, 3.0),
    st.floats(0.0, 2.0),
)
def test_a_larger_multiplier_raises_only_that_venues_risk(
    venue: str, mode: str, low: float, extra: float
) -> None:
    scenario = demo_scenario()
    days = [scenario.start.replace(day=28)]
    base: dict[str, Any] = {venue: {mode: low}}
    more: dict[str, Any] = {venue: {mode: low + extra}}
    t0 = build_targets(scenario, days=days, plan_gaps=base)
    t1 = build_targets(scenario, days=days, plan_gaps=more)
    mask = np.array(t0.venue) == venue
    assert np.all(t1.risk[mask] >= t0.risk[mask])
    assert np.all(t1.attacker_uncovered[mask] >= t0.attacker_uncovered[mask])
    assert np.array_equal(t1.risk[~mask], t0.risk[~mask])
    ones = build_targets(scenario, days=days, plan_gaps={venue: {mode: 1.0}})
    none = build_targets(scenario, days=days)
    assert np.array_equal(ones.risk, none.risk)


@pytest.mark.parametrize("ref", ["demo:../etc/passwd", "/etc/passwd", "plan.txt", "demo:"])
def test_security_plan_must_look_like_a_plan_reference(tmp_path: Path, ref: str) -> None:
    text = demo_text_with(f'"{ref}"')
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    message = str(caught.value)
    assert "venues[0].security_plan" in message and "expected" in message
    quoted = f'"{ref}"'
    assert f"s.yaml:{line_of(text, quoted)}:" in message
