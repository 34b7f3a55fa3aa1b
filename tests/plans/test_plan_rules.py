"""The rule catalogue matches the checklist, and each rule tells adequate, partial, absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from plans_testdata import CHECKLIST, MINIMAL, REVIEW_DAY, plan_from, rule_cases

from crowdguard.errors import ReviewError
from crowdguard.plans import default_rules, load_rules, review
from crowdguard.plans.review import RULES_DIR

CASES = rule_cases()


def score_of(result: object, rule: str) -> int:
    items = {item.rule: item.score for item in result.items}  # type: ignore[attr-defined]
    return items[rule]


def test_catalogue_is_the_checklist_of_domain_section_3() -> None:
    rules = {rule.id: rule for rule in default_rules()}
    assert list(rules) == list(CHECKLIST)
    for rule_id, (tier, critical) in CHECKLIST.items():
        assert rules[rule_id].tier.value == tier, rule_id
        assert rules[rule_id].critical is critical, rule_id


def test_every_rule_cites_a_source_and_gives_advice() -> None:
    for rule in default_rules():
        assert len(rule.source) > 10
        assert rule.advice.partial != rule.advice.absent
    sources = " ".join(r.source for r in default_rules())
    for clause in ("s.5(3)(a)", "s.5(3)(b)", "s.5(3)(c)", "s.5(3)(d)", "s.6", "s.7"):
        assert clause in sources


def test_every_catalogued_rule_has_hand_written_cases() -> None:
    assert set(CASES) == {rule.id for rule in default_rules()}


@pytest.mark.parametrize("rule_id", list(CHECKLIST))
def test_rule_scores_adequate_partial_and_absent(rule_id: str) -> None:
    adequate = review(plan_from(CASES[rule_id]["adequate"]), on=REVIEW_DAY)
    partial = review(plan_from(CASES[rule_id]["partial"]), on=REVIEW_DAY)
    missing = review(plan_from(), on=REVIEW_DAY)
    assert score_of(adequate, rule_id) == 2
    assert score_of(partial, rule_id) == 1
    assert score_of(missing, rule_id) == 0
    finding = next(f for f in partial.findings if f.rule == rule_id)
    assert finding.status == "partial"
    assert finding.advice and finding.source


def test_missing_plan_scores_zero_everywhere_and_fails_every_critical_item() -> None:
    result = review(plan_from(), on=REVIEW_DAY)
    assert result.score == 0.0
    critical = [rule_id for rule_id, (_, crit) in CHECKLIST.items() if crit]
    assert result.critical_failures == critical
    assert result.good_practice_verdict == "improvement required"


@pytest.mark.parametrize(
    ("physical", "expected"),
    [
        ({"unrated_measures": ["concrete blocks"]}, 1),  # unrated blocks are not HVM
        ({"vehicle_dynamics_assessment": "VDA", "max_gap_m": 1.5, "glazing_assessed": True}, 1),
    ],
)
def test_hvm_without_rated_closed_layout_is_only_partial(
    physical: dict[str, object], expected: int
) -> None:
    result = review(plan_from({"physical": physical}), on=REVIEW_DAY)
    assert score_of(result, "M3") == expected


def test_wide_gap_makes_rated_hvm_partial() -> None:
    patch = CASES["M3"]["adequate"]
    wide = {"physical": {**patch["physical"], "max_gap_m": 1.5}}
    assert score_of(review(plan_from(wide), on=REVIEW_DAY), "M3") == 1


def test_document_sent_to_sia_late_is_partial() -> None:
    late = {"document": {"last_revised": "2026-08-01", "sent_to_sia": "2026-09-15"}}
    assert score_of(review(plan_from(late), on=REVIEW_DAY), "D1") == 1


def test_extra_rule_file_adds_a_rule_without_code(tmp_path: Path) -> None:
    extra = tmp_path / "90-local.yaml"
    extra.write_text(
        """
- id: L1
  title: Venue address given
  tier: best_practice
  critical: false
  source: "Local practice"
  checks: The venue's address.
  adequate: {nonempty: venue.address}
  partial: {nonempty: venue.name}
  advice: {partial: "Please give the address.", absent: "Please describe the venue."}
""",
        encoding="utf-8",
    )
    rules = [*default_rules(), *load_rules(extra)]
    venue = {"venue": {"id": "v", "name": "The Hall"}}
    result = review(plan_from(venue), rules=rules, on=REVIEW_DAY)
    assert [i.rule for i in result.items][-1] == "L1"
    l1 = next(f for f in result.findings if f.rule == "L1")
    assert (l1.status, l1.advice) == ("partial", "Please give the address.")
    with_address = {"venue": {"id": "v", "name": "The Hall", "address": "1 High St"}}
    assert score_of(review(plan_from(with_address), rules=rules, on=REVIEW_DAY), "L1") == 2


@pytest.mark.parametrize(
    ("predicate", "complaint"),
    [
        ("{nonempty: venue.adress}", "venue.adress"),
        ("{sometimes: venue.address}", "unknown operator"),
        ("{min: [occupancy.maximum, many]}", "expected [field, number]"),
        ("{nonempty: occupancy.maximum.digits}", "below a plain value"),
    ],
)
def test_bad_rule_file_is_a_review_error_naming_the_fault(
    tmp_path: Path, predicate: str, complaint: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"""
- id: L2
  title: t
  tier: best_practice
  source: s
  checks: c
  adequate: {predicate}
  partial: {{nonempty: venue.name}}
  advice: {{partial: p, absent: a}}
""",
        encoding="utf-8",
    )
    with pytest.raises(ReviewError, match=r"bad\.yaml") as info:
        load_rules(bad)
    assert complaint in str(info.value)
    assert "\n" not in str(info.value)


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    builtin = sorted(RULES_DIR.glob("*.yaml"))
    copy = tmp_path / "copy.yaml"
    copy.write_text(builtin[0].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ReviewError, match="duplicate rule id"):
        load_rules(*builtin, copy)


def test_minimal_plan_is_valid() -> None:
    assert plan_from().event.id == MINIMAL["event"]["id"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 2),
        # a car-rated product where the VDA asks for a 7.5 t lorry
        ({"hvm_products": [{"name": "bollard", "rating": "1500[M1]/48/90:1.0",
                            "standard": "PAS 68", "foundation": "C"}]}, 1),
        # rated for the lorry but at a lower speed than the VDA found possible
        ({"hvm_products": [{"name": "barrier", "rating": "7500[N3]/32/90:1.0",
                            "standard": "IWA 14-1", "foundation": "A"}]}, 1),
        # no stated VDA requirement: the rating cannot be checked against it
        ({"required_mass_kg": None, "required_speed_kmh": None}, 1),
        # a stronger rating than required is fine
        ({"hvm_products": [{"name": "barrier", "rating": "V/7500[N3]/80/90:0.5",
                            "standard": "ISO 22343-1", "foundation": "B"}]}, 2),
    ],
)  # fmt: skip
def test_hvm_ratings_must_meet_the_vehicle_dynamics_assessment(
    changes: dict[str, object], expected: int
) -> None:
    physical = {**CASES["M3"]["adequate"]["physical"], **changes}
    result = review(plan_from({"physical": physical}), on=REVIEW_DAY)
    assert score_of(result, "M3") == expected
