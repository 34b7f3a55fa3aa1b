"""Martyn's Law tiers (TPPA ss.2-3; domain.md section 2) at and around the thresholds."""

from __future__ import annotations

from typing import Any

import pytest
from plans_testdata import REVIEW_DAY, plan_from

from crowdguard.errors import ReviewError
from crowdguard.plans import legal_tier, review


def plan(
    n: int | None, *, premises: bool, checks: str = "none", public: bool = True, **venue: Any
) -> Any:
    patch: dict[str, Any] = {
        "venue": {"id": "v", "name": "V", "premises": premises, **venue},
        "entry_checks": checks,
        "public_access": public,
    }
    if n is not None:
        patch["occupancy"] = {"maximum": n, "includes_staff": True, "method": "counts"}
    return plan_from(patch)


@pytest.mark.parametrize(
    ("n", "tier"),
    [(0, "none"), (199, "none"), (200, "standard"), (799, "standard"), (800, "enhanced"),
     (25_000, "enhanced")],
)  # fmt: skip
def test_premises_thresholds(n: int, tier: str) -> None:
    assert legal_tier(plan(n, premises=True))[0].value == tier


@pytest.mark.parametrize(
    "venue",
    [{"kind": "place_of_worship"}, {"place_of_worship": True}, {"school": True},
     {"childcare": True}, {"kind": "childcare"}, {"further_education": True},
     {"kind": "further_education"}],
)  # fmt: skip
def test_worship_schools_further_education_and_childcare_stay_standard(
    venue: dict[str, Any],
) -> None:
    """TPPA Sch. 1 paras 9, 13-15 (``domain.md`` section 2)."""
    assert legal_tier(plan(3500, premises=True, **venue))[0].value == "standard"
    assert legal_tier(plan(199, premises=True, **venue))[0].value == "none"


@pytest.mark.parametrize(
    ("n", "checks", "tier"),
    [
        (800, "ticket", "enhanced"),
        (800, "pass", "enhanced"),
        (800, "payment", "enhanced"),
        (800, "membership", "enhanced"),  # members of a club and their guests
        (799, "ticket", "none"),
        (800, "none", "none"),  # free open-street market: probably not a qualifying event
        (50_000, "none", "none"),
    ],
)
def test_events_qualify_only_at_800_with_entry_checks(n: int, checks: str, tier: str) -> None:
    assert legal_tier(plan(n, premises=False, checks=checks))[0].value == tier


@pytest.mark.parametrize(
    ("n", "venue", "tier"),
    [
        (3500, {"place_of_worship": True}, "enhanced"),  # ticketed event at a cathedral
        (3500, {"school": True}, "enhanced"),
        (799, {"school": True}, "standard"),  # below 800: the premises' standard duties
        (799, {}, "standard"),
    ],
)
def test_ticketed_800_plus_events_on_premises_that_are_not_enhanced_qualify(
    n: int, venue: dict[str, Any], tier: str
) -> None:
    """gov.uk *Scope (events)* factsheet: a qualifying event cannot be on enhanced duty
    premises, but can be on other premises, standard ones included."""
    assert legal_tier(plan(n, premises=True, checks="ticket", **venue))[0].value == tier


@pytest.mark.parametrize("checks", ["ticket", "pass", "none"])
def test_an_invitation_only_private_event_is_out_of_scope(checks: str) -> None:
    """TPPA s.3: a qualifying event is open to the public; a private, invitation-only party
    of 1,500 in a park is not one, whatever its entry checks."""
    tier, reason = legal_tier(plan(1500, premises=False, checks=checks, public=False))
    assert tier.value == "none"
    assert "not open to the public" in reason and "s.3" in reason


def test_invitation_is_not_an_entry_check_and_says_what_to_write() -> None:
    with pytest.raises(ReviewError, match="public_access: false") as info:
        plan(1500, premises=False, checks="invitation")
    assert "entry_checks" in str(info.value) and "s.3" in str(info.value)


def test_a_private_event_on_standard_premises_keeps_the_premises_duties() -> None:
    tier, reason = legal_tier(plan(1500, premises=True, checks="ticket", school=True, public=False))
    assert tier.value == "standard"
    assert "not open to the public" in reason


def test_event_on_enhanced_premises_has_enhanced_duties_without_entry_checks() -> None:
    assert legal_tier(plan(6000, premises=True, checks="none"))[0].value == "enhanced"


def test_without_occupancy_the_tier_is_undetermined_and_said_so() -> None:
    tier, reason = legal_tier(plan(None, premises=True))
    assert tier.value == "none"
    assert "cannot be determined" in reason


def test_reason_names_the_headcount() -> None:
    _, reason = legal_tier(plan(1234, premises=True))
    assert "1,234" in reason


def test_reason_says_what_the_event_will_be_before_commencement_and_is_after() -> None:
    """Issue 13: before commencement the tier is what the event *will* be."""
    event = plan(1200, premises=False, checks="ticket")
    assert "will be a qualifying event" in legal_tier(event)[1]
    assert "it is a qualifying event" in legal_tier(event, in_force=True)[1]
    assert "will be" not in legal_tier(event, in_force=True)[1]


def test_legal_verdict_binds_only_the_tier_while_good_practice_covers_everything() -> None:
    """A standard-tier plan with every S item adequate but no HVM: lawful, not good practice."""
    s_items = {
        "occupancy": {"maximum": 500, "includes_staff": True, "method": "counts"},
        "venue": {"id": "v", "name": "V", "premises": True},
        "people": {"responsible_person": "A", "sia_notification_reference": "R"},
        "coordination": {"other_responsible_persons": [], "council": True,
                         "safety_advisory_group": True, "ctsa": True, "police": True,
                         "mou_on_risk": True},
        "procedures": {
            "evacuation": {"routes": ["r"], "modes": ["full"], "disabled_people": "d",
                           "dispersal": "d", "emergency_access": "e"},
            "invacuation": {"protected_spaces": ["h"], "routes": ["r"]},
            "lockdown": {"how_entry_stops": "g", "authorised_by": "m",
                         "time_to_secure_minutes": 4},
            "communication": {"radios": True, "code_words": True, "scripts": True,
                              "link_999": "control"},
            "decision_triggers": "t", "staff_act_without_police": True,
            "decisions_logged": True,
        },
    }  # fmt: skip
    result = review(plan_from(s_items), on=REVIEW_DAY)
    assert result.tier.value == "standard"
    assert result.legal_verdict == "satisfactory"
    assert result.legal_critical_failures == []
    assert result.legal_score == 100.0
    assert {"M1", "M2", "M3", "D1"} <= set(result.critical_failures)
    assert result.good_practice_verdict == "improvement required"
    assert all(not f.legal for f in result.findings)
    assert result.group_scores["S"] == 100.0
    assert result.group_scores["E"] == 0.0
