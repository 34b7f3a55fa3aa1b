"""Triage: one test per rule and per grade, plus overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdguard.errors import InputError
from crowdguard.reports.models import ReportCategory, ReportCreate
from crowdguard.reports.triage import (
    Grade,
    Route,
    override_grade,
    scenario_venue_open,
    triage,
)
from crowdguard.scenario.schema import Venue

NOW = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)
# 1 degree of latitude is about 111.2 km on the mean sphere.
METRES_PER_DEG_LAT = 6_371_008.8 * 3.141592653589793 / 180


@dataclass(frozen=True)
class Place:
    id: str
    lat: float
    lon: float


MARKET = Place("winchester-market", 51.0632, -1.3080)
VENUES = [MARKET, Place("southampton-westquay", 50.9027, -1.4063)]
FAR = {"lat": 51.30, "lon": -1.00}  # ~35 km from either venue


def near(metres: float) -> dict[str, float]:
    """A map point ``metres`` north of the market."""
    return {"lat": MARKET.lat + metres / METRES_PER_DEG_LAT, "lon": MARKET.lon}


def report(
    category: str = "research",
    description: str = "Something odd.",
    *,
    location: Mapping[str, object] | None = None,
    observed_at: dt.datetime = NOW,
    **fields: object,
) -> ReportCreate:
    return ReportCreate.model_validate(
        {
            "category": category,
            "location": location or FAR,
            "observed_at": observed_at.isoformat(),
            "description": description,
            **fields,
        }
    )


def grade_of(r: ReportCreate, *, is_open: bool = True) -> tuple[Grade, tuple[str, ...], str]:
    result = triage(r, venues=VENUES, is_open=lambda _v, _t: is_open, received_at=NOW)
    return result.grade, result.rules, result.code


# --- Immediate (P1) ---------------------------------------------------------------------


def test_attack_in_progress_is_immediate_and_routed_to_999() -> None:
    result = triage(report("attack_in_progress", "People fighting"), received_at=NOW)
    assert result.grade is Grade.immediate and result.code == "P1"
    assert "attack_in_progress" in result.rules
    assert result.routes[0] is Route.emergency
    assert "999" in result.advice[0]
    assert result.firearms_grounds == ("attack_in_progress",)
    assert (
        "nearest suitable ARV, subject to authorisation by a firearms commander"
        in (result.advice[1])
    )


# --- Armed response follows APP (issue 13 item 10) ---------------------------------------

NO_ARV = "nearest suitable ARV"


def test_a_hot_item_is_p1_with_the_4_cs_and_no_arv() -> None:
    item = {"description": "rucksack, wires showing", "obviously_suspicious": True}
    result = triage(
        report("unattended_item", "Bag left by the rink", items=[item]), received_at=NOW
    )
    assert (result.grade, result.code) == (Grade.immediate, "P1")
    advice = " ".join(result.advice)
    for word in ("Confirm", "Clear", "Communicate", "Control", "cordon", "EOD", "999"):
        assert word in advice
    assert NO_ARV not in advice and result.firearms_grounds == ()


def test_a_weapon_seen_offers_the_nearest_arv_subject_to_a_firearms_commander() -> None:
    result = triage(report("research", "Odd behaviour", weapons_seen=True), received_at=NOW)
    assert result.code == "P1" and result.firearms_grounds == ("weapons_seen",)
    assert result.advice[0].startswith("Threat to life: treat as a 999 call")
    assert (
        NO_ARV in result.advice[1] and "authorisation by a firearms commander" in (result.advice[1])
    )
    assert "4 Cs" not in " ".join(result.advice)


def test_casualties_alone_get_an_ambulance_not_an_arv() -> None:
    result = triage(report("crowd_safety_non_ct", "Crush", casualties=True), received_at=NOW)
    assert result.code == "P1" and result.firearms_grounds == ()
    assert "ambulance" in result.advice[1] and NO_ARV not in " ".join(result.advice)


def test_a_hot_item_beside_a_weapon_gets_both_the_arv_and_the_4_cs() -> None:
    item = {"description": "holdall", "hidden": True}
    result = triage(
        report("unattended_item", "Bag left", items=[item], weapons_seen=True), received_at=NOW
    )
    assert result.firearms_grounds == ("weapons_seen",)
    assert NO_ARV in result.advice[1] and "4 Cs" in result.advice[2]


def test_a_weapon_seen_hours_ago_is_not_grounds_for_an_armed_response() -> None:
    late = NOW - dt.timedelta(hours=5)
    result = triage(report("research", "Odd", weapons_seen=True, observed_at=late), received_at=NOW)
    assert result.code == "P2" and result.firearms_grounds == ()
    assert NO_ARV not in " ".join(result.advice)


def test_weapon_seen_is_immediate() -> None:
    grade, rules, _ = grade_of(report("research", "Odd behaviour", weapons_seen=True))
    assert grade is Grade.immediate and "weapons_seen" in rules


def test_casualties_are_immediate_even_in_a_non_ct_category() -> None:
    grade, rules, _ = grade_of(report("crowd_safety_non_ct", "Crush", casualties=True))
    assert grade is Grade.immediate and "casualties" in rules


@pytest.mark.parametrize("flag", ["hidden", "obviously_suspicious", "not_typical"])
def test_an_item_with_any_hot_flag_is_immediate(flag: str) -> None:
    item = {"description": "rucksack under a stall", flag: True}
    grade, rules, _ = grade_of(report("unattended_item", "Bag left", items=[item]))
    assert grade is Grade.immediate and "hot_item" in rules


def test_weapon_word_with_immediacy_is_immediate() -> None:
    text = "A man with a knife is running towards the stalls now"
    grade, rules, _ = grade_of(report("research", text))
    assert grade is Grade.immediate and "weapon_words_now" in rules


# --- Priority (P2) ----------------------------------------------------------------------


def test_weapon_word_without_immediacy_is_priority() -> None:
    grade, rules, code = grade_of(report("research", "He said he keeps a machete in his van"))
    assert (grade, code) == (Grade.priority, "P2") and "weapon_words" in rules


@pytest.mark.parametrize(
    "text",
    [
        "I live near the market and saw a knife in his bag",
        "Two men shooting video of the bollards now",
    ],
)
def test_common_phrases_are_not_read_as_an_attack_now(text: str) -> None:
    _, rules, _ = grade_of(report("hostile_reconnaissance", text))
    assert "weapon_words_now" not in rules


def test_weapon_words_inside_other_words_do_not_fire() -> None:
    _, rules, _ = grade_of(report("research", "Bought a gunmetal grey blanket; axel grease"))
    assert "weapon_words" not in rules and "weapon_words_now" not in rules


def test_hostile_reconnaissance_today_is_priority_but_last_week_is_scheduled() -> None:
    today = report(
        "hostile_reconnaissance", "Photographing CCTV", observed_at=NOW - dt.timedelta(hours=3)
    )
    old = report(
        "hostile_reconnaissance", "Photographing CCTV", observed_at=NOW - dt.timedelta(days=6)
    )
    assert grade_of(today)[0] is Grade.priority
    assert "hostile_reconnaissance_today" in grade_of(today)[1]
    assert grade_of(old)[0] is Grade.scheduled


def test_a_suspicious_vehicle_near_an_open_crowded_place_is_priority() -> None:
    r = report("suspicious_vehicle", "Van parked on the pedestrian zone", location=near(150))
    result = triage(r, venues=VENUES, is_open=lambda _v, _t: True, received_at=NOW)
    assert result.grade is Grade.priority and "near_open_crowded_place" in result.rules
    assert result.nearest_open_venue == MARKET.id
    assert result.distance_m == pytest.approx(150, abs=1)


def test_the_same_vehicle_when_the_market_is_closed_or_far_away_is_scheduled() -> None:
    closed = report("suspicious_vehicle", "Van parked", location=near(150))
    far = report("suspicious_vehicle", "Van parked", location=near(2000))
    assert grade_of(closed, is_open=False)[0] is Grade.scheduled
    assert grade_of(far)[0] is Grade.scheduled


def test_a_venue_id_counts_as_being_at_that_venue() -> None:
    r = report("suspicious_vehicle", "Van parked", location={"venue_id": MARKET.id})
    grade, rules, _ = grade_of(r)
    assert grade is Grade.priority and "near_open_crowded_place" in rules


def test_an_old_threat_to_life_is_not_current_and_becomes_priority() -> None:
    r = report("research", "Saw it", weapons_seen=True, observed_at=NOW - dt.timedelta(hours=5))
    grade, rules, _ = grade_of(r)
    assert grade is Grade.priority
    assert "not_current" in rules and "weapons_seen" in rules


# --- Scheduled (P3), Refer (P4, P6), No deployment (P5) -----------------------------------


@pytest.mark.parametrize(
    "category",
    ["research", "gathering_materials", "storage", "finance", "communications", "weapons"],
)
def test_act_intelligence_is_scheduled_via_the_act_route(category: str) -> None:
    grade, rules, code = grade_of(report(category, "Hired a large van for cash, no licence shown"))
    assert (grade, code) == (Grade.scheduled, "P3") and "act_category" in rules


def test_online_content_is_referred_to_ctiru() -> None:
    result = triage(report("online_content", "Posts praising an attack"), received_at=NOW)
    assert (result.grade, result.code) == (Grade.refer, "P4")
    assert Route.ctiru in result.routes and "CTIRU" in " ".join(result.advice)


def test_radicalisation_concerns_are_referred_to_prevent() -> None:
    text = "I think my nephew is being radicalised by people he met online"
    result = triage(report("crowd_safety_non_ct", text), received_at=NOW)
    assert result.grade is Grade.refer and result.code == "P6"
    assert Route.prevent in result.routes and "safeguarding_words" in result.rules


def test_crowd_safety_is_no_deployment_and_goes_to_101_and_stewards() -> None:
    result = triage(report("crowd_safety_non_ct", "Lost child near the carousel"), received_at=NOW)
    assert (result.grade, result.code) == (Grade.no_deployment, "P5")
    assert "101" in result.advice[0] and "stewards" in result.advice[0]


def test_an_unattended_item_without_hot_flags_is_no_deployment() -> None:
    r = report("unattended_item", "A shopping bag", items=[{"description": "shopping bag"}])
    grade, rules, _ = grade_of(r)
    assert grade is Grade.no_deployment and "unattended_not_hot" in rules


# --- Rules that inform without changing the grade ---------------------------------------


def test_anonymity_is_noted_but_does_not_change_the_grade() -> None:
    anon = triage(report("finance", "Cash deposits"), received_at=NOW)
    named = triage(
        report("finance", "Cash deposits", contact={"phone": "07700 900123"}), received_at=NOW
    )
    assert "anonymous" in anon.rules and "anonymous" not in named.rules
    assert anon.grade is named.grade


def test_a_text_only_location_is_flagged() -> None:
    grade, rules, _ = grade_of(report("finance", "Cash", location={"text": "the car park"}))
    assert "location_text_only" in rules and grade is Grade.scheduled


def test_every_reason_names_its_thrive_dimension() -> None:
    result = triage(report("attack_in_progress", "shooting now"), received_at=NOW)
    assert {r.thrive.value for r in result.reasons} <= {
        "threat",
        "harm",
        "risk",
        "investigation",
        "vulnerability",
        "engagement",
    }
    assert result.reasons[0].detail


_FLAGS = st.fixed_dictionaries({"weapons_seen": st.booleans(), "casualties": st.booleans()})


@settings(max_examples=60, deadline=None)
@given(category=st.sampled_from(list(ReportCategory)), flags=_FLAGS)
def test_adding_a_weapon_or_casualties_never_makes_a_report_less_urgent(
    category: ReportCategory, flags: dict[str, bool]
) -> None:
    order = list(Grade)
    plain = triage(report(category.value, "seen"), received_at=NOW)
    worse = triage(
        report(
            category.value,
            "seen",
            weapons_seen=flags["weapons_seen"],
            casualties=flags["casualties"],
        ),
        received_at=NOW,
    )
    assert order.index(worse.grade) <= order.index(plain.grade)


# --- Overrides and opening hours ---------------------------------------------------------


def test_an_override_needs_a_reason_and_is_recorded() -> None:
    result = triage(report("research", "Odd questions about opening times"), received_at=NOW)
    with pytest.raises(InputError, match="reason"):
        override_grade(result, Grade.priority, reason="  ", by="sgt-1234")
    with pytest.raises(InputError, match="new_grade"):
        override_grade(result, "urgent", reason="x", by="sgt-1234")
    record = override_grade(
        result, "priority", reason="Same man seen at two markets", by="sgt-1234", at=NOW
    )
    assert (record.from_grade, record.to_grade) == (Grade.scheduled, Grade.priority)
    assert record.by == "sgt-1234" and record.at == NOW
    assert record.rules_fired == result.rules
    assert record.triage.grade is Grade.priority and record.triage.overridden
    assert result.grade is Grade.scheduled  # the original is untouched


def test_scenario_venues_are_open_only_within_their_local_hours() -> None:
    venue = Venue.model_validate(
        {
            "id": "winchester-market",
            "name": "Winchester Cathedral Christmas Market",
            "kind": "christmas_market",
            "lat": MARKET.lat,
            "lon": MARKET.lon,
            "opening_hours": {"weekly": {"sat": "10:00-19:00"}},
            "peak_occupancy": 5000,
        }
    )
    saturday = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)  # GMT: local = UTC in December
    assert scenario_venue_open(venue, saturday.replace(hour=12))
    assert not scenario_venue_open(venue, saturday.replace(hour=20))
    assert not scenario_venue_open(venue, saturday.replace(hour=12) + dt.timedelta(days=1))


def test_a_stored_report_is_judged_at_its_received_time() -> None:
    from crowdguard.reports.models import ReportControl

    seen = report("research", "He had a gun", weapons_seen=True, observed_at=NOW)
    fresh = ReportControl.from_create(seen, reference="CG-A", received_at=NOW)
    late = ReportControl.from_create(
        seen, reference="CG-B", received_at=NOW + dt.timedelta(hours=6)
    )
    assert triage(fresh).grade is Grade.immediate
    assert triage(late).grade is Grade.priority
