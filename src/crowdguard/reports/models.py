"""Public reports of concern: schemas by role (Create / Public / Control).

The fields follow ``domain.md`` section 8 ([DESIGN] "Report fields"), whose categories are
the police Action Counters Terrorism (ACT) "what to report" list (research, gathering
materials, storage, finance, communications, hostile reconnaissance, weapons, online
content; police ACT pages) plus four categories a crowded-place control room needs
(unattended item, suspicious vehicle, attack in progress, non-CT crowd safety). Unattended
items carry the HOT flags (Hidden, Obviously suspicious, not Typical; NaCTSO/NPSA
guidance, cited in ``domain.md`` as [FACT-2nd]).

Roles (the Full Stack FastAPI Template pattern, ``style.md``):

* :class:`ReportCreate`: what a member of the public submits. Unknown fields are errors.
  ``website`` is a honeypot: the public form hides it, so only bots fill it in; any value
  is rejected (:data:`HONEYPOT_FIELD`).
* :class:`ReportPublic`: what the reporter gets back: a reference, the time received and
  the 999 reminder (ACT: "always call 999 in an emergency").
* :class:`ReportControl`: the full record, including precise location and contact, for
  control-room roles only.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ACT_CATEGORIES",
    "EMERGENCY_REMINDER",
    "HONEYPOT_FIELD",
    "MAX_DESCRIPTION",
    "Contact",
    "DuplicateMark",
    "GradeChange",
    "OverridePublic",
    "ReportBoardSummary",
    "ReportCategory",
    "ReportControl",
    "ReportCreate",
    "ReportLocation",
    "ReportPublic",
    "ReportRecord",
    "ReportSubmission",
    "ReportedItem",
    "ReportedPerson",
    "ReportedVehicle",
    "new_reference",
]

MAX_DESCRIPTION = 4000
"""Longest description accepted, in characters."""

HONEYPOT_FIELD = "website"
"""Name of the hidden form field that must stay empty (bots fill it in)."""

EMERGENCY_REMINDER = (
    "If anyone is in immediate danger, or an attack is happening now, call 999. "
    "This form is not monitored as an emergency line."
)
"""The reminder every public response carries (ACT guidance; domain.md section 8)."""

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out by phone


class ReportCategory(StrEnum):
    """What the report is about: the ACT list, then the crowded-place additions."""

    research = "research"
    gathering_materials = "gathering_materials"
    storage = "storage"
    finance = "finance"
    communications = "communications"
    hostile_reconnaissance = "hostile_reconnaissance"
    weapons = "weapons"
    online_content = "online_content"
    unattended_item = "unattended_item"
    suspicious_vehicle = "suspicious_vehicle"
    attack_in_progress = "attack_in_progress"
    crowd_safety_non_ct = "crowd_safety_non_ct"


ACT_CATEGORIES: frozenset[ReportCategory] = frozenset(
    {
        ReportCategory.research,
        ReportCategory.gathering_materials,
        ReportCategory.storage,
        ReportCategory.finance,
        ReportCategory.communications,
        ReportCategory.hostile_reconnaissance,
        ReportCategory.weapons,
        ReportCategory.online_content,
    }
)
"""The police ACT "what to report" categories."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ReportLocation(_Strict):
    """Where the concern was seen: a venue id, a map point, or free text (at least one).

    ``lat`` and ``lon`` come together. ``precision_m`` is the reporter's own estimate of how
    precise the point is (a map tap is rarely better than 20 m).
    """

    venue_id: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)] | None = (
        None
    )
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    text: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    precision_m: Annotated[float, Field(gt=0, le=100_000)] | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> ReportLocation:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together (a map point needs both)")
        for name in ("lat", "lon"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number of degrees")
        if self.venue_id is None and self.lat is None and self.text is None:
            raise ValueError(
                "give at least one of venue_id, a map point (lat and lon) or a text description"
            )
        return self

    @property
    def point(self) -> tuple[float, float] | None:
        """``(lat, lon)`` when a map point was given."""
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)


class ReportedItem(_Strict):
    """An item seen (typically unattended), with the HOT flags.

    HOT: is it **H**idden (deliberately concealed), **O**bviously suspicious (wires,
    batteries, liquids) or not **T**ypical of the place? Any "yes" makes it suspicious.
    """

    description: Annotated[str, Field(min_length=1, max_length=500)]
    hidden: bool = False
    obviously_suspicious: bool = False
    not_typical: bool = False

    @property
    def hot(self) -> bool:
        """True when any HOT flag is set."""
        return self.hidden or self.obviously_suspicious or self.not_typical


class ReportedPerson(_Strict):
    """A person described in the report (the 999 attack-call checklist: number, clothing,
    weapons, direction of travel; gwent.police.uk)."""

    description: Annotated[str, Field(min_length=1, max_length=500)]
    direction_of_travel: Annotated[str, Field(max_length=200)] | None = None


class ReportedVehicle(_Strict):
    """A vehicle described in the report; ``vrm`` is the registration mark if seen."""

    description: Annotated[str, Field(min_length=1, max_length=500)]
    vrm: Annotated[str, Field(pattern=r"^[A-Za-z0-9 ]{2,10}$")] | None = None


class Contact(_Strict):
    """How to call the reporter back. Every field optional: anonymous reports are allowed."""

    name: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] | None = (
        None
    )

    @property
    def reachable(self) -> bool:
        """True when there is a phone number or e-mail address to call back."""
        return bool(self.phone or self.email)


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must include a timezone offset, e.g. 2026-12-05T14:30:00+00:00")
    return value


class ReportCreate(_Strict):
    """A report of concern as submitted by a member of the public."""

    category: ReportCategory
    location: ReportLocation
    observed_at: dt.datetime = Field(description="when it was seen (timezone-aware)")
    description: Annotated[str, Field(min_length=1, max_length=MAX_DESCRIPTION)]
    contact: Contact | None = None
    items: list[ReportedItem] = Field(default_factory=list, max_length=20)
    persons: list[ReportedPerson] = Field(default_factory=list, max_length=20)
    vehicles: list[ReportedVehicle] = Field(default_factory=list, max_length=20)
    weapons_seen: bool = False
    casualties: bool = False
    website: str = Field(
        default="", description="honeypot: hidden on the form, must stay empty", max_length=2000
    )

    @field_validator("observed_at")
    @classmethod
    def _observed_aware(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value, "observed_at")

    @field_validator("website")
    @classmethod
    def _honeypot(cls, value: str) -> str:
        if value:
            raise ValueError("must be empty")
        return value

    @property
    def anonymous(self) -> bool:
        """True when the reporter left no way to call them back."""
        return self.contact is None or not self.contact.reachable


class ReportPublic(_Strict):
    """What the reporter sees after submitting: no location, no contact, no grade."""

    reference: str
    received_at: dt.datetime
    message: str = EMERGENCY_REMINDER


class ReportControl(_Strict):
    """The full report, for control-room roles only (precise location and contact)."""

    reference: str
    received_at: dt.datetime
    channel: Literal["web", "phone", "api", "patrol"] = "web"
    category: ReportCategory
    location: ReportLocation
    observed_at: dt.datetime
    description: str
    contact: Contact | None = None
    anonymous: bool
    items: list[ReportedItem] = Field(default_factory=list)
    persons: list[ReportedPerson] = Field(default_factory=list)
    vehicles: list[ReportedVehicle] = Field(default_factory=list)
    weapons_seen: bool = False
    casualties: bool = False
    status: Literal["new", "triaged", "assigned", "closed"] = "new"
    duplicate_of: str | None = None

    @field_validator("received_at", "observed_at")
    @classmethod
    def _times_aware(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value, "time")

    @classmethod
    def from_create(
        cls,
        report: ReportCreate,
        *,
        reference: str,
        received_at: dt.datetime,
        channel: Literal["web", "phone", "api", "patrol"] = "web",
    ) -> ReportControl:
        """The control-room record of a newly received public report."""
        return cls(
            reference=reference,
            received_at=received_at,
            channel=channel,
            category=report.category,
            location=report.location,
            observed_at=report.observed_at,
            description=report.description,
            contact=report.contact,
            anonymous=report.anonymous,
            items=list(report.items),
            persons=list(report.persons),
            vehicles=list(report.vehicles),
            weapons_seen=report.weapons_seen,
            casualties=report.casualties,
        )

    def public(self) -> ReportPublic:
        """The reporter's view of this record."""
        return ReportPublic(reference=self.reference, received_at=self.received_at)


def new_reference(rng: random.Random | None = None) -> str:
    """A fresh report reference such as ``CG-7KQ4-M2XD``.

    Drawn with the ``secrets`` module (references must not be guessable, since a reporter
    may quote one on the phone); pass ``rng`` (any ``random.Random``) only in tests.
    """
    draw = rng if rng is not None else secrets.SystemRandom()
    chars = "".join(draw.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"CG-{chars[:4]}-{chars[4:]}"


# --- served-system schemas (the reports slice's API) -------------------------------------


class ReportSubmission(ReportCreate):
    """The body of ``POST /api/v1/reports``: a :class:`ReportCreate` whose honeypot may be
    filled in. A filled ``website`` is not an error the bot can learn from: the service
    answers 201 with a reference as usual and stores nothing."""

    @field_validator("website")
    @classmethod
    def _honeypot(cls, value: str) -> str:
        return value

    def as_create(self) -> ReportCreate:
        """The report without the honeypot (valid only when ``website`` is empty)."""
        return ReportCreate.model_validate(self.model_dump(exclude={"website"}))


class OverridePublic(BaseModel):
    """The latest hand change of a report's grade: who, when, from what, to what, and why."""

    by: str
    at: dt.datetime
    from_grade: str
    to_grade: str
    reason: str


class ReportBoardSummary(BaseModel):
    """What the live board shows of a report in its list and on its map (control room
    only: no description, contact or triage detail; ``GET /reports/{reference}`` has them).

    ``lat``/``lon`` are the report's own map point (null when it was located by venue or
    text only); ``where`` is the first 120 characters of the location text; ``duplicates``
    the possible duplicates suggested at intake, ``duplicate_of`` the one an operator
    confirmed; ``override`` the latest hand change of the grade (who, when, why).
    """

    reference: str
    received_at: dt.datetime
    category: str
    grade: str
    code: str
    status: str
    venue_id: str | None
    lat: float | None
    lon: float | None
    where: str
    duplicates: list[str]
    duplicate_of: str | None = None
    override: OverridePublic | None = None


class ReportRecord(BaseModel):
    """A stored report as control-room roles see it: the full record, its triage, the
    current grade (after any override) and possible duplicates. ``override`` is the latest
    grade override (null: never overridden, or overridden before the reason was kept with
    the report; the audit trail has every one)."""

    report: ReportControl
    grade: str
    code: str
    overridden: bool
    override: OverridePublic | None = None
    triage: dict[str, object]
    duplicates: list[str]
    updated_at: dt.datetime


class GradeChange(_Strict):
    """``POST /reports/{ref}/grade``: the new grade and why (a non-empty reason)."""

    grade: Literal["immediate", "priority", "scheduled", "refer", "no_deployment"]
    reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]


class DuplicateMark(_Strict):
    """``POST /reports/{ref}/duplicate-of``: the earlier report this one repeats."""

    of: Annotated[str, Field(pattern=r"^CG-[A-Z0-9]{4}-[A-Z0-9]{4}$")]
