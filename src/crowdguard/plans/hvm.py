"""Hostile vehicle mitigation (HVM) impact-test ratings.

A rated barrier carries a rating string from its impact test under ISO 22343-1:2023, or
the standards it superseded, PAS 68 (BSI) and IWA 14-1:2013. NPSA recognises only new
ISO 22343-1 tests from 1 March 2024, but PAS 68 and IWA 14-1 products remain acceptable
(``domain.md`` section 5; Secured by Design; NPSA *Hostile Vehicle Mitigation* guidance).

The rating string reads ``method/mass[class]/speed/angle:penetration/debris``::

    V/7500[N3]/48/90:28.1/18.0

vehicle test (``V``), 7,500 kg vehicle of class N3, 48 km/h (30 mph), 90 degree impact,
28.1 m penetration beyond the barrier face, 18.0 m major-debris distance. The method prefix
and the debris distance are optional (``7500[N3]/80/90:2.3/4.0`` has no prefix).
Test speeds are 16/32/48/64/80/96/112 km/h. Foundations (stored next to the rating): ``A``
free-standing, ``Ap`` surface-pinned, ``B`` shallow (< 0.5 m), ``C`` deep (> 0.5 m).

Vehicle classes differ between the standards. PAS 68 writes the European vehicle category,
M1 (car), N1 (van), N1G (pick-up), N2 and N3 (goods vehicles), and certificates print it in
round or square brackets (``V/7500(N3)/48/90:...``). IWA 14-1:2013, and ISO 22343-1:2023,
which superseded it, add a letter for the test-vehicle type, e.g. ``V/7200[N2B]/80/90:0.7``
(tiso-blockers.com's guide to IWA 14-1 ratings) or a 7,200 kg ``N2A``; the letters used are
A-F (N2A, N2B, N3C-N3F). The parser accepts any of these, with either bracket, and gives the
rating back with square brackets. The exact ISO 22343-1 layout is still on the list of
facts to verify (``domain.md`` section 11, item 8); nothing looser than the above is
accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "SPEEDS_KMH",
    "VEHICLE_CLASSES",
    "Foundation",
    "HvmRating",
    "HvmStandard",
    "parse_rating",
]

SPEEDS_KMH: tuple[int, ...] = (16, 32, 48, 64, 80, 96, 112)
"""Impact-test speeds in km/h (10 to 70 mph in 10 mph steps)."""

VEHICLE_CLASSES: tuple[str, ...] = (
    "M1", "N1", "N1G", "N2", "N2A", "N2B", "N3", "N3C", "N3D", "N3E", "N3F",
)  # fmt: skip
"""Test-vehicle classes: M1 car, N1 van, N1G pick-up, N2 and N3 goods vehicles (PAS 68), and
the IWA 14-1 / ISO 22343-1 vehicle types N2A, N2B and N3C-N3F."""

EXPECTED = (
    "expected method/mass[class]/speed/angle:penetration/debris, "
    "e.g. V/7500[N3]/48/90:28.1/18.0, V/7200[N2B]/80/90:0.7 or 7500(N3)/80/90:2.3 "
    f"(class one of {', '.join(VEHICLE_CLASSES)}; speed one of "
    f"{'/'.join(str(s) for s in SPEEDS_KMH)} km/h)"
)

_RATING = re.compile(
    r"""^\s*
    (?:(?P<method>[A-Z]{1,2})/)?            # optional test method, e.g. V
    (?P<mass>\d{3,5})                       # vehicle mass (kg)
    (?:\[(?P<cls>[A-Z]\d[A-Z]?)\]           # and class, in square brackets (IWA 14-1)
      |\((?P<pcls>[A-Z]\d[A-Z]?)\))/         # or round ones (PAS 68 certificates)
    (?P<speed>\d{1,3})/                     # impact speed (km/h)
    (?P<angle>\d{1,2})                      # impact angle (degrees)
    :(?P<pen>\d+(?:\.\d+)?)                 # penetration (m)
    (?:/(?P<debris>\d+(?:\.\d+)?))?         # optional major-debris distance (m)
    \s*$""",
    re.VERBOSE,
)


class HvmStandard(StrEnum):
    """The impact-test standard a rating was obtained under."""

    iso_22343_1 = "ISO 22343-1"
    pas_68 = "PAS 68"
    iwa_14_1 = "IWA 14-1"


class Foundation(StrEnum):
    """Foundation type of a tested barrier (PAS 68 / ISO 22343-1 classification)."""

    A = "A"
    Ap = "Ap"
    B = "B"
    C = "C"


@dataclass(frozen=True, slots=True)
class HvmRating:
    """A parsed impact-test rating; ``str()`` gives the canonical string back."""

    mass_kg: int
    vehicle_class: str
    speed_kmh: int
    angle_deg: int
    penetration_m: float
    debris_m: float | None = None
    method: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.method}/" if self.method else ""
        debris = f"/{_metres(self.debris_m)}" if self.debris_m is not None else ""
        return (
            f"{prefix}{self.mass_kg}[{self.vehicle_class}]/{self.speed_kmh}/"
            f"{self.angle_deg}:{_metres(self.penetration_m)}{debris}"
        )


def _metres(value: float) -> str:
    """Distances as rating strings write them: at least one decimal (``28.1``, ``4.0``)."""
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


def parse_rating(text: str) -> HvmRating:
    """Parse an ISO 22343-1 / PAS 68 / IWA 14-1 rating string.

    Raises ``ValueError`` with a one-line message saying what was expected, so pydantic
    reports it against the field that held the string.

    >>> parse_rating("V/7500[N3]/48/90:28.1/18.0").speed_kmh
    48
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a rating string; {EXPECTED}")
    match = _RATING.match(text)
    if not match:
        raise ValueError(f"{text!r} is not an HVM rating; {EXPECTED}")
    cls = match["cls"] or match["pcls"]
    if cls not in VEHICLE_CLASSES:
        raise ValueError(
            f"{text!r}: vehicle class {cls} is not one of {', '.join(VEHICLE_CLASSES)}"
        )
    speed = int(match["speed"])
    if speed not in SPEEDS_KMH:
        raise ValueError(
            f"{text!r}: impact speed {speed} km/h is not a test speed; expected one of "
            f"{'/'.join(str(s) for s in SPEEDS_KMH)}"
        )
    angle = int(match["angle"])
    if not 0 < angle <= 90:
        raise ValueError(f"{text!r}: impact angle {angle} is not in 1..90 degrees")
    mass = int(match["mass"])
    if mass <= 0:
        raise ValueError(f"{text!r}: vehicle mass must be positive")
    debris = match["debris"]
    return HvmRating(
        mass_kg=mass,
        vehicle_class=cls,
        speed_kmh=speed,
        angle_deg=angle,
        penetration_m=float(match["pen"]),
        debris_m=float(debris) if debris is not None else None,
        method=match["method"],
    )
