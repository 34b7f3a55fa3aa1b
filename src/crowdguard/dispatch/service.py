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
  :func:`list_units_placed` gives each unit's position now the same way (for the map).
* Every change appends timeline rows and one audit row in the caller's transaction. An
  invalid move is a :class:`~crowdguard.store.errors.ConflictError` (HTTP 409) naming the
  unit or task and the states.
* A report follows its task: ``assigned`` when a unit is sent, back to ``triaged`` when
  the last unit is stood down before arriving, ``closed`` when the task is closed.
* The rest of a dispatched team's day is re-solved by :mod:`crowdguard.patrols.replan`
  (advice: nothing stored changes).

Dispatch changes are serialised: SQLite runs every transaction ``BEGIN IMMEDIATE``; on
PostgreSQL every service function here first takes a transaction-scoped advisory lock, so
two control-room users cannot both send the same available unit (under READ COMMITTED both
would read it ``available``) and two first requests cannot both create the same unit row.
The lock is always taken before the audit chain's lock, never after, so they cannot
deadlock.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.dispatch.models import (
    MANUAL_STATES,
    DispatchPlaces,
    IncidentLocation,
    MissedPatrolPublic,
    PlacePublic,
    RecommendationPublic,
    RecommendResult,
    ReplanResult,
    ReplanStartPublic,
    SlotChangePublic,
    TargetChangePublic,
    TaskCreate,
    TaskPublic,
    TimelineEventPublic,
    UnitPosition,
    UnitPublic,
)
from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    MissedPatrol,
    matrix_travel,
    place_segments,
    position_at,
    recommend,
)
from crowdguard.dispatch.states import (
    UNIT_TRANSITIONS,
    Task,
    TaskState,
    TransitionEvent,
    Unit,
    UnitState,
    arrive,
    assign,
    close_task,
    release,
    transition_task,
    transition_unit,
)
from crowdguard.dispatch.tables import TaskRow, TimelineRow, UnitRow
from crowdguard.errors import DispatchError, InputError
from crowdguard.jobs import service as jobs
from crowdguard.patrols.replan import replan_day, travel_with_incident
from crowdguard.patrols.travel import places_of
from crowdguard.reports import service as reports
from crowdguard.reports.tables import ReportRow
from crowdguard.reports.triage import FIREARMS_AUTHORITY
from crowdguard.rosters import service as rosters
from crowdguard.rosters.models import DayRosters
from crowdguard.scenario.schema import Scenario, Team
from crowdguard.stats import service as operations_log
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

__all__ = [
    "DispatchChange",
    "assign_unit",
    "close_task_by_id",
    "current_scenario",
    "dispatch_places",
    "event_public",
    "get_task",
    "list_tasks",
    "list_units",
    "list_units_placed",
    "move_unit",
    "next_states",
    "open_task",
    "recommend_units",
    "release_unit",
    "replan_unit",
    "sync_units",
    "task_public",
    "task_timeline",
    "unit_public",
]

LONDON = ZoneInfo("Europe/London")
_DISPATCH_LOCK = 0x43474450  # "CGDP": CrowdGuard dispatch


@dataclass
class DispatchChange:
    """What one dispatch call changed: units, the task, the transitions, the report."""

    units: list[UnitRow]
    task: TaskRow | None
    events: list[TransitionEvent]
    report: ReportRow | None = None
    freed: list[UnitRow] = field(default_factory=list)

    @property
    def unit(self) -> UnitRow:
        """The unit the call was about."""
        return self.units[0]


def _logged(
    session: Session, change: DispatchChange, actor: str | None, now: dt.datetime
) -> DispatchChange:
    """Record the change's unit moves in the operations log (issue 15), same transaction."""
    operations_log.record_dispatch(
        session=session,
        units=change.units,
        task=change.task,
        events=change.events,
        actor=actor,
        now=now,
    )
    return change


def _serialise(session: Session) -> None:
    """Take the dispatch lock on PostgreSQL (module docstring); SQLite is already serial."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DISPATCH_LOCK})


def next_states(state: UnitState | str) -> list[str]:
    """The states a unit in ``state`` may be moved to by hand (``POST .../state``): the
    state machine's table (:data:`UNIT_TRANSITIONS`) less ``assigned``, which only
    :func:`assign_unit` reaches, in the order of :data:`MANUAL_STATES`."""
    allowed = UNIT_TRANSITIONS[UnitState(state)]
    return [s for s in MANUAL_STATES if UnitState(s) in allowed]


def unit_public(row: UnitRow, position: UnitPosition | None = None) -> UnitPublic:
    """Public schema of a unit row (with its position, when the caller read the roster)."""
    return UnitPublic(
        callsign=row.callsign,
        state=row.state,
        armed=row.armed,
        kind=row.kind,
        task_id=row.task_id,
        updated_at=row.updated_at,
        next_states=next_states(row.state),
        position=position,
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
        description=row.description,
        opened_by=row.opened_by,
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
    _serialise(session)
    return sync_units(session=session, now=now)


def _unit_row(session: Session, callsign: str, now: dt.datetime) -> UnitRow:
    _serialise(session)
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


def _travel(scenario: Scenario, incident: LatLon) -> Any:
    """Straight-line travel over the scenario's places and the incident (step 3), as the
    re-plan uses it (:func:`crowdguard.patrols.replan.travel_with_incident`: the incident
    is on the Isle of Wight when its nearest place is, so a crossing is charged)."""
    times = travel_with_incident(scenario, incident)
    return matrix_travel(list(zip(times.lat, times.lon, strict=True)), times.minutes.tolist())


TRAVEL_MODEL = (
    "straight_line_travel (haversine x 1.3 detour, urban/rural speeds, by ferry across the "
    "Solent) "
    "x each unit's kind's travel_multiplier (patrol.team_kinds)"
)


@dataclass(frozen=True)
class _DayContext:
    day: dt.date
    rosters: DayRosters
    scenario: Scenario
    where: dict[str, LatLon]


def _day_context(
    session: Session, *, role: Role, actor: str, now: dt.datetime, lead: dt.timedelta
) -> _DayContext:
    """Today's rosters (local date, or yesterday's while its overnight shifts run; an
    audited read) and the scenario they came from."""
    day = rosters.plan_day_at(session=session, now=now)
    roster = rosters.day_rosters(
        session=session, day=day, role=role, team=None, actor=actor, now=now, lead=lead
    )
    scenario = current_scenario(session=session, plan_id=roster.plan_id)
    places = places_of(scenario)
    return _DayContext(day, roster, scenario, {p.id: (p.lat, p.lon) for p in places})


def _dispatch_units(
    session: Session, context: _DayContext, rows: list[UnitRow], *, strict: bool = True
) -> list[DispatchUnit]:
    """The units the scenario can place (base known), with today's segments resolved.

    A roster naming a place the scenario lacks is a 409 when ``strict``; otherwise that
    unit is placed at its base as if it had no roster. Each unit's travel multiplier is its
    kind's in the scenario (``patrol.team_kinds``; 1 for a kind the scenario does not name,
    which the recommendation shows).
    """
    where = context.where
    by_team = {t.team: t for t in context.rosters.teams}
    bases = {t.callsign: t.base for t in _teams(session)}
    kinds = context.scenario.patrol.kinds()
    units: list[DispatchUnit] = []
    for row in rows:
        base_id = bases.get(row.callsign, "")
        if base_id not in where:
            continue
        team = by_team.get(row.callsign)
        try:
            segments = place_segments(team, where) if team is not None else ()
        except InputError as exc:  # a roster naming a place the scenario lacks
            if strict:
                raise ConflictError(f"roster: {exc}") from None
            segments = ()
        kind = kinds.get(row.kind)
        units.append(
            DispatchUnit(
                row.callsign,
                UnitState(row.state),
                where[base_id],
                segments,
                row.armed,
                base_id,
                kind=row.kind,
                travel_multiplier=1.0 if kind is None else kind.travel_multiplier,
            )
        )
    return units


def _position_now(unit: DispatchUnit, now: dt.datetime) -> UnitPosition:
    """Where the roster puts ``unit`` at ``now`` (:func:`position_at`), and until when."""
    position = position_at(unit, now)
    current = next((s for s in unit.segments if s.start <= now < s.end), None)
    upcoming = [s.start for s in unit.segments if s.start > now]
    until = current.end if current is not None else min(upcoming, default=None)
    lat, lon = position.point
    origin_place = None
    if position.kind == "transit" and current is not None and position.origin is not None:
        done = position.elapsed_minutes + position.remaining_minutes
        share = position.elapsed_minutes / done if done > 0 else 0.0
        lat = position.origin[0] + share * (lat - position.origin[0])
        lon = position.origin[1] + share * (lon - position.origin[1])
        origin_place = current.origin_place
    return UnitPosition(
        kind=position.kind,
        place_id=position.place,
        from_place_id=origin_place,
        lat=round(lat, 6),
        lon=round(lon, 6),
        until=until,
    )


def list_units_placed(
    *, session: Session, role: Role, actor: str, now: dt.datetime, lead: dt.timedelta
) -> list[UnitPublic]:
    """Every unit, its state and where today's roster puts it now (an audited roster read).

    A unit with no roster today is at its base; one rostered today but not now is
    ``off_shift`` at its base. With no scenario stored, or a unit whose base the scenario
    does not name, the position is None.
    """
    rows = list_units(session=session, now=now)
    try:
        context = _day_context(session, role=role, actor=actor, now=now, lead=lead)
    except ConflictError:  # no scenario stored: nothing to place units with
        return [unit_public(r) for r in rows]
    placed = {
        u.id: _position_now(u, now) for u in _dispatch_units(session, context, rows, strict=False)
    }
    return [unit_public(r, placed.get(r.callsign)) for r in rows]


def dispatch_places(*, session: Session) -> DispatchPlaces:
    """The stored venues, the bases of the newest stored scenario and each unit's base."""
    try:
        scenario: Scenario | None = current_scenario(session=session, plan_id=None)
    except ConflictError:
        scenario = None
    rows, _ = venues.list_teams(session=session, limit=1_000_000, offset=0)
    return DispatchPlaces(
        venues=[
            PlacePublic(id=v.id, name=v.name, lat=v.lat, lon=v.lon)
            for v in reports.stored_venues(session=session)
        ],
        bases=[
            PlacePublic(id=b.id, name=b.name, lat=b.lat, lon=b.lon)
            for b in ([] if scenario is None else scenario.bases)
        ],
        unit_bases={r.callsign: str(r.data.get("base", "")) for r in rows},
        scenario_id=None if scenario is None else scenario.id,
    )


def recommend_units(
    *,
    session: Session,
    location: IncidentLocation | None,
    reference: str | None,
    k: int,
    require_armed: bool,
    task_id: int | None = None,
    on_scene_minutes: float,
    role: Role,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
) -> RecommendResult:
    """Rank the available units for an incident at ``location``, a stored report's point or
    a task's location.

    1. the incident point (a report located only by text, or a task without a location,
       cannot be ranked: 409);
    2. today's rosters (local date) and the scenario they were planned from;
    3. :func:`recommend` with the straight-line travel model over the scenario's places,
       times each unit's kind's travel multiplier; for a report whose triage gives no APP
       grounds for an armed response (:data:`~crowdguard.reports.triage.FIREARMS_RULES`),
       ARVs are held back and the result says so. Whoever deploys armed officers needs a
       firearms commander's authority, and the result names it.
    """
    _serialise(session)
    grounds: tuple[str, ...] = ()
    offer_arv = True
    if reference is not None:
        grounds = reports.report_firearms_grounds(session=session, reference=reference)
        offer_arv = bool(grounds)
        point = reports.report_point(session=session, reference=reference)
        if point is None:
            raise ConflictError(
                f"report: {reference} has no map point or venue; give a location instead"
            )
    elif task_id is not None:
        task = _get_task(session, task_id)
        if task.lat is None or task.lon is None:
            raise ConflictError(f"task {task_id} has no location; give a location instead")
        point = (task.lat, task.lon)
    else:
        assert location is not None
        point = (location.lat, location.lon)
    context = _day_context(session, role=role, actor=actor, now=now, lead=lead)
    units = _dispatch_units(session, context, sync_units(session=session, now=now))
    try:
        ranked = recommend(
            units,
            point,
            travel_minutes=_travel(context.scenario, point),
            now=now,
            require_armed=require_armed,
            offer_arv=offer_arv,
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
        entity_id=reference
        or (f"task {task_id}" if task_id is not None else f"{point[0]:.5f},{point[1]:.5f}"),
        detail={"ranked": [r.unit_id for r in ranked], "arvs_offered": offer_arv},
    )
    return RecommendResult(
        arvs_offered=offer_arv,
        firearms_grounds=list(grounds),
        authority=_authority(reference, grounds),
        location=IncidentLocation(lat=point[0], lon=point[1]),
        at=now,
        roster_date=context.day,
        roster_plan_id=context.rosters.plan_id,
        scenario_id=context.scenario.id,
        travel_model=TRAVEL_MODEL,
        recommendations=[
            RecommendationPublic(
                unit=r.unit_id,
                kind=r.kind,
                travel_multiplier=r.travel_multiplier,
                eta_minutes=round(r.eta_minutes, 2),
                position=r.position,
                busy_until=r.busy_until,
                return_minutes=round(r.return_minutes, 2),
                missed=_missed_public(r.missed),
                missed_minutes=round(r.missed_minutes, 2),
            )
            for r in ranked
        ],
    )


def _authority(reference: str | None, grounds: tuple[str, ...]) -> str:
    """What the board says above a ranking about armed deployment (APP Armed Policing)."""
    needs = f"Deploying armed officers needs the authority of {FIREARMS_AUTHORITY} (APP)."
    if reference is None:
        return needs
    if grounds:
        return f"ARVs offered: {reference} gives grounds ({', '.join(grounds)}). {needs}"
    return (
        f"No ARV offered: {reference} gives no reason to suppose anyone is armed or so "
        "dangerous that firearms may be needed (APP); the units ranked are for tasking "
        f"(cordon, event control). {needs}"
    )


def _missed_public(missed: tuple[MissedPatrol, ...]) -> list[MissedPatrolPublic]:
    return [
        MissedPatrolPublic(venue=m.venue, start=m.start, end=m.end, minutes=round(m.minutes, 2))
        for m in missed
    ]


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


def open_task(*, session: Session, data: TaskCreate, actor: str, now: dt.datetime) -> TaskRow:
    """Open a task the control room takes directly (a 999 call): no public report, a
    location and a short description; ``open`` like a report's task, so it is recommended
    for, assigned and closed the same way. Audited as ``dispatch.open``."""
    _serialise(session)
    row = TaskRow(
        report_ref=None,
        state=TaskState.open.value,
        lat=data.location.lat,
        lon=data.location.lon,
        unit_ids=[],
        created_at=now,
        updated_at=now,
        description=data.description.strip(),
        opened_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.open",
        entity="task",
        entity_id=str(row.id),
        detail={"lat": row.lat, "lon": row.lon, "description": row.description},
    )
    return row


def _get_task(session: Session, task_id: int) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFoundError(f"task: no task {task_id}")
    return row


def _moves(events: list[TransitionEvent]) -> list[str]:
    return [f"{e.kind} {e.id}: {e.from_state}->{e.to_state}" for e in events]


def _save_unit(row: UnitRow, unit: Unit, now: dt.datetime) -> None:
    row.state = unit.state.value
    row.task_id = None if unit.task_id is None else int(unit.task_id)
    row.updated_at = now


def _report_status(
    session: Session, task_row: TaskRow, status: reports.Status, actor: str, now: dt.datetime
) -> ReportRow | None:
    if task_row.report_ref is None:
        return None
    return reports.set_status(
        session=session, reference=task_row.report_ref, status=status, actor=actor, now=now
    )


def assign_unit(
    *,
    session: Session,
    callsign: str,
    reference: str | None,
    task_id: int | None,
    en_route: bool,
    actor: str,
    now: dt.datetime,
) -> DispatchChange:
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
    _save_unit(unit_row, unit, now)
    task_row.state, task_row.unit_ids, task_row.updated_at = (
        task.state.value,
        list(task.unit_ids),
        now,
    )
    _save_events(session, events, actor)
    report = _report_status(session, task_row, "assigned", actor, now)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.assign",
        entity="unit",
        entity_id=callsign,
        detail={"task": task_row.id, "report": task_row.report_ref, "moves": _moves(events)},
    )
    return _logged(session, DispatchChange([unit_row], task_row, events, report), actor, now)


def _release(
    session: Session, unit_row: UnitRow, *, actor: str, now: dt.datetime, cause: str
) -> DispatchChange:
    """Free a unit; a task it leaves with no unit before arrival goes back to ``open``."""
    try:
        unit, event = release(_pure_unit(unit_row), at=now, cause=cause)
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    events = [event]
    task_row = session.get(TaskRow, unit_row.task_id) if unit_row.task_id is not None else None
    report: ReportRow | None = None
    if task_row is not None:
        remaining = [u for u in task_row.unit_ids if u != unit_row.callsign]
        task_row.unit_ids = remaining
        task_row.updated_at = now
        if not remaining and task_row.state in (TaskState.assigned.value, TaskState.en_route.value):
            task, moved = transition_task(
                _pure_task(task_row),
                TaskState.open,
                at=now,
                cause=f"unit {unit_row.callsign} stood down",
            )
            task_row.state = task.state.value
            events.append(moved)
            report = _report_status(session, task_row, "triaged", actor, now)
    _save_unit(unit_row, unit, now)
    _save_events(session, events, actor)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.release",
        entity="unit",
        entity_id=unit_row.callsign,
        detail={"moves": _moves(events)},
    )
    return _logged(session, DispatchChange([unit_row], task_row, events, report), actor, now)


def release_unit(
    *, session: Session, callsign: str, actor: str, now: dt.datetime
) -> DispatchChange:
    """Free a unit (``-> available``); a task left with no unit goes back to ``open``."""
    unit_row = _unit_row(session, callsign, now)
    return _release(session, unit_row, actor=actor, now=now, cause=f"released by {actor}")


def move_unit(
    *,
    session: Session,
    callsign: str,
    to: UnitState | str,
    note: str,
    actor: str,
    now: dt.datetime,
) -> DispatchChange:
    """Move a unit by hand along :data:`~crowdguard.dispatch.states.UNIT_TRANSITIONS`.

    The task follows automatically: ``en_route`` moves an ``assigned`` task en route,
    ``on_scene`` is :func:`~crowdguard.dispatch.states.arrive` (the task goes on scene at
    the first arrival), ``available`` is a release. ``assigned`` is refused here (use
    :func:`assign_unit`). Any move the table forbids is a 409 naming the unit, its state
    and the states it may go to.
    """
    try:
        target = UnitState(to)
    except ValueError:
        raise InputError(
            f"state: {to!r} is not a unit state; expected one of "
            f"{', '.join(s.value for s in UnitState)}"
        ) from None
    unit_row = _unit_row(session, callsign, now)
    cause = f"set by {actor}" + (f": {note}" if note else "")
    if target is UnitState.available:
        return _release(session, unit_row, actor=actor, now=now, cause=cause)
    if target is UnitState.assigned:
        raise ConflictError(
            f"unit {callsign}: a unit is assigned with POST /api/v1/dispatch/assign "
            "(naming the report or task), not by setting its state"
        )
    unit = _pure_unit(unit_row)
    task_row = session.get(TaskRow, unit_row.task_id) if unit_row.task_id is not None else None
    task: Task | None = None
    events: list[TransitionEvent]
    try:
        if target is UnitState.on_scene and task_row is not None:
            unit, task, events = arrive(unit, _pure_task(task_row), at=now)
        else:
            unit, event = transition_unit(unit, target, at=now, cause=cause)
            events = [event]
            task = _pure_task(task_row) if task_row is not None else None
            if (
                target is UnitState.en_route
                and task is not None
                and task.state is TaskState.assigned
            ):
                task, event = transition_task(
                    task, TaskState.en_route, at=now, cause=f"unit {callsign} en route"
                )
                events.append(event)
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    _save_unit(unit_row, unit, now)
    if task_row is not None and task is not None:
        task_row.state, task_row.updated_at = task.state.value, now
    _save_events(session, events, actor)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.state",
        entity="unit",
        entity_id=callsign,
        detail={"moves": _moves(events), "note": note},
    )
    return _logged(session, DispatchChange([unit_row], task_row, events), actor, now)


def close_task_by_id(
    *, session: Session, task_id: int, outcome: str, actor: str, now: dt.datetime
) -> DispatchChange:
    """Close a task and free every unit still on it (automatic: close -> free); its report
    is closed too. A closed task cannot be closed again (409)."""
    _serialise(session)
    task_row = _get_task(session, task_id)
    unit_rows = list(
        session.scalars(
            select(UnitRow).where(UnitRow.task_id == task_row.id).order_by(UnitRow.callsign)
        ).all()
    )
    try:
        task, units, events = close_task(
            _pure_task(task_row),
            [_pure_unit(u) for u in unit_rows],
            at=now,
            cause=f"closed by {actor}: {outcome}",
        )
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    for row, unit in zip(unit_rows, units, strict=True):
        _save_unit(row, unit, now)
    task_row.state, task_row.updated_at = task.state.value, now
    _save_events(session, events, actor)
    report = _report_status(session, task_row, "closed", actor, now)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.close",
        entity="task",
        entity_id=str(task_row.id),
        detail={"outcome": outcome, "report": task_row.report_ref, "moves": _moves(events)},
    )
    return _logged(
        session, DispatchChange(unit_rows, task_row, events, report, freed=unit_rows), actor, now
    )


def list_tasks(
    *, session: Session, state: str | None, limit: int, offset: int
) -> tuple[list[TaskRow], int]:
    """One page of tasks, newest first, optionally in one state; and the total."""
    stmt = select(TaskRow)
    count = select(func.count()).select_from(TaskRow)
    if state is not None:
        stmt = stmt.where(TaskRow.state == state)
        count = count.where(TaskRow.state == state)
    total = session.scalar(count) or 0
    rows = session.scalars(stmt.order_by(TaskRow.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def get_task(*, session: Session, task_id: int) -> TaskRow:
    """The task with this id, or :class:`NotFoundError`."""
    return _get_task(session, task_id)


def task_timeline(*, session: Session, task_id: int) -> list[TimelineEventPublic]:
    """The task's own state changes, oldest first."""
    rows = session.scalars(
        select(TimelineRow)
        .where(TimelineRow.kind == "task", TimelineRow.entity_id == str(task_id))
        .order_by(TimelineRow.id)
    ).all()
    return [
        TimelineEventPublic(
            at=r.at,
            kind=r.kind,
            id=r.entity_id,
            from_state=r.from_state,
            to_state=r.to_state,
            cause=r.cause,
        )
        for r in rows
    ]


def _plan_gaps(session: Session, plan_id: int | None, scenario: Scenario) -> dict[str, Any] | None:
    """The security-plan multipliers the day's plan used (``plan.json``'s ``plan_reviews``)."""
    if plan_id is None:
        return None
    result = jobs.get_plan(session=session, plan_id=plan_id).result or {}
    known = {v.id for v in scenario.venues}
    gaps = {
        str(row["venue"]): dict(row["multipliers"])
        for row in result.get("plan_reviews") or []
        if isinstance(row, dict) and row.get("venue") in known and row.get("multipliers")
    }
    return gaps or None


def replan_unit(
    *,
    session: Session,
    callsign: str,
    back_at: dt.datetime | None,
    seed: int | None,
    role: Role,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
    location: IncidentLocation | None = None,
    after_commit: Callable[[], None] | None = None,
) -> ReplanResult:
    """The coverage gap ``callsign`` leaves from now and the rest of today re-planned on the
    patrol graph without it (:func:`crowdguard.patrols.replan.replan_day`); audited,
    nothing stored changes. ``seed`` draws the roster reproducibly; without it
    :mod:`secrets` draws.

    The other teams start from where today's roster has them; units busy on other tasks (or
    off duty) are left out. With ``back_at`` the team rejoins from the incident:
    ``location``, else its task's location (a 409 if neither is known).

    Two phases: the reads and the audit row (who asked, for which unit) are committed
    first and ``after_commit`` is called (the API gives back its database slot there);
    the solve, seconds of MILP, then runs holding no transaction, so on SQLite it does
    not keep the single writer lock from report intake. The session is not used again.
    """
    unit_row = _unit_row(session, callsign, now)
    context = _day_context(session, role=role, actor=actor, now=now, lead=lead)
    incident: LatLon | None = None
    if location is not None:
        incident = (location.lat, location.lon)
    elif unit_row.task_id is not None:
        task = session.get(TaskRow, unit_row.task_id)
        if task is not None and task.lat is not None and task.lon is not None:
            incident = (task.lat, task.lon)
    if back_at is not None and incident is None:
        raise ConflictError(
            f"replan: unit {callsign} rejoins from the incident after back_at, but it is on "
            "no task with a location; give location"
        )
    rows = sync_units(session=session, now=now)
    _dispatch_units(session, context, rows)  # a roster naming a place the scenario lacks: 409
    busy = {
        r.callsign: f"unit is {r.state}"
        for r in rows
        if r.callsign != callsign and r.state != UnitState.available.value
    }
    gaps = _plan_gaps(session, context.rosters.plan_id, context.scenario)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="dispatch.replan",
        entity="unit",
        entity_id=callsign,
        detail={
            "back_at": None if back_at is None else back_at.isoformat(),
            "from_incident": incident is not None and back_at is not None,
            "left_out": sorted(busy),
            "seeded": seed is not None,
        },
    )
    session.commit()
    if after_commit is not None:
        after_commit()
    try:
        result = replan_day(
            context.scenario,
            team=callsign,
            now=now,
            rosters=context.rosters,
            back_at=back_at,
            incident=incident,
            unavailable=busy,
            plan_gaps=gaps,
            rng=None if seed is None else random.Random(seed),
        )
    except DispatchError as exc:
        raise ConflictError(str(exc)) from None
    graph = result.method == "patrol graph"
    return ReplanResult(
        unit=callsign,
        at=now,
        day=result.day,
        back_at=back_at,
        roster_plan_id=context.rosters.plan_id,
        scenario_id=context.scenario.id,
        method=(
            "patrol graph from where the rosters put the teams now (certified SSE over the "
            "flow polytope of the remaining day), routes by path decomposition"
            if graph
            else "free placement per remaining slot (certified SSE per slot), roster by "
            "randomised systematic sampling"
        ),
        placement="patrol_graph" if graph else "free",
        fallback=result.fallback,
        travel_model=TRAVEL_MODEL,
        starts=[
            ReplanStartPublic(team=x.team, place=x.place, ready=x.ready, how=x.how)
            for x in result.starts
        ],
        notes=list(result.notes),
        gap=_missed_public(result.gap),
        gap_minutes=round(result.gap_minutes, 2),
        worst_attacker_utility_before=result.worst_attacker_utility_before,
        worst_attacker_utility_after=result.worst_attacker_utility_after,
        slots=[
            SlotChangePublic(
                start=x.start,
                end=x.end,
                teams_before=list(x.teams_before),
                teams_after=list(x.teams_after),
                attacker_utility_before=x.attacker_utility_before,
                attacker_utility_after=x.attacker_utility_after,
                defender_utility_before=x.defender_utility_before,
                defender_utility_after=x.defender_utility_after,
            )
            for x in result.slots
        ],
        targets=[
            TargetChangePublic(
                venue=x.venue,
                start=x.start,
                end=x.end,
                coverage_before=x.coverage_before,
                coverage_after=x.coverage_after,
            )
            for x in result.targets
        ],
        roster=result.roster,
        roster_drawn=result.drawn,
    )
