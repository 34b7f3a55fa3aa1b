"""Schemas by role for venues, events, scenarios and teams.

Create bodies reuse the scenario model (:mod:`crowdguard.scenario.schema`) so the server
validates exactly what ``crowdguard plan`` validates; unknown fields are rejected.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from crowdguard.scenario.schema import Mitigations, OpeningHours, Scenario, Shift, Team, Venue

__all__ = [
    "EventCreate",
    "EventPublic",
    "EventUpdate",
    "ScenarioPublic",
    "ScenarioSummary",
    "TeamPublic",
    "TeamUpdate",
    "VenueChoice",
    "VenuePublic",
    "VenueUpdate",
]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)]


def _sane_instant(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone offset, e.g. 2026-12-05T14:00:00+00:00")
    if not 2000 <= value.year <= 2100:
        raise ValueError("year must be within 2000..2100")
    return value


Instant = Annotated[dt.datetime, AfterValidator(_sane_instant)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VenueUpdate(_In):
    """Venue fields that may change; the merged venue is validated again as a whole."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    town: str | None = Field(default=None, max_length=200)
    opens: dt.date | None = None
    closes: dt.date | None = None
    opening_hours: OpeningHours | None = None
    peak_occupancy: int | None = Field(default=None, gt=0, le=10_000_000)
    capacity: int | None = Field(default=None, gt=0, le=10_000_000)
    attractiveness: float | None = Field(default=None, gt=0, le=5)
    mitigations: Mitigations | None = None
    source: str | None = Field(default=None, max_length=2000)


class VenuePublic(BaseModel):
    """A stored venue."""

    id: str
    name: str
    venue: Venue
    created_at: dt.datetime
    updated_at: dt.datetime


class VenueChoice(BaseModel):
    """A venue as an event organiser may see it: enough to name it in an event, no more
    (footfall estimates, attractiveness and mitigations stay with police staff)."""

    id: str
    name: str
    town: str
    kind: str


class TeamUpdate(_In):
    """Team fields that may change."""

    base: Slug | None = None
    kind: Literal["foot", "arv"] | None = None
    shifts: list[Shift] | None = Field(default=None, min_length=1, max_length=50)


class TeamPublic(BaseModel):
    """A stored team."""

    callsign: str
    team: Team
    created_at: dt.datetime
    updated_at: dt.datetime


class ScenarioSummary(BaseModel):
    """A stored scenario without its body (for lists)."""

    id: str
    name: str
    start: dt.date
    end: dt.date
    venues: int
    teams: int
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ScenarioPublic(ScenarioSummary):
    """A stored scenario with its validated snapshot."""

    scenario: Scenario


class EventCreate(_In):
    """A new event. ``organiser_id`` is forced to the caller when an organiser creates it."""

    name: str = Field(min_length=1, max_length=200)
    venue_id: Slug
    starts_at: Instant
    ends_at: Instant
    expected_attendance: int = Field(ge=0, le=10_000_000)
    organiser_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _order(self) -> EventCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class EventUpdate(_In):
    """Event fields that may change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    expected_attendance: int | None = Field(default=None, ge=0, le=10_000_000)


class EventPublic(BaseModel):
    """A stored event."""

    id: int
    name: str
    venue_id: str
    organiser_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    expected_attendance: int
    created_at: dt.datetime
