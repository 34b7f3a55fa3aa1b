"""The served rosters: the one roster type of :mod:`crowdguard.patrols.roster`, plus what
the store knows about it (the plan that drew it, the team's window). ``design.md``'s roster
contract (``rosters/YYYY-MM-DD.json``) is the core model's; a served team roster *is* a
:class:`crowdguard.patrols.roster.TeamRoster`, so dispatch and the pages use it as it is."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster

__all__ = ["DayRosters", "PlanRosters", "Segment", "StoredTeamRoster"]


class StoredTeamRoster(TeamRoster):
    """One team's assignment on one date, as stored: its segments (the core model) and the
    window and plan the store keeps beside them."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    plan_id: int


class DayRosters(DayRoster):
    """Every team roster on a date that the caller may see (``teams`` may be empty).

    An officer whose team is rostered that day but whose shifts are not yet released gets
    403 saying when they will be ("visible from 08:00"), not an empty list; ``teams`` is
    empty only when there is no roster for them that day.
    """

    teams: tuple[StoredTeamRoster, ...]
    plan_id: int | None
    more_from: dt.datetime | None = Field(
        default=None,
        description="officers: when the next of their team's shifts that day becomes "
        "visible (a later shift is still hidden); null when nothing more is to come",
    )


class PlanRosters(BaseModel):
    """Every day's rosters of one plan, as a planner downloads them (``GET
    /api/v1/plans/{id}/rosters``): one :class:`DayRosters` per planned day, oldest first,
    the rosters exactly as that plan drew them (a newer plan over the same day does not
    replace them here)."""

    plan_id: int
    days: list[DayRosters]
