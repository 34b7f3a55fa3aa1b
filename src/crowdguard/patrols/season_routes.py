"""A season on the patrol graph: every day solved by :func:`~crowdguard.patrols.dayplan.plan_day`.

Teams start and end each shift at their base, so no route crosses midnight and the days are
independent games; they are solved in parallel worker processes (the standard library's
``concurrent.futures``: each day is a separate HiGHS model, so processes rather than threads
use both cores). Each day's answer is certified by ``plan_day``; :func:`certify_days` adds the
season's best response: the attacker picks the single target of the whole season with the
highest utility, ties broken for the defender (the Strong Stackelberg convention).

Unlike free placement (:mod:`crowdguard.patrols.planner`), the season value here is the
per-day optimum taken at the binding day: inducing the attack onto a gentler target of another
day would need a second MILP per day with the attacker's level fixed, which we do not solve.
The value reported is therefore the one an attacker who breaks ties against the defender would
also get.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from crowdguard.errors import CertificateFailed
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.sample import draw_roster
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.risk.payoffs import Targets, build_targets
from crowdguard.scenario.schema import Scenario

__all__ = ["DayResult", "certify_days", "solve_days"]

TOL = 1e-6


@dataclass(frozen=True)
class DayResult:
    """What the season keeps of a solved day (small enough to pass between processes)."""

    date: str
    target_ids: tuple[str, ...]
    coverage: np.ndarray
    response_probability: np.ndarray
    defender_utility: float
    attacker_utility: float
    attacked_target: str
    certificate: dict[str, Any]
    routes: dict[str, list[tuple[float, list[dict[str, Any]]]]]
    team_bases: dict[str, str]
    expected_visibility: float
    method: str
    seconds: float

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """One roster for this day (``secrets.SystemRandom()`` operationally)."""
        return draw_roster(self, rng)


def _solve_day(
    scenario: Scenario, day: dt.date, plan_gaps: Mapping[str, Mapping[str, float]] | None
) -> DayResult | None:
    targets = build_targets(scenario, days=[day], plan_gaps=plan_gaps)
    if len(targets) == 0:
        return None
    travel = straight_line_travel(places_of(scenario))
    solved = plan_day(scenario, day, targets, travel)
    return DayResult(
        date=solved.date,
        target_ids=solved.target_ids,
        coverage=np.asarray(solved.coverage, dtype=float),
        response_probability=np.asarray(solved.response_probability, dtype=float),
        defender_utility=solved.defender_utility,
        attacker_utility=solved.attacker_utility,
        attacked_target=solved.attacked_target,
        certificate=solved.certificate,
        routes=solved.routes,
        team_bases=solved.team_bases,
        expected_visibility=solved.expected_visibility,
        method=solved.method,
        seconds=solved.seconds,
    )


def solve_days(
    scenario: Scenario,
    days: Sequence[dt.date],
    plan_gaps: Mapping[str, Mapping[str, float]] | None,
    *,
    workers: int | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, DayResult]:
    """Solve every day with open venues; days with none are left out.

    ``workers``: processes to use (default: the machine's cores, at most the days); 1 solves
    in this process, which tests and debuggers prefer.
    """
    count = min(workers or os.cpu_count() or 1, len(days)) or 1
    results: dict[str, DayResult] = {}
    done = 0
    if count == 1:
        for day in days:
            result = _solve_day(scenario, day, plan_gaps)
            if result is not None:
                results[result.date] = result
            done += 1
            if progress is not None:
                progress(done / len(days), day.isoformat())
        return results
    with ProcessPoolExecutor(max_workers=count) as pool:
        futures = {pool.submit(_solve_day, scenario, day, plan_gaps): day for day in days}
        for future in as_completed(futures):
            result = future.result()
            if result is not None:
                results[result.date] = result
            done += 1
            if progress is not None:
                progress(done / len(days), futures[future].isoformat())
    return dict(sorted(results.items()))


def certify_days(
    targets: Targets, coverage: np.ndarray, days: Mapping[str, DayResult], *, tol: float = TOL
) -> dict[str, Any]:
    """The season's certificate: every day certified, and the season-wide best response.

    Raises :class:`CertificateFailed` when a day's certificate is missing or failed, or when
    the assembled coverage leaves [0, 1].
    """
    failed = [date for date, day in days.items() if not day.certificate.get("passed", False)]
    if failed:
        raise CertificateFailed(f"day certificate failed for {', '.join(failed)}")
    if not (np.all(coverage >= -tol) and np.all(coverage <= 1 + tol)):
        raise CertificateFailed("season coverage leaves [0, 1]")
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    defender = coverage * targets.defender_covered + (1 - coverage) * targets.defender_uncovered
    k = float(attacker.max())
    attack_set = np.flatnonzero(attacker >= k - tol)
    best = int(attack_set[np.argmax(defender[attack_set])])
    binding = sorted({targets.start[i].date().isoformat() for i in attack_set})
    return {
        "coverage_in_range": True,
        "days_certified": len(days),
        "binding_days": binding,
        "attack_set_size": int(attack_set.size),
        "tie_broken_for_defender": True,
        "attacker_utility": k,
        "defender_utility": float(defender[best]),
        "attacked_target": targets.ids[best],
        "tolerance": tol,
        "holds": True,
    }
