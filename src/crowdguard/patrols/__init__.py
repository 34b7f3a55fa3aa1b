"""crowdguard.patrols: patrols that real teams can walk.

Travel times, the time-expanded patrol graph, the flow SSE (``crowdguard.games.flow``),
routes and rosters, response time, visibility, overrides and the unpredictability audit.
``plan_day`` is the entry point for one day; ``docs/theory/patrols.md`` explains the theory.
"""

from __future__ import annotations

from crowdguard.patrols.audit import AuditResult, audit_rosters, load_rosters
from crowdguard.patrols.dayplan import DayPlan, plan_day
from crowdguard.patrols.overrides import Override
from crowdguard.patrols.sample import draw_roster
from crowdguard.patrols.travel import (
    Place,
    TravelTimes,
    places_of,
    road_graph_travel,
    straight_line_travel,
)
from crowdguard.patrols.whatifs import override_cost, visibility_tradeoff

__all__ = [
    "AuditResult",
    "DayPlan",
    "Override",
    "Place",
    "TravelTimes",
    "audit_rosters",
    "draw_roster",
    "load_rosters",
    "override_cost",
    "places_of",
    "plan_day",
    "road_graph_travel",
    "straight_line_travel",
    "visibility_tradeoff",
]
