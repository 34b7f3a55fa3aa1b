"""What-if sweeps on Dask: expected harm and response against deployment, per threat level.

``crowdguard sweep SCENARIO --teams 2:40 --threat SUBSTANTIAL,SEVERE,CRITICAL --seeds 200
--out DIR`` runs the planner and the season simulator over a grid of team counts and threat
levels (:mod:`crowdguard.sweep.grid`), one task per grid point and seed
(:mod:`crowdguard.sweep.task`), on a local Dask cluster or an existing one
(:mod:`crowdguard.sweep.runner`), and writes tidy results, figures and the proportionality
point of each threat level (:mod:`crowdguard.sweep.proportion`). See
``docs/howto/run-a-sweep.md`` and ``docs/scaling.md``.

>>> from crowdguard.sweep import parse_teams, parse_threats
>>> parse_teams("2:6:2"), [t.value for t in parse_threats("severe,SUBSTANTIAL")]
([2, 4, 6], ['SUBSTANTIAL', 'SEVERE'])
"""

from __future__ import annotations

from crowdguard.sweep.grid import (
    GridPoint,
    cycle_order,
    parse_teams,
    parse_threats,
    team_hours,
    vary,
)
from crowdguard.sweep.proportion import (
    HARM_METRICS,
    CurvePoint,
    Proportionality,
    Threshold,
    TodayOnCurve,
    curve,
    marginal_point,
    parse_threshold,
    proportionality,
    where_today,
)
from crowdguard.sweep.results import COLUMNS, read_results
from crowdguard.sweep.run import SweepOutcome, run_sweep
from crowdguard.sweep.runner import DaskBackend, SerialBackend, SweepEvent, SweepRun, TaskFailure
from crowdguard.sweep.task import (
    PointPlan,
    SweepContext,
    SweepOptions,
    build_context,
    simulate_seed,
    solve_point,
)

__all__ = [
    "COLUMNS",
    "HARM_METRICS",
    "CurvePoint",
    "DaskBackend",
    "GridPoint",
    "PointPlan",
    "Proportionality",
    "SerialBackend",
    "SweepContext",
    "SweepEvent",
    "SweepOptions",
    "SweepOutcome",
    "SweepRun",
    "TaskFailure",
    "Threshold",
    "TodayOnCurve",
    "build_context",
    "curve",
    "cycle_order",
    "marginal_point",
    "parse_teams",
    "parse_threats",
    "parse_threshold",
    "proportionality",
    "read_results",
    "run_sweep",
    "simulate_seed",
    "solve_point",
    "team_hours",
    "vary",
    "where_today",
]
