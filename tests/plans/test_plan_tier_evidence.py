"""Evidence that depends on the legal tier (``at_tier``): G2 and the Designated Senior
Individual, which TPPA s.10 requires only for enhanced duty premises and qualifying events
whose responsible person is not an individual (``domain.md`` sections 2-3, G2 is S/E)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from plans_testdata import REVIEW_DAY, plan_from

from crowdguard.errors import ReviewError
from crowdguard.plans import Review, SecurityPlan, default_rules, load_rules, review
from crowdguard.plans.letter import render_letter
from crowdguard.plans.overrides import apply_overrides

# Venues and crowds at each tier (TPPA ss.2-3), all with a full occupancy statement (G1).
STANDARD: dict[str, Any] = {
    "venue": {"id": "hall", "name": "Corn Exchange", "premises": True},
    "occupancy": {"maximum": 500, "includes_staff": True, "method": "seat count"},
}
ENHANCED: dict[str, Any] = {
    "venue": {"id": "arena", "name": "Arena", "premises": True},
    "occupancy": {"maximum": 3000, "includes_staff": True, "method": "licence"},
}
QUALIFYING_EVENT: dict[str, Any] = {
    "venue": {"id": "park", "name": "Victoria Park", "premises": False},
    "entry_checks": "ticket",
    "occupancy": {"maximum": 1200, "includes_staff": True, "method": "tickets"},
}
NO_TIER: dict[str, Any] = {
    "venue": {"id": "street", "name": "High Street", "premises": False},
    "occupancy": {"maximum": 5000, "includes_staff": True, "method": "counts"},
}
TIERS = {"none": NO_TIER, "standard": STANDARD, "enhanced": ENHANCED, "event": QUALIFYING_EVENT}

COMPANY_WITHOUT_DSI: dict[str, Any] = {
    "event": {"responsible_person_type": "body_corporate"},
    "people": {"responsible_person": "Jo Bloggs, general manager"},
}


def plan_at(where: dict[str, Any], *patches: dict[str, Any]) -> SecurityPlan:
    merged: dict[str, Any] = {}
    for patch in (where, *patches):
        for key, value in patch.items():
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return plan_from(merged)


def g2(result: Review) -> tuple[Any, Any]:
    item = next(i for i in result.items if i.rule == "G2")
    finding = next((f for f in result.findings if f.rule == "G2"), None)
    return item, finding


def section(letter: str, heading: str) -> str:
    return letter.partition(f"## {heading}")[2].partition("\n## ")[0]


def test_standard_tier_company_without_dsi_is_good_practice_not_law() -> None:
    result = review(plan_at(STANDARD, COMPANY_WITHOUT_DSI), on=REVIEW_DAY)
    assert result.tier.value == "standard"
    item, finding = g2(result)
    # Against the full (enhanced) checklist the DSI is still asked for ...
    assert (item.score, item.status) == (1, "partial")
    assert finding is not None and finding.status == "partial"
    assert "Designated Senior Individual" in finding.advice
    # ... but the law at the standard tier asks only for the responsible person.
    assert item.legal and item.legal_score == 2
    assert finding.legal is False
    assert finding.severity == "high"  # a critical item partial, as at tier none
    # The legal verdict and score are those of the same plan with a DSI named.
    with_dsi = review(
        plan_at(STANDARD, COMPANY_WITHOUT_DSI, {"people": {"designated_senior_individual": "MD"}}),
        on=REVIEW_DAY,
    )
    assert (result.legal_verdict, result.legal_score) == (
        with_dsi.legal_verdict,
        with_dsi.legal_score,
    )
    assert "G2" not in result.legal_critical_failures
    assert result.score < with_dsi.score  # the good-practice score still counts it
    # The letter recommends it as good practice; it never says the Act requires it.
    letter = render_letter(result)
    assert "(G2;" not in section(letter, "What must improve")
    recommended = section(letter, "What we recommend as good practice")
    assert "(G2)" in recommended
    assert "for other premises and events we recommend one as good practice" in recommended


@pytest.mark.parametrize("where", ["enhanced", "event"])
def test_enhanced_tier_and_qualifying_events_require_the_dsi_by_law(where: str) -> None:
    result = review(plan_at(TIERS[where], COMPANY_WITHOUT_DSI), on=REVIEW_DAY)
    assert result.tier.value == "enhanced"
    item, finding = g2(result)
    assert (item.score, item.legal_score) == (1, 1)
    assert finding is not None
    assert (finding.legal, finding.critical, finding.status) == (True, True, "partial")
    assert finding.severity == "high"
    letter = render_letter(result)
    must = section(letter, "What we advise you to improve first")
    assert "(G2; important, partial, will be required by the Act at your tier (ss.4, 10) " in must
    assert "(G2)" not in section(letter, "What we recommend as good practice")
    commenced = review(
        plan_at(TIERS[where], COMPANY_WITHOUT_DSI), on=REVIEW_DAY, commencement=REVIEW_DAY
    )
    must = section(render_letter(commenced), "What must improve")
    assert "(G2; important, partial, required by the Act at your tier (ss.4, 10))" in must


@pytest.mark.parametrize(
    "kind", ["partnership", "unincorporated_association", "other_organisation"]
)
def test_any_responsible_person_that_is_not_an_individual_needs_a_dsi_at_the_enhanced_tier(
    kind: str,
) -> None:
    """TPPA s.10: a DSI wherever the responsible person is not an individual, so a
    partnership (or a club) running a qualifying event is asked for one by law, as a company
    is; at the standard tier it stays good practice."""
    people = {"event": {"responsible_person_type": kind},
              "people": {"responsible_person": "Jo Bloggs, partner"}}  # fmt: skip
    event = review(plan_at(QUALIFYING_EVENT, people), on=REVIEW_DAY)
    item, finding = g2(event)
    assert event.tier.value == "enhanced"
    assert (item.score, item.legal_score) == (1, 1)
    assert finding is not None and finding.legal and finding.critical
    assert "not an individual" in finding.advice
    hall = review(plan_at(STANDARD, people), on=REVIEW_DAY)
    item, finding = g2(hall)
    assert (item.legal_score, finding is not None and finding.legal) == (2, False)
    named = review(
        plan_at(QUALIFYING_EVENT, people, {"people": {"designated_senior_individual": "A"}}),
        on=REVIEW_DAY,
    )
    assert g2(named)[1] is None


def test_body_corporate_is_still_read_with_a_deprecation_notice(tmp_path: Path) -> None:
    """Issue 13: ``body_corporate`` is renamed; old plans keep working and are told what to
    write instead (the CLI prints the notice as a warning on stderr)."""
    old = {"event": {"id": "fair", "name": "Fair", "organiser": "Fairs Ltd",
                     "body_corporate": True}, **QUALIFYING_EVENT}  # fmt: skip
    plan = plan_from(old)
    assert plan.event.responsible_person_type == "body_corporate"
    assert "body_corporate" not in plan.model_dump()["event"]
    assert plan.notices and "responsible_person_type" in plan.notices[0][1]
    path = tmp_path / "old.yaml"
    import yaml

    path.write_text(yaml.safe_dump(old, sort_keys=False), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "crowdguard", "review", str(path), "-f", "json", "--on",
         "2026-11-01"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert re.search(
        rf"warning: {re.escape(str(path))}:\d+: event\.body_corporate is deprecated", out.stderr
    )
    assert json.loads(out.stdout)["tier"] == "enhanced"
    with pytest.raises(ReviewError, match="contradicts responsible_person_type"):
        plan_from(merge_event(old, {"responsible_person_type": "individual"}))


def merge_event(plan: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**plan, "event": {**plan["event"], **extra}}


@pytest.mark.parametrize("where", list(TIERS))
def test_no_responsible_person_is_a_critical_legal_finding_wherever_the_act_applies(
    where: str,
) -> None:
    result = review(
        plan_at(TIERS[where], {"event": {"responsible_person_type": "body_corporate"}}),
        on=REVIEW_DAY,
    )
    item, finding = g2(result)
    assert (item.score, item.legal_score) == (0, 0)
    assert finding is not None and finding.severity == "critical"
    assert finding.legal is (where != "none")
    assert ("G2" in result.legal_critical_failures) is (where != "none")


@pytest.mark.parametrize("where", list(TIERS))
def test_individuals_never_need_a_dsi(where: str) -> None:
    individual = {"event": {"responsible_person_type": "individual"},
                  "people": {"responsible_person": "Jo"}}  # fmt: skip
    result = review(plan_at(TIERS[where], individual), on=REVIEW_DAY)
    item, finding = g2(result)
    assert (item.score, item.legal_score, finding) == (2, 2, None)


def test_findings_are_legal_exactly_where_the_law_falls_short() -> None:
    for where, patch in TIERS.items():
        for people in (
            {},
            COMPANY_WITHOUT_DSI,
            {"event": {"responsible_person_type": "partnership"}},
        ):
            result = review(plan_at(patch, people), on=REVIEW_DAY)
            items = {i.rule: i for i in result.items}
            for finding in result.findings:
                item = items[finding.rule]
                assert finding.legal == (item.legal and item.legal_score < 2), (where, item)
            legal = [i for i in result.items if i.legal]
            zero = [i.rule for i in legal if i.critical and i.legal_score == 0]
            assert result.legal_critical_failures == zero


def test_json_contract_keeps_its_shape_for_a_good_practice_g2() -> None:
    data = review(plan_at(STANDARD, COMPANY_WITHOUT_DSI), on=REVIEW_DAY).to_json()
    assert list(data) == [
        "event", "tier", "score", "critical_failures", "duties_in_force", "commencement",
        "findings",
    ]  # fmt: skip
    finding = next(f for f in data["findings"] if f["rule"] == "G2")  # type: ignore[attr-defined]
    assert list(finding) == [
        "rule", "title", "tier", "severity", "status", "legal", "section", "source", "advice",
    ]  # fmt: skip
    assert (finding["tier"], finding["status"], finding["legal"]) == ("standard", "partial", False)


def test_cli_json_for_a_standard_tier_company_without_dsi(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "hall.yaml"
    plan = {**STANDARD, **COMPANY_WITHOUT_DSI}
    plan["event"] = {"id": "hall-fair", "name": "Hall Fair", "organiser": "Fairs Ltd",
                     "responsible_person_type": "body_corporate"}  # fmt: skip
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "crowdguard", "review", str(path), "-f", "json", "--on",
         "2026-11-01"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"event", "tier", "score", "critical_failures", "duties_in_force",
                         "commencement", "findings"}  # fmt: skip
    assert data["tier"] == "standard" and "G2" not in data["critical_failures"]
    assert any(f["rule"] == "G2" and f["status"] == "partial" for f in data["findings"])


# -- overrides --------------------------------------------------------------------------


def test_overrides_move_the_legal_status_the_same_way_as_the_checklist() -> None:
    base = review(plan_at(STANDARD, COMPANY_WITHOUT_DSI), on=REVIEW_DAY)
    # Confirming the partial status keeps it a good-practice finding.
    confirmed = apply_overrides(base, {"G2": "partial"})
    assert confirmed == base
    # The adviser found no responsible person either: now a critical legal finding.
    absent = apply_overrides(base, {"G2": "absent"})
    _, finding = g2(absent)
    assert finding is not None and finding.legal and finding.severity == "critical"
    assert "G2" in absent.legal_critical_failures
    assert absent.legal_verdict == "improvement required"
    # A DSI seen on a site visit: no finding at all.
    adequate = apply_overrides(base, {"G2": "adequate"})
    assert g2(adequate)[1] is None


def test_reviews_stored_before_legal_scores_still_load() -> None:
    result = review(plan_at(ENHANCED, COMPANY_WITHOUT_DSI), on=REVIEW_DAY)
    stored = result.model_dump(mode="json")
    for item in stored["items"]:
        del item["legal_score"]
    loaded = Review.model_validate(stored)
    assert [i.legal_score for i in loaded.items] == [i.score for i in result.items]


# -- the predicate ----------------------------------------------------------------------

LOCAL_RULE = """
- id: L3
  title: Search at entry
  tier: standard
  critical: false
  section: "s.6"
  source: "Local practice"
  checks: Bag search at the gates for enhanced-tier events.
  adequate:
    any_of:
      - is_true: movement.search
      - at_tier: {tiers}
  partial: {{is_true: movement.entry_control}}
  advice: {{partial: "Please search bags.", absent: "Please control entry."}}
"""


def write_rule(tmp_path: Path, tiers: str) -> Path:
    path = tmp_path / "90-local.yaml"
    path.write_text(LOCAL_RULE.format(tiers=tiers), encoding="utf-8")
    return path


@pytest.mark.parametrize("tiers", ["[none, standard]", "standard", "[standard, none]"])
def test_a_local_rule_can_depend_on_the_tier_without_code(tmp_path: Path, tiers: str) -> None:
    rules = [*default_rules(), *load_rules(write_rule(tmp_path, tiers))]
    at_standard = review(plan_at(STANDARD), rules=rules, on=REVIEW_DAY)
    at_enhanced = review(plan_at(ENHANCED), rules=rules, on=REVIEW_DAY)
    l3_standard = next(i for i in at_standard.items if i.rule == "L3")
    l3_enhanced = next(i for i in at_enhanced.items if i.rule == "L3")
    assert (l3_standard.score, l3_standard.legal_score) == (0, 2)
    assert (l3_enhanced.score, l3_enhanced.legal_score) == (0, 0)


@pytest.mark.parametrize(
    ("tiers", "complaint"),
    [
        ("[standard, enhnaced]", "unknown tier 'enhnaced'"),
        ("qualifying_event", "unknown tier 'qualifying_event'"),
        ("[]", "expected a tier or a list of tiers"),
    ],
)
def test_an_unknown_tier_fails_to_load_naming_the_file_and_rule(
    tmp_path: Path, tiers: str, complaint: str
) -> None:
    path = write_rule(tmp_path, tiers)
    with pytest.raises(ReviewError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: rule L3 ")
    assert complaint in message
    assert "at_tier" in message
    assert "none, standard, enhanced" in message
    assert "\n" not in message


def _uses_at_tier(pred: object) -> bool:
    if isinstance(pred, dict):
        return "at_tier" in pred or any(_uses_at_tier(v) for v in pred.values())
    if isinstance(pred, list):
        return any(_uses_at_tier(v) for v in pred)
    return False


def test_standard_items_citing_enhanced_only_sections_say_so_in_their_evidence() -> None:
    """A standard-tier item that cites an enhanced-only duty (TPPA s.6 measures, s.7
    security document, s.10 Designated Senior Individual) must make that part of its
    evidence depend on the tier, or the letter would call it law at the standard tier."""
    for rule in default_rules():
        if rule.tier.value != "standard":
            continue
        cites = re.findall(r"\bs\.(?:6|7|10)(?![0-9])", rule.source)
        if cites:
            assert _uses_at_tier(rule.adequate) or _uses_at_tier(rule.partial), (rule.id, cites)


def test_the_theory_page_quotes_the_real_load_error(tmp_path: Path) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "theory" / "plan-review.md"
    quoted = next(
        line for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("90-local.yaml: rule L3")
    )  # fmt: skip
    path = write_rule(tmp_path, "[standard, enhnaced]")
    with pytest.raises(ReviewError) as info:
        load_rules(path)
    assert f"{tmp_path}/{quoted}" == str(info.value)
