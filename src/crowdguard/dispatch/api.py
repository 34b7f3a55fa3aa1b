"""Dispatch endpoints (control and admin only): units (with where the roster puts them),
the map's places, tasks (raised from reports, or opened from a call), recommend, assign,
manual state changes, release, closing a task, and the rest-of-day re-plan. Every change is
published to the live board once it commits; a re-plan changes nothing stored, so it
publishes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, GateReleaseDep, NowDep, SessionDep
from crowdguard.api.events import BoardEvent, BusDep, publish_after_commit
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId, SlugId
from crowdguard.dispatch import service
from crowdguard.dispatch.models import (
    AssignRequest,
    AssignResult,
    DispatchPlaces,
    RecommendRequest,
    RecommendResult,
    ReplanRequest,
    ReplanResult,
    TaskClose,
    TaskCloseResult,
    TaskCreate,
    TaskDetail,
    TaskPublic,
    UnitPublic,
    UnitStateChange,
)
from crowdguard.dispatch.states import TaskState
from crowdguard.reports import service as reports
from crowdguard.users.models import Role

__all__ = ["router"]

router = APIRouter(prefix="/dispatch", tags=["dispatch"])
Control = Annotated[Principal, Depends(require(Role.admin, Role.control))]


def _board_events(change: service.DispatchChange) -> list[BoardEvent]:
    items = [BoardEvent(kind="unit-state", data=service.unit_public(u)) for u in change.units]
    if change.task is not None:
        items.append(BoardEvent(kind="task-state", data=service.task_public(change.task)))
    if change.report is not None:
        items.append(BoardEvent(kind="report-updated", data=reports.board_summary(change.report)))
    return items


def _result(change: service.DispatchChange) -> AssignResult:
    return AssignResult(
        unit=service.unit_public(change.unit),
        task=None if change.task is None else service.task_public(change.task),
        events=[service.event_public(e) for e in change.events],
    )


@router.get("/units", response_model=list[UnitPublic])
def list_units(
    user: Control, session: SessionDep, context: ContextDep, now: NowDep
) -> list[UnitPublic]:
    """Every unit (one per team), its state, the states it may be moved to, and where
    today's roster puts it now (its base when it has no roster; an audited roster read)."""
    return service.list_units_placed(
        session=session,
        role=user.role,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )


@router.get("/places", response_model=DispatchPlaces)
def places(user: Control, session: SessionDep) -> DispatchPlaces:
    """The map's places: stored venues, the scenario's staging bases, each unit's base."""
    return service.dispatch_places(session=session)


@router.post("/recommend", response_model=RecommendResult)
def recommend(
    body: RecommendRequest, user: Control, session: SessionDep, context: ContextDep, now: NowDep
) -> RecommendResult:
    """Rank available units by travel time to a location, report or task, with the cover
    lost; travel is scaled by each unit's kind (``patrol.team_kinds``)."""
    return service.recommend_units(
        session=session,
        location=body.location,
        reference=body.report,
        task_id=body.task,
        k=body.k,
        require_armed=body.require_armed,
        on_scene_minutes=body.on_scene_minutes,
        role=user.role,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )


@router.post("/assign", response_model=AssignResult)
def assign(
    body: AssignRequest, user: Control, session: SessionDep, now: NowDep, bus: BusDep
) -> AssignResult:
    """Send a unit to a report or task; statuses move automatically (409 if they cannot)."""
    change = service.assign_unit(
        session=session,
        callsign=body.unit,
        reference=body.report,
        task_id=body.task,
        en_route=body.en_route,
        actor=user.username,
        now=now,
    )
    publish_after_commit(session, bus, *_board_events(change))
    return _result(change)


@router.post("/units/{callsign}/release", response_model=AssignResult)
def release(
    callsign: SlugId, user: Control, session: SessionDep, now: NowDep, bus: BusDep
) -> AssignResult:
    """Free a unit (back to available); 409 if it is already available."""
    change = service.release_unit(session=session, callsign=callsign, actor=user.username, now=now)
    publish_after_commit(session, bus, *_board_events(change))
    return _result(change)


@router.post("/units/{callsign}/state", response_model=AssignResult)
def set_state(
    callsign: SlugId,
    body: UnitStateChange,
    user: Control,
    session: SessionDep,
    now: NowDep,
    bus: BusDep,
) -> AssignResult:
    """Move a unit: en route, on scene (its task too), committed, available, off duty.

    Only the moves of the state machine are allowed; any other is a 409 naming the unit,
    its state and the states it may go to.
    """
    change = service.move_unit(
        session=session,
        callsign=callsign,
        to=body.state,
        note=body.note,
        actor=user.username,
        now=now,
    )
    publish_after_commit(session, bus, *_board_events(change))
    return _result(change)


@router.post("/units/{callsign}/replan", response_model=ReplanResult)
def replan(
    callsign: SlugId,
    body: ReplanRequest,
    user: Control,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    release_gate: GateReleaseDep,
) -> ReplanResult:
    """The patrols this unit misses from now, and the rest of today re-planned on the patrol
    graph without it, every other team starting from where its roster has it now.

    Advice only: the stored rosters do not change. The answer holds rosters (secret). The
    solve runs after the request's reads and audit row are committed and its database
    slot is given back, so reports and other requests are not held up while it solves.
    """
    return service.replan_unit(
        session=session,
        after_commit=release_gate,
        callsign=callsign,
        back_at=body.back_at,
        location=body.location,
        seed=body.seed,
        role=user.role,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )


@router.post("/tasks", response_model=TaskPublic, status_code=status.HTTP_201_CREATED)
def open_task(
    body: TaskCreate, user: Control, session: SessionDep, now: NowDep, bus: BusDep
) -> TaskPublic:
    """Open a task from a call (no public report): a location and a short description.

    It starts ``open`` and is recommended for (``{"task": id}``), assigned, moved and closed
    like a report's task.
    """
    row = service.open_task(session=session, data=body, actor=user.username, now=now)
    public = service.task_public(row)
    publish_after_commit(session, bus, BoardEvent(kind="task-state", data=public))
    return public


@router.get("/tasks", response_model=Page[TaskPublic])
def list_tasks(
    user: Control,
    session: SessionDep,
    page: PageDep,
    state: Annotated[TaskState | None, Query(description="only tasks in this state")] = None,
) -> Page[TaskPublic]:
    """Tasks, newest first."""
    rows, total = service.list_tasks(
        session=session,
        state=None if state is None else state.value,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.task_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: IntId, user: Control, session: SessionDep) -> TaskDetail:
    """One task and its state changes."""
    row = service.get_task(session=session, task_id=task_id)
    return TaskDetail(
        task=service.task_public(row),
        timeline=service.task_timeline(session=session, task_id=row.id),
    )


@router.post("/tasks/{task_id}/close", response_model=TaskCloseResult)
def close_task(
    task_id: IntId,
    body: TaskClose,
    user: Control,
    session: SessionDep,
    now: NowDep,
    bus: BusDep,
) -> TaskCloseResult:
    """Close a task with its outcome: every unit on it is freed, its report closed."""
    change = service.close_task_by_id(
        session=session, task_id=task_id, outcome=body.outcome, actor=user.username, now=now
    )
    publish_after_commit(session, bus, *_board_events(change))
    assert change.task is not None
    return TaskCloseResult(
        task=service.task_public(change.task),
        units=[service.unit_public(u) for u in change.units],
        events=[service.event_public(e) for e in change.events],
    )
