"""The planner's options: one frozen object, checked once, for every caller.

``crowdguard plan``, the API's plan jobs, the simulator and the sweep all plan through
:func:`crowdguard.pipeline.make_plan` with a :class:`PlanOptions`; the routes-mode knobs
(overrides, variant cap, floors, tie rule) are the days' own
:class:`~crowdguard.patrols.season_routes.DayOptions`, carried whole in ``routes`` so a new
constraint on the days is one new field there, not a new argument in four places.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from crowdguard.errors import PlanError
from crowdguard.patrols.season_routes import DayOptions

__all__ = ["PlanOptions"]


@dataclass(frozen=True)
class PlanOptions:
    """What to plan and how; every field has the default ``crowdguard plan`` uses.

    ``seed``: makes the roster draws reproducible (``None``: drawn with ``secrets``).
    ``days``: the first K days (an int), the named dates (a sequence), or the whole period.
    ``mode``: ``"routes"`` (walkable routes on the patrol graph, day by day in ``workers``
    processes; ``None``: all cores) or ``"free"`` (teams placed per slot).
    ``routes``: the routes-mode options of every day (overrides, ``max_variants``,
    ``response_floor``, ``visibility_floor``, the tie rule); only the defaults are allowed
    in free mode.
    ``security_plans``: let the venues' security plans (linked or submitted) scale the risk
    (:mod:`crowdguard.risk.plan_gaps`), reviewed on ``review_on`` (default: today).
    ``what_ifs``: also solve the plan's what-ifs for ``plan.json`` and the report: the price
    of visibility on ``visibility_day`` (default: the riskiest day; ``visibility_points``
    floors, routes mode) and each weak security plan's counterfactual
    (:mod:`crowdguard.plans.influence`). The sweep and the simulator turn them off: they
    read only the coverage and the harms.
    """

    seed: int | None = None
    days: int | Sequence[dt.date] | None = None
    mode: Literal["routes", "free"] = "routes"
    workers: int | None = None
    routes: DayOptions = field(default_factory=DayOptions)
    security_plans: bool = True
    review_on: dt.date | None = None
    what_ifs: bool = True
    visibility_points: int = 4
    visibility_day: dt.date | None = None

    def __post_init__(self) -> None:
        if isinstance(self.days, Sequence):  # lists from callers; a tuple keeps it hashable
            object.__setattr__(self, "days", tuple(self.days))
        self.check()

    def check(self) -> None:
        """:class:`PlanError` naming the option and what was expected (no scenario needed)."""
        if self.mode not in ("routes", "free"):
            raise PlanError(f"--mode {self.mode!r}: expected 'routes' or 'free'")
        if isinstance(self.days, int) and not isinstance(self.days, bool) and self.days < 1:
            raise PlanError(f"--days must be at least 1, got {self.days}")
        if self.workers is not None and self.workers < 1:
            raise PlanError(f"--workers {self.workers}: expected a whole number >= 1")
        if self.visibility_points < 0:
            raise PlanError(f"visibility_points={self.visibility_points}: expected >= 0")
        day = self.routes
        if day.tie not in ("robust", "strong"):
            raise PlanError(f"--tie {day.tie!r}: expected 'robust' or 'strong'")
        if not (0 <= day.tie_margin < 1):
            raise PlanError(f"--tie-margin {day.tie_margin}: expected a share from 0 to below 1")
        if self.mode == "free" and day.any():
            raise PlanError(
                "overrides, max_variants, response_floor and visibility_floor need routes "
                "mode: drop --mode free (they constrain walkable routes on the patrol graph)"
            )
        if day.max_variants is not None and day.max_variants < 1:
            raise PlanError(f"max_variants={day.max_variants}: expected a whole number >= 1")
        if day.response_floor is not None and not 0 < day.response_floor < 1:
            raise PlanError(
                f"response_floor={day.response_floor}: expected a probability strictly "
                "between 0 and 1"
            )
        if day.visibility_floor is not None and not (
            math.isfinite(day.visibility_floor) and day.visibility_floor >= 0
        ):
            raise PlanError(
                f"visibility_floor={day.visibility_floor}: expected shoppers per day >= 0"
            )
