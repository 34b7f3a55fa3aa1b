"""Dispatch in the store: units with persisted states, tasks, recommendations, assignment.

The pure core does the work (``docs/theory/respond.md``): :mod:`crowdguard.dispatch.states`
moves units and tasks (CoCeSo's states; "assign -> en route, release -> free", SnailyCAD
#156, Resgrid #184) and :func:`crowdguard.dispatch.recommend.recommend` ranks units by
travel time (CoCeSo #95, OpenCAD #129). This module only loads and saves:

* **Units** are the stored teams (venues slice), one row per callsign, created
  ``available`` on first sight; every armed team in a scenario is armed.
* **Positions** come from today's rosters (rosters slice; the read is audited like any
  roster read) of the newest finished plan; the places and travel times from that plan's
  scenario snapshot (else the newest stored scenario) with
  :func:`crowdguard.patrols.travel.straight_line_travel` over its places plus the incident.
* Every change appends timeline rows and one audit row in the caller's transaction. An
  invalid move is a :class:`~crowdguard.store.errors.ConflictError` (HTTP 409) naming the
  unit or task and the states.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.dispatch.models import (
    IncidentLocation,
    MissedPatrolPublic,
    RecommendationPublic,
    RecommendResult,
    TaskPublic,
    TimelineEventPublic,
    UnitPublic,
)
from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    matrix_travel,
    parse_roster,
    place_segments,
    recommend,
)
from crowdguard.dispatch.states import (
    Task,
    TaskState,
    TransitionEvent,
    Unit,
    UnitState,
    assign,
    release,
    transition_task,
)
from crowdguard.dispatch.tables import TaskRow, TimelineRow, UnitRow
from crowdguard.errors import DispatchError, InputError
from crowdguard.jobs import service as jobs
from crowdguard.patrols.travel import Place, places_of, straight_line_travel
from crowdguard.reports import service as reports
from crowdguard.rosters import service as rosters
from crowdguard.scenario.schema import Scenario, Team
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

__all__ = [
    "assign_unit",
    "current_scenario",
    "event_public",
    "list_units",
    "recommend_units",
    "release_unit",
    "sync_units",
    "task_public",
    "unit_public",
]

LONDON = ZoneInfo("Europe/London")


def unit_public(row: UnitRow) -> UnitPublic:
    """Public schema of a unit row."""
    return UnitPublic(
        callsign=row.callsign,
        state=row.state,
        armed=row.armed,
        kind=row.kind,
        task_id=row.task_id,
        updated_at=row.updated_at,
    )


def task_public(row: TaskRow) -> TaskPublic:
    """Public schema of a task row."""
    return TaskPublic(
        id=row.id,
        report_ref=row.report_ref,
        state=row.state,
        unit_ids=list(row.unit_ids),
        lat=row.lat,
        lon=row.lon,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def event_public(item: TransitionEvent) -> TimelineEventPublic:
    """Public schema of a transition."""
    return TimelineEventPublic(
        at=item.at,
        kind=item.kind,
        id=item.id,
        from_state=item.from_state,
        to_state=item.to_state,
        cause=item.cause,
    )


def _teams(session: Session) -> list[Team]:
    rows, _ = venues.list_teams(session=session, limit=1_000_000, offset=0)
    return [Team.model_validate(r.data) for r in rows]


def sync_units(*, session: Session, now: dt.datetime) -> list[UnitRow]:
    """One unit per stored team (new ones ``available``), sorted by callsign."""
    rows = {r.callsign: r for r in session.scalars(select(UnitRow)).all()}
    for team in _teams(session):
        row = rows.get(team.callsign)
        if row is None:
            row = UnitRow(
                callsign=team.callsign,
                state=UnitState.available.value,
                armed=True,
                kind=team.kind,
                task_id=None,
                updated_at=now,
            )
            session.add(row)
            rows[team.callsign] = row
        elif row.kind != team.kind:
            row.kind = team.kind
    session.flush()
    return [rows[k] for k in sorted(rows)]


def list_units(*, session: Session, now: dt.datetime) -> list[UnitRow]:
    """Every unit and its state."""
    return sync_units(session=session, now=now)


def _unit_row(session: Session, callsign: str, now: dt.datetime) -> UnitRow:
    sync_units(session=session, now=now)
    row = session.get(UnitRow, callsign)
    if row is None:
        raise NotFoundError(f"unit: no unit {callsign!r}")
    return row


def _pure_unit(row: UnitRow) -> Unit:
    return Unit(
        row.callsign,
        UnitState(row.state),
        row.armed,
        None if row.task_id is None else str(row.task_id),
    )


def _pure_task(row: TaskRow) -> Task:
    return Task(str(row.id), TaskState(row.state), tuple(row.unit_ids))


def _save_events(session: Session, events: list[TransitionEvent], actor: str | None) -> None:
    for item in events:
        session.add(
            TimelineRow(
                at=item.at,
                kind=item.kind,
                entity_id=item.id,
                from_state=item.from_state,
                to_state=item.to_state,
                cause=item.cause[:200],
                actor=actor,
            )
        )


def current_scenario(*, session: Session, plan_id: int | None) -> Scenario:
    """The scenario a plan was made from, else the most recently changed stored scenario."""
    if plan_id is not None:
        return Scenario.model_validate(
            jobs.get_plan(session=session, plan_id=plan_id).scenario_snapshot
        )
    rows, _ = venues.list_scenarios(session=session, limit=1_000_000, offset=0)
    if not rows:
        raise ConflictError("scenario: none stored; load one (POST /api/v1/scenarios) first")
    newest = max(rows, key=lambda r: (r.updated_at, r.id))
    return Scenario.model_validate(newest.snapshot)


def _travel(places: list[Place], incident: LatLon) -> Any:
    """Straight-line travel over the scenario's places and the incident (step 2)."""
    nearest = min(places, key=lambda p: (p.lat - incident[0]) ** 2 + (p.lon - incident[1]) ** 2)
    everywhere = [*places, Place("incident", incident[0], incident[1], nearest.island)]
    times = straight_line_travel(everywhere)
    return matrix_travel([(p.lat, p.lon) for p in everywhere], times.minutes.tolist())


def recommend_units(
    *,
    session: Session,
    location: IncidentLocation | None,
    reference: str | None,
    k: int,
    require_armed: bool,
    on_scene_minutes: float,
    role: Role,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
) -> RecommendResult:
    """Rank the available units for an incident at ``location`` or a stored report's point.

    1. the incident point (a report located only by text cannot be ranked: 409);
    2. today's rosters (local date) and the scenario they were planned from;
    3. :func:`recommend` with the straight-line travel model over the scenario's places.
    """
    if reference is not None:
        point = reports.report_point(session=session, reference=reference)
        if point is None:
            raise ConflictError(
                f"report: {reference} has no map point or venue; give a location instead"
            )
    else:
        assert location is not None
        point = (location.lat, location.lon)
    day = now.astimezone(LONDON).date()
    roster = rosters.day_rosters(
        session=session, day=day, role=role, team=None, actor=actor, now=now, lead=lead
    )
    scenario = current_scenario(session=session, plan_id=roster.plan_id)
    places = places_of(scenario)
    where = {p.id: (p.lat, p.lon) for p in places}
    parsed = parse_roster(
        {
            "date": day.isoformat(),
            "teams": [
                {"team": t.team, "base": t.base, "segments": [s.model_dump() for s in t.segments]}
                for t in roster.teams
            ],
        },
        source=f"rosters/{day.isoformat()}",
    )
    by_team = {t.team: t for t in parsed.teams}
    bases = {t.callsign: t.base for t in _teams(session)}
    units: list[DispatchUnit] = []
    for row in sync_units(session=session, now=now):
        base_id = bases.get(row.callsign, "")
        if base_id not in where:
            continue
        team = by_team.get(row.callsign)
        segments = place_segments(team, where) if team is not None else ()
        units.append(
            DispatchUnit(
                row.callsign, UnitState(row.state), where[base_id], segments, row.armed, base_id
            )
        )
    try:
        ranked = recommend(
            units,
            point,
            travel_minutes=_travel(places, point),
            now=now,
            require_armed=require_armed,
            k=k,
            on_scene_minutes=on_scene_minutes,
        )
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.recommend",
        entity="dispatch",
        entity_id=reference or f"{point[0]:.5f},{point[1]:.5f}",
        detail={"ranked": [r.unit_id for r in ranked]},
    )
    return RecommendResult(
        location=IncidentLocation(lat=point[0], lon=point[1]),
        at=now,
        roster_date=day,
        roster_plan_id=roster.plan_id,
        scenario_id=scenario.id,
        travel_model="straight_line_travel (haversine x 1.3 detour, urban/rural speeds)",
        recommendations=[
            RecommendationPublic(
                unit=r.unit_id,
                eta_minutes=round(r.eta_minutes, 2),
                position=r.position,
                busy_until=r.busy_until,
                return_minutes=round(r.return_minutes, 2),
                missed=[
                    MissedPatrolPublic(
                        venue=m.venue, start=m.start, end=m.end, minutes=round(m.minutes, 2)
                    )
                    for m in r.missed
                ],
                missed_minutes=round(r.missed_minutes, 2),
            )
            for r in ranked
        ],
    )


def _task_for_report(session: Session, reference: str, now: dt.datetime) -> TaskRow:
    row = session.scalar(
        select(TaskRow)
        .where(TaskRow.report_ref == reference, TaskRow.state != TaskState.closed.value)
        .order_by(TaskRow.id.desc())
        .limit(1)
    )
    if row is not None:
        return row
    point = reports.report_point(session=session, reference=reference)
    row = TaskRow(
        report_ref=reference,
        state=TaskState.open.value,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        unit_ids=[],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _get_task(session: Session, task_id: int) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFoundError(f"task: no task {task_id}")
    return row


def assign_unit(
    *,
    session: Session,
    callsign: str,
    reference: str | None,
    task_id: int | None,
    en_route: bool,
    actor: str,
    now: dt.datetime,
) -> tuple[UnitRow, TaskRow, list[TransitionEvent]]:
    """Send a unit to a report (opening a task for it) or a task, in one call.

    The unit goes ``available -> assigned (-> en_route)``, the task likewise, the report to
    ``assigned``; any other starting state is a 409 naming the unit and its state.
    """
    unit_row = _unit_row(session, callsign, now)
    if reference is not None:
        reports.get_report(session=session, reference=reference)
        task_row = _task_for_report(session, reference, now)
    else:
        if task_id is None:
            raise InputError("assign: give a report or a task")
        task_row = _get_task(session, task_id)
    try:
        unit, task, events = assign(
            _pure_unit(unit_row), _pure_task(task_row), at=now, en_route=en_route
        )
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    unit_row.state, unit_row.task_id, unit_row.updated_at = unit.state.value, task_row.id, now
    task_row.state, task_row.unit_ids, task_row.updated_at = (
        task.state.value,
        list(task.unit_ids),
        now,
    )
    _save_events(session, events, actor)
    if task_row.report_ref is not None:
        reports.set_status(
            session=session, reference=task_row.report_ref, status="assigned", actor=actor, now=now
        )
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.assign",
        entity="unit",
        entity_id=callsign,
        detail={
            "task": task_row.id,
            "report": task_row.report_ref,
            "moves": [f"{e.id}:{e.from_state}->{e.to_state}" for e in events],
        },
    )
    return unit_row, task_row, events


def release_unit(
    *, session: Session, callsign: str, actor: str, now: dt.datetime
) -> tuple[UnitRow, TaskRow | None, list[TransitionEvent]]:
    """Free a unit (``-> available``); a task left with no unit goes back to ``open``."""
    unit_row = _unit_row(session, callsign, now)
    try:
        _, event = release(_pure_unit(unit_row), at=now, cause=f"released by {actor}")
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    events = [event]
    task_row = session.get(TaskRow, unit_row.task_id) if unit_row.task_id is not None else None
    if task_row is not None:
        remaining = [u for u in task_row.unit_ids if u != callsign]
        task_row.unit_ids = remaining
        task_row.updated_at = now
        if not remaining and task_row.state in (TaskState.assigned.value, TaskState.en_route.value):
            task, moved = transition_task(
                _pure_task(task_row), TaskState.open, at=now, cause=f"unit {callsign} stood down"
            )
            task_row.state = task.state.value
            events.append(moved)
    unit_row.state, unit_row.task_id, unit_row.updated_at = UnitState.available.value, None, now
    _save_events(session, events, actor)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.release",
        entity="unit",
        entity_id=callsign,
        detail={"moves": [f"{e.id}:{e.from_state}->{e.to_state}" for e in events]},
    )
    return unit_row, task_row, events
