"""HVM rating strings (ISO 22343-1 / PAS 68 / IWA 14-1; domain.md section 5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plans_testdata import REVIEW_DAY, plan_from

from crowdguard.errors import ReviewError
from crowdguard.plans import review
from crowdguard.plans.hvm import SPEEDS_KMH, VEHICLE_CLASSES, parse_rating


def test_domain_examples_parse() -> None:
    full = parse_rating("V/7500[N3]/48/90:28.1/18.0")
    assert (full.method, full.mass_kg, full.vehicle_class) == ("V", 7500, "N3")
    assert (full.speed_kmh, full.angle_deg, full.penetration_m, full.debris_m) == (
        48, 90, 28.1, 18.0
    )  # fmt: skip
    bare = parse_rating("7500[N3]/80/90:2.3/4.0")
    assert bare.method is None
    assert (bare.speed_kmh, bare.penetration_m, bare.debris_m) == (80, 2.3, 4.0)
    assert parse_rating("1500[M1]/32/90:0.0").debris_m is None
    assert str(full) == "V/7500[N3]/48/90:28.1/18.0"
    assert str(bare) == "7500[N3]/80/90:2.3/4.0"


@pytest.mark.parametrize(
    ("text", "cls", "canonical"),
    [
        # IWA 14-1:2013 rating as printed on a certificate (tiso-blockers.com's guide).
        ("V/7200[N2B]/80/90:0.7", "N2B", "V/7200[N2B]/80/90:0.7"),
        # ISO 22343-1 / IWA 14-1 vehicle types: 7,200 kg N2A and N3C, 30 t N3E.
        ("V/7200[N2A]/48/90:1.5/12.0", "N2A", "V/7200[N2A]/48/90:1.5/12.0"),
        ("7200[N3C]/64/90:3.2", "N3C", "7200[N3C]/64/90:3.2"),
        ("V/30000[N3E]/48/90:0.0", "N3E", "V/30000[N3E]/48/90:0.0"),
        ("V/2500[N1G]/48/90:4.0", "N1G", "V/2500[N1G]/48/90:4.0"),
        # PAS 68 certificates often print the class in round brackets.
        ("V/7500(N3)/48/90:1.5/12.0", "N3", "V/7500[N3]/48/90:1.5/12.0"),
    ],
)
def test_iwa_14_1_iso_and_pas_68_certificate_strings_parse(
    text: str, cls: str, canonical: str
) -> None:
    rating = parse_rating(text)
    assert rating.vehicle_class == cls
    assert str(rating) == canonical


@pytest.mark.parametrize("text", ["7500(N3]/48/90:1.0", "7500[N3)/48/90:1.0", "7500[N3CC]/48/90:1"])
def test_mismatched_brackets_and_long_classes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an HVM rating"):
        parse_rating(text)


def test_an_iwa_rated_layout_meeting_its_vda_is_adequate_hvm() -> None:
    patch = {
        "physical": {
            "vehicle_dynamics_assessment": "VDA by the CTSA, 2026",
            "required_mass_kg": 7200,
            "required_speed_kmh": 48,
            "hvm_products": [
                {
                    "name": "Shallow-mount bollard",
                    "rating": "V/7200[N3C]/48/90:1.5",
                    "standard": "IWA 14-1",
                    "foundation": "B",
                },
                {
                    "name": "Temporary barrier",
                    "rating": "V/7500(N3)/48/90:2.0/9.0",
                    "standard": "PAS 68",
                    "foundation": "A",
                },
            ],
            "max_gap_m": 1.2,
            "glazing_assessed": True,
        }
    }
    plan = plan_from(patch)
    assert [str(p.rating) for p in plan.physical.hvm_products] == [  # type: ignore[union-attr]
        "V/7200[N3C]/48/90:1.5",
        "V/7500[N3]/48/90:2.0/9.0",
    ]
    result = review(plan, on=REVIEW_DAY)
    assert {i.rule: i.score for i in result.items}["M3"] == 2


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("V/7500[N3]/50/90:28.1/18.0", "test speed"),
        ("7500[N4]/48/90:1.0", "vehicle class"),
        ("7500/48/90:1.0", "not an HVM rating"),
        ("7500[N3]/48/0:1.0", "angle"),
        ("7500[N3]/48/95:1.0", "angle"),
        ("PAS 68 rated", "not an HVM rating"),
        ("", "not an HVM rating"),
    ],
)
def test_invalid_strings_say_what_is_expected(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_rating(text)


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from([None, "V"]),
    mass=st.integers(100, 65_000),
    cls=st.sampled_from(VEHICLE_CLASSES),
    speed=st.sampled_from(SPEEDS_KMH),
    angle=st.integers(1, 90),
    pen_tenths=st.integers(0, 999),
    debris_tenths=st.none() | st.integers(0, 999),
)
def test_any_well_formed_rating_round_trips(
    method: str | None,
    mass: int,
    cls: str,
    speed: int,
    angle: int,
    pen_tenths: int,
    debris_tenths: int | None,
) -> None:
    prefix = f"{method}/" if method else ""
    debris = f"/{debris_tenths // 10}.{debris_tenths % 10}" if debris_tenths is not None else ""
    text = f"{prefix}{mass}[{cls}]/{speed}/{angle}:{pen_tenths // 10}.{pen_tenths % 10}{debris}"
    rating = parse_rating(text)
    assert (rating.method, rating.mass_kg, rating.vehicle_class) == (method, mass, cls)
    assert (rating.speed_kmh, rating.angle_deg) == (speed, angle)
    assert rating.penetration_m == pen_tenths / 10
    assert rating.debris_m == (None if debris_tenths is None else debris_tenths / 10)
    assert str(rating) == text


def product(rating: str, **extra: str) -> dict[str, object]:
    return {
        "physical": {
            "hvm_products": [
                {"name": "b", "rating": rating, "standard": "PAS 68", "foundation": "A", **extra}
            ]
        }
    }


def test_plan_stores_standard_and_foundation() -> None:
    plan = plan_from(product("V/7500[N3]/48/90:28.1/18.0", foundation="Ap"))
    assert plan.physical is not None
    item = plan.physical.hvm_products[0]
    assert (item.standard.value, item.foundation.value) == ("PAS 68", "Ap")
    assert plan.model_dump(mode="json")["physical"]["hvm_products"][0]["rating"] == (
        "V/7500[N3]/48/90:28.1/18.0"
    )


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (product("7500[N3]/50/90:1.0"), "physical.hvm_products[0].rating"),
        (product("7500[N3]/48/90:1.0", foundation="D"), "physical.hvm_products[0].foundation"),
        (product("7500[N3]/48/90:1.0", standard="BS 1"), "physical.hvm_products[0].standard"),
    ],
)
def test_invalid_hvm_fields_are_review_errors_naming_the_field(
    patch: dict[str, object], field: str
) -> None:
    with pytest.raises(ReviewError, match=field.replace("[", r"\[").replace("]", r"\]")):
        plan_from(patch)
