"""The time-expanded patrol graph of one day: nodes are (place, slot), arcs are moves.

Following TRUSTS (Yin et al., IAAI 2012) and CASS (Fang, Jiang and Tambe, AAMAS 2013), a
day of patrols is a flow on a graph whose nodes are places at times. Here:

* **Slots** are the scenario's ``slot_minutes`` intervals from local midnight; a team
  *covers* venue ``v`` in slot ``s`` when it is on site for at least
  ``patrol.min_dwell_minutes`` inside that slot.
* **Commodities.** Teams with the same base, kind and shift on the day are one commodity
  of flow value equal to their number (a team with an override gets its own). Each
  commodity starts at a *source* node (its base at the shift start) and ends at a *sink*
  (its base at the shift end): a team must leave from and return to base within the
  shift. In the last slot of the shift a venue node is reachable only if the team can
  arrive, dwell and drive back by the shift end; its patrol then ends early.
* **Nodes** of a commodity: its base in every slot of the shift, and every venue-slot
  that is a target of the day (the venue is open) within the shift.
* **Arcs.** A team leaving node ``(p, s)`` departs at the end of slot ``s`` (the source
  departs at the shift start). It can stay (``(p, s+1)``), or travel to place ``q``,
  arriving in the earliest slot ``s'`` with ``departure + travel <= end(s') - dwell``
  (``dwell = 0`` at a base). Travel is the model's minutes times the kind's
  ``travel_multiplier``, rounded up to whole minutes (rosters show whole minutes).
  Longer arcs cross several slots in transit. Arriving in an
  earlier slot is never necessary: staying is always allowed and extra coverage never
  lowers the defender's equilibrium utility (Kiekintveld et al., AAMAS 2009, section 3).
* **Pruning.** Nodes not reachable from the source, or from which the base cannot be
  reached by the shift end, are removed (forward and backward reachability on the DAG).
* **Starting mid-day** (a re-plan, :mod:`crowdguard.patrols.replan`). ``starts`` gives
  a team a :class:`TeamStart`: its own commodity whose source is ``place`` at ``ready``
  instead of its base at the shift start (its shift in progress at ``ready``; shifts
  that ended by then are dropped, later ones start at base as usual). Its first slot is the
  one holding ``ready``, and the usual rule applies from the source: it reaches ``(q, s')``
  when ``ready + travel + dwell <= end(s')``, except that a team already patrolling
  ``place`` counts its time there from ``on_site_since``. ``not_before`` drops every
  shift over by then and starts a shift in progress without a ``TeamStart`` from its base
  at ``not_before``. A started team that cannot get back to base by the end of its last
  whole slot is left out of the graph and named, with the reason, in
  :attr:`PatrolGraph.left_out` (never silently).
* **Operational limits** (the scenario's ``patrol``; issue 11 s.2), each a constraint of the
  game whose price the plan reports. *Home sector* (``home_radius_km``): a commodity's
  venue nodes are only those within that straight-line distance of its base on the same
  side of the water, plus its base's ``sector``; venues outside every sector keep coverage
  0. *Minimum stay* (``min_stay_minutes``): a venue node carries a stage, the slots spent
  there so far; an arrival enters stage 1 and a team may leave only from stage
  ``k = 1 + ceil((min_stay - dwell) / slot_minutes)`` (or drive back at the shift end), so
  every visit on every route spans ``k`` slots, the first holding at least the dwell: at
  least ``min_stay`` minutes. *Transit share*
  (``max_transit_share``, :func:`transit_rows`): rows of :func:`flow_polytope`, one per
  team (the graph then gives each team its own commodity), kept by every joint schedule
  (:mod:`crowdguard.patrols.joint`) and so by every drawn roster. A re-plan's teams are
  held to the three limits too (issue 11): a team started mid-day may spend at most the
  share of what is left of its shift in transit, or the direct drive back to base when that
  alone is longer (it must get home). With a home sector or a
  minimum stay a venue may lie outside every team's bounds: it keeps coverage 0 rather than
  failing the reachability check, and the limits' price says what that costs.
* **Coverage** of target ``t`` is ``sum_k e_k * inflow_k(t)``: the expected
  effectiveness-weighted number of teams on site (``e_k`` is the kind's
  ``effectiveness``, 1 for a foot team). The plan is required to keep it at most 1, so no
  venue-slot ever gets more than one team's worth of presence; within that cap coverage
  is exactly linear in the flow.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import PlanError
from crowdguard.games.flow import CoveragePolytope, Spread
from crowdguard.geometry import great_circle_km
from crowdguard.patrols.travel import TravelTimes
from crowdguard.scenario.schema import DEFAULT_TEAM_KINDS, Scenario, Weekday

SINK_SLOT = -2  # slot label of a commodity's sink: back at base at the shift end

__all__ = [
    "KIND_PROFILES",
    "SINK_SLOT",
    "Commodity",
    "KindProfile",
    "PatrolGraph",
    "TargetsLike",
    "TeamStart",
    "build_graph",
    "flow_polytope",
    "kind_profiles",
    "least_transit",
    "node_inflow",
    "outside_home_sectors",
    "spread_rows",
    "transit_rows",
]


class TargetsLike(Protocol):
    """What the patrol layer reads from ``crowdguard.risk.payoffs.Targets``."""

    @property
    def ids(self) -> tuple[str, ...]: ...
    @property
    def venue(self) -> tuple[str, ...]: ...
    @property
    def start(self) -> tuple[dt.datetime, ...]: ...
    @property
    def crowd(self) -> np.ndarray: ...
    @property
    def defender_covered(self) -> np.ndarray: ...
    @property
    def defender_uncovered(self) -> np.ndarray: ...
    @property
    def attacker_covered(self) -> np.ndarray: ...
    @property
    def attacker_uncovered(self) -> np.ndarray: ...


@dataclass(frozen=True)
class KindProfile:
    """How a kind of team moves and how much its presence counts. [ESTIMATE]

    ``travel_multiplier`` scales the travel model's driving minutes (a foot team is
    dropped off and walks in from parking); ``effectiveness`` weights its presence in the
    coverage (an ARV crew is partly in its vehicle, so less of a visible deterrent). The
    numbers come from the scenario's ``patrol.team_kinds``
    (:data:`~crowdguard.scenario.schema.DEFAULT_TEAM_KINDS` unless it changes them).
    """

    travel_multiplier: float
    effectiveness: float
    on_foot: bool = False
    """It may cross water as foot passengers (:meth:`TravelTimes.for_team`)."""


KIND_PROFILES: Mapping[str, KindProfile] = {
    name: KindProfile(kind.travel_multiplier, kind.effectiveness, kind.crosses == "foot")
    for name, kind in DEFAULT_TEAM_KINDS.items()
}


def kind_profiles(scenario: Scenario) -> dict[str, KindProfile]:
    """The scenario's team kinds (defaults plus its own ``patrol.team_kinds``) as profiles."""
    return {
        name: KindProfile(kind.travel_multiplier, kind.effectiveness, kind.crosses == "foot")
        for name, kind in scenario.patrol.kinds().items()
    }


@dataclass(frozen=True)
class Commodity:
    """Teams sharing base, kind and shift on the day: one unit of flow each."""

    name: str
    teams: tuple[str, ...]
    base: str
    kind: str
    shift_start: dt.datetime
    shift_end: dt.datetime
    first_slot: int
    last_slot: int
    profile: KindProfile
    start_place: str | None = None
    """Where the source is when the commodity starts mid-day (None: ``base``)."""
    ready: dt.datetime | None = None
    """When the source may leave when it starts mid-day (None: ``shift_start``)."""
    on_site_since: dt.datetime | None = None
    """Since when a team starting at venue ``start_place`` has been patrolling it."""

    @property
    def size(self) -> int:
        """Number of teams (the flow value)."""
        return len(self.teams)


@dataclass(frozen=True)
class TeamStart:
    """Where and when a team's flow starts in a re-plan, instead of its base at its shift start.

    ``place`` is a place of the travel model (a venue, a base, or an extra point such as an
    incident); the team may leave it at ``ready`` (timezone-aware). ``on_site_since``: the
    team is already patrolling the venue ``place`` and arrived then, so its time there counts
    towards the dwell of the slot in progress. Module docstring, "Starting mid-day".
    """

    place: str
    ready: dt.datetime
    on_site_since: dt.datetime | None = None


@dataclass(frozen=True)
class PatrolGraph:
    """The pruned time-expanded graph of one day, all commodities in one index space.

    Node ``i`` is ``places[node_place[i]]`` in slot ``node_slot[i]`` (``-1``: the source,
    i.e. the base at shift start) for commodity ``node_commodity[i]``; ``node_target[i]``
    is the target index it covers (``-1`` for base nodes). Arc ``a`` goes from
    ``arc_tail[a]`` to ``arc_head[a]`` and takes ``arc_minutes[a]`` of travel.
    """

    day: dt.date
    slot_minutes: int
    midnight: dt.datetime
    places: tuple[str, ...]
    venues: frozenset[str]
    commodities: tuple[Commodity, ...]
    node_place: np.ndarray
    node_slot: np.ndarray
    node_commodity: np.ndarray
    node_target: np.ndarray
    source: np.ndarray
    sink: np.ndarray
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_minutes: np.ndarray
    n_targets: int
    target_venue: tuple[str, ...]
    target_slot: np.ndarray
    left_out: Mapping[str, str] = field(default_factory=dict)
    """Teams given a :class:`TeamStart` that are not in the graph, and why."""
    transit_share: float | None = None
    """The transit-share cap its flow polytope carries (:func:`transit_rows`; None: none)."""

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_place)

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.arc_tail)

    def slot_start(self, slot: int) -> dt.datetime:
        """Local start of a slot (wall clock from midnight)."""
        return self._at(slot * self.slot_minutes)

    def departure(self, node: int) -> dt.datetime:
        """When a team leaves ``node``: the shift start for a source, else the slot end."""
        comm = self.commodities[int(self.node_commodity[node])]
        if self.node_slot[node] == -1:
            return comm.ready or comm.shift_start
        if self.node_slot[node] == SINK_SLOT:
            return comm.shift_end
        return self.slot_start(int(self.node_slot[node]) + 1)

    def _at(self, minutes: float) -> dt.datetime:
        return self.midnight + dt.timedelta(minutes=float(minutes))

    def node_label(self, node: int) -> str:
        """``place@HH:MM`` for messages."""
        slot = int(self.node_slot[node])
        when = {-1: "shift start", SINK_SLOT: "shift end"}.get(slot) or self.slot_start(
            slot
        ).strftime("%H:%M")
        return f"{self.places[int(self.node_place[node])]}@{when}"


def _wall_minutes(moment: dt.datetime | dt.time) -> float:
    if moment == dt.time.max:
        return 24 * 60.0
    return moment.hour * 60 + moment.minute + moment.second / 60


def _hhmm(minutes: float) -> str:
    """``HH:MM`` of minutes after midnight; past the next midnight, the next day's clock."""
    whole = int(minutes) - (24 * 60 if minutes > 24 * 60 else 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _shifts_on(scenario: Scenario, day: dt.date) -> list[tuple[Any, float, float]]:
    weekday = Weekday.of(day)
    shifts = []
    base_ids = {b.id for b in scenario.bases}
    for i, team in enumerate(scenario.teams):
        if team.base not in base_ids:
            raise PlanError(
                f"teams[{i}].base: team {team.callsign!r} names base {team.base!r}, which is "
                "not among the scenario's bases; add it under bases or fix the name"
            )
        windows = sorted(s.hours.minutes() for s in team.shifts if weekday in s.days)
        for (s1, e1), (s2, _) in itertools.pairwise(windows):
            if s2 < e1:
                raise PlanError(
                    f"teams[{i}].shifts: team {team.callsign!r} has overlapping shifts on "
                    f"{weekday.value} ({_hhmm(s1)}-{_hhmm(e1)} overlaps the next); "
                    "merge them into one shift"
                )
        for start, end in windows:
            if end - start < scenario.patrol.min_dwell_minutes:
                raise PlanError(
                    f"teams[{i}].shifts: a shift of team {team.callsign!r} lasts "
                    f"{end - start:.0f} min, shorter than one dwell "
                    f"(patrol.min_dwell_minutes={scenario.patrol.min_dwell_minutes:g}); "
                    "lengthen the shift or shorten the dwell"
                )
            shifts.append((team, start, end))
    return shifts


def _limits(scenario: Scenario) -> tuple[Callable[[str, str], bool], int]:
    """The operational limits the graph's shape enforces: whether a base's teams may patrol a
    venue (its home sector), and the slots a visit lasts at least (module docstring)."""
    policy = scenario.patrol
    bases = {b.id: b for b in scenario.bases}
    where = {v.id: v for v in scenario.venues}
    radius = policy.home_radius_km

    def sector(base_id: str, venue_id: str) -> bool:
        if radius is None:
            return True
        base, venue = bases[base_id], where[venue_id]
        if venue_id in base.sector:
            return True
        return base.island == venue.island and (
            great_circle_km(base.lat, base.lon, venue.lat, venue.lon) <= radius
        )

    stay = 1  # slots a visit spans at least: the first holds the dwell, the rest are whole
    if policy.min_stay_minutes is not None:
        beyond = policy.min_stay_minutes - policy.min_dwell_minutes
        stay += max(0, math.ceil(beyond / scenario.slot_minutes - 1e-9))
    return sector, stay


def outside_home_sectors(scenario: Scenario) -> list[str]:
    """The venues no team may patrol under the scenario's home sectors (``home_radius_km``
    and the bases' ``sector`` lists): the plan leaves them at coverage 0. Empty without a
    home radius."""
    if scenario.patrol.home_radius_km is None:
        return []
    sector, _ = _limits(scenario)
    bases = {t.base for t in scenario.teams}
    return [v.id for v in scenario.venues if not any(sector(b, v.id) for b in sorted(bases))]


def transit_rows(graph: PatrolGraph, share: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows ``sum_a minutes_a z_a <= share x shift minutes x teams``, one per commodity: the
    transit-share cap (module docstring, "Operational limits"). Linear in the flow, so every
    integer schedule meeting it (each drawn roster) and any mixture of them meets it too.

    A commodity started mid-day (a re-plan's ``TeamStart``) counts the minutes from when it
    is free to its shift end, and may always take its least-transit way home
    (:func:`least_transit`), so the cap never leaves a team out on the road with no plan."""
    if not 0 < share <= 1:
        raise PlanError(f"max_transit_share={share:g}: expected a share in (0, 1]")
    tail_comm = graph.node_commodity[graph.arc_tail]
    rows = sp.csr_matrix(
        (graph.arc_minutes, (tail_comm, np.arange(graph.n_arcs))),
        shape=(len(graph.commodities), graph.n_arcs),
    )
    budget = np.array(
        [
            max(
                share * (c.shift_end - (c.ready or c.shift_start)).total_seconds() / 60,
                0.0 if c.ready is None else least_transit(graph, k),
            )
            * c.size
            for k, c in enumerate(graph.commodities)
        ]
    )
    return rows, budget


def least_transit(graph: PatrolGraph, k: int) -> float:
    """The fewest minutes in transit on any route of commodity ``k`` from its source to its
    sink (a shortest path on the DAG: arcs run forward in slots, so relaxing them in the
    order of their tail's slot settles every node before it is left)."""
    arcs = np.flatnonzero(graph.node_commodity[graph.arc_tail] == k)
    slot = graph.node_slot[graph.arc_tail[arcs]]
    order = np.lexsort((arcs, np.where(slot == SINK_SLOT, np.iinfo(np.int64).max, slot)))
    best = {int(graph.source[k]): 0.0}
    for a in arcs[order].tolist():
        tail = int(graph.arc_tail[a])
        if tail in best:
            head = int(graph.arc_head[a])
            via = best[tail] + float(graph.arc_minutes[a])
            if via < best.get(head, math.inf):
                best[head] = via
    return best.get(int(graph.sink[k]), 0.0)


def build_graph(
    scenario: Scenario,
    day: dt.date,
    targets: TargetsLike,
    travel: TravelTimes,
    *,
    separate: Collection[str] = (),
    profiles: Mapping[str, KindProfile] | None = None,
    check_reachable: bool = True,
    starts: Mapping[str, TeamStart] | None = None,
    not_before: dt.datetime | None = None,
    exclude: Collection[str] = (),
) -> PatrolGraph:
    """Build and prune the time-expanded graph of ``day`` (module docstring gives the rules).

    ``targets`` must hold only this day's targets. ``separate`` names teams that get their
    own commodity (those with overrides). ``profiles`` defaults to the scenario's team kinds
    (:func:`kind_profiles`). Raises :class:`PlanError` for unknown bases,
    overlapping or too-short shifts, and (``check_reachable``) a venue open during a shift
    that no team can reach and leave in time.

    A re-plan passes ``starts`` (team -> :class:`TeamStart`), ``not_before`` (the re-plan
    time) and ``exclude`` (teams not to plan at all); see "Starting mid-day" in the module
    docstring. Without them the graph is exactly the planner's.
    """
    starts = dict(starts or {})
    exclude = frozenset(exclude)
    # The transit-share cap binds team by team (each team its own commodity), a re-plan's
    # teams included (issue 11: the limits hold for a diverted team too).
    transit_share = scenario.patrol.max_transit_share
    if transit_share is not None:
        separate = set(separate) | {t.callsign for t in scenario.teams}
    if profiles is None:
        profiles = kind_profiles(scenario)
    tz = ZoneInfo(scenario.timezone)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    slot_len = scenario.slot_minutes
    dwell = scenario.patrol.min_dwell_minutes
    places = travel.ids
    place_index = {p: i for i, p in enumerate(places)}
    venues = frozenset(v.id for v in scenario.venues)
    for label, ids in (
        ("venue", [v.id for v in scenario.venues]),
        ("base", [b.id for b in scenario.bases]),
    ):
        for ident in ids:
            if ident not in place_index:
                raise PlanError(
                    f"travel times: {label} {ident!r} is missing from the travel model; "
                    "rebuild travel times over the scenario's venues and bases"
                )

    def on_day(moment: dt.datetime) -> float:
        """Wall-clock minutes of ``moment`` from the day's midnight (outside: < 0 or > 1440)."""
        local = moment.astimezone(tz)
        if local.date() != day:
            return (local.date() - day).days * 24 * 60.0 + _wall_minutes(local)
        return _wall_minutes(local)

    # Targets -> (venue, slot); a night's targets run on past midnight (slots beyond 24 h)
    n_targets = len(targets.ids)
    target_slot = np.empty(n_targets, dtype=np.int64)
    by_node: dict[tuple[str, int], int] = {}
    for t in range(n_targets):
        t_start = targets.start[t]
        minutes = on_day(t_start)
        if not 0 <= minutes < 2 * 24 * 60:
            raise PlanError(f"targets: {targets.ids[t]!r} is not in the plan of {day.isoformat()}")
        if minutes % slot_len:
            raise PlanError(
                f"targets: {targets.ids[t]!r} starts off the {slot_len}-minute slot grid"
            )
        slot = int(minutes // slot_len)
        target_slot[t] = slot
        node_key = (targets.venue[t], slot)
        if node_key in by_node:
            raise PlanError(f"targets: two targets for venue {node_key[0]!r} in the same slot")
        if targets.venue[t] not in venues:
            raise PlanError(f"targets: venue {targets.venue[t]!r} is not in the scenario")
        by_node[node_key] = t

    # Commodities
    cutoff = -np.inf if not_before is None else on_day(not_before)
    for callsign, given in starts.items():
        if given.place not in place_index:
            raise PlanError(
                f"starts: team {callsign!r} starts at {given.place!r}, which the travel model "
                "does not know; add it to the travel places"
            )
    groups: dict[tuple[str, str, float, float], list[str]] = {}
    order: list[tuple[str, str, float, float]] = []
    started: dict[tuple[str, str, float, float], TeamStart] = {}
    for team, s_start, s_end in _shifts_on(scenario, day):
        begin = starts.get(team.callsign)
        ready = cutoff if begin is None else max(cutoff, on_day(begin.ready))
        if team.callsign in exclude or s_end <= ready:
            continue  # not planned, or a shift already over
        key = (team.base, team.kind, s_start, s_end)
        if s_start <= ready:  # a shift in progress: from its start, else its base, now
            if begin is None:
                assert not_before is not None
                begin = TeamStart(team.base, not_before)
            elif not_before is not None and begin.ready < not_before:
                begin = TeamStart(begin.place, not_before, begin.on_site_since)
            key = (f"{team.base}|{team.callsign}", team.kind, s_start, s_end)
            started[key] = begin
        elif team.callsign in separate:
            key = (f"{team.base}|{team.callsign}", team.kind, s_start, s_end)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(team.callsign)
    commodities = []
    for key in order:
        base_key, kind, start, end = key
        base = base_key.split("|")[0]
        begin_of = started.get(key)
        first = int(np.ceil(start / slot_len - 1e-9))
        if begin_of is not None:  # the slot holding the start
            first = int(np.floor(on_day(begin_of.ready) / slot_len + 1e-9))
        last = int(np.floor(end / slot_len + 1e-9)) - 1
        if kind not in profiles:
            raise PlanError(
                f"teams: kind {kind!r} has no travel/effectiveness profile; add it under "
                "patrol.team_kinds"
            )
        if last < first and begin_of is None:
            raise PlanError(
                f"teams: shift {start / 60:g}h-{end / 60:g}h of {', '.join(groups[key])} holds "
                f"no whole {slot_len}-minute slot; align shifts with the slot grid"
            )
        commodities.append(
            Commodity(
                name=f"{base}/{kind}/{_hhmm(start)}-{_hhmm(end)}"
                + (f"/{groups[key][0]}" if "|" in base_key else ""),
                teams=tuple(groups[key]),
                base=base,
                kind=kind,
                shift_start=midnight + dt.timedelta(minutes=start),
                shift_end=midnight + dt.timedelta(minutes=end),
                first_slot=first,
                last_slot=last,
                profile=profiles[kind],
                start_place=None if begin_of is None else begin_of.place,
                ready=None if begin_of is None else begin_of.ready,
                on_site_since=None if begin_of is None else begin_of.on_site_since,
            )
        )

    node_place: list[int] = []
    node_slot: list[int] = []
    node_comm: list[int] = []
    node_target: list[int] = []
    arc_tail: list[int] = []
    arc_head: list[int] = []
    arc_min: list[float] = []
    sources: list[int] = []
    sinks: list[int] = []
    venue_seen: set[str] = set()
    venue_in_shift: set[str] = set()
    kept: list[Commodity] = []
    left_out: dict[str, str] = {}

    sector, stay = _limits(scenario)
    for comm in commodities:
        k = len(kept)
        mult = comm.profile.travel_multiplier
        base_i = place_index[comm.base]
        shift_start = on_day(comm.shift_start if comm.ready is None else comm.ready)
        start_i = base_i if comm.start_place is None else place_index[comm.start_place]
        since = None if comm.on_site_since is None else on_day(comm.on_site_since)
        # local nodes: (place_index, slot, target); stage[j]: slots spent at the venue so
        # far, up to ``stay`` (0 at a base; "Operational limits" in the module docstring)
        local: list[tuple[int, int, int]] = [(start_i, -1, -1)]
        stage: list[int] = [0]
        for s in range(comm.first_slot, comm.last_slot + 1):
            local.append((base_i, s, -1))
            stage.append(0)
        for (venue_id, s), t in by_node.items():
            if comm.first_slot <= s <= comm.last_slot and sector(comm.base, venue_id):
                for c in range(1, stay + 1):
                    local.append((place_index[venue_id], s, t))
                    stage.append(c)
                venue_in_shift.add(venue_id)
        lookup = {(p, s, c): j for j, ((p, s, _), c) in enumerate(zip(local, stage, strict=True))}
        slots_of_place: dict[int, list[int]] = {}
        for p, s, _ in local:
            if s >= 0:
                slots_of_place.setdefault(p, []).append(s)
        for p in slots_of_place:
            slots_of_place[p] = sorted(set(slots_of_place[p]))
        tails: list[int] = []
        heads: list[int] = []
        mins: list[float] = []
        shift_end = on_day(comm.shift_end)
        team_minutes = travel.for_team(mult, on_foot=comm.profile.on_foot)
        back = {q: float(math.ceil(float(team_minutes[q, base_i]) - 1e-9)) for q in slots_of_place}

        def fits(
            q: int,
            s2: int,
            arrive: float,
            last: int = comm.last_slot,
            back: dict[int, float] = back,
            shift_end: float = shift_end,
        ) -> bool:
            """Arrive at ``q`` in slot ``s2``, dwell, and (last slot) get back in time."""
            slot_end = (s2 + 1) * slot_len
            if places[q] not in venues:
                return arrive <= slot_end + 1e-9
            if arrive + dwell > slot_end + 1e-9:
                return False
            on_site = max(arrive, s2 * slot_len)
            return s2 != last or on_site + dwell + back[q] <= shift_end + 1e-9

        for j, (p, s, _) in enumerate(local):
            depart = shift_start if s < 0 else (s + 1) * slot_len
            c = stage[j]
            for q, q_slots in slots_of_place.items():
                if q == p and s >= 0:
                    after = min(c + 1, stay) if c else 0
                    if (p, s + 1, after) in lookup and fits(p, s + 1, depart):
                        tails.append(j)
                        heads.append(lookup[(p, s + 1, after)])
                        mins.append(0.0)
                    continue
                if 0 < c < stay:
                    continue  # the minimum stay is not over: it may only stay (or end the shift)
                arrival = 1 if places[q] in venues else 0
                minutes = float(math.ceil(float(team_minutes[p, q]) - 1e-9))
                leave = depart
                if s < 0 and q == p and since is not None:
                    leave = since  # already on site: its time there counts
                for s2 in q_slots:
                    if (
                        s2 <= s
                        or leave + minutes + (dwell if places[q] in venues else 0)
                        > (s2 + 1) * slot_len + 1e-9
                    ):
                        continue
                    if fits(q, s2, leave + minutes):
                        tails.append(j)
                        heads.append(lookup[(q, s2, arrival)])
                        mins.append(minutes)
                    break
        # the sink: back at base by the shift end, from any node of the last slot
        sink_local = len(local)
        local.append((base_i, SINK_SLOT, -1))
        for j, (p, s, _) in enumerate(local[:-1]):
            if s == comm.last_slot:
                tails.append(j)
                heads.append(sink_local)
                mins.append(back[p])
        # reachability pruning on the DAG (local node 0 is the source)
        n_local = len(local)
        out_adj: list[list[int]] = [[] for _ in range(n_local)]
        in_adj: list[list[int]] = [[] for _ in range(n_local)]
        for a, (u, v) in enumerate(zip(tails, heads, strict=True)):
            out_adj[u].append(a)
            in_adj[v].append(a)
        forward = np.zeros(n_local, dtype=bool)
        forward[0] = True
        stack = [0]
        while stack:
            u = stack.pop()
            for a in out_adj[u]:
                if not forward[heads[a]]:
                    forward[heads[a]] = True
                    stack.append(heads[a])
        backward = np.zeros(n_local, dtype=bool)
        backward[sink_local] = True
        stack = [sink_local]
        while stack:
            v = stack.pop()
            for a in in_adj[v]:
                if not backward[tails[a]]:
                    backward[tails[a]] = True
                    stack.append(tails[a])
        alive = forward & backward
        if not alive[0] and comm.start_place is not None:
            assert comm.ready is not None
            for team in comm.teams:
                due = midnight + dt.timedelta(minutes=(comm.last_slot + 1) * slot_len)
                left_out[team] = (
                    f"cannot get from {comm.start_place} at "
                    f"{comm.ready.astimezone(tz):%H:%M} back to base {comm.base} by the end of "
                    f"its shift's last whole slot ({due:%H:%M})"
                )
            continue
        if not alive[0]:
            raise PlanError(
                f"teams: {', '.join(comm.teams)} cannot leave base {comm.base!r} and return "
                "within the shift; lengthen the shift"
            )
        kept.append(comm)
        new_id = np.full(n_local, -1)
        offset = len(node_place)
        for live in np.flatnonzero(alive).tolist():
            new_id[live] = len(node_place)
            p, s, t = local[live]
            node_place.append(p)
            node_slot.append(s)
            node_comm.append(k)
            node_target.append(t)
            if t >= 0:
                venue_seen.add(places[p])
        for u, v, m in zip(tails, heads, mins, strict=True):
            if alive[u] and alive[v]:
                arc_tail.append(int(new_id[u]))
                arc_head.append(int(new_id[v]))
                arc_min.append(m)
        sources.append(offset)
        sinks.append(int(new_id[sink_local]))

    if check_reachable and stay == 1 and scenario.patrol.home_radius_km is None:
        # (with a home sector or a minimum stay a venue may be out of every team's bounds:
        # it keeps coverage 0 and the limits' price says what that costs)
        for venue in scenario.venues:
            if venue.id in venue_in_shift and venue.id not in venue_seen:
                raise PlanError(
                    f"venue {venue.id!r} cannot be reached from any base within a shift: add a "
                    + (
                        "staging point on the Isle of Wight"
                        if venue.island
                        else "staging point nearer to it"
                    )
                    + " or lengthen the shift"
                )
    return PatrolGraph(
        day=day,
        slot_minutes=slot_len,
        midnight=midnight,
        places=places,
        venues=venues,
        commodities=tuple(kept),
        node_place=np.array(node_place, dtype=np.int64),
        node_slot=np.array(node_slot, dtype=np.int64),
        node_commodity=np.array(node_comm, dtype=np.int64),
        node_target=np.array(node_target, dtype=np.int64),
        source=np.array(sources, dtype=np.int64),
        sink=np.array(sinks, dtype=np.int64),
        arc_tail=np.array(arc_tail, dtype=np.int64),
        arc_head=np.array(arc_head, dtype=np.int64),
        arc_minutes=np.array(arc_min, dtype=float),
        n_targets=n_targets,
        target_venue=tuple(targets.venue),
        target_slot=target_slot,
        left_out=left_out,
        transit_share=transit_share,
    )


def flow_polytope(graph: PatrolGraph) -> CoveragePolytope:
    """The flow polytope of ``graph``: conservation, supplies, the coverage map, and the
    transit-share rows when the graph carries the cap (:func:`transit_rows`).

    Rows of ``a_eq``: one per node, ``inflow - outflow = -size`` at a source, ``+size`` at
    a sink, 0 elsewhere. ``coverage[t, a] = e_k`` when arc ``a`` of commodity ``k`` enters
    the node of target ``t``.
    """
    n_nodes, n_arcs = graph.n_nodes, graph.n_arcs
    arcs = np.arange(n_arcs)
    incidence = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_arcs), -np.ones(n_arcs)]),
            (np.concatenate([graph.arc_head, graph.arc_tail]), np.concatenate([arcs, arcs])),
        ),
        shape=(n_nodes, n_arcs),
    )
    b_eq = np.zeros(n_nodes)
    for k, comm in enumerate(graph.commodities):
        b_eq[graph.source[k]] = -comm.size
        b_eq[graph.sink[k]] = comm.size
    head_target = graph.node_target[graph.arc_head]
    covering = np.flatnonzero(head_target >= 0)
    eff = np.array([c.profile.effectiveness for c in graph.commodities])
    weights = eff[graph.node_commodity[graph.arc_head[covering]]]
    coverage = sp.csr_matrix(
        (weights, (head_target[covering], covering)), shape=(graph.n_targets, n_arcs)
    )
    upper = np.array(
        [graph.commodities[int(graph.node_commodity[u])].size for u in graph.arc_tail],
        dtype=float,
    )
    a_ub, b_ub = (
        (None, None) if graph.transit_share is None else transit_rows(graph, graph.transit_share)
    )
    return CoveragePolytope(
        coverage=coverage,
        a_eq=incidence,
        b_eq=b_eq,
        lower=np.zeros(n_arcs),
        upper=upper,
        a_ub=a_ub,
        b_ub=b_ub,
    )


def node_inflow(graph: PatrolGraph, z: np.ndarray) -> np.ndarray:
    """Flow through every node (inflow; the source gets its supply)."""
    inflow = np.bincount(graph.arc_head, weights=z, minlength=graph.n_nodes)
    for k, comm in enumerate(graph.commodities):
        inflow[graph.source[k]] = comm.size
    return inflow


def spread_rows(graph: PatrolGraph) -> Spread:
    """Predictability rows: each node's probability of holding a team of its commodity.

    Grouped by (commodity, slot), the tie-break of :func:`crowdguard.games.flow.solve_flow_game`
    then minimises the summed hit rate of an observer guessing each team's likeliest place.
    """
    sizes = np.array([c.size for c in graph.commodities], dtype=float)
    heads = graph.arc_head
    rows = sp.csr_matrix(
        (1.0 / sizes[graph.node_commodity[heads]], (heads, np.arange(graph.n_arcs))),
        shape=(graph.n_nodes, graph.n_arcs),
    )
    keep = np.flatnonzero(graph.node_slot >= 0)
    n_slots = int(graph.node_slot.max()) + 2
    groups = graph.node_commodity[keep] * n_slots + graph.node_slot[keep]
    return Spread(rows=rows[keep], groups=groups)
