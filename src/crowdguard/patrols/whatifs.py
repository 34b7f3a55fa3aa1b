"""What-ifs over one day's plan: what an override costs, and the price of being seen.

Both re-solve the day (:func:`crowdguard.patrols.dayplan.plan_day`) under a changed
constraint, so they sit above the day planner, while the constraints themselves
(:mod:`crowdguard.patrols.overrides`, :mod:`crowdguard.patrols.visibility`) sit below it.

* :func:`override_cost`: the ARMOR-style price of a pin or forbid (Pita et al., AAMAS 2008):
  defender utility, and predictability as the Shannon entropy of the team's route lottery.
* :func:`visibility_tradeoff`: the defender's equilibrium utility as the visibility floor
  rises from 0 to the most the teams can give (Project Servator, ``domain.md`` section 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.decompose import route_entropy
from crowdguard.patrols.graph import build_graph, flow_polytope
from crowdguard.patrols.overrides import Override
from crowdguard.patrols.visibility import PASS_BY, max_visibility

__all__ = ["override_cost", "visibility_tradeoff"]


def override_cost(
    scenario: Any,
    day: dt.date,
    targets: Any,
    travel: Any,
    overrides: Sequence[Override],
    **options: Any,
) -> dict[str, Any]:
    """Solve with and without ``overrides``; report the utility and predictability cost."""
    teams = sorted({o.team for o in overrides})
    before = plan_day(
        scenario, day, targets, travel, separate=teams, joint_rosters=False, **options
    )
    after = plan_day(scenario, day, targets, travel, overrides=overrides, **options)

    def entropy(plan: Any, team: str) -> float:
        return sum(route_entropy(r) for r in plan.team_route_lotteries(team))

    return {
        "overrides": [o.describe() for o in overrides],
        "defender_utility_before": before.defender_utility,
        "defender_utility_after": after.defender_utility,
        "utility_cost": before.defender_utility - after.defender_utility,
        "entropy_bits": {
            team: {"before": entropy(before, team), "after": entropy(after, team)} for team in teams
        },
        "presence": {
            o.describe(): {
                "before": before.presence(o.team, o.place, o.at),
                "after": after.presence(o.team, o.place, o.at),
            }
            for o in overrides
        },
    }


def _curve_point(
    scenario: Any, day: dt.date, targets: Any, travel: Any, floor: float
) -> tuple[float, float]:
    """Defender utility and expected visibility of the day solved with a visibility floor."""
    # a what-if of the equilibrium: no rosters are drawn from it, so no joint schedules
    plan = plan_day(
        scenario,
        day,
        targets,
        travel,
        visibility_floor=floor if floor > 0 else None,
        joint_rosters=False,
    )
    return plan.defender_utility, plan.expected_visibility


def visibility_tradeoff(
    scenario: Any,
    day: dt.date,
    targets: Any,
    travel: Any,
    *,
    points: int = 5,
    pass_by: float = PASS_BY,
    baseline: tuple[float, float] | None = None,
    workers: int = 1,
) -> list[dict[str, float]]:
    """Defender utility at visibility floors from 0 to the maximum (``points`` solves).

    ``baseline``: the day's ``(defender utility, expected visibility)`` without a floor, when
    already solved (the floor-0 point is then not solved again). ``workers`` > 1 solves the
    points in that many processes.
    """
    polytope = flow_polytope(build_graph(scenario, day, targets, travel))
    top = max_visibility(polytope, targets.crowd, pass_by)
    floors = [float(f) for f in np.linspace(0.0, top * (1 - 1e-6), points)]
    known = {0.0: baseline} if baseline is not None else {}
    todo = [f for f in floors if f not in known]
    if workers > 1 and len(todo) > 1:
        from crowdguard.workers import worker_pool

        with worker_pool(min(workers, len(todo))) as pool:
            solved = list(
                pool.map(
                    _curve_point,
                    *zip(*[(scenario, day, targets, travel, f) for f in todo], strict=True),
                )
            )
    else:
        solved = [_curve_point(scenario, day, targets, travel, f) for f in todo]
    known.update(zip(todo, solved, strict=True))
    return [
        {
            "visibility_floor": floor,
            "expected_visibility": known[floor][1],
            "defender_utility": known[floor][0],
        }
        for floor in floors
    ]
