"""Re-plan the rest of a day on the patrol graph after a team has been dispatched.

Patrol planning, beside the day planner (:mod:`crowdguard.patrols.dayplan`), whose game it
plays: the same graph (:func:`~crowdguard.patrols.graph.build_graph` started mid-day), the
same payoffs (:func:`~crowdguard.patrols.dayplan.day_payoffs`), the same equilibrium solve
(:func:`~crowdguard.patrols.dayplan.solve_day`) and the same "hold the equilibrium, then
minimise" LP for its choice among equilibria (:func:`crowdguard.games.flow.spread_lp`). The
control room's shell is :func:`crowdguard.dispatch.service.replan_unit`.

Sending a team to an incident costs the patrols it was rostered for until it is back: the
**coverage gap**. The other teams' drawn routes were optimal for a force that included it,
so the control room can re-solve what is left of the day without it. Pure: a scenario and
the day's rosters in, plain data out (nothing stored changes; the answer is advice).

The re-plan is the planner's own game, started from where the teams are now: a flow on the
time-expanded patrol graph (TRUSTS, Yin et al., IAAI 2012; CASS, Fang, Jiang and Tambe,
AAMAS 2013; :mod:`crowdguard.patrols.graph`), solved for its strong Stackelberg
equilibrium by the ERASER MILP over the flow polytope (Kiekintveld et al., AAMAS 2009;
:mod:`crowdguard.games.flow`). Method:

1. **Gap.** The team's rostered *patrol* segments overlapping ``[now, back_at)`` (``back_at``
   defaults to the end of the day), clipped to that window
   (:class:`~crowdguard.dispatch.recommend.MissedPatrol`, as in the recommender's step 4).
2. **Remaining targets.** The day's targets (:func:`crowdguard.risk.payoffs.build_targets`,
   with the plan's security-plan multipliers) whose slot has not ended at ``now``.
3. **Where every team is now** (:func:`team_starts`), from its roster: a team patrolling a
   venue stays there from ``now`` and its time on site since it arrived counts towards the
   dwell of the slot in progress; a team in transit finishes the journey and starts from its
   destination when it gets there (turning round on the road is not modelled: we do not
   know where on the road it is); a team at its base, or on shift with no roster segment
   now, starts from its base at ``now``. Teams busy on other tasks are left out.
4. **Two graphs** over the same targets (:func:`crowdguard.patrols.graph.build_graph` with
   ``starts``, ``not_before=now``): *before*, every team as rostered, the dispatched one
   included; *after*, the dispatched team left out, or, when it is expected back, starting
   from the incident at ``back_at``. Every team must still be back at base by its shift end
   (the graph's sink); a team that cannot is named in the answer, not planned. Travel is the
   model's minutes times each team's kind's ``travel_multiplier`` and presence counts its
   ``effectiveness`` (``patrol.team_kinds``). The plan's **operational limits** hold for
   every team re-planned, the dispatched one included (issue 11 s.2): its home sector
   (``home_radius_km`` and its base's ``sector``) and each visit's ``min_stay_minutes`` are the
   graph's shape, and the transit cap (``max_transit_share``) is a row per team: of the time
   left in its shift from when it is free, at most that share in transit, or the direct
   drive back to base when that alone is longer (:func:`crowdguard.patrols.graph.transit_rows`).
5. **The game.** The targets of the slots in which some team of the *before* graph is on
   shift (the rest of the day has no team either way: reported uncovered, not played). Each
   graph's equilibrium over its flow polytope is the day planner's
   (:func:`crowdguard.patrols.dayplan.solve_day`: robust to the attacker's tie-break by
   default, certified), then :func:`_refine`'s choice among its equilibria. Per slot, the
   attacker's best payoff under each coverage, and the defender's at it.
6. **Routes.** The *after* flow is decomposed into route lotteries
   (:func:`crowdguard.patrols.decompose.decompose`), certified source to sink
   (:func:`crowdguard.patrols.dayplan.certify_routes`), and a roster is drawn
   (:func:`crowdguard.patrols.sample.draw_roster`): one joint schedule when they deliver the
   coverage exactly (below), else one route per team. ``rng`` is ``secrets.SystemRandom()``
   unless a seeded generator is passed.

**What the drawn re-plan delivers.** Each team's lottery alone would put every team's
expected presence at every venue-slot exactly at the *after* flow, but independent draws can
put two teams at one venue-slot on one draw and neither on another, so the chance that the
drawn roster protects a venue-slot could fall short of the stated coverage (issue 10 s.1).
So the re-plan first asks the day planner's column generation for whole-force schedules
realising the *after* coverage exactly (:func:`crowdguard.patrols.joint.joint_schedules`
over the same polytope, within :data:`~crowdguard.patrols.dayplan.JOINT_COLUMNS` schedules
and the time limit) and draws one of them (:attr:`DayReplan.joint`): then the protection it
delivers, computed exactly over the distribution, equals what it states. When no such
distribution is found (coverage the teams can reach only fractionally stacked, say), it
draws team by team and :attr:`DayReplan.drawn` says that the stated protection is an upper
bound on what the roster delivers; unlike the day planner it does not then re-solve the game
over the schedules found (ASPEN's restricted master), which would cost a re-plan seconds.

**Fallback.** When the graph cannot give an answer (the MILP stops without an optimum
within ``time_limit``, or a certificate fails), the re-plan says so in
:attr:`DayReplan.fallback` and answers with *free placement* instead (``placement="free"``):
each remaining slot's game solved on its own with the teams on shift (ORIGAMI or ERASER)
and a roster drawn by randomised systematic sampling. Free placement does not model the
drive between slots, so its roster may ask for a move no team can make in time; it is never
used without saying so.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import (
    CertificateFailed,
    GameError,
    InfeasibleGame,
    InputError,
    PlanError,
    SolverFailed,
)
from crowdguard.games import SecurityGame, solve
from crowdguard.games.flow import (
    CoveragePolytope,
    FlowMethod,
    FlowPayoffs,
    FlowSolution,
    Spread,
    TieRule,
    attacker_utilities,
    certify,
    defender_utilities,
    spread_lp,
)
from crowdguard.geometry import great_circle_km
from crowdguard.patrols.dayplan import (
    JOINT_COLUMNS,
    certify_routes,
    day_payoffs,
    solve_day,
    team_routes,
)
from crowdguard.patrols.decompose import decompose
from crowdguard.patrols.graph import PatrolGraph, TeamStart, build_graph, flow_polytope, spread_rows
from crowdguard.patrols.joint import JointOption, joint_options, joint_schedules
from crowdguard.patrols.planner import draw_rosters, slot_teams_for
from crowdguard.patrols.roster import (
    DayRoster,
    LatLon,
    MissedPatrol,
    Segment,
    TeamRoster,
    place_segments,
)
from crowdguard.patrols.sample import draw_roster
from crowdguard.patrols.travel import (
    Place,
    TravelTimes,
    places_of,
    straight_line_travel,
)
from crowdguard.risk.payoffs import PlanGaps, Targets, build_targets
from crowdguard.scenario.schema import Scenario

__all__ = [
    "INCIDENT",
    "REPLAN_TIME_LIMIT",
    "DayReplan",
    "GraphSolve",
    "ReplanStart",
    "SlotChange",
    "TargetChange",
    "coverage_gap_until",
    "replan_day",
    "team_starts",
    "travel_with_incident",
]

INCIDENT = "incident"
"""The travel model's name for the incident a dispatched team rejoins from."""
REPLAN_TIME_LIMIT = 30.0
"""Seconds each MILP of a re-plan may take before the re-plan falls back (module docstring)."""
TOL = 1e-6


@dataclass(frozen=True, slots=True)
class SlotChange:
    """One remaining slot: who is on duty and the attacker's and defender's payoffs there."""

    start: dt.datetime
    end: dt.datetime
    teams_before: tuple[str, ...]
    teams_after: tuple[str, ...]
    attacker_utility_before: float
    attacker_utility_after: float
    defender_utility_before: float
    defender_utility_after: float


@dataclass(frozen=True, slots=True)
class TargetChange:
    """One remaining venue-slot's coverage with and without the dispatched team."""

    venue: str
    start: dt.datetime
    end: dt.datetime
    coverage_before: float
    coverage_after: float


@dataclass(frozen=True, slots=True)
class ReplanStart:
    """Where a team of the *after* plan starts: ``place`` (a venue, a base or the incident),
    free to move from ``ready``; ``how`` says why (``"patrolling X since 11:00"``)."""

    team: str
    place: str
    ready: dt.datetime
    how: str


@dataclass(frozen=True)
class GraphSolve:
    """One solved re-plan graph: the game played on it and its equilibrium.

    ``horizon`` holds the indices of the targets in the game (step 5); ``polytope`` is the
    graph's flow polytope with the coverage rows of those targets; ``solution`` is None when
    no team is left to plan (nothing to solve). ``coverage`` is over every remaining target
    (zero outside the horizon).
    """

    graph: PatrolGraph
    horizon: np.ndarray
    payoffs: FlowPayoffs
    polytope: CoveragePolytope
    solution: FlowSolution | None
    coverage: np.ndarray


@dataclass(frozen=True)
class DayReplan:
    """The gap a dispatched team leaves and the rest of the day re-solved without it."""

    team: str
    day: dt.date
    now: dt.datetime
    back_at: dt.datetime | None
    gap: tuple[MissedPatrol, ...]
    slots: tuple[SlotChange, ...]
    targets: tuple[TargetChange, ...]
    roster: DayRoster
    method: str = "patrol graph"
    fallback: str | None = None
    starts: tuple[ReplanStart, ...] = ()
    notes: tuple[str, ...] = ()
    before: GraphSolve | None = field(default=None, repr=False)
    joint: tuple[JointOption, ...] = field(default=(), repr=False)
    """The joint schedules ``roster`` was drawn from (empty: drawn team by team)."""
    drawn: str = ""
    """How ``roster`` was drawn, and whether it delivers the stated protection exactly."""
    after: GraphSolve | None = field(default=None, repr=False)

    @property
    def gap_minutes(self) -> float:
        """Rostered patrol minutes the team misses."""
        return sum(m.minutes for m in self.gap)

    @property
    def worst_attacker_utility_before(self) -> float | None:
        """The attacker's best remaining slot as rostered (None: nothing left today)."""
        return max((s.attacker_utility_before for s in self.slots), default=None)

    @property
    def worst_attacker_utility_after(self) -> float | None:
        """The attacker's best remaining slot without the team."""
        return max((s.attacker_utility_after for s in self.slots), default=None)


def coverage_gap_until(
    roster: TeamRoster | None, *, now: dt.datetime, until: dt.datetime
) -> tuple[MissedPatrol, ...]:
    """Step 1: the team's patrol segments overlapping ``[now, until)``, clipped."""
    if roster is None or until <= now:
        return ()
    missed = []
    for seg in sorted(roster.segments, key=lambda s: s.start):
        if seg.kind != "patrol" or seg.venue is None:
            continue
        start, end = max(seg.start, now), min(seg.end, until)
        if start < end:
            missed.append(MissedPatrol(seg.venue, start, end))
    return tuple(missed)


def travel_with_incident(scenario: Scenario, incident: LatLon | None) -> TravelTimes:
    """The straight-line travel model over the scenario's venues and bases, plus the
    incident (named :data:`INCIDENT`) when given. The incident is on the Isle of Wight when
    its nearest place is, so a crossing is charged to reach it from the mainland."""
    places = places_of(scenario)
    if incident is not None:
        nearest = min(places, key=lambda p: great_circle_km(p.lat, p.lon, incident[0], incident[1]))
        places = [*places, Place(INCIDENT, incident[0], incident[1], nearest.island)]
    return straight_line_travel(places, crossings=scenario.crossings)


def _remaining(targets: Targets, now: dt.datetime) -> Targets:
    """Step 2: the targets whose slot has not ended, slots renumbered from 0."""
    index = np.array([i for i, end in enumerate(targets.end) if end > now], dtype=int)
    old = [int(s) for s in np.unique(targets.slot[index])] if index.size else []
    new_of = {s: n for n, s in enumerate(old)}
    return Targets(
        ids=tuple(targets.ids[i] for i in index),
        venue=tuple(targets.venue[i] for i in index),
        start=tuple(targets.start[i] for i in index),
        end=tuple(targets.end[i] for i in index),
        slot=np.array([new_of[int(s)] for s in targets.slot[index]], dtype=int),
        slot_starts=tuple(targets.slot_starts[s] for s in old),
        crowd=targets.crowd[index],
        risk=targets.risk[index],
        defender_covered=targets.defender_covered[index],
        defender_uncovered=targets.defender_uncovered[index],
        attacker_covered=targets.attacker_covered[index],
        attacker_uncovered=targets.attacker_uncovered[index],
    )


def team_starts(
    scenario: Scenario, rosters: DayRoster | None, now: dt.datetime
) -> tuple[dict[str, TeamStart], dict[str, str], set[str]]:
    """Step 3: where each rostered team is at ``now``.

    Returns the :class:`~crowdguard.patrols.graph.TeamStart` of every team whose roster has
    a segment at ``now``, how each was placed, and the teams in transit (their new roster
    continues the journey from ``now``). A roster naming a place the scenario lacks is an
    :class:`~crowdguard.errors.InputError`.
    """
    zone = ZoneInfo(scenario.timezone)
    known = {p.id: (p.lat, p.lon) for p in places_of(scenario)}
    starts: dict[str, TeamStart] = {}
    how: dict[str, str] = {}
    in_transit: set[str] = set()
    if rosters is None:
        return starts, how, in_transit
    for roster in rosters.teams:
        segments = place_segments(roster, known, source=f"rosters/{rosters.date.isoformat()}")
        seg = next((s for s in segments if s.start <= now < s.end), None)
        if seg is None:
            continue
        team = roster.team
        if seg.kind == "patrol":
            starts[team] = TeamStart(seg.place, now, on_site_since=seg.start)
            how[team] = f"patrolling {seg.place} since {seg.start.astimezone(zone):%H:%M}"
        elif seg.kind == "transit":
            starts[team] = TeamStart(seg.place, seg.end)
            in_transit.add(team)
            how[team] = (
                f"in transit from {seg.origin_place} to {seg.place}, there at "
                f"{seg.end.astimezone(zone):%H:%M}"
            )
        else:
            starts[team] = TeamStart(seg.place, now)
            how[team] = f"at base {seg.place}"
    return starts, how, in_transit


def _slot_teams(scenario: Scenario, graph: PatrolGraph, slot: int) -> tuple[str, ...]:
    """The teams of ``graph`` on shift in (absolute) ``slot``, in the scenario's order."""
    on = {t for c in graph.commodities if c.first_slot <= slot <= c.last_slot for t in c.teams}
    return tuple(t.callsign for t in scenario.teams if t.callsign in on)


def _refine(
    payoffs: FlowPayoffs,
    polytope: CoveragePolytope,
    slot_of: np.ndarray,
    first: FlowSolution,
    spread: Spread,
    time_limit: float,
) -> np.ndarray:
    """Step 5's choice among the equilibria of ``first``: the day planner's "hold the
    equilibrium, then minimise" LP (:func:`crowdguard.games.flow.spread_lp`: the flows that
    keep its attacked target a best response worth the same to the defender, so every
    answer is still the same equilibrium), twice.

    1. **Each slot as low as it can be.** The equilibrium fixes the attacker's payoff only
       in the slot it attacks; a control room reads the others slot by slot, so the first LP
       minimises the sum over slots of the attacker's best payoff in the slot
       (``sum_s max_{t in s} U_a(t)``, a :class:`~crowdguard.games.flow.Spread` whose rows are
       the attacker's payoffs).
    2. **Least predictable.** Holding each slot there, the second minimises the planner's
       predictability (the summed hit rate of an observer guessing each team's likeliest
       place), as the day planner's own tie-break does.

    Returns the flow; if an LP fails numerically, the last good one (at worst ``first``'s).
    """
    attacked, value = first.attacked_target, first.defender_utility
    delta_a = payoffs.attacker_covered - payoffs.attacker_uncovered
    scaled = (sp.diags(delta_a) @ polytope.coverage).tocsr()  # U_a(t) = R_a(t) + scaled_t z
    slots = Spread(rows=scaled, groups=np.asarray(slot_of), offset=payoffs.attacker_uncovered)
    z = first.z
    low = spread_lp(payoffs, polytope, attacked, value, slots, time_limit)
    held = polytope
    if low is not None:
        z = low
        u_a = payoffs.attacker_uncovered + scaled @ low
        _, column = np.unique(slot_of, return_inverse=True)
        best = np.full(int(column.max()) + 1, -np.inf)
        np.maximum.at(best, column, u_a)
        scale = 1.0 + float(np.max(np.abs(payoffs.attacker_uncovered)))
        # U_a(t) <= (the slot's best) + eps: each slot held where the first LP left it
        held = polytope.with_rows(scaled, best[column] + 1e-8 * scale - payoffs.attacker_uncovered)
    least = spread_lp(payoffs, held, attacked, value, spread, time_limit)
    return z if least is None else least


def _solve_graph(
    graph: PatrolGraph,
    targets: Targets,
    horizon: np.ndarray,
    method: FlowMethod,
    time_limit: float,
    tie: TieRule = "robust",
    tie_margin: float = 0.01,
) -> GraphSolve:
    """Step 5 on one graph: the day planner's equilibrium over its flow polytope (with the
    transit-cap rows it carries), restricted to the horizon, then :func:`_refine`'s choice
    among its equilibria, certified."""
    full = flow_polytope(graph)
    polytope = CoveragePolytope(
        full.coverage[horizon], full.a_eq, full.b_eq, full.lower, full.upper, full.a_ub, full.b_ub
    )
    payoffs = day_payoffs(targets, horizon)
    coverage = np.zeros(len(targets))
    if graph.n_arcs == 0 or horizon.size == 0:
        return GraphSolve(graph, horizon, payoffs, polytope, None, coverage)
    first = solve_day(
        payoffs, polytope, method=method, time_limit=time_limit, tie=tie, tie_margin=tie_margin
    )
    z = _refine(
        payoffs, polytope, graph.target_slot[horizon], first, spread_rows(graph), time_limit
    )
    try:
        certificate = certify(payoffs, polytope, z, first.defender_utility)
    except CertificateFailed:  # numerically off: keep the solver's own equilibrium
        z, certificate = first.z, first.certificate
    solution = FlowSolution(
        z=z,
        coverage=np.clip(polytope.coverage @ z, 0.0, 1.0),
        defender_utility=certificate["defender_utility"],
        attacker_utility=certificate["attacker_utility"],
        attacked_target=certificate["attacked_target"],
        method=first.method,
        seconds=first.seconds,
        certificate=certificate,
    )
    coverage[horizon] = solution.coverage
    return GraphSolve(graph, horizon, payoffs, polytope, solution, coverage)


def _slot_values(targets: Targets, coverage: np.ndarray) -> list[tuple[float, float]]:
    """Per slot, the attacker's best payoff and the defender's there (ties for the defender)."""
    u_a = attacker_utilities(day_payoffs(targets), coverage)
    u_d = defender_utilities(day_payoffs(targets), coverage)
    scale = max(1.0, float(np.max(np.abs(targets.attacker_uncovered))))
    values = []
    for s in range(len(targets.slot_starts)):
        index = np.flatnonzero(targets.slot == s)
        best = float(np.max(u_a[index]))
        ties = index[u_a[index] >= best - TOL * scale]
        values.append((best, float(np.max(u_d[ties]))))
    return values


def _changes(
    targets: Targets,
    teams_before: Sequence[Sequence[str]],
    teams_after: Sequence[Sequence[str]],
    coverage_before: np.ndarray,
    coverage_after: np.ndarray,
) -> tuple[tuple[SlotChange, ...], tuple[TargetChange, ...]]:
    before, after = _slot_values(targets, coverage_before), _slot_values(targets, coverage_after)
    slot_ends = [
        targets.end[int(np.flatnonzero(targets.slot == s)[0])]
        for s in range(len(targets.slot_starts))
    ]
    slots = tuple(
        SlotChange(
            start=targets.slot_starts[s],
            end=slot_ends[s],
            teams_before=tuple(teams_before[s]),
            teams_after=tuple(teams_after[s]),
            attacker_utility_before=before[s][0],
            attacker_utility_after=after[s][0],
            defender_utility_before=before[s][1],
            defender_utility_after=after[s][1],
        )
        for s in range(len(targets.slot_starts))
    )
    changes = tuple(
        TargetChange(
            venue=targets.venue[i],
            start=targets.start[i],
            end=targets.end[i],
            coverage_before=float(coverage_before[i]),
            coverage_after=float(coverage_after[i]),
        )
        for i in range(len(targets))
    )
    return slots, changes


def _clip_roster(roster: DayRoster, now: dt.datetime) -> DayRoster:
    """Drop what is over and start the slot in progress at ``now``."""
    teams = []
    for team in roster.teams:
        segments = tuple(
            seg.model_copy(update={"start": max(seg.start, now).astimezone(seg.start.tzinfo)})
            for seg in team.segments
            if seg.end > now
        )
        if segments:
            teams.append(team.model_copy(update={"segments": segments}))
    return DayRoster.of(roster.date, teams)


def _free_placement(
    scenario: Scenario,
    targets: Targets,
    *,
    team: str,
    now: dt.datetime,
    back_at: dt.datetime | None,
    unavailable: Collection[str],
    rng: random.Random,
    day: dt.date,
) -> tuple[tuple[SlotChange, ...], tuple[TargetChange, ...], DayRoster]:
    """Free placement: each remaining slot's game on its own (ORIGAMI or ERASER, certified;
    Kiekintveld et al., AAMAS 2009) with the teams on shift; the dispatched team is out of
    every slot starting before ``back_at``. No travel between slots is modelled."""
    on_shift = slot_teams_for(scenario, targets)
    before = [[t for t in teams if t not in unavailable] for teams in on_shift]
    after = [
        [t for t in teams if not (t == team and (back_at is None or start < back_at))]
        for teams, start in zip(before, targets.slot_starts, strict=True)
    ]

    def solve_slots(slot_teams: Sequence[Sequence[str]]) -> np.ndarray:
        coverage = np.zeros(len(targets))
        for s, teams in enumerate(slot_teams):
            if not teams:
                continue
            index = np.flatnonzero(targets.slot == s)
            game = SecurityGame.from_arrays(
                defender_covered=targets.defender_covered[index],
                defender_uncovered=targets.defender_uncovered[index],
                attacker_covered=targets.attacker_covered[index],
                attacker_uncovered=targets.attacker_uncovered[index],
                resources=len(teams),
                ids=tuple(targets.ids[i] for i in index),
            )
            coverage[index] = solve(game, method="auto").coverage
        return coverage

    coverage_before, coverage_after = solve_slots(before), solve_slots(after)
    slots, changes = _changes(targets, before, after, coverage_before, coverage_after)
    drawn = draw_rosters(scenario, targets, coverage_after, after, rng=rng, days=[day])
    return slots, changes, _clip_roster(drawn[day.isoformat()], now)


@dataclass(frozen=True)
class _Menu:
    """The route lotteries a roster is drawn from (:class:`crowdguard.patrols.sample.RouteMenu`)."""

    date: str
    team_bases: Mapping[str, str]
    routes: Mapping[str, Sequence[tuple[float, tuple[Segment, ...]]]]
    joint: Sequence[JointOption] = ()
    """Whole-force schedules to draw from (empty: each team draws its own route)."""


def _joint(solved: GraphSolve, time_limit: float) -> tuple[tuple[JointOption, ...], str]:
    """Step 6's joint schedules: a distribution over whole-force schedules whose protection
    of every venue-slot is exactly the *after* coverage (the day planner's column
    generation, :func:`crowdguard.patrols.joint.joint_schedules`, over the same polytope, so
    every schedule keeps the transit cap). Returns the schedules (empty when none deliver
    the coverage exactly within :data:`~crowdguard.patrols.dayplan.JOINT_COLUMNS` columns
    and ``time_limit``) and a note saying which way the roster is drawn."""
    assert solved.solution is not None
    try:
        schedules = joint_schedules(
            solved.polytope,
            solved.solution.coverage,
            support=solved.solution.z,
            time_limit=time_limit,
            max_columns=JOINT_COLUMNS,
        )
    except (InfeasibleGame, RuntimeError, SolverFailed) as exc:
        return (), f"routes drawn team by team (no joint schedules: {exc}); {_UPPER_BOUND}"
    if not schedules.exact:
        return (), (
            "routes drawn team by team (no joint schedules deliver the coverage exactly; "
            f"largest gap {schedules.gap:.3g}); {_UPPER_BOUND}"
        )
    return tuple(joint_options(solved.graph, schedules)), (
        f"roster drawn from {int(np.count_nonzero(schedules.weights > 1e-12))} joint "
        "schedules: every venue-slot is protected with exactly the stated coverage"
    )


_UPPER_BOUND = "the stated protection is an upper bound on what the drawn roster delivers"


def _draw(
    scenario: Scenario,
    solved: GraphSolve,
    day: dt.date,
    rng: random.Random,
    now: dt.datetime,
    transit: Mapping[str, str],
    joint: tuple[JointOption, ...] = (),
) -> DayRoster:
    """Step 6: a roster from the *after* plan, one whole-force schedule of ``joint`` when
    given, else one route per team from its lottery; a team still in transit (``transit``:
    team -> destination) keeps its journey from ``now`` until it arrives at its start."""
    graph = solved.graph
    if solved.solution is None:
        return DayRoster.of(day, ())
    lotteries = decompose(graph, solved.solution.z)
    certify_routes(graph, lotteries)
    menu = _Menu(
        day.isoformat(),
        {t.callsign: t.base for t in scenario.teams},
        team_routes(graph, lotteries),
        joint,
    )
    drawn = draw_roster(menu, rng)
    zone = ZoneInfo(scenario.timezone)
    order = {t.callsign: i for i, t in enumerate(scenario.teams)}
    teams: list[TeamRoster] = []
    for entry in sorted(drawn.teams, key=lambda t: order[t.team]):
        segments = entry.segments
        if entry.team in transit and segments and segments[0].start > now:
            if segments[0].kind == "transit":  # it drives straight on
                first = segments[0].model_copy(update={"start": now.astimezone(zone)})
                segments = (first, *segments[1:])
            else:
                destination = transit[entry.team]
                leg = Segment(
                    kind="transit",
                    venue=destination if destination in graph.venues else None,
                    start=now.astimezone(zone),
                    end=segments[0].start,
                )
                segments = (leg, *segments)
        teams.append(entry.model_copy(update={"segments": segments}))
    return DayRoster.of(day, teams)


def replan_day(
    scenario: Scenario,
    *,
    team: str,
    now: dt.datetime,
    rosters: DayRoster | None,
    back_at: dt.datetime | None = None,
    incident: LatLon | None = None,
    unavailable: Mapping[str, str] | None = None,
    travel: TravelTimes | None = None,
    plan_gaps: PlanGaps | None = None,
    rng: random.Random | None = None,
    placement: Literal["graph", "free"] = "graph",
    method: FlowMethod = "milp",
    time_limit: float = REPLAN_TIME_LIMIT,
) -> DayReplan:
    """The gap ``team`` leaves from ``now`` and the rest of the day without it (module
    docstring, steps 1-6).

    ``rosters``: the day's rosters (None: none drawn). ``back_at``: when the team leaves the
    incident at ``incident`` free to patrol again (None: not today); it then rejoins from
    there. ``unavailable``: other teams busy elsewhere (team -> why), left out of both plans.
    ``travel`` defaults to :func:`travel_with_incident`; a given model must name the
    incident :data:`INCIDENT`. ``placement="free"`` asks for free placement on purpose.
    """
    if now.tzinfo is None or (back_at is not None and back_at.tzinfo is None):
        raise InputError("replan: now and back_at must be timezone-aware")
    if back_at is not None and back_at <= now:
        raise InputError(
            f"back_at: {back_at.isoformat()} is not after now ({now.isoformat()}); "
            "expected the time the team is expected back on patrol"
        )
    if back_at is not None and incident is None and placement == "graph":
        raise InputError(
            "back_at: the team rejoins from the incident, so its location is needed; give "
            "the incident's location (or assign the unit to a task that has one)"
        )
    busy = dict(unavailable or {})
    busy.pop(team, None)
    day = scenario.plan_day_of(now)  # the evening before, in an overnight shift's small hours
    midnight = scenario.plan_window(day)[1]  # the day's plan ends (past midnight for a night)
    until = min(back_at, midnight) if back_at is not None else midnight
    by_team = {t.team: t for t in ([] if rosters is None else rosters.teams)}
    gap = coverage_gap_until(by_team.get(team), now=now, until=until)
    empty = DayRoster.of(day, ())
    if not scenario.start <= day <= scenario.end:
        return DayReplan(team, day, now, back_at, gap, (), (), empty, notes=("no plan today",))
    targets = _remaining(build_targets(scenario, days=[day], plan_gaps=plan_gaps), now)
    if len(targets) == 0:
        return DayReplan(team, day, now, back_at, gap, (), (), empty)
    draw = rng if rng is not None else secrets.SystemRandom()
    notes = [f"{t}: {why}; left out of both plans" for t, why in busy.items()]

    def freely(fallback: str | None) -> DayReplan:
        slots, changes, roster = _free_placement(
            scenario,
            targets,
            team=team,
            now=now,
            back_at=back_at,
            unavailable=busy,
            rng=draw,
            day=day,
        )
        return DayReplan(
            team,
            day,
            now,
            back_at,
            gap,
            slots,
            changes,
            roster,
            method="free placement",
            fallback=fallback,
            drawn="free placement: each slot drawn by systematic sampling, no travel modelled",
            notes=tuple(notes),
        )

    if placement == "free":
        return freely(None)
    try:
        return _on_graph(
            scenario,
            targets,
            team=team,
            now=now,
            back_at=back_at,
            incident=incident,
            busy=busy,
            travel=travel,
            rng=draw,
            method=method,
            time_limit=time_limit,
            gap=gap,
            rosters=rosters,
            notes=notes,
        )
    except (GameError, PlanError) as exc:
        return freely(f"the patrol graph gave no answer ({exc}); free placement instead")


def _on_graph(
    scenario: Scenario,
    targets: Targets,
    *,
    team: str,
    now: dt.datetime,
    back_at: dt.datetime | None,
    incident: LatLon | None,
    busy: Mapping[str, str],
    travel: TravelTimes | None,
    rng: random.Random,
    method: FlowMethod,
    time_limit: float,
    gap: tuple[MissedPatrol, ...],
    rosters: DayRoster | None,
    notes: list[str],
) -> DayReplan:
    """Steps 3-6 on the patrol graph."""
    zone = ZoneInfo(scenario.timezone)
    day = scenario.plan_day_of(now)
    if travel is None:
        travel = travel_with_incident(scenario, incident if back_at is not None else None)
    elif back_at is not None and INCIDENT not in travel.ids:
        raise InputError(f"travel: the model must name the incident {INCIDENT!r} to rejoin from")
    starts, how, in_transit = team_starts(scenario, rosters, now)
    before_graph = build_graph(
        scenario,
        day,
        targets,
        travel,
        check_reachable=False,
        starts=starts,
        not_before=now,
        exclude=busy,
    )
    after_starts = {t: s for t, s in starts.items() if t != team}
    if back_at is not None:
        after_starts[team] = TeamStart(INCIDENT, back_at)
        how[team] = f"back from the incident at {back_at.astimezone(zone):%H:%M}"
    after_graph = build_graph(
        scenario,
        day,
        targets,
        travel,
        check_reachable=False,
        starts=after_starts,
        not_before=now,
        exclude=[*busy, *([] if back_at is not None else [team])],
    )
    on_duty = {s for c in before_graph.commodities for s in range(c.first_slot, c.last_slot + 1)}
    horizon = np.flatnonzero(np.isin(before_graph.target_slot, sorted(on_duty)))
    before = _solve_graph(before_graph, targets, horizon, method, time_limit)
    after = _solve_graph(after_graph, targets, horizon, method, time_limit)
    absolute = [
        int(before_graph.target_slot[np.flatnonzero(targets.slot == s)[0]])
        for s in range(len(targets.slot_starts))
    ]
    slots, changes = _changes(
        targets,
        [_slot_teams(scenario, before_graph, s) for s in absolute],
        [_slot_teams(scenario, after_graph, s) for s in absolute],
        before.coverage,
        after.coverage,
    )
    transit = {
        t: starts[t].place
        for t in in_transit
        if t in after_starts
        and any(t in c.teams and c.start_place == starts[t].place for c in after_graph.commodities)
    }
    joint: tuple[JointOption, ...] = ()
    drawn = "nobody left to plan: no roster drawn"
    if after.solution is not None:
        joint, drawn = _joint(after, min(time_limit, REPLAN_TIME_LIMIT))
    roster = _draw(scenario, after, day, rng, now, transit, joint)
    placed: list[ReplanStart] = []
    for comm in after_graph.commodities:
        if comm.start_place is None or comm.ready is None:
            continue
        for member in comm.teams:
            said = how.get(member) if member in after_starts else None
            placed.append(
                ReplanStart(
                    member,
                    comm.start_place,
                    comm.ready,
                    said or f"on shift with no roster segment now: at base {comm.base}",
                )
            )
    for graph in (before_graph, after_graph):
        for member, why in graph.left_out.items():
            line = f"{member} {why}; not planned"
            if line not in notes:
                notes.append(line)
    if back_at is None:
        notes.append(f"{team} is not expected back today: the after plan leaves it out")
    elif team not in after_graph.left_out and not any(
        team in c.teams and c.start_place == INCIDENT for c in after_graph.commodities
    ):
        notes.append(
            f"{team} is back at {back_at.astimezone(zone):%H:%M}, when it is not on shift: "
            "it rejoins only from its base at a later shift's start, if it has one"
        )
    return DayReplan(
        team,
        day,
        now,
        back_at,
        gap,
        slots,
        changes,
        roster,
        method="patrol graph",
        starts=tuple(placed),
        notes=tuple(notes),
        before=before,
        after=after,
        joint=joint,
        drawn=drawn,
    )
