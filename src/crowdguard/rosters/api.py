"""Roster endpoints: by date (every team the caller may see) and by date and team."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from crowdguard.api.auth import CurrentUser
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.api.params import LocalDate, SlugId
from crowdguard.rosters import service
from crowdguard.rosters.models import DayRosters, StoredTeamRoster

__all__ = ["router"]

router = APIRouter(prefix="/rosters", tags=["rosters"])
DateParam = LocalDate


@router.get("/{date}", response_model=DayRosters)
def day_rosters(
    date: DateParam, user: CurrentUser, session: SessionDep, context: ContextDep, now: NowDep
) -> DayRosters:
    """Every team roster on ``date`` that the caller may see."""
    return service.day_rosters(
        session=session,
        day=date,
        role=user.role,
        team=user.team,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )


@router.get("/{date}/teams/{team}", response_model=StoredTeamRoster)
def team_roster(
    date: DateParam,
    team: SlugId,
    user: CurrentUser,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> StoredTeamRoster:
    """One team's roster; officers only their own team, and only from the lead time."""
    return service.team_roster(
        session=session,
        day=date,
        callsign=team,
        role=user.role,
        team=user.team,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )
