"""Dispatch endpoints (control and admin only): units, recommend, assign, release."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.api.params import SlugId
from crowdguard.dispatch import service
from crowdguard.dispatch.models import (
    AssignRequest,
    AssignResult,
    RecommendRequest,
    RecommendResult,
    UnitPublic,
)
from crowdguard.dispatch.tables import TaskRow, UnitRow
from crowdguard.users.models import Role
from crowdguard.web.board import BoardEvent, BusDep, publish_after_commit

__all__ = ["router"]

router = APIRouter(prefix="/dispatch", tags=["dispatch"])
Control = Annotated[Principal, Depends(require(Role.admin, Role.control))]


def _board_events(unit: UnitRow, task: TaskRow | None) -> list[BoardEvent]:
    items = [BoardEvent("unit-state", service.unit_public(unit).model_dump(mode="json"))]
    if task is not None:
        items.append(BoardEvent("task-state", service.task_public(task).model_dump(mode="json")))
    return items


@router.get("/units", response_model=list[UnitPublic])
def list_units(user: Control, session: SessionDep, now: NowDep) -> list[UnitPublic]:
    """Every unit (one per team) and its state."""
    return [service.unit_public(r) for r in service.list_units(session=session, now=now)]


@router.post("/recommend", response_model=RecommendResult)
def recommend(
    body: RecommendRequest, user: Control, session: SessionDep, context: ContextDep, now: NowDep
) -> RecommendResult:
    """Rank available units by travel time to a location or report, with the cover lost."""
    return service.recommend_units(
        session=session,
        location=body.location,
        reference=body.report,
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
    unit, task, events = service.assign_unit(
        session=session,
        callsign=body.unit,
        reference=body.report,
        task_id=body.task,
        en_route=body.en_route,
        actor=user.username,
        now=now,
    )
    publish_after_commit(session, bus, *_board_events(unit, task))
    return AssignResult(
        unit=service.unit_public(unit),
        task=service.task_public(task),
        events=[service.event_public(e) for e in events],
    )


@router.post("/units/{callsign}/release", response_model=AssignResult)
def release(
    callsign: SlugId, user: Control, session: SessionDep, now: NowDep, bus: BusDep
) -> AssignResult:
    """Free a unit (back to available); 409 if it is already available."""
    unit, task, events = service.release_unit(
        session=session, callsign=callsign, actor=user.username, now=now
    )
    publish_after_commit(session, bus, *_board_events(unit, task))
    return AssignResult(
        unit=service.unit_public(unit),
        task=service.task_public(task) if task is not None else None,
        events=[service.event_public(e) for e in events],
    )
