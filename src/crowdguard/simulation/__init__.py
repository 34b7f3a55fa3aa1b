"""Season simulation: incidents, dispatch and response in virtual time (SimPy).

See ``docs/theory/respond.md`` for the model and a worked example.
"""

from __future__ import annotations

from crowdguard.simulation.incidents import (
    IncidentDraw,
    OnSceneMinutes,
    crowd_matrix,
    draw_incidents,
    exponential_on_scene,
    lognormal_on_scene,
)
from crowdguard.simulation.queueing import (
    MMCEstimate,
    erlang_b,
    erlang_c,
    mmc_mean_wait,
    simulate_mmc,
)
from crowdguard.simulation.season import (
    SeasonResult,
    VenueSummary,
    merge_rosters,
    simulate_season,
)

__all__ = [
    "IncidentDraw",
    "MMCEstimate",
    "OnSceneMinutes",
    "SeasonResult",
    "VenueSummary",
    "crowd_matrix",
    "draw_incidents",
    "erlang_b",
    "erlang_c",
    "exponential_on_scene",
    "lognormal_on_scene",
    "merge_rosters",
    "mmc_mean_wait",
    "simulate_mmc",
    "simulate_season",
]
