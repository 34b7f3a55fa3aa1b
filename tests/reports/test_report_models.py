"""Report schemas: what the public may send, what they get back, what control sees."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from pydantic import ValidationError

from crowdguard.reports.models import (
    EMERGENCY_REMINDER,
    HONEYPOT_FIELD,
    MAX_DESCRIPTION,
    ReportCategory,
    ReportControl,
    ReportCreate,
    ReportPublic,
    new_reference,
)

SEEN = dt.datetime(2026, 12, 5, 14, 30, tzinfo=dt.UTC)


def payload(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "category": "hostile_reconnaissance",
        "location": {"venue_id": "winchester-cathedral-market"},
        "observed_at": SEEN.isoformat(),
        "description": "Man filming the bollards and the stewards' positions for ten minutes.",
    }
    base.update(changes)
    return base


def test_a_minimal_anonymous_report_is_accepted() -> None:
    report = ReportCreate.model_validate(payload())
    assert report.category is ReportCategory.hostile_reconnaissance
    assert report.anonymous


def test_every_act_category_and_the_four_additions_are_accepted() -> None:
    names = {c.value for c in ReportCategory}
    assert {
        "research",
        "gathering_materials",
        "storage",
        "finance",
        "communications",
        "hostile_reconnaissance",
        "weapons",
        "online_content",
        "unattended_item",
        "suspicious_vehicle",
        "attack_in_progress",
        "crowd_safety_non_ct",
    } == names


@pytest.mark.parametrize(
    "location",
    [{"venue_id": "guildhall"}, {"lat": 51.06, "lon": -1.31}, {"text": "by the ice rink"}],
)
def test_any_one_kind_of_location_is_enough(location: dict[str, object]) -> None:
    assert ReportCreate.model_validate(payload(location=location)).location is not None


def test_a_report_without_any_location_is_rejected_naming_the_choices() -> None:
    with pytest.raises(ValidationError, match="venue_id, a map point"):
        ReportCreate.model_validate(payload(location={}))


def test_latitude_without_longitude_is_rejected() -> None:
    with pytest.raises(ValidationError, match="lat and lon must be given together"):
        ReportCreate.model_validate(payload(location={"lat": 51.06}))


def test_description_is_bounded() -> None:
    ReportCreate.model_validate(payload(description="x" * MAX_DESCRIPTION))
    with pytest.raises(ValidationError, match="description"):
        ReportCreate.model_validate(payload(description="x" * (MAX_DESCRIPTION + 1)))
    with pytest.raises(ValidationError, match="description"):
        ReportCreate.model_validate(payload(description="   "))


def test_the_honeypot_must_stay_empty() -> None:
    assert HONEYPOT_FIELD == "website"
    with pytest.raises(ValidationError, match="website"):
        ReportCreate.model_validate(payload(website="http://spam.example"))


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="colour"):
        ReportCreate.model_validate(payload(colour="red"))


def test_a_time_without_timezone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ReportCreate.model_validate(payload(observed_at="2026-12-05T14:30:00"))


def test_contact_with_a_phone_number_is_not_anonymous() -> None:
    named = ReportCreate.model_validate(payload(contact={"phone": "+44 7700 900123"}))
    name_only = ReportCreate.model_validate(payload(contact={"name": "Sam"}))
    assert not named.anonymous
    assert name_only.anonymous  # no way to call back


def test_the_public_view_hides_location_and_contact_and_reminds_of_999() -> None:
    report = ReportCreate.model_validate(
        payload(location={"lat": 51.06, "lon": -1.31}, contact={"email": "sam@example.org"})
    )
    control = ReportControl.from_create(report, reference="CG-AAAA-BBBB", received_at=SEEN)
    public = control.public()
    assert isinstance(public, ReportPublic)
    dumped = public.model_dump()
    assert set(dumped) == {"reference", "received_at", "message"}
    assert "999" in public.message and public.message == EMERGENCY_REMINDER
    assert control.contact is not None and control.contact.email == "sam@example.org"
    assert control.location.point == (51.06, -1.31)
    assert not control.anonymous


def test_references_are_readable_and_distinct() -> None:
    refs = {new_reference(random.Random(seed)) for seed in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert ref.startswith("CG-") and len(ref) == 12
        assert not set(ref[3:].replace("-", "")) & set("01OI")
    assert new_reference().startswith("CG-")  # secrets-based draw


def test_people_and_vehicles_are_carried_to_the_control_view() -> None:
    report = ReportCreate.model_validate(
        payload(
            category="suspicious_vehicle",
            vehicles=[{"description": "white Transit van", "vrm": "HX21 ABC"}],
            persons=[{"description": "man, grey hoodie", "direction_of_travel": "north"}],
        )
    )
    control = ReportControl.from_create(report, reference="CG-AAAA-BBBB", received_at=SEEN)
    assert control.vehicles[0].vrm == "HX21 ABC"
    assert control.persons[0].direction_of_travel == "north"
    with pytest.raises(ValidationError, match="vrm"):
        ReportCreate.model_validate(payload(vehicles=[{"description": "van", "vrm": "!!"}]))
