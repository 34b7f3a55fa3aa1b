"""Every rule's citation and standing in law, pinned against a table written from the Act.

Issue 13: an advice letter goes from the police to an organiser, so each checklist item must
cite the right section of the Terrorism (Protection of Premises) Act 2025, say whether it
is law or guidance, and be worded for the commencement state (``domain.md`` sections 2-3,
corrected 2026-12-07). The table below is written by hand from those sections, not from the
rule files: a change to a rule's citation or tier fails here until the table is changed too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from plans_testdata import REVIEW_DAY, plan_from

from crowdguard.plans import default_rules, review
from crowdguard.plans.letter import finding_basis, render_letter
from crowdguard.plans.review import Finding, RuleTier, Severity

LAW = "law"
GUIDANCE = "guidance"

# rule -> (section of the Act, law or guidance, "practicable" duty, words in its source)
TABLE: dict[str, tuple[str | None, str, bool, tuple[str, ...]]] = {
    "G1": ("ss.2-3", LAW, False, ("ss.2-3", "staff included")),
    "G2": ("ss.4, 10", LAW, False, ("s.4", "s.10", "not an individual")),
    "G3": ("s.9", LAW, False, ("s.9",)),
    "G4A": ("s.8", LAW, False, ("s.8", "other responsible persons")),
    "G4B": (None, GUIDANCE, False, ("Purple Guide", "ProtectUK", "not a duty of the Act")),
    "P1": ("s.5(3)(a)", LAW, True, ("s.5(3)(a)", "so far as reasonably practicable")),
    "P2": ("s.5(3)(b)", LAW, True, ("s.5(3)(b)", "so far as reasonably practicable")),
    "P3": ("s.5(3)(c)", LAW, True, ("s.5(3)(c)", "so far as reasonably practicable")),
    "P4": ("s.5(3)(d)", LAW, True, ("s.5(3)(d)", "so far as reasonably practicable")),
    "P5": (None, GUIDANCE, False, ("Crowded Places Guidance", "(2020)", "section 1.2", "RB4")),
    "P6": (None, GUIDANCE, False, ("ProtectUK", "removed from the Bill")),
    "P7": (None, GUIDANCE, False, ("NaCTSO",)),
    "M1": ("s.6", LAW, True, ("s.6", "so far as reasonably practicable", "CCTV", "guidance")),
    "M2": ("s.6", LAW, True, ("s.6", "so far as reasonably practicable", "guidance")),
    "M3": ("s.6", LAW, True, ("Vehicle Dynamics Assessment", "1.2 m", "glazing",
                              "not requirements of the Act")),
    "M4": ("s.6", LAW, True, ("s.6", "so far as reasonably practicable", "guidance")),
    "D1": ("s.7", LAW, False, ("s.7(2)", "30 days beginning with the day of the revision",
                               "as soon as reasonably practicable")),
    "D2": (None, GUIDANCE, False, ("Crowded Places Guidance",)),
    "D3": (None, GUIDANCE, False, ("ProtectUK tactic IB1",)),
    "X1": (None, GUIDANCE, False, ("best practice",)),
    "X2": (None, GUIDANCE, False, ("Joint Operations Unit",)),
    "X3": (None, GUIDANCE, False, ("ProtectUK",)),
}  # fmt: skip

# How the letter labels a legal shortfall (a finding below what the law asks at the plan's
# tier), before and after the duties are commenced.
BEFORE = "will be required by the Act at your tier ({s}) once commenced"
AFTER = "required by the Act at your tier ({s})"
BEFORE_PRACTICABLE = (
    "the Act will require this at your tier so far as reasonably practicable ({s}) once "
    "commenced; the measures named are guidance"
)
AFTER_PRACTICABLE = (
    "the Act requires this at your tier so far as reasonably practicable ({s}); the measures "
    "named are guidance"
)


def test_the_table_covers_every_rule_in_catalogue_order() -> None:
    assert [rule.id for rule in default_rules()] == list(TABLE)


@pytest.mark.parametrize("rule_id", list(TABLE))
def test_each_rule_cites_its_section_and_says_law_or_guidance(rule_id: str) -> None:
    section, standing, practicable, words = TABLE[rule_id]
    rule = next(r for r in default_rules() if r.id == rule_id)
    assert rule.section == section
    assert (rule.tier is not RuleTier.best_practice) == (standing == LAW)
    assert rule.practicable is practicable
    for word in words:
        assert word in rule.source, (rule_id, word)
    # Guidance never claims to be the Act: no source or advice of a guidance item says the
    # Act requires it, and no legal item says a specific measure is "required by the Act".
    text = " ".join((rule.source, rule.advice.partial, rule.advice.absent))
    assert "required by the Act" not in text and "the Act requires" not in text
    if standing == GUIDANCE:
        assert rule.binds_if is None


@pytest.mark.parametrize("rule_id", [r for r, row in TABLE.items() if row[1] == LAW])
def test_legal_findings_are_worded_for_the_commencement_state(rule_id: str) -> None:
    section, _, practicable, _ = TABLE[rule_id]
    finding = Finding(rule=rule_id, title="t", tier=RuleTier.standard, critical=False,
                      legal=True, section=section, practicable=practicable,
                      severity=Severity.medium, status="absent", source="s", advice="a")  # fmt: skip
    before = BEFORE_PRACTICABLE if practicable else BEFORE
    after = AFTER_PRACTICABLE if practicable else AFTER
    assert finding_basis(finding, in_force=False) == before.format(s=section)
    assert finding_basis(finding, in_force=True) == after.format(s=section)


@pytest.mark.parametrize("in_force", [False, True])
def test_guidance_findings_are_good_practice_before_and_after(in_force: bool) -> None:
    commencement = REVIEW_DAY if in_force else None
    result = review(plan_from(ENHANCED_EMPTY), on=REVIEW_DAY, commencement=commencement)
    for finding in result.findings:
        standing = TABLE[finding.rule][1]
        label = finding_basis(finding, in_force=in_force)
        if standing == GUIDANCE:
            assert label == "good practice", finding.rule
        else:
            assert label != "good practice" or not finding.legal, finding.rule
    text = render_letter(result)
    for rule_id, (_, standing, _, _) in TABLE.items():
        if standing == GUIDANCE:
            assert f"({rule_id})" in text.split("## What we recommend as good practice")[1]


ENHANCED_EMPTY: dict[str, Any] = {
    "venue": {"id": "arena", "name": "Arena", "premises": True},
    "occupancy": {"maximum": 3000, "includes_staff": True, "method": "licence"},
    "coordination": {"other_responsible_persons": ["the arena's owner"]},
}


def test_g4a_binds_only_where_another_responsible_person_exists() -> None:
    """s.8 binds responsible persons to co-ordinate with *other responsible persons* for the
    same premises or event, and with nobody else; the SAG, council and police are G4B."""

    def g4a(coordination: dict[str, Any] | None) -> tuple[bool, str]:
        patch = {**ENHANCED_EMPTY}
        patch.pop("coordination")
        if coordination is not None:
            patch["coordination"] = coordination
        item = next(i for i in review(plan_from(patch), on=REVIEW_DAY).items if i.rule == "G4A")
        return item.legal, item.status

    assert g4a(None) == (False, "absent")  # not said: asked, as good practice
    assert g4a({"other_responsible_persons": []}) == (False, "adequate")  # none exist
    assert g4a({"other_responsible_persons": ["centre management"]}) == (True, "partial")
    assert g4a({"other_responsible_persons": ["centre management"],
                "how_coordinated": "joint procedures"}) == (True, "adequate")  # fmt: skip
    # Working with the SAG, council and police is not s.8 co-ordination.
    agencies = {"council": True, "safety_advisory_group": True, "ctsa": True, "police": True,
                "mou_on_risk": True}  # fmt: skip
    assert g4a(agencies) == (False, "absent")


@pytest.mark.parametrize(("day", "in_time"), [(0, True), (28, True), (29, True), (30, False),
                                              (31, False), (-1, False)])  # fmt: skip
def test_d1_deadline_is_the_30_days_beginning_with_the_revision_day(
    day: int, in_time: bool
) -> None:
    """s.7(2): "before the end of the period of 30 days beginning with the day of its
    revision": the revision day is day 1, so sending on the 29th day after it is in time and
    on the 30th is late (the old check accepted the 30th)."""
    revised = dt.date(2026, 10, 1)
    sent = revised + dt.timedelta(days=day)
    result = review(plan_from({"document": {"last_revised": revised, "sent_to_sia": sent}}),
                    on=REVIEW_DAY)  # fmt: skip
    d1 = next(i for i in result.items if i.rule == "D1")
    assert d1.status == ("adequate" if in_time else "partial"), day


def test_d1_has_no_yearly_test_the_act_lacks() -> None:
    """A document revised two years ago and sent on time is adequate under s.7; a yearly
    review is recommended in the advice as best practice, not scored as law."""
    old = {"document": {"last_revised": dt.date(2024, 9, 1), "sent_to_sia": dt.date(2024, 9, 5)}}
    d1 = next(i for i in review(plan_from(old), on=REVIEW_DAY).items if i.rule == "D1")
    assert d1.status == "adequate"
    rule = next(r for r in default_rules() if r.id == "D1")
    assert "best practice, not a requirement of the Act" in rule.advice.partial


@pytest.mark.parametrize(
    ("mutation", "complaint"),
    [
        ({"tier": "best_practice", "section": "s.6"}, "a best_practice rule is guidance"),
        ({"tier": "standard", "section": None}, "name the section"),
        ({"tier": "best_practice", "section": None, "practicable": True}, "practicable"),
    ],
)
def test_the_loader_refuses_a_rule_that_confuses_law_and_guidance(
    tmp_path: Any, mutation: dict[str, Any], complaint: str
) -> None:
    import yaml

    from crowdguard.errors import ReviewError
    from crowdguard.plans import load_rules

    rule = {"id": "L9", "title": "t", "tier": "standard", "section": "s.5", "source": "s",
            "checks": "c", "adequate": {"nonempty": "venue.name"},
            "partial": {"nonempty": "venue.id"}, "advice": {"partial": "p", "absent": "a"}}  # fmt: skip
    rule.update(mutation)
    if rule["section"] is None:
        del rule["section"]
    path = tmp_path / "90-local.yaml"
    path.write_text(yaml.safe_dump([rule]), encoding="utf-8")
    with pytest.raises(ReviewError, match=complaint) as info:
        load_rules(path)
    assert str(info.value).startswith(f"{path}: rule L9 [0]: ")
