"""Venue, event, scenario and team records: the only code touching their rows.

Every write appends an audit row in the same transaction (see :mod:`crowdguard.audit`).
Bodies are validated with the scenario model, exactly as the CLI validates scenario files.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.errors import InputError
from crowdguard.scenario.schema import Scenario, Team, Venue
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.venues.models import (
    EventCreate,
    EventPublic,
    EventUpdate,
    ScenarioPublic,
    ScenarioSummary,
    TeamPublic,
    TeamUpdate,
    VenuePublic,
    VenueUpdate,
)
from crowdguard.venues.tables import EventRow, ScenarioRow, TeamRow, VenueRow

M = TypeVar("M", Venue, Team)

__all__ = [
    "create_event",
    "create_scenario",
    "create_team",
    "create_venue",
    "delete_event",
    "delete_scenario",
    "delete_team",
    "delete_venue",
    "event_public",
    "events_at",
    "get_event",
    "get_scenario",
    "get_team",
    "get_venue",
    "list_events",
    "list_scenarios",
    "list_teams",
    "list_venues",
    "load_scenario_records",
    "put_scenario_records",
    "replace_scenario",
    "scenario_public",
    "scenario_summary",
    "team_public",
    "update_event",
    "update_team",
    "update_venue",
    "venue_public",
]


def _revalidate(model: type[M], data: dict[str, Any], label: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or label
        raise InputError(f"{label}.{where}: {first['msg']}") from None


def _page(
    session: Session, stmt: Any, count: Any, limit: int, offset: int
) -> tuple[list[Any], int]:
    total = session.scalar(count) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset)).all()), total


# -- venues ------------------------------------------------------------------------------


def venue_public(row: VenueRow) -> VenuePublic:
    """Public schema of a venue row."""
    return VenuePublic(
        id=row.id,
        name=row.name,
        venue=Venue.model_validate(row.data),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_venue(
    *, session: Session, venue: Venue, actor: str | None, now: dt.datetime
) -> VenueRow:
    """Store a new venue (id unique)."""
    require_shipped_plans([venue], field="venue")
    if session.get(VenueRow, venue.id) is not None:
        raise ConflictError(f"id: venue {venue.id!r} already exists")
    row = VenueRow(
        id=venue.id,
        name=venue.name,
        data=venue.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="venue.create",
        entity="venue",
        entity_id=row.id,
    )
    return row


def get_venue(*, session: Session, venue_id: str) -> VenueRow:
    """The venue with this id, or :class:`NotFoundError`."""
    row = session.get(VenueRow, venue_id)
    if row is None:
        raise NotFoundError(f"venue_id: no venue {venue_id!r}")
    return row


def list_venues(*, session: Session, limit: int, offset: int) -> tuple[list[VenueRow], int]:
    """One page of venues by id, and the total."""
    return _page(
        session,
        select(VenueRow).order_by(VenueRow.id),
        select(func.count()).select_from(VenueRow),
        limit,
        offset,
    )


def update_venue(
    *, session: Session, venue_id: str, data: VenueUpdate, actor: str | None, now: dt.datetime
) -> VenueRow:
    """Apply a partial update and validate the merged venue."""
    row = get_venue(session=session, venue_id=venue_id)
    changes = data.model_dump(mode="json", exclude_unset=True)
    merged = _revalidate(Venue, {**row.data, **changes}, "venue")
    require_shipped_plans([merged], field="venue")
    row.data = merged.model_dump(mode="json")
    row.name = merged.name
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="venue.update",
        entity="venue",
        entity_id=row.id,
        detail={"fields": sorted(changes)},
    )
    return row


def delete_venue(*, session: Session, venue_id: str, actor: str | None, now: dt.datetime) -> None:
    """Remove a venue that no event refers to."""
    row = get_venue(session=session, venue_id=venue_id)
    if (
        session.scalar(select(EventRow.id).where(EventRow.venue_id == venue_id).limit(1))
        is not None
    ):
        raise ConflictError(f"venue_id: venue {venue_id!r} still has events; delete them first")
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="venue.delete",
        entity="venue",
        entity_id=row.id,
    )
    session.delete(row)


# -- teams -------------------------------------------------------------------------------


def team_public(row: TeamRow) -> TeamPublic:
    """Public schema of a team row."""
    return TeamPublic(
        callsign=row.callsign,
        team=Team.model_validate(row.data),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_team(*, session: Session, team: Team, actor: str | None, now: dt.datetime) -> TeamRow:
    """Store a new team (callsign unique)."""
    if session.get(TeamRow, team.callsign) is not None:
        raise ConflictError(f"callsign: team {team.callsign!r} already exists")
    row = TeamRow(
        callsign=team.callsign, data=team.model_dump(mode="json"), created_at=now, updated_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="team.create",
        entity="team",
        entity_id=row.callsign,
    )
    return row


def get_team(*, session: Session, callsign: str) -> TeamRow:
    """The team with this callsign, or :class:`NotFoundError`."""
    row = session.get(TeamRow, callsign)
    if row is None:
        raise NotFoundError(f"callsign: no team {callsign!r}")
    return row


def list_teams(*, session: Session, limit: int, offset: int) -> tuple[list[TeamRow], int]:
    """One page of teams by callsign, and the total."""
    return _page(
        session,
        select(TeamRow).order_by(TeamRow.callsign),
        select(func.count()).select_from(TeamRow),
        limit,
        offset,
    )


def update_team(
    *, session: Session, callsign: str, data: TeamUpdate, actor: str | None, now: dt.datetime
) -> TeamRow:
    """Apply a partial update and validate the merged team."""
    row = get_team(session=session, callsign=callsign)
    changes = data.model_dump(mode="json", exclude_unset=True)
    merged = _revalidate(Team, {**row.data, **changes}, "team")
    row.data = merged.model_dump(mode="json")
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="team.update",
        entity="team",
        entity_id=row.callsign,
        detail={"fields": sorted(changes)},
    )
    return row


def delete_team(*, session: Session, callsign: str, actor: str | None, now: dt.datetime) -> None:
    """Remove a team record (rosters already issued keep their copy)."""
    row = get_team(session=session, callsign=callsign)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="team.delete",
        entity="team",
        entity_id=row.callsign,
    )
    session.delete(row)


# -- scenarios ---------------------------------------------------------------------------


def scenario_summary(row: ScenarioRow) -> ScenarioSummary:
    """List view of a scenario row."""
    snap = row.snapshot
    return ScenarioSummary(
        id=row.id,
        name=row.name,
        start=dt.date.fromisoformat(snap["start"]),
        end=dt.date.fromisoformat(snap["end"]),
        venues=len(snap.get("venues", [])),
        teams=len(snap.get("teams", [])),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def scenario_public(row: ScenarioRow) -> ScenarioPublic:
    """Full view of a scenario row (validated snapshot included)."""
    return ScenarioPublic(
        **scenario_summary(row).model_dump(), scenario=Scenario.model_validate(row.snapshot)
    )


@functools.cache
def _shipped_plan_venues() -> dict[str, str | None]:
    """``{name: venue id}`` of the security plans shipped in ``crowdguard/plans/demo``."""
    from crowdguard.plans import demo_plans, load_plan

    found: dict[str, str | None] = {}
    for path in demo_plans():
        plan = load_plan(path)
        found[path.stem] = plan.venue.id if plan.venue is not None else None
    return found


def require_shipped_plans(venues: Iterable[Venue], *, field: str = "venues") -> None:
    """Refuse security-plan links the CLI would refuse, and any that name a file.

    Over the API a venue may link only a plan shipped with CrowdGuard (``demo:<name>``):
    the server never reads a client's path, and an organiser's own plan is submitted as
    data to ``/api/v1/security-plans``. Like ``crowdguard plan`` (which checks a linked
    plan exists, parses and is for the same venue), the shipped plan must exist and name
    the venue it is linked to, so a stored scenario never fails only when a plan job runs.
    """
    for index, venue in enumerate(venues):
        link = venue.security_plan
        if link is None:
            continue
        where = f"{field}[{index}].security_plan"
        if not link.startswith("demo:"):
            raise InputError(
                f"{where}: {link!r} names a file; over the API a venue "
                "may link only a shipped plan (demo:<name>); submit the organiser's plan to "
                "/api/v1/security-plans instead"
            )
        shipped = _shipped_plan_venues()
        name = link.removeprefix("demo:").strip()
        if name not in shipped:
            names = ", ".join(f"demo:{n}" for n in sorted(shipped)) or "none"
            raise InputError(f"{where}: {link!r} is not a shipped plan; expected one of {names}")
        if shipped[name] != venue.id:
            raise InputError(
                f"{where}: plan {link!r} is for venue {shipped[name]!r}, not {venue.id!r}; "
                "link the right plan or correct the venue id"
            )


def create_scenario(
    *, session: Session, scenario: Scenario, actor: str | None, now: dt.datetime
) -> ScenarioRow:
    """Store a validated scenario snapshot (id unique)."""
    require_shipped_plans(scenario.venues)
    if session.get(ScenarioRow, scenario.id) is not None:
        raise ConflictError(f"id: scenario {scenario.id!r} already exists; PUT to replace it")
    row = ScenarioRow(
        id=scenario.id,
        name=scenario.name,
        snapshot=scenario.model_dump(mode="json"),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="scenario.create",
        entity="scenario",
        entity_id=row.id,
    )
    return row


def get_scenario(*, session: Session, scenario_id: str) -> ScenarioRow:
    """The scenario with this id, or :class:`NotFoundError`."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise NotFoundError(f"scenario_id: no scenario {scenario_id!r}")
    return row


def list_scenarios(*, session: Session, limit: int, offset: int) -> tuple[list[ScenarioRow], int]:
    """One page of scenarios by id, and the total."""
    return _page(
        session,
        select(ScenarioRow).order_by(ScenarioRow.id),
        select(func.count()).select_from(ScenarioRow),
        limit,
        offset,
    )


def replace_scenario(
    *, session: Session, scenario_id: str, scenario: Scenario, actor: str | None, now: dt.datetime
) -> ScenarioRow:
    """Replace a stored scenario's snapshot (plans keep their own copies)."""
    if scenario.id != scenario_id:
        raise InputError(f"id: body id {scenario.id!r} differs from the path's {scenario_id!r}")
    require_shipped_plans(scenario.venues)
    row = get_scenario(session=session, scenario_id=scenario_id)
    row.snapshot = scenario.model_dump(mode="json")
    row.name = scenario.name
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="scenario.update",
        entity="scenario",
        entity_id=row.id,
    )
    return row


def delete_scenario(
    *, session: Session, scenario_id: str, actor: str | None, now: dt.datetime
) -> None:
    """Remove a stored scenario (plans made from it keep their snapshots)."""
    row = get_scenario(session=session, scenario_id=scenario_id)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="scenario.delete",
        entity="scenario",
        entity_id=row.id,
    )
    session.delete(row)


def load_scenario_records(
    *, session: Session, scenario: Scenario, actor: str | None, now: dt.datetime
) -> int:
    """Store a scenario with its venues and teams (skipping ids already present).

    Used to seed the demo data on first start; returns the number of records added.
    """
    added = 0
    if session.get(ScenarioRow, scenario.id) is None:
        create_scenario(session=session, scenario=scenario, actor=actor, now=now)
        added += 1
    for venue in scenario.venues:
        if session.get(VenueRow, venue.id) is None:
            create_venue(session=session, venue=venue, actor=actor, now=now)
            added += 1
    for team in scenario.teams:
        if session.get(TeamRow, team.callsign) is None:
            create_team(session=session, team=team, actor=actor, now=now)
            added += 1
    return added


def put_scenario_records(
    *, session: Session, scenario: Scenario, actor: str | None, now: dt.datetime, replace: bool
) -> dict[str, int]:
    """Store a force's scenario with its venues and teams, all or nothing.

    What ``crowdguard scenario load`` does. Records that already exist (the scenario by id,
    venues by id, teams by callsign) are a :class:`ConflictError` naming them, unless
    ``replace``: then each is overwritten whole with the file's version (an audited update).
    Returns how many records were ``created`` and ``replaced``.
    """
    require_shipped_plans(scenario.venues)
    existing_venues = [v.id for v in scenario.venues if session.get(VenueRow, v.id) is not None]
    existing_teams = [
        t.callsign for t in scenario.teams if session.get(TeamRow, t.callsign) is not None
    ]
    scenario_row = session.get(ScenarioRow, scenario.id)
    if not replace and (scenario_row is not None or existing_venues or existing_teams):
        found = [f"scenario {scenario.id!r}"] if scenario_row is not None else []
        if existing_venues:
            found.append(f"venues {', '.join(existing_venues)}")
        if existing_teams:
            found.append(f"teams {', '.join(existing_teams)}")
        raise ConflictError(
            f"already in the store: {'; '.join(found)}; load with --replace to overwrite "
            "them with this file's version"
        )
    counts = {"created": 0, "replaced": 0}
    if scenario_row is None:
        create_scenario(session=session, scenario=scenario, actor=actor, now=now)
        counts["created"] += 1
    else:
        replace_scenario(
            session=session, scenario_id=scenario.id, scenario=scenario, actor=actor, now=now
        )
        counts["replaced"] += 1
    for venue in scenario.venues:
        venue_row = session.get(VenueRow, venue.id)
        if venue_row is None:
            create_venue(session=session, venue=venue, actor=actor, now=now)
            counts["created"] += 1
            continue
        venue_row.data = venue.model_dump(mode="json")
        venue_row.name = venue.name
        venue_row.updated_at = now
        audit.record(
            session=session, at=now, actor=actor, action="venue.update", entity="venue",
            entity_id=venue.id, detail={"fields": ["*"], "from": "scenario load"},
        )  # fmt: skip
        counts["replaced"] += 1
    for team in scenario.teams:
        team_row = session.get(TeamRow, team.callsign)
        if team_row is None:
            create_team(session=session, team=team, actor=actor, now=now)
            counts["created"] += 1
            continue
        team_row.data = team.model_dump(mode="json")
        team_row.updated_at = now
        audit.record(
            session=session, at=now, actor=actor, action="team.update", entity="team",
            entity_id=team.callsign, detail={"fields": ["*"], "from": "scenario load"},
        )  # fmt: skip
        counts["replaced"] += 1
    return counts


# -- events ------------------------------------------------------------------------------


def event_public(row: EventRow) -> EventPublic:
    """Public schema of an event row."""
    return EventPublic(
        id=row.id,
        name=row.name,
        venue_id=row.venue_id,
        organiser_id=row.organiser_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        expected_attendance=row.expected_attendance,
        created_at=row.created_at,
    )


def create_event(
    *,
    session: Session,
    data: EventCreate,
    organiser_id: int | None,
    actor: str | None,
    now: dt.datetime,
) -> EventRow:
    """Store an event at an existing venue."""
    get_venue(session=session, venue_id=data.venue_id)
    if organiser_id is not None:
        from crowdguard.users.service import get_user

        get_user(session=session, user_id=organiser_id)
    row = EventRow(
        name=data.name,
        venue_id=data.venue_id,
        organiser_id=organiser_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        expected_attendance=data.expected_attendance,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="event.create",
        entity="event",
        entity_id=str(row.id),
    )
    return row


def get_event(*, session: Session, event_id: int, organiser_id: int | None = None) -> EventRow:
    """The event with this id; with ``organiser_id``, only if that organiser owns it.

    Someone else's event is reported as not found, so its existence is not disclosed.
    """
    row = session.get(EventRow, event_id)
    if row is None or (organiser_id is not None and row.organiser_id != organiser_id):
        raise NotFoundError(f"event_id: no event {event_id}")
    return row


def list_events(
    *, session: Session, limit: int, offset: int, organiser_id: int | None = None
) -> tuple[list[EventRow], int]:
    """One page of events by id (only the organiser's own when ``organiser_id`` is given)."""
    stmt = select(EventRow).order_by(EventRow.id)
    count = select(func.count()).select_from(EventRow)
    if organiser_id is not None:
        stmt = stmt.where(EventRow.organiser_id == organiser_id)
        count = count.where(EventRow.organiser_id == organiser_id)
    return _page(session, stmt, count, limit, offset)


def events_at(
    *,
    session: Session,
    venue_ids: Iterable[str],
    starts_before: dt.datetime,
    ends_after: dt.datetime,
) -> list[EventRow]:
    """Events at any of ``venue_ids`` running at some time in ``(ends_after, starts_before)``."""
    wanted = sorted(set(venue_ids))
    if not wanted:
        return []
    stmt = (
        select(EventRow)
        .where(
            EventRow.venue_id.in_(wanted),
            EventRow.starts_at < starts_before,
            EventRow.ends_at > ends_after,
        )
        .order_by(EventRow.id)
    )
    return list(session.scalars(stmt).all())


def update_event(
    *,
    session: Session,
    event_id: int,
    data: EventUpdate,
    organiser_id: int | None,
    actor: str | None,
    now: dt.datetime,
) -> EventRow:
    """Apply a partial update; the result must still end after it starts."""
    row = get_event(session=session, event_id=event_id, organiser_id=organiser_id)
    if data.name is not None:
        row.name = data.name
    if data.starts_at is not None:
        row.starts_at = data.starts_at
    if data.ends_at is not None:
        row.ends_at = data.ends_at
    if data.expected_attendance is not None:
        row.expected_attendance = data.expected_attendance
    if row.ends_at <= row.starts_at:
        raise InputError("ends_at: must be after starts_at")
    if data.starts_at is not None:
        from crowdguard.plans import service as security_plans  # plans call venues, not back

        session.flush()
        security_plans.event_rescheduled(session=session, event_id=row.id, now=now)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="event.update",
        entity="event",
        entity_id=str(row.id),
        detail={"fields": sorted(data.model_fields_set)},
    )
    return row


def delete_event(
    *,
    session: Session,
    event_id: int,
    organiser_id: int | None,
    actor: str | None,
    now: dt.datetime,
) -> None:
    """Remove an event that has no security plan (a plan's reviews are kept for audit)."""
    from crowdguard.plans import service as security_plans  # plans call venues, not back

    row = get_event(session=session, event_id=event_id, organiser_id=organiser_id)
    plan_id = security_plans.plan_for_event(session=session, event_id=row.id)
    if plan_id is not None:
        raise ConflictError(
            f"event_id: event {row.id} has security plan {plan_id}, whose versions and "
            "reviews are kept for audit; change the event instead of deleting it"
        )
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="event.delete",
        entity="event",
        entity_id=str(row.id),
    )
    session.delete(row)
