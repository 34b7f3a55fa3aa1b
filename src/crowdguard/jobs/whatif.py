"""What a planner's override would cost, before it is applied.

ARMOR's users asked to add or suppress a patrol by hand, and were warned when that made the
schedule predictable (Pita et al., "Deployed ARMOR protection", AAMAS 2008; ``domain.md``
section 9, item 4). :func:`price_overrides` solves the override's day twice with the
season planner's own machinery (the planning pipeline, :func:`crowdguard.pipeline.make_plan`,
with the overrides in its ``PlanOptions``, which re-solves the day without them for the baseline,
:mod:`crowdguard.patrols.overrides`) and returns :meth:`PatrolPlan.override_rows`: the
defender utility the day loses, the team's route entropy before and after (bits; 0 = an
observer knows its whole day), and the team's presence at the place in that slot before and
after (1 after a pin: anyone who learns of the pin knows where the team is).

Nothing is stored and no roster is returned; one what-if runs at a time (a day's two solves
take seconds on the demo), a second is refused until the first ends.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from crowdguard.errors import InputError
from crowdguard.patrols.season_routes import DatedOverride
from crowdguard.scenario.schema import Scenario

__all__ = ["MAX_OVERRIDES", "BusyError", "price_overrides"]

MAX_OVERRIDES = 4
"""Most overrides priced together (all on one day)."""
_ONE_AT_A_TIME = threading.Semaphore(1)


class BusyError(InputError):
    """Another what-if is being solved; try again when it ends."""


def price_overrides(scenario: Scenario, overrides: Sequence[DatedOverride]) -> list[dict[str, Any]]:
    """Each override's cost on its day (all overrides must be on the same day, solved
    together as :func:`crowdguard.pipeline.make_plan` would apply them)."""
    if not overrides:
        raise InputError("overrides: name at least one pin or forbid to price")
    if len(overrides) > MAX_OVERRIDES:
        raise InputError(f"overrides: at most {MAX_OVERRIDES} at a time, got {len(overrides)}")
    days = sorted({o.day for o in overrides})
    if len(days) > 1:
        raise InputError(
            "overrides: price one day at a time (each day is solved on its own), got "
            + ", ".join(d.isoformat() for d in days)
        )
    if not _ONE_AT_A_TIME.acquire(blocking=False):
        raise BusyError("another override is being priced; try again in a few seconds")
    try:
        # the solvers load on first use
        from crowdguard.pipeline import DayOptions, PlanInputs, PlanOptions, make_plan

        options = PlanOptions(
            days=days,
            workers=1,
            routes=DayOptions(overrides=tuple(overrides), price_limits=False),
            what_ifs=False,
        )
        plan = make_plan(PlanInputs.read(scenario), options)
        return plan.override_rows()
    finally:
        _ONE_AT_A_TIME.release()
