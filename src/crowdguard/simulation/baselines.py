"""Patrol plans to compare the Stackelberg plan against, on equal resources.

Every plan here is a **coverage vector** over the same targets (venue x slot, from
:func:`crowdguard.risk.payoffs.build_targets`) using the same teams in every slot: in slot
``s`` the coverage of its targets is each in [0, 1] and sums to at most ``m_s``, the teams
on duty (:func:`crowdguard.patrols.planner.slot_teams_for`). Only *where* the teams go
differs. This is the comparison of the security-games field trials, where the game plan is
judged against uniform random and hand-made schedules with the same officers (Pita et al.,
"Deployed ARMOR protection", AAMAS 2008; Shieh et al., "PROTECT", AAMAS 2012, section 6).

Worked example, one slot with two teams and three open venues whose expected crowds are
6,000, 3,000 and 1,000:

* ``uniform`` spreads the two teams evenly: 2/3 each.
* ``footfall`` is proportional to the crowd, ``lambda x crowd``: with ``lambda = 2/10,000``
  the first venue would get 1.2, so it is capped at 1 and the remaining team is re-spread
  over the others in proportion, 3/4 and 1/4 (*water-filling*, Boyd & Vandenberghe,
  *Convex Optimization*, 2004, example 5.2).
* ``rota`` is what a planner writes by hand: the two venues of highest risk at that weekday
  and hour get a team every week, 1, 1, 0, the same each week (deterministic).
* ``optimal`` is the planner's Strong Stackelberg Equilibrium
  (:func:`crowdguard.pipeline.make_plan`): by default the **routes** plan a
  planner gets from ``crowdguard plan`` (teams drive between venues and back to base), or
  on request (``mode="free"``) the free placement of each slot's teams, whose coverage no
  routes can beat but which teams may not be able to drive.

Rosters for the random plans are drawn with
:func:`crowdguard.patrols.planner.draw_rosters` (randomised systematic sampling); the
routes plan's are drawn from its own route decomposition, as ``crowdguard plan`` draws them;
the rota's rosters are its fixed assignment, the same every week.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from crowdguard.errors import InputError
from crowdguard.patrols.allocation import water_fill
from crowdguard.patrols.options import PlanOptions
from crowdguard.patrols.planner import draw_rosters
from crowdguard.patrols.roster import DayRoster
from crowdguard.patrols.season import slot_teams_for
from crowdguard.patrols.season_routes import DayOptions
from crowdguard.pipeline import PlanInputs, make_plan
from crowdguard.risk.payoffs import Targets
from crowdguard.scenario.schema import Scenario

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "PLAN_NAMES",
    "PlanCoverage",
    "build_plan",
    "footfall_coverage",
    "plan_rosters",
    "rota_coverage",
    "uniform_coverage",
    "water_fill",
]

FloatArray = npt.NDArray[np.float64]
PLAN_NAMES = ("optimal", "uniform", "footfall", "rota")


@dataclass(frozen=True)
class PlanCoverage:
    """One plan over a season's targets: its coverage and the teams per slot it used.

    ``deterministic`` plans (the rota) always give the same rosters; the others are drawn.
    """

    name: str
    scenario: Scenario
    targets: Targets
    coverage: FloatArray
    slot_teams: list[list[str]]
    days: list[dt.date]
    deterministic: bool
    day_plans: dict[str, Any] | None = None
    """The routes plan's solved days (:class:`~crowdguard.patrols.season_routes.DayResult`),
    whose ``draw`` gives its rosters; None: rosters drawn from the coverage."""


def _slot_members(targets: Targets) -> list[npt.NDArray[np.intp]]:
    n_slots = len(targets.slot_starts)
    order = np.argsort(targets.slot, kind="stable")
    bounds = np.searchsorted(targets.slot[order], np.arange(n_slots + 1))
    return [order[bounds[s] : bounds[s + 1]] for s in range(n_slots)]


def uniform_coverage(targets: Targets, slot_teams: Sequence[Sequence[str]]) -> FloatArray:
    """Each slot's teams spread evenly over its open venues: ``min(1, m_s / n_s)`` each."""
    coverage = np.zeros(len(targets))
    for s, members in enumerate(_slot_members(targets)):
        if members.size:
            coverage[members] = min(1.0, len(slot_teams[s]) / members.size)
    return coverage


def footfall_coverage(targets: Targets, slot_teams: Sequence[Sequence[str]]) -> FloatArray:
    """Each slot's teams in proportion to expected crowd, capped at 1 (:func:`water_fill`)."""
    coverage = np.zeros(len(targets))
    for s, members in enumerate(_slot_members(targets)):
        if members.size:
            coverage[members] = water_fill(targets.crowd[members], len(slot_teams[s]))
    return coverage


def _local(targets: Targets, zone: ZoneInfo) -> list[dt.datetime]:
    return [start.astimezone(zone) for start in targets.start]


def rota_coverage(
    targets: Targets, slot_teams: Sequence[Sequence[str]], *, timezone: str = "Europe/London"
) -> FloatArray:
    """A fixed weekly rota: 0/1 coverage, the same venues at the same weekday and hour.

    What a planner writes by hand: for each (weekday, time of day) the venues are ranked
    once by their mean risk at that weekday and time over the season, and in every slot
    the teams on duty go to the highest-ranked venues that are open. The ranking does not
    change from week to week, so neither do the patrols (unless a venue opens or closes,
    or the number of teams changes).
    """
    zone = ZoneInfo(timezone)
    local = _local(targets, zone)
    keys = [(t.weekday(), t.time()) for t in local]
    totals: dict[tuple[int, dt.time, str], list[float]] = {}
    for i, key in enumerate(keys):
        totals.setdefault((*key, targets.venue[i]), []).append(float(targets.risk[i]))
    score = {k: float(np.mean(v)) for k, v in totals.items()}
    coverage = np.zeros(len(targets))
    for s, members in enumerate(_slot_members(targets)):
        teams = len(slot_teams[s])
        if not members.size or teams == 0:
            continue
        ranked = sorted(
            (int(i) for i in members),
            key=lambda i: (-score[(*keys[i], targets.venue[i])], targets.venue[i]),
        )
        coverage[ranked[:teams]] = 1.0
    return coverage


class _FixedOrder(random.Random):
    """A stand-in generator that never reorders: the rota's teams keep a fixed order.

    With 0/1 coverage, systematic sampling picks the covered venues whatever its draw;
    without shuffling, the teams are matched to them in call-sign order, so the rota's
    rosters are the same every week.
    """

    def shuffle(self, x: MutableSequence[Any]) -> None:
        return None


def build_plan(
    name: str,
    scenario: Scenario,
    *,
    days: int | Sequence[dt.date] | None = None,
    targets: Targets | None = None,
    progress: Callable[[float, str], None] | None = None,
    mode: Literal["routes", "free"] = "routes",
    security_plans: Mapping[str, SecurityPlan] | None = None,
) -> PlanCoverage:
    """The coverage of plan ``name`` (one of :data:`PLAN_NAMES`) over the scenario's season.

    ``progress(fraction, label)`` is called while the planner solves (the planning
    pipeline, :func:`crowdguard.pipeline.make_plan`, without its what-ifs); ``mode`` is the
    optimal plan's: the routes plan (default) or free placement. ``security_plans``: the
    venues' linked plans as the loader read them (``None``: read here from the scenario).

    ``days`` limits the horizon as in :class:`crowdguard.patrols.options.PlanOptions`;
    ``targets`` may be passed to reuse the optimal plan's (they must be the scenario's over
    ``days``); without them the planner builds them, so every plan faces the same game.
    """
    if name not in PLAN_NAMES:
        raise InputError(f"--plans: unknown plan {name!r}; expected one of {', '.join(PLAN_NAMES)}")
    if name == "optimal" or targets is None:
        # The planner builds the targets (risk model, linked security plans) and solves them;
        # baselines without given targets reuse exactly those, so all plans face one game.
        if mode not in ("routes", "free"):
            raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
        inputs = (
            PlanInputs.read(scenario)
            if security_plans is None
            else PlanInputs(scenario, security_plans)
        )
        options = PlanOptions(
            seed=0,
            days=days,
            mode=mode if name == "optimal" else "free",
            # the comparison reads the coverage and harms only: no what-ifs, and the
            # operational limits (if any) bind without being priced
            routes=DayOptions(price_limits=False),
            what_ifs=False,
        )
        plan = make_plan(inputs, options, progress=progress)
        if name == "optimal":
            return PlanCoverage(
                name=name,
                scenario=scenario,
                targets=plan.targets,
                coverage=np.asarray(plan.coverage, dtype=np.float64),
                slot_teams=plan.slot_teams,
                days=plan.days,
                deterministic=False,
                day_plans=dict(plan.day_plans) if plan.mode == "routes" else None,
            )
        targets, chosen = plan.targets, plan.days
    else:
        chosen = _chosen_days(scenario, days)
    slot_teams = slot_teams_for(scenario, targets)
    if name == "uniform":
        coverage = uniform_coverage(targets, slot_teams)
    elif name == "footfall":
        coverage = footfall_coverage(targets, slot_teams)
    else:
        coverage = rota_coverage(targets, slot_teams, timezone=scenario.timezone)
    return PlanCoverage(
        name=name,
        scenario=scenario,
        targets=targets,
        coverage=coverage,
        slot_teams=slot_teams,
        days=chosen,
        deterministic=name == "rota",
    )


def _chosen_days(scenario: Scenario, days: int | Sequence[dt.date] | None) -> list[dt.date]:
    if days is None:
        return list(scenario.days)
    if isinstance(days, int):
        if days < 1:
            raise InputError(f"--days must be at least 1, got {days}")
        return list(scenario.days[:days])
    return sorted(set(days))


def plan_rosters(plan: PlanCoverage, *, rng: random.Random) -> dict[str, DayRoster]:
    """Daily rosters (``rosters/YYYY-MM-DD.json`` contract) for a plan.

    Drawn plans use ``rng`` (``random.Random(seed)`` in simulation); the rota ignores it and
    returns its fixed assignment.
    """
    if plan.day_plans is not None:
        return {
            day.isoformat(): plan.day_plans[day.isoformat()].draw(rng)
            if day.isoformat() in plan.day_plans
            else DayRoster.of(day, ())
            for day in plan.days
        }
    source = _FixedOrder(0) if plan.deterministic else rng
    return draw_rosters(
        plan.scenario, plan.targets, plan.coverage, plan.slot_teams, rng=source, days=plan.days
    )
