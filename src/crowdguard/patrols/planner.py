"""The season planner's solve: scenario and options -> coverage, equilibrium, secret rosters.

The solve step of the planning pipeline (:func:`crowdguard.pipeline.make_plan`, which every
caller uses: the CLI, the API's plan jobs, the simulator and the sweep). It is pure: it takes
a :class:`~crowdguard.scenario.schema.Scenario`, a
:class:`~crowdguard.patrols.options.PlanOptions` and the reviewed security plans as data,
and returns a frozen :class:`PatrolPlan`; reading files is the shells' job, writing them the
CLI's (:mod:`crowdguard.report.output`).

Two ways to place the teams:

* **free placement** (``mode="free"``): the season game of :mod:`crowdguard.patrols.season`
  (per-slot ORIGAMI joined into the season's Strong Stackelberg optimum), rosters drawn per
  slot by randomised systematic sampling (:mod:`crowdguard.patrols.systematic`) so each day
  reproduces the coverage exactly in expectation;
* **routes** (the default): walkable routes from and back to each team's base on the patrol
  graph, day by day (:mod:`crowdguard.patrols.season_routes`), ties between days broken by
  :func:`~crowdguard.patrols.season_routes.break_season_ties`.

Security plans feed the risk: the venues' reviewed plans
(:func:`crowdguard.risk.plan_gaps.review_linked`) give vulnerability multipliers that scale
their consequence (``plan_gaps`` of :func:`~crowdguard.risk.payoffs.build_targets`), so
patrols shift toward weak plans; :func:`crowdguard.plans.influence.plan_influence` says by how
much.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from crowdguard import __version__
from crowdguard.errors import PlanError, did_you_mean
from crowdguard.games.flow_pruned import WarmStarts
from crowdguard.patrols.options import PlanOptions
from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster
from crowdguard.patrols.season import (
    TOL,
    certify_season,
    chosen_days,
    season_coverage,
    season_targets,
    slot_teams_for,
    solve_season,
    teams_on_duty,
)
from crowdguard.patrols.season_routes import (
    DayOptions,
    DayResult,
    break_season_ties,
    certify_days,
    solve_days,
)
from crowdguard.patrols.systematic import systematic_sample
from crowdguard.patrols.travel import TravelTimes, places_of
from crowdguard.risk.payoffs import Targets
from crowdguard.risk.plan_gaps import LinkedPlan
from crowdguard.scenario.schema import Scenario

if TYPE_CHECKING:
    from crowdguard.plans.influence import Influence

__all__ = [
    "PatrolPlan",
    "certify_season",
    "check_scenario_options",
    "draw_rosters",
    "make_rng",
    "season_coverage",
    "slot_teams_for",
    "solve_plan",
    "teams_on_duty",
]

ProgressCallback = Callable[[float, str], None]


def make_rng(seed: int | None) -> random.Random:
    """The randomness for rosters: ``secrets`` unless the user asked for a seed."""
    if seed is None:
        return secrets.SystemRandom()
    return random.Random(seed)


@dataclass(frozen=True)
class PatrolPlan:
    """A solved season: coverage per target, the equilibrium, and the drawn rosters."""

    scenario: Scenario
    targets: Targets
    coverage: np.ndarray
    slot_teams: list[list[str]]
    defender_utility: float
    attacker_utility: float
    attacked_target: str
    attack_set: list[str]
    certificate: dict[str, Any]
    solver: str
    seconds: float
    seeded: bool
    days: list[dt.date]
    _rosters: dict[str, DayRoster] = field(default_factory=dict, repr=False)
    plan_gaps: dict[str, dict[str, float]] = field(default_factory=dict)
    """The security-plan multipliers the risk model used, per venue and attack mode."""
    linked_plans: dict[str, LinkedPlan] = field(default_factory=dict, repr=False)
    """The reviews behind ``plan_gaps`` (when they came from the scenario's linked plans)."""
    influences: dict[str, Influence] = field(default_factory=dict, repr=False)
    """Per venue, the plan's effect on coverage (the pipeline's security-plan what-ifs)."""
    mode: Literal["routes", "free"] = "free"
    """``routes``: walkable routes on the patrol graph; ``free``: teams placed per slot."""
    response: np.ndarray | None = field(default=None, repr=False)
    """Per target, the probability a team is within the response target (routes mode)."""
    day_plans: dict[str, DayResult] = field(default_factory=dict, repr=False)
    """Per date, the solved day on the patrol graph (routes mode)."""
    options: DayOptions = field(default_factory=DayOptions)
    """The planner's options the days were solved with (overrides, floors, variant cap)."""
    visibility_tradeoff: list[dict[str, float]] = field(default_factory=list, repr=False)
    """Defender utility against a visibility floor on one day (the pipeline's what-if,
    :func:`crowdguard.patrols.whatifs.visibility_tradeoff`)."""
    visibility_tradeoff_day: dt.date | None = None
    travel: TravelTimes | None = field(default=None, repr=False)
    """The travel model the routes were planned on (``None``: the straight-line default)."""
    travel_model: str = "straight-line"
    """How ``travel`` was made, for ``plan.json`` (``road graph FILE`` or ``straight-line``)."""
    on_sweep: dict[str, Any] | None = field(default=None, repr=False)
    """Where this deployment sits on a sweep of its scenario (``plan.json``'s
    ``proportionality``; :func:`crowdguard.sweep.proportion.place_on_sweep`), when one was
    given."""

    def worst_tie_defender_utility(self) -> float:
        """The defender utility if the attacker breaks every tie against us: the least
        defender utility over the season's attack set (issue 10; An et al., AAAI 2011)."""
        if "worst_tie_defender_utility" in self.certificate:
            return float(self.certificate["worst_tie_defender_utility"])
        targets = self.targets
        attacker = (
            self.coverage * targets.attacker_covered
            + (1 - self.coverage) * targets.attacker_uncovered
        )
        defender = (
            self.coverage * targets.defender_covered
            + (1 - self.coverage) * targets.defender_uncovered
        )
        ties = attacker >= float(attacker.max()) - TOL
        return float(defender[ties].min())

    def implementation_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``rosters_implementation``: per day, whether the rosters are drawn
        from joint schedules that deliver the certified coverage exactly
        (:mod:`crowdguard.patrols.joint`), how many, and the gaps when they cannot."""
        keys = (
            "joint_rosters",
            "joint_exact",
            "joint_schedules",
            "protection_gap",
            "implementation_gap",
        )
        return [
            {"date": date, **{k: day.certificate.get(k) for k in keys}}
            for date, day in self.day_plans.items()
        ]

    def override_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``overrides``: each pin or forbid and what it cost (ARMOR-style).

        ``utility_cost`` is the defender utility its day lost to all of that day's overrides
        (solved together); ``entropy_before``/``entropy_after`` are the team's route entropy
        in bits (0: an observer knows the team's whole day).
        """
        rows = []
        for day in self.day_plans.values():
            for cost in day.override_costs:
                rows.append(
                    {
                        key: round(value, 6) if isinstance(value, float) else value
                        for key, value in cost.items()
                    }
                )
        return rows

    def variants_cost(self) -> float | None:
        """Defender utility the ``max_variants`` cap cost, summed over the days (or ``None``)."""
        costs = [d.variants_cost for d in self.day_plans.values() if d.variants_cost is not None]
        return float(sum(costs)) if costs else None

    def visibility_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``visibility``: expected shoppers passing a patrol, per day."""
        return [
            {"date": date, "expected_shoppers": round(day.expected_visibility, 1)}
            for date, day in self.day_plans.items()
        ]

    def plan_review_rows(self) -> list[dict[str, Any]]:
        """``plan.json``'s ``plan_reviews``: one row per venue with a linked security plan.

        ``mean_coverage_if_resolved`` and ``patrol_hours_delta`` are ``None`` until the
        counterfactual has been solved (the pipeline's what-ifs, :mod:`crowdguard.plans.influence`).
        """
        venues = np.array(self.targets.venue)
        rows = []
        for venue_id, link in self.linked_plans.items():
            index = np.flatnonzero(venues == venue_id)
            influence = self.influences.get(venue_id)
            mean = float(self.coverage[index].mean()) if index.size else 0.0
            rows.append(
                {
                    "venue": venue_id,
                    "event": link.review.event,
                    "tier": str(link.review.tier),
                    "verdict": link.review.legal_verdict,
                    "source": link.source,
                    "findings_moving_risk": link.findings_moving_risk,
                    "multipliers": dict(link.multipliers),
                    "mean_coverage": round(mean, 6),
                    # the what-if's change (solved under free placement, see plans.influence)
                    # applied to this plan's own coverage
                    "mean_coverage_if_resolved": None
                    if influence is None
                    else round(
                        min(
                            1.0,
                            max(
                                0.0,
                                mean
                                + influence.mean_coverage_if_resolved
                                - influence.mean_coverage,
                            ),
                        ),
                        6,
                    ),
                    "patrol_hours_delta": None
                    if influence is None
                    else round(influence.patrol_hours_delta, 3),
                    "influence_mode": "free-placement"
                    if self.mode == "free"
                    else "free-placement estimate applied to routes",
                }
            )
        return rows

    def plan_json(self) -> dict[str, Any]:
        """The ``plan.json`` contract (design.md): utilities and coverage per venue and slot."""
        targets = self.targets
        return {
            "scenario": self.scenario.id,
            "scenario_name": self.scenario.name,
            "version": __version__,
            "solver": self.solver,
            "mode": "routes" if self.mode == "routes" else "free-placement",
            "threat_level": str(self.scenario.threat_level),
            "period": {"start": self.days[0].isoformat(), "end": self.days[-1].isoformat()},
            "defender_utility": self.defender_utility,
            "worst_tie_defender_utility": self.worst_tie_defender_utility(),
            "tie_rule": self.options.tie,
            "price_of_robustness": self.certificate.get("price_of_robustness"),
            "attacker_utility": self.attacker_utility,
            "attacked_target": self.attacked_target,
            "attack_set": self.attack_set,
            "certificate": self.certificate,
            "seed": "user-seed" if self.seeded else "secrets",
            "seconds": round(self.seconds, 3),
            "travel_model": self.travel_model,
            "rosters_implementation": self.implementation_rows(),
            "protection_model": {
                "min_dwell_minutes": self.scenario.patrol.min_dwell_minutes,
                "slot_minutes": self.scenario.slot_minutes,
                "team_effectiveness": {
                    t.callsign: self.scenario.patrol.kinds()[t.kind].effectiveness
                    for t in self.scenario.teams
                    if t.kind in self.scenario.patrol.kinds()
                },
            },
            "teams_per_slot": [
                {"start": s.isoformat(), "teams": len(teams)}
                for s, teams in zip(targets.slot_starts, self.slot_teams, strict=True)
            ],
            "coverage": [
                {
                    "venue": targets.venue[i],
                    "start": targets.start[i].isoformat(),
                    "end": targets.end[i].isoformat(),
                    "coverage": round(float(self.coverage[i]), 6),
                    "risk": round(float(targets.risk[i]), 3),
                    **(
                        {}
                        if self.response is None
                        else {"response_probability": round(float(self.response[i]), 6)}
                    ),
                }
                for i in range(len(targets))
            ],
            "response_by_venue": self.response_by_venue(),
            "plan_reviews": self.plan_review_rows(),
            "options": {
                "max_variants": self.options.max_variants,
                "response_floor": self.options.response_floor,
                "response_min_crowd": self.options.response_min_crowd,
                "visibility_floor": self.options.visibility_floor,
            },
            "response_floor_check": self.response_floor_check(),
            "overrides": self.override_rows(),
            "variants_cost": self.variants_cost(),
            "variants_cost_by_day": [
                {"date": date, "utility_cost": round(day.variants_cost, 6)}
                for date, day in self.day_plans.items()
                if day.variants_cost is not None
            ],
            "visibility": self.visibility_rows(),
            "proportionality": self.on_sweep,
            "visibility_tradeoff": {
                "date": None
                if self.visibility_tradeoff_day is None
                else self.visibility_tradeoff_day.isoformat(),
                "points": self.visibility_tradeoff,
            },
        }

    def response_by_venue(self) -> list[dict[str, Any]]:
        """Per venue, the mean and worst probability of a team within the response target."""
        if self.response is None:
            return []
        venues = np.array(self.targets.venue)
        rows = []
        for venue in self.scenario.venues:
            index = np.flatnonzero(venues == venue.id)
            if index.size:
                rows.append(
                    {
                        "venue": venue.id,
                        "target_minutes": self.scenario.patrol.response_target_minutes,
                        "mean_probability": round(float(self.response[index].mean()), 4),
                        "min_probability": round(float(self.response[index].min()), 4),
                    }
                )
        return rows

    def response_floor_check(self) -> dict[str, Any] | None:
        """How the response floor came out: ``None`` without one (or in free mode).

        ``venue_slots``: targets the floor bound (crowd at least ``min_crowd`` and a team on
        shift in the slot); ``lowest``: the smallest chance a team is within reach there.
        """
        floor = self.options.response_floor
        if floor is None or self.response is None:
            return None
        on_shift = np.array([len(self.slot_teams[s]) > 0 for s in self.targets.slot.tolist()])
        bound = on_shift & (self.targets.crowd >= self.options.response_min_crowd)
        return {
            "floor": floor,
            "min_crowd": self.options.response_min_crowd,
            "target_minutes": self.scenario.patrol.response_target_minutes,
            "venue_slots": int(bound.sum()),
            "lowest": round(float(self.response[bound].min()), 4) if bound.any() else None,
        }

    def travel_times(self) -> TravelTimes:
        """The travel model of the plan: the road graph given, else the straight-line model."""
        from crowdguard.patrols.travel import scenario_travel

        return self.travel or scenario_travel(self.scenario)

    def travel_json(self) -> dict[str, Any] | None:
        """``travel_times.json`` over venues then staging bases, from :meth:`travel_times`."""
        travel: dict[str, Any] = self.travel_times().to_json()
        return travel

    def rosters(self) -> dict[str, DayRoster]:
        """The drawn rosters, one per date (``rosters/YYYY-MM-DD.json`` contract)."""
        return self._rosters


def _draw_day(
    scenario: Scenario,
    targets: Targets,
    coverage: np.ndarray,
    slot_teams: Sequence[Sequence[str]],
    slots: Sequence[int],
    day: dt.date,
    rng: random.Random,
) -> DayRoster:
    """One day's roster: per slot, systematic sampling picks venues, teams are matched."""
    bases = {t.callsign: t.base for t in scenario.teams}
    by_slot: dict[int, np.ndarray] = {}
    for s in slots:
        by_slot[s] = np.flatnonzero(targets.slot == s)
    # placement[team] = list of (start, end, venue | None)
    placement: dict[str, list[tuple[dt.datetime, dt.datetime, str | None]]] = {
        t.callsign: [] for t in scenario.teams
    }
    previous: dict[str, str | None] = {}
    for s in slots:
        index = by_slot[s]
        on_duty = list(slot_teams[s])
        if not on_duty:
            continue
        start = targets.slot_starts[s]
        end = targets.end[int(index[0])] if index.size else start
        picked = [targets.venue[int(index[i])] for i in systematic_sample(coverage[index], rng)]
        # Keep a team where it already is when its venue is picked again; the rest at random.
        assignment: dict[str, str | None] = {}
        remaining = list(picked)
        for team in on_duty:
            venue = previous.get(team)
            if venue is not None and venue in remaining:
                assignment[team] = venue
                remaining.remove(venue)
        free = [t for t in on_duty if t not in assignment]
        rng.shuffle(free)
        for team in free:
            assignment[team] = remaining.pop() if remaining else None
        for team in on_duty:
            placement[team].append((start, end, assignment[team]))
        previous = assignment
    teams = []
    for member in scenario.teams:
        segments: list[Segment] = []
        for start, end, venue in placement[member.callsign]:
            kind: Literal["patrol", "base"] = "base" if venue is None else "patrol"
            last = segments[-1] if segments else None
            if last is not None and last.end == start and last.kind == kind and last.venue == venue:
                segments[-1] = last.model_copy(update={"end": end})
                continue
            segments.append(Segment(kind=kind, venue=venue, start=start, end=end))
        if segments:
            teams.append(
                TeamRoster(team=member.callsign, base=bases[member.callsign], segments=segments)
            )
    return DayRoster.of(day, teams)


def draw_rosters(
    scenario: Scenario,
    targets: Targets,
    coverage: np.ndarray,
    slot_teams: Sequence[Sequence[str]],
    *,
    rng: random.Random,
    days: Sequence[dt.date] | None = None,
) -> dict[str, DayRoster]:
    """Draw one roster per day from any coverage vector (the optimum or a baseline).

    Each slot is drawn by randomised systematic sampling, so every venue-slot is patrolled
    with exactly its coverage in expectation; ``rng`` is ``secrets.SystemRandom()`` for
    operational use or ``random.Random(seed)`` for tests, audits and simulation.
    """
    slots_by_day: dict[dt.date, list[int]] = {}
    for s, start in enumerate(targets.slot_starts):  # a night's slots: the evening's roster
        slots_by_day.setdefault(scenario.plan_day_of(start), []).append(s)
    chosen = sorted(slots_by_day) if days is None else list(days)
    return {
        day.isoformat(): _draw_day(
            scenario, targets, coverage, slot_teams, slots_by_day.get(day, []), day, rng
        )
        for day in chosen
    }


def check_scenario_options(
    scenario: Scenario, chosen: Sequence[dt.date], options: DayOptions
) -> None:
    """Refuse overrides naming a day, team or place the scenario does not have."""
    teams = {t.callsign for t in scenario.teams}
    places = {v.id for v in scenario.venues} | {b.id for b in scenario.bases}
    horizon = set(chosen)
    for o in options.overrides:
        if o.day not in horizon:
            raise PlanError(
                f"override '{o.describe()}': {o.day.isoformat()} is not a planned day "
                f"({chosen[0].isoformat()}..{chosen[-1].isoformat()})"
            )
        if o.team not in teams:
            hint = did_you_mean(o.team, sorted(teams))
            raise PlanError(
                f"override '{o.describe()}': no team {o.team!r}; "
                + (f"{hint} " if hint else "")
                + f"expected one of {', '.join(sorted(teams))}"
            )
        if o.place not in places:
            hint = did_you_mean(o.place, [v.id for v in scenario.venues], cutoff=0.5)
            raise PlanError(
                f"override '{o.describe()}': no venue or base {o.place!r}"
                + (f"; {hint}" if hint else "; see the venue ids in the scenario file")
            )


def solve_plan(
    scenario: Scenario,
    options: PlanOptions,
    *,
    links: Mapping[str, LinkedPlan] | None = None,
    plan_gaps: Mapping[str, Mapping[str, float]] | None = None,
    travel: TravelTimes | None = None,
    travel_model: str | None = None,
    progress: ProgressCallback | None = None,
) -> PatrolPlan:
    """Solve the season and draw its rosters (the pipeline's solve step; no what-ifs).

    ``links``: the venues' reviewed security plans (linked or submitted, per venue); their
    multipliers scale the risk and they are reported in ``plan.json``'s ``plan_reviews``.
    ``plan_gaps``: multipliers per venue and attack mode given directly (a what-if);
    they replace the links' when given. ``options.security_plans=False`` ignores both.
    ``travel``: minutes between the scenario's venues and bases (e.g.
    :func:`~crowdguard.patrols.travel.road_graph_travel` over a force's own road map); the
    default is the straight-line model; ``travel_model`` names it in ``plan.json``.
    ``progress(fraction, label)`` is called while slots or days are solved.

    Routes mode (``options.routes``, passed to every day's
    :func:`~crowdguard.patrols.dayplan.plan_day`): ``tie="robust"`` keeps the stated harm
    within ``tie_margin`` of what an attacker breaking every tie against us would cause
    (:func:`crowdguard.games.flow.solve_flow_game`,
    :func:`~crowdguard.patrols.season_routes.break_season_ties`); overrides pin or forbid a
    team at a venue at a date and time; ``max_variants`` caps each team's routes per day;
    ``response_floor`` and ``visibility_floor`` bound the response chance and the shoppers
    passing a patrol (:mod:`crowdguard.patrols.visibility`). Overrides and the variant cap
    are priced, as ARMOR did (Pita et al., AAMAS 2008): :meth:`PatrolPlan.override_rows`,
    :meth:`PatrolPlan.variants_cost`.
    """
    began = time.perf_counter()
    options.check()
    chosen = chosen_days(scenario, options.days)
    day_options = options.routes
    check_scenario_options(scenario, chosen, day_options)
    if travel is not None:
        missing = sorted({p.id for p in places_of(scenario)} - set(travel.ids))
        if missing:
            raise PlanError(
                f"travel times: no times for {', '.join(missing)}; build them over the "
                "scenario's venues and bases (places_of(scenario))"
            )
    used_links: dict[str, LinkedPlan] = {}
    gaps: dict[str, dict[str, float]] = {}
    if options.security_plans:
        if plan_gaps is not None:
            gaps = {v: dict(m) for v, m in plan_gaps.items()}
        else:
            used_links = dict(links or {})
            gaps = {v: dict(link.multipliers) for v, link in used_links.items()}
    targets = season_targets(scenario, chosen, gaps or None)
    slot_teams = slot_teams_for(scenario, targets)
    rng = make_rng(options.seed)
    response: np.ndarray | None = None
    day_plans: dict[str, DayResult] = {}
    if options.mode == "free":
        coverage, certificate, methods = solve_season(
            targets,
            slot_teams,
            progress,
            tie=options.routes.tie,
            tie_margin=options.routes.tie_margin,
        )
        rosters = draw_rosters(scenario, targets, coverage, slot_teams, rng=rng, days=chosen)
        solver = "+".join(sorted(set(methods))) or "none"
        solver = f"per-slot {solver} (season SSE)"
    else:
        warm = WarmStarts()  # the first day's bases start every other day (season_routes)
        day_plans = solve_days(
            scenario,
            chosen,
            gaps or None,
            workers=options.workers,
            progress=progress,
            options=day_options,
            travel=travel,
            warm=warm,
        )
        position = {target_id: i for i, target_id in enumerate(targets.ids)}
        coverage = np.zeros(len(targets))
        response = np.zeros(len(targets))
        for day in day_plans.values():
            index = np.array([position[t] for t in day.target_ids], dtype=int)
            coverage[index] = day.coverage
            response[index] = day.response_probability
        if break_season_ties(
            scenario,
            targets,
            coverage,
            day_plans,
            gaps or None,
            day_options,
            travel,
            workers=options.workers,
            warm=warm,
        ):
            for day in day_plans.values():
                index = np.array([position[t] for t in day.target_ids], dtype=int)
                response[index] = day.response_probability
        certificate = certify_days(targets, coverage, day_plans)
        rosters = {
            day.isoformat(): day_plans[day.isoformat()].draw(rng)
            if day.isoformat() in day_plans
            else DayRoster.of(day, ())
            for day in chosen
        }
        solver = "per-day bounded multiple LPs over patrol flows (TRUSTS/CASS), " + (
            "robust to ties" if day_options.tie == "robust" else "strong Stackelberg"
        )
    attacker = coverage * targets.attacker_covered + (1 - coverage) * targets.attacker_uncovered
    attack_set = [
        targets.ids[i] for i in np.flatnonzero(attacker >= certificate["attacker_utility"] - TOL)
    ]
    return PatrolPlan(
        scenario=scenario,
        targets=targets,
        coverage=coverage,
        slot_teams=[list(t) for t in slot_teams],
        defender_utility=certificate["defender_utility"],
        attacker_utility=certificate["attacker_utility"],
        attacked_target=certificate["attacked_target"],
        attack_set=attack_set,
        certificate=certificate,
        solver=solver,
        seconds=time.perf_counter() - began,
        seeded=options.seed is not None,
        days=list(chosen),
        _rosters=rosters,
        plan_gaps=gaps,
        linked_plans=used_links,
        mode=options.mode,
        response=response,
        day_plans=day_plans,
        options=day_options,
        travel=travel,
        travel_model=travel_model or ("straight-line" if travel is None else "given"),
    )
