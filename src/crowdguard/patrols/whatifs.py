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

__all__ = [
    "override_cost",
    "tradeoff_rows",
    "visibility_floors",
    "visibility_points",
    "visibility_tradeoff",
    "zero_floor",
]


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


def visibility_floors(
    scenario: Any, day: dt.date, targets: Any, travel: Any, *, points: int, pass_by: float = PASS_BY
) -> list[float]:
    """The curve's ``points`` visibility floors, from 0 to (just under) the most visibility
    the day's teams can give (one LP, :func:`~crowdguard.patrols.visibility.max_visibility`)."""
    polytope = flow_polytope(build_graph(scenario, day, targets, travel))
    top = max_visibility(polytope, targets.crowd, pass_by)
    return [float(f) for f in np.linspace(0.0, top * (1 - 1e-6), points)]


def visibility_points(
    scenario: Any,
    day: dt.date,
    targets: Any,
    travel: Any,
    *,
    points: int = 5,
    pass_by: float = PASS_BY,
    without_zero: bool = False,
    workers: int = 1,
) -> tuple[list[float], dict[float, tuple[float, float]]]:
    """The curve's floors (:func:`visibility_floors`) and ``(defender utility, expected
    visibility)`` of the day at each, except the zero floor with ``without_zero`` (the
    plan's own solution of the day gives it). ``workers`` > 1 solves the points in that many
    processes."""
    floors = visibility_floors(scenario, day, targets, travel, points=points, pass_by=pass_by)
    todo = [f for f in floors if not (without_zero and f == 0.0)]
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
    return floors, dict(zip(todo, solved, strict=True))


def tradeoff_rows(
    floors: Sequence[float], known: dict[float, tuple[float, float]]
) -> list[dict[str, float]]:
    """The curve as ``plan.json``'s ``visibility_tradeoff`` rows, one per floor."""
    return [
        {
            "visibility_floor": floor,
            "expected_visibility": known[floor][1],
            "defender_utility": known[floor][0],
        }
        for floor in floors
    ]


def zero_floor(scenario: Any, day: dt.date, targets: Any, travel: Any) -> tuple[float, float]:
    """The curve's zero floor: the day solved without a floor (and without joint rosters)."""
    return _curve_point(scenario, day, targets, travel, 0.0)


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
    floors, known = visibility_points(
        scenario,
        day,
        targets,
        travel,
        points=points,
        pass_by=pass_by,
        without_zero=baseline is not None,
        workers=workers,
    )
    if baseline is not None:
        known[0.0] = baseline
    return tradeoff_rows(floors, known)
