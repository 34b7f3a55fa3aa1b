"""Routers for venues, teams, scenarios and events (thin: validate, call, return Public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import NowDep, SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId, SlugId
from crowdguard.scenario.schema import Scenario, Team, Venue
from crowdguard.users.models import Role
from crowdguard.venues import service
from crowdguard.venues.models import (
    EventCreate,
    EventPublic,
    EventUpdate,
    ScenarioPublic,
    ScenarioSummary,
    TeamPublic,
    TeamUpdate,
    VenueChoice,
    VenuePublic,
    VenueUpdate,
)

__all__ = ["events", "scenarios", "teams", "venues"]

Planner = Annotated[Principal, Depends(require(Role.admin, Role.planner))]
VenueReader = Annotated[
    Principal, Depends(require(Role.admin, Role.planner, Role.control, Role.analyst))
]
TeamReader = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.control))]
EventReader = Annotated[
    Principal,
    Depends(require(Role.admin, Role.planner, Role.control, Role.analyst, Role.organiser)),
]
EventWriter = Annotated[Principal, Depends(require(Role.admin, Role.planner, Role.organiser))]

venues = APIRouter(prefix="/venues", tags=["venues"])
teams = APIRouter(prefix="/teams", tags=["teams"])
scenarios = APIRouter(prefix="/scenarios", tags=["scenarios"])
events = APIRouter(prefix="/events", tags=["events"])


# -- venues ------------------------------------------------------------------------------


@venues.get("", response_model=Page[VenuePublic])
def list_venues(user: VenueReader, session: SessionDep, page: PageDep) -> Page[VenuePublic]:
    """List venues."""
    rows, total = service.list_venues(session=session, limit=page.limit, offset=page.offset)
    return Page(
        items=[service.venue_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@venues.post("", response_model=VenuePublic, status_code=201)
def create_venue(body: Venue, user: Planner, session: SessionDep, now: NowDep) -> VenuePublic:
    """Add a venue (validated like a scenario file's venue)."""
    return service.venue_public(
        service.create_venue(session=session, venue=body, actor=user.username, now=now)
    )


@venues.get("/{venue_id}", response_model=VenuePublic)
def get_venue(venue_id: SlugId, user: VenueReader, session: SessionDep) -> VenuePublic:
    """One venue."""
    return service.venue_public(service.get_venue(session=session, venue_id=venue_id))


@venues.patch("/{venue_id}", response_model=VenuePublic)
def update_venue(
    venue_id: SlugId, body: VenueUpdate, user: Planner, session: SessionDep, now: NowDep
) -> VenuePublic:
    """Change some fields of a venue."""
    row = service.update_venue(
        session=session, venue_id=venue_id, data=body, actor=user.username, now=now
    )
    return service.venue_public(row)


@venues.delete("/{venue_id}", status_code=204)
def delete_venue(venue_id: SlugId, user: Planner, session: SessionDep, now: NowDep) -> None:
    """Delete a venue without events."""
    service.delete_venue(session=session, venue_id=venue_id, actor=user.username, now=now)


# -- teams -------------------------------------------------------------------------------


@teams.get("", response_model=Page[TeamPublic])
def list_teams(user: TeamReader, session: SessionDep, page: PageDep) -> Page[TeamPublic]:
    """List teams."""
    rows, total = service.list_teams(session=session, limit=page.limit, offset=page.offset)
    return Page(
        items=[service.team_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@teams.post("", response_model=TeamPublic, status_code=201)
def create_team(body: Team, user: Planner, session: SessionDep, now: NowDep) -> TeamPublic:
    """Add a team."""
    return service.team_public(
        service.create_team(session=session, team=body, actor=user.username, now=now)
    )


@teams.get("/{callsign}", response_model=TeamPublic)
def get_team(callsign: SlugId, user: TeamReader, session: SessionDep) -> TeamPublic:
    """One team."""
    return service.team_public(service.get_team(session=session, callsign=callsign))


@teams.patch("/{callsign}", response_model=TeamPublic)
def update_team(
    callsign: SlugId, body: TeamUpdate, user: Planner, session: SessionDep, now: NowDep
) -> TeamPublic:
    """Change a team's base, kind or shifts."""
    row = service.update_team(
        session=session, callsign=callsign, data=body, actor=user.username, now=now
    )
    return service.team_public(row)


@teams.delete("/{callsign}", status_code=204)
def delete_team(callsign: SlugId, user: Planner, session: SessionDep, now: NowDep) -> None:
    """Delete a team."""
    service.delete_team(session=session, callsign=callsign, actor=user.username, now=now)


# -- scenarios ---------------------------------------------------------------------------


@scenarios.get("", response_model=Page[ScenarioSummary])
def list_scenarios(user: Planner, session: SessionDep, page: PageDep) -> Page[ScenarioSummary]:
    """List stored scenarios (without bodies)."""
    rows, total = service.list_scenarios(session=session, limit=page.limit, offset=page.offset)
    return Page(
        items=[service.scenario_summary(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@scenarios.post("", response_model=ScenarioPublic, status_code=201)
def create_scenario(
    body: Scenario, user: Planner, session: SessionDep, now: NowDep
) -> ScenarioPublic:
    """Store a scenario (validated exactly as ``crowdguard plan`` validates a file)."""
    return service.scenario_public(
        service.create_scenario(session=session, scenario=body, actor=user.username, now=now)
    )


@scenarios.get("/{scenario_id}", response_model=ScenarioPublic)
def get_scenario(scenario_id: SlugId, user: Planner, session: SessionDep) -> ScenarioPublic:
    """One scenario with its body."""
    return service.scenario_public(service.get_scenario(session=session, scenario_id=scenario_id))


@scenarios.put("/{scenario_id}", response_model=ScenarioPublic)
def replace_scenario(
    scenario_id: SlugId, body: Scenario, user: Planner, session: SessionDep, now: NowDep
) -> ScenarioPublic:
    """Replace a scenario's body (the id in the body must match the path)."""
    row = service.replace_scenario(
        session=session, scenario_id=scenario_id, scenario=body, actor=user.username, now=now
    )
    return service.scenario_public(row)


@scenarios.delete("/{scenario_id}", status_code=204)
def delete_scenario(scenario_id: SlugId, user: Planner, session: SessionDep, now: NowDep) -> None:
    """Delete a scenario (plans keep their snapshots)."""
    service.delete_scenario(session=session, scenario_id=scenario_id, actor=user.username, now=now)


# -- events ------------------------------------------------------------------------------


def _own(user: Principal) -> int | None:
    """Organisers are confined to their own events."""
    return user.id if user.role is Role.organiser else None


@events.get("", response_model=Page[EventPublic])
def list_events(user: EventReader, session: SessionDep, page: PageDep) -> Page[EventPublic]:
    """List events (organisers: only their own)."""
    rows, total = service.list_events(
        session=session, limit=page.limit, offset=page.offset, organiser_id=_own(user)
    )
    return Page(
        items=[service.event_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@events.post("", response_model=EventPublic, status_code=201)
def create_event(
    body: EventCreate, user: EventWriter, session: SessionDep, now: NowDep
) -> EventPublic:
    """Add an event; an organiser always owns the events they create."""
    organiser = user.id if user.role is Role.organiser else body.organiser_id
    row = service.create_event(
        session=session, data=body, organiser_id=organiser, actor=user.username, now=now
    )
    return service.event_public(row)


@events.get("/venue-choices", response_model=Page[VenueChoice])
def list_venue_choices(user: EventWriter, session: SessionDep, page: PageDep) -> Page[VenueChoice]:
    """Venues an event may be held at (id, name, town, kind): what an organiser needs to
    fill in ``venue_id``, without the police's footfall and risk estimates."""
    rows, total = service.list_venues(session=session, limit=page.limit, offset=page.offset)
    choices = []
    for row in rows:
        venue = service.venue_public(row).venue
        choices.append(VenueChoice(id=venue.id, name=venue.name, town=venue.town, kind=venue.kind))
    return Page(items=choices, total=total, limit=page.limit, offset=page.offset)


@events.get("/{event_id}", response_model=EventPublic)
def get_event(event_id: IntId, user: EventReader, session: SessionDep) -> EventPublic:
    """One event (organisers: only their own; others' are 404)."""
    return service.event_public(
        service.get_event(session=session, event_id=event_id, organiser_id=_own(user))
    )


@events.patch("/{event_id}", response_model=EventPublic)
def update_event(
    event_id: IntId, body: EventUpdate, user: EventWriter, session: SessionDep, now: NowDep
) -> EventPublic:
    """Change an event."""
    row = service.update_event(
        session=session,
        event_id=event_id,
        data=body,
        organiser_id=_own(user),
        actor=user.username,
        now=now,
    )
    return service.event_public(row)


@events.delete("/{event_id}", status_code=204)
def delete_event(event_id: IntId, user: EventWriter, session: SessionDep, now: NowDep) -> None:
    """Delete an event."""
    service.delete_event(
        session=session, event_id=event_id, organiser_id=_own(user), actor=user.username, now=now
    )
