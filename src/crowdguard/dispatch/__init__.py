"""Dispatch: the unit/task state machine and the nearest-suitable-unit recommender.

Pure core: no database, no web framework. See ``docs/theory/respond.md``.
"""

from __future__ import annotations

from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    MissedPatrol,
    PlacedSegment,
    Position,
    Recommendation,
    TravelMinutes,
    matrix_travel,
    place_segments,
    position_at,
    recommend,
    straight_line_travel,
)
from crowdguard.dispatch.states import (
    TASK_TRANSITIONS,
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
from crowdguard.patrols.roster import DayRoster, parse_roster  # the one roster type

__all__ = [
    "TASK_TRANSITIONS",
    "UNIT_TRANSITIONS",
    "DayRoster",
    "DispatchUnit",
    "LatLon",
    "MissedPatrol",
    "PlacedSegment",
    "Position",
    "Recommendation",
    "Task",
    "TaskState",
    "TransitionEvent",
    "TravelMinutes",
    "Unit",
    "UnitState",
    "arrive",
    "assign",
    "close_task",
    "matrix_travel",
    "parse_roster",
    "place_segments",
    "position_at",
    "recommend",
    "release",
    "straight_line_travel",
    "transition_task",
    "transition_unit",
]
