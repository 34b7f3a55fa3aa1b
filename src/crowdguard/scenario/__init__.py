"""Scenarios: the season a force plans for, its schema, its loader and the embedded demo.

>>> from crowdguard.scenario import demo_scenario
>>> scenario = demo_scenario()
>>> scenario.threat_level.value
'SUBSTANTIAL'
"""

from __future__ import annotations

from crowdguard.scenario.load import demo_path, demo_scenario, load_scenario, parse_scenario
from crowdguard.scenario.schema import (
    Base,
    Mitigations,
    OpeningHours,
    PatrolPolicy,
    Scenario,
    Shift,
    Team,
    TeamKind,
    ThreatLevel,
    TimeRange,
    Venue,
    VenueKind,
    Weekday,
)

__all__ = [
    "Base",
    "Mitigations",
    "OpeningHours",
    "PatrolPolicy",
    "Scenario",
    "Shift",
    "Team",
    "TeamKind",
    "ThreatLevel",
    "TimeRange",
    "Venue",
    "VenueKind",
    "Weekday",
    "demo_path",
    "demo_scenario",
    "load_scenario",
    "parse_scenario",
]
