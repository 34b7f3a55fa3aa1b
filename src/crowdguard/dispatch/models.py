"""Dispatch schemas by role (control room and admins only): units, tasks, recommendations,
manual state changes and the rest-of-day re-plan."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crowdguard.patrols.roster import DayRoster

__all__ = [
    "MANUAL_STATES",
    "AssignRequest",
    "AssignResult",
    "DispatchPlaces",
    "IncidentLocation",
    "MissedPatrolPublic",
    "PlacePublic",
    "RecommendRequest",
    "RecommendResult",
    "RecommendationPublic",
    "ReplanRequest",
    "ReplanResult",
    "ReplanStartPublic",
    "SlotChangePublic",
    "TargetChangePublic",
    "TaskClose",
    "TaskCloseResult",
    "TaskCreate",
    "TaskDetail",
    "TaskPublic",
    "TimelineEventPublic",
    "UnitPosition",
    "UnitPublic",
    "UnitStateChange",
]

ManualState = Literal["en_route", "on_scene", "committed", "available", "off_duty"]
MANUAL_STATES: tuple[str, ...] = get_args(ManualState)
"""The states a unit may be moved to by hand (``POST /dispatch/units/{callsign}/state``),
in the order a job goes: ``assigned`` is reached only by assigning."""

Callsign = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)]
Reference = Annotated[str, Field(pattern=r"^CG-[A-Z0-9]{4}-[A-Z0-9]{4}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentLocation(_In):
    """A point in degrees (WGS84)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class RecommendRequest(_In):
    """Where to send someone: a ``location``, a stored ``report`` or a ``task`` (exactly one;
    a task is ranked from its location)."""

    location: IncidentLocation | None = None
    report: Reference | None = None
    task: int | None = Field(default=None, ge=1, le=2**31 - 1)
    k: int = Field(default=3, ge=1, le=20, description="how many units to rank")
    require_armed: bool = True
    on_scene_minutes: float = Field(default=30.0, gt=0, le=720, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_target(self) -> RecommendRequest:
        if sum(x is not None for x in (self.location, self.report, self.task)) != 1:
            raise ValueError("give exactly one of location, report or task")
        return self


class MissedPatrolPublic(BaseModel):
    """Rostered patrol the unit would miss."""

    venue: str
    start: dt.datetime
    end: dt.datetime
    minutes: float


class RecommendationPublic(BaseModel):
    """One ranked unit: arrival estimate, where it is now and the patrol cover it costs."""

    unit: str
    kind: str = Field(description="the unit's kind of team (foot, arv, ...)")
    travel_multiplier: float = Field(
        description="its kind's factor on the travel model's minutes (patrol.team_kinds)"
    )
    eta_minutes: float
    position: str
    busy_until: dt.datetime
    return_minutes: float
    missed: list[MissedPatrolPublic]
    missed_minutes: float


class RecommendResult(BaseModel):
    """The ranking, fastest first, and what it was computed from."""

    location: IncidentLocation
    at: dt.datetime
    roster_date: dt.date
    roster_plan_id: int | None
    scenario_id: str
    travel_model: str
    recommendations: list[RecommendationPublic]
    arvs_offered: bool = Field(
        description="ARVs are among the units ranked: false for a report without APP grounds "
        "for an armed response (a HOT item or casualties alone)"
    )
    firearms_grounds: list[str] = Field(
        description="the report's triage rules giving grounds for an armed response"
    )
    authority: str = Field(
        description="who must authorise armed deployment, and why ARVs are or are not offered"
    )


class AssignRequest(_In):
    """Send ``unit`` to a stored ``report`` (a task is opened for it) or an open ``task``."""

    unit: Callsign
    report: Reference | None = None
    task: int | None = Field(default=None, ge=1, le=2**31 - 1)
    en_route: bool = Field(default=True, description="the unit moves as soon as it is sent")

    @model_validator(mode="after")
    def _one_target(self) -> AssignRequest:
        if (self.report is None) == (self.task is None):
            raise ValueError("give exactly one of report or task")
        return self


class UnitPosition(BaseModel):
    """Where today's roster puts a unit now, or its staging base when it has no roster.

    ``kind``: ``patrol`` (at the venue ``place_id``), ``transit`` (on the way from
    ``from_place_id`` to ``place_id``; ``lat``/``lon`` are the straight-line point by the
    share of the journey done, for drawing only), ``base`` (no roster today, or a base
    segment) or ``off_shift`` (rostered today but not now: at its base). ``until``: when the
    roster next moves it (None: not again today), so a client knows when to ask again.
    """

    kind: Literal["patrol", "transit", "base", "off_shift"]
    place_id: str
    from_place_id: str | None = None
    lat: float
    lon: float
    until: dt.datetime | None = None


class UnitPublic(BaseModel):
    """A unit and its current state.

    ``next_states``: the states ``POST /dispatch/units/{callsign}/state`` accepts from this
    one (the state machine's table, less ``assigned``, which only an assignment reaches).
    ``position``: where today's roster puts the unit now; given by ``GET /dispatch/units``
    (an audited roster read), null in the answers and events of state changes (a state
    change does not move the roster) and when no scenario places the unit.
    """

    callsign: str
    state: str
    armed: bool
    kind: str
    task_id: int | None
    updated_at: dt.datetime
    next_states: list[str] = Field(default_factory=list)
    position: UnitPosition | None = None


class PlacePublic(BaseModel):
    """A named point on the control-room map."""

    id: str
    name: str
    lat: float
    lon: float


class DispatchPlaces(BaseModel):
    """``GET /dispatch/places``: what the control-room map draws besides reports and units:
    the stored venues, the staging bases of the scenario in use, and each unit's base (bases
    are operationally sensitive: control room and admins only)."""

    venues: list[PlacePublic]
    bases: list[PlacePublic]
    unit_bases: dict[str, str]
    scenario_id: str | None


class TaskCreate(_In):
    """``POST /dispatch/tasks``: an incident the control room takes directly (a 999 call),
    with no public report: where it is and what it is."""

    location: IncidentLocation
    description: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class TaskPublic(BaseModel):
    """A task (incident needing attendance): raised from a public report (``report_ref``)
    or opened by the control room from a call (``report_ref`` null, ``description`` and
    ``opened_by`` given)."""

    id: int
    report_ref: str | None
    state: str
    unit_ids: list[str]
    lat: float | None
    lon: float | None
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str | None = None
    opened_by: str | None = None


class TimelineEventPublic(BaseModel):
    """One state change."""

    at: dt.datetime
    kind: str
    id: str
    from_state: str
    to_state: str
    cause: str


class AssignResult(BaseModel):
    """The unit and task after the change, and every transition it made."""

    unit: UnitPublic
    task: TaskPublic | None
    events: list[TimelineEventPublic]


class UnitStateChange(_In):
    """``POST /dispatch/units/{callsign}/state``: move a unit by hand.

    ``assigned`` is not here: a unit is assigned to something with ``POST /dispatch/assign``.
    """

    state: ManualState
    note: Annotated[str, Field(max_length=200)] = ""


class TaskClose(_In):
    """``POST /dispatch/tasks/{id}/close``: the outcome (audited); every unit on it is freed."""

    outcome: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class TaskCloseResult(BaseModel):
    """The closed task, the units it freed and every transition made."""

    task: TaskPublic
    units: list[UnitPublic]
    events: list[TimelineEventPublic]


class TaskDetail(BaseModel):
    """A task and its state changes, oldest first."""

    task: TaskPublic
    timeline: list[TimelineEventPublic]


class ReplanRequest(_In):
    """``POST /dispatch/units/{callsign}/replan``.

    ``back_at``: when the team leaves the incident, free to patrol again (omit: not back
    today); it rejoins from the incident: ``location``, else the location of the task the
    unit is on. ``seed``: draw the new roster reproducibly (omit: drawn with ``secrets``).
    """

    back_at: dt.datetime | None = None
    location: IncidentLocation | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    @field_validator("back_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("must include a timezone offset, e.g. 2026-12-05T15:30:00+00:00")
        if value is not None and not dt.datetime(2000, 1, 2, tzinfo=dt.UTC) <= value <= dt.datetime(
            9998, 12, 31, tzinfo=dt.UTC
        ):
            raise ValueError("must be a date-time between the years 2000 and 9998")
        return value


class SlotChangePublic(BaseModel):
    """One remaining slot: teams on duty and the slot game's value before and after."""

    start: dt.datetime
    end: dt.datetime
    teams_before: list[str]
    teams_after: list[str]
    attacker_utility_before: float
    attacker_utility_after: float
    defender_utility_before: float
    defender_utility_after: float


class TargetChangePublic(BaseModel):
    """One remaining venue-slot's coverage with and without the team."""

    venue: str
    start: dt.datetime
    end: dt.datetime
    coverage_before: float
    coverage_after: float


class ReplanStartPublic(BaseModel):
    """Where the re-plan starts a team: ``place`` (a venue, a base, or ``incident``), free
    to move from ``ready``; ``how`` says why (patrolling since, in transit, at base...)."""

    team: str
    place: str
    ready: dt.datetime
    how: str


class ReplanResult(BaseModel):
    """The coverage gap a team leaves and the rest of the day re-solved without it.

    ``roster`` is the day's rosters (:class:`crowdguard.patrols.roster.DayRoster`, the
    ``rosters/YYYY-MM-DD.json`` contract) for what is left of the day
    (secret: control room and admins only, like every roster). ``placement`` is
    ``patrol_graph`` (routes teams can drive from where they are, back at base by their
    shift end) or ``free`` (each slot on its own, no travel: only as a fallback, whose
    reason is in ``fallback``). ``starts``: where each team of the new plan starts;
    ``notes``: teams left out and why.
    """

    unit: str
    at: dt.datetime
    day: dt.date
    back_at: dt.datetime | None
    roster_plan_id: int | None
    scenario_id: str
    method: str
    placement: Literal["patrol_graph", "free"]
    fallback: str | None
    travel_model: str
    starts: list[ReplanStartPublic]
    notes: list[str]
    gap: list[MissedPatrolPublic]
    gap_minutes: float
    worst_attacker_utility_before: float | None
    worst_attacker_utility_after: float | None
    slots: list[SlotChangePublic]
    targets: list[TargetChangePublic]
    roster: DayRoster
    roster_drawn: str = Field(
        default="",
        description="how the roster was drawn: from joint schedules, so every venue-slot is "
        "protected with exactly the stated coverage, or team by team (then the stated "
        "protection is an upper bound on what the roster delivers)",
    )
